"""A KPI's change history: who changed its details, targets and figures, and how.

Read from django-simple-history's records in three queries, whatever the
number of changes; each record is compared with the one before it for the
same row in Python, so no query runs per change.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from metrics import periods
from metrics.models import Actual, Kpi, Target

KPI_FIELDS = [
    "code",
    "title",
    "definition",
    "unit",
    "polarity",
    "tolerance",
    "tolerance_kind",
    "decimal_places",
    "frequency",
    "numerator_label",
    "denominator_label",
    "reporting_from",
]
TARGET_FIELDS = ["starts", "value", "lower", "upper"]
ACTUAL_FIELDS = [
    "value",
    "numerator",
    "denominator",
    "what_data_tells_us",
    "issues_and_risks",
    "evidence_of_impact",
]
KINDS = {"+": "Added", "~": "Changed", "-": "Deleted"}
LONG_TEXT = 80


@dataclass(frozen=True)
class Change:
    when: datetime.datetime
    who: str
    record: str
    kind: str
    fields: list[tuple[str, str, str]]  # (field, before, after)
    reason: str = ""


def _shown(value) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, datetime.date):
        return periods.month_label(value) if value.day == 1 else f"{value:%-d %b %Y}"
    text = str(value)
    return text if len(text) <= LONG_TEXT else text[: LONG_TEXT - 1] + "…"


def _changes(records, fields: list[str], name) -> list[Change]:
    before: dict[int, object] = {}
    found = []
    for record in records:
        previous = before.get(record.id)
        before[record.id] = record
        edits = []
        for field in fields:
            new = getattr(record, field)
            old = getattr(previous, field) if previous is not None else None
            if previous is None and new in (None, ""):
                continue
            if previous is None or old != new:
                label = str(record._meta.get_field(field).verbose_name)
                edits.append(
                    (label.capitalize(), "" if previous is None else _shown(old), _shown(new))
                )
        kind = KINDS.get(record.history_type, "Changed")
        if edits or kind == "Deleted":
            who = record.history_user.get_username() if record.history_user else "Data load"
            found.append(
                Change(
                    record.history_date,
                    who,
                    name(record),
                    kind,
                    edits if kind != "Deleted" else [],
                    record.history_change_reason or "",
                )
            )
    return found


def kpi_changes(kpi: Kpi, *, limit: int = 50) -> tuple[list[Change], int]:
    """The latest changes to the KPI, its targets and its figures, newest first, and how many."""

    def ordered(history):
        return history.select_related("history_user").order_by("history_date", "history_id")

    changes = [
        *_changes(ordered(Kpi.history.filter(id=kpi.pk)), KPI_FIELDS, lambda r: "KPI details"),
        *_changes(
            ordered(Target.history.filter(kpi_id=kpi.pk)),
            TARGET_FIELDS,
            lambda r: f"Target from {periods.month_label(r.starts)}",
        ),
        *_changes(
            ordered(Actual.history.filter(kpi_id=kpi.pk)),
            ACTUAL_FIELDS,
            lambda r: f"Figure for {kpi.period_label(r.period)}",
        ),
    ]
    changes.sort(key=lambda change: change.when, reverse=True)
    return changes[:limit], len(changes)
