"""Downloading the scorecard and a KPI as Excel, and the pack's workbook at scale."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.models import Kpi
from priorities import roles
from reports import pack
from reports.exports import xlsx
from tests.factories import UserFactory
from tests.reports.builders import build_plan
from tests.reports.test_export_xlsx import by_header, workbook
from tests.reports.test_export_xlsx import plan as plan  # the same plan, as a fixture

pytestmark = pytest.mark.django_db
EXCEL = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def reader(client):
    client.force_login(UserFactory())
    return client


def _kpi(plan):
    return Kpi.objects.get(code="PC.01")


def _urls(plan):
    return [
        reverse("scorecard-xlsx") + f"?plan={plan.pk}&period=2021-09",
        reverse("kpi-xlsx", args=[_kpi(plan).pk]) + "?period=2021-09",
    ]


def test_a_visitor_is_asked_to_sign_in(client, plan):
    for url in _urls(plan):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("role", [roles.HEAD_OF_SERVICE, roles.BOARD_MEMBER, roles.ANALYST])
def test_every_role_that_reads_the_board_downloads_them(client, plan, role):
    user = UserFactory(is_staff=role == roles.ANALYST)
    user.groups.add(roles.ensure_groups()[role])
    client.force_login(user)
    for url in _urls(plan):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == EXCEL


def test_the_files_are_named_after_the_plan_or_kpi_and_month(reader, plan):
    scorecard_file, kpi_file = (reader.get(url) for url in _urls(plan))
    assert scorecard_file["Content-Disposition"] == (
        'attachment; filename="csip-2021-09-scorecard.xlsx"'
    )
    assert kpi_file["Content-Disposition"] == 'attachment; filename="pc01-2021-09.xlsx"'


def test_the_scorecard_workbook_follows_the_pages_query_string(reader, plan):
    response = reader.get(
        reverse("scorecard-xlsx"), {"plan": plan.pk, "period": "2021-08", "periods": "2"}
    )
    sheet = workbook(response.content)["Scorecard"]
    timely = by_header(sheet, "KPI", "PC.01")
    assert (timely["Jul 2021"], timely["Aug 2021"]) == (87.3, 88.3)
    assert "Sep 2021" not in timely and "Jun 2021" not in timely


def test_the_kpi_workbook_reads_the_month_asked_for(reader, plan):
    response = reader.get(reverse("kpi-xlsx", args=[_kpi(plan).pk]), {"period": "2021-06"})
    assert response["Content-Disposition"].endswith('pc01-2021-06.xlsx"')
    sheet = workbook(response.content)["PC.01"]
    series = [row[:4] for row in sheet.iter_rows(values_only=True)]
    assert ("Jun 2021", "Green: target met", 86.3, 80) in series
    assert "Jul 2021" not in [row[0] for row in series]


def test_an_unknown_kpi_is_not_found_and_writes_are_refused(reader, plan):
    assert reader.get(reverse("kpi-xlsx", args=[999999])).status_code == 404
    for url in _urls(plan):
        assert reader.post(url).status_code == 405


def test_the_pages_link_to_their_workbooks(reader, plan):
    scorecard_page = reader.get(reverse("scorecard"), {"plan": plan.pk}).content.decode()
    assert f'href="{reverse("scorecard-xlsx")}?plan={plan.pk}">Download as Excel' in scorecard_page
    kpi = _kpi(plan)
    kpi_page = reader.get(reverse("kpi-detail", args=[kpi.pk]), {"period": "2021-09"})
    link = f'href="{reverse("kpi-xlsx", args=[kpi.pk])}?period=2021-09">Download as Excel'
    assert link in kpi_page.content.decode()


# The areas and their action counts (two), the plan's KPI history (six), the actions linked
# to each KPI, and the plan's actions.
PACK_BUILD_QUERIES = 10


@pytest.mark.parametrize("kpis", [10, 200])
def test_the_pack_workbook_reads_a_fixed_number_of_queries(kpis):
    """``pack.build`` reads everything; the workbook is written without another query."""
    plan_built = build_plan(kpis, months=36)
    with CaptureQueriesContext(connection) as built:
        content = pack.build(
            plan_built, datetime.date(2021, 12, 1), today=datetime.date(2025, 1, 1)
        )
    with CaptureQueriesContext(connection) as rendered:
        book = workbook(xlsx.render_pack(content))
    assert len(rendered) == 0
    assert len(built) == PACK_BUILD_QUERIES
    assert sum(len(sheet._charts) for sheet in book.worksheets) == kpis
