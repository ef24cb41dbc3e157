"""The Scorecard sheet: ``reports.scorecard``'s grid, a row per KPI, periods across.

The same grid the scorecard page and its CSV show: each figure, the target in
force, the latest benchmarks, status, direction and trajectory come from the
grid's lines, never worked out again here.
"""

import datetime

from metrics import display, periods
from metrics.models import Benchmark
from reports import scorecard
from reports.exports.xlsx.cells import BOLD, TITLE, Figure, Sheet, target_value

COMPARATORS = Benchmark.Comparator
_BEFORE = ["KPI", "Title", "Unit", "Target in force", *COMPARATORS.labels, "Benchmarks as at"]
_AFTER = ["Status", "Direction of travel", "Trajectory", "Sign-off", "Provisional figures"]


def _benchmarks(line: scorecard.Line) -> list:
    kpi = line.kpi
    by_key = {b.benchmark.comparator: b for b in line.benchmarks}
    values = [Figure(by_key[k].benchmark.value, kpi) if k in by_key else None for k in COMPARATORS]
    dated = "; ".join(f"{b.name} {b.label}" for b in line.benchmarks)
    return [*values, dated]


def _cell(line: scorecard.Line, cell: scorecard.Cell):
    if cell.row is None:
        return cell.reason
    return Figure(cell.row.value, line.kpi) if cell.row.actual else None


def _values(line: scorecard.Line, formulas: bool, grouped: bool) -> list:
    kpi, row = line.kpi, line.row
    provisional = [line.label(c.row.period) for c in line.cells if c.row and c.row.provisional]
    notes = "; ".join(f"{line.label(c.row.period)}: {c.note}" for c in line.cells if c.note)
    return [
        *([line.group] if grouped else []),
        kpi.code,
        kpi.title,
        display.unit_label(kpi.unit),
        target_value(row.target, kpi),
        *_benchmarks(line),
        *(_cell(line, cell) for cell in line.cells),
        row.status.label,
        line.direction_text,
        row.trajectory.verdict.label,
        display.sign_off(row.provisional) if row.actual else "No figure",
        ", ".join(provisional),
        notes,
        *([line.formula.describe() if line.formula else ""] if formulas else []),
    ]


def write(
    sheet: Sheet, grid: scorecard.Grid, *, title: str, period: datetime.date, formulas: bool
) -> None:
    """The grid under a title, its header row and first columns frozen.

    ``formulas``: the KPIs were read with their calculations (``scorecard_kpis``);
    the board pack's were not, and leaves that column out.
    """
    grouped = any(line.group for line in grid.lines)
    head = [*(["Group"] if grouped else []), *_BEFORE, *grid.labels, *_AFTER, "Notes"]
    if formulas:
        head.append("Calculated from")
    wide = ("Title", "Notes", "Benchmarks as at", "Calculated from")
    sheet.set_widths([40 if label in wide else 16 for label in head])
    sheet.heading(f"Scorecard: {title}, as it stood in {periods.month_label(period)}", font=TITLE)
    sheet.add(
        [
            "Each figure is as reported for its period; the target, benchmarks, status, "
            "direction and trajectory are those of the latest figure."
        ]
    )
    header = sheet.add(head, font=BOLD, wrap=True)
    sheet.freeze_below(header, column=head.index("Title") + 2)  # code and title stay
    if not grid.lines:
        sheet.add(["No KPIs to show."])
    for line in grid.lines:
        sheet.add(_values(line, formulas, grouped))
