"""The board pack a page at a time: the summary and contents first, then the areas, at most
ten KPI panels a page; the downloads keep the whole pack in one file."""

import datetime

import pytest
from django.utils import timezone

from reports import pack, pack_page, pack_pages
from reports.pack_pages import Slot
from tests.factories import ActualFactory, KpiFactory, PlanFactory, PriorityAreaFactory
from tests.reports.helpers import charts, element, text
from tests.reports.pack_pages_helpers import kpi_table
from tests.reports.pack_pages_helpers import pack_page as get_page

pytestmark = pytest.mark.django_db
NOV = datetime.date(2021, 11, 1)


@pytest.fixture
def plan():
    """Area 1 with twelve KPIs (more than a page), area 2 with three, area 3 with none."""
    plan = PlanFactory()
    areas = [PriorityAreaFactory(plan=plan, number=n) for n in (1, 2, 3)]
    for area, count in zip(areas, (12, 3, 0), strict=True):
        for n in range(1, count + 1):
            kpi = KpiFactory(code=f"A{area.number}.{n:02d}")
            kpi.areas.add(area)
            ActualFactory(kpi=kpi, period=NOV)
    return plan


def _areas(plan):
    return list(plan.areas.order_by("number"))


def test_layout_splits_a_long_area_and_shares_a_page_between_short_ones():
    assert pack_pages.layout([(1, 12), (2, 3), (3, 0)], 10) == [
        [Slot(1, 0, 10, 12)],
        [Slot(1, 10, 12, 12), Slot(2, 0, 3, 3), Slot(3, 0, 0, 0)],
    ]
    # An area that does not fit in what is left of a page starts a new one.
    assert pack_pages.layout([(1, 4), (2, 8)], 10) == [[Slot(1, 0, 4, 4)], [Slot(2, 0, 8, 8)]]
    assert pack_pages.layout([], 10) == []


def test_page_one_is_the_summary_contents_and_sign_off_list_with_no_charts(board_client, plan):
    page = get_page(board_client, 1, plan=plan.pk, period="2021-11")
    assert 'id="contents"' in page and 'id="provisional"' in page
    assert charts(page) == {}
    assert "over 3 pages: this is page 1" in text(page)
    # Nor does it make the reader download the charting library.
    assert "plotly" not in page and "charts.js" not in page


def test_the_contents_link_to_the_page_where_each_area_starts(board_client, plan):
    first, second, third = _areas(plan)
    page = get_page(board_client, 1, plan=plan.pk, period="2021-11").replace("&amp;", "&")
    contents = element(page, "contents")
    assert f'href="?plan={plan.pk}&period=2021-11&page=2#area-{first.pk}"' in contents
    assert f'href="?plan={plan.pk}&period=2021-11&page=3#area-{second.pk}"' in contents
    assert f'href="?plan={plan.pk}&period=2021-11&page=3#area-{third.pk}"' in contents


def test_page_two_holds_the_first_ten_panels_of_the_long_area(board_client, plan):
    first = _areas(plan)[0]
    page = get_page(board_client, 2, plan=plan.pk, period="2021-11")
    assert len(charts(page)) == 10
    assert "/static/vendor/plotly/" in page and "charts.js" in page
    assert f'id="area-{first.pk}"' in page
    # Its table lists the KPIs charted here, saying which; its actions come where it ends.
    table = kpi_table(page, first)
    assert "Area 1's KPIs for November 2021, 1 to 10 of 12" in table
    assert "A1.10" in table and "A1.11" not in table
    assert f'id="area-{first.pk}-actions"' not in page


def test_page_three_carries_on_the_long_area_then_holds_the_next_areas(board_client, plan):
    first, second, third = _areas(plan)
    page = get_page(board_client, 3, plan=plan.pk, period="2021-11")
    assert "Area 1 (continued)" in text(page)
    assert len(charts(page)) == 2 + 3
    positions = [
        page.index(f'id="{anchor}"')
        for anchor in (f"area-{first.pk}-continued", f"area-{second.pk}", f"area-{third.pk}")
    ]
    assert positions == sorted(positions)
    assert f'id="area-{first.pk}-actions"' in page
    assert "No KPIs are linked to this area yet." in text(element(page, f"area-{third.pk}"))


def test_a_continued_areas_table_links_to_its_panels_on_the_same_page(board_client, plan):
    first = _areas(plan)[0]
    page = get_page(board_client, 3, plan=plan.pk, period="2021-11")
    twelfth = first.kpis.get(code="A1.12")
    anchor = f"area-{first.pk}-kpi-{twelfth.pk}-chart-section"
    assert f'href="#{anchor}"' in page and f'id="{anchor}"' in page
    assert "11 to 12 of 12" in text(page)


@pytest.mark.parametrize("asked", ["x", "0", "99", "-1"])
def test_a_bad_page_number_gives_a_page_not_an_error(board_client, plan, asked):
    page = get_page(board_client, asked, plan=plan.pk, period="2021-11")
    assert 'aria-label="Board pack: pages"' in page
    # "x" gives the first page, the rest the last: its charts come with their scripts.
    assert ("charts.js" in page) == (asked != "x") == bool(charts(page))


def test_the_whole_pack_for_the_pdf_still_has_every_area_and_chart(plan):
    built = pack.build(plan, NOV, today=timezone.localdate())
    html = pack_page.render_html(built)
    for area in _areas(plan):
        assert f'id="area-{area.pk}"' in html
    assert len(charts(html)) == 15
    assert 'id="contents"' in html and "govuk-pagination" not in html
    # Its contents and table link within the one page.
    assert f'href="#area-{_areas(plan)[1].pk}"' in html


def test_a_long_sign_off_list_comes_a_page_at_a_time(board_client, plan, monkeypatch):
    monkeypatch.setattr(pack_pages.area_page, "ROWS_PER_PAGE", 10)
    page = get_page(board_client, 1, plan=plan.pk, period="2021-11")
    listed = element(page, "provisional")
    assert "15 figures in this pack are provisional" in text(listed)
    assert listed.count('id="provisional-kpi-') == 10
    assert "Provisional figures 1 to 10 of 15" in text(listed)
    page = get_page(board_client, 1, plan=plan.pk, period="2021-11", signoff=2)
    listed = element(page, "provisional")
    assert listed.count('id="provisional-kpi-') == 5
    assert "still provisional for November 2021: 11 to 15 of 15" in text(listed)


def test_the_pack_says_which_of_its_pages_is_open(board_client, plan):
    page = text(get_page(board_client, 2, plan=plan.pk, period="2021-11"))
    assert "Board pack: page 2 of" in page and "pages 2 to 2" not in page
