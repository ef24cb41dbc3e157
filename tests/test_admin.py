"""The data admin works for an analyst: every list, search and filter loads."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from metrics.models import ImportRun, PeriodLock
from tests.factories import (
    ActionFactory,
    ActualFactory,
    BenchmarkFactory,
    FindingActionFactory,
    FindingKpiFactory,
    TargetFactory,
)

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
        "FindingSource",
        "Finding",
    }


@pytest.mark.parametrize("model", DATA_MODELS, ids=lambda m: m.__name__)
def test_analyst_can_list_search_and_open_every_model(client, analyst, model):
    FindingActionFactory(finding__title="MASH thresholds are not consistently applied")
    FindingKpiFactory()
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


def _actual_form(actual, **changes):
    data = {
        "kpi": actual.kpi.pk,
        "period": actual.period.isoformat(),
        "value": str(actual.value),
        "numerator": "",
        "denominator": "",
        "what_data_tells_us": "",
        "issues_and_risks": "",
        "evidence_of_impact": "",
        "source": "",
        "seen_version": actual.version,
        "change_reason": "",
    }
    data.update(changes)
    return data


def test_admin_refuses_a_stale_edit_of_a_figure(client, analyst):
    actual = ActualFactory(value="90.1")
    opened = _actual_form(actual, value="70")
    fresh = type(actual).objects.get(pk=actual.pk)
    fresh.value = 60
    fresh.save()  # the head of service saved after the analyst opened the form
    url = reverse("admin:metrics_actual_change", args=[actual.pk])
    response = client.post(url, opened)
    assert "Someone changed this record after you opened it" in response.content.decode()
    assert type(actual).objects.get(pk=actual.pk).value == 60


def test_admin_applies_the_kpis_rules_for_figures(client, analyst):
    actual = ActualFactory(value="90.1")
    url = reverse("admin:metrics_actual_change", args=[actual.pk])
    response = client.post(url, _actual_form(actual, value="150"))
    assert "Enter a percentage between 0 and 100" in response.content.decode()
    target = TargetFactory()
    response = client.post(
        reverse("admin:metrics_target_change", args=[target.pk]),
        {"kpi": target.kpi.pk, "starts": "2021-01-01", "value": "150", "source": ""},
    )
    assert "Enter a percentage between 0 and 100" in response.content.decode()


def test_admin_change_to_a_locked_month_needs_a_reason_and_records_it(client, analyst):
    actual = ActualFactory(value="90.1", period=datetime.date(2021, 1, 1))
    PeriodLock.objects.create(locked_through="2021-06-01")
    url = reverse("admin:metrics_actual_change", args=[actual.pk])
    response = client.post(url, _actual_form(actual, value="90.3"))
    assert "Jan 2021 is locked (closed up to Jun 2021): give a reason for the change." in (
        response.content.decode()
    )
    response = client.post(url, _actual_form(actual, value="90.3", change_reason="Audit fix"))
    assert response.status_code == 302
    assert actual.history.latest().history_change_reason == "Audit fix"


def test_history_cannot_be_restored_over_current_data(client, analyst):
    action = ActionFactory(original_delivery_date=None)
    action.original_delivery_date = datetime.date(2021, 3, 31)
    action.save()
    first = action.history.earliest()
    url = reverse("admin:priorities_action_simple_history", args=[action.pk, first.history_id])
    client.post(url, {"original_delivery_date": "2030-01-01", "ref": action.ref})
    action.refresh_from_db()
    assert action.original_delivery_date == datetime.date(2021, 3, 31)


def test_admin_moving_a_delivery_date_needs_a_reason_which_is_kept(client, analyst):
    action = ActionFactory(original_delivery_date=datetime.date(2021, 3, 31))
    url = reverse("admin:priorities_action_change", args=[action.pk])
    data = {
        "area": action.area.pk,
        "ref": action.ref,
        "theme": action.theme,
        "description": action.description,
        "owner": action.owner.pk,
        "current_delivery_date": "2021-06-30",
        "expected_outputs": "",
        "status": "in_progress",
        "evidence_of_impact": "",
        "completed_date": "",
        "seen_version": action.version,
        "change_reason": "",
    }
    response = client.post(url, data)
    assert "Say why the delivery date has moved" in response.content.decode()
    response = client.post(url, {**data, "change_reason": "Court backlog"})
    assert response.status_code == 302
    assert action.history.latest().history_change_reason == (
        "Delivery date moved from 31 Mar 2021 to 30 Jun 2021: Court backlog"
    )
    response = client.post(url, {**data, "status": "not_started"})  # stale version
    assert "Someone changed this record after you opened it" in response.content.decode()


def test_a_target_added_on_the_kpi_page_follows_the_kpi_rules(client, analyst):
    kpi = TargetFactory().kpi
    data = {
        "code": kpi.code, "title": kpi.title, "unit": kpi.unit, "polarity": kpi.polarity,
        "tolerance_kind": kpi.tolerance_kind, "decimal_places": "1", "frequency": "monthly",
        "targets-TOTAL_FORMS": "1", "targets-INITIAL_FORMS": "0",
        "targets-0-starts": "2022-04-01", "targets-0-value": "150",
        "benchmarks-TOTAL_FORMS": "0", "benchmarks-INITIAL_FORMS": "0",
        "formula-TOTAL_FORMS": "0", "formula-INITIAL_FORMS": "0",
    }  # fmt: skip
    response = client.post(reverse("admin:metrics_kpi_change", args=[kpi.pk]), data)
    assert "Enter a percentage between 0 and 100" in response.content.decode()
    assert kpi.targets.count() == 1


def test_an_areas_actions_are_changed_on_their_own_page_not_in_the_list(client, analyst):
    action = ActionFactory()
    page = client.get(reverse("admin:priorities_priorityarea_change", args=[action.area.pk]))
    assert page.status_code == 200
    assert 'name="actions-0-status"' not in page.content.decode()
    assert reverse("admin:priorities_action_change", args=[action.pk]) in page.content.decode()
