import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from priorities import roles
from priorities.forms import kpis_offered
from priorities.models import Action
from tests.factories import ActionFactory, KpiFactory, OfficerFactory, UserFactory
from tests.reports.helpers import text

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def head(client):
    user = UserFactory(username="head")
    user.groups.add(roles.ensure_groups()[roles.HEAD_OF_SERVICE])
    client.force_login(user)
    return user


@pytest.fixture
def action(head):
    return ActionFactory(
        owner=OfficerFactory(user=head), original_delivery_date=D(2021, 3, 31), ref="2"
    )


def post(client, action, **data):
    payload = {
        "status": action.status,
        "version": str(action.version),
        "current_delivery_date": "",
        "date_change_reason": "",
        "completed_date": "",
        "evidence_of_impact": "",
    }
    payload.update(data)
    return client.post(reverse("action-update", args=[action.pk]), payload)


def test_moving_the_delivery_date_needs_a_reason_and_keeps_the_original(client, action):
    response = post(client, action, current_delivery_date="30/6/2021")
    assert b"Say why the delivery date has moved" in response.content
    response = post(
        client,
        action,
        current_delivery_date="30/6/2021",
        date_change_reason="Waiting for the new case management system",
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.original_delivery_date == D(2021, 3, 31)
    assert action.current_delivery_date == D(2021, 6, 30)
    page = client.get(reverse("action-update", args=[action.pk])).content.decode()
    assert "Slippage 3 months" in text(page)
    assert (
        "Delivery date moved from 31 Mar 2021 to 30 Jun 2021: "
        "Waiting for the new case management system, by head on" in page
    )


def test_every_revision_stays_visible(client, action):
    post(client, action, current_delivery_date="30/6/2021", date_change_reason="First slip")
    action.refresh_from_db()
    post(client, action, current_delivery_date="30/9/2021", date_change_reason="Second slip")
    page = client.get(reverse("action-update", args=[action.pk])).content.decode()
    assert "from 31 Mar 2021 to 30 Jun 2021: First slip" in page
    assert "from 30 Jun 2021 to 30 Sep 2021: Second slip" in page
    assert "Slippage 6 months" in text(page)


def test_completing_an_action_records_the_date_and_evidence(client, action):
    response = post(
        client,
        action,
        status="completed",
        completed_date="15/3/2021",
        evidence_of_impact="Audit shows strategy discussions in 9 of 10 cases.",
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == Action.Status.COMPLETED
    assert action.completed_date == D(2021, 3, 15)
    assert action.evidence_of_impact.startswith("Audit shows")
    assert not action.is_overdue(timezone.localdate())
    # Completed on the page today: April 2021's pages keep what the board saw then.
    assert action.is_overdue(D(2021, 4, 1))


def test_a_completed_date_needs_the_completed_status(client, action):
    response = post(client, action, status="in_progress", completed_date="15/3/2021")
    assert b"Only give a date completed when the status is Completed." in response.content


def test_a_stale_action_update_is_refused(client, action):
    stale_version = action.version
    fresh = Action.objects.get(pk=action.pk)
    fresh.status = Action.Status.IN_PROGRESS
    fresh.save()
    response = post(client, action, status="completed", version=str(stale_version))
    assert b"updated this action after you opened the page" in response.content
    assert Action.objects.get(pk=action.pk).status == Action.Status.IN_PROGRESS


def test_an_unreadable_date_says_how_to_write_it(client, action):
    response = post(client, action, current_delivery_date="next spring", date_change_reason="x")
    assert b"is not a date: write it like 31/08/2021 or Aug 2021." in response.content


def test_a_delivery_date_can_be_typed_as_the_import_reads_it(client, action):
    response = post(client, action, current_delivery_date="Oct-21", date_change_reason="Audit")
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.current_delivery_date == D(2021, 10, 31)


def test_a_delivery_date_in_an_impossible_year_is_refused(client, action):
    response = post(client, action, current_delivery_date="31/3/2921", date_change_reason="x")
    assert b"2921 is not a year this service records: check the date." in response.content


# The KPIs an action is meant to move ---------------------------------------------


@pytest.fixture
def plan_kpis(action):
    """Two KPIs of the action's plan, one of another plan's (offered too: there are few)."""
    mine = [KpiFactory(code="CSIP.01"), KpiFactory(code="CSIP.02")]
    for kpi in mine:
        kpi.areas.add(action.area)
    return [*mine, KpiFactory(code="OTHER.01")]


def test_the_owner_chooses_the_kpis_the_action_moves(client, action, plan_kpis):
    page = client.get(reverse("action-update", args=[action.pk])).content.decode()
    assert "KPIs this action is meant to move" in page
    for kpi in plan_kpis:
        assert '<label class="govuk-label govuk-checkboxes__label" for="id_kpis_' in page
        assert f"{kpi.code} {kpi.title}" in page
    chosen = [str(plan_kpis[0].pk), str(plan_kpis[2].pk)]
    response = post(client, action, kpis=chosen)
    assert response.status_code == 302
    assert sorted(k.code for k in action.kpis.all()) == ["CSIP.01", "OTHER.01"]
    page = client.get(reverse("action-update", args=[action.pk])).content.decode()
    assert "KPIs it moves: CSIP.01, OTHER.01, by head on" in page
    ticked = re.findall(r'type="checkbox" value="(\d+)" checked', page)
    assert sorted(ticked) == sorted(chosen)
    action.refresh_from_db()
    response = post(client, action, kpis=[str(plan_kpis[1].pk)])
    assert [k.code for k in action.kpis.all()] == ["CSIP.02"]


def test_with_many_kpis_the_page_offers_the_plans_and_those_already_linked(
    client, action, plan_kpis
):
    far = KpiFactory.create_batch(30)
    action.kpis.add(far[0])
    page = client.get(reverse("action-update", args=[action.pk])).content.decode()
    assert "CSIP.01" in page and far[0].code in page
    assert far[1].code not in page and "OTHER.01" not in page
    assert kpis_offered(action).count() == 3


def test_another_head_cannot_set_an_actions_kpis(client, plan_kpis):
    theirs = ActionFactory(owner=OfficerFactory(user=UserFactory()))
    url = reverse("action-update", args=[theirs.pk])
    assert client.get(url).status_code == 403
    payload = {"status": theirs.status, "version": str(theirs.version), "kpis": [plan_kpis[0].pk]}
    assert client.post(url, payload).status_code == 403
    assert not theirs.kpis.exists()


def test_a_stale_update_does_not_change_the_kpis(client, action, plan_kpis):
    stale_version = action.version
    fresh = Action.objects.get(pk=action.pk)
    fresh.status = Action.Status.IN_PROGRESS
    fresh.save()
    response = post(client, action, kpis=[plan_kpis[0].pk], version=str(stale_version))
    assert b"updated this action after you opened the page" in response.content
    assert not action.kpis.exists()
