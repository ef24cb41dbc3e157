"""Heads of service enter monthly figures: journeys, validation, locks and history."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from metrics.models import Actual, Kpi, PeriodLock
from priorities import roles
from tests.factories import (
    ActualFactory,
    KpiFactory,
    OfficerFactory,
    PriorityAreaFactory,
    TargetFactory,
    UserFactory,
    user_in,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 22)
OCT_2026 = datetime.date(2026, 10, 1)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    # What is due and what is late depend on the date: these tests are set on 22 Nov 2026.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def head():
    return user_in(roles.HEAD_OF_SERVICE, "head")


@pytest.fixture
def kpi(head):
    kpi = KpiFactory(
        code="CSIP.01",
        title="Contacts progressed within one working day",
        owner=OfficerFactory(user=head, role_title="Head of Service, MASH"),
        numerator_label="Contacts progressed within a day",
        denominator_label="Contacts received",
        reporting_from=datetime.date(2020, 11, 1),
    )
    kpi.areas.add(PriorityAreaFactory())  # evidences a plan that is still running
    TargetFactory(kpi=kpi, starts=datetime.date(2020, 11, 1), value=95)
    return kpi


def entry(kpi, period=OCT_2026):
    return reverse("kpi-entry", args=[kpi.pk, period.strftime("%Y-%m")])


def form_data(**overrides):
    data = {
        "version": "0",
        "value": "",
        "numerator": "",
        "denominator": "",
        "what_data_tells_us": "More contacts are decided the same day.",
        "issues_and_risks": "",
        "evidence_of_impact": "",
    }
    data.update(overrides)
    return data


# The monthly journey -----------------------------------------------------


def test_head_of_service_lands_on_their_updates_and_saves_a_figure(client, head, kpi):
    response = client.post(
        reverse("login"), {"username": "head", "password": "correct-horse-battery"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("my-updates")
    page = response.content.decode()
    assert "CSIP.01 Contacts progressed within one working day" in page
    assert "You have 1 of 1 figure still to do" in page
    assert "Overdue" in page  # the October figure was due on 13 November

    response = client.post(entry(kpi), form_data(numerator="140", denominator="150"), follow=True)
    page = response.content.decode()
    assert "Saved CSIP.01 for Oct 2026: 93.3%. Status: Amber: just short of target." in page
    assert "93.3% (140 of 150)" in page
    actual = Actual.objects.get(kpi=kpi, period=OCT_2026)
    assert (actual.value, actual.numerator, actual.denominator) == (Decimal("93.3"), 140, 150)
    assert actual.updated_by == head
    assert actual.what_data_tells_us == "More contacts are decided the same day."

    page = client.get(reverse("my-updates")).content.decode()
    assert "You have 0 of 1 figure still to do" in page
    assert "Saved" in page


def test_a_quarterly_kpi_is_due_for_the_last_completed_quarter(client, head):
    kpi = KpiFactory(
        code="PI.426", frequency=Kpi.Frequency.QUARTERLY, owner=OfficerFactory(user=head)
    )
    kpi.areas.add(PriorityAreaFactory())
    client.force_login(head)
    page = client.get(reverse("my-updates")).content.decode()
    assert "Quarterly figure for Q2 2026/27" in page
    assert reverse("kpi-entry", args=[Kpi.objects.get(code="PI.426").pk, "2026-09"]) in page


def test_entry_page_shows_the_last_twelve_periods_beside_the_form(client, head, kpi):
    ActualFactory(kpi=kpi, period=datetime.date(2026, 9, 1), value=Decimal("69"))
    client.force_login(head)
    page = client.get(entry(kpi)).content.decode()
    assert "The last 12 months" in page
    assert "Sep 2026" in page and "Nov 2025" in page and "Oct 2025" not in page
    assert "69.0" in page and "Red" in page


def test_board_members_and_analysts_land_on_the_board_overview(client):
    user_in(roles.BOARD_MEMBER, "board")
    response = client.post(
        reverse("login"), {"username": "board", "password": "correct-horse-battery"}
    )
    assert client.get(response["Location"])["Location"] == reverse("home")


# Validation --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "stored"),
    [
        ({"value": "95%"}, "95"),
        ({"value": " 90.3 "}, "90.3"),
        ({"numerator": "1,000", "denominator": "1,250"}, "80"),
    ],
)
def test_figures_typed_as_people_type_them_are_read_as_the_import_reads_them(
    client, head, kpi, data, stored
):
    client.force_login(head)
    response = client.post(entry(kpi), form_data(**data))
    assert response.status_code == 302
    assert Actual.objects.get().value == Decimal(stored)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"value": "101"}, "value", "Enter a percentage between 0 and 100"),
        ({"value": "-1"}, "value", "Enter a percentage between 0 and 100"),
        ({"value": "ninety"}, "value", "is not a number: enter a figure such as 90.3."),
        ({"value": "12 (provisional)"}, "value", "after the number: delete it"),
        ({"value": "123456789"}, "value", "Enter a number below 100,000,000."),
        ({"numerator": "10%", "denominator": "20"}, "numerator", "Enter the number without %"),
        ({"value": "90.35"}, "value", "no more than 1 decimal place"),
        ({"numerator": "160", "denominator": "150"}, "numerator", "cannot be more than"),
        ({"numerator": "10"}, "denominator", "Enter the denominator as well"),
        ({"numerator": "10", "denominator": "0"}, "denominator", "Enter a denominator above 0"),
        ({"numerator": "1.5", "denominator": "3"}, "numerator", "whole number"),
        ({}, "numerator", "Enter the contacts progressed within a day and contacts received"),
    ],
)
def test_bad_figures_are_refused_with_a_message_naming_the_field(
    client, head, kpi, data, field, message
):
    client.force_login(head)
    response = client.post(entry(kpi), form_data(**data))
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert f'href="#id_{field}"' in page
    assert message in page
    assert not Actual.objects.exists()


def test_a_refused_form_keeps_everything_typed(client, head, kpi):
    client.force_login(head)
    page = client.post(
        entry(kpi), form_data(value="101", issues_and_risks="Two social workers left.")
    ).content.decode()
    assert 'value="101"' in page
    assert "Two social workers left." in page
    assert "More contacts are decided the same day." in page


def test_a_count_kpi_refuses_negative_numbers(client):
    analyst = user_in(roles.ANALYST, "analyst")
    count = KpiFactory(unit=Kpi.Unit.COUNT, polarity=Kpi.Polarity.LOWER, decimal_places=0)
    client.force_login(analyst)
    page = client.post(entry(count), form_data(value="-3")).content.decode()
    assert "Enter a count of 0 or more." in page


def test_future_and_pre_existence_periods_are_refused(client, head, kpi):
    client.force_login(head)
    page = client.post(entry(kpi, datetime.date(2026, 11, 1)), form_data(value="90")).content
    assert b"Nov 2026 has not ended yet: the latest period you can record is Oct 2026." in page
    page = client.post(entry(kpi, datetime.date(2020, 10, 1)), form_data(value="90")).content
    assert b"CSIP.01 is reported from Nov 2020: Oct 2020 is before it existed." in page
    assert not Actual.objects.exists()


# No lost update ----------------------------------------------------------


def test_a_second_save_from_a_stale_form_is_refused_and_keeps_what_was_typed(client, head, kpi):
    analyst = user_in(roles.ANALYST, "analyst")
    actual = ActualFactory(kpi=kpi, period=OCT_2026, value=Decimal("90.1"))
    client.force_login(head)
    opened_version = actual.version

    other = client.__class__()
    other.force_login(analyst)
    other.post(entry(kpi), form_data(value="90.3", version=str(opened_version)))

    response = client.post(
        entry(kpi), form_data(value="88.8", version=str(opened_version), numerator="")
    )
    page = response.content.decode()
    assert "analyst saved CSIP.01 for Oct 2026 as 90.3" in page
    assert "Your changes have not been saved" in page
    assert 'value="88.8"' in page
    assert Actual.objects.get(pk=actual.pk).value == Decimal("90.3")
    # Having seen the warning, the head of service can save over it on purpose.
    response = client.post(entry(kpi), form_data(value="88.8", version=str(opened_version + 1)))
    assert response.status_code == 302
    assert Actual.objects.get(pk=actual.pk).value == Decimal("88.8")


# Locked periods ----------------------------------------------------------


def test_head_of_service_cannot_change_a_locked_period(client, head, kpi):
    actual = ActualFactory(kpi=kpi, period=OCT_2026, value=Decimal("90.1"))
    PeriodLock.objects.create(locked_through=OCT_2026, reason="Board met 5 Nov")
    client.force_login(head)
    page = client.get(entry(kpi)).content.decode()
    assert "Oct 2026 is locked after the board meeting" in page
    assert '<form method="post" novalidate>' not in page
    response = client.post(entry(kpi), form_data(value="99", version=str(actual.version)))
    refusal = "Oct 2026 is locked (closed up to Oct 2026): ask a performance analyst to change it."
    assert refusal in client.get(response["Location"]).content.decode()
    assert Actual.objects.get(pk=actual.pk).value == Decimal("90.1")


def test_analyst_changing_a_locked_period_must_give_a_reason_which_is_recorded(client, kpi):
    analyst = user_in(roles.ANALYST, "analyst")
    actual = ActualFactory(kpi=kpi, period=OCT_2026, value=Decimal("90.1"))
    PeriodLock.objects.create(locked_through=OCT_2026)
    client.force_login(analyst)
    page = client.post(entry(kpi), form_data(value="90.3", version=str(actual.version))).content
    assert b"Oct 2026 is locked (closed up to Oct 2026): give a reason for the change." in page
    assert Actual.objects.get(pk=actual.pk).value == Decimal("90.1")
    client.post(
        entry(kpi),
        form_data(
            value="90.3",
            version=str(actual.version),
            reason="Late MASH data",
            what_data_tells_us="",
        ),
    )
    assert Actual.objects.get(pk=actual.pk).value == Decimal("90.3")
    assert actual.history.latest().history_change_reason == "Late MASH data"
    page = client.get(entry(kpi)).content.decode()
    assert "value 90.1 to 90.3 by analyst on" in page
    assert "reason: Late MASH data" in page


def test_a_later_lock_replaces_an_earlier_one():
    PeriodLock.objects.create(locked_through=datetime.date(2021, 1, 1))
    PeriodLock.objects.create(locked_through=None, reason="Reopened for audit")
    assert PeriodLock.objects.locked_through() is None


# History from every write path -------------------------------------------


def test_history_records_who_changed_what_from_the_page_and_the_admin(client, head, kpi):
    client.force_login(head)
    client.post(entry(kpi), form_data(value="90.1", what_data_tells_us=""))
    actual = Actual.objects.get(kpi=kpi, period=OCT_2026)
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        reverse("admin:metrics_actual_change", args=[actual.pk]),
        {
            "kpi": kpi.pk,
            "period": "2026-10-01",
            "value": "90.3",
            "seen_version": actual.version,
            "what_data_tells_us": "",
            "issues_and_risks": "",
            "evidence_of_impact": "",
            "source": "",
        },
    )
    assert response.status_code == 302, response.content
    records = list(actual.history.order_by("history_date"))
    assert [(r.value, r.history_user.username) for r in records] == [
        (Decimal("90.1"), "head"),
        (Decimal("90.3"), "admin"),
    ]
    client.force_login(head)
    assert "value 90.1 to 90.3 by admin on" in client.get(entry(kpi)).content.decode()


def test_seeded_figures_show_as_a_data_load_in_history(client):
    call_command("seed", stdout=StringIO())
    analyst = user_in(roles.ANALYST, "analyst")
    client.force_login(analyst)
    kpi = Kpi.objects.get(code="PI.426")
    page = client.get(entry(kpi, datetime.date(2021, 9, 1))).content.decode()
    assert "value 90.3" in page and "by data load on" in page


def test_a_kpi_not_yet_reported_is_not_overdue_on_my_updates(client, head, kpi):
    kpi.reporting_from = datetime.date(2027, 1, 1)
    kpi.save()
    client.force_login(head)
    page = client.get(reverse("my-updates")).content.decode()
    # Its first figure is for January 2027, which cannot be entered yet
    # (Kpi.period_problem), so October 2026's is owed by nobody (metrics.due).
    assert "Overdue" not in page and "Not started" not in page
    assert "not reported yet" in page and kpi.code in page


def test_an_impossible_month_in_the_address_is_not_found(client, head, kpi):
    client.force_login(head)
    for month in ["9999-12", "0001-01", "2021-13"]:
        assert client.get(f"/updates/{kpi.pk}/{month}/").status_code == 404


def test_a_number_too_large_to_store_says_so(client, head):
    count = KpiFactory(unit=Kpi.Unit.COUNT, owner=OfficerFactory(user=head))
    client.force_login(head)
    page = client.post(entry(count), form_data(value="1000000000000000")).content.decode()
    assert "Enter a number below 100,000,000." in page


def test_a_value_typed_against_the_counts_is_refused_not_dropped(client, head, kpi):
    actual = ActualFactory(kpi=kpi, period=OCT_2026, value=Decimal("50.3"), numerator=76,
                           denominator=151)  # fmt: skip
    client.force_login(head)
    data = form_data(value="60", numerator="76", denominator="151", version=str(actual.version))
    page = client.post(entry(kpi), data).content.decode()
    assert "The value 60.0 does not match 76 out of 151, which gives 50.3" in page
    assert Actual.objects.get(pk=actual.pk).value == Decimal("50.3")
    # New counts with the stored value left in the box: the value follows the counts.
    data = form_data(value="50.3", numerator="80", denominator="151", version=str(actual.version))
    assert client.post(entry(kpi), data).status_code == 302
    assert Actual.objects.get(pk=actual.pk).value == Decimal("53.0")
