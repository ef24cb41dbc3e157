"""Change histories as people read them: who changed which field, from what to what, and when."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from metrics import display, periods, signoff
from metrics.models import Actual


@dataclass(frozen=True)
class Change:
    """One saved change to a record, as the change histories show it."""

    when: datetime.datetime
    who: str
    fields: list[tuple[str, str, str]]  # (Field label, before, after); before "" when new
    reason: str = ""
    record: str = ""
    kind: str = "Changed"  # "Added", "Changed" or "Deleted"
    step: str = ""  # a figure's sign-off step: "Submitted", "Signed off by X", "Returned by X"

    def __str__(self) -> str:
        day = f"{timezone.localtime(self.when):%-d %b %Y}"
        if self.step and not self.fields:
            return f"{self.step} on {day}"
        edits = (
            "; ".join(
                f"{label.lower()} {old} to {new}" if old else f"{label.lower()} {new}"
                for label, old, new in self.fields
            )
            or self.kind.lower()
        )
        done = f"{edits} by {self.who} on {day}"
        return f"{self.step}: {done}" if self.step else done


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


def record_changes(
    history, fields: list[str], *, name=lambda record: "", step=None
) -> list[Change]:
    """Describe each historical record against the one before it, newest first.

    ``history`` is a simple-history queryset for one or more records; only
    the named fields are compared, so version bumps and timestamps stay
    quiet. ``name`` labels the record a change belongs to; ``step(record,
    before, edits)`` names a step that changed no compared field, with the
    reason to show, or returns None. One query.
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
        said, reason = (step(record, before, edits) if step else None) or (
            "",
            record.history_change_reason or "",
        )
        if edits or said or kind == "Deleted":
            who = record.history_user.get_username() if record.history_user else "data load"
            changes.append(
                Change(
                    record.history_date,
                    who,
                    edits if kind != "Deleted" else [],
                    reason,
                    name(record),
                    kind,
                    said if kind != "Deleted" else "",
                )
            )
    return list(reversed(changes))


def _sign_off_step(record, before, edits) -> tuple[str, str] | None:
    """A figure's sign-off step (``metrics.signoff.step_words``) and the reason to show."""
    moved = before is None or before.state != record.state
    if not (edits or moved):
        return None
    loaded = bool(edits) or before is None
    # Who signed off or returned it is stored with it, whatever saved the record.
    who = signoff.name(record.reviewed_by or record.history_user)
    said = signoff.step_words(record.state, who=who, loaded=loaded)
    if record.state == Actual.State.RETURNED:
        return said, record.returned_reason
    # A sign-off's own reason repeats its step; an edit keeps the reason given for it.
    return said, "" if not loaded else (record.history_change_reason or "")


def actual_changes(history) -> list[Change]:
    """A figure's history: each change, and each step of its sign-off, newest first."""
    return record_changes(
        history.select_related("reviewed_by"), ACTUAL_HISTORY_FIELDS, step=_sign_off_step
    )
