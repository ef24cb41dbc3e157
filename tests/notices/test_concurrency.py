"""Two runs of send_reminders at once (two servers, or cron twice) send nothing twice.

Row locks are a PostgreSQL matter (SQLite serialises every write), so these
run where CI runs them: against the PostgreSQL server.
"""

import datetime
import threading
import time

import pytest
from django.db import connection

from notices.models import Reminder
from notices.services import send_reminders

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locking needs PostgreSQL (CI runs it)"
    ),
]
RUNS = 4
# Six working days after the deadline: the owner is overdue, the manager escalated to.
DAY = datetime.date(2026, 11, 23)
delivered: list = []
_lock = threading.Lock()


class Slow:
    """A mail server that takes a while to answer, so runs overlap while sending."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        time.sleep(0.3)
        with _lock:
            delivered.extend(message.to[0] for message in messages)
        return len(messages)


class Down(Slow):
    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def race() -> list:
    barrier = threading.Barrier(RUNS)
    outcomes = []

    def run():
        barrier.wait()
        try:
            outcomes.append(send_reminders(DAY))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.fixture
def slow_mail(settings):
    delivered.clear()
    settings.EMAIL_BACKEND = "tests.notices.test_concurrency.Slow"
    yield delivered


def test_concurrent_runs_send_each_person_one_email(council, slow_mail):
    outcomes = race()
    assert sorted(slow_mail) == ["head@dudley.example", "manager@dudley.example"]
    assert sum(outcome.emails for outcome in outcomes) == 2
    assert not any(outcome.failed for outcome in outcomes)
    assert Reminder.objects.filter(sent_at__isnull=False).count() == 2
    assert Reminder.objects.count() == 2


def test_concurrent_retries_of_a_failed_send_send_it_once(council, settings, slow_mail):
    settings.EMAIL_BACKEND = "tests.notices.test_concurrency.Down"
    assert send_reminders(DAY).failed == 2
    settings.EMAIL_BACKEND = "tests.notices.test_concurrency.Slow"
    race()
    assert sorted(slow_mail) == ["head@dudley.example", "manager@dudley.example"]
    assert set(Reminder.objects.values_list("attempts", flat=True)) == {2}
