"""Trajectory charts: a KPI's figures against its stepped target, as plotly figure JSON.

Pure: takes plain values (a KPI's series, its target steps and the trajectory
``metrics.rag`` worked out) and returns what plotly.js draws;
``reports.chart_table`` says the same in words. No database and no request,
so it is tested on its own. The page passes the figure through ``json_script``;
``static/js/charts.js`` draws it with the vendored plotly.js basic bundle.

Series differ by line style and marker as well as colour (Okabe-Ito, safe for
the common kinds of colour blindness): a reader of a black-and-white print
can still tell the target from a benchmark.
"""

import datetime
import html
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

import plotly.graph_objects as go

from metrics import display, periods, rag
from metrics.models import DefinitionChange

# The vendored bundle under static/; it must be the plotly.js the Python
# package was built for (tests/reports/test_charts.py checks).
PLOTLY_JS_VERSION = "4.1.1"
PLOTLY_JS = f"vendor/plotly/plotly-basic-{PLOTLY_JS_VERSION}.min.js"

# Okabe-Ito.
BLACK = "#000000"
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
SKY = "#56B4E9"
GREY = "#505a5f"
BAND_FILL = "rgba(86, 180, 233, 0.25)"

# Benchmark comparator -> (colour, dash, marker); unknown comparators fall back.
COMPARATOR_STYLES = {
    "statistical_neighbours": (ORANGE, "dash", "square"),
    "region": (GREEN, "dashdot", "diamond"),
    "england": (PURPLE, "longdash", "x"),
}
FALLBACK_STYLE = (SKY, "dash", "star")

FONT = "Arial, Helvetica, sans-serif"

REFERENCE_LEVEL = "Reference level (not a target)"
DEFINITION_CHANGED = "Definition changed"
FOOTNOTE = "Figure with a footnote"


def text(words: str) -> str:
    """Words as plotly.js shows them, never as markup.

    plotly.js draws a few HTML tags (links among them) found in titles,
    names and hover labels, and fills in %{...} templates; escaped, a KPI's
    code or an action's description reads exactly as typed.
    """
    return html.escape(str(words), quote=False).replace("%{", "&#37;{")


def _later(day: datetime.date, months: int) -> datetime.date:
    """``months`` periods on, or the day itself at the end of the calendar."""
    try:
        return periods.add_months(day, months)
    except ValueError:
        return day


def _shift(day: datetime.date, days: int) -> datetime.date:
    try:
        return day + datetime.timedelta(days=days)
    except OverflowError:
        return day


@dataclass(frozen=True)
class Benchmark:
    """One comparator's series: statistical neighbours, the region or England."""

    key: str
    label: str
    points: Sequence[tuple[datetime.date, Decimal]]


@dataclass(frozen=True)
class ActionMark:
    """A completed action, placed on the time axis at its completed date."""

    day: datetime.date
    ref: str
    description: str


@dataclass(frozen=True)
class Gap:
    """Reporting periods with no figure, from ``first`` to ``last``."""

    first: datetime.date
    last: datetime.date


@dataclass(frozen=True)
class ChartInput:
    """Everything a KPI's chart shows; built from a KpiRow and the KPI's history."""

    code: str
    title: str
    unit: str
    decimal_places: int
    frequency: str
    polarity: str
    period: datetime.date  # the period the trajectory was read at
    actuals: Sequence[tuple[datetime.date, Decimal]]
    steps: Sequence[rag.Step]
    trajectory: rag.Trajectory | None = None
    benchmarks: Sequence[Benchmark] = ()
    actions: Sequence[ActionMark] = ()
    viewed: datetime.date | None = None  # the month the page shows; ``period`` if not given
    # Whether a figure was asked for a period (Kpi.asked_for); None: always.
    asked: Callable[[datetime.date], bool] | None = None
    # The KPI's changes of definition (unsaved ones do): the line breaks at each.
    changes: Sequence[DefinitionChange] = ()
    # Footnotes to figures, by period: shown beside the figure, never part of it.
    notes: Mapping[datetime.date, str] = ()

    @property
    def caption(self) -> str:
        """The chart's title as plain words (the figure carries it escaped for plotly.js)."""
        return f"{self.code}: {self.subject}, {self.covered}"

    @property
    def has_data(self) -> bool:
        return bool(self.actuals or self.steps or any(b.points for b in self.benchmarks))

    @property
    def interval(self) -> int:
        """Months between two reporting periods."""
        return rag.Rule(polarity=self.polarity, frequency=self.frequency).interval

    @property
    def neutral(self) -> bool:
        return self.polarity == rag.NEUTRAL

    def label(self, period: datetime.date) -> str:
        return periods.period_label(period, self.frequency)

    def span(self, first: datetime.date, last: datetime.date) -> str:
        """From one period to another in words, or the one label when both are the same."""
        if self.label(first) == self.label(last):
            return self.label(first)
        return f"{self.label(first)} to {self.label(last)}"

    def show(self, value: Decimal | None) -> str:
        return display.figure(value, self.decimal_places, self.unit)

    def target_text(self, step: rag.Step | None) -> str:
        return display.step(step, self.decimal_places, self.unit, self.polarity)

    def against(self, step: rag.Step | None) -> str:
        return display.against(step, self.decimal_places, self.unit, self.polarity)

    @cached_property
    def gaps(self) -> tuple[Gap, ...]:
        """Runs of reporting periods between two figures with no figure of their own."""
        found = []
        days = sorted(p for p, _ in self.actuals)
        for before, after in itertools.pairwise(days):
            if periods.months_between(before, after) > self.interval:
                found.append(Gap(_later(before, self.interval), _later(after, -self.interval)))
        return tuple(found)

    @cached_property
    def breaks(self) -> tuple[DefinitionChange, ...]:
        """The changes of definition between two of the chart's figures, in order.

        Figures either side of one are never joined (``DefinitionChange.between``).
        """
        days = sorted(p for p, _ in self.actuals)
        found = {
            change.starts: change
            for before, after in itertools.pairwise(days)
            if (change := DefinitionChange.between(self.changes, before, after))
        }
        return tuple(found[day] for day in sorted(found))

    @property
    def series(self) -> list[tuple[datetime.date, Decimal | None]]:
        """The actuals in order, with a None at the start of each gap, and at each change of
        definition, to break the line there."""
        breaks = [*(gap.first for gap in self.gaps), *(c.starts for c in self.breaks)]
        points = [*sorted(self.actuals), *((day, None) for day in breaks)]
        # A break sorts before a figure for its own month, so the line starts again there.
        return sorted(points, key=lambda point: (point[0], point[1] is not None))

    @property
    def noted(self) -> list[tuple[datetime.date, Decimal, str]]:
        """The figures that carry a footnote, with it, in order."""
        notes = dict(self.notes)
        return [(p, v, notes[p]) for p, v in sorted(self.actuals) if notes.get(p)]

    @cached_property
    def projection(self) -> tuple[tuple[datetime.date, Decimal], ...]:
        """Two points: the last actual at or before the period read, and the projection.

        Empty when the trajectory projected nothing (too few figures).
        """
        t = self.trajectory
        if t is None or t.projected is None or t.horizon is None:
            return ()
        earlier = [(p, v) for p, v in self.actuals if p <= self.period]
        if not earlier:
            return ()
        return (max(earlier), (t.horizon, t.projected))

    @property
    def data_periods(self) -> list[datetime.date]:
        return [p for p, _ in self.actuals] + [p for b in self.benchmarks for p, _ in b.points]

    @cached_property
    def reach(self) -> datetime.date:
        """The latest month the chart shows: the month viewed, a later figure, the projection."""
        reach = [self.viewed or self.period, self.period, *self.data_periods]
        if self.projection:
            reach.append(self.projection[1][0])
        return max(reach)

    @cached_property
    def drawn_steps(self) -> tuple[rag.Step, ...]:
        """The target steps in force up to ``reach``, and the next one after the month viewed.

        That next step shows where the figures are heading; later ones are
        only listed under the chart.
        """
        ahead = rag.next_step(self.steps, self.viewed or self.period)
        return tuple(s for s in self.ordered_steps if s.starts <= self.reach or s == ahead)

    @property
    def end(self) -> datetime.date:
        """Where the time axis ends: ``reach``, or a period past the last step drawn, so it
        shows as a level rather than a point.
        """
        if not self.drawn_steps:
            return self.reach
        return max(self.reach, _later(self.drawn_steps[-1].starts, self.interval))

    @property
    def start(self) -> datetime.date:
        starts = [*self.data_periods, *(s.starts for s in self.drawn_steps)]
        return min(starts, default=self.end)

    @cached_property
    def ordered_steps(self) -> tuple[rag.Step, ...]:
        return tuple(sorted(self.steps, key=lambda s: s.starts))

    @property
    def missing_since(self) -> Gap | None:
        """The periods after the last figure up to the period read, if there are any."""
        last = max((p for p, _ in self.actuals), default=None)
        if last is None or periods.months_between(last, self.period) < self.interval:
            return None
        return Gap(_later(last, self.interval), self.period)

    @property
    def covered(self) -> str:
        """The periods the chart covers, from its first figure to the period read."""
        data = self.data_periods
        return self.span(min(data, default=self.period), max([self.period, *data]))

    @property
    def subject(self) -> str:
        """What the chart sets the figures against, in words that never claim a missing target."""
        steps = self.drawn_steps
        if any(s.is_band for s in steps):
            return "actual against target band" if self.neutral else "actual against target"
        if self.neutral:
            return "actual (monitored: no target band)"
        return "actual against target" if steps else "actual (no target set)"


# The figure ----------------------------------------------------------------


def _x(day: datetime.date) -> str:
    return day.isoformat()


def _y(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _hover(chart: ChartInput, name: str) -> str:
    unit = text(display.unit_suffix(chart.unit))
    return f"%{{text}}<br>{text(name)}: %{{y:,.{chart.decimal_places}f}}{unit}<extra></extra>"


def _step_line(
    steps: list[rag.Step], end: datetime.date, level
) -> tuple[list, list[float | None], list]:
    """Each step as a flat segment from its month to the next step's; a gap where it has no level.

    Drawn with line_shape "hv", consecutive steps join with a vertical rise or fall.
    """
    xs, ys, labels = [], [], []
    for i, step in enumerate(steps):
        value = level(step)
        until = steps[i + 1].starts if i + 1 < len(steps) else end
        if value is None:
            if xs and xs[-1] is not None:
                xs.append(None)
                ys.append(None)
                labels.append(None)
            continue
        xs += [_x(step.starts), _x(until)]
        ys += [_y(value), _y(value)]
        labels += [
            f"From {periods.month_label(step.starts)}",
            f"In force to {periods.month_label(until)}",
        ]
    return xs, ys, labels


def _level_trace(chart: ChartInput, name: str, level, *, hover: str = "", **style) -> go.Scatter:
    """One level of the drawn steps (a target, a band's edge) as a step line to the axis end."""
    xs, ys, labels = _step_line(list(chart.drawn_steps), chart.end, level)
    return go.Scatter(
        name=text(name),
        x=xs,
        y=ys,
        text=labels,
        mode="lines",
        hovertemplate=_hover(chart, hover or name),
        connectgaps=False,
        **style,
    )


def _value(step: rag.Step) -> Decimal | None:
    return None if step.is_band else step.value


def _lower(step: rag.Step) -> Decimal | None:
    return step.lower if step.is_band else None


def _upper(step: rag.Step) -> Decimal | None:
    return step.upper if step.is_band else None


def _target_traces(chart: ChartInput) -> list[go.Scatter]:
    """The stepped target as a step line; a band's edges with the band shaded between.

    A neutral KPI is rated only against a band, so a single value set for it
    is drawn as a reference level, unlike a target.
    """
    steps = chart.drawn_steps
    traces = []
    if any(not s.is_band for s in steps):
        if chart.neutral:
            line = {"shape": "hv", "color": GREY, "width": 2, "dash": "longdashdot"}
            traces.append(_level_trace(chart, REFERENCE_LEVEL, _value, line=line))
        else:
            line = {"shape": "hv", "color": BLACK, "width": 3}
            traces.append(_level_trace(chart, "Target", _value, line=line))
    if any(s.is_band for s in steps):
        band = {"line": {"shape": "hv", "color": SKY, "width": 1}, "legendgroup": "band"}
        traces += [
            _level_trace(chart, "Target band: lower edge", _lower, showlegend=False, **band),
            _level_trace(
                chart,
                "Target band (shaded)",
                _upper,
                hover="Target band: upper edge",
                fill="tonexty",
                fillcolor=BAND_FILL,
                **band,
            ),
        ]
    return traces


def _actual_trace(chart: ChartInput) -> go.Scatter:
    """Solid with dots; a missing period breaks the line rather than bridging it."""
    series = chart.series
    return go.Scatter(
        name="Actual",
        x=[_x(p) for p, _ in series],
        y=[_y(v) for _, v in series],
        text=[text(chart.label(p)) for p, _ in series],
        mode="lines+markers",
        line={"color": BLUE, "width": 3},
        marker={"symbol": "circle", "size": 9, "color": BLUE},
        hovertemplate=_hover(chart, "Actual"),
        connectgaps=False,
    )


def _benchmark_trace(chart: ChartInput, benchmark: Benchmark) -> go.Scatter:
    colour, dash, symbol = COMPARATOR_STYLES.get(benchmark.key, FALLBACK_STYLE)
    return go.Scatter(
        name=text(benchmark.label),
        x=[_x(p) for p, _ in benchmark.points],
        y=[_y(v) for _, v in benchmark.points],
        text=[text(chart.label(p)) for p, _ in benchmark.points],
        mode="lines+markers",
        line={"color": colour, "dash": dash, "width": 2},
        marker={"symbol": symbol, "size": 10, "color": colour},
        hovertemplate=_hover(chart, benchmark.label),
    )


def _projection_trace(chart: ChartInput) -> go.Scatter:
    (start, start_value), (horizon, projected) = chart.projection
    verdict = chart.trajectory.verdict.label
    return go.Scatter(
        name=text(f"Projection to {periods.month_label(horizon)}: {verdict.lower()}"),
        x=[_x(start), _x(horizon)],
        y=[_y(start_value), _y(projected)],
        text=[
            text(f"Last figure, {chart.label(start)}"),
            text(f"Projected, {periods.month_label(horizon)}"),
        ],
        mode="lines+markers",
        line={"color": VERMILLION, "dash": "dot", "width": 3},
        marker={"symbol": "circle-open", "size": 11, "color": VERMILLION},
        hovertemplate=_hover(chart, "Projection"),
    )


def _actions_trace(chart: ChartInput) -> go.Scatter:
    marks = sorted(chart.actions, key=lambda m: m.day)
    return go.Scatter(
        name="Action completed",
        x=[_x(m.day) for m in marks],
        y=[0.04] * len(marks),
        yaxis="y2",
        text=[text(f"Action {m.ref}, completed {m.day:%-d %b %Y}") for m in marks],
        hovertext=[_wrap(m.description) for m in marks],
        mode="markers",
        marker={
            "symbol": "triangle-up",
            "size": 14,
            "color": PURPLE,
            "line": {"color": BLACK, "width": 1},
        },
        hovertemplate="%{text}<br>%{hovertext}<extra></extra>",
    )


def _notes_trace(chart: ChartInput) -> go.Scatter:
    """A ring around each figure with a footnote; the note is its hover text."""
    noted = chart.noted
    return go.Scatter(
        name=FOOTNOTE,
        x=[_x(p) for p, _, _ in noted],
        y=[_y(v) for _, v, _ in noted],
        text=[text(f"Footnote to {chart.label(p)}") for p, _, _ in noted],
        hovertext=[_wrap(note) for _, _, note in noted],
        mode="markers",
        marker={
            "symbol": "circle-open",
            "size": 18,
            "color": BLACK,
            "line": {"color": BLACK, "width": 2},
        },
        hovertemplate="%{text}<br>%{hovertext}<extra></extra>",
    )


def _break_marks(chart: ChartInput) -> tuple[list[dict], list[dict]]:
    """A dashed vertical line just before each change of definition, labelled, with the
    old and new wording as its hover text."""
    shapes, annotations = [], []
    for change in chart.breaks:
        at = _x(_shift(change.starts, -15))
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": at,
                "x1": at,
                "y0": 0,
                "y1": 1,
                "line": {"color": GREY, "width": 2, "dash": "dot"},
            }
        )
        annotations.append(
            {
                "x": at,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "yanchor": "top",
                "xanchor": "left",
                "showarrow": False,
                "text": text(DEFINITION_CHANGED),
                "bgcolor": "#ffffff",
                "hovertext": _wrap(
                    f"From {periods.month_label(change.starts)}: was “{change.old_definition}”; "
                    f"now “{change.new_definition}”",
                ),
            }
        )
    return shapes, annotations


def kpi_figure(chart: ChartInput) -> dict:
    """The plotly figure for a KPI, as the JSON-ready dict plotly.js takes.

    Actuals are a solid line with dots, broken where a period has no figure;
    the target a thick black step line (a band shaded between its edges, a
    neutral KPI's reference level dash-dotted grey); each benchmark dashed
    in its own style; the projection dotted from the last actual to the next
    target step; completed actions as triangles along the bottom; a ring
    round each figure with a footnote; a dotted vertical line labelled
    "Definition changed" where the line breaks for a change of definition. The time
    axis runs to the month viewed and on to the projection. Every text is
    escaped (``text``): plotly.js would otherwise draw markup in it.
    """
    traces = [*_target_traces(chart), _actual_trace(chart)]
    traces += [_benchmark_trace(chart, benchmark) for benchmark in chart.benchmarks]
    if chart.projection:
        traces.append(_projection_trace(chart))
    if chart.noted:
        traces.append(_notes_trace(chart))
    if chart.actions:
        traces.append(_actions_trace(chart))
    return go.Figure(data=traces, layout=_layout(chart)).to_plotly_json()


_X_TITLES = {3: "Quarter (plotted at its last month)", 12: "Year (plotted at its last month)"}


def _layout(chart: ChartInput) -> dict:
    x_title = _X_TITLES.get(chart.interval, "Month")
    shapes, annotations = _break_marks(chart)
    return {
        "shapes": shapes,
        "annotations": annotations,
        "template": "none",
        "title": {
            "text": text(chart.caption),
            "x": 0,
            "xanchor": "left",
            "font": {"size": 18},
        },
        "font": {"family": FONT, "size": 15, "color": "#0b0c0c"},
        "height": 480,
        "autosize": True,
        "margin": {"l": 80, "r": 24, "t": 56, "b": 24},
        "hovermode": "closest",
        "showlegend": True,
        # At the foot of the whole figure, so it never sits on the axis title.
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "yref": "container",
            "y": 0,
            "yanchor": "bottom",
        },
        "xaxis": {
            "type": "date",
            "title": {"text": x_title},
            "tickformat": "%b %Y",
            **_time_axis(chart),
            "showline": True,
            "linecolor": GREY,
            "ticks": "outside",
            "automargin": True,
        },
        "yaxis": {
            "title": {"text": text(display.axis_title(chart.unit))},
            "gridcolor": "#d9d9d9",
            "zeroline": False,
            "ticksuffix": "%" if chart.unit == "percent" else "",
            "rangemode": "tozero" if chart.unit != "percent" else "normal",
            "automargin": True,
        },
        # Completed actions sit on their own hidden axis, so they stay along
        # the bottom whatever the KPI's scale.
        "yaxis2": {"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True},
    }


def _time_axis(chart: ChartInput) -> dict:
    """From the first point to the month viewed (or the projection), ticked on whole periods.

    Half a month's margin each side keeps the end markers whole; the range
    is fixed, so the axis never stops at the last figure.
    """
    days = [m.day for m in chart.actions]
    first, last = min([chart.start, *days]), max([chart.end, *days])
    span = periods.months_between(first, last)
    step = next((n for limit, n in ((12, 1), (24, 2), (48, 3), (96, 6)) if span <= limit), 12)
    step = max(step, chart.interval)
    return {
        "range": [_x(_shift(first, -15)), _x(_shift(last, 15))],
        "tick0": _x(periods.month_start(first)),
        "dtick": f"M{step}",
    }


def _wrap(words: str, width: int = 60) -> str:
    """Break long hover text into lines plotly can show."""
    lines, line = [], ""
    for word in words.split():
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return "<br>".join(text(line) for line in lines[:4]) + ("…" if len(lines) > 4 else "")
