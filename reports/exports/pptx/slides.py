"""The pack's slides: the title slide, each area's slides and the closing sign-off slide.

An area with more than four KPIs gets a grid of them on its slide and their
charts four to a slide after it: the grid keeps the area's slide readable
across a committee room, and the charts stay in the file, native and
editable, for the member who asks about a trajectory.
"""

import datetime

from pptx.util import Inches

from reports.board import AreaLine, AreaReport, KpiPanel
from reports.exports.pptx import words
from reports.exports.pptx.chart import add_chart
from reports.exports.pptx.layout import (
    HEIGHT,
    TITLE_SLIDE,
    batched,
    below,
    clean,
    colour_cell,
    new_slide,
    place,
    status_box,
    table,
    text_box,
    write,
)
from reports.pack import Pack

CHARTS_ON_AREA_SLIDE = 4
CHARTS_PER_SLIDE = 4
GRID_ON_AREA_SLIDE = 8
GRID_PER_SLIDE = 11
SIGN_OFF_PER_SLIDE = 12
GRID_WIDTHS = [0.34, 0.15, 0.13, 0.16, 0.11, 0.11]
SIGN_OFF_WIDTHS = [0.55, 0.15, 0.15, 0.15]
BOTTOM = HEIGHT - Inches(0.3)
TOP = Inches(1.3)  # under a slide's title


def _rest(top: int):
    return below(top, BOTTOM - top)


def title_slide(prs, pack: Pack) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_SLIDE])
    slide._element.cSld.set("name", "Title")
    title, subtitle = slide.placeholders[0], slide.placeholders[1]
    place(title, below(Inches(0.5), Inches(1.4)))
    place(subtitle, below(Inches(1.9), Inches(0.6)))
    write(title.text_frame, [pack.plan.title], size=34, bold=True)
    write(
        subtitle.text_frame,
        [f"{pack.scope.title}, as it stood in {words.month(pack.period)}"],
        size=20,
    )
    plan = AreaLine(None, pack.rollup)
    status = f"{pack.scope.status_label} for {words.month(pack.period)}: {plan.headline}"
    status_box(slide, below(Inches(2.8), Inches(0.6)), status, plan.status, size=20)
    counts = words.action_counts(pack.action_counts, pack.judged_on)
    summary = [
        words.kpi_counts(plan),
        counts,
        words.provisional_summary(pack.provisional, asked=pack.sign_off_required),
    ]
    if pack.reports:
        summary.append(
            "Each priority area follows on its own slide; each KPI's commentary for the month "
            "is in its area slide's notes."
        )
    else:
        summary.append("This plan has no priority areas yet.")
    text_box(slide, _rest(Inches(3.6)), summary, size=16)


def _area_title(report: AreaReport, more: str = "") -> str:
    return f"{report.area.number}. {report.area.title}{more}"


def _grid(slide, box, panels: list[KpiPanel]) -> None:
    rows = [words.grid_row(panel.row) for panel in panels]
    grid = table(slide, box, words.GRID_COLUMNS, rows, widths=GRID_WIDTHS)
    status_column = words.GRID_COLUMNS.index("Status")
    for r, panel in enumerate(panels, start=1):
        colour_cell(grid.cell(r, status_column), panel.row.status)


def _charts(slide, box, panels: list[KpiPanel]) -> None:
    columns, lines = (1, 1) if len(panels) == 1 else (2, 1) if len(panels) == 2 else (2, 2)
    for panel, spot in zip(panels, box.split(columns, lines), strict=False):
        add_chart(slide, panel, spot)


def area_slides(prs, report: AreaReport, period: datetime.date) -> None:
    """The area's slide (status, counts, its charts or grid; commentary in the notes), then
    the grid's and the charts' further slides for an area with more than four KPIs."""
    area, line, panels = report.area, report.line, report.panels
    slide = new_slide(prs, _area_title(report), name=f"Area {area.number}")
    status_box(slide, below(TOP, Inches(0.5)), words.status_line(period, line), line.status)
    officer = area.responsible_officer.role_title if area.responsible_officer else "Not recorded"
    counts = [
        words.kpi_counts(line),
        words.action_counts(report.action_counts, report.judged_on),
        f"Responsible officer: {officer}",
    ]
    text_box(slide, below(Inches(1.85), Inches(0.9)), counts, size=12)
    content = _rest(Inches(2.8))
    write(slide.notes_slide.notes_text_frame, words.notes(report, period), size=12)
    if not panels:
        text_box(slide, content, ["No KPIs are linked to this area yet."], size=16)
    elif len(panels) <= CHARTS_ON_AREA_SLIDE:
        _charts(slide, content, panels)
    else:
        _more_slides(prs, slide, report, content)


def _more_slides(prs, slide, report: AreaReport, content) -> None:
    panels, number = report.panels, report.area.number
    first, rest = panels[:GRID_ON_AREA_SLIDE], panels[GRID_ON_AREA_SLIDE:]
    _grid(slide, content, first)
    for i, part in enumerate(batched(rest, GRID_PER_SLIDE), start=1):
        more = new_slide(
            prs, _area_title(report, ": KPIs (continued)"), name=f"Area {number} grid {i}"
        )
        _grid(more, _rest(TOP), list(part))
    groups = list(batched(panels, CHARTS_PER_SLIDE))
    for i, group in enumerate(groups, start=1):
        more = new_slide(
            prs,
            _area_title(report, f": charts {i} of {len(groups)}"),
            name=f"Area {number} charts {i}",
        )
        _charts(more, _rest(TOP), list(group))


def closing_slides(prs, pack: Pack) -> None:
    """The figures still provisional, in a table, or that every figure is signed off."""
    rows = pack.provisional
    summary = words.provisional_summary(rows, asked=pack.sign_off_required)
    slide = new_slide(prs, "Sign-off of the figures", name="Sign-off")
    text_box(slide, below(TOP, Inches(0.6)), [summary], size=18)
    if not pack.sign_off_required or not rows:
        return
    header = ["KPI", "Period", "Figure", "Sign-off"]
    for i, part in enumerate(batched(rows, SIGN_OFF_PER_SLIDE)):
        if i:
            slide = new_slide(prs, "Sign-off of the figures (continued)", name=f"Sign-off {i + 1}")
        cells = [
            [
                words.kpi_name(row),
                row.period_label,
                words.shown(row),
                clean(row.actual.get_state_display()),
            ]
            for row in part
        ]
        table(slide, _rest(Inches(2.0) if i == 0 else TOP), header, cells, widths=SIGN_OFF_WIDTHS)
