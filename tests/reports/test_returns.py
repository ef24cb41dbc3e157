"""/returns/: who has reported for a month, each area's completeness, on-time rates."""

import csv
import datetime
import io
import zoneinfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from metrics import periods
from metrics.models import Actual, Kpi, KpiFormula
from priorities import roles
from priorities.models import Officer
from reports.returns import Standing, read_returns
from tests.factories import (
    ActualFactory,
    KpiFactory,
    OfficerFactory,
    PlanFactory,
    PriorityAreaFactory,
    UserFactory,
)
from tests.reports.builders import build_plan
from tests.reports.helpers import element, text

pytestmark = pytest.mark.django_db

D = datetime.date
LONDON = zoneinfo.ZoneInfo("Europe/London")
JUNE = D(2021, 6, 1)
# Working day 10 of July 2021, the default deadline for June's figures.
DEADLINE = periods.submission_deadline(JUNE, 10)
TODAY = D(2021, 8, 2)


@pytest.fixture(autouse=True)
def _today(monkeypatch, settings):
    settings.SUBMISSION_DEADLINE_WORKING_DAY = 10
    settings.SIGN_OFF_REQUIRED = True
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def _reader(client, group: str | None = roles.BOARD_MEMBER, **fields):
    user = UserFactory(**fields)
    if group:
        user.groups.add(roles.ensure_groups()[group])
    client.force_login(user)
    return client


@pytest.fixture
def board_client(client):
    return _reader(client, username="board")


def _figure(kpi, period=JUNE, *, at=None, state=Actual.State.SUBMITTED):
    return ActualFactory(kpi=kpi, period=period, first_submitted_at=at, state=state)


@pytest.fixture
def scene():
    """June 2021: one owner's KPIs in every standing, and owners reminders cannot reach."""
    plan = PlanFactory(start=D(2021, 1, 1))
    front = PriorityAreaFactory(plan=plan, number=1, title="Front door")
    help_area = PriorityAreaFactory(plan=plan, number=2, title="Early help")
    PriorityAreaFactory(plan=plan, number=3, title="Workforce")
    login = UserFactory(username="mash", first_name="Pat", last_name="Lee", email="p@dudley.test")
    mash = OfficerFactory(role_title="Head of MASH", user=login)
    kpis = {}
    # Each reports from January 2021: one that never reported at all would not be owed
    # (metrics.due.owes, as the board judges a missing figure).
    for code in ["ON", "LATE", "MISSING", "LOADED", "RETURNED", "ENDED", "QUARTER", "CALC"]:
        kpis[code] = KpiFactory(code=code, owner=mash, reporting_from=D(2021, 1, 1))
        kpis[code].areas.add(front)
    Kpi.objects.filter(code="ENDED").update(reported_until=D(2021, 5, 1))
    Kpi.objects.filter(code="QUARTER").update(frequency=Kpi.Frequency.QUARTERLY)
    KpiFormula.objects.create(
        kpi=kpis["CALC"], kind="percent", first=kpis["ON"], second=kpis["LATE"]
    )
    _figure(kpis["ON"], at=_at(DEADLINE, 23, 30))
    _figure(kpis["LATE"], at=_at(DEADLINE + datetime.timedelta(days=1), 0, 10), state="signed_off")
    _figure(kpis["LOADED"], state=Actual.State.SIGNED_OFF)
    _figure(kpis["RETURNED"], at=_at(DEADLINE, 9), state=Actual.State.RETURNED)
    _figure(kpis["CALC"], state=Actual.State.SUBMITTED)
    no_login = OfficerFactory(role_title="Head of Early Help")
    no_email = OfficerFactory(role_title="Head of Fostering", user=UserFactory(username="fost"))
    for code, owner in [("EH", no_login), ("FOST", no_email), ("ORPHAN", None)]:
        kpis[code] = KpiFactory(code=code, owner=owner, reporting_from=D(2021, 1, 1))
        kpis[code].areas.add(help_area)
    _figure(kpis["EH"], at=_at(D(2021, 7, 1), 10))
    return plan, kpis


def _owner(returns, title):
    return next(line for line in returns.owners if line.owner_name == title)


def test_each_figure_due_is_on_time_late_missing_or_not_asked_for(scene):
    plan, _ = scene
    returns = read_returns(plan, JUNE, today=TODAY)
    mash = _owner(returns, "Head of MASH")
    standings = {r.kpi.code: r.standing for r in mash.month}
    assert standings == {
        "ON": Standing.ON_TIME,  # 23:30 on the deadline day
        "LATE": Standing.LATE,  # ten past midnight the day after
        "MISSING": Standing.MISSING,
        "LOADED": Standing.ON_TIME,  # loaded from published papers
        "RETURNED": Standing.ON_TIME,
        "QUARTER": Standing.MISSING,  # June ends a quarter
    }  # ENDED was reported until May; CALC is calculated: neither is owed
    assert (mash.due, mash.on_time, mash.late, mash.missing) == (6, 3, 1, 2)
    assert (mash.awaiting, mash.returned, mash.signed_off) == (2, 1, 2)
    assert returns.loaded == 1


def test_quarterly_kpis_are_due_only_in_their_quarters_last_month(scene):
    plan, _ = scene
    returns = read_returns(plan, D(2021, 5, 1), today=TODAY)
    assert "QUARTER" not in {r.kpi.code for r in _owner(returns, "Head of MASH").month}
    assert "ENDED" in {r.kpi.code for r in _owner(returns, "Head of MASH").month}


def test_a_figure_before_its_deadline_is_not_in_yet_rather_than_missing(scene, monkeypatch):
    plan, _ = scene
    returns = read_returns(plan, JUNE, today=DEADLINE)
    mash = _owner(returns, "Head of MASH")
    assert (mash.missing, mash.to_come) == (0, 2)
    assert {r.kpi.code for r in returns.outstanding} == {"MISSING", "QUARTER", "FOST", "ORPHAN"}


def test_the_page_shows_each_owners_returns_in_words(board_client, scene):
    page = board_client.get(reverse("returns"), {"period": "2021-06"}).content.decode()
    mash = Officer.objects.get(role_title="Head of MASH")
    row = text(element(page, f"owner-{mash.pk}"))
    assert "Head of MASH Pat Lee, p@dudley.test" in row
    assert "Unreachable" not in row
    # Due, on time, late, missing, awaiting sign-off, signed off, then the year's rate.
    assert "6 3 1 2 2 (1 returned) 2" in row
    assert "Who has reported for June 2021" in text(page)
    assert "1 figure for June 2021 has no record of when it arrived" in text(page)
    assert "due by the end of Wednesday 14 July 2021, which has passed" in text(page)
    # The deadline has passed, so nothing is "not in yet".
    assert "Not in yet" not in page[page.index("<thead") : page.index("</thead>")]


def test_owners_reminders_cannot_reach_are_flagged_unreachable(board_client, scene):
    page = text(board_client.get(reverse("returns"), {"period": "2021-06"}).content.decode())
    assert "Head of Early Help Unreachable No login acts for this post" in page
    assert "Head of Fostering fost Unreachable The post's login has no email address" in page
    assert "No owner Unreachable No post owns these KPIs" in page


def test_an_owner_whose_login_is_switched_off_is_unreachable(board_client, scene):
    _, kpis = scene
    login = kpis["ON"].owner.user
    login.is_active = False
    login.save()
    page = text(board_client.get(reverse("returns"), {"period": "2021-06"}).content.decode())
    assert (
        "Head of MASH Pat Lee, p@dudley.test Unreachable The post's login is switched off" in page
    )


def test_each_plan_has_its_own_returns(board_client, scene):
    plan, _ = scene
    other = PlanFactory(start=D(2021, 1, 1), title="SEND Written Statement of Action")
    kpi = KpiFactory(code="SEND.1", owner=OfficerFactory(role_title="Head of SEND"))
    kpi.areas.add(PriorityAreaFactory(plan=other, number=1))
    page = board_client.get(reverse("returns"), {"plan": plan.pk, "period": "2021-06"})
    page = page.content.decode()
    assert "Head of MASH" in text(page) and "Head of SEND" not in text(page)
    assert f'href="?plan={other.pk}"' in page
    page = text(board_client.get(reverse("returns"), {"plan": other.pk}).content.decode())
    assert "Head of SEND" in page and "Head of MASH" not in page
    assert board_client.get(reverse("returns"), {"plan": "999999"}).status_code == 404


def test_each_area_says_how_complete_its_figures_are(board_client, scene):
    plan, _ = scene
    page = board_client.get(reverse("returns"), {"period": "2021-06"}).content.decode()
    areas = {a.number: a for a in plan.areas.all()}
    assert "Incomplete: 4 of 6 figures received (67%)" in text(element(page, f"area-{areas[1].pk}"))
    assert "Incomplete: 1 of 3 figures received (33%)" in text(element(page, f"area-{areas[2].pk}"))
    assert "Nothing due" in text(element(page, f"area-{areas[3].pk}"))


def test_the_on_time_rate_covers_the_twelve_months_to_the_month_shown(board_client):
    plan = PlanFactory(start=D(2021, 3, 1))
    area = PriorityAreaFactory(plan=plan)
    owner = OfficerFactory(role_title="Head of Safeguarding")
    kpi = KpiFactory(owner=owner)
    kpi.areas.add(area)
    # March to November 2021 on time, December late, nothing for January 2022;
    # months before the plan started were never asked for.
    for month in periods.month_range(D(2021, 3, 1), D(2021, 11, 1)):
        _figure(kpi, month, at=_at(month + datetime.timedelta(days=40), 9))
    _figure(kpi, D(2021, 12, 1), at=_at(D(2022, 2, 1), 9))
    returns = read_returns(plan, D(2022, 1, 1), today=D(2022, 3, 1))
    line = _owner(returns, "Head of Safeguarding")
    assert line.rate_text == "82% (9 of 11 on time)"
    assert returns.window_start == D(2021, 2, 1)


def test_the_rate_leaves_out_figures_whose_deadline_is_to_come(scene):
    plan, _ = scene
    line = _owner(read_returns(plan, JUNE, today=DEADLINE), "Head of MASH")
    # January to May 2021 (the plan started and the KPIs report from January) of five
    # monthly KPIs and of ENDED (to its own end month, May), QUARTER's March, and
    # June's four figures received; June's missing figures are not due yet.
    assert line.year_due == 5 * 5 + 5 + 1 + 4
    assert line.year_on_time == 3


@pytest.mark.parametrize(
    ("group", "status"),
    [
        (roles.BOARD_MEMBER, 200),
        (roles.ANALYST, 200),
        ("superuser", 200),
        (roles.HEAD_OF_SERVICE, 403),
        (None, 403),
    ],
)
def test_returns_are_for_analysts_administrators_and_board_members(client, scene, group, status):
    if group == "superuser":
        _reader(client, None, is_superuser=True)
    else:
        _reader(client, group)
    assert client.get(reverse("returns")).status_code == status
    assert client.get(reverse("returns-csv")).status_code == status
    menu = client.get(reverse("home")).content.decode()
    assert (f'href="{reverse("returns")}"' in menu) == (status == 200)


def test_a_head_of_service_who_sits_on_the_board_sees_returns(client, scene):
    user = UserFactory(username="both")
    user.groups.add(*roles.ensure_groups().values())
    client.force_login(user)
    assert client.get(reverse("returns")).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client, scene):
    response = client.get(reverse("returns"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_owners_sort_by_any_column_on_the_server(board_client, scene):
    page = board_client.get(reverse("returns"), {"period": "2021-06", "sort": "-due"}).content
    page = page.decode()
    head = page[page.index("<thead") : page.index("</thead>")]
    assert head.count("aria-sort") == 1
    assert 'aria-sort="descending"' in head and "Figures due" in head.split("aria-sort")[1]
    body = text(page[page.index("<tbody") :])
    assert body.index("Head of MASH") < body.index("Head of Early Help")
    # On time over the year: Early Help 1 of 6, MASH 3 of 41.
    for sort, first, second in [("rate", "MASH", "Early Help"), ("-rate", "Early Help", "MASH")]:
        page = board_client.get(reverse("returns"), {"period": "2021-06", "sort": sort})
        body = text(page.content.decode().split("<tbody", 1)[1])
        assert body.index(f"Head of {first}") < body.index(f"Head of {second}")


def _csv(client, **query) -> list[list[str]]:
    response = client.get(reverse("returns-csv"), query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_csv_has_the_owners_rows_sorted_as_shown(board_client, scene):
    rows = _csv(board_client, month="2021-06", sort="owner")
    assert rows[0][:5] == ["owner", "login name", "email", "unreachable", "figures due"]
    owners = [row[0] for row in rows[1:]]
    assert owners == ["Head of Early Help", "Head of Fostering", "Head of MASH", "No owner"]
    mash = dict(zip(rows[0], rows[3], strict=True))
    assert mash["figures due"] == "6" and mash["late"] == "1" and mash["of which returned"] == "1"
    assert mash["email"] == "p@dudley.test" and mash["unreachable"] == ""
    rows = _csv(board_client, month="2021-06", sort="-owner")
    assert rows[1][0] == "No owner"


def test_the_csv_escapes_text_that_could_start_a_formula(board_client, scene):
    _, kpis = scene
    kpis["EH"].owner.role_title = '=HYPERLINK("http://x")'
    kpis["EH"].owner.save()
    user = kpis["ON"].owner.user
    user.first_name, user.last_name = "@SUM(1)", ""
    user.save()
    rows = _csv(board_client, period="2021-06")
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://x")' in cells
    assert "'@SUM(1)" in cells


def test_a_month_that_cannot_be_read_falls_back_to_the_last_full_month(board_client, scene):
    page = text(board_client.get(reverse("returns"), {"period": "2021-13"}).content.decode())
    assert "Showing Jul 2021, the last full month, instead." in page
    assert "Who has reported for July 2021" in page


def test_the_default_month_is_the_last_full_month(board_client, scene):
    page = text(board_client.get(reverse("returns")).content.decode())
    assert "Who has reported for July 2021" in page


def test_an_empty_database_says_there_is_nothing_yet(board_client):
    page = board_client.get(reverse("returns"))
    assert page.status_code == 200
    assert "There are no plans to report on yet" in text(page.content.decode())
    assert board_client.get(reverse("returns-csv")).status_code == 404


def test_a_plan_with_no_kpis_lists_nobody(board_client):
    PlanFactory()
    page = text(board_client.get(reverse("returns")).content.decode())
    assert "No KPIs in this plan have an owner" in page
    assert "This plan has no priority areas yet" in page


def test_with_sign_off_switched_off_the_sign_off_columns_go(board_client, scene, settings):
    settings.SIGN_OFF_REQUIRED = False
    page = board_client.get(reverse("returns"), {"period": "2021-06"}).content.decode()
    head = page[page.index("<thead") : page.index("</thead>")]
    assert "Awaiting sign-off" not in head and "Signed off" not in head
    assert "Sign-off is switched off on this site" in text(page)


def _count_queries(client, plan) -> int:
    cache.clear()  # every count is of a cold page: the months are cached by plan
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("returns"), {"plan": plan.pk, "period": "2019-12"})
    assert response.status_code == 200
    return len(queries)


def test_the_page_and_csv_run_the_same_queries_for_10_and_500_kpis(
    board_client, django_assert_num_queries
):
    small = build_plan(10, months=14, prefix="S")
    large = build_plan(500, months=14, prefix="L")
    board_client.get(reverse("returns"))  # the session and the user's groups, once
    assert _count_queries(board_client, small) == _count_queries(board_client, large)
    with django_assert_num_queries(_count_queries(board_client, small)):
        response = board_client.get(reverse("returns"), {"plan": large.pk, "period": "2019-12"})
    assert "Who has reported for December 2019" in text(response.content.decode())
    for plan in (small, large):
        with CaptureQueriesContext(connection) as queries:
            board_client.get(reverse("returns-csv"), {"plan": plan.pk, "period": "2019-12"})
        assert len(queries) <= _count_queries(board_client, small)


def test_before_the_deadline_the_page_counts_figures_not_in_yet(board_client, scene, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: DEADLINE)
    page = board_client.get(reverse("returns"), {"period": "2021-06"}).content.decode()
    assert "Not in yet" in page[page.index("<thead") : page.index("</thead>")]
    assert "due by the end of Wednesday 14 July 2021." in text(page)
    assert "Not in yet: deadline to come" in text(page.split("outstanding-heading", 1)[1])


@pytest.mark.parametrize("month", ["1990-01", "2099-12"])
def test_the_first_and_last_months_the_service_records_still_show(board_client, scene, month):
    assert board_client.get(reverse("returns"), {"period": month}).status_code == 200
    assert board_client.get(reverse("returns-csv"), {"month": month}).status_code == 200
