"""What the board pages show, put together from the board rows.

No RAG rule lives here: status, direction and trajectory come from
``metrics.rag`` through ``KpiRow`` and ``summarise_plan``. This module picks
the plan and period a page shows, groups and orders the rows, and turns a
KPI's history into a chart. Each page's read is a fixed number of queries.
"""

import datetime
from dataclasses import dataclass
from functools import cached_property

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from metrics import display, periods, rag, stamps
from metrics.models import Actual, Kpi
from metrics.summary import KpiRow, PlanSummary, actions_judged_on, kpi_row
from priorities.models import Action, Plan, PriorityArea
from reports import chart_input, chart_table, charts
from reports.board_actions import ActionLine, action_lines, kpi_marks, ref_key

# Worst first, for sorting a column of statuses: the ones a board asks about
# lead, a met target comes last. Display order only; rag decides the status.
STATUS_ORDER = [
    rag.Status.RED,
    rag.Status.AMBER,
    rag.Status.OVERDUE,
    rag.Status.NO_DATA,
    rag.Status.NO_TARGET,
    rag.Status.MONITOR,
    rag.Status.GREEN,
    rag.Status.NOT_REQUIRED,
]
DIRECTION_ORDER = [
    rag.Direction.DECLINING,
    rag.Direction.NO_CHANGE,
    rag.Direction.UP,
    rag.Direction.DOWN,
    rag.Direction.IMPROVING,
]
VERDICT_ORDER = [
    rag.Verdict.OFF_TRACK,
    rag.Verdict.AT_RISK,
    rag.Verdict.NOT_ENOUGH_DATA,
    rag.Verdict.NO_TARGET,
    rag.Verdict.ON_TRACK,
]


# Why a figure has no direction of travel when its definition changed since the last one.
NOT_COMPARABLE = "Not comparable: definition changed"


def _rank(order: list, value) -> int:
    return order.index(value) if value in order else len(order)


# Plan and period ------------------------------------------------------------


def choose_plan(raw: str | None, plans: list[Plan]) -> Plan:
    """The plan asked for, or the current one; 404 for an unknown id.

    The current plan is the latest to start among those with KPIs (plans come
    annotated with ``kpi_count``), so a newly agreed plan with no measures yet
    does not hide the one the board is tracking.
    """
    if raw in (None, ""):
        measured = [plan for plan in plans if getattr(plan, "kpi_count", 1)]
        return (measured or plans)[-1]
    try:
        pk = int(raw)
    except ValueError:
        raise Http404(f"“{raw}” is not a plan: plans are chosen by number.") from None
    for plan in plans:
        if plan.pk == pk:
            return plan
    raise Http404(f"There is no plan {pk}.")


def months_with_data(plan: Plan | QuerySet) -> list[datetime.date]:
    """Every month in which any of the plan's KPIs has a figure, oldest first.

    Cached under the plan's stamp (``metrics.stamps``): one query for the
    stamp when warm, three when cold.

    ``plan`` may be a subquery giving the plan's id, so a page can choose its
    month before it reads the area it shows.
    """
    # A warm page reads the answer from the cache, keyed by the plan's stamp:
    # the DISTINCT over every figure of the plan runs only after a write to it.
    return stamps.about_plan(
        "months-with-data",
        plan.pk if isinstance(plan, Plan) else plan,
        lambda: list(
            Actual.objects.filter(kpi__areas__plan=plan)
            .shown_on_board()
            .order_by("period")
            .values_list("period", flat=True)
            .distinct()
        ),
    )


@dataclass(frozen=True)
class PeriodChoice:
    period: datetime.date
    notice: str = ""


def choose_period(
    raw: str | None, with_data: list[datetime.date], *, today: datetime.date
) -> PeriodChoice:
    """The month asked for as YYYY-MM; by default the latest month with figures.

    A month that cannot be read falls back to the default, saying so.
    """
    default = with_data[-1] if with_data else periods.latest_completed_month(today)
    if raw in (None, ""):
        return PeriodChoice(default)
    try:
        return PeriodChoice(periods.parse_month(raw))
    except ValueError as error:
        return PeriodChoice(
            default,
            f"{error} Showing {periods.month_label(default)}, "
            f"{'the latest month with figures' if with_data else 'the last full month'}, "
            "instead.",
        )


def selectable_months(plan: Plan, with_data: list[datetime.date]) -> list[datetime.date]:
    """The months the period selector offers: the plan's own months and any with figures."""
    months = set(with_data)
    end = plan.end or (with_data[-1] if with_data else None)
    if plan.start and end and plan.start <= end:
        months.update(periods.month_range(periods.month_start(plan.start), end))
    return sorted(months)


@dataclass(frozen=True)
class MonthLink:
    period: datetime.date
    has_data: bool

    @property
    def value(self) -> str:
        return self.period.strftime("%Y-%m")

    @property
    def short(self) -> str:
        return periods.MONTH_NAMES[self.period.month - 1]

    @property
    def label(self) -> str:
        return periods.month_label(self.period)


def months_by_year(
    months: list[datetime.date], with_data: list[datetime.date]
) -> list[tuple[int, list[MonthLink]]]:
    have = set(with_data)
    years: dict[int, list[MonthLink]] = {}
    for month in months:
        years.setdefault(month.year, []).append(MonthLink(month, month in have))
    return list(years.items())


# The overview ----------------------------------------------------------------


@dataclass(frozen=True)
class AreaLine:
    """A priority area (or, with no area, the whole plan): its roll-up and the counts beside it."""

    area: PriorityArea | None
    rollup: rag.Rollup

    def _count(self, *statuses: rag.Status) -> int:
        return sum(self.rollup.counts.get(status, 0) for status in statuses)

    @property
    def status(self) -> rag.Status:
        return self.rollup.status

    @property
    def headline(self) -> str:
        return self.rollup.headline

    @property
    def green(self) -> int:
        return self._count(rag.Status.GREEN)

    @property
    def amber(self) -> int:
        return self._count(rag.Status.AMBER)

    @property
    def red(self) -> int:
        return self._count(rag.Status.RED)

    @property
    def overdue(self) -> int:
        """No figure, and its deadline has passed."""
        return self._count(rag.Status.OVERDUE)

    @property
    def no_data(self) -> int:
        """No figure yet, and not late: not yet due, or before the KPI was first reported."""
        return self._count(rag.Status.NO_DATA)

    @property
    def not_required(self) -> int:
        """No figure, and none was asked for."""
        return self._count(rag.Status.NOT_REQUIRED)

    @property
    def not_rated(self) -> int:
        """A figure, but nothing to rate it against: no target, or a neutral KPI's monitor."""
        return self._count(rag.Status.NO_TARGET, rag.Status.MONITOR)

    @property
    def kpis(self) -> int:
        return self.rollup.kpi_count


@dataclass(frozen=True)
class BoardLine:
    """A KPI's row in the overview table, with what the table sorts and filters on."""

    row: KpiRow
    areas: tuple[PriorityArea, ...]

    @property
    def kpi(self) -> Kpi:
        return self.row.kpi

    @property
    def code(self) -> str:
        return self.row.kpi.code

    @property
    def area_key(self) -> tuple[int, ...]:
        return tuple(area.number for area in self.areas) or (999,)

    @property
    def owner_name(self) -> str:
        return self.row.kpi.owner.role_title if self.row.kpi.owner else "~"

    @property
    def status_key(self) -> int:
        return _rank(STATUS_ORDER, self.row.status)

    @property
    def direction_key(self) -> int:
        return _rank(DIRECTION_ORDER, self.row.direction)

    @property
    def verdict_key(self) -> int:
        return _rank(VERDICT_ORDER, self.row.trajectory.verdict)

    @cached_property
    def last_figure(self) -> Actual | None:
        """With no figure for the period, the latest earlier one the board read fetched."""
        if self.row.actual is not None:
            return None
        earlier = [a for a in self.row.kpi.recent_actuals if a.period < self.row.period]
        return max(earlier, key=lambda a: a.period, default=None)


def area_lines(summary: PlanSummary) -> list[AreaLine]:
    return [AreaLine(s.area, s.rollup) for s in summary.areas]


def board_lines(summary: PlanSummary) -> list[BoardLine]:
    plan_areas = {s.area.pk for s in summary.areas}
    return [
        BoardLine(
            row,
            tuple(
                sorted(
                    (a for a in row.kpi.areas.all() if a.pk in plan_areas), key=lambda a: a.number
                )
            ),
        )
        for row in summary.rows
    ]


def direction_text(row: KpiRow) -> str:
    """The row's direction of travel in words, or why there is none."""
    if row.direction:
        return row.direction.label
    if row.previous_break is not None:
        return NOT_COMPARABLE
    return "No figure" if row.actual is None else "No earlier figure"


# Charts ----------------------------------------------------------------------


def chart_for(
    kpi: Kpi,
    row: KpiRow,
    *,
    until: datetime.date,
    actions: list[chart_input.ActionMark],
) -> chart_input.ChartInput:
    """A KPI fetched ``with_history()``, as its chart shows it up to a period.

    The board reads a period as it stood then, so later figures are left out;
    every target step stays, since the projection reads ahead to the next one.
    """
    names = dict(kpi.benchmarks.model.Comparator.choices)
    series: dict[str, list] = {}
    for benchmark in sorted(kpi.benchmarks.all(), key=lambda b: (b.comparator, b.period)):
        if benchmark.period <= until:
            series.setdefault(benchmark.comparator, []).append((benchmark.period, benchmark.value))
    return chart_input.ChartInput(
        code=kpi.code,
        title=kpi.title,
        unit=kpi.unit,
        decimal_places=kpi.decimal_places,
        frequency=kpi.frequency,
        polarity=kpi.polarity,
        period=row.period,
        actuals=sorted((a.period, a.value) for a in kpi.recent_actuals if a.period <= until),
        steps=kpi.steps,
        trajectory=row.trajectory,
        benchmarks=[
            chart_input.Benchmark(key, names.get(key, key), points)
            for key, points in series.items()
        ],
        actions=list(actions),
        viewed=until,
        asked=kpi.asked_for,
        changes=[c for c in kpi.definition_changes.all() if c.starts <= until],
        notes={a.period: a.note for a in kpi.recent_actuals if a.note and a.period <= until},
        provisional=frozenset(
            a.period for a in kpi.recent_actuals if a.period <= until and a.is_provisional
        ),
    )


@dataclass(frozen=True)
class KpiPanel:
    """A KPI on an area or KPI page: its row for the period and its chart."""

    row: KpiRow
    chart: chart_input.ChartInput
    scope: str = ""  # keeps ids unique when a KPI shows under two areas on one page

    @property
    def kpi(self) -> Kpi:
        return self.row.kpi

    @property
    def dom_id(self) -> str:
        return f"{self.scope}kpi-{self.row.kpi.pk}-chart"

    @cached_property
    def figure(self) -> dict:
        return charts.kpi_figure(self.chart)

    @cached_property
    def table(self) -> chart_table.ChartTable:
        return chart_table.chart_table(self.chart)

    @property
    def description(self) -> str:
        return chart_table.describe(self.chart)

    @property
    def commentary(self) -> Actual | None:
        """The figure for the period read, if it answers any of the three questions."""
        actual = self.row.actual
        return actual if actual is not None and has_commentary(actual) else None


# Words for a KPI's rules -------------------------------------------------------


def polarity_in_words(kpi: Kpi) -> str:
    if kpi.polarity == rag.HIGHER:
        return "Higher is better: green when the figure is at or above its target."
    if kpi.polarity == rag.LOWER:
        return "Lower is better: green when the figure is at or below its target."
    return (
        "Neutral: a rise or a fall might be good or bad. With a target band it is green "
        "inside the band; without one it is only monitored, never rated red or green."
    )


def tolerance_in_words(kpi: Kpi) -> str:
    """How far from target is amber rather than red, as ``rag.tolerance_amount`` reads it."""
    short = {
        rag.HIGHER: "below the target",
        rag.LOWER: "above the target",
        rag.NEUTRAL: "outside the band",
    }[kpi.polarity]
    places = kpi.decimal_places
    if kpi.tolerance is None:
        if kpi.unit == Kpi.Unit.PERCENT:
            amount = f"{display.number(rag.DEFAULT_PERCENT_TOLERANCE, 0)} percentage points"
        else:
            amount = f"{display.number(rag.DEFAULT_RELATIVE_TOLERANCE, 0)}% of the target"
        how = f"up to {amount} {short} (the standard tolerance, as none is set for this KPI)"
    elif kpi.tolerance_kind == rag.RELATIVE:
        share = display.number(kpi.tolerance, 2).rstrip("0").rstrip(".")
        how = f"up to {share}% of the target {short}"
    else:
        points = " percentage points" if kpi.unit == Kpi.Unit.PERCENT else ""
        how = f"up to {display.number(kpi.tolerance, places)}{points} {short}"
    return f"Amber when {how}; red when further off."


# A KPI's own page ---------------------------------------------------------------


def reporting_periods(kpi: Kpi, until: datetime.date) -> list[datetime.date]:
    """Every period the KPI was due, from its first (or first reported) to ``until``."""
    starts = [d for d in (kpi.reporting_from, kpi.first_reported) if d is not None]
    if not starts:
        return []
    start = kpi.period_end(max(periods.month_start(min(starts)), periods.first_period()))
    return periods.month_range(start, until, kpi.rule.interval)


def kpi_series(kpi: Kpi, until: datetime.date, *, today: datetime.date) -> list[KpiRow]:
    """The KPI's row for each period up to ``until``, from a KPI fetched ``with_history()``.

    Periods after its last figure that nobody asked a figure for are left
    out (``until`` itself stays), so the years after a plan ended are not a
    page of empty rows.
    """
    rows = [kpi_row(kpi, period, today=today) for period in reporting_periods(kpi, until)]
    last = max((row.period for row in rows if row.actual is not None), default=None)
    return [
        row
        for row in rows
        if row.status != rag.Status.NOT_REQUIRED
        or (last is not None and row.period < last)
        or row is rows[-1]
    ]


def has_commentary(actual: Actual) -> bool:
    return any(getattr(actual, name) for name in Actual.COMMENTARY)


def commentary(kpi: Kpi, until: datetime.date) -> list[Actual]:
    """Figures up to ``until`` that carry commentary, newest first."""
    return sorted(
        (a for a in kpi.recent_actuals if a.period <= until and has_commentary(a)),
        key=lambda actual: actual.period,
        reverse=True,
    )


def written_by(actual: Actual) -> str:
    """Who last saved a figure and its commentary, and when; or where it was taken from.

    Figures loaded from the council's papers have no author here, only their source.
    """
    user = actual.updated_by
    if user is None:
        return f"Taken from {actual.source}." if actual.source else "Author not recorded."
    officer = getattr(user, "officer", None)
    who = officer.role_title if officer else user.get_username()
    return f"Written by {who}, last saved {timezone.localtime(actual.updated_at):%-d %B %Y}."


# An area's page, alone or in the board pack --------------------------------------


@dataclass(frozen=True)
class AreaReport:
    """Everything an area's page shows for a period."""

    line: AreaLine
    # The panels drawn: every KPI's for a download, one page's on the site.
    panels: list[KpiPanel]
    actions: list[ActionLine]
    judged_on: datetime.date
    # Every KPI's row for the period, for the area's table and roll-up.
    rows: list[KpiRow]

    @property
    def area(self) -> PriorityArea:
        return self.line.area

    @property
    def action_counts(self) -> dict[str, int]:
        return self.area.action_counts

    @property
    def slippage(self) -> int:
        """Months slipped, summed over the area's actions as they stood then."""
        return sum(line.slippage for line in self.actions)

    @property
    def has_charts(self) -> bool:
        return any(panel.chart.has_data for panel in self.panels)


def provisional_rows(reports: list[AreaReport]) -> list[KpiRow]:
    """Each KPI's figure for the period that is not yet signed off, once, by KPI code.

    A KPI evidencing two areas shows in both; the board pack lists it once.
    """
    rows = {row.kpi.pk: row for report in reports for row in report.rows if row.provisional}
    return sorted(rows.values(), key=lambda row: row.kpi.code)


def area_report(
    area: PriorityArea,
    kpis: list[Kpi],
    actions: list[Action],
    period: datetime.date,
    *,
    today: datetime.date,
    scope: str = "",
    rows: list[KpiRow] | None = None,
) -> AreaReport:
    """An area from its KPIs and its actions; no queries.

    The area comes ``with_action_counts``, the KPIs ``with_history()`` with
    ``board_actions.linked_actions``, all read on the day ``actions_judged_on`` gives.
    A panel is drawn for each of ``kpis``; ``rows`` (every KPI's, as
    ``summary.for_board`` reads them) fill the table and the roll-up when only
    some KPIs are drawn, so a long area is charted a page at a time.
    The roll-up is ``rag.roll_up`` over the KPIs' statuses and the area's
    overdue actions, counted as ``summarise_plan`` counts them, so it agrees
    with the overview.
    """
    on = actions_judged_on(period, today)
    actions = sorted(actions, key=ref_key)
    lines = action_lines(area, actions, on)
    known = {row.kpi.pk: row for row in rows or ()}
    panels = []
    for kpi in kpis:
        row = known.get(kpi.pk) or kpi_row(kpi, period, today=today)
        marks = kpi_marks(kpi, actions, on, area)
        panels.append(KpiPanel(row, chart_for(kpi, row, until=period, actions=marks), scope))
    if rows is None:
        rows = [panel.row for panel in panels]
    rollup = rag.roll_up([row.status for row in rows], overdue_actions=area.overdue_actions)
    return AreaReport(AreaLine(area, rollup), panels, lines, on, rows)
