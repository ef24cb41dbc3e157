"""The findings pages: the register by source and one finding, each as it stood at a month's end."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from metrics.models import Actual, FindingKpi, Kpi
from priorities import roles
from priorities.models import (
    Action,
    ActionStatus,
    Finding,
    FindingAction,
    FindingSource,
    FindingStatus,
    Plan,
)
from reports.findings import Slippage
from tests.factories import (
    ActionFactory,
    ActualFactory,
    FindingActionFactory,
    FindingFactory,
    FindingKpiFactory,
    FindingSourceFactory,
    KpiFactory,
    OfficerFactory,
    PlanFactory,
    PriorityAreaFactory,
    UserFactory,
)
from tests.reports.helpers import element, text

pytestmark = pytest.mark.django_db

MADE = datetime.date(2021, 1, 15)
D = datetime.date


@pytest.fixture
def reader(client):
    client.force_login(UserFactory())
    return client


def _page(client, name: str, *args, **query) -> str:
    response = client.get(reverse(name, args=args), query)
    assert response.status_code == 200
    return response.content.decode()


def _statuses(finding: Finding, *rows: tuple) -> None:
    """Dated statuses (day, status, evidence); the finding row keeps the latest."""
    for day, status, evidence in rows:
        FindingStatus.objects.create(
            finding=finding, effective=day, status=status, evidence=evidence, source="Tracker"
        )
    finding.status, finding.evidence, finding.status_as_at = rows[-1][1], rows[-1][2], rows[-1][0]
    finding.save()


def _action_statuses(action: Action, *rows: tuple) -> None:
    """Dated action statuses (day, status, current date, completed date)."""
    for day, status, current, completed in rows:
        ActionStatus.objects.create(
            action=action,
            effective=day,
            status=status,
            current_delivery_date=current,
            completed_date=completed,
        )
    day, action.status, action.current_delivery_date, action.completed_date = rows[-1]
    action.status_as_at = day
    action.save()


@pytest.fixture
def scene():
    """An Ofsted finding closed in February 2022, its actions and KPIs linked at different times."""
    plan = PlanFactory(start=D(2021, 1, 1))
    area = PriorityAreaFactory(plan=plan, number=2, title="Front door")
    source = FindingSourceFactory(
        title="Inspection of Dudley children's services",
        body="Ofsted",
        date=MADE,
        document="Ofsted ILACS report, 2018",
    )
    finding = FindingFactory(
        source=source,
        ref="W1",
        title="Assessments are not timely",
        text="Too many assessments take longer than they should.",
        cited="What needs to improve, point 1",
        responsible_officer=OfficerFactory(role_title="Head of Assessment"),
    )
    _statuses(
        finding,
        (MADE, "open", ""),
        (D(2021, 6, 1), "in_progress", ""),
        (D(2022, 2, 10), "closed", "Audit of February 2022 found all assessments in time"),
    )
    audit = ActionFactory(
        area=area,
        ref="3",
        description="Audit assessment timeliness weekly",
        owner=OfficerFactory(role_title="Service Manager, Assessment"),
        original_delivery_date=D(2021, 3, 31),
    )
    _action_statuses(
        audit,
        (MADE, "in_progress", D(2021, 9, 30), None),
        (D(2022, 1, 5), "completed", D(2021, 9, 30), D(2022, 1, 5)),
    )
    late_link = ActionFactory(area=area, ref="4", description="Recruit two team managers")
    FindingActionFactory(finding=finding, action=audit, since=MADE)
    FindingActionFactory(finding=finding, action=late_link, since=D(2022, 1, 10))
    kpi = KpiFactory(code="CSIP.07", title="Assessments in 45 days", polarity="higher")
    kpi.areas.add(area)
    ActualFactory(kpi=kpi, period=D(2020, 12, 1), value=Decimal("61.0"))
    ActualFactory(kpi=kpi, period=D(2021, 10, 1), value=Decimal("78.5"))
    ActualFactory(kpi=kpi, period=D(2022, 3, 1), value=Decimal("90.0"))
    FindingKpiFactory(finding=finding, kpi=kpi, since=MADE)
    later_kpi = KpiFactory(code="CSIP.09", title="Re-referrals")
    FindingKpiFactory(finding=finding, kpi=later_kpi, since=D(2022, 1, 10))
    later = FindingSourceFactory(title="DfE adviser's review", date=D(2021, 12, 15))
    FindingFactory(source=later, ref="R1", title="Caseloads are too high")
    return finding


# The register ------------------------------------------------------------------------


def test_register_shows_each_source_and_its_findings_as_at_the_month(reader, scene):
    html = _page(reader, "findings", period="2021-11")
    page = text(html)
    assert "Inspection of Dudley children's services" in page
    assert "Ofsted ILACS report, 2018" in page and "15 January 2021" in page
    row = text(element(html, f"finding-{scene.pk}"))
    assert "W1" in row and "Assessments are not timely" in row
    assert "Recommendation / what needs to improve" in row
    assert "Head of Assessment" in row
    assert "In progress" in row and "Closed" not in row
    assert "0 completed, 1 in progress, 0 not started; 1 overdue" in row
    assert "CSIP.07" in row and "CSIP.09" not in row


def test_a_finding_made_after_the_month_is_absent(reader, scene):
    assert "Caseloads are too high" not in text(_page(reader, "findings", period="2021-11"))
    assert "Caseloads are too high" in text(_page(reader, "findings", period="2021-12"))


def test_the_register_reads_a_later_month_as_it_stood_then(reader, scene):
    html = _page(reader, "findings", period="2022-02")
    row = text(element(html, f"finding-{scene.pk}"))
    assert "Closed with evidence" in row
    assert "1 completed, 0 in progress, 1 not started; 1 overdue" in row
    assert "CSIP.07" in row and "CSIP.09" in row


def test_each_source_counts_its_findings_by_status_and_its_actions(reader, scene):
    FindingFactory(source=scene.source, ref="W2", title="Supervision is patchy")
    html = _page(reader, "findings", period="2021-11")
    source = text(element(html, f"source-{scene.source.pk}"))
    assert "Open: 1; In progress: 1; Done: 0; Closed with evidence: 0" in source
    assert "Actions answering them 0 completed, 1 in progress, 0 not started; 1 overdue" in source


def test_a_judgement_shows_its_grade_in_words(reader, scene):
    FindingFactory(
        source=scene.source,
        ref="J1",
        kind="judgement",
        grade="requires_improvement",
        title="Overall effectiveness",
    )
    page = text(_page(reader, "findings", period="2021-11"))
    assert "Judgement: Requires improvement to be good" in page


def test_an_area_backed_finding_takes_the_areas_actions_and_kpis(reader, scene):
    area = Action.objects.get(ref="3").area
    finding = FindingFactory(source=scene.source, ref="P2", text="", area=area)
    html = _page(reader, "findings", period="2021-11")
    row = text(element(html, f"finding-{finding.pk}"))
    # Both area actions, each past its date: the audit (in progress), the recruitment (not started).
    assert "0 completed, 1 in progress, 1 not started; 2 overdue" in row
    assert "CSIP.07" in row


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"status": "in_progress"}, "W1", "W2"),
        ({"status": "open"}, "W2", "W1"),
        ({"overdue": "yes"}, "W1", "W2"),
        ({"overdue": "no"}, "W2", "W1"),
    ],
)
def test_filters_narrow_the_findings(reader, scene, query, shown, hidden):
    FindingFactory(source=scene.source, ref="W2", title="Supervision is patchy")
    html = _page(reader, "findings", period="2021-11", **query)
    refs = {f.ref: f.pk for f in Finding.objects.all()}
    assert f'id="finding-{refs[shown]}"' in html
    assert f'id="finding-{refs[hidden]}"' not in html
    assert "Showing 1 of 2 findings" in text(html)


def test_filter_by_source_and_officer(reader, scene):
    other = FindingFactory(source=scene.source, ref="W2", title="Supervision is patchy")
    html = _page(reader, "findings", period="2021-12", source=scene.source.pk)
    assert "Caseloads are too high" not in text(html) and "W2" in text(html)
    html = _page(reader, "findings", period="2021-11", officer=other.responsible_officer.pk)
    assert f'id="finding-{other.pk}"' in html and f'id="finding-{scene.pk}"' not in html


def test_an_unknown_filter_choice_is_reported_and_filters_nothing(reader, scene):
    html = _page(reader, "findings", period="2021-11", officer="999999")
    assert "Select a valid choice" in text(html)
    assert f'id="finding-{scene.pk}"' in html


def test_register_defaults_to_the_latest_month_the_board_shows(reader, scene):
    area = Action.objects.get(ref="3").area
    kpi = KpiFactory()
    kpi.areas.add(area)
    ActualFactory(kpi=kpi, period=D(2021, 11, 1))
    # The board's latest month with figures is March 2022 (CSIP.07).
    page = text(_page(reader, "findings"))
    assert "What the council was told to fix: March 2022" in page


def test_register_with_no_findings(reader):
    assert "No findings had been made by" in text(_page(reader, "findings", period="2021-11"))


# A finding's page --------------------------------------------------------------------


def test_finding_page_shows_its_record_as_it_stood(reader, scene):
    page = text(_page(reader, "finding-detail", scene.pk, period="2021-11"))
    assert "Too many assessments take longer than they should." in page
    assert "What needs to improve, point 1" in page
    assert "Head of Assessment" in page
    assert "Status on 30 November 2021: In progress" in page
    assert "1 Jun 2021 In progress" in page
    assert "Audit of February 2022" not in page  # the closing evidence came later


def test_finding_page_after_it_closed_shows_the_evidence(reader, scene):
    page = text(_page(reader, "finding-detail", scene.pk, period="2022-03"))
    assert "Status on 31 March 2022: Closed with evidence" in page
    assert "Audit of February 2022 found all assessments in time" in page


def test_finding_page_lists_its_actions_with_dates_slippage_and_status(reader, scene):
    html = _page(reader, "finding-detail", scene.pk, period="2021-11")
    audit = Action.objects.get(ref="3")
    row = text(element(html, f"action-{audit.pk}"))
    assert "2.3" in row and "Audit assessment timeliness weekly" in row
    assert "Service Manager, Assessment" in row
    assert "31 Mar 2021" in row and "30 Sep 2021" in row
    assert "6 months later" in row
    assert "In progress Overdue" in row
    page = text(html)
    assert "Recruit two team managers" not in page  # linked in January 2022
    assert "Slippage in all: 6 months later" in page


def test_finding_page_shows_what_difference_it_has_made(reader, scene):
    html = _page(reader, "finding-detail", scene.pk, period="2021-11")
    kpi = Kpi.objects.get(code="CSIP.07")
    row = text(element(html, f"difference-{kpi.pk}"))
    assert "61.0% Dec 2020" in row  # the figure when the finding was made
    assert "78.5% Oct 2021" in row  # the latest up to the month, not March 2022's
    assert "Better" in row
    assert f'id="kpi-{kpi.pk}-chart"' in html
    assert "Show the data for this chart" in text(html)
    assert "CSIP.09" not in text(html)


def test_direction_is_read_the_way_the_kpi_counts_better(reader, scene):
    kpi = Kpi.objects.get(code="CSIP.07")
    kpi.polarity = "lower"
    kpi.save()
    html = _page(reader, "finding-detail", scene.pk, period="2021-11")
    assert "Worse" in text(element(html, f"difference-{kpi.pk}"))


def test_a_kpi_with_no_figures_says_so(reader, scene):
    kpi = KpiFactory(code="CSIP.11")
    FindingKpiFactory(finding=scene, kpi=kpi, since=MADE)
    html = _page(reader, "finding-detail", scene.pk, period="2021-11")
    row = text(element(html, f"difference-{kpi.pk}"))
    assert "No figure then" in row and "No figure yet" in row
    assert "Cannot say" in row


def test_finding_page_before_the_finding_was_made(reader, scene):
    page = text(_page(reader, "finding-detail", scene.pk, period="2020-11"))
    assert "Not yet made on 30 November 2020" in page
    assert "Audit assessment timeliness weekly" not in page


def test_a_missing_finding_is_not_found(reader):
    assert reader.get(reverse("finding-detail", args=[999999])).status_code == 404


def test_odd_data_does_not_break_either_page(reader):
    plan = PlanFactory()
    area = PriorityAreaFactory(plan=plan, what_needs_to_improve="", responsible_officer=None)
    bare = FindingFactory(text="", area=area, responsible_officer=None, cited="")
    lonely = FindingFactory(source=bare.source, ref="X", text="", required_outcomes="")
    FindingKpiFactory(finding=lonely, kpi=KpiFactory(), since=MADE)
    for period in ("2021-01", "2021-06", "not-a-month"):
        assert "Not recorded" in text(_page(reader, "findings", period=period))
        for finding in (bare, lonely):
            _page(reader, "finding-detail", finding.pk, period=period)


def test_slippage_words():
    assert Slippage(6).words == "6 months later"
    assert (Slippage(1) + Slippage(-2)).words == "1 month earlier"
    assert Slippage().words == "None"


# Who may read ------------------------------------------------------------------------


def _user(role: str):
    if role == "administrator":
        return UserFactory(is_staff=True, is_superuser=True)
    group = {
        "board member": roles.BOARD_MEMBER,
        "head of service": roles.HEAD_OF_SERVICE,
        "analyst": roles.ANALYST,
    }[role]
    user = UserFactory(is_staff=role == "analyst")
    user.groups.add(roles.ensure_groups()[group])
    return user


@pytest.mark.parametrize("role", ["board member", "head of service", "analyst", "administrator"])
def test_every_signed_in_role_reads_the_findings_pages(client, scene, role):
    client.force_login(_user(role))
    page = text(_page(client, "findings", period="2021-11"))
    assert "Findings" in page and "Assessments are not timely" in page
    _page(client, "finding-detail", scene.pk, period="2021-11")


def test_anonymous_visitors_are_sent_to_sign_in(client, scene):
    for url in (reverse("findings"), reverse("finding-detail", args=[scene.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_the_menu_links_to_the_findings(reader):
    html = _page(reader, "home")
    assert f'href="{reverse("findings")}">Findings</a>' in html


def test_the_pages_only_read(reader, scene):
    assert reader.post(reverse("findings")).status_code == 405


# Query counts --------------------------------------------------------------------------

# Every signed-in request reads the session and the user; at most once a minute
# the session timeout middleware also saves it (three queries with its savepoint).
REQUEST = 5
# Plans and months with figures (the month selector's default), the findings,
# their action links, the actions as they stood, their KPI links and area KPIs.
REGISTER_QUERIES = REQUEST + 7
# The months, the finding, its dated statuses, its actions as they stood and its
# KPIs with their whole history (five).
DETAIL_QUERIES = REQUEST + 10
# The months are cached under the plan's stamps (metrics.stamps): reading
# them cold costs the data stamp and the plan's stamps besides.
REGISTER_QUERIES += 2
DETAIL_QUERIES += 2


def _build_register(count: int) -> Finding:
    """``count`` findings across several sources, each with five action and five KPI links."""
    plan = PlanFactory(start=D(2020, 1, 1))
    areas = [PriorityAreaFactory(plan=plan, number=n + 1) for n in range(4)]
    officer = OfficerFactory()
    sources = FindingSource.objects.bulk_create(
        FindingSource(
            slug=f"s{n}", body="Ofsted", kind="inspection", title=f"Source {n}", date=MADE
        )
        for n in range(max(2, count // 10))
    )
    findings = Finding.objects.bulk_create(
        Finding(
            source=sources[n % len(sources)],
            ref=f"F{n}",
            kind="improvement",
            title=f"Finding {n}",
            text="Text",
            cited="Section",
            responsible_officer=officer if n % 2 else None,
            area=areas[n % 4] if n % 3 == 0 else None,
            status="in_progress" if n % 2 else "open",
            status_as_at=D(2022, 1, 1) if n % 2 else None,
        )
        for n in range(count)
    )
    FindingStatus.objects.bulk_create(
        FindingStatus(finding=f, effective=D(2022, 1, 1), status="in_progress")
        for f in findings[1::2]
    )
    actions = Action.objects.bulk_create(
        Action(
            area=areas[n % 4],
            ref=f"{n}",
            description=f"Action {n}",
            owner=officer,
            original_delivery_date=D(2021, 3, 31),
            status="completed" if n % 2 else "in_progress",
            completed_date=D(2021, 6, 1) if n % 2 else None,
        )
        for n in range(count * 5)
    )
    kpis = Kpi.objects.bulk_create(
        Kpi(code=f"Q.{n:04d}", title=f"Measure {n}", owner=officer) for n in range(count * 5)
    )
    Kpi.areas.through.objects.bulk_create(
        Kpi.areas.through(kpi=kpi, priorityarea=areas[n % 4]) for n, kpi in enumerate(kpis[:20])
    )
    Actual.objects.bulk_create(
        Actual(kpi=kpi, period=D(2021, m, 1), value=Decimal(50 + m))
        for kpi in kpis
        for m in (1, 6, 11)
    )
    FindingAction.objects.bulk_create(
        FindingAction(finding=f, action=actions[i * 5 + k], since=MADE)
        for i, f in enumerate(findings)
        for k in range(5)
    )
    FindingKpi.objects.bulk_create(
        FindingKpi(finding=f, kpi=kpis[i * 5 + k], since=MADE)
        for i, f in enumerate(findings)
        for k in range(5)
    )
    return findings[0]


@pytest.fixture
def warm_reader(client):
    client.force_login(UserFactory())
    client.get(reverse("accessibility"))  # the session's first save happens here
    return client


@pytest.mark.parametrize("count", [20, 500])
def test_register_runs_a_fixed_number_of_queries(warm_reader, django_assert_max_num_queries, count):
    _build_register(count)
    with django_assert_max_num_queries(REGISTER_QUERIES):
        response = warm_reader.get(reverse("findings"), {"period": "2021-11"})
    assert response.status_code == 200
    assert response.content.decode().count('id="finding-') == count
    with django_assert_max_num_queries(REGISTER_QUERIES):
        response = warm_reader.get(reverse("findings"), {"period": "2021-11", "overdue": "yes"})
    assert response.status_code == 200


@pytest.mark.parametrize("count", [20, 500])
def test_finding_page_runs_a_fixed_number_of_queries(
    warm_reader, django_assert_max_num_queries, count
):
    first = _build_register(count)
    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = warm_reader.get(
            reverse("finding-detail", args=[first.pk]), {"period": "2021-11"}
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('id="difference-') >= 5 and html.count('id="action-') >= 5


def test_the_written_statement_of_action_reads_the_councils_totals(reader):
    """Its 14 areas as findings: at November 2021, 114 actions completed and 18 in progress."""
    call_command("seed", stdout=StringIO())
    plan = Plan.objects.get(slug="send-written-statement-of-action")
    source = FindingSourceFactory(title="SEND joint area inspection", date=D(2019, 10, 11))
    for area in plan.areas.all():
        FindingFactory(source=source, ref=f"W{area.number}", kind="weakness", text="", area=area)
    html = _page(reader, "findings", period="2021-11")
    counts = text(element(html, f"source-{source.pk}"))
    assert "Actions answering them 114 completed, 18 in progress, 0 not started;" in counts
