"""The streaming reader: a workbook's sheets as plain values, one row at a time.

The only module that touches openpyxl's internals. openpyxl opens the
workbook (sheet list, shared strings, number formats) in read-only mode;
each sheet's cells are read by ``SheetReader`` from defusedxml's parser.
Every reader error stops here as ``WorkbookRefused``.
"""

import io
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from django.conf import settings
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.xml.constants import SHEET_MAIN_NS

from metrics.importer.cells import NO_CACHED_VALUE, ExcelError, Percent, Rounded
from metrics.importer.columns import INSTRUCTIONS, SHEETS, fold
from metrics.importer.errors import WorkbookRefused
from metrics.importer.layout import Book, Sheet, find_columns
from metrics.importer.limits import MAX_COLUMNS
from metrics.importer.zipcheck import check_file


class _Worksheet(ReadOnlyWorksheet):
    """A read-only sheet that does not look for its size when it is opened."""

    def _get_size(self) -> None:
        # openpyxl reads the sheet until its <dimension> here; in a sheet
        # without one that means parsing (and holding) every row before the
        # import reads any. The import never uses the stored size.
        pass


class WorkbookReader(ExcelReader):
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


class SheetReader:
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
    unreadable date as ExcelError. A formula's number in a cell formatted to
    fixed decimals comes back as Rounded, so a figure can be read as the
    analyst saw it. The sheet's stored dimension is never consulted, so a
    sheet that misstates its size is read to its real end.
    """

    CHUNK = 64 * 1024
    # Excel's own limit on the characters in one cell.
    MAX_CELL_TEXT = 32767
    # A sheet's elements nest about six deep; expat keeps a frame per level.
    MAX_DEPTH = 64
    # Distinct column letters remembered; more are worked out each time.
    MAX_CACHED_COLUMNS = 4096

    def __init__(self, worksheet, styles: "NumberStyles", on_row):
        workbook = worksheet.parent
        self.title = worksheet.title
        self.shared_strings = worksheet._shared_strings
        self.date_styles = workbook._date_formats
        self.timedelta_styles = workbook._timedelta_formats
        self.epoch = workbook.epoch
        self.percent_styles = styles.percent
        self.shown_places = styles.places
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
                try:
                    value = self._value(text, attributes.get("t", "n"), attributes.get("s"))
                except (ValueError, IndexError, OverflowError):
                    raise self._garbled(text, attributes, column) from None
                if self.formula and type(value) in (int, float, Percent):
                    value = self._rounded(value, attributes.get("s"))
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

    def _rounded(self, value, style: str | None):
        places = self.shown_places.get(int(style)) if style else None
        if places is None:
            return value
        if type(value) is Percent:
            return Rounded(value.number, places, True)
        return Rounded(value, places, False)

    def _garbled(self, text: str, attributes: dict, column: int) -> WorkbookRefused:
        cell = attributes.get("r") or f"{get_column_letter(column)}{self.row_number}"
        kind = attributes.get("t", "n")
        if kind == "s":
            what = "refers to text the workbook does not hold"
        else:
            what = f"is saved as a {_CELL_TYPES.get(kind, kind)} but holds {text[:40]!r}"
        return WorkbookRefused(
            f"Sheet {self.title} cell {cell} {what}, which no spreadsheet program writes, so the "
            "workbook was not read. Type the cell again in Excel, save the workbook as .xlsx "
            "and upload it again."
        )


_MAIN = SHEET_MAIN_NS + "}"
_ROW, _CELL, _VALUE, _FORMULA, _INLINE, _MERGE = (
    _MAIN + tag for tag in ("row", "c", "v", "f", "is", "mergeCell")
)


_CELL_TYPES = {"n": "number", "b": "true or false", "d": "date", "e": "error"}


@dataclass(frozen=True)
class NumberStyles:
    """What a workbook's cell styles do to numbers, by style number."""

    percent: set[int]  # shown as a percentage
    places: dict[int, int]  # shown rounded to this many decimals


# The parts of a number format that show no digits: quoted text, escaped
# characters, [colours] and [conditions].
_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')
_DECIMALS = re.compile(r"\.([0#?]+)")


def _shown_places(number_format: str) -> int | None:
    """The decimals a number format shows, or None if it does not round to fixed places."""
    shown = _LITERALS.sub("", number_format).split(";")[0]
    if not re.search(r"[0#?]", shown) or re.search(r"[eE][+-]|/|[dmyhs]", shown, re.I):
        return None
    match = _DECIMALS.search(shown)
    return len(match[1]) if match else 0


def number_styles(workbook) -> NumberStyles:
    styles = NumberStyles(set(), {})
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
            styles.percent.add(style_id)
        if (places := _shown_places(text)) is not None:
            styles.places[style_id] = places
    return styles


def read_workbook(data: bytes) -> Book:
    """Check the file, then read the sheets the import knows into plain values.

    Raises WorkbookRefused for anything wrong with the file as a whole; every
    error openpyxl or the XML parser can raise is turned into one here.
    """
    check_file(data)
    try:
        with opened(data) as workbook:
            return _read_sheets(workbook)
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


@contextmanager
def opened(data: bytes) -> Iterator:
    """openpyxl's read-only workbook of a file already checked, closed after use."""
    with warnings.catch_warnings():
        # openpyxl warns about features it drops (data validation, etc.).
        warnings.simplefilter("ignore")
        reader = WorkbookReader(io.BytesIO(data), read_only=True, data_only=True)
        reader.read()
        try:
            yield reader.wb
        finally:
            reader.wb.close()


def stream(worksheet, styles: NumberStyles, on_row) -> SheetReader:
    """Read a sheet of an opened workbook, passing each row's cells to ``on_row``."""
    reader = SheetReader(worksheet, styles, on_row)
    with worksheet._get_source() as source:
        reader.read(source)
    return reader


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
    by_name = {fold(kind): kind for kind in SHEETS}
    wanted: dict[str, object] = {}
    skipped = []
    for worksheet in workbook.worksheets:
        kind = by_name.get(fold(worksheet.title))
        if kind is None or not isinstance(worksheet, ReadOnlyWorksheet):
            if fold(worksheet.title) != fold(INSTRUCTIONS):
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
    styles = number_styles(workbook)
    cells_left = settings.IMPORT_MAX_CELLS
    sheets = {}
    for kind in SHEETS:
        if kind in wanted:
            sheet, cells_left = _read_sheet(workbook, wanted[kind], kind, styles, cells_left)
            sheets[kind] = sheet
    return Book(sheets=sheets, skipped=skipped)


def _read_sheet(workbook, worksheet, kind, styles, cells_left) -> tuple[Sheet, int]:
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

    reader = stream(worksheet, styles, keep)
    if reader.merged_count:
        more = reader.merged_count - len(reader.merged)
        ranges = ", ".join(reader.merged) + (f" and {more:,} more" if more else "")
        raise WorkbookRefused(
            f"Sheet {worksheet.title} has merged cells ({ranges}), which "
            "hide values from the import. Select the sheet, choose Home > Merge & Center > "
            "Unmerge Cells, fill in each row, and upload again."
        )
    return find_columns(kind, worksheet.title, rows), left
