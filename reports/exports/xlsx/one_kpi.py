"""A KPI's own workbook sheet: what it measures, its whole series with its chart, its
benchmarks, its definition changes and every commentary, up to the month asked for."""

import datetime

from metrics import display, periods
from metrics.models import Kpi
from metrics.summary import kpi_row
from reports import board
from reports.chart_table import change_text
from reports.exports.xlsx import kpis
from reports.exports.xlsx.cells import BOLD, TITLE, Figure, Sheet, target_value


def _about(kpi: Kpi, row) -> list[tuple[str, object]]:
    areas = sorted(kpi.areas.all(), key=lambda a: (a.plan.start or datetime.date.min, a.number))
    return [
        ("Figure", Figure(row.value, kpi) if row.actual else "No figure"),
        ("Target in force", target_value(row.target, kpi)),
        ("Direction of travel", board.direction_text(row)),
        ("Trajectory", row.trajectory.verdict.label),
        ("Sign-off", display.sign_off(row.provisional) if row.actual else "No figure"),
        ("Definition", kpi.definition or "Not recorded"),
        ("Owner", kpi.owner.role_title if kpi.owner else "Not recorded"),
        ("Unit", f"{kpi.get_unit_display()}, to {kpi.decimal_places} decimal places"),
        ("Reported", kpi.get_frequency_display()),
        ("Which way is better", board.polarity_in_words(kpi)),
        ("Tolerance", board.tolerance_in_words(kpi)),
        (
            "Priority areas",
            "; ".join(f"{a.plan.title}, area {a.number}: {a.title}" for a in areas)
            or "Not linked to a priority area",
        ),
    ]


def _benchmarks(sheet: Sheet, kpi: Kpi, until: datetime.date) -> None:
    shown = [b for b in kpi.benchmarks.all() if b.period <= until]
    sheet.gap()
    sheet.heading("Benchmarks", font=TITLE)
    if not shown:
        sheet.add(["No benchmarks are recorded."])
        return
    sheet.add(["Comparator", "Period", "Figure"], font=BOLD)
    for benchmark in shown:
        sheet.add(
            [
                benchmark.get_comparator_display(),
                periods.month_label(benchmark.period),
                Figure(benchmark.value, kpi),
            ]
        )


def write(sheet: Sheet, kpi: Kpi, period: datetime.date, *, today: datetime.date) -> None:
    """``kpi`` comes ``with_history()``; nothing after ``period`` is read."""
    row = kpi_row(kpi, period, today=today)
    sheet.heading(f"{kpi.code} {kpi.title}", font=TITLE)
    sheet.add([row.period_label, row.status.label], font=BOLD)
    sheet.freeze_below(sheet.row)
    sheet.pairs(_about(kpi, row))
    sheet.gap()
    sheet.heading("Every figure", font=TITLE)
    kpis.series(sheet, kpi, board.kpi_series(kpi, row.period, today=today))
    _benchmarks(sheet, kpi, row.period)
    changes = [c for c in kpi.definition_changes.all() if c.starts <= row.period]
    if changes:
        sheet.gap()
        sheet.heading("Definition changes", font=TITLE)
        for change in changes:
            sheet.add([periods.month_label(change.starts), change_text(change)], wrap=True)
    sheet.gap()
    sheet.heading("Commentary", font=TITLE)
    found = board.commentary(kpi, row.period)
    if not found:
        sheet.add(["No commentary is recorded."])
    for actual in found:
        kpis.commentary(sheet, actual, kpi.period_label(actual.period))
