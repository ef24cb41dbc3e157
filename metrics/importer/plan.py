"""What an import would do: the plan a preview shows and a confirmation applies."""

import datetime
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db import models

from metrics import display, periods
from metrics.importer.columns import COLUMNS
from metrics.importer.limits import PREVIEW_CHANGES_PER_SHEET

# An actual's figure and commentary, in the order the planner keeps stored
# figures and the writer binds them.
ACTUAL_FIELDS = (
    "value",
    "numerator",
    "denominator",
    "what_data_tells_us",
    "issues_and_risks",
    "evidence_of_impact",
    "source",
    "note",
)
ACTUAL_TEXT = ACTUAL_FIELDS[3:]


@dataclass(slots=True)
class Issue:
    sheet: str
    row: int
    column: str
    message: str
    locked: bool = False

    def __str__(self) -> str:
        return f"{self.sheet} row {self.row}, column {self.column}: {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(slots=True)
class Change:
    """One row to create (pk None) or update, with the old value of every changed field."""

    sheet: str
    row: int
    label: str
    model: type[models.Model]
    pk: int | None
    values: dict
    old: dict
    refs: dict
    instance: models.Model | None = None
    version: int | None = None
    locked: bool = False

    @property
    def is_new(self) -> bool:
        return self.pk is None

    @property
    def title(self) -> str:
        # Actuals leave label empty: a hundred thousand labels cost time nobody reads.
        if self.label or "period" not in self.refs:
            return self.label
        period = periods.period_label(self.refs["period"], self.refs["frequency"])
        return f"{self.refs['kpi']} {period}"


@dataclass
class SheetSummary:
    name: str
    present: bool = False
    layout: str = ""
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class ImportPlan:
    sheets: dict[str, SheetSummary]
    changes: list[Change] = field(default_factory=list)
    rejections: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    reason: str = ""
    fingerprint: str = ""

    @property
    def needs_reason(self) -> bool:
        """The plan changes locked months and no reason has been given yet."""
        return bool(self.locked_changes) and not self.reason

    @property
    def locked_changes(self) -> int:
        return sum(c.locked for c in self.changes) + sum(i.locked for i in self.rejections)

    @property
    def change_count(self) -> int:
        return len(self.changes)

    def counts(self) -> dict:
        return {name: summary.as_dict() for name, summary in self.sheets.items()}

    def report(self, *, changes_per_sheet: int = PREVIEW_CHANGES_PER_SHEET) -> dict:
        """The preview as plain JSON: every rejection and warning, the first changes per sheet."""
        shown: dict[str, list] = defaultdict(list)
        more: dict[str, int] = defaultdict(int)
        for change in self.changes:
            if len(shown[change.sheet]) < changes_per_sheet:
                shown[change.sheet].append(describe_change(change))
            else:
                more[change.sheet] += 1
        return {
            "sheets": [summary.as_dict() for summary in self.sheets.values()],
            "rejections": [issue.as_dict() for issue in self.rejections],
            "warnings": [issue.as_dict() for issue in self.warnings],
            "notices": self.notices,
            "changes": dict(shown),
            "more_changes": dict(more),
            "locked_changes": self.locked_changes,
            "needs_reason": self.needs_reason,
        }


def show_value(value) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, Decimal):
        return display.exact(value)
    if isinstance(value, datetime.date):
        return value.strftime("%d %b %Y")
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


_MONTH_FIELDS = {"starts", "period", "reporting_from"}


def describe_change(change: Change) -> dict:
    """A change as the preview shows it: each field's old value and new value."""
    names = {spec.key: spec.header for spec in COLUMNS[change.sheet]}
    names.setdefault("owner", "Owner")
    names.setdefault("ended", "Link ends")

    def show(key, value):
        if key in _MONTH_FIELDS and isinstance(value, datetime.date):
            return periods.month_label(value)
        return show_value(value)

    if change.is_new:
        fields = [(names.get(k, k), "", show(k, v)) for k, v in change.values.items()]
    else:
        fields = [
            (names.get(k, k), show(k, old), show(k, change.values.get(k)))
            for k, old in change.old.items()
        ]
    return {
        "sheet": change.sheet,
        "row": change.row,
        "record": change.title,
        "kind": "new" if change.is_new else "changed",
        "locked": change.locked,
        "fields": [{"field": f, "old": o, "new": n} for f, o, n in fields],
    }
