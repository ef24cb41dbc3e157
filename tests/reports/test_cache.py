"""Board caches are keyed by what each page shows (metrics.stamps).

A write shows at once on every page showing it, and leaves every other KPI's
fragments and every other plan's pages warm.
"""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics import services, stamps
from reports import board, views
from tests.factories import (
    UserFactory,
    plan_with_kpis,
    save_figure,
)
from tests.reports.helpers import text

NOV = datetime.date(2021, 11, 1)
pytestmark = pytest.mark.django_db


def _pages(plan, area, kpi) -> dict[str, str]:
    return {
        "overview": reverse("home") + f"?plan={plan.pk}&period=2021-11",
        "area": reverse("area-detail", args=[area.pk]) + "?period=2021-11",
        "pack": reverse("board-pack") + f"?plan={plan.pk}&period=2021-11",
        "kpi": reverse("kpi-detail", args=[kpi.pk]) + "?period=2021-11",
    }


def _charts_built(client, url: str) -> list[str]:
    """The KPI codes whose charts were drawn to serve the page (not read from the cache)."""
    with mock.patch.object(board.charts, "kpi_figure", wraps=board.charts.kpi_figure) as built:
        assert client.get(url).status_code == 200
    return sorted(call.args[0].code for call in built.call_args_list)


def test_a_saved_figure_shows_at_once_on_every_page_showing_it(board_client):
    plan, area, (first, _second) = plan_with_kpis("CSIP")
    pages = _pages(plan, area, first)
    for url in pages.values():
        assert "10.5" in text(board_client.get(url).content.decode())

    save_figure(first, NOV, "77.7")

    for name, url in pages.items():
        page = text(board_client.get(url).content.decode())
        assert "77.7" in page, name
        # The KPI page's change history names the old figure; no other page does.
        assert ("10.5" in page) == (name == "kpi"), name


def test_a_saved_figure_redraws_only_its_own_kpi_panel(board_client):
    plan, area, (first, second) = plan_with_kpis("CSIP")
    url = _pages(plan, area, first)["area"]
    assert _charts_built(board_client, url) == ["CSIP.1", "CSIP.2"]
    assert _charts_built(board_client, url) == []  # the page itself is cached

    save_figure(first, NOV, "77.7")

    assert _charts_built(board_client, url) == ["CSIP.1"]
    pack = _pages(plan, area, first)["pack"] + "&page=2"  # the areas start on page 2
    board_client.get(pack)
    save_figure(second, NOV, "88.8")
    # The pack shares nothing with the area page's panels (headings differ), but
    # within it only the KPI written is drawn again.
    assert _charts_built(board_client, pack) == ["CSIP.2"]


def test_a_saved_figure_leaves_another_plans_pages_warm(board_client):
    _plan, _area, (first, _) = plan_with_kpis("CSIP")
    other_plan, other_area, (other_kpi, _) = plan_with_kpis("SEND")
    others = _pages(other_plan, other_area, other_kpi)
    for name in ("overview", "area", "pack"):
        board_client.get(others[name])
    key = stamps.for_plan(other_plan.pk).key

    save_figure(first, NOV, "77.7")

    assert stamps.for_plan(other_plan.pk).key == key
    assert stamps.for_area(other_area.pk).kpis == stamps.for_plan(other_plan.pk).kpis
    with mock.patch("reports.views.summarise_plan") as summarise:
        assert board_client.get(others["overview"]).status_code == 200
    summarise.assert_not_called()
    assert _charts_built(board_client, others["area"]) == []
    assert _charts_built(board_client, others["pack"]) == []


def test_a_kpi_stamp_moves_with_each_kind_of_write():
    _plan, area, (kpi, other) = plan_with_kpis("CSIP")
    before = stamps.for_area(area.pk)
    kpi.targets.create(starts=NOV, value=Decimal("50"))
    after = stamps.for_area(area.pk)
    assert after.kpi(kpi.pk) != before.kpi(kpi.pk)
    assert after.kpi(other.pk) == before.kpi(other.pk)
    assert after.area(area.pk) == before.area(area.pk)


def _distinct_queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries if "DISTINCT" in q["sql"] and '"period"' in q["sql"]]


def test_a_warm_page_does_not_read_the_plans_months_again(board_client):
    plan, area, (first, _second) = plan_with_kpis("CSIP")
    for name, url in _pages(plan, area, first).items():
        if name == "kpi":  # the KPI page shows its own months, not the plan's
            continue
        cache.clear()  # the pages of one plan share its months: each starts cold
        assert _distinct_queries(board_client, url), name  # cold: the months are read
        assert _distinct_queries(board_client, url) == [], name


def test_a_new_months_figure_shows_in_the_month_selector_at_once(board_client):
    plan, area, (first, _second) = plan_with_kpis("CSIP")
    december = '>Dec<span class="govuk-visually-hidden"> 2021</span>'  # in bold, with figures
    overview = reverse("home") + f"?plan={plan.pk}"
    area_page = reverse("area-detail", args=[area.pk])  # no selector: the latest month
    assert december not in board_client.get(overview).content.decode()
    assert "November 2021" in board_client.get(area_page).content.decode()

    services.save_actual(
        kpi=first,
        period=NOV.replace(month=12),
        user=UserFactory(),
        expected_version=None,
        value=Decimal("5"),
    )

    page = board_client.get(overview).content.decode()
    assert december in page and "December 2021" in page
    assert "December 2021" in board_client.get(area_page).content.decode()


# The overview for a month is keyed by the figures up to that month ----------


def _overview(client, plan, month: str = "2021-11") -> str:
    url = reverse("home") + f"?plan={plan.pk}&period={month}"
    return text(client.get(url).content.decode())


def _summaries_built(client, plan) -> int:
    """How many times serving the November overview worked out the plan's summary."""
    with mock.patch("reports.views.summarise_plan", wraps=views.summarise_plan) as built:
        _overview(client, plan)
    return built.call_count


def test_a_figure_for_a_later_month_leaves_a_past_months_overview_warm(board_client):
    plan, _area, (first, _second) = plan_with_kpis("CSIP")
    save_figure(first, datetime.date(2022, 1, 1), "33.3")  # January's first figure
    assert _summaries_built(board_client, plan) == 1
    assert _summaries_built(board_client, plan) == 0

    save_figure(first, datetime.date(2022, 1, 1), "44.4")  # changed, a later month

    assert _summaries_built(board_client, plan) == 0


def test_a_figure_for_the_month_or_before_shows_at_once_on_its_overview(board_client):
    plan, _area, (first, _second) = plan_with_kpis("CSIP")
    assert "No figure Oct 2021" in _overview(board_client, plan)  # the previous figure

    save_figure(first, datetime.date(2021, 10, 1), "9.5")

    page = _overview(board_client, plan)
    assert "9.5% (provisional) Oct 2021" in page
    save_figure(first, NOV, "11.5")
    assert "11.5%" in _overview(board_client, plan)


def test_a_first_figure_for_a_new_month_shows_in_a_past_months_month_choice(board_client):
    plan, _area, (first, _second) = plan_with_kpis("CSIP")
    assert "Jan 2022 (no figures)" in _overview(board_client, plan)

    save_figure(first, datetime.date(2022, 1, 1), "33.3")

    page = _overview(board_client, plan)
    assert "Jan 2022 (no figures)" not in page and "Jan 2022" in page


def test_a_figure_moved_to_a_later_month_leaves_its_old_months_overview_at_once(board_client):
    plan, _area, (first, second) = plan_with_kpis("CSIP")
    save_figure(second, datetime.date(2022, 1, 1), "22.2")  # the months with figures stay
    assert "10.5%" in _overview(board_client, plan)

    moved = first.actuals.get(period=NOV)
    moved.period = datetime.date(2022, 1, 1)
    moved.save()  # as the data admin would, with its history row

    assert "10.5%" not in _overview(board_client, plan)
