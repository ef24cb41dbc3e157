"""Saved scorecards: a named grid of KPIs, grouped as the council groups them."""

from django.db import models
from simple_history.models import HistoricalRecords

from metrics.models.kpis import Kpi


class Scorecard(models.Model):
    class Columns(models.TextChoices):
        MONTHLY = "monthly", "Months"
        QUARTERLY = "quarterly", "Quarters"

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    source = models.CharField(
        max_length=300, blank=True, help_text="The council document this grid reproduces."
    )
    columns = models.CharField(max_length=10, choices=Columns.choices, default=Columns.MONTHLY)
    periods = models.PositiveSmallIntegerField(
        default=6, help_text="How many months or quarters across."
    )
    as_at = models.DateField(
        null=True,
        blank=True,
        help_text="The month it opens at (first day); empty for the latest month with figures.",
    )
    kpis = models.ManyToManyField(Kpi, through="ScorecardRow", related_name="scorecards")
    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ScorecardRow(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="rows")
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="+")
    group = models.CharField(
        max_length=200, blank=True, help_text="The heading it is grouped under, e.g. a priority."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["scorecard", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "kpi"], name="kpi_once_per_scorecard"),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard}: {self.kpi.code}"
