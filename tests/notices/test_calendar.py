"""Working days, bank holidays and which reminder each day brings, on generated calendars."""

import datetime
import itertools

import pytest

from metrics import periods
from notices.models import Reminder
from notices.plan import deadline_reminder, repeating

D = datetime.date
Kind = Reminder.Kind
MONTHS = periods.month_range(D(2025, 1, 1), D(2028, 12, 1))


def days(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    return [start + datetime.timedelta(n) for n in range((end - start).days + 1)]


def test_a_bank_holiday_is_not_a_working_day_so_the_deadline_moves_a_day(settings):
    # January 2027 starts on a Friday, New Year's Day.
    assert periods.submission_deadline(D(2026, 12, 1), 10) == D(2027, 1, 14)
    settings.BANK_HOLIDAYS = frozenset({D(2027, 1, 1)})
    assert not periods.is_working_day(D(2027, 1, 1))
    assert periods.working_day(D(2027, 1, 1), 1) == D(2027, 1, 4)
    assert periods.submission_deadline(D(2026, 12, 1), 10) == D(2027, 1, 15)


def test_working_day_arithmetic_skips_weekends_and_bank_holidays(settings):
    settings.BANK_HOLIDAYS = frozenset({D(2026, 12, 25), D(2026, 12, 28)})
    assert periods.add_working_days(D(2026, 12, 24), 1) == D(2026, 12, 29)
    assert periods.add_working_days(D(2026, 12, 29), -1) == D(2026, 12, 24)
    assert periods.add_working_days(D(2026, 12, 27), 0) == D(2026, 12, 24)
    assert periods.working_days_after(D(2026, 12, 24), D(2026, 12, 31)) == 3


@pytest.mark.parametrize("deadline_day", [1, 10, 20])
def test_each_month_brings_advance_deadline_day_and_overdue_reminders_once_each(
    settings, deadline_day
):
    settings.BANK_HOLIDAYS = frozenset({D(2026, 12, 25), D(2026, 12, 28), D(2027, 1, 1)})
    for period in MONTHS:
        deadline = periods.submission_deadline(period, deadline_day)
        assert periods.is_working_day(deadline)
        sent = {}
        # A run every working day from the month before to a month after.
        for on in days(deadline - datetime.timedelta(40), deadline + datetime.timedelta(40)):
            if not periods.is_working_day(on):
                continue
            if when := deadline_reminder(deadline, on, overdue=True):
                sent.setdefault(when, on)
        advance = periods.add_working_days(deadline, -3)
        first_late = periods.add_working_days(deadline, 1)
        assert sent[(Kind.BEFORE_DEADLINE, advance)] == advance
        assert sent[(Kind.DEADLINE_DAY, deadline)] == deadline
        overdue = sorted(day for kind, day in sent if kind == Kind.OVERDUE)
        assert overdue[0] == first_late
        # Then every five working days.
        assert all(periods.working_days_after(a, b) == 5 for a, b in itertools.pairwise(overdue))
        assert len(sent) == 2 + len(overdue)


def test_nothing_is_sent_before_the_advance_reminder_and_no_overdue_for_a_figure_not_late():
    deadline = D(2026, 11, 13)
    assert deadline_reminder(deadline, D(2026, 11, 9), overdue=True) is None
    assert deadline_reminder(deadline, D(2026, 11, 10), overdue=True) == (
        Kind.BEFORE_DEADLINE,
        D(2026, 11, 10),
    )
    # The day after the advance reminder, the same reminder (sent already, or retried).
    assert deadline_reminder(deadline, D(2026, 11, 11), overdue=True)[1] == D(2026, 11, 10)
    assert deadline_reminder(deadline, D(2026, 11, 16), overdue=False) is None


def test_an_action_due_on_a_sunday_is_reminded_of_on_the_friday_and_overdue_on_monday():
    sunday = D(2026, 5, 31)
    assert deadline_reminder(sunday, D(2026, 5, 29), overdue=True) == (
        Kind.DEADLINE_DAY,
        D(2026, 5, 29),
    )
    assert deadline_reminder(sunday, D(2026, 6, 1), overdue=True) == (Kind.OVERDUE, D(2026, 6, 1))


def test_repeats_start_after_the_given_working_days_then_every_five():
    deadline = D(2026, 11, 13)
    assert repeating(deadline, 6, D(2026, 11, 20)) is None  # five working days late
    assert repeating(deadline, 6, D(2026, 11, 23)) == D(2026, 11, 23)
    assert repeating(deadline, 6, D(2026, 11, 27)) == D(2026, 11, 23)
    assert repeating(deadline, 6, D(2026, 11, 30)) == D(2026, 11, 30)
