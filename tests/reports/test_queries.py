"""Each board page runs a fixed number of queries, whatever the number of KPIs and months."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.models import Kpi
from tests.factories import UserFactory
from tests.reports.builders import build_plan

pytestmark = pytest.mark.django_db

# Every signed-in request reads the session and the user; at most once a
# minute the session timeout middleware also saves the session (three queries
# with its savepoint).
REQUEST = 5
# Plans, months with figures, the data stamp and the board read (seven: the
# areas, then their action counts in one grouped query) for the overview; the
# area and its action counts, months, the stamp, whether it has KPIs, actions, every KPI's
# board read (five) for its table, and the history (six, definition changes
# among them) and linked actions of the KPIs charted on the page for an area;
# the KPI history (six), the actions its chart marks and three change
# histories for a KPI, which cold also reads its heading (whether it has
# anything to chart) and its stamps (the data stamp, then its own).
OVERVIEW_QUERIES = REQUEST + 10
# The overview is keyed by the stamps of its figures up to its month, read
# beside the plan's whole stamps (which key its months): one grouped query more.
OVERVIEW_QUERIES += 1
AREA_QUERIES = REQUEST + 17
KPI_QUERIES = REQUEST + 11
# Cold, the plan's months cost two queries (their cache is keyed by the plan's
# stamps), and the area is read again with its action counts (two queries),
# which a page served from the cache never reads.
AREA_QUERIES += 4
# Plans, months, the areas' KPI counts (the pages' layout), then on a page of
# areas: the areas and their action counts (two queries), their KPIs' board read (five), the
# history (six) and linked actions of the KPIs charted on the page, and the
# areas' actions; and, as every cached page, the stamps of what it shows
# (metrics.stamps: two queries). The first page reads the plan's summary instead.
PACK_QUERIES = REQUEST + 17


@pytest.fixture
def board_client(client):
    client.force_login(UserFactory())
    client.get(reverse("accessibility"))  # the session's first save happens here
    return client


def _area(plan):
    return plan.areas.order_by("number").first()


@pytest.mark.parametrize("kpis", [10, 200])
def test_overview_runs_a_fixed_number_of_queries(board_client, django_assert_max_num_queries, kpis):
    plan = build_plan(kpis, months=36)
    with django_assert_max_num_queries(OVERVIEW_QUERIES):
        response = board_client.get(reverse("home"), {"plan": plan.pk, "period": "2021-12"})
    assert response.status_code == 200
    # The overview draws its KPIs 50 a page (its rollups count every one).
    assert response.content.decode().count('id="kpi-') == min(kpis, 50)


@pytest.mark.parametrize("kpis", [10, 200])
def test_overview_with_filters_and_sorting_runs_a_fixed_number_of_queries(
    board_client, django_assert_max_num_queries, kpis
):
    plan = build_plan(kpis, months=36)
    owner = Kpi.objects.filter(owner__isnull=False).first().owner
    query = {"plan": plan.pk, "owner": owner.pk, "area": _area(plan).pk, "sort": "-status"}
    with django_assert_max_num_queries(OVERVIEW_QUERIES):
        response = board_client.get(reverse("home"), query)
    assert response.status_code == 200


@pytest.mark.parametrize("kpis", [10, 200])
def test_area_page_runs_a_fixed_number_of_queries(
    board_client, django_assert_max_num_queries, kpis
):
    plan = build_plan(kpis, months=36, areas=1)  # every KPI in one area
    url = reverse("area-detail", args=[_area(plan).pk])
    with django_assert_max_num_queries(AREA_QUERIES):
        response = board_client.get(url)
    assert response.status_code == 200
    # The charts come a page at a time (reports.area_page).
    assert response.content.decode().count('class="app-chart-data"') == 10


@pytest.mark.parametrize("kpis", [10, 200])
def test_kpi_page_runs_a_fixed_number_of_queries(board_client, django_assert_max_num_queries, kpis):
    build_plan(kpis, months=36)
    kpi = Kpi.objects.order_by("code").first()
    url = reverse("kpi-detail", args=[kpi.pk])
    with django_assert_max_num_queries(KPI_QUERIES):
        response = board_client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('data-series="actual"') == 36


@pytest.mark.parametrize("kpis", [10, 200])
def test_board_pack_runs_a_fixed_number_of_queries(
    board_client, django_assert_max_num_queries, kpis
):
    plan = build_plan(kpis, months=36)
    for page, charted in ((1, 0), (2, 10)):  # the summary, then ten KPIs' panels a page
        url = reverse("board-pack") + f"?plan={plan.pk}&page={page}"
        with django_assert_max_num_queries(PACK_QUERIES):
            response = board_client.get(url)
        assert response.status_code == 200
        assert response.content.decode().count('class="app-chart-data"') == charted


def test_query_counts_do_not_grow_with_the_plan(board_client):
    """The same count for a small plan and a large one, page by page."""
    counts = []
    for kpis, months in ((10, 12), (200, 36)):
        plan = build_plan(kpis, months=months, areas=1, prefix=f"P{kpis}")
        kpi = Kpi.objects.filter(areas__plan=plan).order_by("code").first()
        urls = [
            reverse("home") + f"?plan={plan.pk}",
            reverse("area-detail", args=[_area(plan).pk]),
            reverse("kpi-detail", args=[kpi.pk]),
            reverse("board-pack") + f"?plan={plan.pk}",
            reverse("board-pack") + f"?plan={plan.pk}&page=2",
        ]
        seen = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert board_client.get(url).status_code == 200
            seen.append(len(queries))
        counts.append(seen)
    assert counts[0] == counts[1]


def test_a_repeat_visit_is_served_from_the_cache_until_the_data_changes(board_client):
    from decimal import Decimal

    from metrics.models import Actual

    plan = build_plan(10, months=12)
    url = reverse("home") + f"?plan={plan.pk}"
    first = board_client.get(url).content.decode()
    with CaptureQueriesContext(connection) as repeat:
        again = board_client.get(url).content.decode()

    def main(page):
        return page[page.index("<main") : page.index("</main>")]

    assert main(again) == main(first)
    with CaptureQueriesContext(connection) as fresh:
        board_client.get(url + "&sort=code")
    assert len(repeat) < len(fresh)  # the KPI read was skipped

    actual = Actual.objects.filter(kpi__areas__plan=plan).latest("period")
    actual.value = Decimal("12.3")
    actual.save()
    assert "12.3" in board_client.get(url).content.decode()
