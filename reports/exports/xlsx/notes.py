"""The sheets that explain a workbook: what it shows and when, which figures are provisional,
and what each status, direction and trajectory means."""

import datetime

from django.utils import timezone

from metrics import display, periods, rag
from metrics.summary import KpiRow
from reports.exports.xlsx.cells import BOLD, TITLE, Figure, Sheet

STATUS_MEANINGS = {
    rag.Status.GREEN: "The figure meets its target (or is inside its target band).",
    rag.Status.AMBER: "Short of the target, but within the KPI's tolerance of it.",
    rag.Status.RED: "Short of the target by more than the KPI's tolerance.",
    rag.Status.MONITOR: "A neutral KPI with no target band: watched, never rated.",
    rag.Status.NO_TARGET: "A figure, but no target in force to rate it against.",
    rag.Status.NO_DATA: "No figure yet, and not late.",
    rag.Status.OVERDUE: "No figure, and its submission deadline has passed.",
    rag.Status.NOT_REQUIRED: "No figure, and none was asked for.",
}


def _meanings(sheet: Sheet) -> None:
    sheet.gap()
    sheet.heading("What the statuses mean", font=TITLE)
    sheet.pairs([(status.label, STATUS_MEANINGS[status]) for status in rag.Status])
    sheet.pairs(
        [
            (
                "Area and plan status",
                "The worst of red, amber and green among the KPIs; an overdue action makes "
                "it at least amber.",
            ),
            (
                "Direction of travel",
                "Improving, declining or no change on the previous period, judged by which "
                "way is better for the KPI; a neutral KPI only goes up or down.",
            ),
            (
                "Trajectory",
                "The trend of the last six periods carried forward to the next target step: "
                "on track, at risk or off track; fewer than three figures is not enough data.",
            ),
            (
                display.PROVISIONAL,
                f"A figure {display.PROVISIONAL_MEANING}: rated like any other, and marked.",
            ),
            (
                "Figures",
                "Stored as numbers, shown to each KPI's decimal places; a percentage is stored "
                "as 90.3, not 0.903.",
            ),
            (
                "Text",
                "Text starting with = + - or @ is shown with a leading ' so that it is never "
                "run as a formula.",
            ),
        ]
    )


def about(
    sheet: Sheet, *, title: str, period: datetime.date, facts: list[tuple[str, object]]
) -> None:
    """What the workbook shows, for which month, when it was made; then what the words mean."""
    sheet.set_widths([30, 100])
    sheet.heading(title, font=TITLE)
    produced = timezone.localtime()
    sheet.pairs(
        [
            (
                "Month",
                f"{periods.month_label(period)}, as it stood: figures, statuses and actions "
                "as they stood at the end of the month.",
            ),
            ("Produced", f"{produced:%-d %B %Y at %H:%M}"),
            *facts,
        ]
    )
    _meanings(sheet)


def provisional(sheet: Sheet, rows: list[KpiRow], *, required: bool, period) -> None:
    """The figures in the pack not yet signed off, once each, by KPI code."""
    sheet.set_widths([14, 60, 14, 14, 20])
    sheet.heading(f"Sign-off of the figures for {periods.month_label(period)}", font=TITLE)
    if not required:
        sheet.add(["This service does not ask for figures to be signed off."])
        return
    if not rows:
        sheet.add(["Every figure in this pack is signed off."])
        return
    sheet.add(
        [
            f"{len(rows)} figure{'' if len(rows) == 1 else 's'} in this pack not yet signed off: "
            "rated like any other figure, and marked Provisional wherever shown."
        ]
    )
    header = sheet.add(["KPI", "Title", "Period", "Figure", "Sign-off"], font=BOLD)
    sheet.freeze_below(header)
    for row in rows:
        kpi = row.kpi
        sheet.add(
            [
                kpi.code,
                kpi.title,
                row.period_label,
                Figure(row.value, kpi),
                row.actual.get_state_display(),
            ]
        )
