"""The data admin works for an analyst: every list, search and filter loads."""

import pytest
from django.contrib import admin
from django.urls import reverse

from metrics.models import ImportRun, PeriodLock
from tests.factories import ActionFactory, ActualFactory, BenchmarkFactory, TargetFactory

pytestmark = pytest.mark.django_db

DATA_MODELS = [
    model for model in admin.site._registry if model._meta.app_label in {"priorities", "metrics"}
]


@pytest.fixture
def analyst(client, django_user_model):
    from priorities import roles

    user = django_user_model.objects.create_user("analyst", is_staff=True)
    user.groups.add(roles.ensure_groups()[roles.ANALYST])
    client.force_login(user)
    return user


def test_every_data_model_is_in_the_admin():
    names = {model.__name__ for model in DATA_MODELS}
    assert names == {
        "Plan",
        "PriorityArea",
        "Officer",
        "Action",
        "Kpi",
        "Target",
        "Actual",
        "Benchmark",
        "PeriodLock",
        "ImportRun",
    }


@pytest.mark.parametrize("model", DATA_MODELS, ids=lambda m: m.__name__)
def test_analyst_can_list_search_and_open_every_model(client, analyst, model):
    ActionFactory()
    TargetFactory()
    ActualFactory(numerator=30, denominator=38, value="78.9")
    BenchmarkFactory()
    PeriodLock.objects.create(locked_through="2021-01-01", reason="Board met on 3 Feb 2021")
    ImportRun.objects.create(file_name="MASH tracker.xlsx", user=analyst)
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist, {"q": "MASH"}).status_code == 200
    obj = model.objects.first()
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert client.get(change).status_code == 200
    history = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])
    assert client.get(history).status_code == 200


def test_board_members_cannot_change_data_in_the_admin(client, django_user_model):
    from priorities import roles

    user = django_user_model.objects.create_user("board", is_staff=True)
    user.groups.add(roles.ensure_groups()[roles.BOARD_MEMBER])
    client.force_login(user)
    actual = ActualFactory()
    url = reverse("admin:metrics_actual_change", args=[actual.pk])
    response = client.post(url, {"kpi": actual.kpi.pk, "period": "2021-01-01", "value": "1"})
    assert response.status_code == 403
    actual.refresh_from_db()
    assert actual.value != 1


def test_admin_explains_a_period_that_is_not_a_month(client, analyst):
    actual = ActualFactory()
    url = reverse("admin:metrics_actual_add")
    response = client.post(url, {"kpi": actual.kpi.pk, "period": "2021-02-14", "value": "80"})
    assert response.status_code == 200
    assert "enter the first day of the month" in response.content.decode()


def test_admin_never_offers_to_change_an_actions_original_date(client, analyst):
    action = ActionFactory()
    page = client.get(reverse("admin:priorities_action_change", args=[action.pk])).content
    assert b'name="original_delivery_date"' not in page


def test_analyst_locks_periods_in_the_admin_and_the_lock_is_recorded(client, analyst):
    response = client.post(
        reverse("admin:metrics_periodlock_add"),
        {"locked_through": "2021-10-01", "reason": "Improvement board met on 3 Nov 2021"},
    )
    assert response.status_code == 302
    lock = PeriodLock.objects.get()
    assert (lock.created_by, str(lock)) == (analyst, "Locked up to Oct 2021")
    assert PeriodLock.objects.locked_through().isoformat() == "2021-10-01"
    response = client.post(
        reverse("admin:metrics_periodlock_add"), {"locked_through": "2021-10-15", "reason": ""}
    )
    assert "enter the first day of the month" in response.content.decode()
