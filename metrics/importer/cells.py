"""Reading one cell as what its column holds: text, a KPI code, a number, a month, a date.

The readers take a value as the streaming reader gives it (str, int,
float, bool, datetime, or one of the markers below) and raise CellProblem
with a message saying how to fix the cell. Text typed by people goes through
the project's shared readers: ``metrics.numbers.read_number`` and
``metrics.periods.read_month`` / ``read_day_or_month``.
"""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.datetime import from_excel, to_excel

from metrics import display, numbers, periods
from metrics.importer.columns import fold
from metrics.importer.errors import CellProblem
from metrics.models import Actual, Kpi


@dataclass(frozen=True, slots=True)
class Percent:
    """A number in a %-formatted cell: 0.903 shown as 90.3%."""

    number: float | int


@dataclass(frozen=True, slots=True)
class Rounded:
    """A formula's result in a cell whose format shows it to ``places`` decimals.

    =29/38 formatted 0.0% is saved as 0.763157894736842 and shown as 76.3%:
    number 0.763157894736842, places 1, percent True.
    """

    number: float | int
    places: int
    percent: bool

    def exact(self) -> "float | int | Percent":
        return Percent(self.number) if self.percent else self.number


@dataclass(frozen=True, slots=True)
class ExcelError:
    """A cell showing an Excel error such as #DIV/0!."""

    code: str


class _NoCachedValue:
    def __repr__(self) -> str:
        return "<formula with no saved result>"


NO_CACHED_VALUE = _NoCachedValue()

# A spreadsheet runs text starting with these as a formula (or, pasted into a
# CSV, as a DDE command): "=HYPERLINK(...)" typed into a commentary box must
# come back out as text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell_text(text: str) -> str:
    """Text safe to write to a spreadsheet cell: never a live formula, no illegal characters.

    Every text cell the project writes goes through here. The leading
    apostrophe is removed again on import, so a round trip keeps the text.
    """
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def unescape(text: str) -> str:
    # "\n" too: a "\r" that was escaped comes back as "\n" once XML has read it.
    if text[:1] == "'" and text[1:2] in (*FORMULA_TRIGGERS, "\n") and len(text) > 1:
        return text[1:]
    return text


# Dashes too: en and em dashes are what Excel autocorrect makes of "-".
_BLANK_WORDS = {"", "n/a", "na", "n.a.", "n.a", "-", "\u2013", "\u2014"}


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip().casefold() in _BLANK_WORDS)


def _unreadable(value) -> None:
    if value is NO_CACHED_VALUE:
        raise CellProblem(
            "The cell has a formula but no saved result, so its value is unknown: open the "
            "file in Excel, let it calculate, save it and upload it again (or type the figure)."
        )
    if isinstance(value, ExcelError):
        raise CellProblem(
            f"The cell shows the Excel error {value.code}: correct the formula, or type the "
            "figure, or leave the cell empty."
        )


def _exact(value):
    return value.exact() if type(value) is Rounded else value


def shown(value) -> str:
    """A cell's value as a message quotes it."""
    value = _exact(value)
    if isinstance(value, Percent):
        return f"{display.exact(decimal_from_float(value.number) * 100)}%"
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y")
    return str(value)


def decimal_from_float(number: float | int) -> Decimal:
    if type(number) is int:
        return Decimal(number)
    text = repr(number)
    # Fifteen significant digits: what Excel itself keeps, so binary noise such
    # as 0.30000000000000004 reads as 0.3. Short reprs have no noise.
    return Decimal(text if len(text) < 16 else format(number, ".15g"))


def read_text(value) -> str:
    _unreadable(value)
    value = _exact(value)
    if isinstance(value, str):
        return unescape(value.strip()).strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return display.exact(decimal_from_float(value))
    if isinstance(value, (datetime.date, Percent)):
        return shown(value)
    raise CellProblem("The cell cannot be read as text.")


def read_code(value) -> str:
    """A KPI code. A code typed as a number (426) keeps no trailing ".0"."""
    _unreadable(value)
    value = _exact(value)
    if isinstance(value, (bool, datetime.date, Percent)):
        raise CellProblem(f"{shown(value)} is not a KPI code: enter the code, e.g. PI.426.")
    return Kpi.normalise_code(read_text(value))


def plain_figure(kpi: Kpi, number: float | int) -> Decimal | bool:
    """A plain number as the KPI's figure, or False if it needs more than a plain reading.

    False when the figure is out of range or breaks one of the KPI's value
    rules, or is a fraction of 1 or less for a percentage (which may earn a
    warning): the import's full reading of the cell then gives the message.
    """
    value = decimal_from_float(number)
    if kpi.value_problems(value):
        return False
    if kpi.unit == Kpi.Unit.PERCENT and 0 < value <= 1:
        return False
    return value


def read_number(value) -> tuple[Decimal, bool]:
    """The number in a cell, and whether the cell marked it as a percentage.

    A %-formatted cell holding 0.903 gives 90.3; text "90.3%" gives 90.3.
    """
    kind = type(value)
    if kind is float or kind is int:
        # The common case first: this runs once per figure.
        number, percent = decimal_from_float(value), False
    elif kind is bool:
        raise CellProblem("TRUE or FALSE is not a number: enter a figure such as 90.3.")
    elif kind is ExcelError or value is NO_CACHED_VALUE:
        _unreadable(value)
    elif kind is Percent or kind is Rounded:
        number = decimal_from_float(value.number)
        percent = kind is Percent or value.percent
        number = number * 100 if percent else number
    elif isinstance(value, datetime.date):
        raise CellProblem(
            f"The cell holds the date {shown(value)}, not a number: format the cell as a "
            "number (Home > Number format > Number) and type the figure."
        )
    elif isinstance(value, str):
        try:
            number, percent = numbers.read_number(value)
        except ValueError as error:
            raise CellProblem(str(error)) from None
    else:
        raise CellProblem("The cell cannot be read as a number.")
    if problem := Actual.size_problem(number):
        raise CellProblem(f"{display.exact(number)} is too large to store. {problem}")
    return number, percent


def read_figure(value, kpi: Kpi) -> Decimal:
    """A figure in the KPI's own units: percentages as 90.3, whatever the cell's format.

    A formula's result carrying more decimals than the KPI records is read
    as its cell shows it: =29/38 formatted 0.0% is 76.3, as the analyst saw.
    """
    number, percent = read_number(value)
    if percent and (problem := Kpi.percent_sign_problem(kpi)):
        raise CellProblem(problem)
    if type(value) is Rounded and -number.as_tuple().exponent > kpi.decimal_places:
        number = round(number, value.places)
    return number


# Excel day numbers of the first and last days of the years the service
# records: a bare number in a period cell outside these is not a date.
_SERIAL_RANGE = (
    to_excel(datetime.date(periods.MIN_YEAR, 1, 1)),
    to_excel(datetime.date(periods.MAX_YEAR, 12, 31)),
)


def _date_from_serial(number: float | int) -> datetime.date | None:
    if isinstance(number, bool) or not _SERIAL_RANGE[0] <= number <= _SERIAL_RANGE[1]:
        return None
    return from_excel(number).date()


def _sensible(day: datetime.date) -> datetime.date:
    try:
        return periods.check_year(day)
    except ValueError as error:
        raise CellProblem(str(error)) from None


def _read_when(value, read_typed, from_day):
    """A month or a day from any cell, or None if the cell holds neither.

    Text goes to the shared reader ``read_typed``; a date, or an Excel day
    number in a cell not formatted as a date, to ``from_day``.
    """
    _unreadable(value)
    value = _exact(value)
    if isinstance(value, str):
        try:
            return read_typed(unescape(value.strip()))
        except ValueError as error:
            raise CellProblem(str(error)) from None
    if isinstance(value, datetime.datetime):
        return from_day(value.date())
    if isinstance(value, datetime.date):
        return from_day(value)
    if isinstance(value, (int, float)) and (day := _date_from_serial(value)):
        return from_day(day)
    return None


def read_period(value) -> datetime.date:
    """The period (first of its month) a cell names: a date, a month or a quarter."""
    period = _read_when(value, periods.read_month, lambda day: _sensible(periods.month_start(day)))
    if period is None:
        raise CellProblem(f"{shown(value)} is not a month or quarter: {periods.PERIOD_HELP}.")
    return period


def read_date(value) -> tuple[datetime.date, bool]:
    """A delivery date, and whether only its month was given ("Oct-19": end of October)."""
    read = _read_when(value, periods.read_day_or_month, lambda day: (_sensible(day), False))
    if read is None:
        raise CellProblem(f"{shown(value)} is not a date: write it like 31/08/2021 or Aug 2021.")
    return read


def read_choice(value, choices: type[models.TextChoices], synonyms: dict[str, str] | None = None):
    """One of the choices, by value or label, or by one of the synonyms people use."""
    text = fold(read_text(value))
    for member in choices:
        if text in (member.value.casefold(), fold(member.value), fold(member.label)):
            return member.value
    if synonyms and text in synonyms:
        return synonyms[text]
    allowed = ", ".join(member.value for member in choices)
    raise CellProblem(f"{read_text(value)!r} is not one of: {allowed}.")


def read_whole(value, what: str) -> int:
    number = read_number(value)[0]
    if number != number.to_integral_value():
        raise CellProblem(f"{what} must be a whole number.")
    return int(number)


UNIT_WORDS = {
    "%": "percent",
    "percentage": "percent",
    "rate": "rate_per_10000",
    "rate per 10000": "rate_per_10000",
    "number of children": "count",
}
POLARITY_WORDS = {
    "higher is better": "higher",
    "lower is better": "lower",
    "high": "higher",
    "low": "lower",
    "up": "higher",
    "down": "lower",
}
COMPARATOR_WORDS = {
    "sn": "statistical_neighbours",
    "statistical neighbour": "statistical_neighbours",
    "stat neighbours": "statistical_neighbours",
    "west midlands": "region",
    "wm": "region",
    "regional": "region",
    "national": "england",
    "england average": "england",
}
STATUS_WORDS = {
    "complete": "completed",
    "done": "completed",
    "yet to start": "not_started",
    "not yet started": "not_started",
    "ongoing": "in_progress",
    "in hand": "in_progress",
    "started": "in_progress",
}
KIND_WORDS = {
    "recommendation": "improvement",
    "what needs to improve": "improvement",
    "area for improvement": "improvement",
    "area of weakness": "weakness",
    "committee": "committee_action",
    "action": "committee_action",
}
GRADE_WORDS = {
    "requires improvement": "requires_improvement",
    "ri": "requires_improvement",
    "requires improvement to be good": "requires_improvement",
}
FINDING_STATUS_WORDS = {
    "not started": "open",
    "ongoing": "in_progress",
    "started": "in_progress",
    "complete": "done",
    "completed": "done",
    "closed": "closed",
}


def read_list(value) -> list[str]:
    """Codes or names in one cell, separated by ; or , or new lines; "none" is none of them."""
    text = read_text(value)
    if fold(text) == "none":
        return []
    return [part.strip() for part in re.split(r"[;,\n]+", text) if part.strip()]
