"""A KPI's chart as a native PowerPoint line chart, editable there, from the pages' chart.

The categories are the rows of the chart's data table under the pages'
chart (``reports.chart_table``): each period with a figure or a comparator,
one for each run of periods with no figure and one for each change of
definition, so the actual line breaks where the page's line breaks. The
target in force for each is the one ``metrics.rag.target_in_force`` reads.
"""

from copy import deepcopy
from dataclasses import dataclass
from decimal import Decimal

from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.util import Pt

from metrics import display, rag
from metrics.importer.cells import escape_cell_text
from reports import chart_table, charts
from reports.board import KpiPanel
from reports.chart_input import ChartInput
from reports.exports.pptx.layout import FONT, Box, clean, in_english, text_box, write

# Where the chart's text alternative sends a reader for the rest.
DETAIL = "Every value is in the chart's data (Edit Data in PowerPoint)."
MARKERS = {
    "circle": XL_MARKER_STYLE.CIRCLE,
    "square": XL_MARKER_STYLE.SQUARE,
    "diamond": XL_MARKER_STYLE.DIAMOND,
    "x": XL_MARKER_STYLE.X,
    "star": XL_MARKER_STYLE.STAR,
}


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]
    colour: str
    marker: str = "square"
    dashed: bool = False


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _target_series(chart: ChartInput, rows: list[chart_table.TableRow]) -> list[Series]:
    """The target (a band's two edges; a neutral KPI's reference level) for each category."""
    steps = [rag.target_in_force(chart.steps, row.period) for row in rows]
    levels = [
        ("Target band: lower edge", lambda s: s.lower if s.is_band else None, charts.SKY),
        ("Target band: upper edge", lambda s: s.upper if s.is_band else None, charts.SKY),
    ]
    name = charts.REFERENCE_LEVEL if chart.neutral else "Target"
    levels.insert(0, (name, lambda s: None if s.is_band else s.value, charts.BLACK))
    found = []
    for label, level, colour in levels:
        values = [None if step is None else _float(level(step)) for step in steps]
        if any(value is not None for value in values):
            found.append(Series(label, values, colour, "square", dashed=True))
    return found


def series(chart: ChartInput) -> tuple[list[chart_table.TableRow], list[Series]]:
    """The chart's categories (its data table's rows) and the series drawn over them."""
    rows = chart_table.chart_table(chart).rows
    actual = dict(chart.actuals)
    found = [
        Series(
            "Actual",
            [_float(actual[row.period]) if row.has_figure else None for row in rows],
            charts.BLUE,
            "circle",
        ),
        *_target_series(chart, rows),
    ]
    for i, benchmark in enumerate(chart.benchmarks):
        points = dict(benchmark.points)
        colour, _, marker = charts.COMPARATOR_STYLES.get(benchmark.key, charts.FALLBACK_STYLE)
        values = [_float(points.get(row.period)) if row.benchmarks[i] else None for row in rows]
        found.append(Series(benchmark.label, values, colour, marker, dashed=True))
    return rows, found


def number_format(chart: ChartInput) -> str:
    """The KPI's decimal places and unit, as Excel and PowerPoint write a number: 0.0"%"."""
    places = chart.decimal_places
    shown = "#,##0" + ("." + "0" * places if places else "")
    suffix = display.unit_suffix(chart.unit)
    return f'{shown}"{suffix}"' if suffix else shown


def _style(plotted, drawn: Series, rows: list[chart_table.TableRow]) -> None:
    line = plotted.format.line
    line.color.rgb = RGBColor.from_string(drawn.colour.lstrip("#"))
    line.width = Pt(2.25 if drawn.name == "Actual" else 1.75)
    if drawn.dashed:
        line.dash_style = MSO_LINE_DASH_STYLE.DASH
    plotted.smooth = False
    plotted.marker.style = MARKERS.get(drawn.marker, XL_MARKER_STYLE.STAR)
    plotted.marker.size = 7
    plotted.marker.format.fill.solid()
    plotted.marker.format.fill.fore_color.rgb = line.color.rgb
    if drawn.name == "Actual":
        _hollow(plotted, [i for i, row in enumerate(rows) if row.provisional], line.color.rgb)


def _hollow(plotted, points: list[int], colour: RGBColor) -> None:
    """A provisional figure's dot is hollow, as on the pages; its category says so in words.

    The first point is styled through python-pptx, the rest copy its XML: a
    long provisional run styled point by point is most of a large pack's time.
    """
    if not points:
        return
    marker = plotted.points[points[0]].marker
    marker.style, marker.size = XL_MARKER_STYLE.CIRCLE, 9
    marker.format.fill.solid()
    marker.format.fill.fore_color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    marker.format.line.color.rgb = colour
    last = template = plotted._element.dPt_lst[-1]
    for index in points[1:]:
        point = deepcopy(template)
        point.idx.val = index
        last.addnext(point)
        last = point


def _axes(chart, kpi_chart: ChartInput) -> None:
    values = chart.value_axis
    values.tick_labels.number_format = number_format(kpi_chart)
    values.tick_labels.number_format_is_linked = False
    values.has_title = True
    write(values.axis_title.text_frame, [display.axis_title(kpi_chart.unit)], size=10)
    chart.category_axis.tick_labels.font.size = Pt(9)


def add_chart(slide, panel: KpiPanel, box: Box):
    """The KPI's chart in ``box``, titled with the KPI, described for a screen reader.

    A KPI with nothing to draw gets a sentence saying so instead.
    """
    kpi_chart, kpi = panel.chart, panel.kpi
    rows, drawn = series(kpi_chart)
    if not rows:
        words = f"{kpi.code} {kpi.title}: no figures, targets or comparators to chart yet."
        return text_box(slide, box, [words], size=12)
    data = CategoryChartData(number_format=number_format(kpi_chart))
    data.categories = [escape_cell_text(display.marked(r.label, r.provisional)) for r in rows]
    for each in drawn:
        data.add_series(escape_cell_text(each.name), each.values)
    frame = slide.shapes.add_chart(
        XL_CHART_TYPE.LINE_MARKERS, box.left, box.top, box.width, box.height, data
    )
    chart = frame.chart
    chart.font.name, chart.font.size = FONT, Pt(10)
    chart.has_title = True
    write(chart.chart_title.text_frame, [f"{kpi.code} {kpi.title}"], size=12, bold=True)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    for plotted, each in zip(chart.plots[0].series, drawn, strict=True):
        _style(plotted, each, rows)
    _axes(chart, kpi_chart)
    described = frame._element.nvGraphicFramePr.cNvPr
    described.set("name", clean(f"Chart of {kpi.code}"))
    described.set("title", clean(kpi_chart.caption))
    described.set("descr", clean(chart_table.describe(kpi_chart, detail=DETAIL)))
    in_english(chart._chartSpace)
    return frame
