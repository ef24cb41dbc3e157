"""Which figures a KPI's owner owes: the one rule "My updates", the email
reminders (``notices``) and the returns tracker (``reports.returns``) share.

A calculated KPI's figures are worked out from its inputs, so nobody owes
one. Otherwise a figure is owed for a period the KPI reports (every month, a
quarter's last month, the month its year ends) when it was asked for
(``Kpi.asked_for``) and the KPI was reported by then; a figure already saved
counts as owed and received whatever the rules say now.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Prefetch, Q

from metrics import periods, rag
from metrics.models import Actual, Kpi, KpiQuerySet
from priorities.models import PriorityArea


class TaskState(models.TextChoices):
    """Where an owed figure stands; the first three are still to do."""

    NOT_STARTED = "not started", "Not started"
    OVERDUE = "overdue", "Overdue"
    RETURNED = "returned", "Returned"
    AWAITING = "awaiting", "Saved: awaiting sign-off"
    SIGNED_OFF = "signed off", "Signed off"
    SAVED = "saved", "Saved"  # while the deployment asks for no sign-off


_SAVED_STATES = {
    Actual.State.SUBMITTED: TaskState.AWAITING,
    Actual.State.SIGNED_OFF: TaskState.SIGNED_OFF,
    Actual.State.RETURNED: TaskState.RETURNED,
}


@dataclass(frozen=True)
class Task:
    kpi: Kpi
    period: datetime.date
    state: TaskState
    deadline: datetime.date
    actual: Actual | None = None

    @property
    def to_do(self) -> bool:
        return self.state in {TaskState.NOT_STARTED, TaskState.OVERDUE, TaskState.RETURNED}


def owned_figures(kpis: KpiQuerySet) -> KpiQuerySet:
    """The KPIs whose figures someone types in: not calculated ones."""
    return kpis.filter(formula__isnull=True)


def is_reporting_month(kpi: Kpi, month: datetime.date) -> bool:
    """Whether a figure is recorded on this month: any month, a quarter's or a year's last."""
    return kpi.period_end(month) == month


def owes(kpi: Kpi, period: datetime.date, *, saved: bool) -> bool:
    """Whether the KPI's owner owes its figure for the period (reads the prefetched areas).

    A KPI not yet reporting (before its ``reporting_from``) is owed by nobody. One that
    has never reported and has no first month is still asked for (its owner is reminded
    on and before the deadline), but the board calls its missing figure "no data", never
    "overdue" (``Kpi.missing_status``), so it is never chased as overdue.
    """
    if saved:
        return True
    if kpi.reporting_from and period < kpi.reporting_from:
        return False
    return kpi.asked_for(period)


def owed_kpis(owners: Q, today: datetime.date) -> KpiQuerySet:
    """The KPIs ``owners`` selects, with what ``task`` reads for ``today``."""
    # The last twelve months hold every KPI's latest period: a month, a quarter's
    # last month or the month an annual KPI's year ends.
    latest = periods.latest_completed_month(today)
    due = periods.month_range(periods.add_months(latest, -11), latest)
    return (
        owned_figures(Kpi.objects.filter(owners))
        .with_first_reported()
        .prefetch_related(
            Prefetch(
                "actuals",
                queryset=Actual.objects.filter(period__in=due)
                .select_related("reviewed_by")
                .order_by("period"),
                to_attr="due",
            ),
            # A figure returned to its owner is theirs to fix whatever its month.
            Prefetch(
                "actuals",
                queryset=Actual.objects.filter(state=Actual.State.RETURNED)
                .select_related("reviewed_by")
                .order_by("period"),
                to_attr="returned",
            ),
            Prefetch(
                "areas",
                queryset=PriorityArea.objects.select_related("plan", "responsible_officer__user"),
            ),
        )
        .order_by("code")
    )


def task(kpi: Kpi, today: datetime.date) -> Task | None:
    """The KPI's latest period as ``today`` stands; None when nobody asks for its figure.

    Reads what ``owed_kpis`` fetches.
    """
    period = kpi.reporting_period(periods.latest_completed_month(today))
    deadline = _deadline(period)
    actual = next((a for a in kpi.due if a.period == period), None)
    if actual is not None:
        state = _SAVED_STATES[actual.state] if settings.SIGN_OFF_REQUIRED else TaskState.SAVED
        return Task(kpi, period, state, deadline, actual)
    if not owes(kpi, period, saved=False):
        return None
    overdue = kpi.missing_status(period, today=today) == rag.Status.OVERDUE
    return Task(kpi, period, TaskState.OVERDUE if overdue else TaskState.NOT_STARTED, deadline)


def tasks(kpi: Kpi, today: datetime.date) -> list[Task]:
    """What My updates lists for a KPI: any earlier figure returned to its owner, then the
    latest period's task. Empty when nobody asks for either. Reads what ``owed_kpis`` fetches.
    """
    latest = task(kpi, today)
    returned = [
        Task(kpi, actual.period, TaskState.RETURNED, _deadline(actual.period), actual)
        for actual in kpi.returned
        if (latest is None or actual.period != latest.period) and actual.is_provisional
    ]
    return [*returned, latest] if latest else returned


def _deadline(period: datetime.date) -> datetime.date:
    return periods.submission_deadline(period, settings.SUBMISSION_DEADLINE_WORKING_DAY)
