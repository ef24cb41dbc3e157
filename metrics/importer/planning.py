"""What every sheet's planner shares: KPIs and officers known, rows, rejections, fingerprint.

A planner compares a sheet's cells with the database and adds to an
``ImportPlan`` what is new, changed, unchanged or rejected. The rules for
figures and periods come from ``Kpi.value_problems``, ``Kpi.period_problem``,
``PeriodLock`` and each model's own validation; the planners only turn cells
into values. ``Planner`` (planner.py) combines one planner per sheet.
"""

import copy
import datetime
import re
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import models

from metrics.importer.cells import is_blank, read_code, read_text
from metrics.importer.columns import SHEETS, fold
from metrics.importer.errors import CellProblem
from metrics.importer.layout import Book, Sheet
from metrics.importer.plan import Change, ImportPlan, Issue, SheetSummary
from metrics.models import Kpi, PeriodLock
from priorities.models import Officer

# A row of sums or averages under the figures, labelled in the KPI code
# column: "Total", "Grand total:", "Sub-total", "Average", "Mean (all KPIs)".
_TOTAL_LABEL = re.compile(
    r"^(?:grand\s+|sub[\s-]?)?(?:totals?|averages?|avg|mean|median|sum)\s*[:.]?\s*(?:\(.*\))?$",
    re.I,
)


def same(old, new) -> bool:
    """Whether a stored value and a value read are the same, as a person would judge."""
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


def state_of(instance: models.Model | None):
    if instance is None:
        return None
    return tuple(getattr(instance, f.attname) for f in instance._meta.concrete_fields)


class Row:
    """Collects a row's rejections and remembers whether there were any."""

    def __init__(self, planner: "SheetPlanner", sheet: Sheet, number: int):
        self.planner, self.sheet, self.number = planner, sheet, number
        self.rejected = False

    def column(self, key: str) -> str:
        column = self.sheet.columns.get(key)
        return self.sheet.column_label(column) if column else "-"

    def _label(self, key_or_column: str | int) -> str:
        if isinstance(key_or_column, int):
            return self.sheet.column_label(key_or_column)
        return self.column(key_or_column)

    def reject(self, key_or_column: str | int, message: str, *, locked: bool = False) -> None:
        self.planner.plan.rejections.append(
            Issue(self.sheet.title, self.number, self._label(key_or_column), message, locked)
        )
        self.rejected = True

    def warn(self, key_or_column: str | int, message: str) -> None:
        self.planner.plan.warnings.append(
            Issue(self.sheet.title, self.number, self._label(key_or_column), message)
        )

    def read(self, key: str, value, reader, *args):
        try:
            return reader(value, *args)
        except CellProblem as problem:
            self.reject(key, str(problem))
            return None


class SheetPlanner:
    """The state every sheet's planner reads and adds to."""

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
        self.remember("lock", self.locked_through)
        # With their calculations, which refuse typed figures (Kpi.calculated_problem).
        kpis = Kpi.objects.select_related("owner", "formula__first", "formula__second")
        kpis = kpis.order_by("code")
        self.kpis: dict[str, Kpi] = {kpi.code: kpi for kpi in self.locking(kpis)}
        self.planned: dict[str, Kpi] = dict(self.kpis)
        self.folded = {code.casefold(): code for code in self.kpis}
        self.rejected_codes: set[str] = set()
        # Actions the Actions sheet adds, by (plan slug, area number, ref) folded, for the
        # Findings sheet to link to: (area, ref).
        self.new_actions: dict[tuple, tuple] = {}
        # Sheet title -> rows skipped as totals or averages, as the preview lists them.
        self.skipped: dict[str, list[str]] = defaultdict(list)
        self.officers: dict[str, Officer] = {}
        for officer in Officer.objects.order_by("-pk"):
            # Role titles win over names when both match.
            if officer.name:
                self.officers[fold(officer.name)] = officer
        for officer in Officer.objects.order_by("-pk"):
            self.officers[fold(officer.role_title)] = officer
            self.remember("officer", officer.pk, officer.role_title, officer.name)

    def locking(self, queryset):
        return queryset.select_for_update(of=("self",)) if self.lock else queryset

    def remember(self, *parts) -> None:
        if self.state is not None:
            self.state.append(repr(parts))

    # Helpers shared by the sheets.

    def skip_total(self, sheet: Sheet, number: int, raw) -> bool:
        """Whether the row is a row of totals or averages, by its KPI code cell; noted if so.

        Analysts' trackers often end with a Total or Average row. It is not a
        KPI's figure, so it is skipped and listed in the preview, rather than
        rejected as an unknown KPI code, which would block the import.
        """
        if type(raw) is not str or not _TOTAL_LABEL.match(raw.strip()):
            return False
        self.skipped[sheet.title].append(f"{number} ({raw.strip()})")
        return True

    def rows(self, sheet: Sheet, code_key: str | None = None):
        """Each row with something in the columns read, as (Row, its non-blank cells by key).

        With ``code_key`` (the KPI code column), rows of totals are skipped.
        """
        for number, cells in sheet.rows:
            given = self.given_cells(sheet, cells)
            if not given or (code_key and self.skip_total(sheet, number, given.get(code_key))):
                continue
            yield Row(self, sheet, number), given

    def note_skipped(self) -> None:
        for title, rows in self.skipped.items():
            self.plan.notices.append(
                f"Sheet {title}: {'row' if len(rows) == 1 else 'rows'} {', '.join(rows)} "
                "skipped: totals and averages are worked out from the figures, not imported."
            )

    def given_cells(self, sheet: Sheet, cells: dict) -> dict:
        return {
            key: cells[column]
            for key, column in sheet.columns.items()
            if column in cells and not is_blank(cells[column])
        }

    def kpi(self, row: Row, key: str, raw) -> Kpi | None:
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

    def officer(self, row: Row, key: str, raw) -> Officer | None:
        name = row.read(key, raw, read_text)
        if name is None:
            return None
        officer = self.officers.get(fold(name))
        if officer is None:
            row.reject(
                key,
                f"There is no officer {name!r}: use a role title listed under Officers in the "
                "admin (add the officer there first if needed), or correct the spelling.",
            )
        return officer

    def record(self, summary: SheetSummary, change: Change | None) -> None:
        if change is None:
            summary.unchanged += 1
            return
        if change.is_new:
            summary.new += 1
        else:
            summary.changed += 1
        self.plan.changes.append(change)

    def validate(self, row: Row, instance: models.Model, exclude: list[str]) -> None:
        """The model's own field and constraint checks, reported against the row's columns."""
        try:
            instance.full_clean(exclude=exclude, validate_unique=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                key = name if name in row.sheet.columns else next(iter(row.sheet.columns))
                row.reject(key, " ".join(messages))

    def compare(self, existing: models.Model, values: dict) -> tuple[models.Model, dict]:
        candidate = _clone(existing)
        old = {}
        for key, new in values.items():
            current = getattr(existing, key)
            if not same(current, new):
                old[key] = current
                setattr(candidate, key, new)
        return candidate, old
