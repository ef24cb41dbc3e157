"""Refusing a file before any XML parser reads it: other formats, encryption, macros, zip bombs.

Sizes are checked from the zip's own directory: Python's zipfile never
inflates a member past its declared size, so these checks bound the memory
openpyxl can use.
"""

import io
import zipfile
import zlib

from django.conf import settings

from metrics.importer.errors import WorkbookRefused
from metrics.importer.limits import (
    MAX_XML_TOKEN,
    MAX_ZIP_MEMBERS,
    RATIO_CHECKED_FROM,
    size,
    size_problem,
)

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURE = b"PK\x03\x04"
SAVE_AS_XLSX = "open it in Excel and use File > Save As > Excel Workbook (.xlsx), then upload that"


def _not_a_zip(data: bytes) -> str:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"pk\x05\x06"):
        return "The file is an empty zip archive, not an Excel workbook."
    if head.startswith((b"<!doctype html", b"<html", b"<table")) or b"<html" in head[:512]:
        return (
            "The file is a web page (HTML) with an Excel name: some systems export tables this "
            f"way. To import it, {SAVE_AS_XLSX}."
        )
    if head.startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
            return f"The file is an old Excel 2003 XML spreadsheet. To import it, {SAVE_AS_XLSX}."
        return f"The file is XML, not an Excel workbook. To import it, {SAVE_AS_XLSX}."
    if head.startswith(b"{\\rtf"):
        return f"The file is a Rich Text document, not an Excel workbook: {SAVE_AS_XLSX}."
    if b"\x00" not in head and any(sep in head.split(b"\n", 1)[0] for sep in (b",", b"\t", b";")):
        return (
            "The file is text separated by commas or tabs (CSV), not an Excel workbook. To "
            f"import it, {SAVE_AS_XLSX}."
        )
    return f"The file is not an Excel workbook (.xlsx). If it opens in Excel, {SAVE_AS_XLSX}."


_DAMAGED = (
    "The file is damaged or incomplete (parts of the workbook are missing or garbled, as "
    "happens when a download or copy is cut short). Save it again from Excel and upload the "
    "new copy."
)


def check_file(data: bytes) -> None:
    """Refuse a file that is not a plain, sensibly sized .xlsx, before any XML is parsed.

    Parts over a megabyte are read through once, a piece at a time, for a
    run no parser should be fed.
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
            f"The file is an old Excel 97-2003 workbook (.xls). To import it, {SAVE_AS_XLSX}."
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
            f"{MAX_ZIP_MEMBERS:,}). {SAVE_AS_XLSX.capitalize()}."
        )
    if any(name.endswith("vbaproject.bin") for name in lowered):
        raise WorkbookRefused(
            "The workbook contains macros (.xlsm), which are not accepted. In Excel use File > "
            "Save As > Excel Workbook (.xlsx), which removes them, and upload that."
        )
    if "xl/workbook.xml" not in names:
        _not_a_workbook(lowered)
    _check_sizes(archive, members)


def _not_a_workbook(lowered: set[str]) -> None:
    """Say what a zip without xl/workbook.xml is, from the names of its parts."""
    if "xl/workbook.bin" in lowered:
        raise WorkbookRefused(f"The file is an Excel Binary Workbook (.xlsb): {SAVE_AS_XLSX}.")
    if "content.xml" in lowered and "mimetype" in lowered:
        raise WorkbookRefused(
            f"The file is an OpenDocument spreadsheet (.ods). To import it, {SAVE_AS_XLSX}."
        )
    if "word/document.xml" in lowered:
        raise WorkbookRefused("The file is a Word document, not an Excel workbook.")
    raise WorkbookRefused(
        "The file is a zip archive but not an Excel workbook (it has no xl/workbook.xml). "
        f"If it opens in Excel, {SAVE_AS_XLSX}."
    )


def _check_sizes(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> None:
    total = sum(member.file_size for member in members)
    if total > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
        raise WorkbookRefused(
            f"The file unpacks to {size(total)}, more than the "
            f"{size(settings.IMPORT_MAX_UNCOMPRESSED_BYTES)} allowed. Split it into smaller "
            "workbooks."
        )
    ratio_limit = settings.IMPORT_MAX_COMPRESSION_RATIO
    for member in members:
        if member.flag_bits & 0x1:
            raise WorkbookRefused("Parts of the file are encrypted: remove the password in Excel.")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookRefused(f"The file is not a workbook Excel wrote: {SAVE_AS_XLSX}.")
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
                f"program writes. {SAVE_AS_XLSX.capitalize()}."
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
