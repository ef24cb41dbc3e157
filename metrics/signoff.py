"""The monthly sign-off: the one home of the rules that move a figure's state.

A figure its owner saves on the entry page is submitted (awaiting sign-off).
An approver (``roles.sign_off_problem``) signs it off or returns it with a
reason; a returned figure goes back to its owner to change and submit again.
A figure an analyst loads through the data admin or the workbook import, and
a published figure in the fixtures, is signed off by that act
(``metrics.services.save_actual(sign_off=True)``, the import and the loader
call ``signed_off_by_loading``). Any later change needs sign-off again.
Every step is saved, so the history says who, when and why.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from metrics import calculated
from metrics.models import Actual, Kpi, PeriodLock
from priorities import roles
from priorities.models import PriorityArea

LOADED_REASON = "Signed off by loading"
SUBMITTED_STEP = "Submitted"


class NotAwaiting(Exception):
    """The figure is not waiting for sign-off (already signed off, or returned)."""

    def __init__(self, actual: Actual):
        self.actual = actual
        super().__init__(
            f"{actual.kpi.code} for {actual.kpi.period_label(actual.period)} is "
            f"{actual.get_state_display().lower()}, not awaiting sign-off."
        )


def submitted(actual: Actual, *, now=None) -> None:
    """Mark a figure its owner has just saved as awaiting sign-off (not saved here)."""
    now = now or timezone.now()
    actual.state = Actual.State.SUBMITTED
    actual.first_submitted_at = actual.first_submitted_at or now
    actual.submitted_at = now
    actual.reviewed_by, actual.reviewed_at, actual.returned_reason = None, None, ""


def signed_off_by_loading(actual: Actual, *, user=None, now=None) -> None:
    """Mark a figure an analyst loads (admin, import, published fixture) as signed off.

    ``user`` is the analyst, None for the council's published figures.
    Not saved here: the caller saves it with its own history reason.
    """
    now = now or timezone.now()
    actual.state = Actual.State.SIGNED_OFF
    actual.reviewed_by, actual.reviewed_at, actual.returned_reason = user, now, ""


def _locked(figures: Iterable[tuple[int, int]]) -> dict[int, Actual]:
    """The figures, locked for update, with what the permission rule reads."""
    pks = [pk for pk, _ in figures]
    return {
        actual.pk: actual
        for actual in Actual.objects.select_for_update(of=("self",))
        .filter(pk__in=pks)
        .select_related("kpi__owner")
        .prefetch_related(
            Prefetch(
                "kpi__areas", queryset=PriorityArea.objects.select_related("responsible_officer")
            )
        )
    }


def _checked(user, figures: list[tuple[int, int]]) -> list[Actual]:
    """Each figure as stored, refusing a stale, vanished, unpermitted or settled one."""
    from metrics.services import StaleEdit

    stored = _locked(figures)
    checked = []
    for pk, version in figures:
        actual = stored.get(pk)
        if actual is None or actual.version != version:
            raise StaleEdit(actual or Actual(pk=pk, version=0))
        if problem := roles.sign_off_problem(user, actual.kpi, actual.updated_by_id):
            raise PermissionDenied(problem)
        if actual.state != Actual.State.SUBMITTED:
            raise NotAwaiting(actual)
        checked.append(actual)
    return checked


def sign_off(user, figures: list[tuple[int, int]]) -> list[Actual]:
    """Sign off figures, given as (pk, version seen): all of them or, on any refusal, none.

    Raises StaleEdit when one changed since it was listed, PermissionDenied
    when ``user`` may not sign it off, NotAwaiting when it is not submitted.
    """
    now = timezone.now()
    with transaction.atomic():
        actuals = _checked(user, figures)
        for actual in actuals:
            actual.state = Actual.State.SIGNED_OFF
            actual.reviewed_by, actual.reviewed_at = user, now
            actual._change_reason = step_words(actual.state, who=name(user))
            actual.save()
        _recalculate(actuals, user)
    return actuals


def return_figure(user, pk: int, version: int, reason: str) -> Actual:
    """Send a figure back to its owner with a reason; refused for a locked month."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": "Say why the figure is returned, so its owner can fix it."}
        )
    with transaction.atomic():
        (actual,) = _checked(user, [(pk, version)])
        if PeriodLock.is_locked(actual.period, PeriodLock.objects.locked_through()):
            raise ValidationError(
                {
                    "reason": f"{actual.kpi.period_label(actual.period)} is locked, so its owner "
                    "could not change the figure. Ask an analyst to correct it instead."
                }
            )
        actual.state = Actual.State.RETURNED
        actual.reviewed_by, actual.reviewed_at = user, timezone.now()
        actual.returned_reason = reason
        actual._change_reason = f"{step_words(actual.state, who=name(user))}: {reason}"[:100]
        actual.save()
        _recalculate([actual], user)
        _notify_returned(actual)
    return actual


def _notify_returned(actual: Actual) -> None:
    """Email the owner once the return is committed (``notices.services.notify_returned``)."""
    from notices.services import notify_returned

    transaction.on_commit(lambda: notify_returned(actual.pk))


def _recalculate(actuals: list[Actual], user) -> None:
    """Calculated figures fed by these are provisional until every input is signed off."""
    if actuals:
        calculated.recalculate(
            kpi_ids=sorted({a.kpi_id for a in actuals}),
            periods=sorted({a.period for a in actuals}),
            user=user,
        )


# Words: every page, message and history line says a figure's state from here.


def name(user) -> str:
    """How a person is named beside what they did: their full name, or their username."""
    if user is None:
        return "data load"
    return user.get_full_name() or user.get_username()


def _day(moment) -> str:
    return f"{timezone.localtime(moment):%-d %b %Y}"


def step_words(state: str, *, who: str, loaded: bool = False) -> str:
    """A step in a figure's history: "Submitted", "Signed off by X", "Returned by X".

    ``loaded``: the figure was signed off by the same save that changed it
    (an analyst's admin save or import, or the published figures' load).
    """
    if state == Actual.State.SIGNED_OFF:
        return LOADED_REASON if loaded else f"Signed off by {who}"
    if state == Actual.State.RETURNED:
        return f"Returned by {who}"
    return SUBMITTED_STEP


def state_words(actual: Actual) -> str:
    """Where a stored figure stands, in words, with who and when (reads ``reviewed_by``)."""
    if actual.state == Actual.State.SUBMITTED:
        since = actual.submitted_at or actual.updated_at
        return f"Awaiting sign-off since {_day(since)} at {timezone.localtime(since):%H:%M}"
    when = f" on {_day(actual.reviewed_at)}" if actual.reviewed_at else ""
    if actual.state == Actual.State.RETURNED:
        return f"Returned by {name(actual.reviewed_by)}{when}: {actual.returned_reason}"
    if actual.reviewed_by is None:
        return f"Signed off by loading the council's published figures{when}"
    return f"Signed off by {name(actual.reviewed_by)}{when}"


def who_signs_off(kpi: Kpi, *, saved_by=None) -> str:
    """Who may sign off the KPI's figures: its areas' responsible officers with a login, or
    an analyst ("another analyst" when an analyst saved it: nobody signs off their own).
    Reads ``kpi.areas`` with their responsible officers (prefetch them)."""
    posts = sorted(
        {
            area.responsible_officer.role_title
            for area in kpi.areas.all()
            if area.responsible_officer is not None
            and area.responsible_officer.user_id is not None
            and area.responsible_officer_id != kpi.owner_id
        }
    )
    analyst = "another analyst" if saved_by and roles.edits_everything(saved_by) else "an analyst"
    return " or ".join([*(f"the {post}" for post in posts), analyst])


# Who approves what.


def approves_figures(user) -> bool:
    """Whether the approvals page is for ``user``: analysts and administrators, and heads
    of service whose post is an area's responsible officer (``roles.sign_off_problem``)."""
    if not user.is_authenticated:
        return False
    if roles.edits_everything(user):
        return True
    return (
        roles.is_head_of_service(user)
        and PriorityArea.objects.filter(responsible_officer__user=user).exists()
    )


def awaiting_for(user):
    """The figures awaiting sign-off that ``user`` may sign off, as the rule in
    ``roles.sign_off_problem`` decides it, in one query (callers check each again)."""
    figures = (
        Actual.objects.awaiting_sign_off()
        # A calculated figure follows its inputs: it is signed off when they are.
        .filter(kpi__formula__isnull=True)
        .exclude(updated_by=user)
        .exclude(kpi__owner__user=user)
    )
    if not roles.edits_everything(user):
        figures = figures.filter(
            kpi__in=Kpi.objects.filter(areas__responsible_officer__user=user).values("pk")
        )
    return figures
