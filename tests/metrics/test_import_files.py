"""Hostile and broken files: each gets a clear message, nothing is written, nothing crashes.

Every file is built here. Each test checks the message a user would read and
that the database is untouched.
"""

import datetime
import io
import os
import random
import re
import string
import zipfile

import pytest
from django.test import override_settings
from openpyxl.worksheet._reader import WorkSheetParser

from metrics import importer
from metrics.importer import WorkbookRefused
from metrics.importer import xlsx as reader
from metrics.models import Actual, ImportRun
from tests.metrics import import_helpers as support
from tests.metrics.import_helpers import (
    Fmt,
    actuals_wide,
    declare_size,
    member,
    rezip,
    shared_strings,
    sheet_path,
    xlsx,
)

pytestmark = pytest.mark.django_db

# Fixtures shared by the import tests.
assessments = support.assessments
# Every workbook a test has the import read is also read by openpyxl: the cells must agree.
streamed_cells_match_openpyxl = support.streamed_cells_match_openpyxl


def good_workbook() -> bytes:
    return actuals_wide(["Aug 2021", "Sep 2021"], ["PI.426", 80, 81])


def refused(data: bytes) -> str:
    """The message a refused file gets; the run is recorded and nothing is written."""
    with pytest.raises(WorkbookRefused) as caught:
        importer.read_workbook(data)
    run, plan = importer.start_run(data=data, file_name="upload.xlsx")
    assert plan is None and run.outcome == ImportRun.Outcome.REFUSED
    assert run.message == str(caught.value) and not run.file_data
    assert not Actual.objects.exists()
    return str(caught.value)


def test_the_good_workbook_these_tests_break_is_accepted(assessments):
    plan = importer.preview(good_workbook())
    assert len(plan.changes) == 2 and not plan.rejections


def test_an_empty_file_is_refused():
    assert "empty" in refused(b"")


def test_random_bytes_are_refused_as_not_a_workbook():
    assert "not an Excel workbook" in refused(os.urandom(3000))


def test_an_old_xls_file_renamed_is_refused_with_how_to_save_it():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "Workbook".encode("utf-16-le")
    message = refused(data)
    assert ".xls" in message and "Save As" in message


def test_an_encrypted_workbook_is_refused_with_how_to_remove_the_password():
    data = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 504
        + "EncryptedInfo".encode("utf-16-le")
        + "EncryptedPackage".encode("utf-16-le")
    )
    assert "password" in refused(data)


def test_a_csv_renamed_is_refused_as_csv():
    assert "CSV" in refused(b"KPI code,Aug 2021\nPI.426,80\n")


def test_an_html_export_renamed_is_refused_as_a_web_page():
    message = refused(
        b"<html><body><table><tr><td>PI.426</td><td>80</td></tr></table></body></html>"
    )
    assert "web page (HTML)" in message


def test_a_macro_workbook_is_refused(assessments):
    data = rezip(good_workbook(), {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})
    assert "macros" in refused(data)


def test_a_truncated_workbook_is_refused_as_incomplete():
    data = good_workbook()
    assert "incomplete" in refused(data[: len(data) * 2 // 3])


def test_a_zip_that_is_not_a_workbook_is_refused():
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert "no xl/workbook.xml" in refused(output.getvalue())


def test_a_workbook_without_any_sheet_the_import_reads_is_refused():
    message = refused(xlsx({"Sheet1": [["KPI code", "Aug 2021"], ["PI.426", 80]]}))
    assert "none of the sheets" in message and "Sheet1" in message


def test_a_sheet_without_its_heading_row_is_refused():
    message = refused(xlsx({"Actuals": [["PI.426", 80], ["PI.432", 90]]}))
    assert "no heading row" in message and "KPI code" in message


def test_a_sheet_missing_a_required_heading_is_refused():
    message = refused(xlsx({"Targets": [["KPI code", "Target"], ["PI.426", 95]]}))
    assert "'In force from'" in message


def test_a_zip_bomb_by_compression_ratio_is_refused_before_openpyxl_opens_it(monkeypatch):
    monkeypatch.setattr(reader.WorkbookReader, "read", _must_not_open)
    data = good_workbook()
    bomb = rezip(data, {sheet_path(data, "Actuals"): b"<" + b"\x00" * (8 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024
    message = refused(bomb)
    assert "zip bomb" in message and "expands" in message


def test_a_zip_declaring_a_huge_uncompressed_size_is_refused_unread(monkeypatch):
    monkeypatch.setattr(reader.WorkbookReader, "read", _must_not_open)
    data = good_workbook()
    lying = declare_size(data, sheet_path(data, "Actuals"), 3_900_000_000)
    assert "unpacks to" in refused(lying)


@override_settings(IMPORT_MAX_UNCOMPRESSED_BYTES=50_000)
def test_the_total_uncompressed_size_limit_is_a_setting():
    data = good_workbook()
    padded = rezip(data, {"xl/media/filler.bin": os.urandom(60_000)})
    assert "more than the" in refused(padded)


def _must_not_open(*args, **kwargs):
    raise AssertionError("openpyxl opened a file the zip checks should have refused")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">
<si><t>&xxe;</t></si></sst>"""


def test_openpyxl_parses_with_defusedxml():
    from openpyxl.xml import DEFUSEDXML
    from openpyxl.xml.functions import iterparse

    assert DEFUSEDXML
    assert iterparse.__module__.startswith("defusedxml")


def test_a_billion_laughs_sheet_is_refused(assessments):
    data = good_workbook()
    attack = rezip(data, {sheet_path(data, "Actuals"): BILLION_LAUGHS})
    assert "entity declarations" in refused(attack)


def test_a_sheet_read_a_few_bytes_at_a_time_gives_the_same_cells(monkeypatch):
    # Text and numbers split between two reads of the sheet must come out whole.
    rows = [
        ["KPI code", "Period", "Value", "What is the data telling us"],
        ["PI.426", "Aug 2021", 90.25, "Timeliness recovered after the MASH review"],
        ["PI.426", "Sep 2021", Fmt(0.9125, "0.0%"), "  spaced  "],
        ["PI.426", Fmt(44470, "mmm yyyy"), "=1+1", True],
    ]
    data = xlsx({"Actuals": rows})
    whole = importer.read_workbook(data).sheets["Actuals"]
    monkeypatch.setattr(reader.SheetReader, "CHUNK", 5)
    pieces = importer.read_workbook(data).sheets["Actuals"]
    assert pieces.rows == whole.rows and len(whole.rows) == 3
    assert whole.rows[0][1][4] == "Timeliness recovered after the MASH review"


def test_a_workbook_with_shared_strings_as_excel_saves_it_is_read(assessments):
    data = shared_strings(good_workbook())
    assert b't="s"' in member(data, sheet_path(data, "Actuals"))
    plan = importer.preview(data)
    assert [c.values["value"] for c in plan.changes] == [80, 81] and not plan.rejections


def test_an_external_entity_in_the_shared_strings_is_refused(assessments):
    data = shared_strings(good_workbook())
    attack = rezip(data, {"xl/sharedStrings.xml": EXTERNAL_ENTITY})
    assert "entity declarations" in refused(attack)


def test_a_sheet_whose_stored_dimension_lies_is_read_to_its_real_end(assessments):
    data = actuals_wide(["Jun 2021", "Jul 2021", "Aug 2021"], ["PI.426", 70, 71, 72])
    path = sheet_path(data, "Actuals")
    xml, count = re.subn(
        rb'<dimension ref="A1:D2"\s*/>', b'<dimension ref="A1:A1"/>', member(data, path)
    )
    assert count == 1
    lying = rezip(data, {path: xml})
    plan = importer.preview(lying)
    assert [c.values["value"] for c in plan.changes] == [70, 71, 72]


def actuals_sheet(body: str) -> bytes:
    """A workbook whose Actuals sheet is this XML under a heading row for Aug and Sep 2021."""
    data = good_workbook()
    heading = "".join(
        f'<c r="{column}1" t="inlineStr"><is><t>{text}</t></is></c>'
        for column, text in zip("ABC", ["KPI code", "Aug 2021", "Sep 2021"], strict=True)
    )
    xml = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData><row r="1">{heading}</row>{body}</sheetData></worksheet>'
    )
    return rezip(data, {sheet_path(data, "Actuals"): xml.encode()})


CODE_IN_A2 = '<c r="A2" t="inlineStr"><is><t>PI.426</t></is></c>'


def test_cells_outside_any_row_are_not_read(assessments):
    data = actuals_sheet(f'<row r="2">{CODE_IN_A2}<c r="B2"><v>80</v></c></row><c><v>81</v></c>')
    plan = importer.preview(data)
    assert [c.values["value"] for c in plan.changes] == [80] and not plan.rejections


def test_a_value_beyond_the_last_column_read_is_refused_but_empty_styled_cells_are_not(
    assessments,
):
    styled = f'<row r="2">{CODE_IN_A2}<c r="B2"><v>80</v></c><c r="XFD2" s="1"/></row>'
    assert [c.values["value"] for c in importer.preview(actuals_sheet(styled)).changes] == [80]
    beyond = f'<row r="2">{CODE_IN_A2}<c r="ALM2"><v>80</v></c></row>'
    assert "has data in column ALM; the import reads up to column ALL" in refused(
        actuals_sheet(beyond)
    )


def test_a_cell_longer_than_excel_allows_is_refused_while_it_is_read(assessments):
    # Text that does not compress, so the zip checks let it through to the reader.
    text = "".join(random.Random(6).choices(string.ascii_letters, k=200_000))
    huge = f'<row r="2"><c r="A2" t="inlineStr"><is><t>{text}</t></is></c></row>'
    assert "row 2 has a cell longer than the 32,767 characters Excel allows" in refused(
        actuals_sheet(huge)
    )


def test_one_merged_range_covering_the_sheet_is_refused(assessments):
    data = good_workbook()
    path = sheet_path(data, "Actuals")
    xml = member(data, path).replace(
        b"</sheetData>",
        b'</sheetData><mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>',
    )
    message = refused(rezip(data, {path: xml}))
    assert "merged cells (A1:XFD1048576)" in message and "Unmerge" in message


def test_thousands_of_merged_ranges_are_refused_naming_the_first_few(assessments):
    merges = "".join(f'<mergeCell ref="A{n}:B{n}"/>' for n in range(3, 10_003))
    data = actuals_sheet(
        f"<row r='2'>{CODE_IN_A2}</row></sheetData><mergeCells>{merges}</mergeCells><sheetData>"
    )
    assert "merged cells (A3:B3, A4:B4, A5:B5 and 9,997 more)" in refused(data)


def test_a_sheet_without_a_dimension_is_parsed_once_by_the_import_alone(assessments, monkeypatch):
    # openpyxl would read such a sheet whole just to find its size.
    monkeypatch.setattr(WorkSheetParser, "parse_dimensions", _must_not_open)
    data = actuals_sheet(f'<row r="2">{CODE_IN_A2}<c r="B2"><v>80</v></c></row>')
    assert b"<dimension" not in member(data, sheet_path(data, "Actuals"))
    assert [c.values["value"] for c in importer.preview(data).changes] == [80]


def test_elements_nested_deeper_than_any_sheet_are_refused(assessments):
    for tag in ("x", "row", "c"):
        nested = f"<{tag}>" * 10_000 + f"</{tag}>" * 10_000
        assert "nests its parts more than 64 deep" in refused(actuals_sheet(nested))


def unbroken_text(megabytes: int) -> str:
    """Letters that do not compress, so the zip checks let them through."""
    return "".join(random.Random(7).choices(string.ascii_letters, k=megabytes * 1024 * 1024))


def test_a_large_part_garbled_inside_the_zip_is_refused_as_damaged(assessments):
    rng = random.Random(8)
    padding = "".join(
        f'<x a="{"".join(rng.choices(string.ascii_letters, k=12))}"/>' for _ in range(80_000)
    )
    data = actuals_sheet(f"<row r='2'>{CODE_IN_A2}</row>{padding}")
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(sheet_path(data, "Actuals"))
    assert info.file_size > 1024 * 1024
    middle = info.header_offset + 100 + info.compress_size // 2
    garbled = data[:middle] + bytes(64) + data[middle + 64 :]
    assert "damaged or incomplete" in refused(garbled)


def test_a_megabyte_without_a_tag_end_is_refused_before_any_parser_chews_on_it(assessments):
    long_attribute = f'<row r="2" spans="{unbroken_text(2)}">{CODE_IN_A2}</row>'
    message = refused(actuals_sheet(long_attribute))
    assert "part xl/worksheets/sheet1.xml holds over 1 MB without a break" in message
    data = shared_strings(good_workbook())
    strings = member(data, "xl/sharedStrings.xml").replace(b"</sst>", b"")
    long_string = strings + f"<si><t>{unbroken_text(2)}</t></si></sst>".encode()
    message = refused(rezip(data, {"xl/sharedStrings.xml": long_string}))
    assert "part xl/sharedStrings.xml holds over 1 MB" in message


def test_a_sheet_xml_that_is_not_xml_is_refused_as_damaged(assessments):
    data = good_workbook()
    assert "could not be read" in refused(rezip(data, {sheet_path(data, "Actuals"): b"<row><c>"}))


def test_any_error_inside_openpyxl_is_caught_at_the_boundary(monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("xl/styles.xml")

    monkeypatch.setattr(reader.WorkbookReader, "read", broken)
    assert "could not be read" in refused(good_workbook())


@override_settings(IMPORT_MAX_ROWS=3)
def test_a_sheet_over_the_row_limit_is_refused(assessments):
    data = actuals_wide(["Aug 2021"], *[["PI.426", n] for n in range(4)])
    assert "more than 3 rows" in refused(data)


@override_settings(IMPORT_MAX_CELLS=5)
def test_a_workbook_over_the_cell_limit_is_refused(assessments):
    assert "more than 5 filled cells" in refused(
        actuals_wide(["Aug 2021", "Sep 2021"], ["PI.426", 1, 2], ["PI.426", 3, 4])
    )


@override_settings(IMPORT_MAX_UPLOAD_BYTES=1000)
def test_a_file_over_the_upload_limit_is_refused():
    assert "largest accepted" in refused(good_workbook())


def test_a_cell_far_to_the_right_is_refused():
    data = xlsx({"Actuals": [["KPI code", "Aug 2021"], ["PI.426", 80] + [None] * 2000 + [1]]})
    assert "column" in refused(data)


@pytest.mark.parametrize(
    ("names", "expected"),
    [({"xl/workbook.bin": b""}, ".xlsb"), ({"mimetype": b"x", "content.xml": b"<x/>"}, ".ods")],
)
def test_other_spreadsheet_formats_are_named(names, expected):
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        for name, body in names.items():
            archive.writestr(name, body)
    assert expected in refused(output.getvalue())


@pytest.mark.parametrize(
    ("cell", "says"),
    [
        ('<c r="B2"><v>abc</v></c>', "cell B2 is saved as a number but holds 'abc'"),
        ('<c r="B2" t="s"><v>99</v></c>', "cell B2 refers to text the workbook does not hold"),
        ('<c r="B2" t="d"><v>someday</v></c>', "cell B2 is saved as a date but holds 'someday'"),
    ],
    ids=["number", "shared text", "date"],
)
def test_a_cell_holding_what_its_type_cannot_is_refused_naming_the_cell(assessments, cell, says):
    message = refused(actuals_sheet(f'<row r="2">{CODE_IN_A2}{cell}</row>'))
    assert message.startswith(f"Sheet Actuals {says}")
    assert "Error)" not in message


def test_the_streaming_reader_reads_the_cells_openpyxl_reads():
    rows = [
        ["KPI code", "Aug 2021", datetime.datetime(2021, 9, 1), "Note"],
        ["PI.426", 80, Fmt(0.903, "0.0%"), "=SUM(B2:C2)"],
        ["PI.432", "90.3%", True, "'=HYPERLINK()"],
        [None, 1.5e-7, Fmt(44470, "dd/mm/yyyy"), "x" * 300],
    ]
    data = xlsx({"Actuals": rows, "Notes": [["anything", 1]]})
    for workbook in (data, shared_strings(data), good_workbook()):
        assert support.streamed_cells(workbook) == support.openpyxl_cells(workbook)
