"""The scorecard: KPIs as rows, months or quarters across, as the grid stood at a month."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.models import Actual, DefinitionChange, Kpi, KpiFormula, Scorecard, ScorecardRow
from priorities import roles
from tests.factories import (
    ActualFactory,
    BenchmarkFactory,
    KpiFactory,
    PlanFactory,
    PriorityAreaFactory,
    TargetFactory,
    UserFactory,
)
from tests.reports.builders import build_plan
from tests.reports.helpers import element, text

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def reader(client):
    client.force_login(UserFactory())
    return client


def _page(client, **query) -> str:
    response = client.get(reverse("scorecard"), query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def plan():
    """A plan with a monthly KPI (a note, commentary, a definition change), a quarterly one,
    and a calculated one worked out from two others."""
    plan = PlanFactory(start=D(2021, 1, 1), end=D(2022, 3, 1))
    area = PriorityAreaFactory(plan=plan, number=1, title="Front door")
    visits = KpiFactory(code="CSIP.07", title="Supervision in time")
    TargetFactory(kpi=visits, starts=D(2021, 1, 1), value=Decimal("80"))
    for month in range(1, 13):
        ActualFactory(kpi=visits, period=D(2021, month, 1), value=Decimal(70 + month))
    august = visits.actuals.get(period=D(2021, 8, 1))
    august.note = "Establishment rose with the Family Comes First transfer of posts"
    august.save()
    november = visits.actuals.get(period=D(2021, 11, 1))
    november.what_data_tells_us = "Supervision is back above target."
    november.save()
    DefinitionChange.objects.create(
        kpi=visits,
        starts=D(2021, 9, 1),
        old_definition="Supervised within one month",
        new_definition="Supervised within eight weeks",
    )
    BenchmarkFactory(kpi=visits, comparator="england", period=D(2021, 3, 1), value=Decimal("78"))
    quarterly = KpiFactory(
        code="PI.426", title="Re-referrals", frequency=Kpi.Frequency.QUARTERLY, unit="percent"
    )
    ActualFactory(kpi=quarterly, period=D(2021, 6, 1), value=Decimal("21.5"))
    ActualFactory(kpi=quarterly, period=D(2021, 9, 1), value=Decimal("19.4"))
    permanent = KpiFactory(code="WF.01", title="Permanent FTE", unit="fte")
    establishment = KpiFactory(code="WF.02", title="Establishment FTE", unit="fte")
    share = KpiFactory(code="WF.03", title="Permanent share")
    KpiFormula.objects.create(kpi=share, kind="percent", first=permanent, second=establishment)
    ActualFactory(kpi=share, period=D(2021, 12, 1), value=Decimal("83.2"))
    for kpi in (visits, quarterly, permanent, establishment, share):
        kpi.areas.add(area)
    Actual.objects.update(state=Actual.State.SIGNED_OFF)  # as an analyst's load leaves them
    return plan


def test_each_kpi_shows_its_last_six_months_with_status_in_words(reader, plan):
    page = _page(reader, plan=plan.pk, period="2021-12")
    row = text(element(page, f"kpi-{Kpi.objects.get(code='CSIP.07').pk}"))
    assert "CSIP.07 Supervision in time" in row
    assert "77.0% Red: short of target" in row  # July
    assert "78.0% footnote 1 Amber: just short of target" in row  # August, with its note
    assert "82.0% Green: target met" in row  # December
    assert "Jul 2021" in text(page) and "Dec 2021" in text(page)
    assert "Jun 2021" not in text(element(page, "scorecard-caption"))
    assert "England: 78.0% (Mar 2021)" in row
    assert "80.0%" in row  # the target in force


def test_the_grid_reads_as_it_stood_at_the_month(reader, plan):
    page = _page(reader, plan=plan.pk, period="2021-10")
    row = text(element(page, f"kpi-{Kpi.objects.get(code='CSIP.07').pk}"))
    assert "80.0%" in row and "81.0%" not in row and "82.0%" not in row
    assert "Oct 2021" in text(element(page, "scorecard-caption"))
    assert "Supervision is back above target" not in page  # November's commentary, not yet written


def test_quarterly_columns_show_a_monthly_kpis_quarter_end_figure(reader, plan):
    page = _page(reader, plan=plan.pk, period="2021-12", columns="quarterly", periods="2")
    caption = text(element(page, "scorecard-caption"))
    assert "Q2 2021/22 to Q3 2021/22" in caption
    row = text(element(page, f"kpi-{Kpi.objects.get(code='CSIP.07').pk}"))
    assert "79.0%" in row  # September, Q2's last month
    assert "82.0%" in row  # December, Q3's
    assert "81.0%" not in row
    assert "Improving since Q2 2021/22" in row  # both under the definition from September
    quarterly = text(element(page, f"kpi-{Kpi.objects.get(code='PI.426').pk}"))
    assert "19.4%" in quarterly


def test_a_quarterly_kpi_in_monthly_columns_says_when_it_reports(reader, plan):
    page = _page(reader, plan=plan.pk, period="2021-09", periods="3")
    row = text(element(page, f"kpi-{Kpi.objects.get(code='PI.426').pk}"))
    assert row.count("Reported quarterly") == 2
    assert "19.4%" in row
    assert "Declining since Q1 2021/22" in row  # 21.5% to 19.4%, higher being better


def test_a_figures_note_is_a_numbered_footnote_under_the_grid(reader, plan):
    page = _page(reader, plan=plan.pk, period="2021-12")
    row = element(page, f"kpi-{Kpi.objects.get(code='CSIP.07').pk}")
    assert 'href="#scorecard-note-1"' in row
    assert "Family Comes First" not in text(row)  # never part of the figure
    notes = text(element(page, "footnotes-heading") + element(page, "scorecard-note-1"))
    assert "CSIP.07, Aug 2021: Establishment rose with the Family Comes First transfer" in notes


def test_a_definition_change_is_marked_and_not_compared_across(reader, plan):
    page = _page(reader, plan=plan.pk, period="2021-09")
    row = text(element(page, f"kpi-{Kpi.objects.get(code='CSIP.07').pk}"))
    assert "Definition changed from Sep 2021" in row
    assert "Not compared: definition changed from Sep 2021" in row


def test_direction_is_read_again_after_the_break(reader, plan):
    page = _page(reader, plan=plan.pk, period="2021-12")
    row = text(element(page, f"kpi-{Kpi.objects.get(code='CSIP.07').pk}"))
    assert "Improving since Nov 2021" in row
    assert "Definition changed from Sep 2021" in row  # still inside the six months


def test_a_calculated_kpi_is_marked_with_its_inputs(reader, plan):
    page = _page(reader, plan=plan.pk, period="2021-12")
    row = text(element(page, f"kpi-{Kpi.objects.get(code='WF.03').pk}"))
    assert "Calculated WF.01 as a percentage of WF.02" in row


def test_the_latest_commentary_is_collapsible(reader, plan):
    page = _page(reader, plan=plan.pk, period="2021-12")
    row = element(page, f"kpi-{Kpi.objects.get(code='CSIP.07').pk}")
    assert "<details" in row and "Supervision is back above target." in row


def test_sorting_by_status_puts_the_worst_first(reader, plan):
    page = _page(reader, plan=plan.pk, period="2021-07", sort="status")
    codes = [code for code in ("CSIP.07", "PI.426", "WF.01") if code in page]
    first = min(codes, key=lambda code: page.index(f"{code} <span"))
    assert first == "CSIP.07"  # red in July, the others not rated
    assert 'aria-sort="ascending"' in page


def test_filtering_by_status_shows_only_those_kpis(reader, plan):
    page = _page(reader, plan=plan.pk, period="2021-07", status="red")
    assert "CSIP.07" in page and "WF.01 <span" not in page
    assert "(showing 1 of 5)" in text(element(page, "scorecard-caption"))


@pytest.fixture
def saved(plan):
    card = Scorecard.objects.create(
        slug="corporate-q2",
        title="Corporate quarterly performance report, Q2 2021/22",
        source="Scrutiny Committee, 20 January 2022: quarterly performance report",
        columns="quarterly",
        periods=2,
        as_at=D(2021, 9, 1),
    )
    for position, (code, group) in enumerate(
        [
            ("PI.426", "Children are safe"),
            ("WF.03", "A stable workforce"),
            ("CSIP.07", "Children are safe"),
        ]
    ):
        ScorecardRow.objects.create(
            scorecard=card, kpi=Kpi.objects.get(code=code), group=group, position=position
        )
    return card


def test_a_saved_scorecard_opens_by_name_grouped_in_its_order(reader, saved):
    page = _page(reader)
    assert f"?scorecard={saved.slug}" in page  # offered from the page
    page = _page(reader, scorecard=saved.slug)
    words = text(page)
    assert "Corporate quarterly performance report, Q2 2021/22: September 2021" in words
    assert "Q1 2021/22 to Q2 2021/22" in words  # its own columns, periods and month
    safe, workforce = words.index("Children are safe"), words.index("A stable workforce")
    assert safe < words.index("PI.426") < words.index("CSIP.07") < workforce
    assert workforce < words.index("WF.03")
    assert "WF.01 Permanent FTE" not in words  # only the scorecard's KPIs


def test_a_saved_scorecard_can_be_read_at_another_month(reader, saved):
    page = _page(reader, scorecard=saved.slug, period="2021-12", periods="1")
    assert "Q3 2021/22 to Q3 2021/22" in text(element(page, "scorecard-caption"))


def test_an_empty_saved_scorecard_says_so(reader):
    Scorecard.objects.create(slug="empty", title="Nothing yet")
    page = _page(reader, scorecard="empty")
    assert "This saved scorecard has no KPIs yet." in text(page)


def test_an_unknown_scorecard_is_not_found(reader, plan):
    assert reader.get(reverse("scorecard"), {"scorecard": "nope"}).status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"columns": "weekly"}, "is not a choice of columns"),
        ({"periods": "0"}, "is not a number of periods"),
        ({"periods": "many"}, "is not a number of periods"),
        ({"periods": "999"}, "is not a number of periods"),
        ({"sort": "colour"}, "is not a column the grid sorts by"),
        ({"period": "2021-13"}, "has no month 13"),
    ],
)
def test_odd_choices_are_explained_not_failed(reader, plan, query, message):
    page = _page(reader, plan=plan.pk, **query)
    assert message in text(page)
    assert 'id="scorecard-caption"' in page


def test_kpis_without_figures_or_targets_still_show(reader):
    plan = PlanFactory(start=D(2021, 1, 1))
    area = PriorityAreaFactory(plan=plan)
    bare = KpiFactory(code="N.01", polarity="neutral")
    bare.areas.add(area)
    annual = KpiFactory(code="N.02", frequency=Kpi.Frequency.ANNUAL, year_ends=8)
    annual.areas.add(area)
    ActualFactory(kpi=annual, period=D(2021, 8, 1), value=Decimal("55"))
    page = _page(reader, plan=plan.pk, period="2021-10")
    assert "N.01" in page
    assert "Reported yearly" in text(element(page, f"kpi-{annual.pk}"))
    assert "55.0%" in text(element(page, f"kpi-{annual.pk}"))
    quarters = _page(reader, plan=plan.pk, period="2021-10", columns="quarterly")
    assert "55.0%" in text(element(quarters, f"kpi-{annual.pk}"))  # August is in Q2


def test_no_plans_and_no_scorecards_says_so(reader):
    assert "There are no plans or saved scorecards to show yet." in text(_page(reader))


@pytest.mark.parametrize("role", [roles.HEAD_OF_SERVICE, roles.BOARD_MEMBER, roles.ANALYST])
def test_every_signed_in_role_reads_the_scorecard(client, plan, role):
    user = UserFactory(is_staff=role == roles.ANALYST)
    user.groups.add(roles.ensure_groups()[role])
    client.force_login(user)
    assert client.get(reverse("scorecard")).status_code == 200
    assert client.get(reverse("scorecard-csv")).status_code == 200


def test_a_visitor_is_asked_to_sign_in(client, plan):
    for name in ("scorecard", "scorecard-csv"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


def test_the_csv_is_the_grid_as_shown_with_text_escaped(reader, plan):
    Kpi.objects.filter(code="WF.01").update(title="=HYPERLINK(1)")
    response = reader.get(
        reverse("scorecard-csv"), {"plan": plan.pk, "period": "2021-12", "periods": "2"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    head = rows[0]
    assert head[5:8] == ["Nov 2021 figure", "Nov 2021 status", "Nov 2021 note"]
    by_code = {row[1]: dict(zip(head, row, strict=True)) for row in rows[1:]}
    assert by_code["CSIP.07"]["Dec 2021 figure"] == "82.0"
    assert by_code["CSIP.07"]["Dec 2021 status"] == "green"
    assert by_code["WF.01"]["title"] == "'=HYPERLINK(1)"
    assert by_code["WF.03"]["calculated from"] == "WF.01 as a percentage of WF.02"
    assert by_code["PI.426"]["Nov 2021 status"] == "Reported quarterly"


def test_the_header_links_to_the_scorecard(reader, plan):
    page = reader.get(reverse("home")).content.decode()
    assert f'href="{reverse("scorecard")}">Scorecard</a>' in page


# Queries -------------------------------------------------------------------------------

# The session and user (five, as the board pages count them), plans, saved
# scorecards, months with figures, and the KPI read: KPIs, areas, definition
# changes, benchmarks, target steps, every KPI's figures read lean (enough to
# sort and filter) and then the page's KPIs' figures read whole (one more
# query than before the grid was paged, in exchange for not reading every
# KPI's figures whole). Cold, as here, the page's cache key costs three more:
# the plan's stamps (the data stamp, then the plan's) and the saved
# scorecards' newest change; a warm page runs only those.
SCORECARD_QUERIES = 5 + 3 + 7 + 3


@pytest.fixture
def board_client(client):
    client.force_login(UserFactory())
    client.get(reverse("accessibility"))  # the session's first save happens here
    return client


@pytest.mark.parametrize("kpis", [10, 500])
@pytest.mark.parametrize("columns", ["monthly", "quarterly"])
def test_the_scorecard_runs_a_fixed_number_of_queries(
    board_client, django_assert_max_num_queries, kpis, columns
):
    plan = build_plan(kpis, months=60)
    with django_assert_max_num_queries(SCORECARD_QUERIES):
        response = board_client.get(
            reverse("scorecard"),
            {"plan": plan.pk, "period": "2023-12", "columns": columns, "sort": "-status"},
        )
    assert response.status_code == 200
    # 50 KPIs a page.
    assert response.content.decode().count('<tr class="govuk-table__row" id="kpi-') == min(kpis, 50)


def test_a_saved_scorecard_runs_a_fixed_number_of_queries(
    board_client, django_assert_max_num_queries
):
    plan = build_plan(30, months=60)
    card = Scorecard.objects.create(slug="big", title="Big")
    ScorecardRow.objects.bulk_create(
        ScorecardRow(scorecard=card, kpi=kpi, group=f"Group {n % 3}", position=n)
        for n, kpi in enumerate(Kpi.objects.filter(areas__plan=plan))
    )
    with django_assert_max_num_queries(SCORECARD_QUERIES + 1):  # the scorecard's rows
        response = board_client.get(reverse("scorecard"), {"scorecard": "big"})
    assert response.status_code == 200
