"""Trajectory charts: a KPI's figures against its stepped target, as plotly figure JSON.

Pure: takes plain values (a KPI's series, its target steps and the trajectory
``metrics.rag`` worked out) and returns what plotly.js draws;
``reports.chart_table`` says the same in words. No database and no request,
so it is tested on its own. Figures are plain dicts, serialised once by the page
(``json_script``): plotly's graph objects validate and deep-copy every trace,
which cost a board page most of its time, so tests/reports/test_plotly_schema.py
checks every figure the pages build against plotly's schema instead.
``static/js/charts.js`` draws it with the vendored plotly.js basic bundle.

Series differ by line style and marker as well as colour (Okabe-Ito, safe for
the common kinds of colour blindness): a reader of a black-and-white print
can still tell the target from a benchmark.
"""

import datetime
from decimal import Decimal

from metrics import display, periods, rag
from reports.chart_input import Benchmark, ChartInput, _shift, text

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
WHITE = "#ffffff"
BAND_FILL = "rgba(86, 180, 233, 0.25)"

# Benchmark comparator -> (colour, dash, marker); unknown comparators fall back.
COMPARATOR_STYLES = {
    "statistical_neighbours": (ORANGE, "dash", "square"),
    "region": (GREEN, "dashdot", "diamond"),
    "england": (PURPLE, "longdash", "x"),
}
FALLBACK_STYLE = (SKY, "dash", "star")

FONT = "Arial, Helvetica, sans-serif"
# The "none" template spelt out, as plotly's own serialiser writes it.
NO_TEMPLATE = {"data": {"scatter": [{"type": "scatter"}]}}

REFERENCE_LEVEL = "Reference level (not a target)"
DEFINITION_CHANGED = "Definition changed"
FOOTNOTE = "Figure with a footnote"


def _x(day: datetime.date) -> str:
    return day.isoformat()


def _y(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _hover(chart: ChartInput, name: str) -> str:
    unit = text(display.unit_suffix(chart.unit))
    return f"%{{text}}<br>{text(name)}: %{{y:,.{chart.decimal_places}f}}{unit}<extra></extra>"


def _scatter(**trace) -> dict:
    return {"type": "scatter", **trace}


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


def _level_trace(chart: ChartInput, name: str, level, *, hover: str = "", **style) -> dict:
    """One level of the drawn steps (a target, a band's edge) as a step line to the axis end."""
    xs, ys, labels = _step_line(list(chart.drawn_steps), chart.end, level)
    return _scatter(
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


def _target_traces(chart: ChartInput) -> list[dict]:
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


def _actual_trace(chart: ChartInput) -> dict:
    """Solid with dots; a missing period breaks the line rather than bridging it.

    A provisional figure's dot is hollow (white inside a blue ring) and its
    hover text says "provisional": one line, its points told apart.
    """
    series = chart.series
    marker = {"symbol": "circle", "size": 9, "color": BLUE}
    if chart.provisional_periods:
        hollow = [p in chart.provisional for p, _ in series]
        marker = {
            "symbol": "circle",
            "size": [11 if h else 9 for h in hollow],
            "color": [WHITE if h else BLUE for h in hollow],
            "line": {"color": BLUE, "width": 2},
        }
    return _scatter(
        name="Actual",
        x=[_x(p) for p, _ in series],
        y=[_y(v) for _, v in series],
        text=[text(chart.point_label(p)) for p, _ in series],
        mode="lines+markers",
        line={"color": BLUE, "width": 3},
        marker=marker,
        hovertemplate=_hover(chart, "Actual"),
        connectgaps=False,
    )


def _benchmark_trace(chart: ChartInput, benchmark: Benchmark) -> dict:
    colour, dash, symbol = COMPARATOR_STYLES.get(benchmark.key, FALLBACK_STYLE)
    return _scatter(
        name=text(benchmark.label),
        x=[_x(p) for p, _ in benchmark.points],
        y=[_y(v) for _, v in benchmark.points],
        text=[text(chart.label(p)) for p, _ in benchmark.points],
        mode="lines+markers",
        line={"color": colour, "dash": dash, "width": 2},
        marker={"symbol": symbol, "size": 10, "color": colour},
        hovertemplate=_hover(chart, benchmark.label),
    )


def _projection_trace(chart: ChartInput) -> dict:
    (start, start_value), (horizon, projected) = chart.projection
    verdict = chart.trajectory.verdict.label
    return _scatter(
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


def _actions_trace(chart: ChartInput) -> dict:
    marks = sorted(chart.actions, key=lambda m: m.day)
    return _scatter(
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


def _notes_trace(chart: ChartInput) -> dict:
    """A ring around each figure with a footnote; the note is its hover text."""
    noted = chart.noted
    return _scatter(
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

    Actuals are a solid line with dots (hollow for a provisional figure),
    broken where a period has no figure;
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
    return {"data": traces, "layout": _layout(chart)}


_X_TITLES = {3: "Quarter (plotted at its last month)", 12: "Year (plotted at its last month)"}


def _layout(chart: ChartInput) -> dict:
    x_title = _X_TITLES.get(chart.interval, "Month")
    shapes, annotations = _break_marks(chart)
    # Left out when empty, as plotly's serialiser did.
    marks = {"shapes": shapes, "annotations": annotations} if shapes else {}
    return {
        **marks,
        "template": NO_TEMPLATE,
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
