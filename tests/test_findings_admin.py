"""The findings register in the data admin: who may change it, and how a change is recorded."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from priorities import roles, services
from priorities.models import Action, Finding, FindingAction, FindingSource, in_force
from tests.factories import (
    ActionFactory,
    FindingActionFactory,
    FindingFactory,
    FindingKpiFactory,
    KpiFactory,
    OfficerFactory,
    PriorityAreaFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

JAN_2021 = datetime.date(2021, 1, 15)


def make_user(role: str, *, staff: bool = True):
    if role == "administrator":
        return UserFactory(username=role, is_staff=True, is_superuser=True)
    group = {
        "board member": roles.BOARD_MEMBER,
        "head of service": roles.HEAD_OF_SERVICE,
        "analyst": roles.ANALYST,
    }[role]
    user = UserFactory(username=role.replace(" ", "-"), is_staff=staff)
    user.groups.add(roles.ensure_groups()[group])
    return user


@pytest.fixture
def analyst(client):
    user = make_user("analyst")
    client.force_login(user)
    return user


def _formset(prefix: str, links=(), extra=()) -> dict:
    """A link inline's POST data: the existing ``links`` as they are, then the new ``extra``."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(links) + len(extra)),
        f"{prefix}-INITIAL_FORMS": str(len(links)),
    }
    target = "action" if prefix == "action_links" else "kpi"
    for i, link in enumerate(links):
        data |= {
            f"{prefix}-{i}-id": link.pk,
            f"{prefix}-{i}-finding": link.finding_id,
            f"{prefix}-{i}-{target}": getattr(link, f"{target}_id"),
            f"{prefix}-{i}-since": link.since.isoformat(),
            f"{prefix}-{i}-ended": link.ended.isoformat() if link.ended else "",
        }
    for i, fields in enumerate(extra, start=len(links)):
        data |= {f"{prefix}-{i}-{name}": value for name, value in fields.items()}
    return data


def finding_form(finding: Finding, **changes) -> dict:
    """The finding's change page as an analyst would submit it, with ``changes``."""
    data = {
        "source": finding.source_id,
        "ref": finding.ref,
        "kind": finding.kind,
        "grade": finding.grade,
        "title": finding.title,
        "text": finding.text,
        "required_outcomes": finding.required_outcomes,
        "area": finding.area_id or "",
        "responsible_officer": finding.responsible_officer_id or "",
        "cited": finding.cited,
        "status": finding.status,
        "evidence": finding.evidence,
        "status_effective": "",
        "status_source": "",
        "seen_version": finding.version,
        "change_reason": "",
    }
    saved = finding.pk is not None
    statuses = str(finding.statuses.count()) if saved else "0"
    data |= {"statuses-TOTAL_FORMS": statuses, "statuses-INITIAL_FORMS": statuses}
    data |= _formset("action_links", finding.action_links.order_by("since", "pk") if saved else [])
    data |= _formset("kpi_links", finding.kpi_links.order_by("since", "pk") if saved else [])
    return data | changes


def change_url(finding: Finding) -> str:
    return reverse("admin:priorities_finding_change", args=[finding.pk])


# Who may do what.

READERS = ["board member", "head of service"]
WRITERS = ["analyst", "administrator"]


@pytest.mark.parametrize("role", READERS)
def test_readers_without_admin_access_are_sent_to_sign_in(client, role):
    finding = FindingFactory()
    client.force_login(make_user(role, staff=False))
    for url in [reverse("admin:priorities_finding_changelist"), change_url(finding)]:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("role", READERS)
def test_readers_given_admin_access_may_look_but_not_change(client, role):
    link = FindingActionFactory(since=JAN_2021)
    finding, kpi_link = link.finding, FindingKpiFactory(finding=link.finding)
    client.force_login(make_user(role))
    page = client.get(change_url(finding))
    assert page.status_code == 200
    html = page.content.decode()
    assert finding.title in html
    assert 'name="status"' not in html and 'name="action_links-0-ended"' not in html
    assert client.get(reverse("admin:priorities_finding_changelist")).status_code == 200

    post = client.post(change_url(finding), finding_form(finding, status="done"))
    add = client.post(reverse("admin:priorities_finding_add"), finding_form(finding, ref="NEW"))
    delete = client.post(
        reverse("admin:priorities_finding_delete", args=[finding.pk]), {"post": "yes"}
    )
    source = client.post(
        reverse("admin:priorities_findingsource_change", args=[finding.source.pk]),
        {"title": "Renamed"},
    )
    assert post.status_code == add.status_code == delete.status_code == source.status_code == 403
    finding.refresh_from_db()
    assert (finding.status, finding.version) == ("open", 1)
    assert Finding.objects.count() == 1
    assert FindingAction.objects.get() == link and kpi_link.finding.kpi_links.get() == kpi_link
    assert FindingSource.objects.get().title != "Renamed"


@pytest.mark.parametrize("role", WRITERS)
def test_analysts_and_administrators_change_findings_and_their_links(client, role):
    finding = FindingFactory(source__date=JAN_2021)
    action, kpi = ActionFactory(), KpiFactory()
    user = make_user(role)
    client.force_login(user)
    data = finding_form(
        finding,
        status="in_progress",
        change_reason="Board review, 3 Nov 2021",
        **_formset("action_links", extra=[{"action": action.pk, "since": "2021-02-01"}]),
        **_formset("kpi_links", extra=[{"kpi": kpi.pk, "since": "2021-02-01"}]),
    )
    response = client.post(change_url(finding), data)
    assert response.status_code == 302, response.content.decode()
    finding.refresh_from_db()
    assert finding.status == "in_progress"
    assert finding.status_as_at == timezone.localdate()
    assert list(finding.actions.all()) == [action]
    assert finding.kpi_links.get().kpi == kpi
    # Who and why, on the finding, its dated status and each link.
    latest = finding.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (
        user,
        "Board review, 3 Nov 2021",
    )
    assert finding.statuses.get().recorded_by == user
    link_history = finding.action_links.get().history.latest()
    assert (link_history.history_user, link_history.history_change_reason) == (
        user,
        "Board review, 3 Nov 2021",
    )


def test_an_analyst_adds_a_source_and_a_finding_with_its_dated_status(client, analyst):
    response = client.post(
        reverse("admin:priorities_findingsource_add"),
        {
            "slug": "dfe-review-2021",
            "body": "Department for Education",
            "kind": "review",
            "title": "DfE adviser's review",
            "date": "2021-12-10",
            "published": "",
            "document": "Scrutiny committee, 20 January 2022: Social Care Improvement update",
        },
    )
    assert response.status_code == 302, response.content.decode()
    source = FindingSource.objects.get(slug="dfe-review-2021")
    finding = FindingFactory.build(source=source, ref="DfE-1", title="Workforce", text="")
    data = finding_form(finding, status="open", status_effective="2021-12-10")
    data |= {"seen_version": "", "responsible_officer": ""}
    response = client.post(reverse("admin:priorities_finding_add"), data)
    assert response.status_code == 302, response.content.decode()
    added = Finding.objects.get(ref="DfE-1")
    assert added.status_as_at == datetime.date(2021, 12, 10)
    assert [(row.effective, row.status) for row in added.statuses.all()] == [
        (datetime.date(2021, 12, 10), "open")
    ]
    assert added.history.latest().history_user == analyst


# The rules every write path applies.


def test_closing_without_evidence_is_refused_on_the_form(client, analyst):
    finding = FindingFactory()
    response = client.post(change_url(finding), finding_form(finding, status="closed"))
    assert response.status_code == 200
    assert "Give the evidence that closes this finding." in response.content.decode()
    finding.refresh_from_db()
    assert (finding.status, finding.statuses.count()) == ("open", 0)
    evidence = "Audit of 40 assessments, Oct 2021: 90% within 45 days."
    response = client.post(
        change_url(finding), finding_form(finding, status="closed", evidence=evidence)
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert (finding.status, finding.evidence) == ("closed", evidence)


def test_a_status_before_the_finding_was_made_is_refused(client, analyst):
    finding = FindingFactory(source__date=JAN_2021)
    data = finding_form(finding, status="in_progress", status_effective="2020-12-31")
    response = client.post(change_url(finding), data)
    assert "The finding was made on 15 Jan 2021: give that day or later." in (
        response.content.decode()
    )
    assert Finding.objects.get(pk=finding.pk).status == "open"


def test_a_stale_change_is_refused(client, analyst):
    finding = FindingFactory()
    opened = finding_form(finding, title="Thresholds in the MASH")
    services.update_finding(
        pk=finding.pk, user=analyst, expected_version=1, status="in_progress", why="Board"
    )  # someone else saved after the form was opened
    response = client.post(change_url(finding), opened)
    assert "Someone changed this record after you opened it" in response.content.decode()
    finding.refresh_from_db()
    assert finding.title != "Thresholds in the MASH" and finding.version == 2


def test_a_grade_is_for_judgements_only(client, analyst):
    finding = FindingFactory()
    response = client.post(change_url(finding), finding_form(finding, grade="good"))
    assert "A judgement has a grade; other findings have none." in response.content.decode()


def test_the_dated_statuses_are_shown_but_never_edited(client, analyst):
    finding = FindingFactory(source__date=JAN_2021)
    services.update_finding(
        pk=finding.pk,
        user=analyst,
        expected_version=1,
        status="in_progress",
        as_at=datetime.date(2021, 6, 1),
        source="Scrutiny committee, 20 January 2022",
    )
    finding.refresh_from_db()
    html = client.get(change_url(finding)).content.decode()
    assert "Scrutiny committee, 20 January 2022" in html
    assert 'name="statuses-0-status"' not in html and 'name="statuses-0-DELETE"' not in html


# Ending a link keeps the earlier months as they were.


def test_ending_a_link_in_the_admin_keeps_it_on_earlier_months(client, analyst):
    link = FindingActionFactory(since=JAN_2021)
    kpi_link = FindingKpiFactory(finding=link.finding, since=JAN_2021)
    finding = link.finding
    data = finding_form(finding, change_reason="Replaced by the MASH review action")
    data |= {"action_links-0-ended": "2021-07-01", "kpi_links-0-ended": "2021-07-01"}
    response = client.post(change_url(finding), data)
    assert response.status_code == 302, response.content.decode()
    link.refresh_from_db()
    kpi_link.refresh_from_db()
    assert link.ended == kpi_link.ended == datetime.date(2021, 7, 1)  # ended, not deleted
    june, july = datetime.date(2021, 6, 30), datetime.date(2021, 7, 31)
    answering = Finding.objects.filter(
        action_links__in=FindingAction.objects.filter(in_force(june))
    )
    assert list(answering) == [finding]
    assert not FindingAction.objects.filter(in_force(july)).exists()
    assert finding.kpi_links.filter(in_force(june)).exists()
    assert not finding.kpi_links.filter(in_force(july)).exists()
    assert link.history.latest().history_change_reason == "Replaced by the MASH review action"


def test_a_link_cannot_end_before_it_began(client, analyst):
    link = FindingActionFactory(since=JAN_2021)
    data = finding_form(link.finding) | {"action_links-0-ended": "2021-01-01"}
    response = client.post(change_url(link.finding), data)
    assert "A link ends after the day it took effect." in response.content.decode()
    link.refresh_from_db()
    assert link.ended is None


# The changelist.


def test_the_list_filters_by_source_status_and_who_answers_for_it(client, analyst):
    mine = FindingFactory(title="Assessments are not timely")
    area = PriorityAreaFactory(responsible_officer=mine.officer)
    via_area = FindingFactory(title="Thresholds", responsible_officer=None, area=area)
    other = FindingFactory(title="Supervision is not regular", status="in_progress")
    url = reverse("admin:priorities_finding_changelist")
    listed = client.get(url, {"officer": mine.officer.pk}).content.decode()
    assert "Assessments are not timely" in listed and "Thresholds" in listed
    assert "Supervision is not regular" not in listed
    listed = client.get(url, {"status__exact": "in_progress"}).content.decode()
    assert "Supervision is not regular" in listed and "Thresholds" not in listed
    listed = client.get(url, {"source__id__exact": other.source.pk}).content.decode()
    assert "Supervision is not regular" in listed and "Assessments" not in listed
    assert via_area.officer == mine.officer


# Actions and the KPIs they are meant to move.


def action_form(action, **changes) -> dict:
    return {
        "area": action.area.pk,
        "ref": action.ref,
        "theme": action.theme,
        "description": action.description,
        "owner": action.owner.pk,
        "current_delivery_date": action.current_delivery_date or "",
        "expected_outputs": action.expected_outputs,
        "status": action.status,
        "evidence_of_impact": action.evidence_of_impact,
        "completed_date": action.completed_date or "",
        "notes": action.notes,
        "seen_version": action.version,
        "change_reason": "",
    } | changes


def test_an_analyst_chooses_the_kpis_an_action_moves_and_the_history_says_so(client, analyst):
    action = ActionFactory()
    timely, visits = KpiFactory(code="PI.426"), KpiFactory(code="CSIP.07")
    url = reverse("admin:priorities_action_change", args=[action.pk])
    page = client.get(url).content.decode()
    assert 'name="kpis"' in page and 'name="notes"' in page
    data = action_form(action, kpis=[timely.pk, visits.pk], notes="Tracker: on track")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()
    action.refresh_from_db()
    assert set(action.kpis.all()) == {timely, visits}
    assert action.notes == "Tracker: on track"
    latest = action.history.latest()
    assert latest.history_user == analyst
    assert latest.history_change_reason == "KPIs it moves: CSIP.07, PI.426"
    # The KPI's page lists the action, to read: links are made on the action's page.
    kpi_page = client.get(reverse("admin:metrics_kpi_change", args=[timely.pk])).content.decode()
    assert action.ref in kpi_page and 'name="actions"' not in kpi_page


def test_a_new_action_is_given_its_kpis_through_the_same_service(client, analyst):
    template = ActionFactory.build(area=PriorityAreaFactory(), owner=OfficerFactory(), ref="9.9")
    kpi = KpiFactory(code="PI.426")
    data = action_form(template, kpis=[kpi.pk], original_delivery_date="2021-03-31")
    data |= {"seen_version": "", "status_effective": "", "status_source": ""}
    response = client.post(reverse("admin:priorities_action_add"), data)
    assert response.status_code == 302, response.content.decode()
    added = Action.objects.get(ref="9.9")
    assert list(added.kpis.all()) == [kpi]
    assert added.history.latest().history_change_reason == "KPIs it moves: PI.426"


def test_a_board_member_cannot_link_an_action_to_a_kpi(client):
    action, kpi = ActionFactory(), KpiFactory()
    client.force_login(make_user("board member"))
    url = reverse("admin:priorities_action_change", args=[action.pk])
    assert client.post(url, action_form(action, kpis=[kpi.pk])).status_code == 403
    assert not action.kpis.exists()
