"""Every role against every write URL: the server decides, whatever the page shows."""

import datetime
import re

import pytest
from django.urls import reverse

from metrics.models import Actual
from priorities import roles
from priorities.models import Action
from tests.factories import ActionFactory, KpiFactory, OfficerFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_user(role: str):
    if role == "anonymous":
        return None
    if role == "administrator":
        return UserFactory(username=role, is_staff=True, is_superuser=True)
    group = {
        "owner": roles.HEAD_OF_SERVICE,
        "other head of service": roles.HEAD_OF_SERVICE,
        "board member": roles.BOARD_MEMBER,
        "analyst": roles.ANALYST,
    }[role]
    user = UserFactory(username=role.replace(" ", "-"), is_staff=role == "analyst")
    user.groups.add(roles.ensure_groups()[group])
    return user


ROLES = ["anonymous", "owner", "other head of service", "board member", "analyst", "administrator"]
MAY_WRITE = {"owner", "analyst", "administrator"}


@pytest.fixture
def records(request):
    """A KPI and an action owned by the 'owner' login's post."""
    owner_post = OfficerFactory(role_title="Head of Service, MASH")
    kpi = KpiFactory(owner=owner_post)
    action = ActionFactory(owner=owner_post)
    return owner_post, kpi, action


def _sign_in(client, role, owner_post):
    user = make_user(role)
    if role == "owner":
        owner_post.user = user
        owner_post.save()
    if role == "board member":
        # Even a board member linked to the owning post may not write.
        owner_post.user = user
        owner_post.save()
    if user:
        client.force_login(user)
    return user


@pytest.mark.parametrize("role", ROLES)
def test_kpi_entry_is_open_only_to_the_owner_analysts_and_administrators(client, records, role):
    owner_post, kpi, _ = records
    _sign_in(client, role, owner_post)
    url = reverse("kpi-entry", args=[kpi.pk, "2026-10"])
    get = client.get(url)
    post = client.post(url, {"version": "0", "value": "90"})
    if role == "anonymous":
        assert get.status_code == post.status_code == 302
        assert "/accounts/login/" in get["Location"]
    elif role in MAY_WRITE:
        assert get.status_code == 200
        assert post.status_code == 302
    else:
        assert get.status_code == post.status_code == 403
    assert Actual.objects.exists() == (role in MAY_WRITE)


@pytest.mark.parametrize("role", ROLES)
def test_action_update_is_open_only_to_the_owner_analysts_and_administrators(client, records, role):
    owner_post, _, action = records
    _sign_in(client, role, owner_post)
    url = reverse("action-update", args=[action.pk])
    get = client.get(url)
    post = client.post(
        url, {"status": "in_progress", "version": str(action.version), "current_delivery_date": ""}
    )
    if role == "anonymous":
        assert get.status_code == post.status_code == 302
    elif role in MAY_WRITE:
        assert get.status_code == 200
        assert post.status_code == 302, post.content.decode()
    else:
        assert get.status_code == post.status_code == 403
    changed = Action.objects.get(pk=action.pk).status == Action.Status.IN_PROGRESS
    assert changed == (role in MAY_WRITE)


def test_guessing_another_kpis_url_is_refused(client):
    mine, theirs = OfficerFactory(), OfficerFactory()
    head = make_user("owner")
    mine.user = head
    mine.save()
    client.force_login(head)
    assert (
        client.get(reverse("kpi-entry", args=[KpiFactory(owner=mine).pk, "2026-10"])).status_code
        == 200
    )
    other = KpiFactory(owner=theirs)
    assert client.get(reverse("kpi-entry", args=[other.pk, "2026-10"])).status_code == 403
    assert client.get(reverse("kpi-entry", args=[99999, "2026-10"])).status_code == 404


@pytest.mark.parametrize("role", ["board member", "other head of service"])
def test_readers_cannot_write_through_the_admin(client, records, role):
    owner_post, kpi, _ = records
    user = _sign_in(client, role, owner_post)
    user.is_staff = True
    user.save()
    response = client.post(
        reverse("admin:metrics_actual_add"),
        {"kpi": kpi.pk, "period": datetime.date(2021, 1, 1), "value": "1", "version": "1"},
    )
    assert response.status_code == 403
    assert not Actual.objects.exists()


@pytest.mark.parametrize("role", ["analyst", "administrator"])
def test_only_an_administrator_can_link_a_login_to_a_post(client, role):
    post = OfficerFactory(role_title="Head of Service, MASH")
    head = make_user("other head of service")
    user = make_user(role)
    client.force_login(user)
    url = reverse("admin:priorities_officer_change", args=[post.pk])
    page = client.get(url).content.decode()
    assert ('name="user"' in page) == (role == "administrator")
    response = client.post(url, {"role_title": post.role_title, "name": "", "user": head.pk})
    assert response.status_code == 302
    post.refresh_from_db()
    if role == "administrator":
        assert post.user == head
        latest = post.history.latest()
        assert (latest.user_id, latest.history_user) == (head.pk, user)
    else:
        assert post.user is None
        assert not post.history.filter(user_id=head.pk).exists()


MENU_OFFERS_UPDATES = {"owner", "analyst", "administrator"}


@pytest.mark.parametrize("role", ROLES[1:])
def test_my_updates_is_in_the_menu_only_for_those_with_something_to_update(client, records, role):
    owner_post, _, _ = records
    _sign_in(client, role, owner_post)
    menu = client.get(reverse("home")).content.decode()
    assert ('href="/updates/">My updates' in menu) == (role in MENU_OFFERS_UPDATES)


@pytest.mark.parametrize("role", ROLES[1:])
def test_only_people_who_can_change_a_locked_month_are_told_they_can(client, records, role):
    from metrics.models import PeriodLock

    PeriodLock.objects.create(locked_through="2021-01-01", reason="Board met on 3 Feb 2021")
    owner_post, _, _ = records
    _sign_in(client, role, owner_post)
    page = client.get(reverse("my-updates")).content.decode()
    offers = "You can still change them, giving a reason" in page
    assert offers == (role in {"analyst", "administrator"})
    assert ("Ask a performance analyst" in page) == (role in {"owner", "other head of service"})


def _links(page: str) -> set[str]:
    return {
        href.replace("&amp;", "&")
        for href in re.findall(r'href="(/[^"#]*)"', page)
        if not href.startswith("/static/")
    }


@pytest.mark.parametrize("role", ROLES[1:])
def test_nobody_is_shown_a_link_to_a_page_they_cannot_open(client, records, role):
    owner_post, kpi, _ = records
    _sign_in(client, role, owner_post)
    shown = set()
    for start in [reverse("home"), reverse("my-updates"), reverse("kpi-detail", args=[kpi.pk])]:
        shown |= _links(client.get(start).content.decode())
    assert shown  # the menu at least
    refused = {url: status for url in shown if (status := client.get(url).status_code) >= 400}
    assert not refused
