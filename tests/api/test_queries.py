"""Each endpoint runs a fixed number of queries, whatever the number of KPIs, months and rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.models import Kpi
from priorities.models import Action, ActionStatus, Finding, FindingStatus
from tests.api.conftest import token_client
from tests.factories import FindingSourceFactory, OfficerFactory, PriorityAreaFactory
from tests.reports.builders import build_plan

pytestmark = pytest.mark.django_db

# The token (with its login), and, once the token's last use is recorded for
# the minute, nothing more for it; a checked filter reads its record.
TOKEN = 1
# The count, the page's ids, and the board read (metrics.summary.for_board: five).
KPI_LIST = TOKEN + 1 + 2 + 5
# The KPI with its whole history (Kpi.objects.with_history: six).
SERIES = TOKEN + 6
# A checked filter, the count and the page (with its dated states in the same query).
DATED_LIST = TOKEN + 1 + 2


def _queries(client, url: str, params: dict) -> int:
    client.get(url, params)  # the token's last use is recorded once a minute
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(queries)


@pytest.fixture
def client(db):
    return token_client()[0]


@pytest.mark.parametrize("kpis", [10, 500])
def test_kpis_and_a_series_run_a_fixed_number_of_queries(client, kpis):
    plan = build_plan(kpis, months=60)
    params = {"plan": plan.pk, "period": "2023-12", "page_size": 500}
    assert _queries(client, "/api/v1/kpis/", params) == KPI_LIST
    response = client.get("/api/v1/kpis/", params)
    assert len(response.json()["results"]) == kpis
    kpi = Kpi.objects.order_by("code").first()
    assert _queries(client, f"/api/v1/kpis/{kpi.pk}/series/", {}) == SERIES
    assert _queries(client, f"/api/v1/kpis/{kpi.pk}/series/", {"format": "csv"}) == SERIES
    assert len(client.get(f"/api/v1/kpis/{kpi.pk}/series/").json()["actuals"]) == 60


def _dated_actions(count: int):
    area = PriorityAreaFactory()
    owners = [OfficerFactory() for _ in range(3)]
    made = Action.objects.bulk_create(
        Action(
            area=area, ref=str(n), description=f"Action {n}", owner=owners[n % 3],
            original_delivery_date=datetime.date(2021, 3, 31),
            status=Action.Status.COMPLETED, completed_date=datetime.date(2022, 1, 5),
            status_as_at=datetime.date(2022, 1, 5),
        )
        for n in range(count)
    )  # fmt: skip
    ActionStatus.objects.bulk_create(
        ActionStatus(action=action, effective=datetime.date(2020, 1, 1), status="in_progress")
        for action in made
    )
    return area


def _dated_findings(count: int):
    source = FindingSourceFactory(date=datetime.date(2021, 1, 15))
    officer = OfficerFactory()
    made = Finding.objects.bulk_create(
        Finding(
            source=source, ref=f"R{n}", kind="improvement", title=f"Finding {n}", cited="p. 3",
            responsible_officer=officer, status="closed", evidence="Audit",
            status_as_at=datetime.date(2022, 1, 5),
        )
        for n in range(count)
    )  # fmt: skip
    FindingStatus.objects.bulk_create(
        FindingStatus(finding=finding, effective=datetime.date(2021, 1, 15), status="open")
        for finding in made
    )
    return source


@pytest.mark.parametrize("rows", [10, 500])
def test_actions_and_findings_run_a_fixed_number_of_queries(client, rows):
    area = _dated_actions(rows)
    params = {"area": area.pk, "period": "2021-06", "page_size": 500}
    assert _queries(client, "/api/v1/actions/", params) == DATED_LIST
    found = client.get("/api/v1/actions/", params).json()["results"]
    assert len(found) == rows and {row["status"] for row in found} == {"in_progress"}
    source = _dated_findings(rows)
    params = {"source": source.pk, "period": "2021-06", "page_size": 500}
    assert _queries(client, "/api/v1/findings/", params) == DATED_LIST
    found = client.get("/api/v1/findings/", params).json()["results"]
    assert len(found) == rows and {row["status"] for row in found} == {"open"}
