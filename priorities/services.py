"""Writes to actions. Every path that changes an action (the action page, the data admin)
saves through here, so the same rules, stale-edit check and history apply to all."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from priorities import roles
from priorities.models import Action

DATE_MOVED_WITHOUT_REASON = "Say why the delivery date has moved: it is recorded."


class StaleAction(Exception):
    """Someone saved this action after the form was opened."""

    def __init__(self, current: Action):
        self.current = current
        super().__init__(f"Action {current.ref} was changed to version {current.version}.")


def update_action(
    *, pk: int, user, expected_version: int | None, why: str = "", **fields
) -> Action:
    """Change an action, refusing a stale edit, a rule broken, or a user who may not.

    ``expected_version`` is the version the user saw. The row is locked
    while it is checked and written. A moved delivery date needs ``why``,
    which goes into the history with the old and new dates; the original
    date never changes (``Action.clean``). Raises StaleAction,
    PermissionDenied or ValidationError (by field).
    """
    with transaction.atomic():
        action = Action.objects.select_for_update(of=("self",)).select_related("owner").get(pk=pk)
        if not roles.can_edit_owned_by(user, action.owner.user_id if action.owner else None):
            raise PermissionDenied("You can only update the actions your post owns.")
        if action.version != expected_version:
            raise StaleAction(action)
        new_date = fields.get("current_delivery_date", action.current_delivery_date)
        moved = new_date != action.current_delivery_date
        if moved and not why.strip():
            raise ValidationError({"current_delivery_date": DATE_MOVED_WITHOUT_REASON})
        reason = action.date_change_reason(new_date, why) if moved else why.strip()
        for name, value in fields.items():
            setattr(action, name, value)
        action.full_clean(exclude=["version"], validate_unique=False)
        action._change_reason = reason or None
        action._history_user = user
        action.save()
    return action
