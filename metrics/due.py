"""What a KPI owner owes: each KPI's latest reporting period, its deadline and state.

"My updates" lists these, and the email reminders (``notices``) chase them,
so both read the same rule.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, Q

from metrics import periods, rag
from metrics.models import Actual, Kpi, KpiQuerySet
from priorities.models import PriorityArea


@dataclass(frozen=True)
class Task:
    kpi: Kpi
    period: datetime.date
    state: str  # "saved", "not started" or "overdue"
    deadline: datetime.date


def owed_kpis(owners: Q, today: datetime.date) -> KpiQuerySet:
    """The KPIs ``owners`` selects, with what ``task`` reads for ``today``."""
    # The last twelve months hold every KPI's latest period: a month, a quarter's
    # last month or the month an annual KPI's year ends.
    latest = periods.latest_completed_month(today)
    due = periods.month_range(periods.add_months(latest, -11), latest)
    return (
        # A calculated KPI's figures are worked out from its inputs, so nobody owes one.
        Kpi.objects.filter(owners, formula__isnull=True)
        .with_first_reported()
        .prefetch_related(
            Prefetch("actuals", queryset=Actual.objects.filter(period__in=due), to_attr="due"),
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
    deadline = periods.submission_deadline(period, settings.SUBMISSION_DEADLINE_WORKING_DAY)
    saved = any(actual.period == period for actual in kpi.due)
    if not saved and not kpi.asked_for(period):
        # Nobody asks for this period's figure (Kpi.asked_for), so there is no task.
        return None
    if saved:
        state = "saved"
    elif kpi.missing_status(period, today=today) == rag.Status.OVERDUE:
        state = "overdue"
    else:
        state = "not started"
    return Task(kpi, period, state, deadline)
