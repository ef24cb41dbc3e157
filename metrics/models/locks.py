"""Locking months after a board meeting."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from metrics import periods


class PeriodLockQuerySet(models.QuerySet):
    def locked_through(self) -> datetime.date | None:
        """The last locked month, from the most recent lock (None: nothing locked)."""
        latest = self.order_by("-created_at", "-pk").first()
        return latest.locked_through if latest else None


class PeriodLock(models.Model):
    """Periods up to and including ``locked_through`` are closed, e.g. after a board meeting.

    Each lock is a new row, so the record of who locked and unlocked what
    stays; the most recent row is the one in force.
    """

    locked_through = models.DateField(
        null=True,
        blank=True,
        help_text="Last locked month (first day of the month). Empty: unlock everything.",
    )
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PeriodLockQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        get_latest_by = "created_at"
        constraints = [
            models.CheckConstraint(
                condition=Q(locked_through__isnull=True) | Q(locked_through__endswith="-01"),
                name="period_lock_first_of_month",
                violation_error_message="A period is a month: enter the first day of the month.",
            ),
        ]

    def __str__(self) -> str:
        if self.locked_through is None:
            return "All periods open"
        return f"Locked up to {periods.month_label(self.locked_through)}"

    def clean(self) -> None:
        problems = {}
        latest = periods.latest_completed_month(timezone.localdate())
        if self.locked_through and (problem := periods.month_problem(self.locked_through)):
            problems["locked_through"] = problem
        elif self.locked_through and self.locked_through > latest:
            problems["locked_through"] = (
                f"Only months that have ended can be locked: the latest is "
                f"{periods.month_label(latest)}."
            )
        if not self.reason.strip():
            problems["reason"] = "Say why, for example: the board met on 5 November."
        if problems:
            raise ValidationError(problems)

    @staticmethod
    def is_locked(period: datetime.date, locked_through: datetime.date | None) -> bool:
        return locked_through is not None and period <= locked_through

    @staticmethod
    def refusal(
        period: datetime.date,
        label: str,
        *,
        locked_through: datetime.date | None,
        may_change: bool,
        reason: str,
    ) -> str | None:
        """Why a change to ``period`` is refused by the lock in force, or None.

        The one lock rule: the entry page, the data admin and the import ask
        here. Locked months change only by someone who may change them
        (``roles.edits_everything``), and only with a reason for the history.
        """
        if not PeriodLock.is_locked(period, locked_through):
            return None
        closed = f"{label} is locked (closed up to {periods.month_label(locked_through)})"
        if not may_change:
            return f"{closed}: ask a performance analyst to change it."
        if not reason.strip():
            return f"{closed}: give a reason for the change."
        return None
