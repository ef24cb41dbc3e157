"""Workbook import and export: KPIs, targets, actuals, benchmarks and actions in one .xlsx.

An import runs in three steps, kept apart so that nothing is written until
the analyst has seen exactly what will change:

1. ``check_file`` then ``read_workbook``: refuse anything that is not a plain
   .xlsx (another format, encrypted, macros, a zip bomb, XML entities, too
   big, too many rows) before or while it is read. openpyxl opens the
   workbook in read-only mode; each sheet's cells are read by ``_SheetReader``
   from defusedxml's parser. Every reader error stops here as
   ``WorkbookRefused``.
2. ``plan_workbook``: compare the cells with the database and build an
   ``ImportPlan``: per sheet what is new, changed, unchanged or rejected
   (with sheet, row, column and what to fix), plus warnings. The rules for
   figures and periods come from ``Kpi.value_problems``,
   ``Kpi.period_problem``, ``PeriodLock`` and each model's own validation;
   this module only turns cells into values.
3. ``apply_plan``: write the plan, with history for every row, inside the
   caller's transaction (``commit`` does all three in one). KPIs, targets,
   benchmarks and actions go through simple_history's bulk helpers; actuals,
   which may number a hundred thousand, through ``_write_actuals``.

``start_run``, ``confirm_run`` and ``cancel_run`` record each import as an
ImportRun; ``build_template`` writes the workbook to start from, and
``escape_cell_text`` keeps every exported text cell from being a formula.
Blank cells change nothing, and an import never deletes.
"""

import copy
import datetime
import gc
import hashlib
import io
import re
import warnings
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles import Alignment, Font
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.xml.constants import SHEET_MAIN_NS
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from metrics import periods
from metrics.models import Actual, Benchmark, ImportRun, Kpi, PeriodLock, Target
from priorities.models import Action, Officer, Plan, PriorityArea

KPIS, TARGETS, ACTUALS, BENCHMARKS, ACTIONS = "KPIs", "Targets", "Actuals", "Benchmarks", "Actions"
SHEETS = [KPIS, TARGETS, ACTUALS, BENCHMARKS, ACTIONS]
INSTRUCTIONS = "Instructions"

# Fixed limits, besides the IMPORT_* settings: no real workbook comes near them.
MAX_ZIP_MEMBERS = 1000
MAX_COLUMNS = 1000
# Members smaller than this cannot be a bomb, whatever their compression ratio.
RATIO_CHECKED_FROM = 1024 * 1024
# The longest run of a part with no ">". No tag or text a spreadsheet program
# writes comes near it, and the expat bundled with Python before 3.11.9 takes
# time growing with the square of a token's length when it is fed in pieces.
MAX_XML_TOKEN = 1024 * 1024
# The header row may sit under a few title rows, as in real trackers.
HEADER_SEARCH_ROWS = 10
# Largest figure a DecimalField(max_digits=12, decimal_places=4) holds.
LARGEST_FIGURE = Decimal("99999999.9999")
# Rows written per statement batch, and changes listed per sheet in a preview.
BATCH = 2000
ROWS_PER_INSERT = 1000
PREVIEW_CHANGES_PER_SHEET = 200


class WorkbookRefused(Exception):
    """The file itself cannot be imported. The message says why and what to do."""


class StaleImport(Exception):
    """The database changed after the preview was made."""

    def __init__(
        self, message: str = "The data changed since your preview: preview the file again."
    ):
        super().__init__(message)


class CellProblem(ValueError):
    """A cell cannot be read as what its column holds; the message says how to fix it."""


# Exports --------------------------------------------------------------------

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


def _unescape(text: str) -> str:
    # "\n" too: a "\r" that was escaped comes back as "\n" once XML has read it.
    if text[:1] == "'" and text[1:2] in (*FORMULA_TRIGGERS, "\n") and len(text) > 1:
        return text[1:]
    return text


# Columns ----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    width: int = 16
    note: str = ""

    def matches(self, heading: str) -> bool:
        return heading == _heading(self.header) or heading in self.aliases


_CODE_ALIASES = ("code", "pi code", "pi", "kpi ref", "kpi reference")

# One row per column: key, heading as exported, other headings accepted,
# required, width in the template, note for the Instructions sheet.
# fmt: off
COLUMNS: dict[str, tuple[Column, ...]] = {
    KPIS: (
        Column("code", "KPI code", _CODE_ALIASES, True, 12, "Required. For example PI.426."),
        Column("title", "Title", ("kpi title", "kpi", "measure", "indicator", "kpi name"),
               False, 50, "Required for a new KPI."),
        Column("unit", "Unit", (), False, 14,
               "percent, rate_per_10000, count, days, fte or number. New KPIs: percent."),
        Column("polarity", "Polarity", ("direction",), False, 12,
               "higher, lower or neutral (higher or lower is better). Required for a new KPI."),
        Column("frequency", "Frequency", (), False, 12, "monthly or quarterly. New KPIs: monthly."),
        Column("decimal_places", "Decimal places", ("dp", "decimals"), False, 10, "0 to 4."),
        Column("tolerance", "Tolerance", (), False, 10,
               "How far from target is amber. Empty: the documented default."),
        Column("tolerance_kind", "Tolerance kind", (), False, 12, "absolute or relative."),
        Column("owner", "Owner", ("owner role", "responsible officer"), False, 30,
               "An officer's role title (or name), as listed under Officers in the admin."),
        Column("numerator_label", "Numerator label", (), False, 20),
        Column("denominator_label", "Denominator label", (), False, 20),
        Column("reporting_from", "Reporting from", ("reported from", "first period"), False, 12,
               "First month the KPI is reported for."),
        Column("definition", "Definition", ("description",), False, 50),
    ),
    TARGETS: (
        Column("kpi", "KPI code", _CODE_ALIASES, True, 12),
        Column("starts", "In force from", ("from", "starts", "start", "month", "period"), True,
               14, "The month the target applies from, until the next step."),
        Column("value", "Target", ("value", "target value"), False, 10),
        Column("lower", "Band lower", ("lower",), False, 10, "Neutral KPIs: a band instead."),
        Column("upper", "Band upper", ("upper",), False, 10),
        Column("source", "Source", (), False, 40),
    ),
    ACTUALS: (
        Column("kpi", "KPI code", _CODE_ALIASES, True, 12),
        Column("period", "Period", ("month", "quarter"), True, 12,
               "A month (Aug 2021, 2021-08, 01/08/2021) or a quarter (Q2 2021/22)."),
        Column("value", "Value", ("actual", "figure", "result"), False, 10,
               "Empty with a numerator and denominator: worked out from them."),
        Column("numerator", "Numerator", (), False, 11),
        Column("denominator", "Denominator", (), False, 11),
        Column("what_data_tells_us", "What is the data telling us", (), False, 40),
        Column("issues_and_risks", "What are the issues and risks", (), False, 40),
        Column("evidence_of_impact", "What evidence shows the actions are working", (), False, 40),
        Column("source", "Source", (), False, 30),
    ),
    BENCHMARKS: (
        Column("kpi", "KPI code", _CODE_ALIASES, True, 12),
        Column("comparator", "Comparator", ("comparison", "benchmark"), True, 24,
               "Statistical neighbours, West Midlands region or England."),
        Column("period", "Period", ("month", "year"), True, 12),
        Column("value", "Value", ("figure",), True, 10),
        Column("source", "Source", (), False, 40),
    ),
    ACTIONS: (
        Column("plan", "Plan", (), True, 24, "The plan's short name (slug) or title."),
        Column("area", "Area", ("priority area", "area of weakness", "area number"), True, 10,
               "The area's number (or its exact title)."),
        Column("ref", "Ref", ("reference", "action ref", "no"), False, 8,
               "The plan's number for the action. Empty: matched on the action text."),
        Column("description", "Action", ("actions", "action description"), True, 60),
        Column("sro", "Senior responsible officer", ("sro",), False, 26,
               "Shown for reference: the SRO is the priority area's responsible officer."),
        Column("owner", "Lead officer", ("lead",), False, 26),
        Column("original_delivery_date", "Original delivery date", ("original date",), False,
               14, "Never changed once set."),
        Column("current_delivery_date", "Current delivery date",
               ("current date", "revised delivery date"), False, 14),
        Column("expected_outputs", "Outputs",
               ("outputs/products", "outputs / products", "expected outputs", "products"),
               False, 40),
        Column("status", "Status", (), False, 12, "Not started, In progress or Completed."),
        Column("evidence_of_impact", "Evidence of impact", (), False, 40),
    ),
}
# Headings a wide Actuals sheet may carry for people, which the import skips.
_WIDE_REFERENCE_HEADINGS = {
    "title", "kpi title", "kpi", "kpi name", "measure", "indicator", "description",
    "definition", "unit", "owner", "polarity", "frequency", "target", "notes", "note",
    "comments", "comment", "rag", "area", "priority area", "source",
}
# fmt: on

# The column that finds the header row: the first of each sheet.
_ANCHOR = {KPIS: "code", TARGETS: "kpi", ACTUALS: "kpi", BENCHMARKS: "kpi", ACTIONS: "description"}
_STATUS_HEADING = re.compile(r"^status( at .*)?$")


def _heading(text: str) -> str:
    return " ".join(str(text).replace("_", " ").split()).casefold().strip(" :*?.")


# Cells ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Percent:
    """A number in a %-formatted cell: 0.903 shown as 90.3%."""

    number: float | int


@dataclass(frozen=True, slots=True)
class ExcelError:
    """A cell showing an Excel error such as #DIV/0!."""

    code: str


class _NoCachedValue:
    def __repr__(self) -> str:
        return "<formula with no saved result>"


NO_CACHED_VALUE = _NoCachedValue()

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


def _shown(value) -> str:
    if isinstance(value, Percent):
        return f"{_plain(_decimal_from_float(value.number) * 100)}%"
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y")
    return str(value)


def read_text(value) -> str:
    _unreadable(value)
    if isinstance(value, str):
        return _unescape(value.strip()).strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return _plain(_decimal_from_float(value))
    if isinstance(value, (datetime.date, Percent)):
        return _shown(value)
    raise CellProblem("The cell cannot be read as text.")


def read_code(value) -> str:
    """A KPI code. A code typed as a number (426) keeps no trailing ".0"."""
    _unreadable(value)
    if isinstance(value, (bool, datetime.date, Percent)):
        raise CellProblem(f"{_shown(value)} is not a KPI code: enter the code, e.g. PI.426.")
    return read_text(value)


def _decimal_from_float(number: float | int) -> Decimal:
    if type(number) is int:
        return Decimal(number)
    text = repr(number)
    # Fifteen significant digits: what Excel itself keeps, so binary noise such
    # as 0.30000000000000004 reads as 0.3. Short reprs have no noise.
    return Decimal(text if len(text) < 16 else format(number, ".15g"))


def _plain_figure(kpi: Kpi, number: float | int) -> Decimal | bool:
    """A plain number as the KPI's figure, or False if it needs more than a plain reading.

    False when the figure is out of range or breaks one of the KPI's value
    rules, or is a fraction of 1 or less for a percentage (which may earn a
    warning): the import's full reading of the cell then gives the message.
    """
    value = _decimal_from_float(number)
    if abs(value) > LARGEST_FIGURE or kpi.value_problems(value):
        return False
    if kpi.unit == Kpi.Unit.PERCENT and 0 < value <= 1:
        return False
    return value


def _plain(number: Decimal) -> str:
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$")
_NUMBER_THEN_TEXT = re.compile(r"^([+-]?[\d,]*\.?\d+)\s*(.+)$")


def read_number(value) -> tuple[Decimal, bool]:
    """The number in a cell, and whether the cell marked it as a percentage.

    A %-formatted cell holding 0.903 gives 90.3; text "90.3%" gives 90.3.
    """
    kind = type(value)
    if kind is float or kind is int:
        # The common case first: this runs once per figure.
        number, percent = _decimal_from_float(value), False
    elif kind is bool:
        raise CellProblem("TRUE or FALSE is not a number: enter a figure such as 90.3.")
    elif kind is ExcelError or value is NO_CACHED_VALUE:
        _unreadable(value)
    elif isinstance(value, Percent):
        number, percent = _decimal_from_float(value.number) * 100, True
    elif isinstance(value, datetime.date):
        raise CellProblem(
            f"The cell holds the date {_shown(value)}, not a number: format the cell as a "
            "number (Home > Number format > Number) and type the figure."
        )
    elif isinstance(value, str):
        # A leading apostrophe is how Excel users force a figure to be text.
        text = value.strip().removeprefix("'").strip()
        percent = text.endswith("%")
        text = text.removesuffix("%").strip()
        if not text or not _NUMBER_TEXT.match(text):
            extra = _NUMBER_THEN_TEXT.match(text)
            if extra:
                raise CellProblem(
                    f"{value.strip()!r} has {extra[2]!r} after the number: delete it and keep "
                    f"only the figure ({extra[1]}); put any note in the commentary."
                )
            raise CellProblem(
                f"{value.strip()!r} is not a number: enter a figure such as 90.3, or leave the "
                "cell empty to change nothing."
            )
        number = Decimal(text.replace(",", ""))
    else:
        raise CellProblem("The cell cannot be read as a number.")
    if abs(number) > LARGEST_FIGURE:
        raise CellProblem(f"{_plain(number)} is too large: figures are stored up to 99,999,999.")
    return number, percent


def read_figure(value, kpi: Kpi) -> Decimal:
    """A figure in the KPI's own units: percentages as 90.3, whatever the cell's format."""
    number, percent = read_number(value)
    if percent and kpi.unit != Kpi.Unit.PERCENT:
        raise CellProblem(
            f"{kpi.code} is measured as a {kpi.get_unit_display().lower()}, not a percentage: "
            "enter the number without %."
        )
    return number


_MONTHS = {name.casefold(): n for n, name in enumerate(periods.MONTH_NAMES, 1)} | {
    datetime.date(2000, n, 1).strftime("%B").casefold(): n for n in range(1, 13)
}
_MONTHS["sept"] = 9
_MONTH_YEAR = re.compile(r"^([a-z]+)[\s\-/.',]*(\d{2}|\d{4})$", re.IGNORECASE)
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_DAY_NAME_YEAR = re.compile(
    r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([a-z]+)[\s\-,]+(\d{2}|\d{4})$", re.I
)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+)?$")
# Excel day numbers for 1 Jan 1990 and 31 Dec 2099: a bare number in a
# period cell outside these is not a date.
_SERIAL_RANGE = (32874, 73050)
_PERIOD_HELP = "write it like Aug 2021, Aug-21, 2021-08, 01/08/2021 or Q2 2021/22"


def _year(text: str) -> int:
    # Two-digit years are this century: "Aug-21" is August 2021.
    return 2000 + int(text) if len(text) == 2 else int(text)


def _date_from_text(text: str) -> tuple[datetime.date, bool]:
    """A date from text, and whether the text gave only a month (Oct-19)."""
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
        if periods._ISO_MONTH.match(text):
            return periods.parse_month(text), True
    except ValueError as error:
        raise CellProblem(
            f"{text!r} is not a real date: write dates day first, like 31/08/2021."
        ) from error
    raise CellProblem(f"{text!r} is not a date: write it like 31/08/2021 or Aug 2021.")


def _date_from_serial(number: float | int) -> datetime.date | None:
    if isinstance(number, bool) or not _SERIAL_RANGE[0] <= number <= _SERIAL_RANGE[1]:
        return None
    return from_excel(number).date()


def read_period(value) -> datetime.date:
    """The period (first of its month) a cell names: a date, a month or a quarter."""
    return _sensible(_read_period(value))


def _read_period(value) -> datetime.date:
    _unreadable(value)
    if isinstance(value, datetime.datetime):
        return periods.month_start(value.date())
    if isinstance(value, datetime.date):
        return periods.month_start(value)
    if isinstance(value, (int, float)) and (day := _date_from_serial(value)):
        return periods.month_start(day)
    if isinstance(value, str):
        text = _unescape(value.strip())
        if text[:1] in "Qq":
            try:
                return periods.parse_quarter(text)
            except ValueError as error:
                raise CellProblem(str(error)) from error
        try:
            return periods.month_start(_date_from_text(text)[0])
        except CellProblem:
            raise CellProblem(f"{text!r} is not a month or quarter: {_PERIOD_HELP}.") from None
    raise CellProblem(f"{_shown(value)} is not a month or quarter: {_PERIOD_HELP}.")


def _sensible(day: datetime.date) -> datetime.date:
    try:
        return periods.check_year(day)
    except ValueError as error:
        raise CellProblem(str(error)) from None


def read_date(value) -> tuple[datetime.date, bool]:
    """A delivery date, and whether only its month was given ("Oct-19": end of October)."""
    day, month_only = _read_date(value)
    return _sensible(day), month_only


def _read_date(value) -> tuple[datetime.date, bool]:
    _unreadable(value)
    if isinstance(value, datetime.datetime):
        return value.date(), False
    if isinstance(value, datetime.date):
        return value, False
    if isinstance(value, (int, float)) and (day := _date_from_serial(value)):
        return day, False
    if isinstance(value, str):
        day, month_only = _date_from_text(_unescape(value.strip()))
        if month_only:
            day = _sensible(day)
            return periods.add_months(day, 1) - datetime.timedelta(days=1), True
        return day, False
    raise CellProblem(f"{_shown(value)} is not a date: write it like 31/08/2021 or Aug 2021.")


def _choice(value, choices: type[models.TextChoices], synonyms: dict[str, str] | None = None):
    text = _heading(read_text(value))
    for member in choices:
        if text in (member.value.casefold(), _heading(member.value), _heading(member.label)):
            return member.value
    if synonyms and text in synonyms:
        return synonyms[text]
    allowed = ", ".join(member.value for member in choices)
    raise CellProblem(f"{read_text(value)!r} is not one of: {allowed}.")


_UNIT_WORDS = {
    "%": "percent",
    "percentage": "percent",
    "rate": "rate_per_10000",
    "rate per 10000": "rate_per_10000",
    "number of children": "count",
}
_POLARITY_WORDS = {
    "higher is better": "higher",
    "lower is better": "lower",
    "high": "higher",
    "low": "lower",
    "up": "higher",
    "down": "lower",
}
_COMPARATOR_WORDS = {
    "sn": "statistical_neighbours",
    "statistical neighbour": "statistical_neighbours",
    "stat neighbours": "statistical_neighbours",
    "west midlands": "region",
    "wm": "region",
    "regional": "region",
    "national": "england",
    "england average": "england",
}
_STATUS_WORDS = {
    "complete": "completed",
    "done": "completed",
    "yet to start": "not_started",
    "not yet started": "not_started",
    "ongoing": "in_progress",
    "in hand": "in_progress",
    "started": "in_progress",
}


# Reading ----------------------------------------------------------------------


@dataclass
class Sheet:
    """One sheet the import reads, as plain values: only non-empty cells are kept."""

    kind: str
    title: str
    header_row: int
    columns: dict[str, int]  # column key -> column number
    headings: dict[int, str]  # column number -> heading as written
    rows: list[tuple[int, dict[int, object]]]
    wide: dict[int, datetime.date] = field(default_factory=dict)  # wide Actuals: column -> period
    layout: str = ""
    problems: list["Issue"] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def column_label(self, column: int) -> str:
        heading = self.headings.get(column)
        letter = get_column_letter(column)
        return f"{letter} ({heading})" if heading else letter


@dataclass
class Book:
    sheets: dict[str, Sheet]
    skipped: list[str]


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:.1f} MB" if count >= 1024 * 1024 else f"{count / 1024:.0f} KB"


def size_problem(size: int) -> str | None:
    """Why a file of this many bytes is refused (IMPORT_MAX_UPLOAD_BYTES), or None."""
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if size <= limit:
        return None
    return (
        f"The file is {_size(size)}; the largest accepted is {_size(limit)}. Split it into "
        "smaller workbooks, or delete sheets the import does not read."
    )


def refuse_file(
    *, file_name: str, size: int, message: str, user=None, via: str = ImportRun.Via.ADMIN
) -> ImportRun:
    """Record a file refused before it was read (too large to accept at all)."""
    return ImportRun.objects.create(
        user=user if getattr(user, "pk", None) else None,
        via=via,
        file_name=file_name[:255],
        file_size=size,
        outcome=ImportRun.Outcome.REFUSED,
        message=message,
        finished_at=timezone.now(),
    )


_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURE = b"PK\x03\x04"
_SAVE_AS_XLSX = "open it in Excel and use File > Save As > Excel Workbook (.xlsx), then upload that"


def _not_a_zip(data: bytes) -> str:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"pk\x05\x06"):
        return "The file is an empty zip archive, not an Excel workbook."
    if head.startswith((b"<!doctype html", b"<html", b"<table")) or b"<html" in head[:512]:
        return (
            "The file is a web page (HTML) with an Excel name: some systems export tables this "
            f"way. To import it, {_SAVE_AS_XLSX}."
        )
    if head.startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
            return f"The file is an old Excel 2003 XML spreadsheet. To import it, {_SAVE_AS_XLSX}."
        return f"The file is XML, not an Excel workbook. To import it, {_SAVE_AS_XLSX}."
    if head.startswith(b"{\\rtf"):
        return f"The file is a Rich Text document, not an Excel workbook: {_SAVE_AS_XLSX}."
    if b"\x00" not in head and any(sep in head.split(b"\n", 1)[0] for sep in (b",", b"\t", b";")):
        return (
            "The file is text separated by commas or tabs (CSV), not an Excel workbook. To "
            f"import it, {_SAVE_AS_XLSX}."
        )
    return f"The file is not an Excel workbook (.xlsx). If it opens in Excel, {_SAVE_AS_XLSX}."


_DAMAGED = (
    "The file is damaged or incomplete (parts of the workbook are missing or garbled, as "
    "happens when a download or copy is cut short). Save it again from Excel and upload the "
    "new copy."
)


def check_file(data: bytes) -> None:
    """Refuse a file that is not a plain, sensibly sized .xlsx, before any XML is parsed.

    Sizes are checked from the zip's own directory: Python's zipfile never
    inflates a member past its declared size, so these checks bound the
    memory openpyxl can use. Parts over a megabyte are then read through
    once, a piece at a time, for a run no parser should be fed.
    """
    if not data:
        raise WorkbookRefused("The file is empty (0 bytes): save the workbook again and upload it.")
    if problem := size_problem(len(data)):
        raise WorkbookRefused(problem)
    if data.startswith(_OLE_SIGNATURE):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise WorkbookRefused(
                "The workbook is protected with a password (encrypted), so it cannot be read. "
                "Remove the password in Excel (File > Info > Protect Workbook > Encrypt with "
                "Password, clear it), save, and upload again."
            )
        raise WorkbookRefused(
            f"The file is an old Excel 97-2003 workbook (.xls). To import it, {_SAVE_AS_XLSX}."
        )
    if not data.startswith(_ZIP_SIGNATURE):
        raise WorkbookRefused(_not_a_zip(data))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise WorkbookRefused(_DAMAGED) from error
    with archive:
        try:
            _check_members(archive)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            # Raised while a large part is read through for _longest_token.
            raise WorkbookRefused(_DAMAGED) from error


def _check_members(archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    names = {member.filename for member in members}
    lowered = {name.lower() for name in names}
    if len(members) > MAX_ZIP_MEMBERS:
        raise WorkbookRefused(
            f"The file holds {len(members):,} parts; a workbook has far fewer (the limit is "
            f"{MAX_ZIP_MEMBERS:,}). {_SAVE_AS_XLSX.capitalize()}."
        )
    if any(name.endswith("vbaproject.bin") for name in lowered):
        raise WorkbookRefused(
            "The workbook contains macros (.xlsm), which are not accepted. In Excel use File > "
            "Save As > Excel Workbook (.xlsx), which removes them, and upload that."
        )
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in lowered:
            raise WorkbookRefused(f"The file is an Excel Binary Workbook (.xlsb): {_SAVE_AS_XLSX}.")
        if "content.xml" in lowered and "mimetype" in lowered:
            raise WorkbookRefused(
                f"The file is an OpenDocument spreadsheet (.ods). To import it, {_SAVE_AS_XLSX}."
            )
        if "word/document.xml" in lowered:
            raise WorkbookRefused("The file is a Word document, not an Excel workbook.")
        raise WorkbookRefused(
            "The file is a zip archive but not an Excel workbook (it has no xl/workbook.xml). "
            f"If it opens in Excel, {_SAVE_AS_XLSX}."
        )
    total = sum(member.file_size for member in members)
    if total > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
        raise WorkbookRefused(
            f"The file unpacks to {_size(total)}, more than the "
            f"{_size(settings.IMPORT_MAX_UNCOMPRESSED_BYTES)} allowed. Split it into smaller "
            "workbooks."
        )
    ratio_limit = settings.IMPORT_MAX_COMPRESSION_RATIO
    for member in members:
        if member.flag_bits & 0x1:
            raise WorkbookRefused("Parts of the file are encrypted: remove the password in Excel.")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookRefused(f"The file is not a workbook Excel wrote: {_SAVE_AS_XLSX}.")
        ratio = member.file_size // max(member.compress_size, 1)
        if member.file_size > RATIO_CHECKED_FROM and ratio > ratio_limit:
            raise WorkbookRefused(
                f"The file is refused: its part {member.filename} expands {ratio:,} times when "
                f"unpacked (the limit is {ratio_limit}), which is how a zip bomb works. A real "
                "workbook compresses far less."
            )
    for member in members:
        if member.file_size > MAX_XML_TOKEN and _longest_token(archive, member) > MAX_XML_TOKEN:
            raise WorkbookRefused(
                f"The file is refused: its part {member.filename} holds over "
                f"{MAX_XML_TOKEN // 1024 // 1024} MB without a break, which no spreadsheet "
                f"program writes. {_SAVE_AS_XLSX.capitalize()}."
            )


def _longest_token(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> int:
    """The longest run of a part with no ">", read a piece at a time."""
    longest = run = 0
    with archive.open(member) as part:
        while piece := part.read(64 * 1024):
            first = piece.find(b">")
            if first < 0:
                run += len(piece)
            else:
                longest = max(longest, run + first)
                run = len(piece) - piece.rfind(b">") - 1
            longest = max(longest, run)
    return longest


class _Worksheet(ReadOnlyWorksheet):
    """A read-only sheet that does not look for its size when it is opened."""

    def _get_size(self) -> None:
        # openpyxl reads the sheet until its <dimension> here; in a sheet
        # without one that means parsing (and holding) every row before the
        # import reads any. The import never uses the stored size.
        pass


class _WorkbookReader(ExcelReader):
    """openpyxl's read-only workbook reader, opening each worksheet as a _Worksheet."""

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            worksheet = _Worksheet(self.wb, sheet.name, rel.target, self.shared_strings)
            worksheet.sheet_state = sheet.state
            self.wb._sheets.append(worksheet)


class _SheetReader:
    """Reads one worksheet's XML into (row number, {column: value}) for its non-empty cells.

    openpyxl opens the workbook (sheet list, shared strings, number
    formats); the sheet itself, the one part that may hold a hundred
    thousand cells, is parsed here from expat's events with no element or
    cell object per value, which more than halves the time a large import
    spends reading. The parser is defusedxml's, so entity declarations and
    external references are refused as everywhere else in openpyxl.

    Cells read as openpyxl's ``data_only`` mode reads them, except that a
    formula with no saved result comes back as NO_CACHED_VALUE (rejected,
    not skipped), numbers in %-formatted cells as Percent, and an
    unreadable date as ExcelError. The sheet's stored dimension is never
    consulted, so a sheet that misstates its size is read to its real end.
    """

    CHUNK = 64 * 1024
    # Excel's own limit on the characters in one cell.
    MAX_CELL_TEXT = 32767
    # A sheet's elements nest about six deep; expat keeps a frame per level.
    MAX_DEPTH = 64
    # Distinct column letters remembered; more are worked out each time.
    MAX_CACHED_COLUMNS = 4096

    def __init__(self, worksheet, percent_styles: set[int], on_row):
        workbook = worksheet.parent
        self.title = worksheet.title
        self.shared_strings = worksheet._shared_strings
        self.date_styles = workbook._date_formats
        self.timedelta_styles = workbook._timedelta_formats
        self.epoch = workbook.epoch
        self.percent_styles = percent_styles
        self.on_row = on_row
        # The first few merged ranges, to name them, and how many there are.
        self.merged: list[str] = []
        self.merged_count = 0
        self.columns: dict[str, int] = {}
        self.depth = 0
        self.row_number = 0
        self.column = 0
        # The row being read; None between rows, where cells are not data.
        self.cells: dict[int, object] | None = None
        self.attributes: dict = {}
        # A cell's text, in the pieces the parser gives it; None outside <v> and <is>.
        self.text: list[str] | None = None
        self.length = 0
        self.value = ""
        self.formula = False

    def read(self, source) -> None:
        parser = DefusedXMLParser(target=self)
        expat = parser.parser
        expat.ordered_attributes = False
        expat.StartElementHandler = self._start
        expat.EndElementHandler = self._end
        expat.CharacterDataHandler = self._data
        try:
            while chunk := source.read(self.CHUNK):
                parser.feed(chunk)
            parser.close()
        finally:
            # The parser and this reader (and through it the rows read so
            # far) refer to each other: part them now, even when the sheet is
            # refused part-way, rather than wait for the cycle collector.
            expat.StartElementHandler = expat.EndElementHandler = None
            expat.CharacterDataHandler = None
            parser.target = parser._target = None

    def close(self) -> None:
        """Called by the parser when the document ends."""

    # Run once or twice per cell, so kept lean: few method calls on the common path.

    def _start(self, tag: str, attributes: dict) -> None:
        self.depth += 1
        if self.depth > self.MAX_DEPTH:
            raise WorkbookRefused(
                f"Sheet {self.title} nests its parts more than {self.MAX_DEPTH} deep, which no "
                "spreadsheet program writes. Save it again from Excel."
            )
        if tag == _CELL:
            self.attributes = attributes
            self.value = ""
            self.formula = False
        elif tag in (_VALUE, _INLINE):
            self.text = []
            self.length = 0
        elif tag == _ROW:
            number = attributes.get("r")
            self.row_number = int(float(number)) if number else self.row_number + 1
            self.column = 0
            self.cells = {}
        elif tag == _FORMULA:
            self.formula = True
        elif tag == _MERGE:
            self.merged_count += 1
            if len(self.merged) < 3:
                self.merged.append(attributes.get("ref", ""))

    def _data(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)
            self.length += len(text)
            if self.length > self.MAX_CELL_TEXT:
                raise WorkbookRefused(
                    f"Sheet {self.title} row {self.row_number} has a cell longer than the "
                    f"{self.MAX_CELL_TEXT:,} characters Excel allows in one cell. Shorten it, "
                    "or move the text elsewhere."
                )

    def _end(self, tag: str) -> None:
        self.depth -= 1
        if tag == _CELL:
            if self.cells is None:
                return
            attributes = self.attributes
            coordinate = attributes.get("r")
            if coordinate:
                letters = coordinate.rstrip("0123456789")
                column = self.columns.get(letters)
                if column is None:
                    column = column_index_from_string(letters)
                    if len(self.columns) < self.MAX_CACHED_COLUMNS:
                        self.columns[letters] = column
            else:
                column = self.column + 1
            self.column = column
            text = self.value
            if text:
                value = self._value(text, attributes.get("t", "n"), attributes.get("s"))
            elif self.formula:
                value = NO_CACHED_VALUE
            else:
                return
            if value is None:
                return
            if column > MAX_COLUMNS:
                # Checked cell by cell, so no row grows past this many values.
                raise WorkbookRefused(
                    f"Sheet {self.title} has data in column {get_column_letter(column)}; the "
                    f"import reads up to column {get_column_letter(MAX_COLUMNS)}. Delete the "
                    "cells beyond it."
                )
            self.cells[column] = value
        elif tag in (_VALUE, _INLINE):
            self.value = "".join(self.text)
            self.text = None
        elif tag == _ROW:
            if self.cells is not None:
                self.on_row(self.row_number, self.cells)
            self.cells = None

    def _value(self, text: str, data_type: str, style: str | None):
        if data_type == "n":
            number = float(text) if "." in text or "e" in text or "E" in text else int(text)
            if style:
                style = int(style)
                if style in self.date_styles:
                    try:
                        return from_excel(
                            number, self.epoch, timedelta=style in self.timedelta_styles
                        )
                    except (OverflowError, ValueError):
                        return ExcelError("#VALUE!")
                if style in self.percent_styles:
                    return Percent(number)
            return number
        if data_type == "s":
            return self.shared_strings[int(text)]
        if data_type == "b":
            return text.strip() in ("1", "true")
        if data_type == "e":
            return ExcelError(text)
        if data_type == "d":
            return from_ISO8601(text)
        # "str" (a formula's text result), "inlineStr", or a type Excel never writes.
        return text


_MAIN = SHEET_MAIN_NS + "}"
_ROW, _CELL, _VALUE, _FORMULA, _INLINE, _MERGE = (
    _MAIN + tag for tag in ("row", "c", "v", "f", "is", "mergeCell")
)


def _percent_styles(workbook) -> set[int]:
    styles = set()
    for style_id, style in enumerate(workbook._cell_styles):
        number_format = style.numFmtId
        if number_format < BUILTIN_FORMATS_MAX_SIZE:
            text = BUILTIN_FORMATS.get(number_format, "")
        else:
            custom = number_format - BUILTIN_FORMATS_MAX_SIZE
            text = (
                workbook._number_formats[custom] if custom < len(workbook._number_formats) else ""
            )
        if "%" in re.sub(r'"[^"]*"|\\.', "", text):
            styles.add(style_id)
    return styles


def read_workbook(data: bytes) -> Book:
    """Check the file, then read the sheets the import knows into plain values.

    Raises WorkbookRefused for anything wrong with the file as a whole; every
    error openpyxl or the XML parser can raise is turned into one here.
    """
    check_file(data)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (data validation, etc.).
            warnings.simplefilter("ignore")
            reader = _WorkbookReader(io.BytesIO(data), read_only=True, data_only=True)
            reader.read()
            workbook = reader.wb
            try:
                return _read_sheets(workbook)
            finally:
                workbook.close()
    except WorkbookRefused:
        raise
    except MemoryError as error:
        raise WorkbookRefused("The workbook is too large to read: split it.") from error
    except Exception as error:
        if _caused_by(error, DefusedXmlException):
            raise WorkbookRefused(
                "The workbook contains XML entity declarations, which Excel never writes and "
                "which are used in attacks, so it was not read. Save it again from Excel."
            ) from error
        raise WorkbookRefused(
            "The workbook could not be read: it is damaged or was not saved by a spreadsheet "
            f"program ({type(error).__name__}). Open it in Excel, save it as .xlsx and upload "
            "it again."
        ) from error


def _caused_by(error: BaseException, kind: type) -> bool:
    # openpyxl re-raises what the XML parser raised as a ValueError.
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, kind):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _read_sheets(workbook) -> Book:
    by_name = {_heading(kind): kind for kind in SHEETS}
    wanted: dict[str, object] = {}
    skipped = []
    for worksheet in workbook.worksheets:
        kind = by_name.get(_heading(worksheet.title))
        if kind is None or not isinstance(worksheet, ReadOnlyWorksheet):
            if _heading(worksheet.title) != _heading(INSTRUCTIONS):
                skipped.append(worksheet.title)
            continue
        if kind in wanted:
            raise WorkbookRefused(
                f"The workbook has two sheets called {kind}: keep one, or merge them."
            )
        wanted[kind] = worksheet
    if not wanted:
        names = ", ".join(workbook.sheetnames) or "none"
        raise WorkbookRefused(
            f"The workbook has none of the sheets the import reads ({', '.join(SHEETS)}); its "
            f"sheets are: {names}. Rename the sheet, or start from the template."
        )
    percent_styles = _percent_styles(workbook)
    cells_left = settings.IMPORT_MAX_CELLS
    sheets = {}
    for kind in SHEETS:
        if kind in wanted:
            sheet, cells_left = _read_sheet(
                workbook, wanted[kind], kind, percent_styles, cells_left
            )
            sheets[kind] = sheet
    return Book(sheets=sheets, skipped=skipped)


def _read_sheet(workbook, worksheet, kind, percent_styles, cells_left) -> tuple[Sheet, int]:
    row_limit = settings.IMPORT_MAX_ROWS
    rows: list[tuple[int, dict[int, object]]] = []
    left = cells_left

    def keep(number: int, cells: dict[int, object]) -> None:
        # Checked row by row as the sheet is parsed, so an oversized sheet
        # is refused before it is all in memory.
        nonlocal left
        if not cells:
            return
        if len(rows) >= row_limit:
            raise WorkbookRefused(
                f"Sheet {worksheet.title} has more than {row_limit:,} rows with data, the "
                "most one import takes. Split it into smaller workbooks."
            )
        left -= len(cells)
        if left < 0:
            raise WorkbookRefused(
                f"The workbook has more than {settings.IMPORT_MAX_CELLS:,} filled cells, the "
                "most one import takes. Split it into smaller workbooks."
            )
        rows.append((number, cells))

    reader = _SheetReader(worksheet, percent_styles, keep)
    with worksheet._get_source() as source:
        reader.read(source)
    if reader.merged_count:
        more = reader.merged_count - len(reader.merged)
        ranges = ", ".join(reader.merged) + (f" and {more:,} more" if more else "")
        raise WorkbookRefused(
            f"Sheet {worksheet.title} has merged cells ({ranges}), which "
            "hide values from the import. Select the sheet, choose Home > Merge & Center > "
            "Unmerge Cells, fill in each row, and upload again."
        )
    return _find_columns(kind, worksheet.title, rows), left


def _find_columns(kind: str, title: str, rows) -> Sheet:
    specs = COLUMNS[kind]
    anchor = next(spec for spec in specs if spec.key == _ANCHOR[kind])
    expected = ", ".join(spec.header for spec in specs if spec.required)
    for index, (number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(isinstance(v, str) and anchor.matches(_heading(v)) for v in cells.values()):
            header_number, header = number, cells
            body = rows[index + 1 :]
            break
    else:
        raise WorkbookRefused(
            f"Sheet {title} has no heading row: its first row should name the columns, "
            f"starting with {expected}. Start from the template to see the layout."
        )
    sheet = Sheet(
        kind=kind, title=title, header_row=header_number, columns={}, headings={}, rows=body
    )
    long_actuals = kind == ACTUALS and any(
        isinstance(v, str) and COLUMNS[ACTUALS][1].matches(_heading(v)) for v in header.values()
    )
    sheet.layout = (
        "long" if kind == ACTUALS and long_actuals else ("wide" if kind == ACTUALS else "")
    )
    for column, raw in sorted(header.items()):
        heading = _heading(raw) if isinstance(raw, str) else ""
        sheet.headings[column] = _shown(raw) if not isinstance(raw, str) else raw.strip()
        spec = next((s for s in specs if heading and s.matches(heading)), None)
        if spec is None and kind == ACTIONS and _STATUS_HEADING.match(heading):
            spec = next(s for s in specs if s.key == "status")
        if spec is not None and (kind != ACTUALS or long_actuals or spec.key == "kpi"):
            if spec.key in sheet.columns:
                first = get_column_letter(sheet.columns[spec.key])
                raise WorkbookRefused(
                    f"Sheet {title}: columns {first} and {get_column_letter(column)} are both "
                    f"{spec.header!r}. Keep one of them."
                )
            sheet.columns[spec.key] = column
        elif sheet.layout == "wide":
            _wide_heading(sheet, column, raw, heading)
        else:
            sheet.ignored.append(f"{get_column_letter(column)} ({sheet.headings[column]})")
    missing = [s.header for s in specs if s.required and s.key not in sheet.columns]
    if sheet.layout == "wide":
        missing = [s for s in missing if s != "Period"]
        if not sheet.wide and not sheet.problems:
            raise WorkbookRefused(
                f"Sheet {title} (row {header_number}) names no months: give either a Period "
                f"column, or one column per month or quarter headed like Aug 2021 or Q2 2021/22."
            )
    if missing:
        raise WorkbookRefused(
            f"Sheet {title}: the heading row (row {header_number}) has no "
            f"{' or '.join(repr(m) for m in missing)} column. The columns are: {expected}."
        )
    headed = sheet.headings
    unheaded: dict[int, int] = {}
    for number, cells in body:
        for column, value in cells.items():
            if column not in headed and column not in unheaded and not is_blank(value):
                unheaded[column] = number
    for column, number in sorted(unheaded.items()):
        sheet.problems.append(
            Issue(title, number, get_column_letter(column),
                  "This column has values but no heading, so the import cannot tell what they "
                  f"are: add a heading in row {header_number} or delete the values.")
        )  # fmt: skip
    return sheet


def _wide_heading(sheet: Sheet, column: int, raw, heading: str) -> None:
    if heading in _WIDE_REFERENCE_HEADINGS:
        sheet.ignored.append(f"{get_column_letter(column)} ({sheet.headings[column]})")
        return
    try:
        period = read_period(raw)
    except CellProblem as problem:
        sheet.problems.append(
            Issue(
                sheet.title,
                sheet.header_row,
                sheet.column_label(column),
                f"The heading is not a month or quarter: {problem} Figures in this column "
                "cannot be imported.",
            )
        )
        return
    if period in sheet.wide.values():
        first = next(c for c, p in sheet.wide.items() if p == period)
        sheet.problems.append(
            Issue(
                sheet.title,
                sheet.header_row,
                sheet.column_label(column),
                f"{periods.month_label(period)} is already column {get_column_letter(first)}: "
                "keep one column per month.",
            )
        )
        return
    sheet.wide[column] = period


# Planning ---------------------------------------------------------------------


@dataclass(slots=True)
class Issue:
    sheet: str
    row: int
    column: str
    message: str
    locked: bool = False

    def __str__(self) -> str:
        return f"{self.sheet} row {self.row}, column {self.column}: {self.message}"

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "locked": self.locked,
        }


@dataclass(slots=True)
class Change:
    """One row to create (pk None) or update, with the old value of every changed field."""

    sheet: str
    row: int
    label: str
    model: type[models.Model]
    pk: int | None
    values: dict
    old: dict
    refs: dict
    instance: models.Model | None = None
    version: int | None = None
    locked: bool = False

    @property
    def is_new(self) -> bool:
        return self.pk is None

    @property
    def title(self) -> str:
        # Actuals leave label empty: a hundred thousand labels cost time nobody reads.
        if self.label or "period" not in self.refs:
            return self.label
        period = periods.period_label(self.refs["period"], self.refs["frequency"])
        return f"{self.refs['kpi']} {period}"


@dataclass
class SheetSummary:
    name: str
    present: bool = False
    layout: str = ""
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "present": self.present,
            "layout": self.layout,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


@dataclass
class ImportPlan:
    sheets: dict[str, SheetSummary]
    changes: list[Change] = field(default_factory=list)
    rejections: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    reason: str = ""
    fingerprint: str = ""

    @property
    def needs_reason(self) -> bool:
        """The plan changes locked months and no reason has been given yet."""
        return bool(self.locked_changes) and not self.reason

    @property
    def locked_changes(self) -> int:
        return sum(c.locked for c in self.changes) + sum(i.locked for i in self.rejections)

    @property
    def change_count(self) -> int:
        return len(self.changes)

    def counts(self) -> dict:
        return {name: summary.as_dict() for name, summary in self.sheets.items()}

    def report(self, *, changes_per_sheet: int = PREVIEW_CHANGES_PER_SHEET) -> dict:
        """The preview as plain JSON: every rejection and warning, the first changes per sheet."""
        shown: dict[str, list] = defaultdict(list)
        more: dict[str, int] = defaultdict(int)
        for change in self.changes:
            if len(shown[change.sheet]) < changes_per_sheet:
                shown[change.sheet].append(describe_change(change))
            else:
                more[change.sheet] += 1
        return {
            "sheets": [summary.as_dict() for summary in self.sheets.values()],
            "rejections": [issue.as_dict() for issue in self.rejections],
            "warnings": [issue.as_dict() for issue in self.warnings],
            "notices": self.notices,
            "changes": dict(shown),
            "more_changes": dict(more),
            "locked_changes": self.locked_changes,
            "needs_reason": self.needs_reason,
        }


def show_value(value) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, datetime.date):
        return value.strftime("%d %b %Y")
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


_MONTH_FIELDS = {"starts", "period", "reporting_from"}


def describe_change(change: Change) -> dict:
    """A change as the preview shows it: each field's old value and new value."""
    names = {spec.key: spec.header for spec in COLUMNS[change.sheet]}
    names.setdefault("owner", "Owner")

    def show(key, value):
        if key in _MONTH_FIELDS and isinstance(value, datetime.date):
            return periods.month_label(value)
        return show_value(value)

    if change.is_new:
        fields = [(names.get(k, k), "", show(k, v)) for k, v in change.values.items()]
    else:
        fields = [
            (names.get(k, k), show(k, old), show(k, change.values.get(k)))
            for k, old in change.old.items()
        ]
    return {
        "sheet": change.sheet,
        "row": change.row,
        "record": change.title,
        "kind": "new" if change.is_new else "changed",
        "locked": change.locked,
        "fields": [{"field": f, "old": o, "new": n} for f, o, n in fields],
    }


def _same(old, new) -> bool:
    if isinstance(old, str) or isinstance(new, str):
        return _norm_text(old or "") == _norm_text(new or "")
    if isinstance(old, models.Model) or isinstance(new, models.Model):
        return getattr(old, "pk", None) == getattr(new, "pk", None)
    return old == new


def _norm_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _clone(instance: models.Model) -> models.Model:
    """An independent copy of a row as loaded, to change without touching the original."""
    names = [f.attname for f in instance._meta.concrete_fields]
    clone = type(instance).from_db(instance._state.db, names, [getattr(instance, n) for n in names])
    clone._state.fields_cache = copy.copy(instance._state.fields_cache)
    return clone


class _Row:
    """Collects a row's rejections and remembers whether there were any."""

    def __init__(self, planner: "_Planner", sheet: Sheet, number: int):
        self.planner, self.sheet, self.number = planner, sheet, number
        self.rejected = False

    def column(self, key: str) -> str:
        column = self.sheet.columns.get(key)
        return self.sheet.column_label(column) if column else "-"

    def reject(self, key_or_column: str | int, message: str, *, locked: bool = False) -> None:
        label = (
            self.sheet.column_label(key_or_column)
            if isinstance(key_or_column, int)
            else self.column(key_or_column)
        )
        self.planner.plan.rejections.append(
            Issue(self.sheet.title, self.number, label, message, locked)
        )
        self.rejected = True

    def warn(self, key_or_column: str | int, message: str) -> None:
        label = (
            self.sheet.column_label(key_or_column)
            if isinstance(key_or_column, int)
            else self.column(key_or_column)
        )
        self.planner.plan.warnings.append(Issue(self.sheet.title, self.number, label, message))

    def read(self, key: str, value, reader, *args):
        try:
            return reader(value, *args)
        except CellProblem as problem:
            self.reject(key, str(problem))
            return None


_ACTUAL_FIELDS = (
    "value",
    "numerator",
    "denominator",
    "what_data_tells_us",
    "issues_and_risks",
    "evidence_of_impact",
    "source",
)
_ACTUAL_TEXT = _ACTUAL_FIELDS[3:]
# Actuals are written without the ORM, so field lengths are checked here.
_ACTUAL_LENGTHS = {
    name: Actual._meta.get_field(name).max_length
    for name in _ACTUAL_TEXT
    if Actual._meta.get_field(name).max_length
}


class _Planner:
    def __init__(
        self,
        book: Book,
        *,
        reason: str,
        today: datetime.date,
        lock: bool,
        fingerprint: bool,
        allow_locked: bool,
    ):
        self.book = book
        self.reason = reason.strip()
        self.allow_locked = allow_locked or bool(self.reason)
        self.today = today
        self.lock = lock
        self.state: list[str] | None = [] if fingerprint else None
        self.plan = ImportPlan(
            sheets={name: SheetSummary(name) for name in SHEETS}, reason=self.reason
        )
        self.locked_through = PeriodLock.objects.locked_through()
        self._remember("lock", self.locked_through)
        kpis = Kpi.objects.select_related("owner").order_by("code")
        self.kpis: dict[str, Kpi] = {kpi.code: kpi for kpi in self._locked(kpis)}
        self.planned: dict[str, Kpi] = dict(self.kpis)
        self.folded = {code.casefold(): code for code in self.kpis}
        self.rejected_codes: set[str] = set()
        self.officers: dict[str, Officer] = {}
        for officer in Officer.objects.order_by("-pk"):
            # Role titles win over names when both match.
            if officer.name:
                self.officers[_heading(officer.name)] = officer
        for officer in Officer.objects.order_by("-pk"):
            self.officers[_heading(officer.role_title)] = officer
            self._remember("officer", officer.pk, officer.role_title, officer.name)

    def _locked(self, queryset):
        return queryset.select_for_update(of=("self",)) if self.lock else queryset

    def _remember(self, *parts) -> None:
        if self.state is not None:
            self.state.append(repr(parts))

    def run(self) -> ImportPlan:
        for kind, sheet in self.book.sheets.items():
            summary = self.plan.sheets[kind]
            summary.present, summary.layout = True, sheet.layout
            self.plan.rejections.extend(sheet.problems)
            if sheet.ignored:
                self.plan.notices.append(
                    f"Sheet {sheet.title}: columns not imported: {', '.join(sheet.ignored)}."
                )
        if self.book.skipped:
            self.plan.notices.append(f"Sheets not read: {', '.join(self.book.skipped)}.")
        steps = [
            (KPIS, self._kpis),
            (TARGETS, self._targets),
            (ACTUALS, self._actuals),
            (BENCHMARKS, self._benchmarks),
            (ACTIONS, self._actions),
        ]
        for kind, step in steps:
            if kind in self.book.sheets:
                step(self.book.sheets[kind], self.plan.sheets[kind])
        if self.state is not None:
            digest = hashlib.sha256()
            for line in self.state:
                digest.update(line.encode())
                digest.update(b"\n")
            self.plan.fingerprint = digest.hexdigest()
        return self.plan

    # Helpers shared by the sheets.

    def _cells(self, sheet: Sheet, cells: dict) -> dict:
        return {
            key: cells[column]
            for key, column in sheet.columns.items()
            if column in cells and not is_blank(cells[column])
        }

    def kpi(self, row: _Row, key: str, raw) -> Kpi | None:
        code = row.read(key, raw, read_code)
        if code is None:
            return None
        kpi = self.planned.get(code) or self.planned.get(self.folded.get(code.casefold(), ""))
        if kpi is None:
            hint = (
                " Its row on the KPIs sheet was rejected: fix that row first."
                if code in self.rejected_codes
                else " Check the code, or add the KPI on the KPIs sheet first."
            )
            row.reject(key, f"There is no KPI with code {code!r}.{hint}")
        return kpi

    def officer(self, row: _Row, key: str, raw) -> Officer | None:
        name = row.read(key, raw, read_text)
        if name is None:
            return None
        officer = self.officers.get(_heading(name))
        if officer is None:
            row.reject(
                key,
                f"There is no officer {name!r}: use a role title listed under Officers in the "
                "admin (add the officer there first if needed), or correct the spelling.",
            )
        return officer

    def _record(self, summary: SheetSummary, change: Change | None) -> None:
        if change is None:
            summary.unchanged += 1
            return
        if change.is_new:
            summary.new += 1
        else:
            summary.changed += 1
        self.plan.changes.append(change)

    def _validate(self, row: _Row, instance: models.Model, exclude: list[str]) -> None:
        """The model's own field and constraint checks, reported against the row's columns."""
        try:
            instance.full_clean(exclude=exclude, validate_unique=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                key = name if name in row.sheet.columns else next(iter(row.sheet.columns))
                row.reject(key, " ".join(messages))

    def _update(self, existing: models.Model, values: dict) -> tuple[models.Model, dict]:
        candidate = _clone(existing)
        old = {}
        for key, new in values.items():
            current = getattr(existing, key)
            if not _same(current, new):
                old[key] = current
                setattr(candidate, key, new)
        return candidate, old

    # KPIs.

    _KPI_READERS = {
        "title": read_text,
        "definition": read_text,
        "numerator_label": read_text,
        "denominator_label": read_text,
        "unit": lambda v: _choice(v, Kpi.Unit, _UNIT_WORDS),
        "polarity": lambda v: _choice(v, Kpi.Polarity, _POLARITY_WORDS),
        "frequency": lambda v: _choice(v, Kpi.Frequency),
        "tolerance_kind": lambda v: _choice(v, Kpi.ToleranceKind),
        "decimal_places": lambda v: _whole(read_number(v)[0], "Decimal places"),
        "tolerance": lambda v: read_number(v)[0],
        "reporting_from": read_period,
    }

    def _kpis(self, sheet: Sheet, summary: SheetSummary) -> None:
        seen: dict[str, int] = {}
        for number, cells in sheet.rows:
            given = self._cells(sheet, cells)
            if not given:
                continue
            row = _Row(self, sheet, number)
            code = row.read("code", given.pop("code"), read_code) if "code" in given else None
            if "code" in sheet.columns and code is None and not row.rejected:
                row.reject("code", "Enter the KPI code (for example PI.426) for this row.")
            if code is not None and code in seen:
                row.reject("code", f"KPI {code} is already on row {seen[code]}: keep one row.")
            if row.rejected:
                summary.rejected += 1
                continue
            # Codes match whatever their case, as on the other sheets.
            code = self.folded.get(code.casefold(), code)
            seen[code] = number
            values = {}
            for key, raw in given.items():
                if key == "owner":
                    values["owner"] = self.officer(row, key, raw)
                else:
                    values[key] = row.read(key, raw, self._KPI_READERS[key])
            existing = self.kpis.get(code)
            self._remember("kpi", code, _state_of(existing))
            if existing is None:
                for key, what in (("title", "a Title"), ("polarity", "a Polarity")):
                    if values.get(key) in (None, ""):
                        row.reject(
                            key if key in sheet.columns else "code",
                            f"{code} is a new KPI: give it {what}.",
                        )
                if row.rejected:
                    self.rejected_codes.add(code)
                    summary.rejected += 1
                    continue
                candidate = Kpi(code=code, **values)
                self._validate(row, candidate, ["owner"])
                change = Change(KPIS, number, code, Kpi, None, {"code": code, **values}, {}, {})
            else:
                if row.rejected:
                    summary.rejected += 1
                    continue
                candidate, old = self._update(existing, values)
                if not old:
                    self._record(summary, None)
                    continue
                self._validate(row, candidate, ["owner"])
                change = Change(
                    KPIS,
                    number,
                    code,
                    Kpi,
                    existing.pk,
                    {k: values[k] for k in old},
                    old,
                    {},
                    candidate,
                )
            if row.rejected:
                if existing is None:
                    self.rejected_codes.add(code)
                summary.rejected += 1
                continue
            self.planned[code] = candidate
            self.folded.setdefault(code.casefold(), code)
            self._record(summary, change)

    # Targets and benchmarks.

    def _targets(self, sheet: Sheet, summary: SheetSummary) -> None:
        targets = self._locked(Target.objects.filter(kpi__in=self.kpis.values()))
        self._kpi_figures(
            sheet,
            summary,
            Target,
            {(t.kpi_id, t.starts): t for t in targets},
            keys=[
                (
                    "starts",
                    (read_period,),
                    "Enter the month the target is in force from, like Apr 2021.",
                )
            ],
            label=lambda code, starts: f"{code} from {periods.month_label(starts)}",
        )

    def _benchmarks(self, sheet: Sheet, summary: SheetSummary) -> None:
        benchmarks = self._locked(Benchmark.objects.filter(kpi__in=self.kpis.values()))
        self._kpi_figures(
            sheet,
            summary,
            Benchmark,
            {(b.kpi_id, b.comparator, b.period): b for b in benchmarks},
            keys=[
                (
                    "comparator",
                    (_choice, Benchmark.Comparator, _COMPARATOR_WORDS),
                    "Enter the comparator for this benchmark.",
                ),
                ("period", (read_period,), "Enter the period for this benchmark."),
            ],
            label=lambda code, comparator, period: (
                f"{code} {Benchmark.Comparator(comparator).label} {periods.month_label(period)}"
            ),
            required="value",
        )

    def _kpi_figures(self, sheet, summary, model, existing, *, keys, label, required=None):
        """Plan a sheet of a KPI's figures found by KPI and ``keys``: Targets or Benchmarks.

        ``keys`` are (column key, (reader, *arguments), the message when it
        is empty); ``existing`` maps (KPI id, *key values) to stored rows;
        ``required`` names a field a new row must have. Every other column is
        a figure in the KPI's units, except the source, which is text.
        """
        noun = model._meta.verbose_name
        seen: dict[tuple, int] = {}
        for number, cells in sheet.rows:
            given = self._cells(sheet, cells)
            if not given:
                continue
            row = _Row(self, sheet, number)
            kpi = self.kpi(row, "kpi", given.pop("kpi")) if "kpi" in given else None
            found = [
                row.read(name, given.pop(name), reader, *arguments) if name in given else None
                for name, (reader, *arguments), _ in keys
            ]
            # Ask for a missing key only when nothing in the row is wrong already.
            asks = [("kpi", f"Enter the KPI code for this {noun}.")]
            asks += [(name, missing) for name, _, missing in keys]
            for (name, missing), value in zip(asks, [kpi, *found], strict=True):
                if value is None and not row.rejected:
                    row.reject(name, missing)
            if row.rejected:
                summary.rejected += 1
                continue
            key = (kpi.code, *found)
            title = label(*key)
            if key in seen:
                row.reject(keys[-1][0], f"{title} is already on row {seen[key]}: keep one row.")
                summary.rejected += 1
                continue
            seen[key] = number
            values = {}
            for name, raw in given.items():
                if name == "source":
                    values[name] = row.read(name, raw, read_text)
                    continue
                figure = row.read(name, raw, read_figure, kpi)
                if figure is not None:
                    if problem := kpi.value_problems(figure).get("value"):
                        row.reject(name, problem)
                    values[name] = figure
            current = existing.get((kpi.pk, *found)) if kpi.pk else None
            if required and current is None and required not in values and not row.rejected:
                row.reject(required, f"{title} is new: enter its {required}.")
            self._remember(model._meta.model_name, key, _state_of(current))
            change = self._plan_simple(
                row,
                summary,
                model,
                current,
                values,
                title,
                {"kpi": kpi.code},
                {name: value for (name, _, _), value in zip(keys, found, strict=True)},
                ["kpi"],
            )
            if change is not False:
                self._record(summary, change)

    def _plan_simple(self, row, summary, model, current, values, label, refs, key_values, exclude):
        """Plan a create or update of a Target or Benchmark; False when the row is rejected."""
        if row.rejected:
            summary.rejected += 1
            return False
        if current is None:
            candidate = model(**key_values, **values)
            change = Change(
                row.sheet.kind, row.number, label, model, None, {**key_values, **values}, {}, refs
            )
        else:
            candidate, old = self._update(current, values)
            if not old:
                return None
            change = Change(
                row.sheet.kind,
                row.number,
                label,
                model,
                current.pk,
                {k: values[k] for k in old},
                old,
                refs,
                candidate,
            )
        self._validate(row, candidate, exclude)
        if row.rejected:
            summary.rejected += 1
            return False
        return change

    # Actuals: the one sheet that may hold a hundred thousand figures.

    def _actuals(self, sheet: Sheet, summary: SheetSummary) -> None:
        codes = set()
        code_column = sheet.columns["kpi"]
        for _, cells in sheet.rows:
            raw = cells.get(code_column)
            if raw is not None and not is_blank(raw):
                try:
                    code = read_code(raw)
                except CellProblem:
                    continue
                codes.add(self.folded.get(code.casefold(), code))
        ids = [self.kpis[c].pk for c in codes if c in self.kpis]
        # KPI id -> month -> (pk, version, value, numerator, ...) of the stored figures.
        self.actuals: dict[int, dict[datetime.date, tuple]] = defaultdict(dict)
        self.history_high: dict[int, bool] = {}
        if ids:
            queryset = Actual.objects.filter(kpi_id__in=ids).order_by()
            rows = self._locked(queryset).values_list(
                "kpi_id", "period", "pk", "version", *_ACTUAL_FIELDS
            )
            for record in rows.iterator(chunk_size=BATCH):
                self.actuals[record[0]][record[1]] = record[2:]
                if record[4] > 1:
                    self.history_high[record[0]] = True
        self.seen_actuals: dict[tuple[str, datetime.date], str] = {}
        self.period_ok: dict[tuple, bool] = {}
        self.month_ok: dict[tuple, dict[datetime.date, bool]] = {}
        self.plain_figures: dict[tuple, dict[float | int, Decimal | bool]] = {}
        self.period_problems: dict[tuple[str, datetime.date], str | None] = {}
        if sheet.layout == "wide":
            self._wide_actuals(sheet, summary)
        else:
            self._long_actuals(sheet, summary)

    def _wide_actuals(self, sheet: Sheet, summary: SheetSummary) -> None:
        code_column = sheet.columns["kpi"]
        wide = sheet.wide
        for number, cells in sheet.rows:
            filled = [
                (c, v)
                for c, v in cells.items()
                if c in wide and (type(v) is not str or not is_blank(v))
            ]
            if not filled:
                continue
            row = _Row(self, sheet, number)
            raw_code = cells.get(code_column)
            kpi = None
            if raw_code is None or is_blank(raw_code):
                row.reject("kpi", "Enter the KPI code for this row of figures.")
            else:
                kpi = self.kpi(row, "kpi", raw_code)
            if kpi is None:
                summary.rejected += len(filled)
                continue
            self._wide_row(row, summary, kpi, filled)

    def _wide_row(self, row: _Row, summary: SheetSummary, kpi: Kpi, filled: list) -> None:
        """Plan a wide row's figures, the plain ones here and the rest by _actual.

        A figure takes the short way only when _actual would make exactly
        this decision: a number (not text, a percentage or an error) within
        range, not already given, and either equal to the stored value
        (unchanged) or a new figure that passes the period, value and lock
        checks with no warning. Anything else goes to _actual untouched, so
        its messages stay in one place.
        """
        wide = row.sheet.wide
        seen = self.seen_actuals
        stored = self.actuals.get(kpi.id, {})
        state = self.state
        changes = self.plan.changes
        code, number = kpi.code, row.number
        # Whether each month may be recorded depends only on these two of the KPI's fields.
        ok = self.month_ok.setdefault((kpi.frequency, kpi.reporting_from), {})
        locked_through = self.locked_through
        allow_locked = self.allow_locked
        # A plain number's figure, and whether Kpi.value_problems passes it,
        # depend only on the number and these two of the KPI's fields: real
        # trackers repeat the same figures endlessly, so each is read once.
        figures = self.plain_figures.setdefault((kpi.unit, kpi.decimal_places), {})
        frequency = kpi.frequency
        for column, raw in filled:
            period = wide[column]
            key = (code, period)
            kind = type(raw)
            if key in seen or (kind is not float and kind is not int):
                self._actual(row, summary, kpi, period, {"value": (column, raw)})
                continue
            value = figures.get(raw)
            if value is None:
                value = figures[raw] = _plain_figure(kpi, raw)
            if value is False:
                self._actual(row, summary, kpi, period, {"value": (column, raw)})
                continue
            current = stored.get(period)
            if current is not None:
                if current[2] != value:
                    self._actual(row, summary, kpi, period, {"value": (column, raw)})
                    continue
                seen[key] = (number, column)
                if state is not None:
                    self._remember("actual", key, current)
                summary.unchanged += 1
                continue
            period_ok = ok.get(period)
            if period_ok is None:
                period_ok = ok[period] = kpi.period_problem(period, today=self.today) is None
            locked = locked_through is not None and period <= locked_through
            if not period_ok or (locked and not allow_locked):
                self._actual(row, summary, kpi, period, {"value": (column, raw)})
                continue
            seen[key] = (number, column)
            if state is not None:
                self._remember("actual", key, None)
            refs = {"kpi": code, "period": period, "frequency": frequency}
            changes.append(
                Change(ACTUALS, number, "", Actual, None, {"value": value}, {}, refs, locked=locked)
            )
            summary.new += 1

    def _long_actuals(self, sheet: Sheet, summary: SheetSummary) -> None:
        columns = sheet.columns
        for number, cells in sheet.rows:
            given = {
                key: (column, cells[column])
                for key, column in columns.items()
                if column in cells and not is_blank(cells[column])
            }
            if not any(key in given for key in _ACTUAL_FIELDS):
                continue
            row = _Row(self, sheet, number)
            kpi = self.kpi(row, "kpi", given.pop("kpi")[1]) if "kpi" in given else None
            period = (
                row.read("period", given.pop("period")[1], read_period)
                if "period" in given
                else None
            )
            if kpi is None and not row.rejected:
                row.reject("kpi", "Enter the KPI code for this figure.")
            if period is None and not row.rejected:
                row.reject("period", f"Enter the period of this figure: {_PERIOD_HELP}.")
            if row.rejected:
                summary.rejected += 1
                continue
            self._actual(row, summary, kpi, period, given)

    def _actual(
        self,
        row: _Row,
        summary: SheetSummary,
        kpi: Kpi,
        period: datetime.date,
        given: dict[str, tuple[int, object]],
    ) -> None:
        """Plan one figure: ``given`` maps field to (column, cell) for its non-blank cells.

        Run up to a hundred thousand times per import, so it keeps to the
        essentials: read the cells, compare with the stored figure, and ask
        the KPI about the period and the value only when something changes.
        """
        rejections = self.plan.rejections
        before = len(rejections)
        key = (kpi.code, period)
        if key in self.seen_actuals:
            row.reject(
                given.get("value", next(iter(given.values())))[0],
                f"{self._label(kpi, period)} is already given at "
                f"{self._where(self.seen_actuals[key])}: keep one.",
            )
            summary.rejected += 1
            return
        self.seen_actuals[key] = (row.number, given["value"][0] if "value" in given else None)
        new = {}
        for name, (column, raw) in given.items():
            try:
                new[name] = read_text(raw) if name in _ACTUAL_TEXT else read_figure(raw, kpi)
            except CellProblem as problem:
                row.reject(column, str(problem))
                continue
            limit = _ACTUAL_LENGTHS.get(name)
            if limit and len(new[name]) > limit:
                row.reject(column, f"Shorten this to {limit} characters or fewer.")
        if len(rejections) > before:
            summary.rejected += 1
            return
        # kpi.id, not kpi.pk: this line runs per figure and pk is a property.
        current = self.actuals.get(kpi.id, {}).get(period)
        if self.state is not None:
            self._remember("actual", key, current)
        if current is None:
            # current: (pk, version, value, numerator, denominator, texts..., source)
            merged, changed = new, None
            if "value" not in new and new.get("numerator") is not None and new.get("denominator"):
                merged["value"] = kpi.value_from_ratio(new["numerator"], new["denominator"])
        else:
            merged = dict(zip(_ACTUAL_FIELDS, current[2:], strict=True))
            changed = {}
            for name, value in new.items():
                if not _same(merged[name], value):
                    changed[name] = merged[name]
                    merged[name] = value
            if (
                "value" not in new
                and ("numerator" in changed or "denominator" in changed)
                and merged["numerator"] is not None
                and merged["denominator"]
            ):
                # New counts and no value given: the value follows the counts.
                value = kpi.value_from_ratio(merged["numerator"], merged["denominator"])
                if not _same(merged["value"], value):
                    changed.setdefault("value", merged["value"])
                    merged["value"] = value
            if not changed:
                summary.unchanged += 1
                return
        value = merged.get("value")
        column = given["value"][0] if "value" in given else next(iter(given.values()))[0]
        if value is None:
            row.reject(
                column,
                f"{self._label(kpi, period)} is a new figure: enter its value (or numerator and "
                "denominator).",
            )
        if problem := self._period_problem(kpi, period):
            row.reject(given["period"][0] if "period" in given else column, problem)
        problems = kpi.value_problems(value, merged.get("numerator"), merged.get("denominator"))
        for name, message in problems.items():
            if name == "value" and kpi.unit == Kpi.Unit.PERCENT and 0 < value <= 1:
                message += (
                    f" If {_plain(value)} is a fraction, the percentage is "
                    f"{_plain(value * 100)}: type that, or format the cell as a percentage."
                )
            row.reject(given[name][0] if name in given else column, message)
        locked = self.locked_through is not None and PeriodLock.is_locked(
            period, self.locked_through
        )
        if locked and not self.allow_locked and len(rejections) == before:
            row.reject(
                given["period"][0] if "period" in given else column,
                f"{kpi.period_label(period)} is locked (months up to "
                f"{periods.month_label(self.locked_through)} are closed): give a reason for "
                "changing locked months, or remove this figure.",
                locked=True,
            )
        if len(rejections) > before:
            summary.rejected += 1
            return
        if (
            (changed is None or "value" in changed)
            and 0 < value <= 1
            and kpi.unit == Kpi.Unit.PERCENT
            and self.history_high.get(kpi.id)
        ):
            row.warn(
                column,
                f"{self._label(kpi, period)} is {_plain(value)}, but {kpi.code}'s earlier "
                f"figures are above 1: if this is a fraction, the percentage is "
                f"{_plain(value * 100)}. Type {_plain(value * 100)}, or format the cell as a "
                "percentage.",
            )
        refs = {"kpi": kpi.code, "period": period, "frequency": kpi.frequency}
        if changed is None:
            change = Change(ACTUALS, row.number, "", Actual, None, merged, {}, refs, locked=locked)
            summary.new += 1
        else:
            change = Change(
                ACTUALS, row.number, "", Actual, current[0], merged, changed, refs,
                version=current[1], locked=locked,
            )  # fmt: skip
            summary.changed += 1
        self.plan.changes.append(change)

    def _period_problem(self, kpi: Kpi, period: datetime.date) -> str | None:
        # The answer depends only on these three, and a wide sheet asks it
        # for every KPI in every month column: ask the KPI once per month.
        key = (kpi.frequency, kpi.reporting_from, period)
        if key not in self.period_ok:
            self.period_ok[key] = kpi.period_problem(period, today=self.today) is None
        return None if self.period_ok[key] else kpi.period_problem(period, today=self.today)

    def _label(self, kpi: Kpi, period: datetime.date) -> str:
        return f"{kpi.code} {kpi.period_label(period)}"

    def _where(self, seen: tuple[int, int | None]) -> str:
        number, column = seen
        return f"row {number}" + (f" column {get_column_letter(column)}" if column else "")

    # Actions, in the shape of the SEND Written Statement of Action.

    def _actions(self, sheet: Sheet, summary: SheetSummary) -> None:
        plans = list(Plan.objects.all())
        plan_by = {_heading(p.slug): p for p in plans} | {_heading(p.title): p for p in plans}
        areas = list(PriorityArea.objects.select_related("responsible_officer"))
        for plan in plans:
            self._remember("plan", plan.pk, plan.slug, plan.title)
        for area in areas:
            self._remember("area", _state_of(area))
        area_by_number = {(a.plan_id, a.number): a for a in areas}
        area_by_title = {(a.plan_id, _heading(a.title)): a for a in areas}
        actions = list(self._locked(Action.objects.select_related("owner")))
        by_ref = {(a.area_id, a.ref.casefold()): a for a in actions}
        by_text: dict[tuple[int, str], list[Action]] = defaultdict(list)
        next_ref: dict[int, int] = defaultdict(int)
        for action in actions:
            by_text[(action.area_id, _heading(action.description))].append(action)
            if action.ref.isdigit():
                next_ref[action.area_id] = max(next_ref[action.area_id], int(action.ref))
        seen: dict[tuple, int] = {}
        for number, cells in sheet.rows:
            given = self._cells(sheet, cells)
            if not given:
                continue
            row = _Row(self, sheet, number)
            plan = area = None
            if "plan" in given:
                name = row.read("plan", given.pop("plan"), read_text)
                plan = plan_by.get(_heading(name or ""))
                if name and plan is None:
                    known = ", ".join(p.slug for p in plans)
                    row.reject("plan", f"There is no plan {name!r}: use one of {known}.")
            elif not row.rejected:
                row.reject("plan", "Enter the plan for this action.")
            if "area" in given and plan is not None:
                area = self._area(row, given.pop("area"), plan, area_by_number, area_by_title)
            elif plan is not None:
                row.reject("area", "Enter the priority area's number for this action.")
            if row.rejected:
                summary.rejected += 1
                continue
            ref = row.read("ref", given.pop("ref"), read_code) if "ref" in given else None
            text = (
                row.read("description", given["description"], read_text)
                if "description" in given
                else None
            )
            current = None
            if ref:
                current = by_ref.get((area.pk, ref.casefold()))
            elif text:
                matches = by_text.get((area.pk, _heading(text)), [])
                if len(matches) > 1:
                    row.reject(
                        "description", "Several actions in this area have this text: give the Ref."
                    )
                current = matches[0] if matches else None
            else:
                row.reject("description", "Enter the action, or its Ref.")
            if row.rejected:
                summary.rejected += 1
                continue
            if current is not None:
                ref = current.ref
            elif not ref:
                next_ref[area.pk] += 1
                ref = str(next_ref[area.pk])
            key = (area.pk, ref.casefold())
            label = f"{plan.slug} area {area.number} action {ref}"
            if key in seen:
                row.reject(
                    "ref" if "ref" in sheet.columns else "description",
                    f"Action {ref} of area {area.number} is already on row {seen[key]}.",
                )
                summary.rejected += 1
                continue
            seen[key] = number
            values = self._action_values(row, given, area, current)
            if text is not None:
                values["description"] = text
            self._remember("action", key, _state_of(current))
            if row.rejected:
                summary.rejected += 1
                continue
            if current is None:
                if not values.get("description"):
                    row.reject("description", f"Action {ref} is new: enter what will be done.")
                    summary.rejected += 1
                    continue
                candidate = Action(area=area, ref=ref, **values)
                change = Change(
                    ACTIONS, number, label, Action, None, {"ref": ref, **values}, {}, {"area": area}
                )
            else:
                candidate, old = self._update(current, values)
                if not old:
                    self._record(summary, None)
                    continue
                change = Change(
                    ACTIONS,
                    number,
                    label,
                    Action,
                    current.pk,
                    {k: values[k] for k in old},
                    old,
                    {},
                    candidate,
                )
            self._validate(row, candidate, ["area", "owner"])
            if row.rejected:
                summary.rejected += 1
                continue
            self._record(summary, change)

    def _area(self, row, raw, plan, by_number, by_title) -> PriorityArea | None:
        text = row.read("area", raw, read_text)
        if text is None:
            return None
        match = re.match(r"^(\d+)\s*(?:[.):\-]|$)", text)
        area = (
            by_number.get((plan.pk, int(match[1])))
            if match
            else by_title.get((plan.pk, _heading(text)))
        )
        if area is None:
            row.reject(
                "area",
                f"Plan {plan.slug} has no priority area {text!r}: give the area's number (1, 2, "
                "...) as listed under Priority areas in the admin.",
            )
        return area

    def _action_values(self, row: _Row, given: dict, area, current: Action | None) -> dict:
        values = {}
        for key in ("expected_outputs", "evidence_of_impact"):
            if key in given:
                values[key] = row.read(key, given[key], read_text)
        if "owner" in given:
            values["owner"] = self.officer(row, "owner", given["owner"])
        if "sro" in given:
            name = row.read("sro", given["sro"], read_text)
            officer = self.officers.get(_heading(name or ""))
            responsible = area.responsible_officer
            if name and (officer is None or officer != responsible):
                row.warn(
                    "sro",
                    f"The senior responsible officer is recorded on the priority area "
                    f"({responsible or 'none'}), so {name!r} is not imported: change the area "
                    "in the admin if it has changed.",
                )
        if "status" in given:
            values["status"] = row.read(
                "status", given["status"], _choice, Action.Status, _STATUS_WORDS
            )
            if (
                current is not None
                and current.completed_date
                and values["status"] not in (None, Action.Status.COMPLETED)
            ):
                row.reject(
                    "status",
                    f"This action was completed on {current.completed_date:%d %b %Y}: to reopen "
                    "it, clear its completed date in the admin first.",
                )
        for key in ("original_delivery_date", "current_delivery_date"):
            if key not in given:
                continue
            parsed = row.read(key, given[key], read_date)
            if parsed is None:
                continue
            day, month_only = parsed
            stored = getattr(current, key) if current else None
            if stored and month_only and (stored.year, stored.month) == (day.year, day.month):
                day = stored  # "Oct-19" agrees with any day in October 2019.
            if key == "original_delivery_date" and stored and day != stored:
                row.reject(
                    key,
                    f"The original delivery date is never changed (it is {stored:%d %b %Y}; the "
                    f"file says {day:%d %b %Y}). Put the new date in Current delivery date.",
                )
                continue
            values[key] = day
        return values


def _whole(number: Decimal, what: str) -> int:
    if number != number.to_integral_value():
        raise CellProblem(f"{what} must be a whole number.")
    return int(number)


def _state_of(instance: models.Model | None):
    if instance is None:
        return None
    return tuple(getattr(instance, f.attname) for f in instance._meta.concrete_fields)


def plan_workbook(
    book: Book,
    *,
    reason: str = "",
    today: datetime.date | None = None,
    lock: bool = False,
    fingerprint: bool = False,
    allow_locked: bool = False,
) -> ImportPlan:
    """What importing the workbook would change, without writing anything.

    A change to a locked month is rejected unless there is a ``reason``;
    ``allow_locked`` plans it anyway, flagged, for a preview that asks for
    the reason at confirmation. ``lock`` locks the rows read (use it inside
    the transaction that applies the plan). With ``fingerprint`` the plan
    carries a hash of the database rows it read, so a later confirm can tell
    whether anything changed since.
    """
    return _Planner(
        book,
        reason=reason,
        today=today or timezone.localdate(),
        lock=lock,
        fingerprint=fingerprint,
        allow_locked=allow_locked,
    ).run()


def preview(
    data: bytes, *, reason: str = "", fingerprint: bool = False, allow_locked: bool = False
) -> ImportPlan:
    """Read and plan a file. Raises WorkbookRefused when the file itself is refused."""
    with collector_paused():
        return plan_workbook(
            read_workbook(data), reason=reason, fingerprint=fingerprint, allow_locked=allow_locked
        )


@contextmanager
def collector_paused():
    """Run an import without Python's cycle collector, and restore it after.

    A large import makes a few hundred thousand small objects (cells,
    figures, changes) and keeps them until it ends. None of them form
    cycles, yet the collector would sweep them over and over as they pile
    up, which costs about a fifth of the import's time. Memory is still
    freed as usual by reference counting. The switch is process-wide, so in
    a threaded server other requests also go without the collector for the
    second or so an import takes; gunicorn's default workers run one request
    at a time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Applying ---------------------------------------------------------------------


def change_reason(run_id: int | None, reason: str) -> str:
    # simple_history keeps 100 characters of a change reason.
    prefix = f"Workbook import {run_id}" if run_id else "Workbook import"
    return (f"{prefix}: {reason.strip()}" if reason.strip() else prefix)[:100]


def apply_plan(plan: ImportPlan, *, user=None, run_id: int | None = None) -> None:
    """Write every change in the plan, with history. Call it inside transaction.atomic()."""
    if plan.rejections:
        raise ValueError("A plan with rejected rows cannot be applied.")
    if not connection.in_atomic_block:
        raise RuntimeError("apply_plan must run inside transaction.atomic().")
    reason = change_reason(run_id, plan.reason)
    by_model: dict[type, list[Change]] = defaultdict(list)
    for change in plan.changes:
        by_model[change.model].append(change)
    codes = {}
    for model in (Kpi, Target, Benchmark, Action):
        _write_with_history(model, by_model.get(model, []), codes, user=user, reason=reason)
        if model is Kpi:
            codes = dict(Kpi.objects.values_list("code", "pk"))
    if by_model.get(Actual):
        _write_actuals(by_model[Actual], codes, user=user, reason=reason)


def _write_with_history(model, changes: list[Change], codes: dict, *, user, reason) -> None:
    """Create and update the rows of a small sheet with simple_history's bulk helpers."""
    now = timezone.now()
    new = []
    for change in changes:
        if not change.is_new:
            continue
        values = dict(change.values)
        if "kpi" in change.refs:
            values["kpi_id"] = codes[change.refs["kpi"]]
        if "area" in change.refs:
            values["area"] = change.refs["area"]
        new.append(model(**values))
    if new:
        bulk_create_with_history(
            new,
            model,
            batch_size=500,
            default_user=user,
            default_change_reason=reason,
            default_date=now,
        )
    updated = [change.instance for change in changes if not change.is_new]
    fields = sorted({key for change in changes if not change.is_new for key in change.old})
    if updated:
        if any(f.name == "version" for f in model._meta.concrete_fields):
            # bulk_update skips save(), which is what moves the version on.
            for instance in updated:
                instance.version += 1
            fields.append("version")
        bulk_update_with_history(
            updated,
            model,
            fields,
            batch_size=500,
            default_user=user,
            default_change_reason=reason,
            default_date=now,
        )


def _write_actuals(changes: list[Change], codes: dict, *, user, reason: str) -> None:
    """Create and update actuals with history, a few statements per hundred thousand rows.

    The ORM's bulk_create and simple_history's bulk helpers build a model
    object per row and per history row, which makes a hundred thousand
    figures take over ten seconds. Here new rows go in a few large
    statements and updates in batches; history rows are then copied from the
    rows just written by INSERT ... SELECT over every field the history model
    tracks, so no figure escapes the change history. Versions move on as
    Actual.save() would move them, and an update whose version changed since
    planning is refused as stale.
    """
    ops = connection.ops
    now = timezone.now()
    user_id = getattr(user, "pk", None)
    history = {"now": now, "user_id": user_id, "reason": reason}
    created = [c for c in changes if c.is_new]
    updated = [c for c in changes if not c.is_new]
    data_fields = [Actual._meta.get_field(name) for name in _ACTUAL_FIELDS]
    adapters = [(f.name, _adapter(f)) for f in data_fields]
    with connection.cursor() as cursor:
        if created:
            _insert_actuals(cursor, created, codes, user_id=user_id, now=now, history=history)
        update = (
            f"UPDATE {ops.quote_name(Actual._meta.db_table)} SET "
            + ", ".join(f"{ops.quote_name(f.column)} = %s" for f in data_fields)
            + f", {ops.quote_name('updated_by_id')} = %s, {ops.quote_name('updated_at')} = %s"
            + f", {ops.quote_name('version')} = {ops.quote_name('version')} + 1"
            + f" WHERE {ops.quote_name('id')} = %s AND {ops.quote_name('version')} = %s"
        )
        stamp = ops.adapt_datetimefield_value(now)
        for batch in _batches(updated):
            rows = [
                [adapt(change.values[name]) for name, adapt in adapters]
                + [user_id, stamp, change.pk, change.version]
                for change in batch
            ]
            cursor.executemany(update, rows)
            if cursor.rowcount not in (-1, len(rows)):
                raise StaleImport()
            _copy_history(cursor, [change.pk for change in batch], "~", **history)


def _insert_actuals(cursor, created: list[Change], codes: dict, *, user_id, now, history) -> None:
    """Insert new actuals, binding per row only the fields that differ between rows.

    Rows are grouped by the fields the sheet gave. Everything else in a row
    (empty commentary, who and when, version 1) is the same for the whole
    group, so it is bound once per statement and each row binds only its
    KPI, month and given fields: INSERT ... SELECT column1, ..., %s FROM
    (VALUES (...), ...). A plain sheet of figures binds three parameters a
    row instead of twelve, which is most of the time the database spends.
    """
    ops = connection.ops
    fields = [f for f in Actual._meta.concrete_fields if not f.primary_key]
    constant = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
    constant.update(updated_by_id=user_id, updated_at=ops.adapt_datetimefield_value(now), version=1)
    table = ops.quote_name(Actual._meta.db_table)
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    # SQLite has one writer at a time, so the rows this transaction adds are
    # exactly those above the highest id it starts from. PostgreSQL returns
    # each statement's new ids instead. (Both name the columns of a VALUES
    # list column1, column2 ...; the project supports no other database.)
    by_range = connection.vendor == "sqlite"
    if by_range:
        cursor.execute(f"SELECT MAX({ops.quote_name('id')}) FROM {table}")
        before = cursor.fetchone()[0] or 0
    groups: dict[tuple, list[Change]] = defaultdict(list)
    for change in created:
        groups[tuple(change.values)].append(change)
    months: dict[datetime.date, object] = {}
    for given, group in groups.items():
        varying = ["kpi_id", "period", *given]
        adapters = [(name, _adapter(Actual._meta.get_field(name))) for name in given]
        selected, params = [], []
        for f in fields:
            if f.attname in varying:
                selected.append(f"column{varying.index(f.attname) + 1}")
            else:
                selected.append("%s")
                params.append(constant[f.attname])
        head = f"INSERT INTO {table} ({columns}) SELECT {', '.join(selected)} FROM (VALUES "
        one_row = f"({', '.join(['%s'] * len(varying))})"
        returning = "" if by_range else " " + ops.return_insert_columns([Actual._meta.pk])[0]
        # Every full batch is the same statement, which the driver then
        # prepares once: one giant statement would cost more to compile than
        # its rows take to write.
        per_statement = max(
            1, min(ROWS_PER_INSERT, (_parameter_limit() - len(params)) // len(varying))
        )
        for batch in _batches(group, per_statement):
            values = params.copy()
            for change in batch:
                period = change.refs["period"]
                month = months.get(period)
                if month is None:
                    month = months[period] = ops.adapt_datefield_value(period)
                values += (codes[change.refs["kpi"]], month)
                values += [adapt(change.values[name]) for name, adapt in adapters]
            cursor.execute(
                f"{head}{', '.join([one_row] * len(batch))}) AS given{returning}", values
            )
            if not by_range:
                ids = [record[0] for record in cursor.fetchall()]
                if len(ids) != len(batch):
                    raise StaleImport()
                _copy_history(cursor, ids, "+", **history)
    if by_range:
        pk = ops.quote_name("id")
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {pk} > %s", [before])
        if cursor.fetchone()[0] != len(created):
            raise StaleImport()
        head, params = _history_insert("+", **history)
        cursor.execute(f"{head}{pk} > %s", [*params, before])


def _adapter(field: models.Field):
    """A function giving a value as the database driver takes it, as the ORM would."""
    if isinstance(field, models.DecimalField):
        adapt, digits, places = (
            connection.ops.adapt_decimalfield_value,
            field.max_digits,
            field.decimal_places,
        )
        return lambda value: None if value is None else adapt(value, digits, places)
    return lambda value: value


def _batches(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _parameter_limit() -> int:
    """How many parameters one statement may carry on this database."""
    if connection.vendor == "sqlite":
        # Django assumes SQLite's old default of 999; ask the library itself.
        getlimit = getattr(connection.connection, "getlimit", None)
        if getlimit is not None:
            import sqlite3

            return getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 65535


def _history_insert(history_type: str, *, now, user_id, reason) -> tuple[str, list]:
    """INSERT ... SELECT copying actuals into their history, up to the WHERE."""
    history = Actual.history.model
    ops = connection.ops
    tracked = {f.attname for f in history.tracked_fields}
    columns, selects, params = [], [], []
    extra = {
        "history_date": ops.adapt_datetimefield_value(now),
        "history_user_id": user_id,
        "history_change_reason": reason,
        "history_type": history_type,
    }
    for f in history._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(ops.quote_name(f.column))
        if f.attname in tracked:
            selects.append(ops.quote_name(f.column))
        elif f.attname in extra:
            selects.append("%s")
            params.append(extra[f.attname])
        else:
            selects.append("%s")
            params.append(f.get_db_prep_save(f.get_default(), connection))
    table = ops.quote_name(Actual._meta.db_table)
    sql = (
        f"INSERT INTO {ops.quote_name(history._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(selects)} FROM {table} WHERE "
    )
    return sql, params


def _copy_history(cursor, ids: list[int], history_type: str, *, now, user_id, reason):
    """Add a history row for each of these actuals, copied from the row as it now stands.

    When the ids run without a gap (as a fresh INSERT's usually do) one
    range selects exactly them; otherwise they are listed.
    """
    if not ids:
        return
    head, params = _history_insert(history_type, now=now, user_id=user_id, reason=reason)
    ids = sorted(ids)
    pk = connection.ops.quote_name("id")
    if ids[-1] - ids[0] + 1 == len(ids):
        cursor.execute(f"{head}{pk} BETWEEN %s AND %s", [*params, ids[0], ids[-1]])
        return
    for batch in _batches(ids, max(1, _parameter_limit() - len(params))):
        cursor.execute(f"{head}{pk} IN ({', '.join(['%s'] * len(batch))})", [*params, *batch])


def commit(
    data: bytes,
    *,
    user=None,
    reason: str = "",
    expected_fingerprint: str = "",
    run_id: int | None = None,
) -> ImportPlan:
    """Read, plan and apply a file in one transaction; nothing is written unless all is clean.

    Returns the plan; if it has rejections nothing was written. With
    ``expected_fingerprint`` (from the preview) raises StaleImport when the
    rows the import reads changed since the preview.
    """
    with collector_paused():
        book = read_workbook(data)
        try:
            with transaction.atomic():
                plan = plan_workbook(
                    book, reason=reason, lock=True, fingerprint=bool(expected_fingerprint)
                )
                if expected_fingerprint and plan.fingerprint != expected_fingerprint:
                    raise StaleImport()
                if plan.rejections:
                    return plan
                apply_plan(plan, user=user, run_id=run_id)
        except DatabaseError as error:
            # Most likely a row written by someone else between planning and writing.
            raise StaleImport(
                "The database refused the import, so nothing was written: most likely someone "
                f"changed the same rows at the same moment ({type(error).__name__}). Preview "
                "the file again; if this happens again, tell the site administrator."
            ) from error
    return plan


# Import runs: the record every preview and import leaves -------------------------


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def start_run(
    *,
    data: bytes,
    file_name: str,
    user=None,
    via: str = ImportRun.Via.ADMIN,
    reason: str = "",
    apply: bool = False,
) -> tuple[ImportRun, ImportPlan | None]:
    """Preview (or, with ``apply``, import) a file and record the run.

    A preview from the admin keeps the file and a fingerprint of the rows it
    read, for ``confirm_run``. The plan is None when the file was refused.
    """
    run = ImportRun.objects.create(
        user=user if getattr(user, "pk", None) else None,
        via=via,
        file_name=file_name[:255],
        file_size=len(data),
        sha256=file_digest(data),
        reason=reason.strip()[:300],
    )
    keep = via == ImportRun.Via.ADMIN and not apply
    try:
        if apply:
            plan = commit(data, user=user, reason=reason, run_id=run.pk)
        else:
            plan = preview(data, reason=reason, fingerprint=keep, allow_locked=keep)
    except (WorkbookRefused, StaleImport) as refused:
        _finish(run, ImportRun.Outcome.REFUSED, str(refused))
        return run, None
    run.counts = plan.counts()
    run.report = plan.report()
    run.fingerprint = plan.fingerprint
    if plan.rejections:
        _finish(run, ImportRun.Outcome.REJECTED, _rejected_message(plan))
    elif apply:
        _finish(run, ImportRun.Outcome.APPLIED, f"{plan.change_count} change(s) applied.")
    elif keep:
        run.message = f"{plan.change_count} change(s) ready to apply."
        run.file_data = data
        run.save()
    else:
        _finish(run, ImportRun.Outcome.PREVIEWED, f"Preview only: {plan.change_count} change(s).")
    return run, plan


def _rejected_message(plan: ImportPlan) -> str:
    count = len(plan.rejections)
    return f"{count} problem{'' if count == 1 else 's'} found: nothing was written."


def confirm_run(run: ImportRun, *, user=None, reason: str = "") -> ImportPlan:
    """Apply a previewed run, re-reading the very bytes that were previewed.

    Raises StaleImport (and marks the run refused) when the data changed since
    the preview; returns the plan, with rejections if, say, a locked month
    still needs a reason (then nothing is written and the run stays open).
    """
    if run.outcome != ImportRun.Outcome.PREVIEWED or not run.file_data:
        raise StaleImport("This preview can no longer be confirmed: upload the file again.")
    if run.created_at < ImportRun.preview_cutoff():
        hours = settings.IMPORT_PREVIEW_HOURS
        _finish(
            run,
            ImportRun.Outcome.CANCELLED,
            f"Not confirmed within {hours} hours: nothing was written.",
        )
        raise StaleImport(
            f"This preview is more than {hours} hours old, so the data may have moved on: "
            "upload the file again to see a fresh preview."
        )
    data = bytes(run.file_data)
    if file_digest(data) != run.sha256:
        raise StaleImport("The stored file does not match its preview: upload the file again.")
    try:
        plan = commit(
            data, user=user, reason=reason, expected_fingerprint=run.fingerprint, run_id=run.pk
        )
    except (StaleImport, WorkbookRefused) as error:
        _finish(run, ImportRun.Outcome.REFUSED, str(error))
        raise StaleImport(str(error)) from error
    if plan.rejections:
        return plan
    run.reason = reason.strip()[:300]
    run.counts = plan.counts()
    run.report = plan.report()
    _finish(run, ImportRun.Outcome.APPLIED, f"{plan.change_count} change(s) applied.")
    return plan


def cancel_run(run: ImportRun) -> None:
    if run.is_pending:
        _finish(run, ImportRun.Outcome.CANCELLED, "Cancelled: nothing was written.")


def _finish(run: ImportRun, outcome: str, message: str) -> None:
    run.outcome, run.message, run.finished_at = outcome, message, timezone.now()
    run.file_data = None
    run.save()


def expire_previews(user) -> None:
    """Free the files of previews nobody will confirm, recording why.

    A new upload replaces the same user's earlier unconfirmed previews; any
    upload also ends everyone's previews older than IMPORT_PREVIEW_HOURS,
    which can no longer be confirmed.
    """
    waiting = ImportRun.objects.filter(outcome=ImportRun.Outcome.PREVIEWED, file_data__isnull=False)
    now = timezone.now()
    ended = {"file_data": None, "outcome": ImportRun.Outcome.CANCELLED, "finished_at": now}
    waiting.filter(user=user).update(
        message="Replaced by a later upload: nothing was written.", **ended
    )
    waiting.filter(created_at__lt=ImportRun.preview_cutoff()).update(
        message=f"Not confirmed within {settings.IMPORT_PREVIEW_HOURS} hours: nothing was written.",
        **ended,
    )


# The template -----------------------------------------------------------------


def _cell(sheet, value, number_format: str | None = None):
    if isinstance(value, str):
        value = escape_cell_text(value)
    elif isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    cell = WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    return cell


def _header(sheet, kind: str) -> None:
    specs = COLUMNS[kind]
    for index, spec in enumerate(specs, 1):
        sheet.column_dimensions[get_column_letter(index)].width = spec.width
    sheet.freeze_panes = "A2"
    row = []
    for spec in specs:
        cell = _cell(sheet, spec.header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        row.append(cell)
    sheet.append(row)


def _places_format(places: int) -> str:
    return "0" if places == 0 else "0." + "0" * places


MONTH_FORMAT = "mmm yyyy"
DATE_FORMAT = "dd/mm/yyyy"


def _text(value) -> str:
    return "" if value is None else str(value)


def build_template() -> bytes:
    """A workbook of the current data, in the layout the import reads.

    Uploading it again unchanged previews no changes.
    """
    book = Workbook(write_only=True)
    _instructions(book.create_sheet(INSTRUCTIONS))

    sheet = book.create_sheet(KPIS)
    _header(sheet, KPIS)
    for kpi in Kpi.objects.select_related("owner").order_by("code").iterator(chunk_size=BATCH):
        sheet.append(
            [
                _cell(sheet, kpi.code),
                _cell(sheet, kpi.title),
                _cell(sheet, kpi.unit),
                _cell(sheet, kpi.polarity),
                _cell(sheet, kpi.frequency),
                _cell(sheet, kpi.decimal_places),
                _cell(sheet, kpi.tolerance),
                _cell(sheet, kpi.tolerance_kind),
                _cell(sheet, kpi.owner.role_title if kpi.owner else None),
                _cell(sheet, kpi.numerator_label),
                _cell(sheet, kpi.denominator_label),
                _cell(sheet, kpi.reporting_from, MONTH_FORMAT),
                _cell(sheet, kpi.definition),
            ]
        )

    sheet = book.create_sheet(TARGETS)
    _header(sheet, TARGETS)
    targets = Target.objects.select_related("kpi").order_by("kpi__code", "starts")
    for target in targets.iterator(chunk_size=BATCH):
        number = _places_format(target.kpi.decimal_places)
        sheet.append(
            [
                _cell(sheet, target.kpi.code),
                _cell(sheet, target.starts, MONTH_FORMAT),
                _cell(sheet, target.value, number),
                _cell(sheet, target.lower, number),
                _cell(sheet, target.upper, number),
                _cell(sheet, target.source),
            ]
        )

    sheet = book.create_sheet(ACTUALS)
    _header(sheet, ACTUALS)
    actuals = Actual.objects.select_related("kpi").order_by("kpi__code", "period")
    for actual in actuals.iterator(chunk_size=BATCH):
        kpi = actual.kpi
        period = (
            _cell(sheet, kpi.period_label(actual.period))
            if kpi.is_quarterly
            else _cell(sheet, actual.period, MONTH_FORMAT)
        )
        sheet.append(
            [
                _cell(sheet, kpi.code),
                period,
                _cell(sheet, actual.value, _places_format(kpi.decimal_places)),
                _cell(sheet, actual.numerator, "0"),
                _cell(sheet, actual.denominator, "0"),
                _cell(sheet, actual.what_data_tells_us),
                _cell(sheet, actual.issues_and_risks),
                _cell(sheet, actual.evidence_of_impact),
                _cell(sheet, actual.source),
            ]
        )

    sheet = book.create_sheet(BENCHMARKS)
    _header(sheet, BENCHMARKS)
    benchmarks = Benchmark.objects.select_related("kpi").order_by(
        "kpi__code", "comparator", "period"
    )
    for benchmark in benchmarks.iterator(chunk_size=BATCH):
        sheet.append(
            [
                _cell(sheet, benchmark.kpi.code),
                _cell(sheet, benchmark.get_comparator_display()),
                _cell(sheet, benchmark.period, MONTH_FORMAT),
                _cell(sheet, benchmark.value, _places_format(benchmark.kpi.decimal_places)),
                _cell(sheet, benchmark.source),
            ]
        )

    sheet = book.create_sheet(ACTIONS)
    _header(sheet, ACTIONS)
    actions = Action.objects.select_related(
        "area__plan", "area__responsible_officer", "owner"
    ).order_by("area__plan__start", "area__plan__slug", "area__number", "ref")
    for action in actions.iterator(chunk_size=BATCH):
        area = action.area
        sheet.append(
            [
                _cell(sheet, area.plan.slug),
                _cell(sheet, area.number),
                _cell(sheet, action.ref),
                _cell(sheet, action.description),
                _cell(
                    sheet, _text(area.responsible_officer and area.responsible_officer.role_title)
                ),
                _cell(sheet, action.owner.role_title if action.owner else None),
                _cell(sheet, action.original_delivery_date, DATE_FORMAT),
                _cell(sheet, action.current_delivery_date, DATE_FORMAT),
                _cell(sheet, action.expected_outputs),
                _cell(sheet, action.get_status_display()),
                _cell(sheet, action.evidence_of_impact),
            ]
        )

    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _instructions(sheet) -> None:
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 100
    lines: list[tuple[str, str]] = [
        ("Importing this workbook", ""),
        (
            "",
            "Change what you need, then upload the workbook on the data admin's Import "
            "workbook page. You see every change before anything is saved, and the import "
            "saves all of it or none of it.",
        ),
        (
            "",
            "An empty cell changes nothing: the import never deletes. n/a and - count as "
            "empty. Sheets you do not need can be deleted.",
        ),
        (
            "",
            "Months can be written Aug 2021, Aug-21, 2021-08, 01/08/2021 (day first) or as "
            "a date; quarters as Q2 2021/22 (stored on the quarter's last month).",
        ),
        ("", "Percentages: type 90.3, or 90.3%, or 0.903 in a cell formatted as a percentage."),
        (
            "",
            "Actuals can also be laid out wide: a KPI code column, then one column per "
            "month or quarter (headed Aug 2021, Q2 2021/22, ...), one row per KPI. Columns "
            "headed Title, Unit, Owner, Target or Notes are skipped.",
        ),
        (
            "",
            "Actions are matched on plan, area number and Ref (or, with no Ref, on the "
            "action text within the area). The original delivery date is never changed.",
        ),
        ("", "Months that are locked after a board meeting can only be changed with a reason."),
        (
            "",
            "Text starting with = + - or @ is shown with a leading ' so it is never run as a "
            "formula; the import removes it again.",
        ),
        ("", ""),
    ]
    for kind in SHEETS:
        lines.append((f"Sheet {kind}", ""))
        for spec in COLUMNS[kind]:
            required = " (required)" if spec.required else ""
            lines.append((spec.header + required, spec.note))
        lines.append(("", ""))
    lines += [
        ("Allowed words", ""),
        ("Unit", ", ".join(Kpi.Unit.values)),
        ("Polarity", ", ".join(Kpi.Polarity.values)),
        ("Frequency", ", ".join(Kpi.Frequency.values)),
        ("Tolerance kind", ", ".join(Kpi.ToleranceKind.values)),
        ("Comparator", ", ".join(Benchmark.Comparator.labels)),
        ("Status", ", ".join(Action.Status.labels)),
    ]
    for first, second in lines:
        cell = _cell(sheet, first)
        if first and not second:
            cell.font = Font(bold=True)
        text = _cell(sheet, second)
        text.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.append([cell, text])
