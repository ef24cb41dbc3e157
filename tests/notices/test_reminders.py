"""`manage.py send_reminders`: who gets what on which day, each once, through Django's outbox.

The council (conftest) has a head owning PI.426, whose October 2026 figure
is due by Friday 13 November 2026, and a manager responsible for its area.
"""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from metrics.models import Actual
from notices.models import Preferences, Reminder
from priorities import roles
from priorities.models import Action
from tests.factories import ActionFactory, ActualFactory, KpiFactory, OfficerFactory
from tests.notices.conftest import SITE, person

pytestmark = pytest.mark.django_db
D = datetime.date
OCT = D(2026, 10, 1)
SERVICE = "Dudley children's services improvement"


def run(on: datetime.date, *args) -> str:
    out = StringIO()
    call_command("send_reminders", "--date", on.isoformat(), *args, stdout=out)
    return out.getvalue()


def sent_to(user) -> list:
    return [message for message in mail.outbox if message.to == [user.email]]


def test_the_owner_is_reminded_three_working_days_before_the_deadline_once(council):
    assert run(D(2026, 11, 9)).startswith("9 November 2026: 0 emails sent")
    output = run(D(2026, 11, 10))
    (message,) = mail.outbox
    assert message.to == ["head@dudley.example"]
    assert message.subject == f"{SERVICE}: 1 figure due by 13 November 2026"
    assert "PI.426: Single assessments within 45 working days, Oct 2026" in message.body
    assert f"{SITE}/updates/{council.kpi.pk}/2026-10/" in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    assert f'href="{SITE}/updates/{council.kpi.pk}/2026-10/"' in html
    assert "1 emails sent (1 reminders)" in output

    # Run again that day, or the next: nothing goes twice.
    assert "0 emails sent" in run(D(2026, 11, 10))
    assert "skipped 1 already sent" in run(D(2026, 11, 11))
    assert len(mail.outbox) == 1
    assert Reminder.objects.get().sent_at is not None


def test_deadline_day_then_overdue_on_the_next_working_day_and_every_five_after(council):
    for day in [D(2026, 11, 13), D(2026, 11, 16), D(2026, 11, 17), D(2026, 11, 23)]:
        run(day)
    subjects = [message.subject for message in sent_to(council.head)]
    assert subjects == [
        f"{SERVICE}: 1 figure due today",
        f"{SERVICE}: 1 figure overdue",
        f"{SERVICE}: 1 figure overdue",
    ]
    assert set(Reminder.objects.values_list("kind", "day")) >= {
        ("deadline_day", D(2026, 11, 13)),
        ("overdue", D(2026, 11, 16)),
        ("overdue", D(2026, 11, 23)),
    }


def test_a_saved_figure_is_not_chased(council):
    ActualFactory(kpi=council.kpi, period=OCT)
    run(D(2026, 11, 16))
    assert mail.outbox == []


def test_nothing_is_sent_on_a_weekend_or_bank_holiday(council, settings):
    settings.BANK_HOLIDAYS = frozenset({D(2026, 11, 16)})
    run(D(2026, 11, 14))
    run(D(2026, 11, 16))
    assert mail.outbox == []
    run(D(2026, 11, 17))
    assert [m.subject for m in mail.outbox] == [f"{SERVICE}: 1 figure overdue"]


def test_a_bank_holiday_moves_the_deadline_and_its_reminders(council, settings):
    # December 2026's figure is due by working day 10 of January 2027; New Year's Day is off.
    settings.BANK_HOLIDAYS = frozenset({D(2027, 1, 1)})
    run(D(2027, 1, 14))
    (message,) = mail.outbox
    assert message.subject == f"{SERVICE}: 1 figure due by 15 January 2027"
    run(D(2027, 1, 15))
    assert mail.outbox[1].subject == f"{SERVICE}: 1 figure due today"


def test_an_opted_out_owner_gets_no_advance_reminder_but_is_told_when_overdue(council):
    Preferences.objects.create(user=council.head, non_essential=False)
    output = run(D(2026, 11, 10))
    assert mail.outbox == []
    assert "1 advance reminders opted out of" in output
    run(D(2026, 11, 16))
    assert [m.subject for m in mail.outbox] == [f"{SERVICE}: 1 figure overdue"]


def test_a_person_with_no_email_is_skipped_and_counted(council):
    council.head.email = ""
    council.head.save()
    output = run(D(2026, 11, 10))
    assert mail.outbox == []
    assert "1 people with no email address" in output
    assert not Reminder.objects.exists()


def test_one_email_lists_every_figure_and_action_due(council):
    second = KpiFactory(code="PI.432", owner=council.kpi.owner, reporting_from=D(2026, 1, 1))
    second.areas.add(council.area)
    action = ActionFactory(
        area=council.area,
        owner=council.kpi.owner,
        ref="2.1",
        original_delivery_date=D(2026, 11, 13),
    )
    ActionFactory(  # completed, so not chased
        area=council.area,
        owner=council.kpi.owner,
        original_delivery_date=D(2026, 11, 13),
        status=Action.Status.COMPLETED,
        completed_date=D(2026, 11, 1),
    )
    run(D(2026, 11, 13))
    (message,) = mail.outbox
    assert message.subject == f"{SERVICE}: 2 figures and 1 action due today"
    assert "PI.432" in message.body and "Action 2.1" in message.body
    assert f"{SITE}/actions/{action.pk}/update/" in message.body


def test_the_responsible_officer_is_told_when_a_figure_is_over_five_working_days_late(council):
    run(D(2026, 11, 20))  # five working days late
    assert sent_to(council.manager) == []
    run(D(2026, 11, 23))  # six
    (message,) = sent_to(council.manager)
    assert message.subject == f"{SERVICE}: 1 figure overdue in your areas"
    assert "PI.426" in message.body


def submitted_figure(council, when: datetime.datetime, **extra) -> Actual:
    return ActualFactory(
        kpi=council.kpi,
        period=OCT,
        value=Decimal("77.1"),
        state=Actual.State.SUBMITTED,
        submitted_at=when,
        first_submitted_at=when,
        updated_by=council.head,
        **extra,
    )


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def test_an_approver_is_reminded_of_a_figure_waiting_over_three_working_days(council):
    submitted_figure(council, at(D(2026, 11, 5)))
    run(D(2026, 11, 10))  # three working days waiting
    assert sent_to(council.manager) == []
    run(D(2026, 11, 11))
    (message,) = sent_to(council.manager)
    assert message.subject == f"{SERVICE}: 1 figure waiting for your sign-off"
    assert f"{SITE}/approvals/" in message.body
    # The owner, who saved it, is not asked to sign it off; and no value is in the email.
    assert sent_to(council.head) == []
    assert "77.1" not in message.body and "77.1" not in message.alternatives[0][0]


def test_analysts_are_asked_only_when_no_responsible_officer_can_sign_off(council):
    analyst = person("analyst", roles.ANALYST)
    submitted_figure(council, at(D(2026, 11, 5)))
    run(D(2026, 11, 11))
    assert sent_to(analyst) == []
    council.area.responsible_officer = OfficerFactory()  # a post with no login
    council.area.save()
    run(D(2026, 11, 12))
    assert [m.subject for m in sent_to(analyst)] == [
        f"{SERVICE}: 1 figure waiting for your sign-off"
    ]


def test_no_sign_off_reminders_when_sign_off_is_switched_off(council, settings):
    settings.SIGN_OFF_REQUIRED = False
    submitted_figure(council, at(D(2026, 11, 5)))
    run(D(2026, 11, 11))
    assert mail.outbox == []


def test_a_dry_run_prints_who_would_get_what_and_writes_nothing(council):
    output = run(D(2026, 11, 16), "--dry-run")
    assert "head <head@dudley.example>:" in output
    assert f"overdue actual:{council.kpi.pk}:2026-10 PI.426" in output
    assert "1 emails would be sent" in output
    assert mail.outbox == []
    assert not Reminder.objects.exists()
    assert not Preferences.objects.exists()


class Broken:
    """An email backend whose server is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_a_failed_send_is_recorded_exits_non_zero_and_is_retried_next_run(council, settings):
    settings.EMAIL_BACKEND = "tests.notices.test_reminders.Broken"
    with pytest.raises(CommandError, match="1 reminder emails failed"):
        run(D(2026, 11, 10))
    row = Reminder.objects.get()
    assert (row.sent_at, row.attempts) == (None, 1)
    assert "mail server down" in row.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run(D(2026, 11, 11))  # the next day's run sends the advance reminder it missed
    assert [m.subject for m in mail.outbox] == [f"{SERVICE}: 1 figure due by 13 November 2026"]
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 2 and row.last_error == ""


def test_an_inactive_owner_is_not_emailed(council):
    council.head.is_active = False
    council.head.save()
    run(D(2026, 11, 10))
    assert mail.outbox == []
