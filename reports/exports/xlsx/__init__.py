"""The board's Excel workbooks: the pack, the scorecard and a KPI.

Built with openpyxl from what the pages show (``reports.pack.build``,
``reports.scorecard``, ``reports.board``); no status is worked out here.
Every figure is a number in its KPI's format, every text escaped so no cell
is ever a formula, and each KPI has a native Excel line chart of actual
against target drawn from the cells beside it.
"""

import datetime
from collections.abc import Callable

from django.utils import timezone

from metrics import periods
from metrics.models import Kpi
from reports import scorecard
from reports.exports.xlsx import areas, grid, kpis, notes, one_kpi
from reports.exports.xlsx.cells import Sheet, new_book, to_bytes
from reports.pack import Pack


def _pack_grid(pack: Pack) -> scorecard.Grid:
    """The plan's KPIs on the scorecard's grid: the last six months to the pack's month."""
    count = scorecard.DEFAULT_PERIODS
    columns = scorecard.column_periods(pack.period, scorecard.MONTHLY, count)
    shown = {panel.kpi.pk: panel.kpi for report in pack.reports for panel in report.panels}
    lines = [
        scorecard.kpi_line(
            kpi, columns, scorecard.MONTHLY, until=pack.period, today=pack.today, areas=()
        )
        for kpi in shown.values()
    ]
    return scorecard.build_grid(lines, columns, scorecard.Options(scorecard.MONTHLY, count))


def render_pack(pack: Pack, *, progress: Callable[[str], object] | None = None) -> bytes:
    """The board pack as a workbook: the scorecard, a sheet per area, provisional figures
    and notes. No queries: everything comes from ``pack``."""
    say = progress or (lambda message: None)
    month = periods.month_label(pack.period)
    book = new_book(f"Board pack: {pack.plan.title}, {month}")
    say("Scorecard")
    scorecard_sheet = Sheet(book, "Scorecard", [])
    grid.write(
        scorecard_sheet, _pack_grid(pack), title=pack.plan.title, period=pack.period, formulas=False
    )
    for number, report in enumerate(pack.reports, 1):
        say(f"Area {number} of {len(pack.reports)}")
        area = report.area
        sheet = Sheet(book, f"Area {area.number} {area.title}", kpis.WIDTHS)
        areas.write(sheet, report, pack.period, pack.today)
    notes.provisional(
        Sheet(book, "Provisional", []),
        pack.provisional,
        required=pack.sign_off_required,
        period=pack.period,
    )
    notes.about(
        Sheet(book, "About", []),
        title=f"{pack.scope.title}: {pack.plan.title}, {month}",
        period=pack.period,
        facts=[
            ("Plan", pack.plan.title),
            (pack.scope.status_label, pack.rollup.headline),
            ("Actions judged on", pack.judged_on),
        ],
    )
    say("Saving the workbook")
    return to_bytes(book)


def render_scorecard(grid_shown: scorecard.Grid, *, title: str, period: datetime.date) -> bytes:
    """The scorecard page's grid as it is shown (its KPIs read ``scorecard_kpis``)."""
    book = new_book(f"Scorecard: {title}, {periods.month_label(period)}")
    grid.write(Sheet(book, "Scorecard", []), grid_shown, title=title, period=period, formulas=True)
    notes.about(Sheet(book, "About", []), title=f"Scorecard: {title}", period=period, facts=[])
    return to_bytes(book)


def render_kpi(kpi: Kpi, period: datetime.date, *, today: datetime.date | None = None) -> bytes:
    """A KPI read ``with_history()``, as it stood at ``period``."""
    today = today or timezone.localdate()
    book = new_book(f"{kpi.code} {kpi.title}, {periods.month_label(period)}")
    one_kpi.write(Sheet(book, kpi.code, kpis.WIDTHS), kpi, period, today=today)
    notes.about(
        Sheet(book, "About", []), title=f"KPI {kpi.code}: {kpi.title}", period=period, facts=[]
    )
    return to_bytes(book)
