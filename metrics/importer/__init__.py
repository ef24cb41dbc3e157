"""Workbook import and export: KPIs, figures, actions and findings in one .xlsx.

An import runs in three steps, kept apart so that nothing is written until
the analyst has seen exactly what will change:

1. Read (``read_workbook``): zipcheck.py refuses anything that is not a
   plain .xlsx (another format, encrypted, macros, a zip bomb) before any
   XML is parsed; xlsx.py streams each sheet's cells (refusing XML
   entities, too many rows or cells as they come); layout.py finds each
   sheet's heading row and columns (columns.py). Every problem with the file
   as a whole is ``WorkbookRefused``.
2. Plan (``plan_workbook``): one planner per sheet (plan_*.py, combined in
   planner.py) reads each cell (cells.py) and compares it with the database,
   building an ``ImportPlan`` (plan.py): what is new, changed, unchanged or
   rejected (with sheet, row, column and what to fix), plus warnings.
3. Apply (``apply_plan``, apply.py; on PostgreSQL figures through COPY,
   apply_copy.py): write the plan, with history for every
   row, inside the caller's transaction.

runs.py records each import as an ImportRun (``start_run``, ``confirm_run``,
``cancel_run``, ``expire_previews``) and ``commit`` does all three steps in
one transaction; template.py writes the workbook to start from. Blank
cells change nothing, and an import never deletes.

The modules depend on one another in this order, never back:
errors, limits, columns, cells, plan, layout, zipcheck, xlsx, planning,
plan_* (plan_findings last), planner, apply_findings, apply_copy, apply, runs,
template.
This module is the package's interface: the names below are what the rest of the project uses.
"""

from metrics.importer.apply import apply_plan, change_reason
from metrics.importer.cells import (
    ExcelError,
    Percent,
    Rounded,
    escape_cell_text,
    read_code,
    read_date,
    read_figure,
    read_number,
    read_period,
    read_text,
)
from metrics.importer.columns import (
    ACTIONS,
    ACTUALS,
    BENCHMARKS,
    COLUMNS,
    FINDINGS,
    KPIS,
    SHEETS,
    TARGETS,
)
from metrics.importer.errors import CellProblem, StaleImport, WorkbookRefused
from metrics.importer.layout import Book, Sheet
from metrics.importer.limits import size_problem
from metrics.importer.plan import (
    Change,
    ImportPlan,
    Issue,
    SheetSummary,
    describe_change,
    show_value,
)
from metrics.importer.planner import plan_workbook
from metrics.importer.runs import (
    cancel_run,
    collector_paused,
    commit,
    confirm_run,
    expire_previews,
    file_digest,
    preview,
    refuse_file,
    start_run,
)
from metrics.importer.template import build_template
from metrics.importer.xlsx import read_workbook

__all__ = [
    "ACTIONS", "ACTUALS", "BENCHMARKS", "COLUMNS", "FINDINGS", "KPIS", "SHEETS", "TARGETS",
    "Book", "CellProblem", "Change", "ExcelError", "ImportPlan", "Issue", "Percent", "Rounded",
    "Sheet", "SheetSummary", "StaleImport", "WorkbookRefused",
    "apply_plan", "build_template", "cancel_run", "change_reason", "collector_paused", "commit",
    "confirm_run", "describe_change", "escape_cell_text", "expire_previews", "file_digest",
    "plan_workbook", "preview", "read_code", "read_date", "read_figure", "read_number",
    "read_period", "read_text", "read_workbook", "refuse_file", "show_value", "size_problem",
    "start_run",
]  # fmt: skip
