"""Builders for the workbook import tests: every file is made here, in memory.

No tests live in this module (its name does not start with test_); the
test_import_* modules import from it.
"""

import datetime
import io
import re
import struct
import zipfile
from dataclasses import dataclass
from decimal import Decimal

import pytest
from openpyxl import Workbook

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
    index = [part.split('"')[0] for part in workbook.split('<sheet name="')[1:]].index(title)
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
