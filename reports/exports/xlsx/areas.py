"""A priority area's sheet in the pack: its status, its KPIs, each with figures, chart and
commentary, and its actions as they stood."""

import datetime

from metrics import display, periods
from reports import board
from reports.exports.xlsx import kpis
from reports.exports.xlsx.cells import BOLD, TITLE, Figure, Sheet, target_value


def counts_text(line: board.AreaLine) -> str:
    """The roll-up's counts in words, as the area page says them."""
    return (
        f"{line.kpis} KPI{'' if line.kpis == 1 else 's'}: {line.red} red, {line.amber} amber, "
        f"{line.green} green, {line.overdue} with an overdue figure, {line.no_data} with no "
        f"data yet, {line.not_rated} not rated, {line.not_required} not required. "
        f"{line.rollup.overdue_actions} overdue action"
        f"{'' if line.rollup.overdue_actions == 1 else 's'}."
    )


def _summary(sheet: Sheet, report: board.AreaReport, period: datetime.date) -> None:
    """A row per KPI: its latest figure, target, status, direction, trajectory, sign-off."""
    sheet.heading(f"KPIs for {periods.month_label(period)}", font=TITLE)
    if not report.panels:
        sheet.add(["No KPIs are linked to this area yet."])
        return
    head = ["KPI", "Title", "Period", "Latest figure", "Target in force", "Status"]
    sheet.add([*head, "Direction of travel", "Trajectory", "Sign-off"], font=BOLD)
    for panel in report.panels:
        row, kpi = panel.row, panel.kpi
        sheet.add(
            [
                kpi.code,
                kpi.title,
                row.period_label,
                Figure(row.value, kpi) if row.actual else "No figure",
                target_value(row.target, kpi),
                row.status.label,
                board.direction_text(row),
                row.trajectory.verdict.label,
                display.sign_off(row.provisional) if row.actual else "",
            ]
        )


def _kpi(sheet: Sheet, panel: board.KpiPanel, today: datetime.date) -> None:
    row, kpi = panel.row, panel.kpi
    sheet.gap()
    sheet.heading(f"{kpi.code} {kpi.title}", font=TITLE)
    if panel.commentary:
        kpis.commentary(sheet, panel.commentary, row.period_label)
    elif row.actual:
        sheet.add([f"No commentary is recorded for {row.period_label}."])
    kpis.series(sheet, kpi, board.kpi_series(kpi, row.period, today=today))


def _actions(sheet: Sheet, report: board.AreaReport) -> None:
    sheet.gap()
    sheet.heading("Actions", font=TITLE)
    sheet.add(
        [
            f"As they stood on {report.judged_on:%-d %B %Y}. Slippage is the current delivery "
            "date minus the original one, in whole months. "
            f"Slippage across the area: {report.slippage} months."
        ]
    )
    if not report.actions:
        sheet.add(["No actions are recorded."])
        return
    head = ["Ref", "Action", "Owner", "Original delivery date", "Current delivery date"]
    sheet.add([*head, "Status", "Overdue", "Slippage (months)"], font=BOLD)
    for line in report.actions:
        action = line.action
        sheet.add(
            [
                line.ref,
                action.description,
                action.owner.role_title if action.owner else "Not recorded",
                action.original_delivery_date,
                line.current_delivery_date,
                line.status_text,
                "Overdue" if line.overdue else "",
                line.slippage,
            ],
            wrap=True,
        )


def write(sheet: Sheet, report: board.AreaReport, period: datetime.date, today) -> None:
    """The area as the board pack shows it, in the order the page reads."""
    area, line = report.area, report.line
    sheet.heading(f"{area.number}. {area.title}", font=TITLE)
    sheet.add([f"{area.plan.title}: priority area {area.number}, {periods.month_label(period)}"])
    sheet.add([f"Status for {periods.month_label(period)}", line.headline], font=BOLD)
    sheet.freeze_below(sheet.row)
    officer = area.responsible_officer
    sheet.pairs(
        [
            ("Counts", counts_text(line)),
            ("Actions judged on", report.judged_on),
            ("Responsible officer", officer.role_title if officer else "Not recorded"),
            ("What needs to improve", area.what_needs_to_improve or "Not recorded"),
        ]
    )
    sheet.gap()
    _summary(sheet, report, period)
    for panel in report.panels:
        _kpi(sheet, panel, today)
    _actions(sheet, report)
