"""The overview's and the scorecard's KPIs a page at a time, as a board member meets them."""

import datetime
import re

import pytest
from django.urls import reverse

from metrics.models import Kpi
from metrics.summary import summarise_plan
from tests.reports.builders import build_plan
from tests.reports.helpers import element, text

pytestmark = pytest.mark.django_db

KPI_ROW = re.compile(r'<tr [^>]*id="kpi-(\d+)"')


@pytest.fixture
def plan():
    return build_plan(120, months=24)


def _get(client, name, **query) -> str:
    response = client.get(reverse(name), query)
    assert response.status_code == 200
    return response.content.decode()


def _codes(page: str) -> list[str]:
    ids = [int(pk) for pk in KPI_ROW.findall(page)]
    codes = dict(Kpi.objects.filter(pk__in=ids).values_list("pk", "code"))
    return [codes[pk] for pk in ids]


def test_overview_page_two_starts_at_the_51st_kpi(board_client, plan):
    first = _get(board_client, "home", plan=plan.pk, period="2020-09")
    second = _get(board_client, "home", plan=plan.pk, period="2020-09", page=2)
    assert _codes(first) == [f"B.{i:04d}" for i in range(50)]
    assert _codes(second) == [f"B.{i:04d}" for i in range(50, 100)]
    assert "Every KPI in the plan for Sep 2020: 51 to 100 of 120" in text(second)
    nav = re.search(r'<nav class="govuk-pagination".*?</nav>', second, re.S)[0]
    assert 'aria-current="page"' in nav and "?plan=" in nav and "period=2020-09" in nav
    assert "page=3#kpis-heading" in nav


@pytest.mark.parametrize("page", ["999", "abc", "-1", "0"])
def test_overview_bad_page_number_gives_a_page_not_an_error(board_client, plan, page):
    shown = _codes(_get(board_client, "home", plan=plan.pk, period="2020-09", page=page))
    assert len(shown) in (50, 20)


def test_overview_filter_and_sort_apply_to_every_kpi_before_paging(board_client, plan):
    area = plan.areas.get(number=2)  # every third KPI: 40 of them
    query = {"plan": plan.pk, "period": "2020-09", "area": area.pk, "sort": "-kpi"}
    page = _get(board_client, "home", **query)
    in_area = sorted(area.kpis.values_list("code", flat=True), reverse=True)
    assert _codes(page) == in_area
    assert "(showing 40 of 120)" in text(page)
    assert 'class="govuk-pagination"' not in page  # one page holds them

    descending = _get(board_client, "home", plan=plan.pk, period="2020-09", sort="-kpi", page=3)
    assert _codes(descending) == [f"B.{i:04d}" for i in reversed(range(20))]


def test_overview_rollups_count_every_kpi_whatever_the_page(board_client, plan):
    page = _get(board_client, "home", plan=plan.pk, period="2020-09", page=3)
    summary = summarise_plan(plan, datetime.date(2020, 9, 1))
    assert summary.rollup.kpi_count == 120
    assert [area.rollup.kpi_count for area in summary.areas] == [40, 40, 40]
    assert "120 KPIs: " in text(page)
    for area in summary.areas:
        row = text(element(page, f"area-{area.area.pk}"))
        counts = [int(n) for n in row.split(area.rollup.headline)[1].split()[:7]]
        assert sum(counts) == 40


def test_overview_links_to_every_kpi_in_one_file(board_client, plan):
    page = _get(board_client, "home", plan=plan.pk, period="2020-09")
    assert f'{reverse("scorecard-csv")}?plan={plan.pk}&amp;period=2020-09"' in page


def test_scorecard_pages_its_kpis_and_keeps_the_csv_whole(board_client, plan):
    second = _get(board_client, "scorecard", plan=plan.pk, period="2020-09", page=2)
    assert _codes(second) == [f"B.{i:04d}" for i in range(50, 100)]
    caption = text(element(second, "scorecard-caption"))
    assert caption.endswith(": 51 to 100 of 120")
    response = board_client.get(reverse("scorecard-csv"), {"plan": plan.pk, "period": "2020-09"})
    assert len(re.findall(r"^,B\.\d{4},", response.content.decode(), re.M)) == 120


def test_scorecard_filter_sort_and_page_together(board_client, plan):
    query = {"plan": plan.pk, "period": "2020-09", "sort": "-kpi", "page": "2"}
    assert _codes(_get(board_client, "scorecard", **query)) == [
        f"B.{i:04d}" for i in reversed(range(20, 70))
    ]
    owner = Kpi.objects.get(code="B.0000").owner  # every third KPI: 40 of them
    filtered = _get(board_client, "scorecard", plan=plan.pk, period="2020-09", owner=owner.pk)
    assert len(_codes(filtered)) == 40
    assert "(showing 40 of 120)" in text(element(filtered, "scorecard-caption"))


@pytest.mark.parametrize("page", ["999", "abc"])
def test_scorecard_bad_page_number_gives_a_page_not_an_error(board_client, plan, page):
    assert len(_codes(_get(board_client, "scorecard", plan=plan.pk, page=page))) in (50, 20)


def test_scorecard_sorting_starts_again_at_the_first_page(board_client, plan):
    page = _get(board_client, "scorecard", plan=plan.pk, period="2020-09", page=2)
    links = re.findall(r'<a class="govuk-link app-sort-link" href="([^"]*)"', page)
    assert len(links) == 4
    assert not any("page=" in link for link in links)


def test_overview_sorting_starts_again_at_the_first_page(board_client, plan):
    page = _get(board_client, "home", plan=plan.pk, period="2020-09", page=2)
    links = re.findall(r'<a class="govuk-link app-sort-link" href="([^"]*)"', page)
    assert links and not any("page=" in link for link in links)
    assert all("period=2020-09" in link for link in links)
