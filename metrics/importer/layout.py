"""Finding a sheet's heading row and what each column holds.

The heading row may sit under a few title rows. An Actuals sheet is long
(a Period column, one figure a row) or wide (one column per month or
quarter, one KPI a row).
"""

import datetime
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from metrics import periods
from metrics.importer.cells import is_blank, read_period, shown
from metrics.importer.columns import (
    ACTIONS,
    ACTUALS,
    ANCHOR,
    COLUMNS,
    STATUS_HEADING,
    WIDE_REFERENCE_HEADINGS,
    column,
    fold,
)
from metrics.importer.errors import CellProblem, WorkbookRefused
from metrics.importer.limits import HEADER_SEARCH_ROWS
from metrics.importer.plan import Issue


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
    problems: list[Issue] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def column_label(self, column: int) -> str:
        heading = self.headings.get(column)
        letter = get_column_letter(column)
        return f"{letter} ({heading})" if heading else letter


@dataclass
class Book:
    sheets: dict[str, Sheet]
    skipped: list[str]


def find_columns(kind: str, title: str, rows) -> Sheet:
    """The sheet laid out: its heading row found, each column matched to what it holds."""
    specs = COLUMNS[kind]
    header_number, header, body = _heading_row(kind, title, rows)
    sheet = Sheet(
        kind=kind, title=title, header_row=header_number, columns={}, headings={}, rows=body
    )
    long_actuals = kind == ACTUALS and any(
        isinstance(v, str) and column(ACTUALS, "period").matches(fold(v)) for v in header.values()
    )
    sheet.layout = (
        "long" if kind == ACTUALS and long_actuals else ("wide" if kind == ACTUALS else "")
    )
    for number, raw in sorted(header.items()):
        _place_column(sheet, number, raw, long_actuals)
    expected = ", ".join(spec.header for spec in specs if spec.required)
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
    _report_unheaded(sheet)
    return sheet


def _heading_row(kind: str, title: str, rows) -> tuple[int, dict, list]:
    """The heading row's number and cells, and the rows under it."""
    anchor = column(kind, ANCHOR[kind])
    for index, (number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(isinstance(v, str) and anchor.matches(fold(v)) for v in cells.values()):
            return number, cells, rows[index + 1 :]
    expected = ", ".join(spec.header for spec in COLUMNS[kind] if spec.required)
    raise WorkbookRefused(
        f"Sheet {title} has no heading row: its first row should name the columns, "
        f"starting with {expected}. Start from the template to see the layout."
    )


def _place_column(sheet: Sheet, number: int, raw, long_actuals: bool) -> None:
    """Match one heading to the column it names, a month (wide Actuals), or nothing."""
    kind = sheet.kind
    heading = fold(raw) if isinstance(raw, str) else ""
    sheet.headings[number] = shown(raw) if not isinstance(raw, str) else raw.strip()
    spec = next((s for s in COLUMNS[kind] if heading and s.matches(heading)), None)
    if spec is None and kind == ACTIONS and STATUS_HEADING.match(heading):
        spec = column(ACTIONS, "status")
    if spec is not None and (kind != ACTUALS or long_actuals or spec.key == "kpi"):
        if spec.key in sheet.columns:
            first = get_column_letter(sheet.columns[spec.key])
            raise WorkbookRefused(
                f"Sheet {sheet.title}: columns {first} and {get_column_letter(number)} are both "
                f"{spec.header!r}. Keep one of them."
            )
        sheet.columns[spec.key] = number
    elif sheet.layout == "wide":
        _wide_heading(sheet, number, raw, heading)
    else:
        sheet.ignored.append(f"{get_column_letter(number)} ({sheet.headings[number]})")


def _report_unheaded(sheet: Sheet) -> None:
    headed = sheet.headings
    unheaded: dict[int, int] = {}
    for number, cells in sheet.rows:
        for col, value in cells.items():
            if col not in headed and col not in unheaded and not is_blank(value):
                unheaded[col] = number
    for col, number in sorted(unheaded.items()):
        sheet.problems.append(
            Issue(sheet.title, number, get_column_letter(col),
                  "This column has values but no heading, so the import cannot tell what they "
                  f"are: add a heading in row {sheet.header_row} or delete the values.")
        )  # fmt: skip


def _wide_heading(sheet: Sheet, column: int, raw, heading: str) -> None:
    if heading in WIDE_REFERENCE_HEADINGS:
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
