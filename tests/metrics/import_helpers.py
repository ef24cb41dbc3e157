"""Builders for the workbook import tests: every file is made here, in memory.

No tests live in this module (its name does not start with test_); the
test_import_* modules import from it.
"""

import datetime
import io
import re
import struct
import warnings
import zipfile
from dataclasses import dataclass
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from metrics import importer
from metrics.importer import runs
from metrics.importer import xlsx as reader
from metrics.importer.cells import NO_CACHED_VALUE, ExcelError, Percent, Rounded
from metrics.models import Kpi
from priorities import roles
from tests.factories import KpiFactory, OfficerFactory, UserFactory


@dataclass(frozen=True)
class Fmt:
    """A cell value with an Excel number format, e.g. Fmt(0.903, "0.0%")."""

    value: object
    number_format: str


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    """A workbook as Excel would save it: one sheet per entry, rows from A1."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for r, row in enumerate(rows, 1):
            for c, value in enumerate(row, 1):
                if isinstance(value, Fmt):
                    cell = sheet.cell(r, c, value.value)
                    cell.number_format = value.number_format
                elif value is not None:
                    sheet.cell(r, c, value)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def rezip(data: bytes, replace: dict[str, bytes] | None = None, **options) -> bytes:
    """The same zip with some members replaced or added."""
    replace = dict(replace or {})
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, **options) as target:
        for info in source.infolist():
            body = replace.pop(info.filename, None)
            target.writestr(info.filename, body if body is not None else source.read(info))
        for name, body in replace.items():
            target.writestr(name, body)
    return output.getvalue()


def member(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def sheet_path(data: bytes, title: str) -> str:
    """The zip member holding a sheet (openpyxl names them sheet1.xml, sheet2.xml...)."""
    names = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if "worksheets/sheet" in n]
    workbook = member(data, "xl/workbook.xml").decode()
    # Attribute order depends on openpyxl's XML writer (lxml when installed), so read the names.
    index = re.findall(r'<sheet\b[^>]*\bname="([^"]*)"', workbook).index(title)
    return sorted(names, key=lambda n: int(n.split("sheet")[-1].split(".")[0]))[index]


_INLINE = re.compile(
    rb'<c r="([A-Z]+[0-9]+)"([^>]*?) t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>', re.S
)


def shared_strings(data: bytes) -> bytes:
    """The workbook with its text in a shared-strings table, as Excel saves it.

    openpyxl writes text inline in each cell; Excel writes it once in
    xl/sharedStrings.xml and refers to it by number, which is the path real
    files take through the reader.
    """
    table: list[bytes] = []
    replace = {}
    for name in zipfile.ZipFile(io.BytesIO(data)).namelist():
        if name.startswith("xl/worksheets/sheet"):

            def to_shared(match):
                table.append(match[3])
                return b'<c r="%s"%s t="s"><v>%d</v></c>' % (match[1], match[2], len(table) - 1)

            replace[name] = _INLINE.sub(to_shared, member(data, name))
    items = b"".join(b'<si><t xml:space="preserve">%s</t></si>' % text for text in table)
    replace["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.'
        b'openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">%s</sst>'
        % (len(table), len(table), items)
    )
    replace["[Content_Types].xml"] = member(data, "[Content_Types].xml").replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    replace["xl/_rels/workbook.xml.rels"] = member(data, "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>",
        b'<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    return rezip(data, replace)


def declare_size(data: bytes, name: str, size: int) -> bytes:
    """Make the zip's central directory claim a member unpacks to ``size`` bytes."""
    body = bytearray(data)
    offset = body.find(b"PK\x01\x02")
    while offset != -1:
        name_length = struct.unpack_from("<H", body, offset + 28)[0]
        if body[offset + 46 : offset + 46 + name_length].decode() == name:
            struct.pack_into("<I", body, offset + 24, size)
            return bytes(body)
        offset = body.find(b"PK\x01\x02", offset + 4)
    raise KeyError(name)


ACTUALS_LONG = [
    "KPI code",
    "Period",
    "Value",
    "Numerator",
    "Denominator",
    "What is the data telling us",
    "What are the issues and risks",
    "What evidence shows the actions are working",
]


def actuals_long(*rows) -> bytes:
    return xlsx({"Actuals": [ACTUALS_LONG, *rows]})


def actuals_wide(header: list, *rows) -> bytes:
    return xlsx({"Actuals": [["KPI code", *header], *rows]})


@pytest.fixture
def assessments(db) -> Kpi:
    """PI.426: single assessments in 45 working days, a monthly percentage."""
    return KpiFactory(
        code="PI.426",
        title="Single assessments within 45 working days",
        unit=Kpi.Unit.PERCENT,
        decimal_places=2,
        owner=OfficerFactory(role_title="Head of Assessment"),
    )


@pytest.fixture
def quarterly(db) -> Kpi:
    return KpiFactory(
        code="PI.432",
        unit=Kpi.Unit.RATE_PER_10000,
        polarity=Kpi.Polarity.LOWER,
        frequency=Kpi.Frequency.QUARTERLY,
        decimal_places=2,
    )


@pytest.fixture
def analyst_user(db):
    user = UserFactory(username="analyst-user", is_staff=True)
    user.groups.add(roles.ensure_groups()[roles.ANALYST])
    return user


AUG_2021 = datetime.date(2021, 8, 1)
D = Decimal


def with_formula(data: bytes, sheet: str, ref: str, formula: str, saved: str) -> bytes:
    """The workbook with cell ``ref`` a formula whose result Excel saved, keeping its format."""
    path = sheet_path(data, sheet)
    xml = member(data, path).decode()
    cell = re.compile(rf'<c r="{ref}"([^>]*?)(?: t="n")?>.*?</c>', re.S)
    assert cell.search(xml), f"no cell {ref} to turn into a formula"
    xml = cell.sub(rf'<c r="{ref}"\1><f>{formula}</f><v>{saved}</v></c>', xml)
    return rezip(data, {path: xml.encode()})


# The streaming reader against openpyxl ---------------------------------------


def _as_openpyxl_reads(value):
    """A value from the streaming reader as openpyxl's own reading gives it."""
    if isinstance(value, Rounded):
        value = value.number
    if isinstance(value, Percent):
        return value.number
    if isinstance(value, ExcelError):
        return value.code
    return None if value is NO_CACHED_VALUE else value


def streamed_cells(data: bytes) -> dict[str, dict[tuple[int, int], object]]:
    """Every sheet's non-empty cells as the import's streaming reader reads them."""
    sheets = {}
    with reader.opened(data) as workbook:
        styles = reader.number_styles(workbook)
        for worksheet in workbook.worksheets:
            cells: dict[tuple[int, int], object] = {}

            def keep(number, row, cells=cells):
                for column, value in row.items():
                    if (shown := _as_openpyxl_reads(value)) not in (None, ""):
                        cells[(number, column)] = shown

            reader.stream(worksheet, styles, keep)
            sheets[worksheet.title] = cells
    return sheets


def openpyxl_cells(data: bytes) -> dict[str, dict[tuple[int, int], object]]:
    """Every sheet's non-empty cells as openpyxl's own read-only ``iter_rows`` reads them."""
    sheets = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    for worksheet in workbook.worksheets:
        worksheet.reset_dimensions()  # read to the real end, whatever the file claims
        sheets[worksheet.title] = {
            (cell.row, cell.column): cell.value
            for row in worksheet.iter_rows()
            for cell in row
            if cell.value not in (None, "")
        }
    workbook.close()
    return sheets


@pytest.fixture(autouse=True)
def streamed_cells_match_openpyxl(monkeypatch):
    """After each import test, every workbook it had the import read whole is read both ways.

    The streaming reader must give the cells openpyxl's own ``iter_rows``
    gives (in openpyxl's terms: a percentage's number, an error's code).
    Files the import refused are left out: openpyxl need not read them.
    """
    read: list[bytes] = []
    read_workbook = reader.read_workbook

    def reading(data: bytes):
        book = read_workbook(data)
        read.append(data)
        return book

    for module in (importer, reader, runs):
        monkeypatch.setattr(module, "read_workbook", reading)
    yield
    monkeypatch.undo()  # the test's own patches too, so openpyxl reads as it does for real
    for data in read:
        assert streamed_cells(data) == openpyxl_cells(data)
