"""Trajectory charts: a KPI's figures against its stepped target, as plotly figure JSON.

Pure: takes plain values (a KPI's series, its target steps and the trajectory
``metrics.rag`` worked out) and returns what plotly.js draws, plus the table
that says the same in words. No database and no request, so it is tested on
its own. The page passes the figure through ``json_script``;
``static/js/charts.js`` draws it with the vendored plotly.js basic bundle.

Series differ by line style and marker as well as colour (Okabe-Ito, safe for
the common kinds of colour blindness): a reader of a black-and-white print
can still tell the target from a benchmark.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import plotly.graph_objects as go

from metrics import periods, rag

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
BAND_FILL = "rgba(86, 180, 233, 0.25)"

# Benchmark comparator -> (colour, dash, marker); unknown comparators fall back.
COMPARATOR_STYLES = {
    "statistical_neighbours": (ORANGE, "dash", "square"),
    "region": (GREEN, "dashdot", "diamond"),
    "england": (PURPLE, "longdash", "x"),
}
FALLBACK_STYLE = (SKY, "dash", "star")

UNIT_TITLES = {
    "percent": "Percentage (%)",
    "rate_per_10000": "Rate per 10,000 children",
    "count": "Number of children",
    "days": "Days",
    "fte": "Full-time equivalent posts",
    "number": "Number",
}
UNIT_SUFFIX = {"percent": "%", "days": " days", "fte": " FTE"}

FONT = "Arial, Helvetica, sans-serif"


def unit_suffix(unit: str) -> str:
    return UNIT_SUFFIX.get(unit, "")


def show(value: Decimal | None, places: int, unit: str = "") -> str:
    """A figure as the pages print it: the KPI's decimal places, and % for percentages."""
    if value is None:
        return ""
    return f"{rag.fmt(value, places)}{unit_suffix(unit)}"


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

    @property
    def has_data(self) -> bool:
        return bool(self.actuals or self.steps or any(b.points for b in self.benchmarks))

    def label(self, period: datetime.date) -> str:
        return periods.period_label(period, self.frequency)

    def show(self, value: Decimal | None) -> str:
        return show(value, self.decimal_places, self.unit)

    @property
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
    def first(self) -> datetime.date | None:
        starts = [p for p, _ in self.actuals] + [p for b in self.benchmarks for p, _ in b.points]
        return min(starts, default=None)

    @property
    def last(self) -> datetime.date | None:
        ends = [p for p, _ in self.actuals] + [p for b in self.benchmarks for p, _ in b.points]
        if self.projection:
            ends.append(self.projection[1][0])
        return max(ends, default=None)


# The table: the chart's accessible equivalent ----------------------------


@dataclass(frozen=True)
class TableRow:
    period: datetime.date
    label: str
    actual: str
    target: str
    benchmarks: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ChartTable:
    """The chart in words and numbers: the same values the figure carries."""

    caption: str
    benchmark_labels: list[str]
    rows: list[TableRow]
    target_steps: list[str]
    projection: str
    actions: list[str]


def chart_table(chart: ChartInput) -> ChartTable:
    actual = dict(chart.actuals)
    by_benchmark = [dict(b.points) for b in chart.benchmarks]
    shown = sorted(set(actual) | {p for points in by_benchmark for p in points})
    rows = [
        TableRow(
            period=p,
            label=chart.label(p),
            actual=chart.show(actual.get(p)),
            target=_target_text(chart, rag.target_in_force(chart.steps, p)),
            benchmarks=[chart.show(points.get(p)) for points in by_benchmark],
        )
        for p in shown
    ]
    steps = [
        f"{_target_text(chart, step)} from {periods.month_label(step.starts)}"
        for step in sorted(chart.steps, key=lambda s: s.starts)
    ]
    projection = ""
    if chart.projection:
        (_, _), (horizon, value) = chart.projection
        t = chart.trajectory
        against = f" against a target of {_target_text(chart, t.target)}" if t.target else ""
        projection = (
            f"If the trend of the last {t.points} figures continues, "
            f"{chart.show(value)} by {periods.month_label(horizon)}{against}: {t.verdict.label}."
        )
    actions = [
        f"{mark.ref} completed {mark.day:%-d %b %Y}: {mark.description}"
        for mark in sorted(chart.actions, key=lambda m: m.day)
    ]
    return ChartTable(
        caption=f"{chart.code} {chart.title}: figures, target and comparators by period",
        benchmark_labels=[b.label for b in chart.benchmarks],
        rows=rows,
        target_steps=steps,
        projection=projection,
        actions=actions,
    )


def step_text(step: rag.Step | None, places: int, unit: str = "") -> str:
    """A target step as the pages print it: "95.0%", or a band "40.0 to 50.0"."""
    if step is None:
        return ""
    if step.is_band:
        return f"{show(step.lower, places, unit)} to {show(step.upper, places, unit)}"
    return show(step.value, places, unit)


def _target_text(chart: ChartInput, step: rag.Step | None) -> str:
    return step_text(step, chart.decimal_places, chart.unit)


# The figure ----------------------------------------------------------------


def _x(day: datetime.date) -> str:
    return day.isoformat()


def _y(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _hover(chart: ChartInput, name: str) -> str:
    unit = unit_suffix(chart.unit)
    return f"%{{text}}<br>{name}: %{{y:,.{chart.decimal_places}f}}{unit}<extra></extra>"


def _step_line(
    steps: list[rag.Step], end: datetime.date, level
) -> tuple[list, list[float | None], list]:
    """Each step as a flat segment from its month to the next step's; a gap where it has no level.

    Drawn with line_shape "hv", consecutive steps join with a vertical rise or fall.
    """
    xs, ys, text = [], [], []
    for i, step in enumerate(steps):
        value = level(step)
        until = steps[i + 1].starts if i + 1 < len(steps) else end
        if value is None:
            if xs and xs[-1] is not None:
                xs.append(None)
                ys.append(None)
                text.append(None)
            continue
        xs += [_x(step.starts), _x(until)]
        ys += [_y(value), _y(value)]
        text += [
            f"From {periods.month_label(step.starts)}",
            f"In force to {periods.month_label(until)}",
        ]
    return xs, ys, text


def _target_traces(chart: ChartInput, end: datetime.date) -> list[go.Scatter]:
    """The stepped target as a step line; a band's edges with the band shaded between."""
    steps = sorted(chart.steps, key=lambda s: s.starts)
    if not steps:
        return []
    # Carry the last step on to the right edge, so it reads as still in force.
    end = max(end, periods.add_months(steps[-1].starts, 3 if chart.frequency == "quarterly" else 1))
    traces = []
    if any(not s.is_band for s in steps):
        xs, ys, text = _step_line(steps, end, lambda s: None if s.is_band else s.value)
        traces.append(
            go.Scatter(
                name="Target",
                x=xs,
                y=ys,
                text=text,
                mode="lines",
                line={"shape": "hv", "color": BLACK, "width": 3},
                hovertemplate=_hover(chart, "Target"),
                connectgaps=False,
            )
        )
    if any(s.is_band for s in steps):
        for name, edge, extra in (
            (
                "Target band: lower edge",
                lambda s: s.lower if s.is_band else None,
                {"showlegend": False},
            ),
            (
                "Target band (shaded)",
                lambda s: s.upper if s.is_band else None,
                {"fill": "tonexty", "fillcolor": BAND_FILL},
            ),
        ):
            xs, ys, text = _step_line(steps, end, edge)
            traces.append(
                go.Scatter(
                    name=name,
                    x=xs,
                    y=ys,
                    text=text,
                    mode="lines",
                    line={"shape": "hv", "color": SKY, "width": 1},
                    hovertemplate=_hover(chart, name.replace("Target band", "Band")),
                    legendgroup="band",
                    connectgaps=False,
                    **extra,
                )
            )
    return traces


def kpi_figure(chart: ChartInput) -> dict:
    """The plotly figure for a KPI, as the JSON-ready dict plotly.js takes.

    Actuals are a solid line with dots; the target a thick black step line
    (a neutral KPI's band shaded between its edges); each benchmark dashed in
    its own style; the projection dotted from the last actual to the next
    target step; completed actions as triangles along the bottom.
    """
    actual_trace = go.Scatter(
        name="Actual",
        x=[_x(p) for p, _ in chart.actuals],
        y=[_y(v) for _, v in chart.actuals],
        text=[chart.label(p) for p, _ in chart.actuals],
        mode="lines+markers",
        line={"color": BLUE, "width": 3},
        marker={"symbol": "circle", "size": 9, "color": BLUE},
        hovertemplate=_hover(chart, "Actual"),
    )
    end = chart.last or chart.period
    traces = [*_target_traces(chart, end), actual_trace]

    for benchmark in chart.benchmarks:
        colour, dash, symbol = COMPARATOR_STYLES.get(benchmark.key, FALLBACK_STYLE)
        traces.append(
            go.Scatter(
                name=benchmark.label,
                x=[_x(p) for p, _ in benchmark.points],
                y=[_y(v) for _, v in benchmark.points],
                text=[chart.label(p) for p, _ in benchmark.points],
                mode="lines+markers",
                line={"color": colour, "dash": dash, "width": 2},
                marker={"symbol": symbol, "size": 10, "color": colour},
                hovertemplate=_hover(chart, benchmark.label),
            )
        )

    if chart.projection:
        (start, start_value), (horizon, projected) = chart.projection
        verdict = chart.trajectory.verdict.label
        traces.append(
            go.Scatter(
                name=f"Projection to {periods.month_label(horizon)}: {verdict.lower()}",
                x=[_x(start), _x(horizon)],
                y=[_y(start_value), _y(projected)],
                text=[
                    f"Last figure, {chart.label(start)}",
                    f"Projected, {periods.month_label(horizon)}",
                ],
                mode="lines+markers",
                line={"color": VERMILLION, "dash": "dot", "width": 3},
                marker={"symbol": "circle-open", "size": 11, "color": VERMILLION},
                hovertemplate=_hover(chart, "Projection"),
            )
        )

    if chart.actions:
        marks = sorted(chart.actions, key=lambda m: m.day)
        traces.append(
            go.Scatter(
                name="Action completed",
                x=[_x(m.day) for m in marks],
                y=[0.04] * len(marks),
                yaxis="y2",
                text=[f"Action {m.ref}, completed {m.day:%-d %b %Y}" for m in marks],
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
        )

    period_range = ""
    data = [p for p, _ in chart.actuals] + [p for b in chart.benchmarks for p, _ in b.points]
    if data:
        period_range = f", {chart.label(min(data))} to {chart.label(max(data))}"
    x_title = "Quarter (plotted at its last month)" if chart.frequency == "quarterly" else "Month"
    layout = {
        "template": "none",
        "title": {
            "text": f"{chart.code}: actual against target{period_range}",
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
            **_month_ticks(chart, end),
            "showline": True,
            "linecolor": "#505a5f",
            "ticks": "outside",
            "automargin": True,
        },
        "yaxis": {
            "title": {"text": UNIT_TITLES.get(chart.unit, "Value")},
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
    return go.Figure(data=traces, layout=layout).to_plotly_json()


def _month_ticks(chart: ChartInput, end: datetime.date) -> dict:
    """A tick on whole months (quarters for a quarterly KPI), never one mid-month."""
    starts = [chart.first or end] + [s.starts for s in chart.steps]
    first = min(starts)
    span = periods.months_between(first, end)
    step = next((n for limit, n in ((12, 1), (24, 2), (48, 3), (96, 6)) if span <= limit), 12)
    if chart.frequency == "quarterly":
        step = max(step, 3)
    return {"tick0": _x(first), "dtick": f"M{step}"}


def _wrap(text: str, width: int = 60) -> str:
    """Break long hover text into lines plotly can show."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return "<br>".join(lines[:4]) + ("…" if len(lines) > 4 else "")


def describe(chart: ChartInput) -> str:
    """One sentence for the chart's text alternative; the data table has the detail."""
    if not chart.actuals:
        return f"Chart of {chart.code}: no figures recorded yet."
    last_period, last_value = max(chart.actuals)
    step = rag.target_in_force(chart.steps, last_period)
    against = f" against a target of {_target_text(chart, step)}" if step else ""
    return (
        f"Chart of {chart.code} {chart.title}: {len(chart.actuals)} figures from "
        f"{chart.label(min(chart.actuals)[0])} to {chart.label(last_period)}; the latest is "
        f"{chart.show(last_value)}{against}. The table below gives every value."
    )
