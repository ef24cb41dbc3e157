"""Board reads: each KPI's position for a period, rolled up by area and plan.

What every board page, export and the ``status`` command shows is worked out
here from prefetched querysets, through the one RAG engine in ``metrics.rag``.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.utils import timezone

from metrics import periods, rag
from metrics.models import Actual, DefinitionChange, Kpi
from metrics.models.kpis import read_steps, recent_figures
from priorities.models import Plan, PriorityArea
from priorities.models.plans import summed_action_counts


@dataclass(frozen=True)
class KpiRow:
    """One KPI's position for a period, as every page and export shows it."""

    kpi: Kpi
    period: datetime.date
    actual: "Actual | Figure | None"  # a Figure from a lean read (``for_board``)
    target: rag.Step | None
    status: rag.Status
    previous: Decimal | None
    direction: rag.Direction | None
    last_year: Decimal | None
    direction_year: rag.Direction | None
    trajectory: rag.Trajectory
    # A change of definition between this period and the one before (or the
    # same period last year): the figures are not compared across it.
    previous_break: DefinitionChange | None = None
    year_break: DefinitionChange | None = None
    # The period's figure (and the one before it) not yet signed off
    # (``Actual.is_provisional``): still rated, but every page says so.
    provisional: bool = False
    previous_provisional: bool = False

    @property
    def value(self) -> Decimal | None:
        return None if self.actual is None else self.actual.value

    @property
    def period_label(self) -> str:
        return self.kpi.period_label(self.period)


# How far back a board read fetches actuals: six quarters for the trajectory
# of a quarterly KPI, plus the months until its latest quarter end; six years
# for an annual KPI, plus the months until its latest year end.
_LOOKBACK_MONTHS = (rag.TRAJECTORY_WINDOW - 1) * 3 + 2
_ANNUAL_LOOKBACK_MONTHS = (rag.TRAJECTORY_WINDOW - 1) * 12 + 11


def actions_judged_on(period: datetime.date, today: datetime.date) -> datetime.date:
    """The day actions are judged overdue for a period: its last day, or today if sooner.

    Every board page, count and export asks here, so an area page agrees with
    the overview and last year's pages read as they did then.
    """
    return min(today, periods.add_months(period, 1) - datetime.timedelta(days=1))


def kpi_row(kpi: Kpi, period: datetime.date, *, today: datetime.date) -> KpiRow:
    """A KPI's row for a period, from its prefetched targets and ``recent_actuals``.

    ``kpi`` comes from ``Kpi.objects.with_figures()``, which also annotates
    ``first_reported`` for the "no data" or "overdue" decision.
    """
    rule, steps = kpi.rule, kpi.steps
    at = kpi.reporting_period(period)
    by_period = {actual.period: actual for actual in kpi.recent_actuals}
    values = {p: actual.value for p, actual in by_period.items()}
    actual = by_period.get(at)
    target = rag.target_in_force(steps, at)
    if actual is None:
        status = kpi.missing_status(at, today=today)
    else:
        status = rag.performance_status(actual.value, target, rule)
    changes = list(kpi.definition_changes.all())
    before, year_ago = periods.add_months(at, -rule.interval), periods.add_months(at, -12)
    previous_break = DefinitionChange.between(changes, before, at)
    # An annual KPI's previous period is the same period last year: said once.
    year_break = None if rule.interval >= 12 else DefinitionChange.between(changes, year_ago, at)
    previous = values.get(before)
    earlier = by_period.get(before)
    last_year = None if rule.interval >= 12 else values.get(year_ago)
    current = actual.value if actual else None
    # The trend is read only from figures on the same definition as this one.
    comparable = values
    if changes:
        comparable = {
            p: v for p, v in values.items() if not DefinitionChange.between(changes, p, at)
        }
    return KpiRow(
        kpi=kpi,
        period=at,
        actual=actual,
        target=target,
        status=status,
        previous=previous,
        direction=None if previous_break else rag.direction(current, previous, rule),
        last_year=last_year,
        direction_year=None if year_break else rag.direction(current, last_year, rule),
        trajectory=rag.trajectory(comparable, steps, at, rule),
        previous_break=previous_break,
        year_break=year_break,
        provisional=actual is not None and actual.is_provisional,
        previous_provisional=earlier is not None and earlier.is_provisional,
    )


def kpi_rows(kpi: Kpi, months: Iterable[datetime.date], *, today: datetime.date) -> list[KpiRow]:
    """A row for each period: a KPI's series over time (``kpi`` as for ``kpi_row``)."""
    return [kpi_row(kpi, month, today=today) for month in months]


def for_board(
    kpis, period: datetime.date, *, today: datetime.date | None = None, lean: bool = False
) -> list[KpiRow]:
    """Every KPI's actual, target, status, direction and trajectory for a period.

    ``kpis`` is a Kpi queryset, filtered and ordered as the caller wants. A
    quarterly KPI is read at the latest quarter ending in or before the
    period. Five queries whatever the number of KPIs and months.

    ``lean`` reads each figure as a ``Figure`` (period, value, sign-off) rather
    than a whole ``Actual``: the rows say the same, for a page that shows no
    commentary and reads every KPI of a large plan (the overview).
    """
    today = today or timezone.localdate()
    since = periods.add_months(period, -max(12, _LOOKBACK_MONTHS))
    annual_since = periods.add_months(period, -_ANNUAL_LOOKBACK_MONTHS)
    kpis = kpis.with_figures(since, period, annual_since=annual_since, lean=lean)
    if lean:
        kpis = list(kpis)
        attach_figures(kpis, since, period, annual_since=annual_since)
    return [kpi_row(kpi, period, today=today) for kpi in kpis]


def attach_figures(
    kpis: list[Kpi],
    since: datetime.date,
    until: datetime.date,
    *,
    annual_since: datetime.date | None = None,
    lean: bool = True,
) -> None:
    """Give each KPI read ``with_figures(lean=True)`` the ``recent_actuals`` that
    ``with_figures(since, until, annual_since=...)`` would have. One query.

    ``lean`` reads each as a ``Figure``, and the KPI's target steps too
    (``read_steps``, a second query); otherwise whole ``Actual``s, with who saved them.
    """
    by_pk = {kpi.pk: kpi for kpi in kpis}
    for kpi in kpis:
        kpi.recent_actuals = []
    actuals = Actual.objects.filter(kpi__in=list(by_pk))
    if lean:
        read_steps(kpis)
        read = recent_figures(actuals, since, until, annual_since=annual_since)
        for figure in map(Figure._make, read.values_list(*Figure._fields)):
            by_pk[figure.kpi_id].recent_actuals.append(figure)
        return
    actuals = actuals.select_related("updated_by__officer")
    for actual in recent_figures(actuals, since, until, annual_since=annual_since):
        actual.kpi = by_pk[actual.kpi_id]
        actual.kpi.recent_actuals.append(actual)


class Figure(NamedTuple):
    """An actual as a lean board read gives it: what a ``KpiRow`` reads of it.

    A named tuple: a board read makes tens of thousands of them.
    """

    kpi_id: int
    period: datetime.date
    value: Decimal
    state: str

    State = Actual.State
    is_provisional = property(Actual.is_provisional.fget)

    def get_state_display(self) -> str:
        """Its sign-off state in words, as ``Actual.get_state_display`` gives it."""
        return Actual.State(self.state).label


@dataclass(frozen=True)
class AreaSummary:
    area: PriorityArea
    rows: list[KpiRow]
    rollup: rag.Rollup


@dataclass(frozen=True)
class PlanSummary:
    plan: Plan
    period: datetime.date
    areas: list[AreaSummary]
    rows: list[KpiRow]
    rollup: rag.Rollup

    @property
    def action_counts(self) -> dict[str, int]:
        """The plan's action counts: its areas' summed (an action is in one area)."""
        return summed_action_counts(summary.area for summary in self.areas)


def summarise_plan(
    plan: Plan, period: datetime.date, *, today: datetime.date | None = None
) -> PlanSummary:
    """The plan's KPIs for a period, rolled up by priority area and for the whole plan.

    Each area takes the worst RAG of its KPIs and counts its actions by status
    and overdue on the day ``actions_judged_on`` gives; the plan rolls up
    every KPI once and every overdue action. Seven queries. Its rows are read lean
    (``for_board``): an overview shows no commentary.
    """
    today = today or timezone.localdate()
    rows = for_board(Kpi.objects.for_plan(plan).order_by("code"), period, today=today, lean=True)
    areas = list(
        PriorityArea.objects.filter(plan=plan)
        .select_related("responsible_officer")
        .with_action_counts(actions_judged_on(period, today))
        .order_by("number")
    )
    by_area: dict[int, list[KpiRow]] = {area.pk: [] for area in areas}
    for row in rows:
        for area in row.kpi.areas.all():
            if area.pk in by_area:
                by_area[area.pk].append(row)
    summaries = [
        AreaSummary(
            area=area,
            rows=by_area[area.pk],
            rollup=rag.roll_up(
                [row.status for row in by_area[area.pk]], overdue_actions=area.overdue_actions
            ),
        )
        for area in areas
    ]
    rollup = rag.roll_up(
        [row.status for row in rows], overdue_actions=sum(a.overdue_actions for a in areas)
    )
    return PlanSummary(plan=plan, period=period, areas=summaries, rows=rows, rollup=rollup)
