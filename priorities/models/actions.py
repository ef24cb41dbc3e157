"""Actions and their dated statuses: what was done, by when, as it stood on any day."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Count, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.models import HistoricalRecords

from metrics import periods
from priorities.models.dated import dated_rows, stood_then
from priorities.models.plans import Officer, PriorityArea

UPGRADE_SOURCE = "The action's state when dated statuses began"

ORIGINAL_DATE_FIXED = (
    "The original delivery date of an action is never changed: "
    "set the current delivery date instead."
)


def _only_completed_has_completed_date(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(completed_date__isnull=True) | Q(status="completed"),
        name=name,
        violation_error_message="Only a completed action has a completed date.",
    )


@dataclass(frozen=True)
class ActionState:
    """An action's status and dates as they stood on a day, and the day they took effect.

    ``since`` is None for an action whose status has never been dated (it
    holds on every day).
    """

    status: str
    current_delivery_date: datetime.date | None
    completed_date: datetime.date | None
    since: datetime.date | None

    @property
    def status_label(self) -> str:
        return Action.Status(self.status).label if self.status in Action.Status else self.status


class ActionQuerySet(models.QuerySet):
    def as_at(self, day: datetime.date) -> "ActionQuerySet":
        """Annotate each action as it stood at the end of ``day`` (see ``Action.state_on``).

        ``as_at_status`` is None where no status had been recorded by then.
        The row itself holds the latest state, so the dated record is read
        only for an action changed since ``day``: one query whatever the count.
        """
        dated = dated_rows(ActionStatus, "action", day)

        def then(own: str, field: str, output) -> Case:
            return stood_then(day, dated, own, field, output)

        return self.annotate(
            as_at_day=Value(day, output_field=models.DateField()),
            as_at_status=then("status", "status", models.CharField()),
            as_at_current=then(
                "current_delivery_date", "current_delivery_date", models.DateField()
            ),
            as_at_completed=then("completed_date", "completed_date", models.DateField()),
            as_at_since=then("status_as_at", "effective", models.DateField()),
            as_at_due=Coalesce("as_at_current", "original_delivery_date"),
        )

    def status_counts(self, day: datetime.date) -> dict[str, int]:
        """How many actions stood in each status at the end of ``day``, and how many were overdue.

        Keys are ``Action.count_rules``'s: an action with no status recorded
        by then is "not_reported", never "not_started". One query.
        """
        return self.as_at(day).aggregate(
            **{key: Count("pk", filter=rule) for key, rule in Action.count_rules(day).items()}
        )


class Action(models.Model):
    class Theme(models.TextChoices):
        PEOPLE = "people", "People"
        PRACTICE = "practice", "Practice"
        PARTNERS = "partners", "Partners"

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    area = models.ForeignKey(PriorityArea, on_delete=models.PROTECT, related_name="actions")
    ref = models.CharField("reference", max_length=20, help_text="The plan's own number, e.g. 1.3")
    theme = models.CharField(max_length=10, choices=Theme.choices, blank=True)
    description = models.TextField()
    owner = models.ForeignKey(
        Officer, on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    original_delivery_date = models.DateField(
        null=True, blank=True, help_text="The date first agreed. Never changed once set."
    )
    current_delivery_date = models.DateField(
        null=True, blank=True, help_text="The revised date, where the action has slipped."
    )
    expected_outputs = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    evidence_of_impact = models.TextField(blank=True)
    notes = models.TextField(blank=True, help_text="Progress notes, e.g. the tracker's own notes.")
    completed_date = models.DateField(null=True, blank=True)
    status_as_at = models.DateField(
        "status as at",
        null=True,
        blank=True,
        editable=False,
        help_text="The day the status and dates above took effect (the latest dated status).",
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Goes up by one on every change, so a stale edit can be refused."
    )
    history = HistoricalRecords()

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["area", "ref"]
        constraints = [
            models.UniqueConstraint(fields=["area", "ref"], name="action_ref_unique_in_area"),
            _only_completed_has_completed_date("action_completed_date_only_when_completed"),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.description[:60]}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            if not hasattr(self, "_loaded_original_date"):
                # Not loaded through the ORM (e.g. rebuilt from history): ask the table.
                stored = Action.objects.filter(pk=self.pk).values_list(
                    "original_delivery_date", flat=True
                )
                self._loaded_original_date = stored.first()
            loaded = self._loaded_original_date
            if loaded is not None and self.original_delivery_date != loaded:
                raise ValueError(ORIGINAL_DATE_FIXED)
            self.version += 1
        super().save(*args, **kwargs)
        self._loaded_original_date = self.original_delivery_date

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_original_date = instance.__dict__.get("original_delivery_date")
        return instance

    def clean(self) -> None:
        """The action rules every write path applies (``priorities.services.update_action``)."""
        problems = {
            name: problem
            for name in ("original_delivery_date", "current_delivery_date", "completed_date")
            if (day := getattr(self, name)) and (problem := periods.year_problem(day))
        }
        if "completed_date" not in problems and (problem := self._completion_problem()):
            problems["completed_date"] = problem
        loaded = getattr(self, "_loaded_original_date", None)
        if self.pk and loaded is not None and self.original_delivery_date != loaded:
            problems["original_delivery_date"] = (
                f"The original delivery date is never changed (it is {_day(loaded)}): "
                "put the new date in the current delivery date."
            )
        if problems:
            raise ValidationError(problems)

    def _completion_problem(self) -> str | None:
        if self.status != self.Status.COMPLETED:
            return (
                "Only give a date completed when the status is Completed."
                if self.completed_date
                else None
            )
        if self.completed_date is None:
            return "Give the date the action was completed."
        if self.completed_date > timezone.localdate():
            return "The date completed cannot be in the future."
        return None

    def date_change_reason(self, new_date: datetime.date | None, why: str) -> str:
        """How a moved delivery date is recorded in the history: from, to, and why."""
        before = self.current_delivery_date or self.original_delivery_date
        return f"Delivery date moved from {_day(before)} to {_day(new_date)}: {why.strip()}"

    @property
    def ref_key(self) -> tuple:
        """Natural order for references: 2 before 10, 1.2 before 1.10."""
        return tuple(
            (0, int(part), "") if part.isdigit() else (1, 0, part) for part in self.ref.split(".")
        )

    @property
    def due_date(self) -> datetime.date | None:
        return self.current_delivery_date or self.original_delivery_date

    def slippage_months(self, state: ActionState | None = None) -> int:
        """Whole months from the original delivery date to the current (``periods.whole_months``).

        The current date is the one in ``state`` (as the action stood on a
        day) if given, else the latest; none set means no slippage.
        """
        current = state.current_delivery_date if state else self.current_delivery_date
        if self.original_delivery_date and current:
            return periods.whole_months(self.original_delivery_date, current)
        return 0

    @property
    def state(self) -> ActionState:
        """The action as it stands now (the row keeps the latest dated status)."""
        return ActionState(
            self.status, self.current_delivery_date, self.completed_date, self.status_as_at
        )

    def state_on(self, day: datetime.date) -> ActionState | None:
        """The action as it stood at the end of ``day``; None if no status was recorded by then.

        Reads the ``as_at`` annotation for that day if the action was fetched
        with it, else prefetched ``statuses``, else asks the table.
        """
        if self.status_as_at is None or self.status_as_at <= day:
            return self.state
        if getattr(self, "as_at_day", None) == day:
            if self.as_at_status is None:
                return None
            return ActionState(
                self.as_at_status, self.as_at_current, self.as_at_completed, self.as_at_since
            )
        earlier = [row for row in self.statuses.all() if row.effective <= day]
        latest = max(earlier, key=lambda row: (row.effective, row.pk), default=None)
        return latest.state if latest else None

    @staticmethod
    def count_rules(on: datetime.date) -> dict[str, Q]:
        """What each action count counts, over a queryset annotated ``as_at(on)``.

        The statuses split every action; overdue cuts across them.
        """
        return {
            "completed": Q(as_at_status=Action.Status.COMPLETED),
            "in_progress": Q(as_at_status=Action.Status.IN_PROGRESS),
            "not_started": Q(as_at_status=Action.Status.NOT_STARTED),
            "not_reported": Q(as_at_status__isnull=True),
            "overdue": Action.overdue_as_at(on),
            "total": Q(pk__isnull=False),
        }

    @staticmethod
    def overdue_as_at(on: datetime.date) -> Q:
        """``is_overdue`` in SQL, over a queryset annotated ``as_at(on)``."""
        done = Q(as_at_status=Action.Status.COMPLETED) & (
            Q(as_at_completed__isnull=True) | Q(as_at_completed__lte=on)
        )
        return Q(as_at_status__isnull=False, as_at_due__lt=on) & ~done

    def is_overdue(self, on: datetime.date) -> bool:
        """Past its delivery date on that day and not completed by then, as it stood then.

        An action with no status recorded by that day is not overdue (it is
        shown as not yet reported). A completed action with no completed date
        is taken as done in time.
        """
        return self.overdue_in(self.state_on(on), on)

    def overdue_in(self, state: ActionState | None, on: datetime.date) -> bool:
        """``is_overdue`` for a state already read with ``state_on(on)``."""
        if state is None:
            return False
        due = state.current_delivery_date or self.original_delivery_date
        if due is None or due >= on:
            return False
        if state.status == self.Status.COMPLETED:
            return state.completed_date is not None and state.completed_date > on
        return True

    def status_date_problem(self, day: datetime.date, today: datetime.date) -> str | None:
        """Why a status cannot be recorded as at ``day``, or None.

        A later month's record is never rewritten by an earlier date: the
        dated record only grows forward.
        """
        if day > today:
            return "The status cannot be recorded as at a day in the future."
        if self.status_as_at and day < self.status_as_at:
            return (
                f"This action's status is recorded as at {_day(self.status_as_at)}: give that "
                "day or a later one, so the record of earlier months stays as it was."
            )
        return periods.year_problem(day)


class ActionStatus(models.Model):
    """An action's status and dates from a day on, until the next row: one row per change.

    Row timestamps say when it was typed in; ``effective`` says when it
    took effect, which is what a past month's pages read.
    """

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="statuses")
    effective = models.DateField("as at", help_text="The day this status took effect.")
    status = models.CharField(max_length=12, choices=Action.Status.choices)
    current_delivery_date = models.DateField(null=True, blank=True)
    completed_date = models.DateField(null=True, blank=True)
    source = models.CharField(
        max_length=500, blank=True, help_text="Where this status is known from."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["action", "effective", "pk"]
        verbose_name = "dated action status"
        verbose_name_plural = "dated action statuses"
        indexes = [models.Index(fields=["action", "effective"], name="action_status_as_at")]
        constraints = [
            _only_completed_has_completed_date("action_status_completed_date_only_when_completed"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} as at {_day(self.effective)}"

    @property
    def state(self) -> ActionState:
        return ActionState(
            self.status, self.current_delivery_date, self.completed_date, self.effective
        )


def _day(day: datetime.date | None) -> str:
    return f"{day:%-d %b %Y}" if day else "no date"
