import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from metrics import periods

ORIGINAL_DATE_FIXED = (
    "The original delivery date of an action is never changed: "
    "set the current delivery date instead."
)


class Plan(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    start = models.DateField(null=True, blank=True, help_text="First month the plan covers.")
    end = models.DateField(null=True, blank=True, help_text="Last month the plan covers.")
    source = models.CharField(max_length=300, blank=True, help_text="Where the plan comes from.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["start", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True)
                | Q(start__isnull=True)
                | Q(end__gte=models.F("start")),
                name="plan_end_not_before_start",
                violation_error_message="The plan cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Officer(models.Model):
    """A post in the plan (recorded by role title), optionally held by a login."""

    role_title = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=200, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="officer",
        help_text="The login that acts for this post: it may update what the post owns.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["role_title"]

    def __str__(self) -> str:
        return f"{self.role_title} ({self.name})" if self.name else self.role_title


class PriorityAreaQuerySet(models.QuerySet):
    def with_overdue_actions(self, on: datetime.date) -> "PriorityAreaQuerySet":
        """Annotate ``overdue_actions``: the actions overdue on a date (see Action.is_overdue)."""
        late = Q(actions__current_delivery_date__lt=on) | Q(
            actions__current_delivery_date__isnull=True, actions__original_delivery_date__lt=on
        )
        done = Q(actions__status=Action.Status.COMPLETED) & (
            Q(actions__completed_date__isnull=True) | Q(actions__completed_date__lte=on)
        )
        return self.annotate(overdue_actions=Count("actions", filter=late & ~done))


class PriorityArea(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="areas")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    what_needs_to_improve = models.TextField(blank=True)
    responsible_officer = models.ForeignKey(
        Officer, on_delete=models.PROTECT, null=True, blank=True, related_name="areas"
    )
    history = HistoricalRecords()

    objects = PriorityAreaQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="area_number_unique_in_plan"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


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
    completed_date = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(
        default=1, help_text="Goes up by one on every change, so a stale edit can be refused."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["area", "ref"]
        constraints = [
            models.UniqueConstraint(fields=["area", "ref"], name="action_ref_unique_in_area"),
            models.CheckConstraint(
                condition=Q(completed_date__isnull=True) | Q(status="completed"),
                name="action_completed_date_only_when_completed",
                violation_error_message="Only a completed action has a completed date.",
            ),
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
    def due_date(self) -> datetime.date | None:
        return self.current_delivery_date or self.original_delivery_date

    @property
    def slippage_days(self) -> int:
        if self.original_delivery_date and self.current_delivery_date:
            return (self.current_delivery_date - self.original_delivery_date).days
        return 0

    def is_overdue(self, on: datetime.date) -> bool:
        """Past its current delivery date on that day and not completed by then.

        A completed action with no completed date is taken as done in time.
        """
        due = self.due_date
        if due is None or due >= on:
            return False
        if self.status == self.Status.COMPLETED:
            return self.completed_date is not None and self.completed_date > on
        return True


def _day(day: datetime.date | None) -> str:
    return f"{day:%-d %b %Y}" if day else "no date"
