"""The board pack as a PowerPoint file, read back as a board member's copy would be."""

import datetime
import io
from decimal import Decimal
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from django.test import override_settings
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.oxml.ns import qn

from metrics.models import Actual
from priorities.models import Plan
from reports import pack
from reports.exports import FORMATS
from reports.exports.pptx import render_pack, words
from tests.factories import (
    ActualFactory,
    KpiFactory,
    PlanFactory,
    PriorityAreaFactory,
    TargetFactory,
)
from tests.reports.builders import build_plan

pytestmark = pytest.mark.django_db
D = datetime.date
SEP = D(2021, 9, 1)
TODAY = D(2022, 6, 1)


@pytest.fixture
def dudley():
    call_command("seed", stdout=StringIO())
    return Plan.objects.get(slug="improvement-plan-2021")


def _render(plan, period=SEP):
    content = pack.build(plan, period, today=TODAY)
    return content, Presentation(io.BytesIO(render_pack(content)))


def _name(slide) -> str:
    return slide._element.cSld.get("name")


def _text(slide) -> str:
    """Every word on a slide, its tables' cells too, in reading order."""
    found = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            found.append(shape.text_frame.text)
        elif shape.has_table:
            found += [cell.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(found)


def _area_slides(deck) -> list:
    return [
        s for s in deck.slides if (_name(s) or "").startswith("Area ") and _name(s)[5:].isdigit()
    ]


def _charts(slide) -> list:
    return [shape for shape in slide.shapes if shape.has_chart]


def _series(chart_shape) -> dict[str, dict[str, float | None]]:
    plot = chart_shape.chart.plots[0]
    categories = list(plot.categories)
    return {s.name: dict(zip(categories, s.values, strict=True)) for s in plot.series}


def _notes(slide) -> str:
    return slide.notes_slide.notes_text_frame.text


# The 2021 plan ----------------------------------------------------------------------------------


def test_title_slide_gives_the_plan_the_month_and_its_status_in_words(dudley):
    content, deck = _render(dudley)
    first = _text(deck.slides[0])
    assert dudley.title in first
    assert "Board pack, as it stood in September 2021" in first
    assert f"Plan status for September 2021: {content.rollup.headline}" in first
    assert "1 amber, 2 green" in first  # the plan's KPIs counted by status, in words
    assert "Actions as they stood on 30 September 2021:" in first
    assert "Every figure is signed off." in first
    properties = deck.core_properties
    assert properties.title == f"{dudley.title}: board pack, September 2021"
    assert properties.author == "Dudley children's services improvement"
    assert properties.language == "en-GB"
    runs = [r for s in deck.slides for r in s._element.iter(qn("a:rPr"))]
    assert runs and {r.get("lang") for r in runs} == {"en-GB"}


def test_one_slide_per_area_with_its_status_in_words_and_native_charts(dudley):
    content, deck = _render(dudley)
    slides = _area_slides(deck)
    assert len(slides) == len(content.reports) == 9
    for slide, report in zip(slides, content.reports, strict=True):
        assert slide.shapes.title.text_frame.text == f"{report.area.number}. {report.area.title}"
        assert f"Status for September 2021: {report.line.headline}" in _text(slide)
    # Area 3 has four KPIs: their charts on its own slide, PI.426 among them.
    area3 = slides[2]
    charts = {c._element.nvGraphicFramePr.cNvPr.get("name"): c for c in _charts(area3)}
    assert len(charts) == 4
    pi426 = charts["Chart of PI.426"]
    assert pi426.chart.chart_type == XL_CHART_TYPE.LINE_MARKERS
    assert pi426.chart.chart_title.text_frame.text.startswith("PI.426 ")
    series = _series(pi426)
    assert series["Actual"]["Q2 2021/22"] == 90.3 and series["Target"]["Q2 2021/22"] == 86.3
    assert series["Actual"]["Q1 2021/22"] == 77.55
    described = pi426._element.nvGraphicFramePr.cNvPr.get("descr")
    assert described.startswith("Chart of PI.426") and "90.3" in described


def test_an_area_with_more_than_four_kpis_gets_a_grid_and_its_charts_after_it(dudley):
    content, deck = _render(dudley)
    area5 = next(r for r in content.reports if r.area.number == 5)
    assert len(area5.panels) == 13
    slides = [s for s in deck.slides if (_name(s) or "").split(" ")[:2] == ["Area", "5"]]
    assert [_name(s) for s in slides] == ["Area 5", "Area 5 grid 1"] + [
        f"Area 5 charts {n}" for n in range(1, 5)
    ]
    grid_rows = [
        [cell.text for cell in row.cells]
        for slide in slides[:2]
        for shape in slide.shapes
        if shape.has_table
        for row in list(shape.table.rows)[1:]
    ]
    assert [row[0].split(" ")[0] for row in grid_rows] == [p.kpi.code for p in area5.panels]
    pi432 = next(row for row in grid_rows if row[0].startswith("PI.432"))
    assert pi432[1:4] == ["86.60, Q2 2021/22", "85.00", "Amber: just short of target"]
    charted = [c for s in slides[2:] for c in _charts(s)]
    assert not _charts(slides[0]) and len(charted) == sum(p.chart.has_data for p in area5.panels)


# Commentary, provisional figures, awkward text --------------------------------------------------


@pytest.fixture
def small_plan():
    """One area, five KPIs; the first with commentary, the second awaiting sign-off."""
    plan = PlanFactory(title="Small plan", start=D(2021, 1, 1), end=D(2022, 3, 31))
    area = PriorityAreaFactory(plan=plan, number=1, title="Front door")
    for n in range(5):
        kpi = KpiFactory(code=f"S.{n}", title=f"Measure {n}")
        kpi.areas.add(area)
        TargetFactory(kpi=kpi, starts=D(2021, 1, 1), value=Decimal("80"))
        ActualFactory(
            kpi=kpi, period=D(2021, 8, 1), value=Decimal("70"), state=Actual.State.SIGNED_OFF
        )
        ActualFactory(
            kpi=kpi,
            period=SEP,
            value=Decimal("81.5") if n else Decimal("75"),
            state=Actual.State.SUBMITTED if n == 1 else Actual.State.SIGNED_OFF,
            what_data_tells_us="More contacts were progressed in time." if n == 0 else "",
            issues_and_risks="Two vacancies in the hub." if n == 0 else "",
            evidence_of_impact="Audits show better decisions." if n == 0 else "",
        )
    return plan


def test_notes_hold_each_kpis_commentary_for_the_month(small_plan):
    _, deck = _render(small_plan)
    notes = _notes(_area_slides(deck)[0])
    assert "S.0 Measure 0: 75.0%, Sep 2021." in notes
    assert "What is the data telling us: More contacts were progressed in time." in notes
    assert "What are the issues and risks: Two vacancies in the hub." in notes
    assert "What evidence shows the actions are working: Audits show better decisions." in notes
    assert "S.2 Measure 2: 81.5%, Sep 2021.\nNo commentary is recorded for Sep 2021." in notes


def test_provisional_figures_are_marked_and_listed_on_the_closing_slide(small_plan):
    _, deck = _render(small_plan)
    assert "1 figure not yet signed off." in _text(deck.slides[0])
    grid = _text(_area_slides(deck)[0])
    assert "81.5% (provisional), Sep 2021" in grid and "Green: target met" in grid
    closing = deck.slides[-1]
    assert closing.shapes.title.text_frame.text == "Sign-off of the figures"
    listed = _text(closing)
    assert "S.1 Measure 1\nSep 2021\n81.5% (provisional)\nAwaiting sign-off" in listed
    assert "S.2" not in listed
    chart = next(c for s in deck.slides for c in _charts(s) if "S.1" in c.name)
    assert _series(chart)["Actual"]["Sep 2021 (provisional)"] == 81.5
    hollow = chart.chart.plots[0].series[0]._element.dPt_lst
    assert [point.idx.val for point in hollow] == [1]  # Sep 2021's; Aug 2021's is signed off


def test_closing_slide_says_when_every_figure_is_signed_off_or_none_need_be(small_plan):
    Actual.objects.update(state=Actual.State.SIGNED_OFF)
    _, deck = _render(small_plan)
    assert "Every figure is signed off." in _text(deck.slides[-1])
    with override_settings(SIGN_OFF_REQUIRED=False):
        _, deck = _render(small_plan)
    assert words.NOT_ASKED in _text(deck.slides[-1])


def test_text_that_looks_like_a_formula_stays_plain_text(small_plan):
    area = small_plan.areas.get()
    area.title = '=HYPERLINK("http://example.com","Click")'
    area.save()
    kpi = area.kpis.get(code="S.0")
    kpi.title = "+cmd|' /C calc'!A0"
    kpi.save()
    Actual.objects.filter(kpi=kpi, period=SEP).update(
        what_data_tells_us="=1+2", issues_and_risks="@SUM(A1)\x0bwith a control character\x01"
    )
    _, deck = _render(small_plan)
    slide = _area_slides(deck)[0]
    assert slide.shapes.title.text_frame.text == f"1. {area.title}"
    assert "S.0 +cmd|' /C calc'!A0" in _text(slide)
    assert "What is the data telling us: =1+2" in _notes(slide)
    assert "What are the issues and risks: @SUM(A1)" in _notes(slide)
    for chart in (c for s in deck.slides for c in _charts(s)):
        book = openpyxl.load_workbook(io.BytesIO(chart.chart.part.chart_workbook.xlsx_part.blob))
        cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
        assert cells and all(cell.data_type != "f" for cell in cells)


def test_a_plan_with_no_areas_or_kpis_still_renders():
    empty = PlanFactory(title="New plan")
    _, deck = _render(empty)
    assert [_name(s) for s in deck.slides] == ["Title", "Sign-off"]
    assert "This plan has no priority areas yet." in _text(deck.slides[0])
    PriorityAreaFactory(plan=empty, number=1, title="Not yet measured")
    _, deck = _render(empty)
    assert "No KPIs are linked to this area yet." in _text(_area_slides(deck)[0])


def test_the_registry_renders_pptx_and_reports_progress(small_plan):
    content = pack.build(small_plan, SEP, today=TODAY)
    said = []
    data = FORMATS["pptx"].render_pack(content, progress=said.append)
    assert data[:2] == b"PK" and said == ["Area 1 of 1"]


# Query counts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kpis", [10, 200])
def test_rendering_reads_only_the_pack(django_assert_num_queries, kpis):
    plan = build_plan(kpis, months=36)
    content = pack.build(plan, D(2021, 12, 1), today=TODAY)
    with django_assert_num_queries(0):
        deck = Presentation(io.BytesIO(render_pack(content)))
    charts = [c for s in deck.slides for c in _charts(s)]
    assert len(charts) == kpis
    # Every figure is awaiting sign-off: each of the first chart's dots is hollow, in order.
    actual = charts[0].chart.plots[0].series[0]
    marked = [i for i, c in enumerate(charts[0].chart.plots[0].categories) if "(provisional)" in c]
    assert len(marked) > 10 and [p.idx.val for p in actual._element.dPt_lst] == marked


def test_an_areas_file_says_it_is_one_area_and_gives_that_areas_status_not_the_plans(dudley):
    area = dudley.areas.get(number=3)
    content = pack.build(dudley, SEP, today=TODAY, areas=[area.pk])
    first = _text(Presentation(io.BytesIO(render_pack(content))).slides[0])
    assert "Area 3 of the board pack, as it stood in September 2021" in first
    assert f"Area 3 status for September 2021: {content.reports[0].line.headline}" in first
    assert "Plan status" not in first
    about = openpyxl.load_workbook(io.BytesIO(FORMATS["xlsx"].render_pack(content)))["About"]
    facts = {row[0]: row[1] for row in about.iter_rows(values_only=True) if row and row[0]}
    assert "Plan status" not in facts and "Area 3 status" in facts
