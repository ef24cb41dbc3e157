"""The three roles, as Django groups, and what each may do in the data admin.

Record-level rules (a head of service edits only what their post owns) are
enforced by the views that write; these groups carry the model permissions.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from priorities.models import Officer

HEAD_OF_SERVICE = "Head of service"
BOARD_MEMBER = "Board member"
ANALYST = "Analyst"

DATA_APPS = ["priorities", "metrics"]

_PERMISSIONS = {
    BOARD_MEMBER: {"view"},
    # A head of service writes only through the update pages, which check that
    # their post owns the record; model permissions would let the admin skip that.
    HEAD_OF_SERVICE: {"view"},
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


def _in_group(user, name: str) -> bool:
    # Group names are cached on the user for the request: permission checks
    # run once per row on "My updates".
    if not hasattr(user, "_role_names"):
        user._role_names = set(user.groups.values_list("name", flat=True))
    return name in user._role_names


def edits_everything(user) -> bool:
    """Analysts and administrators may change any record."""
    return user.is_active and (user.is_superuser or _in_group(user, ANALYST))


def is_head_of_service(user) -> bool:
    return user.is_active and _in_group(user, HEAD_OF_SERVICE) and not _in_group(user, BOARD_MEMBER)


def can_edit_owned_by(user, officer_user_id: int | None) -> bool:
    """The one rule for writes: everything for analysts, own records for heads of service.

    A board member never writes, even when linked to a post.
    """
    if edits_everything(user):
        return True
    return is_head_of_service(user) and officer_user_id is not None and officer_user_id == user.pk


def writes_anything(user) -> bool:
    """Heads of service, analysts and administrators: never a board member, even one with a post."""
    return edits_everything(user) or is_head_of_service(user)


def has_updates(user) -> bool:
    """Whether "My updates" is for this user: they enter for others, or their post owns work.

    A board member linked to a post is not offered it: they never write.
    """
    if not user.is_authenticated:
        return False
    if edits_everything(user):
        return True
    if not is_head_of_service(user):
        return False
    return (
        Officer.objects.filter(user=user)
        .filter(Q(kpis__isnull=False) | Q(actions__isnull=False))
        .exists()
    )


def sign_off_problem(user, kpi, submitted_by_id: int | None) -> str | None:
    """Why ``user`` may not sign off or return this KPI's figure; None when they may.

    Analysts and administrators, and the responsible officer (the login that
    acts for the post) of an area the KPI evidences, sign figures off; never
    a board member, never the KPI's owner, never whoever saved the figure.
    Reads ``kpi.owner`` and ``kpi.areas`` (prefetch them for a list).
    """
    if not user.is_active:
        return "Your login is not active."
    if _in_group(user, BOARD_MEMBER) and not edits_everything(user):
        return "Board members read figures; they do not sign them off."
    if submitted_by_id is not None and submitted_by_id == user.pk:
        return "You saved this figure, so someone else must sign it off."
    if kpi.owner is not None and kpi.owner.user_id == user.pk:
        return "Your post owns this KPI, so someone else must sign off its figures."
    if edits_everything(user):
        return None
    if any(
        area.responsible_officer is not None and area.responsible_officer.user_id == user.pk
        for area in kpi.areas.all()
    ):
        return None
    return (
        "Only an analyst or the responsible officer of an area this KPI evidences "
        "may sign off its figures."
    )
