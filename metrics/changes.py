"""Change histories as people read them: who changed which field, from what to what, and when."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from metrics import display, periods


@dataclass(frozen=True)
class Change:
    """One saved change to a record, as the change histories show it."""

    when: datetime.datetime
    who: str
    fields: list[tuple[str, str, str]]  # (Field label, before, after); before "" when new
    reason: str = ""
    record: str = ""
    kind: str = "Changed"  # "Added", "Changed" or "Deleted"

    def __str__(self) -> str:
        edits = (
            "; ".join(
                f"{label.lower()} {old} to {new}" if old else f"{label.lower()} {new}"
                for label, old, new in self.fields
            )
            or self.kind.lower()
        )
        return f"{edits} by {self.who} on {timezone.localtime(self.when):%-d %b %Y}"


_KINDS = {"+": "Added", "~": "Changed", "-": "Deleted"}
_LONG_TEXT = 80
ACTUAL_HISTORY_FIELDS = [
    "value", "numerator", "denominator", "what_data_tells_us", "issues_and_risks",
    "evidence_of_impact",
]  # fmt: skip


def _shown(value) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, Decimal):
        return display.exact(value)
    if isinstance(value, datetime.date):
        return periods.month_label(value) if value.day == 1 else f"{value:%-d %b %Y}"
    text = str(value)
    return text if len(text) <= _LONG_TEXT else text[: _LONG_TEXT - 1] + "…"


def record_changes(history, fields: list[str], *, name=lambda record: "") -> list[Change]:
    """Describe each historical record against the one before it, newest first.

    ``history`` is a simple-history queryset for one or more records; only
    the named fields are compared, so version bumps and timestamps stay
    quiet. ``name`` labels the record a change belongs to. One query.
    """
    records = history.select_related("history_user").order_by("history_date", "history_id")
    previous: dict[int, object] = {}
    changes = []
    for record in records:
        before = previous.get(record.id)
        previous[record.id] = record
        edits = []
        for field in fields:
            old = getattr(before, field) if before is not None else None
            new = getattr(record, field)
            if before is None and new in (None, ""):
                continue
            if before is None or old != new:
                label = str(record._meta.get_field(field).verbose_name).capitalize()
                edits.append((label, "" if before is None else _shown(old), _shown(new)))
        kind = _KINDS.get(record.history_type, "Changed")
        if edits or kind == "Deleted":
            who = record.history_user.get_username() if record.history_user else "data load"
            changes.append(
                Change(
                    record.history_date,
                    who,
                    edits if kind != "Deleted" else [],
                    record.history_change_reason or "",
                    name(record),
                    kind,
                )
            )
    return list(reversed(changes))


def actual_changes(history) -> list[Change]:
    return record_changes(history, ACTUAL_HISTORY_FIELDS)
