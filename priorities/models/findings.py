"""The findings register: what each inspection, review and committee told the council to fix."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import CharField, DateField, Q, TextField, Value
from django.utils import timezone
from simple_history.models import HistoricalRecords

from priorities.models.actions import Action
from priorities.models.dated import DatedLink, dated_rows, stood_then
from priorities.models.plans import Officer, PriorityArea


class FindingSource(models.Model):
    """An inspection, review or committee meeting, and the document its findings are quoted from."""

    class Kind(models.TextChoices):
        INSPECTION = "inspection", "Inspection"
        VISIT = "visit", "Inspection visit"
        REVIEW = "review", "Review"
        COMMITTEE = "committee", "Committee"

    slug = models.SlugField(max_length=80, unique=True)
    body = models.CharField(max_length=200, help_text="Who made the findings, e.g. Ofsted.")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(max_length=300)
    date = models.DateField(
        help_text="The day the findings were made: the inspection's last day, the review's "
        "date or the meeting's date."
    )
    published = models.DateField(null=True, blank=True)
    document = models.CharField(
        max_length=500, help_text="The document the findings are quoted from, by name."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "title"]

    def __str__(self) -> str:
        return f"{self.title}, {self.date:%B %Y}"


def _closed_has_evidence(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=~Q(status="closed") | ~Q(evidence=""),
        name=name,
        violation_error_message="A closed finding needs the evidence that closed it.",
    )


@dataclass(frozen=True)
class FindingState:
    """A finding's status as it stood on a day, its evidence, and the day it took effect."""

    status: str
    evidence: str
    since: datetime.date | None

    @property
    def status_label(self) -> str:
        return Finding.Status(self.status).label if self.status in Finding.Status else self.status


class FindingQuerySet(models.QuerySet):
    def as_at(self, day: datetime.date) -> "FindingQuerySet":
        """Annotate each finding as it stood at the end of ``day``: one query whatever the count.

        ``as_at_status`` is None for a finding not yet made by then, or with
        no status recorded by then.
        """
        dated = dated_rows(FindingStatus, "finding", day)
        return self.annotate(
            as_at_day=Value(day, output_field=DateField()),
            as_at_status=stood_then(day, dated, "status", "status", CharField()),
            as_at_evidence=stood_then(day, dated, "evidence", "evidence", TextField()),
            as_at_since=stood_then(day, dated, "status_as_at", "effective", DateField()),
        )

    def made_by(self, day: datetime.date) -> "FindingQuerySet":
        """The findings whose source had made them by the end of ``day``."""
        return self.filter(source__date__lte=day)


class Finding(models.Model):
    class Kind(models.TextChoices):
        JUDGEMENT = "judgement", "Judgement"
        IMPROVEMENT = "improvement", "Recommendation / what needs to improve"
        WEAKNESS = "weakness", "Area of weakness"
        COMMITTEE_ACTION = "committee_action", "Committee action"

    class Grade(models.TextChoices):
        OUTSTANDING = "outstanding", "Outstanding"
        GOOD = "good", "Good"
        REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement to be good"
        INADEQUATE = "inadequate", "Inadequate"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CLOSED = "closed", "Closed with evidence"

    source = models.ForeignKey(FindingSource, on_delete=models.PROTECT, related_name="findings")
    ref = models.CharField("reference", max_length=30, help_text="The finding's own reference.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    grade = models.CharField(
        max_length=24, choices=Grade.choices, blank=True, help_text="Judgements only."
    )
    title = models.CharField(max_length=300)
    text = models.TextField(
        blank=True, help_text="What the source said. Empty when a plan area holds it."
    )
    required_outcomes = models.TextField(blank=True)
    area = models.ForeignKey(
        PriorityArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="findings",
        help_text="The plan area that is this finding, when a plan was built on it: "
        "its text, actions and KPIs answer the finding.",
    )
    responsible_officer = models.ForeignKey(
        Officer, on_delete=models.PROTECT, null=True, blank=True, related_name="findings"
    )
    cited = models.CharField(
        "where in the source", max_length=500, help_text="Document and section or page."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    evidence = models.TextField(
        blank=True, help_text="What shows it is done or closed; needed to close it."
    )
    status_as_at = models.DateField(
        "status as at",
        null=True,
        blank=True,
        editable=False,
        help_text="The day the status above took effect (the latest dated status).",
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Goes up by one on every change, so a stale edit can be refused."
    )
    actions = models.ManyToManyField(
        Action, through="FindingAction", related_name="findings", blank=True
    )
    history = HistoricalRecords()

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["source", "ref"]
        constraints = [
            models.UniqueConstraint(fields=["source", "ref"], name="finding_ref_unique_in_source"),
            models.CheckConstraint(
                condition=Q(kind="judgement", grade__gt="") | (~Q(kind="judgement") & Q(grade="")),
                name="finding_grade_only_for_judgements",
                violation_error_message="A judgement has a grade; other findings have none.",
            ),
            _closed_has_evidence("finding_closed_has_evidence"),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title[:60]}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self.version += 1
        super().save(*args, **kwargs)

    @property
    def statement(self) -> str:
        """What the source said: the finding's own text, or its plan area's."""
        if self.text or self.area is None:
            return self.text
        return self.area.what_needs_to_improve

    @property
    def made_on(self) -> datetime.date:
        return self.source.date

    @property
    def officer(self) -> Officer | None:
        """Who answers for it: its own responsible officer, else its plan area's."""
        if self.responsible_officer_id or self.area is None:
            return self.responsible_officer
        return self.area.responsible_officer

    def state_on(self, day: datetime.date) -> FindingState | None:
        """The finding as it stood at the end of ``day``; None before it was made or dated."""
        if day < self.source.date:
            return None
        if self.status_as_at is None or self.status_as_at <= day:
            return FindingState(self.status, self.evidence, self.status_as_at)
        if getattr(self, "as_at_day", None) == day:
            if self.as_at_status is None:
                return None
            return FindingState(self.as_at_status, self.as_at_evidence, self.as_at_since)
        earlier = [row for row in self.statuses.all() if row.effective <= day]
        latest = max(earlier, key=lambda row: (row.effective, row.pk), default=None)
        return FindingState(latest.status, latest.evidence, latest.effective) if latest else None

    def status_problem(self, status: str, evidence: str, day: datetime.date) -> str | None:
        """Why this status cannot be recorded as at ``day``, or None (every write path asks)."""
        if status == self.Status.CLOSED and not evidence.strip():
            return "Give the evidence that closes this finding."
        if day > timezone.localdate():
            return "The status cannot be recorded as at a day in the future."
        if day < self.source.date:
            return f"The finding was made on {self.source.date:%-d %b %Y}: give that day or later."
        if self.status_as_at and day < self.status_as_at:
            return (
                f"This finding's status is recorded as at {self.status_as_at:%-d %b %Y}: give "
                "that day or a later one, so the record of earlier months stays as it was."
            )
        return None


class FindingStatus(models.Model):
    """A finding's status from a day on, until the next row: one row per change."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="statuses")
    effective = models.DateField("as at", help_text="The day this status took effect.")
    status = models.CharField(max_length=12, choices=Finding.Status.choices)
    evidence = models.TextField(blank=True)
    source = models.CharField(
        max_length=500, blank=True, help_text="Where this status is known from."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["finding", "effective", "pk"]
        verbose_name = "dated finding status"
        verbose_name_plural = "dated finding statuses"
        indexes = [models.Index(fields=["finding", "effective"], name="finding_status_as_at")]
        constraints = [_closed_has_evidence("finding_status_closed_has_evidence")]

    def __str__(self) -> str:
        return f"{self.get_status_display()} as at {self.effective:%-d %b %Y}"


class FindingAction(DatedLink):
    """An action that answers a finding, from a day on."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="action_links")
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="finding_links")
    history = HistoricalRecords()

    class Meta:
        ordering = ["finding", "since", "pk"]
        verbose_name = "action answering the finding"
        verbose_name_plural = "actions answering the finding"
        constraints = [
            models.UniqueConstraint(
                fields=["finding", "action", "since"], name="finding_action_once_a_day"
            ),
            DatedLink.ends_after_start("finding_action_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.action} from {self.since:%-d %b %Y}"
