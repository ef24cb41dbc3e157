"""Every board page runs the same number of queries at 10, 200 and 2,000 KPIs.

Each page is asked for with the cache cleared, so the count is of the cold
page: the one served after a write. The plans are built with bulk_create and a
few months of figures, so the test stays quick; the counts do not depend on
the number of months (tests/reports/test_queries.py).
"""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.models import Kpi
from priorities import roles
from tests.factories import user_in
from tests.reports.builders import build_plan

pytestmark = pytest.mark.django_db

SIZES = (10, 200, 2000)
MONTHS = 4  # January to April 2019

# The counts when this test was written, besides the session's read (one
# query): overview 13 (for a month too), area 17, KPI 12, scorecard 13, pack 16,
# returns 10, at each size. Paging a page may change its count, never make
# it grow with the plan.

# Each page's URL for a plan, its first area and its first KPI.
PAGES = {
    "overview": lambda plan, area, kpi: reverse("home") + f"?plan={plan.pk}",
    "overview for a month": lambda plan, area, kpi: (
        reverse("home") + f"?plan={plan.pk}&period=2019-02"
    ),
    "area": lambda plan, area, kpi: reverse("area-detail", args=[area.pk]),
    "KPI": lambda plan, area, kpi: reverse("kpi-detail", args=[kpi.pk]),
    "scorecard": lambda plan, area, kpi: reverse("scorecard") + f"?plan={plan.pk}",
    "pack": lambda plan, area, kpi: reverse("board-pack") + f"?plan={plan.pk}",
    "returns": lambda plan, area, kpi: reverse("returns") + f"?plan={plan.pk}&period=2019-03",
}


@pytest.fixture
def board_client(client):
    client.force_login(user_in(roles.BOARD_MEMBER, "board"))
    client.get(reverse("accessibility"))  # the session's first save happens here
    return client


def _cold_queries(client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    # The session timeout saves the session at most once a minute, whenever
    # that falls: the session's own queries are left out of the count.
    return sum(not _about_the_session(query["sql"]) for query in queries)


def _about_the_session(sql: str) -> bool:
    return "django_session" in sql or "SAVEPOINT" in sql


def test_every_board_page_runs_the_same_queries_at_10_200_and_2000_kpis(board_client):
    counts: dict[str, list[int]] = {name: [] for name in PAGES}
    for size in SIZES:
        plan = build_plan(size, months=MONTHS, prefix=f"S{size}")
        area = plan.areas.order_by("number").first()
        kpi = Kpi.objects.filter(areas__plan=plan).order_by("code").first()
        for name, url in PAGES.items():
            counts[name].append(_cold_queries(board_client, url(plan, area, kpi)))
    differ = {name: seen for name, seen in counts.items() if len(set(seen)) > 1}
    assert not differ, f"queries at {SIZES} KPIs: {counts}"
