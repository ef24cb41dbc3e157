"""Writing a workbook's cells: text never a formula, numbers as numbers in their KPI's format.

Every value the Excel files write passes through ``Sheet.add``: text through
``metrics.importer.escape_cell_text`` (as the import template and the CSVs
do), figures as numbers rounded to their KPI's decimal places, dates as dates.
"""

import datetime
import io
import math
import re
from collections.abc import Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from metrics import display, rag
from metrics.importer import escape_cell_text
from metrics.models import Kpi

CREATOR = "Dudley children's services improvement"
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
DATE_FORMAT = "d mmm yyyy"
LINE_HEIGHT = 15  # points: one line of wrapped text

# Units whose figures run into thousands: written with a thousands separator.
_GROUPED = {Kpi.Unit.COUNT, Kpi.Unit.FTE, Kpi.Unit.RATE_PER_10000, Kpi.Unit.NUMBER}
# Characters Excel refuses in a sheet's name, and its longest name.
_NOT_IN_NAMES = re.compile(r"[\[\]:*?/\\]")
_NAME_LENGTH = 31


def number_format(unit: str, places: int) -> str:
    """A KPI's figures as Excel shows them: percentages stored as 90.3, shown "90.3%"."""
    decimals = "." + "0" * places if places > 0 else ""
    shown = ("#,##0" if unit in _GROUPED else "0") + decimals
    return shown + '"%"' if unit == Kpi.Unit.PERCENT else shown


def kpi_format(kpi: Kpi) -> str:
    return number_format(kpi.unit, kpi.decimal_places)


class Figure:
    """A KPI's figure for a cell: rounded to its places, in its format."""

    def __init__(self, value: Decimal | None, kpi: Kpi):
        self.value = None if value is None else rag.quantize(value, kpi.decimal_places)
        self.format = kpi_format(kpi)


def cell_value(value):
    """What a cell holds: escaped text, a number (never a Decimal), a date, or nothing."""
    if isinstance(value, str):
        return escape_cell_text(value) or None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def target_value(target: rag.Step | None, kpi: Kpi):
    """A target in force as a figure; a band or a neutral KPI's reference level in words."""
    if target is None:
        return "None set"
    if target.is_band or kpi.polarity == rag.NEUTRAL:
        return display.step(target, kpi.decimal_places, kpi.unit, kpi.polarity)
    return Figure(target.value, kpi)


def sheet_title(wanted: str, taken: list[str]) -> str:
    """A sheet name Excel accepts (31 characters, none of []:*?/\\), unlike any in ``taken``."""
    taken = {title.casefold() for title in taken} | {"history"}  # Excel reserves History
    base = _NOT_IN_NAMES.sub(" ", wanted).strip(" '") or "Sheet"
    title, number = base[:_NAME_LENGTH].rstrip(" '"), 1
    while title.casefold() in taken:
        number += 1
        suffix = f" ({number})"
        title = base[: _NAME_LENGTH - len(suffix)].rstrip(" '") + suffix
    return title


def wrapped_height(text: str, width: float) -> float:
    """Enough height for ``text`` wrapped in a column ``width`` characters wide.

    Excel does not fit a row to wrapped text written by a program, so the row says how tall.
    """
    lines = sum(max(1, math.ceil(len(part) / max(width - 2, 1))) for part in text.splitlines())
    return LINE_HEIGHT * max(lines, 1)


class Sheet:
    """A worksheet written a row at a time, top to bottom."""

    def __init__(self, book: Workbook, title: str, widths: Sequence[float]):
        self.ws = book.create_sheet(sheet_title(title, book.sheetnames))
        self.row = 0
        self.set_widths(widths)

    @property
    def title(self) -> str:
        return self.ws.title

    def set_widths(self, widths: Sequence[float]) -> None:
        self.widths = list(widths)
        for index, width in enumerate(widths, 1):
            self.ws.column_dimensions[get_column_letter(index)].width = width

    def add(self, values: Sequence, *, font: Font | None = None, wrap: bool = False) -> int:
        """A row of values (a ``Figure`` carries its own format); returns its number."""
        self.row += 1
        for column, value in enumerate(values, 1):
            number_format = None
            if isinstance(value, Figure):
                value, number_format = value.value, value.format
            elif isinstance(value, datetime.date):
                number_format = DATE_FORMAT
            value = cell_value(value)
            if value is None and number_format is None:
                continue
            cell = self.ws.cell(self.row, column, value)
            if number_format:
                cell.number_format = number_format
            if font:
                cell.font = font
            cell.alignment = WRAP if wrap and isinstance(value, str) else TOP
        if wrap:
            self._fit(values)
        return self.row

    def _fit(self, values: Sequence) -> None:
        heights = [
            wrapped_height(value, width)
            for value, width in zip(values, self.widths, strict=False)
            if isinstance(value, str)
        ]
        if max(heights, default=0) > LINE_HEIGHT:
            self.ws.row_dimensions[self.row].height = max(heights)

    def heading(self, text: str, *, font: Font = BOLD) -> int:
        return self.add([text], font=font)

    def pairs(self, pairs: Sequence[tuple[str, object]]) -> None:
        """Label and value rows, as a summary list: the label bold."""
        for label, value in pairs:
            row = self.add([label, value], wrap=True)
            self.ws.cell(row, 1).font = BOLD

    def gap(self, rows: int = 1) -> None:
        self.row += rows

    def freeze_below(self, row: int, column: int = 1) -> None:
        """Rows up to ``row`` (and columns before ``column``) stay in view when scrolling."""
        self.ws.freeze_panes = f"{get_column_letter(column)}{row + 1}"


def new_book(title: str) -> Workbook:
    book = Workbook()
    book.remove(book.active)
    book.properties.title = title
    book.properties.creator = CREATOR
    book.properties.lastModifiedBy = CREATOR
    return book


def to_bytes(book: Workbook) -> bytes:
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
