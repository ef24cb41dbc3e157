"""Emails through a real SMTP server (aiosmtpd): what arrives, returned figures, a server down."""

import datetime
import email
from email import policy
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from metrics.signoff import return_figure
from notices.models import Reminder
from notices.services import notify_returned
from tests.notices.conftest import SITE, free_port
from tests.notices.test_reminders import OCT, SERVICE, at, submitted_figure

pytestmark = pytest.mark.django_db
D = datetime.date


def parsed(received):
    return email.message_from_bytes(received.data, policy=policy.default)


def parts(message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if not part.is_multipart()
    }


def test_a_reminder_arrives_at_the_smtp_server_with_text_and_html_parts(council, smtp_server):
    call_command("send_reminders", "--date", "2026-11-16", stdout=StringIO())
    (received,) = smtp_server.received
    assert received.recipients == ["head@dudley.example"]
    assert received.sender == "improvement-plan@dudley.example"
    message = parsed(received)
    assert message["Subject"] == f"{SERVICE}: 1 figure overdue"
    body = parts(message)
    link = f"{SITE}/updates/{council.kpi.pk}/2026-10/"
    assert link in body["text/plain"]
    assert f'href="{link}"' in body["text/html"]
    assert "<img" not in body["text/html"] and "http://" not in body["text/html"]


def returned(council):
    actual = submitted_figure(council, at(D(2026, 11, 5)))
    return return_figure(
        council.manager, actual.pk, actual.version, "The denominator leaves out transfers in."
    )


def test_a_returned_figure_is_emailed_to_its_owner_at_once_with_the_reason(council, smtp_server):
    council.manager.first_name, council.manager.last_name = "Area", "Manager"
    council.manager.save()
    actual = returned(council)
    outcome = notify_returned(actual.pk)
    assert outcome.emails == 1
    (received,) = smtp_server.received
    assert received.recipients == ["head@dudley.example"]
    message = parsed(received)
    assert message["Subject"] == f"{SERVICE}: 1 figure returned to you"
    text = parts(message)["text/plain"]
    assert "Returned by Area Manager: The denominator leaves out transfers in." in text
    assert f"{SITE}/updates/{council.kpi.pk}/2026-10/" in text
    assert "77.1" not in text
    row = Reminder.objects.get()
    assert (row.kind, row.item) == ("returned", f"actual:{actual.pk}:{actual.version}")
    assert row.day == timezone.localdate()
    # Called again (or the daily run): not sent twice.
    notify_returned(actual.pk)
    call_command("send_reminders", stdout=StringIO())
    assert len(smtp_server.received) == 1


def test_a_returned_email_that_failed_is_sent_by_the_next_run(council, settings, smtp_server):
    actual = returned(council)
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there: the server is down
    assert notify_returned(actual.pk).failed == 1
    row = Reminder.objects.get()
    assert row.sent_at is None and row.attempts == 1 and row.last_error
    assert smtp_server.received == []

    settings.EMAIL_PORT = port
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "1 emails sent" in out.getvalue()
    (received,) = smtp_server.received
    assert parsed(received)["Subject"] == f"{SERVICE}: 1 figure returned to you"
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 2


def test_the_command_exits_non_zero_when_the_smtp_server_is_down(council, settings, smtp_server):
    settings.EMAIL_PORT = free_port()
    with pytest.raises(CommandError):
        call_command("send_reminders", "--date", "2026-11-16", stdout=StringIO())
    assert Reminder.objects.get().sent_at is None


def test_a_figure_resubmitted_after_return_is_not_emailed_as_returned(council, smtp_server):
    actual = returned(council)
    actual.state = actual.State.SUBMITTED
    actual.save()
    call_command("send_reminders", stdout=StringIO())
    assert all("returned" not in parsed(r)["Subject"] for r in smtp_server.received)


def test_notify_returned_for_a_figure_not_returned_sends_nothing(council, smtp_server):
    actual = submitted_figure(council, at(D(2026, 11, 5)))
    assert notify_returned(actual.pk).emails == 0
    assert notify_returned(999999).emails == 0
    assert smtp_server.received == []


def test_the_entry_page_link_opens_for_the_owner(council, client):
    client.force_login(council.head)
    assert client.get(f"/updates/{council.kpi.pk}/{OCT:%Y-%m}/").status_code == 200
