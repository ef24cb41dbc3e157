"""The board pages as board members read them: the overview, an area, a KPI."""

import datetime
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from metrics.models import Actual, Kpi
from metrics.rag import Status
from metrics.summary import summarise_plan
from priorities import roles
from priorities.models import Action, Plan, PriorityArea
from tests.factories import (
    ActionFactory,
    ActualFactory,
    KpiFactory,
    PlanFactory,
    PriorityAreaFactory,
    TargetFactory,
    UserFactory,
)
from tests.reports.helpers import element, text
from tests.reports.pack_pages_helpers import pack_page, whole_pack

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def dudley():
    call_command("seed", stdout=StringIO())
    return Plan.objects.get(slug="improvement-plan-2021")


def overview(client, plan, period=None, **params):
    query = {"plan": plan.pk, **params}
    if period:
        query["period"] = period
    response = client.get(reverse("home"), query)
    assert response.status_code == 200
    return response.content.decode()


def mash_area(plan):
    return PriorityArea.objects.get(plan=plan, title__contains="MASH")


def mash_kpi():
    return Kpi.objects.get(title__contains="MASH")


# The overview ------------------------------------------------------------


def test_overview_shows_the_mash_area_red_for_november_2020(board_client, dudley):
    page = overview(board_client, dudley, "2020-11")
    row = text(element(page, f"area-{mash_area(dudley).pk}"))
    assert "Red: 1 KPI off target" in row
    assert "Interim Head of Children and Families" in row
    assert "Plan status for November 2020 Red: 1 KPI off target" in text(page)
    kpi_row = text(element(page, f"kpi-{mash_kpi().pk}"))
    assert "69.0%" in kpi_row and "95.0%" in kpi_row and "Red: short of target" in kpi_row


@pytest.mark.parametrize("period", ["2020-11", "2021-01", "2021-09", "2022-09"])
def test_overview_shows_the_status_the_rag_rules_give(board_client, dudley, period):
    page = overview(board_client, dudley, period)
    month = datetime.date(int(period[:4]), int(period[5:]), 1)
    summary = summarise_plan(dudley, month, today=timezone.localdate())
    for area in summary.areas:
        row = text(element(page, f"area-{area.area.pk}"))
        assert area.rollup.headline in row, (period, area.area)
        assert row.count(" ") > 5  # counts and officer are there too
    for kpi_row in summary.rows:
        assert kpi_row.status.label in text(element(page, f"kpi-{kpi_row.kpi.pk}"))


def test_area_counts_add_up_to_its_kpis(board_client, dudley):
    page = overview(board_client, dudley, "2021-09")
    summary = summarise_plan(dudley, D(2021, 9, 1), today=timezone.localdate())
    area = next(a for a in summary.areas if len(a.rows) >= 2)
    cells = re.findall(
        r'govuk-table__cell--numeric">(\d+)</td>', element(page, f"area-{area.area.pk}")
    )
    red, amber, green, late, no_data, not_rated, not_required, overdue = map(int, cells)
    assert red + amber + green + late + no_data + not_rated + not_required == len(area.rows)
    assert red == area.rollup.counts[Status.RED]
    assert late == area.rollup.counts[Status.OVERDUE]
    assert not_required == area.rollup.counts[Status.NOT_REQUIRED]
    assert overdue == area.rollup.overdue_actions


def test_period_selector_changes_the_figures(board_client, dudley):
    kpi = mash_kpi()
    november = text(element(overview(board_client, dudley, "2020-11"), f"kpi-{kpi.pk}"))
    january = text(element(overview(board_client, dudley, "2021-01"), f"kpi-{kpi.pk}"))
    assert "69.0%" in november and "77.1%" not in november
    assert "77.1%" in january and "69.0%" not in january


def test_period_selector_is_links_with_the_chosen_month_marked(board_client, dudley):
    page = overview(board_client, dudley, "2020-11")
    assert "Choose a month" in text(page)
    links = re.findall(
        r'<a class="govuk-link app-selector__link[^"]*" href="([^"]+)"([^>]*)>', page
    )
    chosen = [href for href, attrs in links if 'aria-current="page"' in attrs]
    assert any("period=2021-01" in href and f"plan={dudley.pk}" in href for href, _ in links)
    assert len([h for h in chosen if "period=" in h]) == 1
    assert "period=2020-11" in next(h for h in chosen if "period=" in h)


def test_plan_selector_switches_plan(board_client, dudley):
    refreshed = Plan.objects.get(slug="improvement-plan-2022-23")
    page = overview(board_client, dudley, "2020-11")
    assert f"?plan={refreshed.pk}" in page.replace("&amp;", "&")
    page = overview(board_client, refreshed)
    assert refreshed.title in text(page).split("Choose a plan")[0]


def test_overview_defaults_to_the_latest_month_with_figures(board_client, dudley):
    latest = Actual.objects.filter(kpi__areas__plan=dudley).latest("period").period
    page = overview(board_client, dudley)
    assert f"{dudley.title}: {latest:%B %Y}" in text(page)


def test_an_unreadable_month_falls_back_with_a_message(board_client, dudley):
    page = text(overview(board_client, dudley, "2020-13"))
    assert "has no month 13" in page
    assert "Showing" in page and "instead" in page
    page = text(overview(board_client, dudley, "November"))
    assert "write it as YYYY-MM" in page


@pytest.mark.parametrize("plan", ["999", "abc"])
def test_an_unknown_plan_is_not_found(board_client, dudley, plan):
    assert board_client.get(reverse("home"), {"plan": plan}).status_code == 404


def test_with_no_plans_the_overview_says_how_to_add_one(board_client):
    response = board_client.get(reverse("home"))
    assert response.status_code == 200
    assert "There are no plans to show yet" in text(response.content.decode())


def test_kpis_filter_by_status_area_and_owner(board_client, dudley):
    kpi = mash_kpi()
    only_red = overview(board_client, dudley, "2020-11", status="red")
    assert f'id="kpi-{kpi.pk}"' in only_red
    assert only_red.count('id="kpi-') == 1
    assert "showing 1 of" in text(only_red)

    area = PriorityArea.objects.get(plan=dudley, number=4)
    in_area = overview(board_client, dudley, "2021-09", area=area.pk)
    assert sorted(re.findall(r'id="kpi-(\d+)"', in_area)) == sorted(
        str(k.pk) for k in area.kpis.all()
    )

    owner = kpi.owner
    owned = overview(board_client, dudley, "2021-09", owner=owner.pk)
    assert sorted(re.findall(r'id="kpi-(\d+)"', owned)) == sorted(
        str(k.pk) for k in Kpi.objects.for_plan(dudley).filter(owner=owner)
    )


def test_an_unknown_filter_choice_is_explained_and_filters_nothing(board_client, dudley):
    page = overview(board_client, dudley, "2020-11", status="purple")
    assert "Select a valid choice" in text(page)
    assert page.count('id="kpi-') == Kpi.objects.for_plan(dudley).count()


def test_kpis_sort_by_status_worst_first_through_the_query_string(board_client, dudley):
    page = overview(board_client, dudley, "2021-09", sort="status")
    first = re.search(r'id="kpi-(\d+)"', page)[1]
    rows = summarise_plan(dudley, D(2021, 9, 1), today=timezone.localdate()).rows
    worst = {row.kpi.pk: row.status for row in rows}
    assert worst[int(first)] == Status.AMBER  # no red in Sep 2021; PI.432 is amber
    assert 'aria-sort="ascending"' in page
    backwards = overview(board_client, dudley, "2021-09", sort="-status")
    last_first = re.search(r'id="kpi-(\d+)"', backwards)[1]
    assert worst[int(last_first)] == Status.NOT_REQUIRED  # no figure asked for: least concern


# A priority area ---------------------------------------------------------


def test_area_page_shows_status_officer_and_what_needs_to_improve(board_client, dudley):
    area = mash_area(dudley)
    response = board_client.get(reverse("area-detail", args=[area.pk]), {"period": "2020-11"})
    page = text(response.content.decode())
    assert "Status for November 2020: Red: 1 KPI off target" in page
    assert area.responsible_officer.role_title in page
    assert area.what_needs_to_improve[:60] in page
    assert "CSIP.01 Contacts progressed within one working day (MASH)" in page


def test_area_status_agrees_with_the_overview(board_client, dudley):
    for period in ("2020-11", "2021-03", "2021-09"):
        page = overview(board_client, dudley, period)
        for area in PriorityArea.objects.filter(plan=dudley):
            row = text(element(page, f"area-{area.pk}"))
            area_page = text(
                board_client.get(
                    reverse("area-detail", args=[area.pk]), {"period": period}
                ).content.decode()
            )
            shown = re.search(r"Status for \w+ \d{4}: (.+?) \d+ KPI", area_page)[1]
            assert shown in row, (period, area)


def test_area_actions_show_dates_slippage_and_overdue(board_client):
    area = PriorityAreaFactory()
    slipped = ActionFactory(
        area=area,
        ref="3",
        original_delivery_date=D(2021, 1, 31),
        current_delivery_date=D(2021, 3, 31),
    )
    on_time = ActionFactory(
        area=area,
        ref="10",
        original_delivery_date=D(2021, 6, 30),
        status=Action.Status.COMPLETED,
        completed_date=D(2021, 6, 1),
    )
    page = board_client.get(
        reverse("area-detail", args=[area.pk]), {"period": "2021-05"}
    ).content.decode()
    late = text(element(page, f"action-{slipped.pk}"))
    assert "31 Jan 2021" in late and "31 Mar 2021" in late
    assert " 2 " in f" {late} "  # whole months between the original and current dates
    assert "Overdue" in late
    done = text(element(page, f"action-{on_time.pk}"))
    assert "Overdue" not in done and "Completed 1 Jun 2021" in done
    # Natural order: 3 before 10.
    assert page.index(f'id="action-{slipped.pk}"') < page.index(f'id="action-{on_time.pk}"')
    assert "Status for May 2021: Amber" in text(page)  # an overdue action makes it amber


# A KPI -------------------------------------------------------------------


def test_kpi_page_explains_the_kpi_in_words(board_client, dudley):
    kpi = Kpi.objects.get(code="CSIP.02")
    page = text(board_client.get(reverse("kpi-detail", args=[kpi.pk])).content.decode())
    assert kpi.definition[:50] in page
    assert kpi.owner.role_title in page
    assert "Higher is better: green when the figure is at or above its target." in page
    assert "Amber when up to 2 percentage points below the target" in page
    assert "76 of 151" in page and "109 of 232" in page
    assert "Volume of assessments rose by 35%" in page  # January's commentary


def test_kpi_page_lists_every_period_with_status_and_direction(board_client, dudley):
    kpi = mash_kpi()
    page = board_client.get(
        reverse("kpi-detail", args=[kpi.pk]), {"period": "2021-01"}
    ).content.decode()
    table = page.split('id="data-heading"')[1]
    rows = re.findall(r"<tr [^>]*data-period=\"([^\"]+)\"[^>]*>(.*?)</tr>", table, re.DOTALL)
    assert [period for period, _ in rows] == ["2020-11-01", "2020-12-01", "2021-01-01"]
    november, december, january = (text(body) for _, body in rows)
    assert "69.0%" in november and "Red: short of target" in november
    assert "Overdue: figure not submitted" in december
    assert "77.1%" in january and "No earlier figure" in january


def test_kpi_page_shows_the_change_history(board_client):
    kpi = KpiFactory(code="T.HIST")
    TargetFactory(kpi=kpi)
    actual = ActualFactory(kpi=kpi, period=D(2021, 1, 1), value=Decimal("70.0"))
    editor = UserFactory(username="analyst-ann")
    actual.value = Decimal("72.5")
    actual._history_user = editor
    actual.save()
    page = board_client.get(
        reverse("kpi-detail", args=[kpi.pk]), {"period": "2021-01"}
    ).content.decode()
    history = text(page.split('id="history-heading"')[1])
    assert "Figure for Jan 2021" in history
    assert "Value: 70 to 72.5" in history
    assert "analyst-ann" in history


# Everyone may read; nothing writes -----------------------------------------


def _pages(plan):
    area = mash_area(plan)
    return [
        reverse("home") + f"?plan={plan.pk}&period=2020-11",
        reverse("area-detail", args=[area.pk]) + "?period=2020-11",
        reverse("kpi-detail", args=[mash_kpi().pk]),
    ]


@pytest.mark.parametrize(
    "group", [roles.HEAD_OF_SERVICE, roles.BOARD_MEMBER, roles.ANALYST, None, "superuser"]
)
def test_every_signed_in_role_can_read_every_board_page(client, dudley, group):
    user = UserFactory(username=f"reader-{group}", is_superuser=group == "superuser")
    if group in roles.ensure_groups():
        user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    for url in _pages(dudley):
        assert client.get(url).status_code == 200, url


def test_board_pages_write_nothing(board_client, dudley):
    for url in _pages(dudley):
        with CaptureQueriesContext(connection) as queries:
            board_client.get(url)
        writes = [
            q["sql"]
            for q in queries
            if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"]) and "django_session" not in q["sql"]
        ]
        assert writes == [], url
        assert board_client.post(url).status_code == 405


# Without JavaScript, in print -------------------------------------------------


def test_statuses_and_tables_are_in_the_html_without_javascript(board_client, dudley):
    area = mash_area(dudley)
    page = board_client.get(
        reverse("area-detail", args=[area.pk]), {"period": "2020-11"}
    ).content.decode()
    # The chart container waits, hidden, for the script; the table is already there.
    assert re.search(r'class="app-chart__plot"[^>]*hidden', page)
    assert "Show the data for this chart" in page
    assert "Red: short of target" in text(page)


def test_no_inline_script_and_plotly_only_where_there_are_charts(board_client, dudley):
    overview_page = overview(board_client, dudley, "2020-11")
    area_page = board_client.get(reverse("area-detail", args=[mash_area(dudley).pk])).content
    for page in (overview_page, area_page.decode()):
        for attrs in re.findall(r"<script([^>]*)>", page):
            assert "src=" in attrs or 'type="application/json"' in attrs, attrs
    assert "plotly" not in overview_page
    scripts = re.findall(r'<script src="([^"]+)" defer>', area_page.decode())
    assert [s.rsplit("/", 1)[1] for s in scripts] == [
        "plotly-basic-4.1.1.min.js",
        "charts.js",
        "downloads.js",  # the download links' "Preparing the PDF" message
    ]
    assert area_page.decode().count("plotly-basic") == 1


def test_tables_have_captions_and_header_scopes(board_client, dudley):
    for url in _pages(dudley):
        page = board_client.get(url).content.decode()
        tables = re.findall(r"<table.*?</table>", page, re.DOTALL)
        assert tables, url
        for table in tables:
            assert "<caption" in table, url
            headers = re.findall(r"<th\b([^>]*)>", table)
            assert all('scope="' in h for h in headers), url


def test_a_plan_without_figures_still_shows_its_areas(board_client):
    plan = PlanFactory(start=D(2021, 1, 1))
    area = PriorityAreaFactory(plan=plan, title="Workforce")
    KpiFactory().areas.add(area)
    page = text(board_client.get(reverse("home")).content.decode())
    assert "Workforce" in page and "No data" in page


# The board pack ----------------------------------------------------------------


def test_board_pack_has_every_area_with_its_charts_and_actions(board_client, dudley):
    page = whole_pack(board_client, plan=dudley.pk, period="2021-09")
    areas = PriorityArea.objects.filter(plan=dudley).order_by("number")
    assert page.count('<article class="app-area"') == areas.count()
    positions = [page.index(f'<article class="app-area" id="area-{a.pk}"') for a in areas]
    assert positions == sorted(positions)
    chart_ids = re.findall(r'class="app-chart-data" id="([^"]+)"', page)
    assert len(chart_ids) == len(set(chart_ids))  # a KPI under two areas gets two charts
    for kpi in Kpi.objects.for_plan(dudley):
        under = kpi.areas.filter(plan=dudley).count()
        charts = sum(f"-kpi-{kpi.pk}-chart-data" in chart_id for chart_id in chart_ids)
        if kpi.actuals.filter(period__lte=D(2021, 9, 1)).exists():
            assert charts == under, kpi
        else:
            # First reported after the month: as it stood, there may be nothing to draw.
            assert charts in (0, under), kpi
    mash = text(element(page, f"area-{mash_area(dudley).pk}"))
    summary = summarise_plan(dudley, D(2021, 9, 1), today=timezone.localdate())
    expected = next(a for a in summary.areas if a.area == mash_area(dudley)).rollup
    assert f"Status for September 2021: {expected.headline}" in mash
    assert "Actions for area 2" in mash


def test_overview_links_to_the_board_pack_for_the_month(board_client, dudley):
    page = overview(board_client, dudley, "2020-11").replace("&amp;", "&")
    assert f"{reverse('board-pack')}?plan={dudley.pk}&period=2020-11" in page


def test_print_starts_each_area_on_a_new_page_without_navigation():
    from django.conf import settings

    css = (settings.BASE_DIR / "static" / "css" / "print.css").read_text()
    assert re.search(r"\.app-area \+ \.app-area \{ break-before: page; \}", css)
    hidden = css.split("{ display: none !important; }")[0]
    for selector in (".govuk-header__navigation", ".govuk-breadcrumbs", ".app-selectors"):
        assert selector in hidden


def test_a_kpi_under_two_areas_gets_a_chart_in_each_with_its_own_id(board_client):
    plan = PlanFactory()
    first, second = PriorityAreaFactory(plan=plan), PriorityAreaFactory(plan=plan)
    kpi = KpiFactory()
    kpi.areas.add(first, second)
    ActualFactory(kpi=kpi, period=D(2021, 1, 1))
    page = pack_page(board_client, 2, plan=plan.pk)  # page 1 is the summary and contents
    ids = re.findall(r'class="app-chart-data" id="([^"]+)"', page)
    assert ids == [
        f"area-{first.pk}-kpi-{kpi.pk}-chart-data",
        f"area-{second.pk}-kpi-{kpi.pk}-chart-data",
    ]
    assert all(page.count(f'id="{chart_id[: -len("-data")]}"') == 1 for chart_id in ids)
