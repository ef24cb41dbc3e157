"""A figure not yet signed off reads "provisional" wherever the board reads it."""

import csv
import datetime
import io
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from metrics import services, signoff
from metrics.models import Actual, Kpi
from metrics.stamps import data_stamp
from priorities import roles
from priorities.models import Plan
from reports import chart_table, charts
from tests.factories import (
    ActualFactory,
    KpiFactory,
    OfficerFactory,
    PlanFactory,
    PriorityAreaFactory,
    TargetFactory,
    UserFactory,
)
from tests.reports.helpers import charts as page_charts
from tests.reports.helpers import element, text, trace
from tests.reports.pack_pages_helpers import whole_pack
from tests.reports.test_charts import _chart

pytestmark = pytest.mark.django_db
D = datetime.date
NOV = D(2021, 11, 1)
SIGNED_OFF, SUBMITTED, RETURNED = (
    Actual.State.SIGNED_OFF,
    Actual.State.SUBMITTED,
    Actual.State.RETURNED,
)


@pytest.fixture
def plan():
    """Three KPIs whose November 2021 figures stand awaiting sign-off, returned, signed off.

    Every earlier figure is signed off.
    """
    plan = PlanFactory(start=D(2021, 1, 1), end=D(2022, 3, 31))
    area = PriorityAreaFactory(plan=plan, number=1)
    for code, value, state in (
        ("SUB.01", "90.3", SUBMITTED),
        ("RET.01", "61.5", RETURNED),
        ("OFF.01", "82.4", SIGNED_OFF),
    ):
        kpi = KpiFactory(code=code)
        kpi.areas.add(area)
        TargetFactory(kpi=kpi, starts=D(2021, 1, 1), value=Decimal("80"))
        ActualFactory(kpi=kpi, period=D(2021, 10, 1), value=Decimal("70"), state=SIGNED_OFF)
        ActualFactory(
            kpi=kpi,
            period=NOV,
            value=Decimal(value),
            state=state,
            returned_reason="The count left out agency staff." if state == RETURNED else "",
        )
    return plan


def _kpi(code: str) -> Kpi:
    return Kpi.objects.get(code=code)


def _get(client, name: str, *args, **query) -> str:
    response = client.get(reverse(name, args=args), query)
    assert response.status_code == 200
    return response.content.decode()


def _area_page(client, plan) -> str:
    return _get(client, "area-detail", plan.areas.get().pk, period="2021-11")


# The overview, an area, a KPI ---------------------------------------------------------------


def test_overview_marks_figures_awaiting_sign_off_or_returned_as_provisional(board_client, plan):
    page = _get(board_client, "home", plan=plan.pk, period="2021-11")
    assert "90.3% Provisional (not yet signed off)" in text(
        element(page, f"kpi-{_kpi('SUB.01').pk}")
    )
    assert "61.5% Provisional (not yet signed off)" in text(
        element(page, f"kpi-{_kpi('RET.01').pk}")
    )
    signed = text(element(page, f"kpi-{_kpi('OFF.01').pk}"))
    assert "82.4%" in signed and "rovisional" not in signed
    # A provisional figure is still rated: 90.3% against 80% is green.
    assert "Green: target met" in text(element(page, f"kpi-{_kpi('SUB.01').pk}"))


def test_overview_marks_a_provisional_previous_figure(board_client, plan):
    Actual.objects.filter(period=D(2021, 10, 1), kpi__code="OFF.01").update(state=SUBMITTED)
    page = _get(board_client, "home", plan=plan.pk, period="2021-11")
    assert "70.0% (provisional) Oct 2021" in text(element(page, f"kpi-{_kpi('OFF.01').pk}"))


def test_area_page_marks_provisional_figures_in_its_table_and_each_kpi(board_client, plan):
    page = _area_page(board_client, plan)
    words = text(page)
    assert "90.3% Provisional (not yet signed off) Nov 2021" in words
    assert "61.5% Provisional (not yet signed off) Nov 2021" in words
    assert "82.4% Nov 2021" in words
    for code, shown in (("SUB.01", True), ("RET.01", True), ("OFF.01", False)):
        panel = text(element(page, f"kpi-{_kpi(code).pk}-chart-section").split("<details")[0])
        assert ("Provisional (not yet signed off)" in panel) is shown, code


def test_kpi_page_says_its_figure_is_provisional_and_which_figures_are_signed_off(
    board_client, plan
):
    page = _get(board_client, "kpi-detail", _kpi("RET.01").pk, period="2021-11")
    words = text(page)
    assert "Nov 2021: Red: short of target Provisional (not yet signed off)" in words
    every_figure = page.split('id="data-heading"')[1].split("</table>")[0]
    assert "Sign-off" in every_figure
    assert "Oct 2021 70.0%" in text(every_figure) and "Signed off" in text(every_figure)
    assert "Provisional (not yet signed off)" in text(every_figure)


def test_kpi_page_of_a_signed_off_figure_has_no_sign_off_column(board_client, plan):
    page = _get(board_client, "kpi-detail", _kpi("OFF.01").pk, period="2021-11")
    assert "rovisional" not in text(page)
    assert "Sign-off" not in page.split('id="data-heading"')[1].split("</table>")[0]


# Charts ------------------------------------------------------------------------------------


def test_a_provisional_figure_is_a_hollow_point_on_the_same_line(board_client, plan):
    page = _area_page(board_client, plan)
    kpi = _kpi("SUB.01")
    figure = page_charts(page)[f"kpi-{kpi.pk}-chart"]
    actual = trace(figure, "Actual")
    assert actual["x"] == ["2021-10-01", "2021-11-01"]
    assert actual["marker"]["color"] == [charts.BLUE, charts.WHITE]
    assert actual["text"] == ["Oct 2021", "Nov 2021 (provisional)"]
    assert len([t for t in figure["data"] if t["name"] == "Actual"]) == 1
    signed = trace(page_charts(page)[f"kpi-{_kpi('OFF.01').pk}-chart"], "Actual")
    assert signed["marker"]["color"] == charts.BLUE


def test_each_charts_data_table_says_which_months_are_provisional(board_client, plan):
    page = _area_page(board_client, plan)
    table = page.split(f'data-chart="kpi-{_kpi("SUB.01").pk}-chart"')[1].split("</table>")[0]
    assert "Sign-off" in table
    assert "Oct 2021 70.0% 80.0% Signed off" in text(table)
    assert "Nov 2021 90.3% 80.0% Provisional" in text(table)
    notes = element(page, f"kpi-{_kpi('SUB.01').pk}-chart-section")
    assert "Provisional (hollow points on the chart), not yet signed off: Nov 2021." in text(notes)
    signed = page.split(f'data-chart="kpi-{_kpi("OFF.01").pk}-chart"')[1].split("</table>")[0]
    assert "Sign-off" not in signed


def test_a_chart_in_words_names_its_provisional_figures():
    chart = _chart(provisional=frozenset({D(2020, 12, 1), D(2021, 1, 1)}))
    assert "the latest is 77.1% (provisional)" in chart_table.describe(chart)
    assert "not yet signed off: Dec 2020 and Jan 2021." in chart_table.describe(chart)
    table = chart_table.chart_table(chart)
    assert [row.sign_off for row in table.rows] == ["Signed off", "Provisional", "Provisional"]
    figure = charts.kpi_figure(chart)
    actual = trace(figure, "Actual")
    assert actual["marker"]["color"] == [charts.BLUE, charts.WHITE, charts.WHITE]
    assert actual["marker"]["line"]["color"] == charts.BLUE
    plain = chart_table.chart_table(_chart())
    assert not plain.has_provisional and not plain.provisional
    assert trace(charts.kpi_figure(_chart()), "Actual")["marker"]["color"] == charts.BLUE


def test_a_chart_with_a_provisional_figure_is_a_valid_plotly_figure():
    import plotly.graph_objects as go

    figure = charts.kpi_figure(_chart(provisional=frozenset({D(2021, 1, 1)})))
    go.Figure(figure)  # raises on anything plotly.js would not draw


# The board pack ------------------------------------------------------------------------------


def test_pack_lists_every_figure_still_provisional_before_the_areas(board_client, plan):
    page = whole_pack(board_client, plan=plan.pk, period="2021-11")
    assert page.index('id="provisional"') < page.index('id="area-')
    listed = text(element(page, "provisional"))
    assert "2 figures in this pack are provisional" in listed
    assert "SUB.01 Test measure" in listed and "Nov 2021 90.3% Awaiting sign-off" in listed
    assert "RET.01 Test measure" in listed and "Nov 2021 61.5% Returned" in listed
    assert "OFF.01" not in listed
    # The areas below mark them too.
    assert "90.3% Provisional (not yet signed off)" in text(page)


def test_pack_says_plainly_when_every_figure_is_signed_off(board_client, plan):
    Actual.objects.update(state=SIGNED_OFF)
    page = _get(board_client, "board-pack", plan=plan.pk, period="2021-11")
    assert "Every figure in this pack is signed off." in text(element(page, "provisional"))
    assert "rovisional:" not in text(page)


# The scorecard -------------------------------------------------------------------------------


def test_scorecard_marks_each_provisional_cell_and_its_csv_says_sign_off(board_client, plan):
    query = {"plan": plan.pk, "period": "2021-11", "periods": "2"}
    page = _get(board_client, "scorecard", **query)
    assert "90.3% Provisional (not yet signed off) Green" in text(
        element(page, f"kpi-{_kpi('SUB.01').pk}")
    )
    assert "61.5% Provisional (not yet signed off) Red" in text(
        element(page, f"kpi-{_kpi('RET.01').pk}")
    )
    assert "rovisional" not in text(element(page, f"kpi-{_kpi('OFF.01').pk}"))
    response = board_client.get(reverse("scorecard-csv"), query)
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    by_code = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_code["SUB.01"]["Nov 2021 sign-off"] == "Provisional"
    assert by_code["RET.01"]["Nov 2021 sign-off"] == "Provisional"
    assert by_code["OFF.01"]["Nov 2021 sign-off"] == "Signed off"
    assert by_code["SUB.01"]["Oct 2021 sign-off"] == "Signed off"
    assert by_code["SUB.01"]["Nov 2021 figure"] == "90.3"


# Sign-off switched off, and the council's published figures ----------------------------------


@override_settings(SIGN_OFF_REQUIRED=False)
def test_with_sign_off_switched_off_no_figure_is_provisional(board_client, plan):
    for name, args, query in (
        ("home", (), {"plan": plan.pk}),
        ("area-detail", (plan.areas.get().pk,), {}),
        ("kpi-detail", (_kpi("SUB.01").pk,), {}),
        ("scorecard", (), {"plan": plan.pk}),
        ("board-pack", (), {"plan": plan.pk}),
    ):
        page = _get(board_client, name, *args, period="2021-11", **query)
        assert "Provisional" not in text(page), name
        assert 'class="govuk-tag govuk-tag--blue app-provisional"' not in page, name
    pack = _get(board_client, "board-pack", plan=plan.pk, period="2021-11")
    assert "does not ask for figures to be signed off" in text(element(pack, "provisional"))


def test_the_councils_published_figures_are_never_provisional(board_client):
    call_command("seed", stdout=StringIO())
    dudley = Plan.objects.get(slug="improvement-plan-2021")
    assert not Actual.objects.provisional().exists()
    for name, args, query in (
        ("home", (), {"plan": dudley.pk}),
        ("area-detail", (dudley.areas.order_by("number").first().pk,), {}),
        ("scorecard", (), {"plan": dudley.pk}),
        ("board-pack", (), {"plan": dudley.pk}),
    ):
        page = _get(board_client, name, *args, period="2021-09", **query)
        assert "Provisional" not in text(page), name
    pack = _get(board_client, "board-pack", plan=dudley.pk, period="2021-09")
    assert "Every figure in this pack is signed off." in text(pack)


# The cached page drops "provisional" as soon as the figure is signed off ---------------------


def test_signing_off_a_figure_drops_provisional_from_the_cached_area_page(board_client):
    plan = PlanFactory(start=D(2021, 1, 1), end=D(2022, 3, 31))
    owner_user, officer_user = UserFactory(), UserFactory()
    owner_user.groups.add(roles.ensure_groups()[roles.HEAD_OF_SERVICE])
    area = PriorityAreaFactory(plan=plan, responsible_officer=OfficerFactory(user=officer_user))
    kpi = KpiFactory(code="CSIP.09", owner=OfficerFactory(user=owner_user))
    kpi.areas.add(area)
    actual = services.save_actual(
        kpi=kpi, period=NOV, user=owner_user, expected_version=None, value=Decimal("88.8")
    )
    url = reverse("area-detail", args=[area.pk])
    first = board_client.get(url, {"period": "2021-11"}).content.decode()
    assert "88.8% Provisional (not yet signed off)" in text(first)
    stamp = data_stamp()
    # The page is cached: a write that leaves no history (so no new stamp) is not seen.
    Actual.objects.filter(pk=actual.pk).update(state=SIGNED_OFF)
    cached = board_client.get(url, {"period": "2021-11"}).content.decode()
    assert "88.8% Provisional (not yet signed off)" in text(cached)
    Actual.objects.filter(pk=actual.pk).update(state=SUBMITTED)

    signoff.sign_off(officer_user, [(actual.pk, actual.version)])

    assert data_stamp() != stamp
    after = text(board_client.get(url, {"period": "2021-11"}).content.decode())
    assert "88.8% Nov 2021" in after and "Provisional" not in after
