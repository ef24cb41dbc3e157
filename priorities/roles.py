"""The three roles, as Django groups, and what each may do in the data admin.

Record-level rules (a head of service edits only what their post owns) are
enforced by the views that write; these groups carry the model permissions.
"""

from django.contrib.auth.models import Group, Permission

HEAD_OF_SERVICE = "Head of service"
BOARD_MEMBER = "Board member"
ANALYST = "Analyst"

DATA_APPS = ["priorities", "metrics"]

_PERMISSIONS = {
    BOARD_MEMBER: {"view"},
    HEAD_OF_SERVICE: {"view", "change_actual", "add_actual", "change_action"},
    ANALYST: {"view", "add", "change", "delete"},
}


def _wanted(group: str, codename: str) -> bool:
    action = codename.split("_", 1)[0]
    return action in _PERMISSIONS[group] or codename in _PERMISSIONS[group]


def ensure_groups() -> dict[str, Group]:
    """Create the role groups and set their permissions; safe to run again."""
    permissions = list(
        Permission.objects.filter(content_type__app_label__in=DATA_APPS).exclude(
            content_type__model__startswith="historical"
        )
    )
    groups = {}
    for name in _PERMISSIONS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set([p for p in permissions if _wanted(name, p.codename)])
        groups[name] = group
    return groups
