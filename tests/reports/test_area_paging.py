"""An area with many KPIs shows its whole table first, then its charts a page at a time."""

import datetime
import re

import pytest
from django.urls import reverse

from metrics.models import Kpi
from reports import area_page
from tests.factories import ActualFactory, KpiFactory, PlanFactory, PriorityAreaFactory
from tests.reports.helpers import charts, element, text
from tests.reports.pack_pages_helpers import kpi_table

pytestmark = pytest.mark.django_db
NOV = datetime.date(2021, 11, 1)


@pytest.fixture
def area():
    """An area with eleven KPIs, one more than a page of charts."""
    area = PriorityAreaFactory(plan=PlanFactory())
    for n in range(1, 12):
        kpi = KpiFactory(code=f"LONG.{n:02d}")
        kpi.areas.add(area)
        ActualFactory(kpi=kpi, period=NOV)
    return area


def _get(client, area, **query) -> str:
    response = client.get(reverse("area-detail", args=[area.pk]), {"period": "2021-11", **query})
    assert response.status_code == 200
    return response.content.decode()


def _charted(page: str) -> list[str]:
    pks = [int(re.search(r"kpi-(\d+)-chart", chart_id)[1]) for chart_id in charts(page)]
    return [Kpi.objects.get(pk=pk).code for pk in pks]


def test_the_first_page_charts_ten_kpis_and_tables_all_eleven(board_client, area):
    page = _get(board_client, area)
    assert _charted(page) == [f"LONG.{n:02d}" for n in range(1, 11)]
    table = kpi_table(page, area)
    assert all(f"LONG.{n:02d}" in table for n in range(1, 12))
    assert "Charts 1 to 10 of 11 (page 1 of 2)" in text(page)


def test_the_second_page_of_charts_shows_the_eleventh_kpis_chart(board_client, area):
    page = _get(board_client, area, charts=2)
    assert _charted(page) == ["LONG.11"]
    # The table still lists every KPI, as on the first page.
    assert "LONG.01" in kpi_table(page, area)


def test_each_kpi_in_the_table_links_to_the_page_holding_its_panel(board_client, area):
    page = _get(board_client, area).replace("&amp;", "&")
    first, eleventh = (Kpi.objects.get(code=code) for code in ("LONG.01", "LONG.11"))
    assert f'href="?period=2021-11&charts=1#kpi-{first.pk}-chart-section"' in page
    assert f'href="?period=2021-11&charts=2#kpi-{eleventh.pk}-chart-section"' in page
    target = _get(board_client, area, charts=2)
    assert f'id="kpi-{eleventh.pk}-chart-section"' in target


def test_the_pagination_keeps_the_month_and_goes_to_the_charts(board_client, area):
    page = _get(board_client, area).replace("&amp;", "&")
    nav = element(page, "charts")
    assert "Each KPI in the table links to its page" in text(nav)
    assert 'href="?period=2021-11&charts=2#charts" rel="next"' in page


@pytest.mark.parametrize("asked", ["x", "0", "-3", "99", ""])
def test_a_bad_charts_page_number_gives_a_page_not_an_error(board_client, area, asked):
    page = _get(board_client, area, charts=asked)
    assert len(_charted(page)) in (1, 10)


def test_an_area_that_fits_on_one_page_has_no_pagination(board_client):
    area = PriorityAreaFactory(plan=PlanFactory())
    kpi = KpiFactory(code="ONE.01")
    kpi.areas.add(area)
    ActualFactory(kpi=kpi, period=NOV)
    page = _get(board_client, area)
    assert "govuk-pagination" not in page
    assert len(charts(page)) == 1


def test_panel_ids_match_the_panels_they_link_to():
    assert area_page.panel_id("area-3-", 7) == "area-3-kpi-7-chart-section"
