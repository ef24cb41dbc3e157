"""The workbook to start from: the current data in the layout the import reads.

Every sheet's columns, and the Instructions sheet's notes on them, come
from columns.COLUMNS. Uploading the template again unchanged previews no
changes.
"""

import io
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from metrics.importer.cells import escape_cell_text
from metrics.importer.columns import (
    ACTIONS,
    ACTUALS,
    BENCHMARKS,
    COLUMNS,
    FINDINGS,
    INSTRUCTIONS,
    KPIS,
    SHEETS,
    TARGETS,
)
from metrics.importer.limits import BATCH
from metrics.importer.plan_findings import open_links
from metrics.models import Actual, Benchmark, FindingKpi, Kpi, Target
from priorities.models import Action, Finding, FindingAction, FindingStatus


def _findings():
    """The findings with their open links and latest dated status, in a few queries."""
    links = open_links(timezone.localdate())
    return Finding.objects.select_related(
        "source", "area__plan", "responsible_officer"
    ).prefetch_related(
        Prefetch("action_links", FindingAction.objects.filter(links).select_related(
            "action__area__plan"), to_attr="open_action_links"),
        Prefetch("kpi_links", FindingKpi.objects.filter(links).select_related("kpi"),
                 to_attr="open_kpi_links"),
        Prefetch("statuses", FindingStatus.objects.order_by("-effective", "-pk")[:1],
                 to_attr="latest_statuses"),
    ).order_by("source__date", "source__slug", "ref")  # fmt: skip


# What each sheet lists, in the order it lists them.
_RECORDS = {
    KPIS: lambda: Kpi.objects.select_related("owner").order_by("code"),
    TARGETS: lambda: Target.objects.select_related("kpi").order_by("kpi__code", "starts"),
    ACTUALS: lambda: Actual.objects.select_related("kpi").order_by("kpi__code", "period"),
    BENCHMARKS: lambda: Benchmark.objects.select_related("kpi").order_by(
        "kpi__code", "comparator", "period"
    ),
    ACTIONS: lambda: (
        Action.objects.select_related("area__plan", "area__responsible_officer", "owner")
        .prefetch_related("kpis")
        .order_by("area__plan__start", "area__plan__slug", "area__number", "ref")
    ),
    FINDINGS: _findings,
}

_INTRODUCTION = [
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
    (
        "",
        "Actions list the KPIs they are meant to move by code (PI.426; CSIP.01); none removes "
        "them all.",
    ),
    (
        "",
        "Findings are matched on Source and Ref; a source (an inspection, review or committee "
        "meeting) is added under Finding sources in the admin first. A new status is recorded "
        "as at its Status as at day (empty: the day of the import), never before the source's "
        "date or the status already recorded, and closing needs the evidence. The Actions and "
        "KPIs cells list every link in force: links not listed end, and new ones begin, on the "
        "Links from day (empty: the day of the import). Nothing is deleted, so earlier months "
        "keep what they showed.",
    ),
    ("", "Months that are locked after a board meeting can only be changed with a reason."),
    (
        "",
        "Text starting with = + - or @ is shown with a leading ' so it is never run as a "
        "formula; the import removes it again.",
    ),
    ("", ""),
]


def build_template() -> bytes:
    """A workbook of the current data, in the layout the import reads."""
    book = Workbook(write_only=True)
    _instructions(book.create_sheet(INSTRUCTIONS))
    for kind in SHEETS:
        sheet = book.create_sheet(kind)
        _header(sheet, kind)
        specs = COLUMNS[kind]
        for record in _RECORDS[kind]().iterator(chunk_size=BATCH):
            sheet.append(
                [_cell(sheet, spec.value_of(record), spec.format_of(record)) for spec in specs]
            )
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


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


def _instructions(sheet) -> None:
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 100
    lines = list(_INTRODUCTION)
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
        ("Finding kind", ", ".join(Finding.Kind.labels)),
        ("Grade", ", ".join(Finding.Grade.labels)),
        ("Finding status", ", ".join(Finding.Status.labels)),
    ]
    for first, second in lines:
        cell = _cell(sheet, first)
        if first and not second:
            cell.font = Font(bold=True)
        text = _cell(sheet, second)
        text.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.append([cell, text])
