"""A KPI's figures: its target steps, its actuals (one a period) and its benchmarks."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from metrics import periods, rag
from metrics.models.kpis import Kpi, _first_of_month, _in_service_years


class Target(models.Model):
    """A target in force from a month until the next step for the same KPI."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="targets")
    starts = models.DateField("in force from", help_text="First day of the month it applies from.")
    value = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    lower = models.DecimalField(
        max_digits=12, decimal_places=4, null=True, blank=True, help_text="Band, neutral KPIs only."
    )
    upper = models.DecimalField(
        max_digits=12, decimal_places=4, null=True, blank=True, help_text="Band, neutral KPIs only."
    )
    source = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kpi", "starts"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "starts"], name="target_one_step_per_month"),
            _first_of_month("starts", "target_starts_first_of_month"),
            models.CheckConstraint(
                condition=Q(value__isnull=False)
                | (Q(lower__isnull=False) & Q(upper__isnull=False)),
                name="target_has_value_or_band",
                violation_error_message="Give a target value, or both ends of a band.",
            ),
            models.CheckConstraint(
                condition=Q(lower__isnull=True) | Q(upper__isnull=True) | Q(lower__lte=F("upper")),
                name="target_band_lower_not_above_upper",
                violation_error_message="The lower end of the band cannot be above the upper end.",
            ),
        ]

    def __str__(self) -> str:
        if self.lower is not None:
            level = f"{self.lower} to {self.upper}"
        else:
            level = f"{self.value}"
        return f"{self.kpi.code} from {periods.month_label(self.starts)}: {level}"

    def clean(self) -> None:
        if self.starts and (problem := periods.month_problem(self.starts)):
            raise ValidationError({"starts": problem})

    @property
    def step(self) -> rag.Step:
        return rag.Step(starts=self.starts, value=self.value, lower=self.lower, upper=self.upper)


class ActualQuerySet(models.QuerySet):
    def shown_on_board(self) -> "ActualQuerySet":
        """Figures for months the service records; anything else is a stray direct write."""
        return self.filter(_in_service_years("period"))

    def provisional(self) -> "ActualQuerySet":
        """Figures not yet signed off; none while sign-off is switched off."""
        if not settings.SIGN_OFF_REQUIRED:
            return self.none()
        return self.exclude(state=Actual.State.SIGNED_OFF)

    def awaiting_sign_off(self) -> "ActualQuerySet":
        return self.filter(state=Actual.State.SUBMITTED)


class Actual(models.Model):
    class State(models.TextChoices):
        """Where a figure stands in the monthly sign-off (``metrics.signoff``)."""

        SUBMITTED = "submitted", "Awaiting sign-off"
        SIGNED_OFF = "signed_off", "Signed off"
        RETURNED = "returned", "Returned"

    # No index of its own: the unique (kpi, period) constraint below leads with it.
    kpi = models.ForeignKey(Kpi, on_delete=models.PROTECT, related_name="actuals", db_index=False)
    period = models.DateField(help_text="First day of the month; a quarter's last month.")
    value = models.DecimalField(max_digits=12, decimal_places=4)
    numerator = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    denominator = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    what_data_tells_us = models.TextField("what is the data telling us", blank=True)
    issues_and_risks = models.TextField("what are the issues and risks", blank=True)
    evidence_of_impact = models.TextField("what evidence shows the actions are working", blank=True)
    source = models.CharField(max_length=300, blank=True)
    note = models.CharField(
        max_length=300,
        blank=True,
        help_text="A footnote to this figure, shown beside it and never part of the number, "
        "e.g. why the establishment rose that month.",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(
        default=1, help_text="Goes up by one on every change, so a stale edit can be refused."
    )
    # Sign-off: a figure its owner saves waits for an approver (metrics.signoff).
    state = models.CharField(
        "sign-off", max_length=12, choices=State.choices, default=State.SUBMITTED
    )
    first_submitted_at = models.DateTimeField(
        "first received",
        null=True,
        blank=True,
        help_text="When the figure first arrived; empty for figures loaded from published papers.",
    )
    submitted_at = models.DateTimeField(
        "last submitted", null=True, blank=True, help_text="When its owner last saved it."
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who signed it off or returned it; empty when signed off by loading it.",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    returned_reason = models.TextField("why it was returned", blank=True)
    history = HistoricalRecords()

    objects = ActualQuerySet.as_manager()

    # The three questions each figure answers; a page of text each at most.
    COMMENTARY = ("what_data_tells_us", "issues_and_risks", "evidence_of_impact")
    COMMENTARY_MAX_LENGTH = 5000

    class Meta:
        ordering = ["kpi", "period"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "period"], name="actual_one_per_kpi_period"),
            _first_of_month("period", "actual_period_first_of_month"),
            models.CheckConstraint(
                condition=Q(numerator__isnull=True, denominator__isnull=True)
                | Q(numerator__isnull=False, denominator__isnull=False),
                name="actual_numerator_and_denominator_together",
                violation_error_message="Give both the numerator and the denominator, or neither.",
            ),
            models.CheckConstraint(
                condition=Q(denominator__isnull=True)
                | (Q(denominator__gt=0) & Q(numerator__gte=0) & Q(numerator__lte=F("denominator"))),
                name="actual_numerator_within_denominator",
                violation_error_message=(
                    "The numerator must be between 0 and the denominator, "
                    "and the denominator above 0."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi.code} {periods.month_label(self.period)}: {self.value}"

    def save(self, *args, **kwargs):
        # Every change, from any path, moves the version on, so an edit based
        # on an older version can be recognised and refused.
        if not self._state.adding:
            self.version += 1
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """The figure rules every write path applies (``metrics.services.save_actual``)."""
        if not self.kpi_id:
            return
        if problem := self.kpi.calculated_problem():
            raise ValidationError({"value": problem})
        problems = {}
        if self.period and (
            problem := self.kpi.period_problem(self.period, today=timezone.localdate())
        ):
            problems["period"] = problem
        problems |= self.kpi.value_problems(self.value, self.numerator, self.denominator)
        problems |= self.text_problems({name: getattr(self, name) for name in self.COMMENTARY})
        if problems:
            raise ValidationError(problems)

    @classmethod
    def size_problem(cls, number: Decimal | None) -> str | None:
        """A figure too large to store, from the value field's own digits."""
        field = cls._meta.get_field("value")
        limit = Decimal(10) ** (field.max_digits - field.decimal_places)
        if number is not None and abs(number) >= limit:
            return f"Enter a number below {limit:,}."
        return None

    @classmethod
    def text_problems(cls, texts: dict[str, str]) -> dict[str, str]:
        """Commentary, source and footnote longer than they may be, by field."""
        limits = {name: cls.COMMENTARY_MAX_LENGTH for name in cls.COMMENTARY}
        for name in ("source", "note"):
            limits[name] = cls._meta.get_field(name).max_length
        return {
            name: f"Shorten this to {limits[name]:,} characters or fewer."
            for name, text in texts.items()
            if name in limits and len(text or "") > limits[name]
        }

    @property
    def is_provisional(self) -> bool:
        """Not yet signed off, while the deployment asks for sign-off (``SIGN_OFF_REQUIRED``)."""
        return settings.SIGN_OFF_REQUIRED and self.state != self.State.SIGNED_OFF

    @property
    def ratio_percent(self) -> Decimal | None:
        if self.numerator is None or not self.denominator:
            return None
        return Decimal(self.numerator) * 100 / Decimal(self.denominator)


class Benchmark(models.Model):
    class Comparator(models.TextChoices):
        STATISTICAL_NEIGHBOURS = "statistical_neighbours", "Statistical neighbours"
        REGION = "region", "West Midlands region"
        ENGLAND = "england", "England"

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="benchmarks")
    comparator = models.CharField(max_length=30, choices=Comparator.choices)
    period = models.DateField()
    value = models.DecimalField(max_digits=12, decimal_places=4)
    source = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kpi", "comparator", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "comparator", "period"], name="benchmark_one_per_comparator_period"
            ),
            _first_of_month("period", "benchmark_period_first_of_month"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi.code} {self.get_comparator_display()} {periods.month_label(self.period)}"

    def clean(self) -> None:
        if self.period and (problem := periods.month_problem(self.period)):
            raise ValidationError({"period": problem})
