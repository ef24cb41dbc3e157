"""The scorecard: KPIs as rows, months or quarters across, as the grid stood at a month.

No RAG rule lives here: each cell is ``summary.kpi_row`` for the month the
KPI's figure for that column is stored in, and direction of travel is
``rag.direction`` between the latest figure and the one a column before it.
A definition change (``DefinitionChange.between``) between two columns is
marked on the grid and stops that comparison. Figures after the month shown
are never read, so the grid reads as it stood then. One read of the KPIs,
six queries, whatever the number of KPIs and months.
"""

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Prefetch, QuerySet
from django.utils.safestring import SafeString, mark_safe

from metrics import periods, rag
from metrics.models import Actual, Benchmark, DefinitionChange, Kpi, Scorecard, ScorecardRow
from metrics.summary import KpiRow, attach_figures, kpi_row
from priorities.models import PriorityArea
from reports import board
from reports.tables import provisional_html, status_html

MONTHLY, QUARTERLY = Scorecard.Columns.MONTHLY.value, Scorecard.Columns.QUARTERLY.value
DEFAULT_PERIODS = 6
MAX_PERIODS = 24
SORTS = ("kpi", "status", "direction", "trajectory")


# What the page is asked for ------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """The columns, how many and the sort, read from the query string; ``problems`` in words."""

    columns: str
    count: int
    sort: str = "kpi"
    problems: tuple[str, ...] = ()

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")


def read_options(query, saved: Scorecard | None = None) -> Options:
    """Columns, number of periods and sort asked for; by default a saved scorecard's own.

    Anything that cannot be read falls back to the default and says so.
    """
    problems = []
    columns = query.get("columns") or (saved.columns if saved else MONTHLY)
    if columns not in (MONTHLY, QUARTERLY):
        problems.append(
            f"“{columns}” is not a choice of columns: choose months or quarters. Showing months."
        )
        columns = MONTHLY
    default = saved.periods if saved and 1 <= saved.periods <= MAX_PERIODS else DEFAULT_PERIODS
    raw = query.get("periods") or ""
    count = default
    if raw:
        try:
            count = int(raw)
        except ValueError:
            count = 0
        if not 1 <= count <= MAX_PERIODS:
            problems.append(
                f"“{raw}” is not a number of periods: enter a whole number from 1 to "
                f"{MAX_PERIODS}. Showing {default}."
            )
            count = default
    sort = query.get("sort") or "kpi"
    if sort.lstrip("-") not in SORTS:
        problems.append(f"“{sort}” is not a column the grid sorts by. Sorted by KPI instead.")
        sort = "kpi"
    return Options(columns, count, sort, tuple(problems))


def column_periods(period: datetime.date, columns: str, count: int) -> list[datetime.date]:
    """The months (or quarters' last months) across the grid, oldest first, ending at ``period``.

    A quarter still running at ``period`` is not a column: the last is the
    latest quarter ended by then, as a quarterly KPI is read on the board.
    """
    if columns == QUARTERLY:
        end = periods.quarter_end(period)
        last = end if end == period else periods.add_months(end, -3)
        return [periods.add_months(last, -3 * n) for n in reversed(range(count))]
    return [periods.add_months(period, -n) for n in reversed(range(count))]


def column_label(column: datetime.date, columns: str) -> str:
    return periods.quarter_label(column) if columns == QUARTERLY else periods.month_label(column)


# One KPI's months ------------------------------------------------------------------


def figure_month(kpi: Kpi, column: datetime.date, columns: str) -> datetime.date | None:
    """The month a KPI's figure for a column is stored in, or None if it reports none there.

    A quarterly view shows a monthly KPI's quarter-end figure; a quarterly KPI
    shows in its quarter's column, an annual KPI in the column holding the
    month its year ends (``Kpi.period_end``).
    """
    spans_quarter = columns == QUARTERLY and kpi.frequency != Kpi.Frequency.MONTHLY
    end = kpi.period_end(periods.add_months(column, -2) if spans_quarter else column)
    return end if end <= column else None


def latest_month(kpi: Kpi, last: datetime.date) -> datetime.date:
    """The latest month at or before ``last`` that holds one of the KPI's figures."""
    return kpi.reporting_period(last)


def step_back(kpi: Kpi, columns: str) -> int:
    """Months from a figure to the one a column before it: the corporate report's Q1 beside Q2."""
    return max(kpi.rule.interval, 3 if columns == QUARTERLY else 1)


_NOT_REPORTED = {
    Kpi.Frequency.QUARTERLY: "Reported quarterly",
    Kpi.Frequency.ANNUAL: "Reported yearly",
}


@dataclass
class Cell:
    """One KPI in one column: its board row there, or why it has none."""

    column: datetime.date
    row: KpiRow | None
    frequency: str = Kpi.Frequency.MONTHLY
    change: DefinitionChange | None = None  # a break between the column before and this one
    footnote: int | None = None  # numbered once the grid's order is known

    @property
    def note(self) -> str:
        actual = self.row.actual if self.row else None
        return actual.note if actual is not None else ""

    @property
    def marks(self) -> SafeString:
        """Its sign-off and status tags, each drawn once per process (``reports.tables``)."""
        row = self.row
        return mark_safe(f"{provisional_html(row.provisional)} {status_html(row.status)}")

    @property
    def reason(self) -> str:
        """Why there is no figure to show: the KPI does not report in this column."""
        return "" if self.row else _NOT_REPORTED.get(self.frequency, "Not reported")


@dataclass(frozen=True)
class BenchmarkLine:
    name: str
    benchmark: Benchmark

    @property
    def label(self) -> str:
        return periods.month_label(self.benchmark.period)


@dataclass
class Line:
    """A KPI's row on the grid, with what the filters and sort links read.

    Its cells are worked out when first read, so a page of a long grid reads
    only its own lines' cells.
    """

    kpi: Kpi
    areas: tuple[PriorityArea, ...]
    row: KpiRow  # the latest figure's: target in force, status, trajectory
    previous: Actual | None
    change: DefinitionChange | None  # a break between ``previous`` and the latest figure
    benchmarks: list[BenchmarkLine]
    kind: str = MONTHLY
    group: str = ""
    position: int = 0
    columns: list[datetime.date] = field(default_factory=list)
    today: datetime.date | None = None

    @cached_property
    def cells(self) -> list[Cell]:
        kpi, columns = self.kpi, self.columns
        changes = list(kpi.definition_changes.all())
        cells = []
        for index, column in enumerate(columns):
            month = figure_month(kpi, column, self.kind)
            row = kpi_row(kpi, month, today=self.today) if month else None
            cell = Cell(column, row, kpi.frequency)
            if index:
                cell.change = DefinitionChange.between(changes, columns[index - 1], column)
            cells.append(cell)
        return cells

    @property
    def formula(self):
        return getattr(self.kpi, "formula", None)

    @cached_property
    def direction(self) -> rag.Direction | None:
        if self.change is not None or self.previous is None:
            return None
        return rag.direction(self.row.value, self.previous.value, self.kpi.rule)

    @property
    def direction_text(self) -> str:
        if self.change is not None:
            label = periods.month_label(self.change.starts)
            return f"Not compared: definition changed from {label}"
        if self.direction is not None:
            return f"{self.direction.label} since {self.label(self.previous.period)}"
        return "No figure" if self.row.actual is None else "No earlier figure"

    @cached_property
    def commentary(self) -> Actual | None:
        """The latest figure up to the latest column that answers any of the three questions."""
        found = board.commentary(self.kpi, self.row.period)
        return found[0] if found else None

    def label(self, period: datetime.date) -> str:
        """A figure's period as the grid names it: a quarter in a quarterly view."""
        if self.kind == QUARTERLY and self.kpi.frequency == Kpi.Frequency.MONTHLY:
            return periods.quarter_label(period)
        return self.kpi.period_label(period)

    def sort_value(self, key: str):
        if key == "status":
            order = board.STATUS_ORDER
            return order.index(self.row.status) if self.row.status in order else len(order)
        if key == "direction":
            order = board.DIRECTION_ORDER
            return order.index(self.direction) if self.direction in order else len(order)
        if key == "trajectory":
            verdict = self.row.trajectory.verdict
            order = board.VERDICT_ORDER
            return order.index(verdict) if verdict in order else len(order)
        return self.kpi.code.casefold()


def _benchmarks(kpi: Kpi, until: datetime.date) -> list[BenchmarkLine]:
    """Each comparator's latest figure published for a month up to ``until``."""
    names = dict(Benchmark.Comparator.choices)
    latest: dict[str, Benchmark] = {}
    for benchmark in kpi.benchmarks.all():
        if benchmark.period <= until:
            current = latest.get(benchmark.comparator)
            if current is None or benchmark.period > current.period:
                latest[benchmark.comparator] = benchmark
    return [BenchmarkLine(names.get(key, key), latest[key]) for key in names if key in latest]


def kpi_line(
    kpi: Kpi,
    columns: list[datetime.date],
    kind: str,
    *,
    until: datetime.date,
    today: datetime.date,
    areas: tuple[PriorityArea, ...],
) -> Line:
    """A KPI read ``scorecard_kpis()`` as the grid shows it; no queries."""
    changes = list(kpi.definition_changes.all())
    latest = latest_month(kpi, columns[-1])
    row = kpi_row(kpi, latest, today=today)
    before = periods.add_months(latest, -step_back(kpi, kind))
    previous = next((a for a in kpi.recent_actuals if a.period == before), None)
    return Line(
        kpi=kpi,
        areas=areas,
        row=row,
        previous=previous,
        change=DefinitionChange.between(changes, before, latest) if row.actual else None,
        benchmarks=_benchmarks(kpi, until),
        kind=kind,
        columns=columns,
        today=today,
    )


# Reading the KPIs ------------------------------------------------------------------


def scorecard_kpis(
    kpis: QuerySet, columns: list[datetime.date], until: datetime.date, *, lean: bool = False
) -> list[Kpi]:
    """What the grid reads for each KPI, fetched in six queries whatever the count.

    Figures come from a year before the first column (a figure's previous
    year, the trajectory's window) up to ``until``, never after it. ``lean``
    reads them as ``summary.Figure``s, enough to sort and filter the grid;
    ``full_figures`` then reads a page's KPIs' whole figures, for its cells.
    """
    read = (
        kpis.with_figures(*_window(columns, until), lean=lean)
        .select_related("formula__first", "formula__second")
        .prefetch_related(
            Prefetch("benchmarks", queryset=Benchmark.objects.order_by("comparator", "period")),
        )
    )
    kpis = list(read)
    if lean:
        attach_figures(kpis, *_window(columns, until))
    return kpis


def full_figures(kpis: list[Kpi], columns: list[datetime.date], until: datetime.date) -> None:
    """Give KPIs read ``lean`` their whole figures (notes, commentary, who saved them)."""
    attach_figures(kpis, *_window(columns, until), lean=False)


def _window(columns: list[datetime.date], until: datetime.date) -> tuple[datetime.date, ...]:
    window = (rag.TRAJECTORY_WINDOW - 1) * 3 + 2
    since = min(periods.add_months(columns[0], -12), periods.add_months(columns[-1], -window))
    return since, until


def saved_rows(scorecard: Scorecard) -> list[tuple[int, str, int]]:
    """A saved scorecard's (KPI id, group, position), in the order the council sets them."""
    return list(
        ScorecardRow.objects.filter(scorecard=scorecard)
        .order_by("position", "pk")
        .values_list("kpi_id", "group", "position")
    )


def months_with_figures(kpi_ids: list[int]) -> list[datetime.date]:
    """Every month in which any of these KPIs has a figure, oldest first. One query."""
    return list(
        Actual.objects.filter(kpi_id__in=kpi_ids)
        .shown_on_board()
        .order_by("period")
        .values_list("period", flat=True)
        .distinct()
    )


# The grid ---------------------------------------------------------------------------


@dataclass
class Group:
    heading: str
    lines: list[Line]


@dataclass(frozen=True)
class Footnote:
    number: int
    line: Line
    cell: Cell

    @property
    def text(self) -> str:
        return self.cell.note

    @property
    def where(self) -> str:
        return f"{self.line.kpi.code}, {self.line.kpi.period_label(self.cell.row.period)}"


@dataclass
class Grid:
    columns: list[datetime.date]
    kind: str
    groups: list[Group]
    footnotes: list[Footnote] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [column_label(column, self.kind) for column in self.columns]

    @property
    def lines(self) -> list[Line]:
        return [line for group in self.groups for line in group.lines]

    @property
    def has_breaks(self) -> bool:
        return any(cell.change for line in self.lines for cell in line.cells)


def sort_lines(lines: list[Line], options: Options) -> list[Line]:
    """The lines in the order asked; ties stay in KPI code order."""
    by_code = sorted(lines, key=lambda line: line.kpi.code.casefold())
    if options.sort_key == "kpi":
        return list(reversed(by_code)) if options.descending else by_code
    return sorted(
        by_code, key=lambda line: line.sort_value(options.sort_key), reverse=options.descending
    )


def _grouped(lines: list[Line], options: Options) -> dict[str, list[Line]]:
    """The lines under their headings (a saved scorecard's order), each group sorted.

    Lines without a group (a plan's KPIs) form one group with no heading.
    A sort other than the default orders the lines within each group.
    """
    groups: dict[str, list[Line]] = {}
    for line in sorted(lines, key=lambda line: line.position):
        groups.setdefault(line.group, []).append(line)
    saved = any(line.group or line.position for line in lines)
    return {
        heading: members if saved and options.sort == "kpi" else sort_lines(members, options)
        for heading, members in groups.items()
    }


def ordered(lines: list[Line], options: Options) -> list[Line]:
    """The lines in the grid's order, to take a page of (``build_grid`` keeps it)."""
    return [line for members in _grouped(lines, options).values() for line in members]


def build_grid(lines: list[Line], columns: list[datetime.date], options: Options) -> Grid:
    """The shown lines grouped under their headings, sorted, then their notes numbered."""
    grid = Grid(
        columns,
        options.columns,
        [Group(heading, members) for heading, members in _grouped(lines, options).items()],
    )
    for line in grid.lines:
        for cell in line.cells:
            if cell.note:
                cell.footnote = len(grid.footnotes) + 1
                grid.footnotes.append(Footnote(cell.footnote, line, cell))
    return grid
