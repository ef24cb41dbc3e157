"""A KPI on a sheet: its figures by period, a native line chart of actual against target,
and its commentary.

The rows are ``board.kpi_series`` (``summary.kpi_row`` for each period), so
status, direction and sign-off read exactly as the KPI's page shows them.
"""

from django.utils.text import capfirst
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.marker import DataPoint, Marker
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.drawing.line import LineProperties
from openpyxl.utils import get_column_letter

from metrics import display, rag
from metrics.models import Actual, Kpi
from metrics.summary import KpiRow
from reports import board, charts
from reports.exports.xlsx.cells import BOLD, Figure, Sheet

# Columns of a sheet that shows KPIs: labels, a wide column for titles and text, then figures.
WIDTHS = [18, 60, 14, 14, 14, 16, 24, 24, 16, 30]
# A chart sits to the right of its KPI's figures and is this many rows tall.
CHART_COLUMN = len(WIDTHS) + 2
CHART_ROWS = 16


def _colour(hex_colour: str) -> str:
    return hex_colour.lstrip("#").upper()


def question(name: str) -> str:
    """One of the three questions a figure answers, as the pages ask it."""
    return capfirst(Actual._meta.get_field(name).verbose_name)


def commentary(sheet: Sheet, actual: Actual, label: str) -> None:
    """The three questions a figure answers, each beside its answer, and who wrote them."""
    sheet.heading(f"Commentary for {label}")
    answers = [(question(name), getattr(actual, name)) for name in Actual.COMMENTARY]
    sheet.pairs([(asked, answer) for asked, answer in answers if answer])
    sheet.add(["", board.written_by(actual)])


def _level_name(kpi: Kpi) -> str:
    return "Reference level (not a target)" if kpi.polarity == rag.NEUTRAL else "Target"


def _series_values(kpi: Kpi, row: KpiRow, bands: bool) -> list:
    target = row.target
    band = target is not None and target.is_band
    values = [
        row.period_label,
        row.status.label,
        Figure(row.value, kpi),
        Figure(None if target is None or band else target.value, kpi),
    ]
    if bands:
        values += [Figure(target.lower if band else None, kpi)]
        values += [Figure(target.upper if band else None, kpi)]
    sign_off = display.sign_off(row.provisional) if row.actual else "No figure"
    note = row.actual.note if row.actual else ""
    return [*values, sign_off, board.direction_text(row), note]


def series(sheet: Sheet, kpi: Kpi, rows: list[KpiRow]) -> None:
    """The KPI's figure, target, status and sign-off for each period, with its chart beside."""
    if not rows:
        sheet.add(["No figures are due for this KPI yet."])
        return
    bands = any(row.target is not None and row.target.is_band for row in rows)
    edges = ["Target band: lower edge", "Target band: upper edge"] if bands else []
    head = ["Period", "Status", "Actual", _level_name(kpi), *edges]
    first = sheet.add([*head, "Sign-off", "Direction of travel", "Note"], font=BOLD)
    for row in rows:
        sheet.add(_series_values(kpi, row, bands))
    chart = line_chart(sheet, kpi, rows, first=first, last_column=len(head))
    sheet.ws.add_chart(chart, f"{get_column_letter(CHART_COLUMN)}{first}")
    sheet.row = max(sheet.row, first + CHART_ROWS)


def line_chart(
    sheet: Sheet, kpi: Kpi, rows: list[KpiRow], *, first: int, last_column: int
) -> LineChart:
    """Actual against target (and a band's edges), read from the table's cells.

    A missing figure leaves a gap; a provisional one is a hollow point, as on the pages.
    """
    chart = LineChart()
    chart.title = f"{kpi.code}: actual against {_level_name(kpi).lower()}"
    chart.y_axis.title = display.axis_title(kpi.unit)
    chart.x_axis.title = "Period"
    chart.y_axis.number_format = Figure(None, kpi).format
    # Shown axes: openpyxl otherwise leaves them out of Excel's drawing.
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.display_blanks = "gap"
    chart.width, chart.height = 18, 8
    last = first + len(rows)
    chart.add_data(
        Reference(sheet.ws, min_col=3, max_col=last_column, min_row=first, max_row=last),
        titles_from_data=True,
    )
    chart.set_categories(Reference(sheet.ws, min_col=1, min_row=first + 1, max_row=last))
    actual, *levels = chart.series
    actual.marker = Marker("circle", size=7)
    actual.marker.graphicalProperties = GraphicalProperties(solidFill=_colour(charts.BLUE))
    actual.graphicalProperties.line = LineProperties(solidFill=_colour(charts.BLUE), w=22000)
    for index, row in enumerate(rows):
        if row.provisional:
            hollow = GraphicalProperties(solidFill="FFFFFF")
            hollow.line = LineProperties(solidFill=_colour(charts.BLUE))
            actual.dPt.append(DataPoint(idx=index, marker=Marker("circle", size=8, spPr=hollow)))
    for level in levels:
        colour = charts.BLACK if level is levels[0] else charts.SKY
        level.marker = Marker("none")
        level.graphicalProperties.line = LineProperties(
            solidFill=_colour(colour), prstDash="dash", w=22000
        )
    return chart
