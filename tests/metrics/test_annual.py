"""Annual KPIs: one figure a year, recorded in the month the KPI's year ends."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics import periods, rag
from metrics.models import Actual, Kpi
from metrics.summary import for_board
from priorities import roles
from reports import board
from tests.factories import (
    ActualFactory,
    KpiFactory,
    OfficerFactory,
    PriorityAreaFactory,
    TargetFactory,
    UserFactory,
)

D = datetime.date
TODAY = D(2026, 11, 22)


@pytest.mark.parametrize(
    ("period", "label"),
    [
        (D(2021, 3, 1), "2020/21"),
        (D(2000, 3, 1), "1999/00"),
        (D(2021, 8, 1), "2020/21 school year"),
        (D(2021, 12, 1), "2021"),
        (D(2021, 6, 1), "Year to Jun 2021"),
    ],
)
def test_an_annual_period_reads_as_the_council_writes_its_year(period, label):
    assert periods.period_label(period, "annual") == label


def test_the_latest_completed_year_is_the_last_year_end_before_this_month():
    assert periods.latest_completed_year(D(2026, 11, 22), 3) == D(2026, 3, 1)
    assert periods.latest_completed_year(D(2026, 4, 2), 3) == D(2026, 3, 1)
    assert periods.latest_completed_year(D(2026, 3, 31), 3) == D(2025, 3, 1)
    assert periods.latest_completed_year(D(2026, 11, 22), 8) == D(2026, 8, 1)


def test_an_annual_figure_is_refused_outside_its_year_end_month():
    kpi = Kpi(code="ED.01", frequency=Kpi.Frequency.ANNUAL, year_ends=8)
    problem = kpi.period_problem(D(2021, 7, 1), today=TODAY)
    assert problem == (
        "ED.01 is annual: record it in Aug, the month its year ends "
        "(Aug 2021 for 2020/21 school year)."
    )
    assert kpi.period_problem(D(2021, 8, 1), today=TODAY) is None


def test_an_annual_figure_for_a_year_not_yet_ended_is_refused():
    kpi = Kpi(code="ED.01", frequency=Kpi.Frequency.ANNUAL, year_ends=3)
    assert kpi.period_problem(D(2027, 3, 1), today=TODAY) == (
        "2026/27 has not ended yet: the latest period you can record is 2025/26."
    )


def test_a_board_read_shows_an_annual_kpis_latest_year_and_compares_it_with_the_year_before():
    assert rag.Rule(polarity="higher", frequency="annual").interval == 12
    kpi = Kpi(code="ED.01", frequency=Kpi.Frequency.ANNUAL, year_ends=8, polarity="higher")
    assert kpi.reporting_period(D(2022, 7, 1)) == D(2021, 8, 1)
    assert kpi.reporting_period(D(2022, 8, 1)) == D(2022, 8, 1)
    assert kpi.period_noun == "year"


@pytest.mark.django_db
def test_an_annual_kpi_on_the_board_reads_years_and_is_due_once_a_year():
    kpi = KpiFactory(code="ED.01", frequency=Kpi.Frequency.ANNUAL, year_ends=8)
    kpi.areas.add(PriorityAreaFactory())
    TargetFactory(kpi=kpi, starts=D(2018, 8, 1), value=60)
    for year, value in ((2019, "55"), (2020, "57"), (2021, "59"), (2022, "61")):
        ActualFactory(kpi=kpi, period=D(year, 8, 1), value=Decimal(value))

    # Read in June 2023: the latest year is the one ended August 2022.
    row = for_board(Kpi.objects.filter(pk=kpi.pk), D(2023, 6, 1), today=D(2023, 6, 20))[0]
    assert row.period_label == "2021/22 school year"
    assert row.value == Decimal("61") and row.status == rag.Status.GREEN
    assert row.previous == Decimal("59") and row.direction == rag.Direction.IMPROVING
    assert row.last_year is None  # the year before is the previous period, said once
    # Four years of figures reach the trajectory, not just the last seventeen months.
    assert row.trajectory.points == 4

    # In September 2023 the 2022/23 figure is due, by working day N of September.
    missing = for_board(Kpi.objects.filter(pk=kpi.pk), D(2023, 9, 1), today=D(2023, 10, 20))[0]
    assert missing.period == D(2023, 8, 1) and missing.status == rag.Status.OVERDUE

    history = Kpi.objects.with_history().get(pk=kpi.pk)
    assert board.reporting_periods(history, D(2023, 6, 1)) == [
        D(2019, 8, 1),
        D(2020, 8, 1),
        D(2021, 8, 1),
        D(2022, 8, 1),
    ]


@pytest.mark.django_db
def test_the_chart_of_an_annual_kpi_labels_its_years(client):
    kpi = KpiFactory(code="ED.01", frequency=Kpi.Frequency.ANNUAL, year_ends=3)
    kpi.areas.add(PriorityAreaFactory())
    for year in (2020, 2021, 2022):
        ActualFactory(kpi=kpi, period=D(year, 3, 1), value=Decimal("50"))
    client.force_login(UserFactory())
    page = client.get(reverse("kpi-detail", args=[kpi.pk]), {"period": "2022-03"}).content
    page = page.decode()
    assert "2021/22" in page and "2019/20" in page
    assert "Year (plotted at its last month)" in page
    assert "each year is recorded in March, the month it ends" in page


@pytest.fixture
def head():
    user = UserFactory(username="head")
    user.groups.add(roles.ensure_groups()[roles.HEAD_OF_SERVICE])
    return user


@pytest.mark.django_db
def test_an_owner_enters_an_annual_figure_in_its_year_end_month_only(client, head, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    kpi = KpiFactory(
        code="ED.01", frequency=Kpi.Frequency.ANNUAL, year_ends=8, owner=OfficerFactory(user=head)
    )
    kpi.areas.add(PriorityAreaFactory())
    client.force_login(head)

    page = client.get(reverse("my-updates")).content.decode()
    assert "Annual figure for 2025/26 school year" in page
    assert reverse("kpi-entry", args=[kpi.pk, "2026-08"]) in page

    # A month it is never recorded on opens its year-end month, saying why.
    wrong = client.get(reverse("kpi-entry", args=[kpi.pk, "2026-07"]), follow=True)
    assert wrong.redirect_chain == [(reverse("kpi-entry", args=[kpi.pk, "2026-08"]), 302)]
    assert "ED.01 is annual: record it in Aug" in wrong.content.decode()

    data = {"version": "0", "value": "64.5", "what_data_tells_us": "", "issues_and_risks": ""}
    data["evidence_of_impact"] = ""
    client.post(reverse("kpi-entry", args=[kpi.pk, "2026-08"]), data)
    assert Actual.objects.get(kpi=kpi).period == D(2026, 8, 1)
    page = client.get(reverse("my-updates")).content.decode()
    assert "You have 0 of 1 figure still to do" in page


@pytest.fixture
def annual(db) -> Kpi:
    return KpiFactory(code="ED.01", frequency=Kpi.Frequency.ANNUAL, year_ends=8)


def test_the_import_reads_an_annual_figure_on_its_year_end_month(annual):
    from metrics import importer
    from tests.metrics.import_helpers import actuals_wide

    plan = importer.preview(actuals_wide(["Aug 2021", "Jul 2022"], ["ED.01", 61.5, 62]))
    assert [c.refs["period"] for c in plan.changes] == [D(2021, 8, 1)]
    (issue,) = plan.rejections
    assert issue.message == annual.period_problem(D(2022, 7, 1), today=datetime.date.today())
