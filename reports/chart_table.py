"""A KPI chart in words and numbers: its data table, the notes under it and its text alternative.

Says exactly what ``reports.charts.kpi_figure`` draws, from the same
``ChartInput``: a row for every period with a figure or a comparator (with its
footnote), one for each run of periods with no figure and one for each change
of definition (where the chart's line breaks), so a reader without the chart,
or without sight, misses nothing.
"""

import datetime
from dataclasses import dataclass, field

from django.utils.html import conditional_escape as escape
from django.utils.safestring import SafeString, mark_safe

from metrics import display, periods, rag
from metrics.models import DefinitionChange
from reports.chart_input import ChartInput, Gap
from reports.charts import DEFINITION_CHANGED


@dataclass(frozen=True)
class TableRow:
    period: datetime.date
    label: str
    actual: str
    target: str
    benchmarks: list[str] = field(default_factory=list)
    # A footnote to the figure, or the wording either side of a change of definition.
    note: str = ""
    is_break: bool = False
    has_figure: bool = False
    provisional: bool = False  # the figure is not yet signed off

    @property
    def sign_off(self) -> str:
        """The figure's sign-off in words; "" for a row with no figure."""
        return display.sign_off(self.provisional) if self.has_figure else ""

    @property
    def marked_actual(self) -> str:
        """The figure with "(provisional)" after it when it is."""
        return display.marked(self.actual, self.provisional)


@dataclass(frozen=True)
class ChartTable:
    """The chart in words and numbers: the same values the figure carries."""

    caption: str
    benchmark_labels: list[str]
    rows: list[TableRow]
    steps_heading: str
    target_steps: list[str]
    projection: str
    actions: list[str]
    changes: list[str] = field(default_factory=list)
    provisional: str = ""  # which figures are provisional, as a sentence

    @property
    def has_notes(self) -> bool:
        return any(row.note for row in self.rows)

    @property
    def has_provisional(self) -> bool:
        """Some figure is provisional: the table gains a sign-off column."""
        return any(row.provisional for row in self.rows)

    def rows_html(self) -> SafeString:
        """The table's body rows, every value escaped.

        Written here rather than by a template loop: an area page has a
        thousand of these rows, and a template costs several times as much
        per cell.
        """
        notes, provisional = self.has_notes, self.has_provisional
        return mark_safe("".join(_row_html(row, notes, provisional) for row in self.rows))


EN_DASH = "\N{EN DASH}"


def _row_html(row: TableRow, notes: bool, provisional: bool) -> str:
    """A body row with no class on each cell: ``.app-chart-table`` styles them (reports.css)
    as GOV.UK's table cells, so a long history stays light on a page of charts. Each value
    is escaped directly: ``format_html`` costs several times as much per cell."""
    cells = [f'<td data-series="actual">{escape(row.actual or "No figure")}</td>']
    cells.append(f"<td>{escape(row.target or 'None set')}</td>")
    cells.extend(f"<td>{escape(v or EN_DASH)}</td>" for v in row.benchmarks)
    if notes:
        cells.append(f'<td class="app-chart-table__note">{escape(row.note)}</td>')
    if provisional:
        cells.append(f'<td class="app-chart-table__text">{escape(row.sign_off)}</td>')
    return (
        f'<tr data-period="{row.period.isoformat()}"><th scope="row">{escape(row.label)}</th>'
        f"{''.join(cells)}</tr>"
    )


def _gap_rows(chart: ChartInput, count: int) -> list[TableRow]:
    """A row for each run of periods with no figure, and for any since the last one.

    A run no figure was asked for says so ("Not required"); the template
    writes "No figure" for the rest.
    """
    gaps = [*chart.gaps, *filter(None, [chart.missing_since])]
    return [
        TableRow(
            period=run.first,
            label=chart.span(run.first, run.last),
            actual="" if asked else rag.Status.NOT_REQUIRED.label,
            target=_targets_over(chart, run),
            benchmarks=[""] * count,
        )
        for gap in gaps
        for run, asked in _runs(chart, gap)
    ]


def _runs(chart: ChartInput, gap: Gap) -> list[tuple[Gap, bool]]:
    """A gap split where its periods turn between asked for and not required."""
    if chart.asked is None:
        return [(gap, True)]
    runs: list[tuple[Gap, bool]] = []
    for period in periods.month_range(gap.first, gap.last, chart.interval):
        asked = chart.asked(period)
        if runs and runs[-1][1] == asked:
            runs[-1] = (Gap(runs[-1][0].first, period), asked)
        else:
            runs.append((Gap(period, period), asked))
    return runs


def _targets_over(chart: ChartInput, gap: Gap) -> str:
    """The target in force at the start of a gap, and each step taken during it."""
    first = chart.target_text(rag.target_in_force(chart.steps, gap.first))
    during = [_step_note(chart, s) for s in chart.ordered_steps if gap.first < s.starts <= gap.last]
    return "; ".join(filter(None, [first, *during]))


def change_text(change: DefinitionChange) -> str:
    """A change of definition in words: from when, and the wording either side."""
    return (
        f"From {periods.month_label(change.starts)} the definition changed from "
        f"“{change.old_definition}” to “{change.new_definition}”: figures either side "
        "are not compared or joined."
    )


def _break_rows(chart: ChartInput, count: int) -> list[TableRow]:
    """A row where the chart's line breaks for a change of definition."""
    return [
        TableRow(
            period=change.starts,
            label=f"From {periods.month_label(change.starts)}",
            actual=DEFINITION_CHANGED,
            target="",
            benchmarks=[""] * count,
            note=f"Was “{change.old_definition}”; now “{change.new_definition}”.",
            is_break=True,
        )
        for change in chart.breaks
    ]


def chart_table(chart: ChartInput) -> ChartTable:
    actual, notes = dict(chart.actuals), dict(chart.notes)
    by_benchmark = [dict(b.points) for b in chart.benchmarks]
    rows = [
        TableRow(
            period=p,
            label=chart.label(p),
            actual=chart.show(actual.get(p)),
            target=chart.target_text(rag.target_in_force(chart.steps, p)),
            benchmarks=[chart.show(points.get(p)) for points in by_benchmark],
            note=notes.get(p, "") if p in actual else "",
            has_figure=p in actual,
            provisional=p in actual and p in chart.provisional,
        )
        for p in sorted(set(chart.data_periods))
    ]
    rows = sorted(
        [*rows, *_gap_rows(chart, len(by_benchmark)), *_break_rows(chart, len(by_benchmark))],
        # A change of definition reads before the first figure on the new definition.
        key=lambda row: (row.period, not row.is_break),
    )
    projection = ""
    if chart.projection:
        (_, _), (horizon, value) = chart.projection
        t = chart.trajectory
        # A neutral KPI's reference level is no target: nothing to read the projection against.
        against = chart.against(t.target) if t.verdict != rag.Verdict.NO_TARGET else ""
        projection = (
            f"If the trend of the last {t.points} figures continues, "
            f"{chart.show(value)} by {periods.month_label(horizon)}{against}: {t.verdict.label}."
        )
    actions = [
        f"{mark.ref} completed {mark.day:%-d %b %Y}: {mark.description}"
        for mark in sorted(chart.actions, key=lambda m: m.day)
    ]
    return ChartTable(
        caption=f"{chart.code} {chart.title}: {_contents(chart)} by period, {chart.covered}",
        benchmark_labels=[b.label for b in chart.benchmarks],
        rows=rows,
        steps_heading=_steps_heading(chart),
        target_steps=[_step_note(chart, step) for step in chart.ordered_steps],
        projection=projection,
        actions=actions,
        changes=[change_text(change) for change in chart.changes],
        provisional=provisional_note(chart),
    )


def provisional_text(chart: ChartInput) -> str:
    """The figures not yet signed off, named: "Aug 2021 and Sep 2021"; "" when none."""
    labels = [chart.label(p) for p in chart.provisional_periods]
    if len(labels) > 1:
        return f"{', '.join(labels[:-1])} and {labels[-1]}"
    return "".join(labels)


def provisional_note(chart: ChartInput) -> str:
    """The sentence under a chart naming its provisional figures; "" when none."""
    if not chart.provisional_periods:
        return ""
    return (
        f"{display.PROVISIONAL} (hollow points on the chart), {display.PROVISIONAL_MEANING}: "
        f"{provisional_text(chart)}."
    )


def _step_note(chart: ChartInput, step: rag.Step) -> str:
    """A step under the chart: "80.0% from Feb 2021"; a neutral KPI's value is no target."""
    level = display.step(step, chart.decimal_places, chart.unit)
    note = f"{level} from {periods.month_label(step.starts)}"
    return f"{note} (not a target)" if chart.neutral and not step.is_band else note


def _contents(chart: ChartInput) -> str:
    """What the table holds, naming a target only where one is set."""
    parts = ["figures"]
    if any(s.is_band for s in chart.steps):
        parts.append("target band")
    elif chart.steps:
        parts.append("reference level" if chart.neutral else "target")
    if chart.benchmarks:
        parts.append("comparators")
    return ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else parts[0]


def _steps_heading(chart: ChartInput) -> str:
    if any(s.is_band for s in chart.steps):
        return "Target band steps"
    return "Reference level" if chart.neutral else "Target steps"


def describe(chart: ChartInput, *, detail: str = "The table below gives every value.") -> str:
    """One sentence for the chart's text alternative; ``detail`` says where the rest is."""
    if not chart.actuals:
        return f"Chart of {chart.code}: no figures recorded yet."
    first, _ = min(chart.actuals)
    last_period, last_value = max(chart.actuals)
    count = len(chart.actuals)
    figures = f"{count} figures from" if count > 1 else "1 figure, for"
    step = rag.target_in_force(chart.steps, last_period)
    gaps = ""
    if chart.gaps:
        missing = [chart.span(gap.first, gap.last) for gap in chart.gaps]
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        gaps = f" No figure was reported for {', '.join(missing[:3])}{more}."
    breaks = "".join(
        f" The definition changed from {periods.month_label(change.starts)}: the line breaks there."
        for change in chart.breaks
    )
    provisional = f" {provisional_note(chart)}" if chart.provisional_periods else ""
    latest = display.marked(chart.show(last_value), last_period in chart.provisional)
    return (
        f"Chart of {chart.code} {chart.title}: {figures} {chart.span(first, last_period)}; "
        f"the latest is {latest}{chart.against(step)}.{gaps}{breaks}{provisional} {detail}"
    )
