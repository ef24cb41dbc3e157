"""What each list returns: filters, pages, CSV, provisional figures, and months as they stood."""

import csv
import io
from decimal import Decimal

import pytest

from metrics.models import Actual
from priorities import services
from priorities.models import Action, Finding
from tests.api.conftest import D, reader, token_client
from tests.factories import (
    ActionFactory,
    ActualFactory,
    BenchmarkFactory,
    FindingFactory,
    KpiFactory,
    OfficerFactory,
    PlanFactory,
    PriorityAreaFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans():
    """Two plans; PI.426 (quarterly, in plan one's area 1) with a signed-off and a provisional
    figure against a target of 86.3; another KPI in each plan."""
    one, two = PlanFactory(slug="plan-2021"), PlanFactory(slug="send-wsoa")
    first, second = PriorityAreaFactory(plan=one, number=1), PriorityAreaFactory(plan=one, number=2)
    other = PriorityAreaFactory(plan=two, number=1)
    owner = OfficerFactory(role_title="Head of Assessment")
    pi426 = KpiFactory(code="PI.426", frequency="quarterly", owner=owner)
    pi426.areas.add(first)
    TargetFactory(kpi=pi426, starts=D(2021, 4, 1), value=Decimal("86.3"))
    ActualFactory(kpi=pi426, period=D(2021, 6, 1), value=Decimal("77.55"), state="signed_off")
    ActualFactory(kpi=pi426, period=D(2021, 9, 1), value=Decimal("90.3"), note="Q2 figure")
    BenchmarkFactory(
        kpi=pi426, comparator="statistical_neighbours", period=D(2021, 3, 1), value=85.5
    )
    KpiFactory(code="A.1").areas.add(second)
    KpiFactory(code="B.1").areas.add(other)
    return one, two, pi426


def _get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def _codes(client, **params) -> list[str]:
    return [row["code"] for row in _get(client, "/api/v1/kpis/", **params)["results"]]


def test_kpis_show_their_status_for_the_month_in_words_and_code(api, plans, settings):
    settings.SIGN_OFF_REQUIRED = True
    *_, pi426 = plans
    rows = _get(api, "/api/v1/kpis/", period="2021-10", plan=plans[0].pk)["results"]
    row = next(row for row in rows if row["code"] == "PI.426")
    # October reads the quarter that ended in September.
    assert row["period"] == "2021-09-01" and row["period_label"] == "Q2 2021/22"
    assert (row["value"], row["target"]) == (90.3, 86.3)
    assert (row["status"], row["status_label"]) == ("green", "Green: target met")
    assert row["provisional"] is True
    assert (row["direction"], row["direction_label"]) == ("improving", "Improving")
    assert row["owner"] == "Head of Assessment" and row["owner_id"] == pi426.owner_id
    june = _get(api, "/api/v1/kpis/", period="2021-06", plan=plans[0].pk)["results"]
    june_row = next(row for row in june if row["code"] == "PI.426")
    assert (june_row["status"], june_row["provisional"]) == ("red", False)


def test_kpis_filter_by_plan_area_and_owner(api, plans):
    one, two, pi426 = plans
    assert _codes(api) == ["A.1", "B.1", "PI.426"]
    assert _codes(api, plan=one.pk) == ["A.1", "PI.426"]
    assert _codes(api, plan=two.pk) == ["B.1"]
    assert _codes(api, area=pi426.areas.get().pk) == ["PI.426"]
    assert _codes(api, owner=pi426.owner_id) == ["PI.426"]
    assert _codes(api, plan=one.pk, owner=pi426.owner_id) == ["PI.426"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"period": "2021-13"}, "period"), ({"period": "Sept"}, "period"), ({"plan": 999}, "plan"),
     ({"area": "x"}, "area"), ({"owner": 999}, "owner")],
)  # fmt: skip
def test_a_filter_that_cannot_be_read_is_a_400_saying_why(api, plans, params, field):
    response = api.get("/api/v1/kpis/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_areas_filter_by_plan_and_plans_are_listed(api, plans):
    one = plans[0]
    assert [p["slug"] for p in _get(api, "/api/v1/plans/")["results"]] == ["plan-2021", "send-wsoa"]
    areas = _get(api, "/api/v1/areas/", plan=one.pk)["results"]
    assert [(a["plan"], a["number"]) for a in areas] == [(one.pk, 1), (one.pk, 2)]
    assert _get(api, "/api/v1/areas/")["count"] == 3


def test_a_series_has_every_figure_with_its_provisional_flag_targets_and_benchmarks(
    api, plans, settings
):
    settings.SIGN_OFF_REQUIRED = True
    *_, pi426 = plans
    series = _get(api, f"/api/v1/kpis/{pi426.pk}/series/")
    assert series["kpi"]["code"] == "PI.426"
    assert [
        (a["period"], a["period_label"], a["value"], a["provisional"]) for a in series["actuals"]
    ] == [("2021-06-01", "Q1 2021/22", 77.55, False), ("2021-09-01", "Q2 2021/22", 90.3, True)]
    assert series["actuals"][1]["note"] == "Q2 figure"
    assert series["targets"] == [{"starts": "2021-04-01", "value": 86.3, "lower": None,
                                  "upper": None}]  # fmt: skip
    assert series["benchmarks"][0]["comparator"] == "statistical_neighbours"
    assert series["benchmarks"][0]["value"] == 85.5
    settings.SIGN_OFF_REQUIRED = False
    series = _get(api, f"/api/v1/kpis/{pi426.pk}/series/")
    assert [a["provisional"] for a in series["actuals"]] == [False, False]
    assert api.get("/api/v1/kpis/99999/series/").status_code == 404


def _csv(client, url, **params) -> list[dict]:
    response = client.get(url, {"format": "csv", **params})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_every_list_answers_csv_with_a_header_even_when_empty(api, plans):
    empty = PlanFactory()
    for name in ["areas", "kpis", "actions"]:
        response = api.get(f"/api/v1/{name}/", {"format": "csv", "plan": empty.pk})
        assert response.content.decode("utf-8-sig").splitlines()[0].startswith("id,"), name
    response = api.get("/api/v1/findings/", {"format": "csv"})
    assert response.content.decode("utf-8-sig").splitlines() == [
        "id,source_id,source,body,made_on,ref,kind,grade,title,statement,cited,area,officer,"
        "status,status_label,status_since,evidence"
    ]
    refused = api.get("/api/v1/kpis/", {"format": "csv", "plan": 999999})
    assert refused.status_code == 400
    assert refused.content.decode("utf-8-sig").splitlines()[0] == "plan"
    response = api.get("/api/v1/plans/", HTTP_ACCEPT="text/csv")
    assert response["Content-Type"].startswith("text/csv")


def test_csv_rows_are_flat_and_text_that_would_run_as_a_formula_is_escaped(api, plans, settings):
    settings.SIGN_OFF_REQUIRED = True
    *_, pi426 = plans
    pi426.title = '=HYPERLINK("http://evil.example","Click")'
    pi426.save()
    rows = {row["code"]: row for row in _csv(api, "/api/v1/kpis/", period="2021-09")}
    assert rows["PI.426"]["title"] == "'" + pi426.title
    assert (rows["PI.426"]["value"], rows["PI.426"]["target"]) == ("90.3", "86.3")
    assert (rows["PI.426"]["status"], rows["PI.426"]["provisional"]) == ("green", "true")
    assert rows["PI.426"]["areas"] == str(pi426.areas.get().pk)
    series = _csv(api, f"/api/v1/kpis/{pi426.pk}/series/")
    assert [(r["kind"], r["period"], r["value"], r["provisional"]) for r in series] == [
        ("actual", "2021-06-01", "77.55", "false"),
        ("actual", "2021-09-01", "90.3", "true"),
        ("target", "2021-04-01", "86.3", ""),
        ("benchmark", "2021-03-01", "85.5", ""),
    ]


def test_lists_are_paged_with_a_capped_page_size(api):
    area = PriorityAreaFactory()
    for n in range(7):
        KpiFactory(code=f"K.{n}").areas.add(area)
    first = _get(api, "/api/v1/kpis/", page_size=3)
    assert first["count"] == 7 and len(first["results"]) == 3
    third = _get(api, "/api/v1/kpis/", page_size=3, page=3)
    assert [r["code"] for r in third["results"]] == ["K.6"] and third["next"] is None
    response = api.get("/api/v1/kpis/", {"page_size": 3, "format": "csv"})
    assert response["X-Total-Count"] == "7"
    assert "page=2" in response["Link"] and 'rel="next"' in response["Link"]
    assert api.get("/api/v1/kpis/", {"page": 9}).status_code == 404
    assert len(_get(api, "/api/v1/kpis/", page_size=100000)["results"]) == 7  # capped at 500


def _superuser():
    return reader("admin", "administrator")


def test_actions_read_as_they_stood_at_the_end_of_the_month(api):
    area = PriorityAreaFactory()
    owner = OfficerFactory()
    action = ActionFactory(area=area, ref="3", owner=owner, original_delivery_date=D(2021, 3, 31))
    ActionFactory(area=PriorityAreaFactory(), ref="1")
    services.update_action(
        pk=action.pk, user=_superuser(), expected_version=action.version, as_at=D(2021, 5, 10),
        status=Action.Status.COMPLETED, completed_date=D(2021, 5, 10),
    )  # fmt: skip

    def row(period):
        found = _get(api, "/api/v1/actions/", period=period, owner=owner.pk)["results"]
        assert len(found) == 1
        return found[0]

    april = row("2021-04")
    assert (april["status"], april["status_label"], april["overdue"]) == (
        "not_started", "Not started", True
    )  # fmt: skip
    assert april["completed_date"] is None and april["ref"] == f"{area.number}.3"
    may = row("2021-05")
    assert (may["status"], may["completed_date"], may["overdue"]) == (
        "completed", "2021-05-10", False
    )  # fmt: skip
    assert _get(api, "/api/v1/actions/", area=area.pk)["count"] == 1
    assert _get(api, "/api/v1/actions/", plan=area.plan_id)["count"] == 1
    assert _get(api, "/api/v1/actions/")["count"] == 2


def test_findings_read_as_they_stood_and_filter_by_source_and_status(api):
    finding = FindingFactory(source__date=D(2021, 1, 15))
    FindingFactory(source__date=D(2022, 6, 1))  # not made until later
    services.record_finding_status(finding, status="open", evidence="", as_at=D(2021, 1, 15))
    finding.save()
    services.update_finding(
        pk=finding.pk, user=_superuser(), expected_version=finding.version,
        status=Finding.Status.IN_PROGRESS, as_at=D(2021, 6, 3),
    )  # fmt: skip
    march = _get(api, "/api/v1/findings/", period="2021-03")["results"]
    assert [(f["id"], f["status"], f["status_label"]) for f in march] == [
        (finding.pk, "open", "Open")
    ]
    june = _get(api, "/api/v1/findings/", period="2021-06", source=finding.source_id)["results"]
    assert [(f["status"], f["status_since"]) for f in june] == [("in_progress", "2021-06-03")]
    assert _get(api, "/api/v1/findings/", period="2021-06", status="open")["count"] == 0
    assert _get(api, "/api/v1/findings/", period="2021-03", status="open")["count"] == 1
    assert _get(api, "/api/v1/findings/", period="2022-07")["count"] == 2


def test_a_head_of_services_token_reads_the_whole_board_like_the_pages(plans):
    client, _, _ = token_client(reader("head", "Head of service"))
    assert _codes(client) == ["A.1", "B.1", "PI.426"]
    assert Actual.objects.count() == 2
