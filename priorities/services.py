"""Writes to actions and findings. Every path that changes one (the action page, the data
admin, the import, the fixtures) saves through here, so the same rules, stale-edit check and
history apply to all."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from metrics import periods
from priorities import roles
from priorities.models import Action, ActionState, ActionStatus, Finding, FindingStatus

# What a dated status records: a change to any of these is a change of status.
STATE_FIELDS = ("status", "current_delivery_date", "completed_date")

DATE_MOVED_WITHOUT_REASON = "Say why the delivery date has moved: it is recorded."


class StaleRecord(Exception):
    """Someone saved this record after the form was opened."""

    def __init__(self, current: Action | Finding):
        self.current = current
        name = current._meta.verbose_name.capitalize()
        super().__init__(f"{name} {current.ref} was changed to version {current.version}.")


class StaleAction(StaleRecord):
    """Someone saved this action after the form was opened."""


class StaleFinding(StaleRecord):
    """Someone saved this finding after the form was opened."""


def update_action(
    *,
    pk: int,
    user,
    expected_version: int | None,
    why: str = "",
    as_at: datetime.date | None = None,
    source: str = "",
    kpis=None,
    **fields,
) -> Action:
    """Change an action, refusing a stale edit, a rule broken, or a user who may not.

    ``expected_version`` is the version the user saw. The row is locked
    while it is checked and written. A moved delivery date needs ``why``,
    which goes into the history with the old and new dates; the original
    date never changes (``Action.clean``). ``kpis``, if given, are the KPIs
    the action is meant to move, replacing its links. A change of status or dates is
    also recorded as a dated status taking effect ``as_at`` (default today),
    so earlier months read as they were. Raises StaleAction,
    PermissionDenied or ValidationError (by field).
    """
    with transaction.atomic():
        # Lock the action alone: its owner may be missing (an outer join PostgreSQL will not lock).
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
        before = action.state
        for name, value in fields.items():
            setattr(action, name, value)
        action.full_clean(exclude=["version"], validate_unique=False)
        if any(getattr(action, name) != getattr(before, name) for name in STATE_FIELDS):
            record_status(action, as_at=as_at, user=user, source=source, before=before)
        if kpis is not None and {kpi.pk for kpi in kpis} != set(
            action.kpis.values_list("pk", flat=True)
        ):
            action.kpis.set(kpis)
            reason = "; ".join(filter(None, [reason, kpis_moved([kpi.code for kpi in kpis])]))
        action._change_reason = reason or None
        action._history_user = user
        action.save()
    return action


def kpis_moved(codes: list[str]) -> str:
    """How a change to the KPIs an action moves is named in its history."""
    return f"KPIs it moves: {', '.join(sorted(codes)) or 'none'}"


def record_status(
    action: Action,
    *,
    as_at: datetime.date | None,
    user=None,
    source: str = "",
    before: ActionState | None = None,
) -> ActionStatus:
    """Record the action's status and dates as taking effect ``as_at`` (default today).

    Sets ``status_as_at`` on the action; the caller saves it, in the same
    transaction. An undated action's state held on every day, so before its
    first dated change that state is recorded from the first day the service
    records: the months before the change keep showing it as they did.
    """
    today = timezone.localdate()
    day = as_at or today
    if problem := action.status_date_problem(day, today):
        raise ValidationError({"as_at": problem})
    if action.pk and action.status_as_at is None and before is not None:
        undated_state(action, before).save()
    action.status_as_at = day
    row = dated_state(action, source=source, user=user)
    row.save()
    return row


def dated_state(action: Action, *, source: str, user=None) -> ActionStatus:
    """The action's state as a dated status, as at its ``status_as_at`` (not saved)."""
    return ActionStatus(
        action=action,
        effective=action.status_as_at,
        status=action.status,
        current_delivery_date=action.current_delivery_date,
        completed_date=action.completed_date,
        source=source.strip(),
        recorded_by=user if getattr(user, "pk", None) else None,
    )


def undated_state(action: Action, before: ActionState) -> ActionStatus:
    """The state an undated action held on every day, from the first day the service records."""
    return ActionStatus(
        action=action,
        effective=datetime.date(periods.MIN_YEAR, 1, 1),
        status=before.status,
        current_delivery_date=before.current_delivery_date,
        completed_date=before.completed_date,
        source="The action's state before its status was first dated",
    )


FINDINGS_WRITTEN_BY_ANALYSTS = "Only analysts and administrators change a finding's status."


def update_finding(
    *,
    pk: int,
    user,
    expected_version: int | None,
    status: str,
    evidence: str = "",
    as_at: datetime.date | None = None,
    source: str = "",
    why: str = "",
    **fields,
) -> Finding:
    """Change a finding's status and evidence as taking effect ``as_at`` (default today).

    ``fields`` are its other fields to change (title, text, officer...),
    saved in the same version. Analysts and administrators only; a stale
    edit is refused as for actions. Raises StaleFinding, PermissionDenied or
    ValidationError (by field).
    """
    with transaction.atomic():
        finding = Finding.objects.select_for_update(of=("self",)).select_related("source")
        finding = finding.get(pk=pk)
        if not roles.edits_everything(user):
            raise PermissionDenied(FINDINGS_WRITTEN_BY_ANALYSTS)
        if finding.version != expected_version:
            raise StaleFinding(finding)
        for name, value in fields.items():
            setattr(finding, name, value)
        # Checked before the status, which is judged against the (new) source's date.
        finding.full_clean(exclude=["version", "status", "evidence"])
        if (status, evidence.strip()) != (finding.status, finding.evidence):
            record_finding_status(
                finding, status=status, evidence=evidence, as_at=as_at, user=user, source=source
            )
        finding._change_reason = why.strip() or None
        finding._history_user = user
        finding.save()
    return finding


def record_finding_status(
    finding: Finding,
    *,
    status: str,
    evidence: str,
    as_at: datetime.date | None,
    user=None,
    source: str = "",
) -> FindingStatus:
    """Record a finding's status and evidence as taking effect ``as_at`` (default today).

    Sets them on the finding; the caller saves it, in the same transaction.
    """
    day = as_at or timezone.localdate()
    evidence = evidence.strip()
    if status not in Finding.Status:
        raise ValidationError({"status": f"{status!r} is not a finding status."})
    if problem := finding.status_problem(status, evidence, day):
        field = "evidence" if status == Finding.Status.CLOSED and not evidence else "as_at"
        raise ValidationError({field: problem})
    finding.status, finding.evidence, finding.status_as_at = status, evidence, day
    return FindingStatus.objects.create(
        finding=finding,
        effective=day,
        status=status,
        evidence=evidence,
        source=source.strip(),
        recorded_by=user if getattr(user, "pk", None) else None,
    )
