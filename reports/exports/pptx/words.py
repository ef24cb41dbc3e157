"""What the PowerPoint pack says, as plain text: counts, figures and the notes' commentary.

Pure: reads the pack's rows and roll-ups and writes sentences. Every status,
count and direction comes from the pack (``metrics.rag`` through
``reports.board``); nothing here rates a figure.
"""

import datetime

from metrics import display
from metrics.models import Actual
from metrics.summary import KpiRow
from reports import board
from reports.board import AreaLine, AreaReport, KpiPanel

AUTHOR = "Dudley children's services improvement"
NOT_ASKED = "This service does not ask for figures to be signed off, so none is marked provisional."
ALL_SIGNED_OFF = "Every figure is signed off."


def month(period: datetime.date) -> str:
    return f"{period:%B %Y}"


def judged(day: datetime.date) -> str:
    return f"{day:%-d %B %Y}"


def plural(count: int, word: str, many: str = "") -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


def status_line(period: datetime.date, line: AreaLine) -> str:
    """The status in words, naming its cause: "Status for September 2021: Amber: ..."."""
    return f"Status for {month(period)}: {line.headline}"


def kpi_counts(line: AreaLine) -> str:
    """A roll-up's counts in words, as the board pages write them under a status."""
    overdue = line.rollup.overdue_actions
    return (
        f"{plural(line.kpis, 'KPI')}: {line.red} red, {line.amber} amber, {line.green} green, "
        f"{line.overdue} with an overdue figure, {line.no_data} with no data yet, "
        f"{line.not_rated} not rated, {line.not_required} not required. "
        f"{plural(overdue, 'overdue action')}."
    )


def action_counts(counts: dict[str, int], judged_on: datetime.date) -> str:
    """Actions by status as they stood, as the board pages count them."""
    if not counts.get("total"):
        return "No actions are recorded."
    unreported = counts.get("not_reported", 0)
    return (
        f"Actions as they stood on {judged(judged_on)}: {counts['completed']} completed, "
        f"{counts['in_progress']} in progress, {counts['not_started']} not started"
        f"{f', {unreported} not yet reported' if unreported else ''}, of {counts['total']}; "
        f"{counts['overdue']} overdue."
    )


def provisional_summary(rows: list[KpiRow], *, asked: bool) -> str:
    """ "3 figures not yet signed off", or that every one is (or none is asked to be)."""
    if not asked:
        return NOT_ASKED
    if not rows:
        return ALL_SIGNED_OFF
    return f"{plural(len(rows), 'figure')} {display.PROVISIONAL_MEANING}."


def shown(row: KpiRow) -> str:
    """The figure as the KPI reports it, with "(provisional)" when not signed off."""
    figure = display.figure(row.value, row.kpi.decimal_places, row.kpi.unit)
    return display.marked(figure, row.provisional)


def figure(row: KpiRow) -> str:
    """The latest figure and its period: "90.3% (provisional), Q2 2021/22"."""
    if row.actual is None:
        return f"No figure, {row.period_label}"
    return f"{shown(row)}, {row.period_label}"


def target(row: KpiRow) -> str:
    kpi = row.kpi
    return display.step(row.target, kpi.decimal_places, kpi.unit, kpi.polarity) or "None set"


def kpi_name(row: KpiRow) -> str:
    return f"{row.kpi.code} {row.kpi.title}"


def grid_row(row: KpiRow) -> list[str]:
    """A KPI's cells in an area's grid, in ``GRID_COLUMNS`` order."""
    return [
        kpi_name(row),
        figure(row),
        target(row),
        row.status.label,
        board.direction_text(row),
        row.trajectory.verdict.label,
    ]


GRID_COLUMNS = ["KPI", "Latest figure", "Target in force", "Status", "Direction", "Trajectory"]


def _question(name: str) -> str:
    return str(Actual._meta.get_field(name).verbose_name).capitalize()


def commentary(panel: KpiPanel) -> list[str]:
    """A KPI's paragraphs for the notes: its figure, its three answers and who wrote them."""
    row = panel.row
    lines = [f"{kpi_name(row)}: {figure(row)}."]
    actual = panel.commentary
    if actual is None:
        missing = "No figure" if row.actual is None else "No commentary is recorded"
        return [*lines, f"{missing} for {row.period_label}."]
    for name in Actual.COMMENTARY:
        if answer := getattr(actual, name):
            lines.append(f"{_question(name)}: {answer}")
    return [*lines, board.written_by(actual)]


def notes(report: AreaReport, period: datetime.date) -> list[str]:
    """The area slide's notes: each KPI's commentary for the month, in the pack's order."""
    heading = f"Commentary for {month(period)}, area {report.area.number}: {report.area.title}"
    if not report.panels:
        return [heading, "No KPIs are linked to this area."]
    paragraphs = [heading]
    for panel in report.panels:
        paragraphs += ["", *commentary(panel)]
    return paragraphs
