"""Months, quarters and years: the one place period rules live.

A period is the date of the first day of its month. A quarterly figure is
stored on the last month of its quarter, an annual one on the month its year
ends. The financial year runs April to March, so Q1 is April to June and
"2021/22" starts in April 2021.
"""

import calendar
import datetime
import re

MONTH_NAMES = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
]  # fmt: skip

# Dates outside these years are typing mistakes ("2921" for 2021, a serial
# number read as a year). Every write path refuses them (``year_problem``) and
# board reads leave out anything a direct database write put outside them.
MIN_YEAR, MAX_YEAR = 1990, 2099

_ISO_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_QUARTER = re.compile(r"^\s*Q([1-4])\s+(\d{4})\s*/\s*(\d{2}|\d{4})\s*$", re.IGNORECASE)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def is_period(day: datetime.date) -> bool:
    return day.day == 1


# The first and last months a date can be in, as month indexes.
_FIRST_MONTH = datetime.date.min.year * 12
_LAST_MONTH = datetime.date.max.year * 12 + 11


def first_period() -> datetime.date:
    return datetime.date(MIN_YEAR, 1, 1)


def last_period() -> datetime.date:
    return datetime.date(MAX_YEAR, 12, 1)


def add_months(period: datetime.date, months: int) -> datetime.date:
    """The period ``months`` after (or before) this one.

    Held at the first and last months a date can have, so arithmetic on any
    date the database can hold never fails: nothing the service writes comes
    near those ends (``month_problem``).
    """
    index = min(max(period.year * 12 + period.month - 1 + months, _FIRST_MONTH), _LAST_MONTH)
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(start: datetime.date, end: datetime.date) -> int:
    """Whole months from start's month to end's month (negative if end is earlier)."""
    return (end.year - start.year) * 12 + end.month - start.month


def whole_months(start: datetime.date, end: datetime.date) -> int:
    """Whole calendar months from one day to another (negative if end is earlier).

    A month-end lands on the next month-end: 31 Jan to 28 Feb is one month,
    as a plan's month-only dates (which mean the month's end) should read.
    """
    if end < start:
        return -whole_months(end, start)
    months = months_between(start, end)
    month_end = end.day == calendar.monthrange(end.year, end.month)[1]
    if end.day < start.day and not month_end:
        months -= 1
    return months


def month_range(start: datetime.date, end: datetime.date, step: int = 1) -> list[datetime.date]:
    """Every ``step``-th period from start to end inclusive."""
    return [add_months(start, n) for n in range(0, months_between(start, end) + 1, step)]


def financial_year(period: datetime.date) -> int:
    """The calendar year in which the period's financial year starts."""
    return period.year if period.month >= 4 else period.year - 1


def financial_year_label(period: datetime.date) -> str:
    start = financial_year(period)
    return f"{start}/{(start + 1) % 100:02d}"


def quarter(period: datetime.date) -> int:
    """Financial quarter, 1 (April to June) to 4 (January to March)."""
    return (period.month - 4) % 12 // 3 + 1


def quarter_end(period: datetime.date) -> datetime.date:
    """The last month of the period's quarter: where a quarterly value is stored."""
    return add_months(month_start(period), 2 - (period.month - 4) % 12 % 3)


def is_quarter_end(period: datetime.date) -> bool:
    return period.month in (3, 6, 9, 12)


def quarter_label(period: datetime.date) -> str:
    return f"Q{quarter(period)} {financial_year_label(period)}"


def month_label(period: datetime.date) -> str:
    return f"{MONTH_NAMES[period.month - 1]} {period.year}"


# The school year ends in August: its years read "2020/21 school year".
SCHOOL_YEAR_ENDS = 8


def year_end(period: datetime.date, year_ends: int) -> datetime.date:
    """The month, at or after the period, in which a year ending in month ``year_ends`` ends."""
    return add_months(month_start(period), (year_ends - period.month) % 12)


def latest_completed_year(today: datetime.date, year_ends: int) -> datetime.date:
    """The last month of the most recent year (ending in ``year_ends``) that has ended by today."""
    last_month = latest_completed_month(today)
    end = year_end(last_month, year_ends)
    return end if end == last_month else add_months(end, -12)


def year_label(period: datetime.date) -> str:
    """The year that ends in the period's month, as the council writes it.

    A year ending in December is its calendar year ("2021"); one ending in
    March is the financial year ("2020/21" ends March 2021); one ending in
    August the school year ("2020/21 school year"); any other "year to Jun 2021".
    """
    if period.month == 12:
        return str(period.year)
    span = f"{period.year - 1}/{period.year % 100:02d}"
    if period.month == 3:
        return span
    if period.month == SCHOOL_YEAR_ENDS:
        return f"{span} school year"
    return f"Year to {month_label(period)}"


def period_label(period: datetime.date, frequency: str = "monthly") -> str:
    """A period as its KPI reports it: a month, a quarter, or the year ending that month."""
    if frequency == "quarterly":
        return quarter_label(period)
    if frequency == "annual":
        return year_label(period)
    return month_label(period)


def parse_month(text: str) -> datetime.date:
    """Parse "2021-08" into the period for August 2021."""
    match = _ISO_MONTH.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a month: write it as YYYY-MM, for example 2021-08.")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise ValueError(f"{text!r} has no month {month}: months run from 01 to 12.")
    return check_year(datetime.date(year, month, 1))


def check_year(day: datetime.date) -> datetime.date:
    if problem := year_problem(day):
        raise ValueError(problem)
    return day


def year_problem(day: datetime.date) -> str | None:
    """Why a date is outside the years this service records, or None."""
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        return f"{day.year} is not a year this service records: check the date."
    return None


def month_problem(day: datetime.date) -> str | None:
    """Why a date cannot be a period (the first of a month, in a sensible year), or None."""
    if day.day != 1:
        return "A period is a month: enter the first day of the month."
    return year_problem(day)


def parse_quarter(text: str) -> datetime.date:
    """Parse "Q2 2021/22" into the quarter's last month (September 2021)."""
    match = _QUARTER.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a quarter: write it like Q2 2021/22.")
    number, start, end = int(match[1]), int(match[2]), int(match[3])
    if end != ((start + 1) % 100 if len(match[3]) == 2 else start + 1):
        raise ValueError(
            f"{text!r} is not a financial year: 2021/22 runs April 2021 to March 2022."
        )
    return check_year(add_months(datetime.date(start, 4, 1), number * 3 - 1))


def latest_completed_month(today: datetime.date) -> datetime.date:
    return add_months(month_start(today), -1)


def latest_completed_quarter(today: datetime.date) -> datetime.date:
    """The last month of the most recent quarter that has ended by today."""
    last_month = latest_completed_month(today)
    end = quarter_end(last_month)
    return end if end == last_month else add_months(end, -3)


def is_working_day(day: datetime.date) -> bool:
    """Monday to Friday, and not a bank holiday (``settings.BANK_HOLIDAYS``).

    The one place working days are decided: deadlines and reminders count them.
    """
    from django.conf import settings

    return day.weekday() < 5 and day not in getattr(settings, "BANK_HOLIDAYS", ())


def working_day(period: datetime.date, n: int) -> datetime.date:
    """The nth working day (``is_working_day``) of the period's month."""
    if n < 1:
        raise ValueError("Working days are counted from 1.")
    day = month_start(period)
    count = 0
    while True:
        if is_working_day(day):
            count += 1
            if count == n:
                return day
        day += datetime.timedelta(days=1)


def add_working_days(day: datetime.date, n: int) -> datetime.date:
    """The working day n working days after ``day`` (before it, if n is negative).

    With n = 0, ``day`` itself if it is a working day, else the one before.
    """
    step = datetime.timedelta(days=1 if n > 0 else -1)
    left = abs(n)
    while left or not is_working_day(day):
        day += step
        if is_working_day(day):
            left = max(left - 1, 0)
    return day


def working_days_after(start: datetime.date, end: datetime.date) -> int:
    """How many working days fall after ``start`` up to and including ``end`` (0 if none)."""
    count, day = 0, start + datetime.timedelta(days=1)
    while day <= end:
        count += is_working_day(day)
        day += datetime.timedelta(days=1)
    return count


def submission_deadline(period: datetime.date, working_day_number: int) -> datetime.date:
    """The day an actual for the period is due: working day N of the following month."""
    return working_day(add_months(month_start(period), 1), working_day_number)


class MonthConverter:
    """URL converter for a period written YYYY-MM."""

    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str) -> datetime.date:
        return parse_month(value)

    def to_url(self, value: datetime.date | str) -> str:
        return value if isinstance(value, str) else value.strftime("%Y-%m")


# Reading the dates and months people type ----------------------------------

_MONTHS = {name.casefold(): n for n, name in enumerate(MONTH_NAMES, 1)} | {
    datetime.date(2000, n, 1).strftime("%B").casefold(): n for n in range(1, 13)
}
_MONTHS["sept"] = 9
_MONTH_YEAR = re.compile(r"^([a-z]+)[\s\-/.',]*(\d{2}|\d{4})$", re.IGNORECASE)
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_DAY_NAME_YEAR = re.compile(
    r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([a-z]+)[\s\-,]+(\d{2}|\d{4})$", re.I
)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+)?$")
PERIOD_HELP = "write it like Aug 2021, Aug-21, 2021-08, 01/08/2021 or Q2 2021/22"


def _year(text: str) -> int:
    # Two-digit years are this century: "Aug-21" is August 2021.
    return 2000 + int(text) if len(text) == 2 else int(text)


def _date_from_text(text: str) -> tuple[datetime.date, bool]:
    """A date from text, and whether the text gave only a month (Oct-19 gives 1 Oct 2019)."""
    try:
        if match := _ISO_DATE.match(text):
            return datetime.date(int(match[1]), int(match[2]), int(match[3])), False
        if match := _DAY_MONTH_YEAR.match(text):
            # UK order: 01/08/2021 is 1 August 2021.
            return datetime.date(_year(match[3]), int(match[2]), int(match[1])), False
        if (match := _DAY_NAME_YEAR.match(text)) and match[2].casefold() in _MONTHS:
            return datetime.date(
                _year(match[3]), _MONTHS[match[2].casefold()], int(match[1])
            ), False
        if (match := _MONTH_YEAR.match(text)) and match[1].casefold() in _MONTHS:
            return datetime.date(_year(match[2]), _MONTHS[match[1].casefold()], 1), True
        if match := _ISO_MONTH.match(text):
            # The year is checked by the caller, so its message says what is wrong.
            return datetime.date(int(match[1]), int(match[2]), 1), True
    except ValueError as error:
        raise ValueError(
            f"{text!r} is not a real date: write dates day first, like 31/08/2021."
        ) from error
    raise ValueError(f"{text!r} is not a date: write it like 31/08/2021 or Aug 2021.")


def read_day_or_month(text: str) -> tuple[datetime.date, bool]:
    """The day typed, and whether the text named only a month.

    Days are read day first (31/08/2021, 31 Aug 2021, 2021-08-31). A month
    alone (Oct-19, Aug 2021, 2021-08) gives the month's last day, as a
    delivery date "Oct-19" means by the end of October 2019. Raises
    ValueError saying how to write the date.
    """
    day, month_only = _date_from_text(text.strip())
    if month_only:
        day = add_months(check_year(day), 1) - datetime.timedelta(days=1)
    return check_year(day), month_only


def read_day(text: str) -> datetime.date:
    """A day typed as text; a month alone means its last day (see ``read_day_or_month``)."""
    return read_day_or_month(text)[0]


def read_month(text: str) -> datetime.date:
    """The period a text names: a month (Aug 2021, Aug-21, 2021-08), a day in it, or a quarter.

    A quarter (Q2 2021/22) gives its last month, where quarterly figures are
    stored. Raises ValueError saying how to write it.
    """
    text = text.strip()
    if text[:1] in "Qq":
        return parse_quarter(text)
    try:
        day = _date_from_text(text)[0]
    except ValueError:
        raise ValueError(f"{text!r} is not a month or quarter: {PERIOD_HELP}.") from None
    return check_year(month_start(day))
