from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from metrics import periods
from priorities.models import Officer, PriorityArea


def _first_of_month(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__day": 1}),
        name=name,
        violation_error_message="A period is a month: enter the first day of the month.",
    )


class Kpi(models.Model):
    class Unit(models.TextChoices):
        PERCENT = "percent", "Percentage"
        RATE_PER_10000 = "rate_per_10000", "Rate per 10,000 children"
        COUNT = "count", "Count"
        DAYS = "days", "Days"
        FTE = "fte", "Full-time equivalent posts"
        NUMBER = "number", "Number"

    class Polarity(models.TextChoices):
        HIGHER = "higher", "Higher is better"
        LOWER = "lower", "Lower is better"
        NEUTRAL = "neutral", "Neutral: monitored, neither direction is better"

    class ToleranceKind(models.TextChoices):
        ABSOLUTE = "absolute", "Absolute (in the KPI's own units)"
        RELATIVE = "relative", "Relative (% of the target)"

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"

    code = models.CharField(max_length=30, unique=True)
    title = models.CharField(max_length=300)
    definition = models.TextField(blank=True)
    unit = models.CharField(max_length=20, choices=Unit.choices, default=Unit.PERCENT)
    polarity = models.CharField(max_length=10, choices=Polarity.choices)
    tolerance = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="How far from target is amber rather than red. Empty: the documented default.",
    )
    tolerance_kind = models.CharField(
        max_length=10, choices=ToleranceKind.choices, default=ToleranceKind.ABSOLUTE
    )
    decimal_places = models.PositiveSmallIntegerField(default=1)
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    owner = models.ForeignKey(
        Officer, on_delete=models.PROTECT, null=True, blank=True, related_name="kpis"
    )
    areas = models.ManyToManyField(
        PriorityArea, blank=True, related_name="kpis", help_text="Priority areas it evidences."
    )
    numerator_label = models.CharField(max_length=200, blank=True)
    denominator_label = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "KPI"
        verbose_name_plural = "KPIs"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decimal_places__lte=4),
                name="kpi_decimal_places_max_4",
                violation_error_message="Decimal places can be 0 to 4.",
            ),
            models.CheckConstraint(
                condition=Q(tolerance__isnull=True) | Q(tolerance__gte=0),
                name="kpi_tolerance_not_negative",
                violation_error_message="Tolerance cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_quarterly(self) -> bool:
        return self.frequency == self.Frequency.QUARTERLY

    def period_label(self, period) -> str:
        return periods.period_label(period, self.frequency)


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


class Actual(models.Model):
    kpi = models.ForeignKey(Kpi, on_delete=models.PROTECT, related_name="actuals")
    period = models.DateField(help_text="First day of the month; a quarter's last month.")
    value = models.DecimalField(max_digits=12, decimal_places=4)
    numerator = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    denominator = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    what_data_tells_us = models.TextField("what is the data telling us", blank=True)
    issues_and_risks = models.TextField("what are the issues and risks", blank=True)
    evidence_of_impact = models.TextField("what evidence shows the actions are working", blank=True)
    source = models.CharField(max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

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

    def clean(self) -> None:
        if self.kpi_id and self.kpi.is_quarterly and not periods.is_quarter_end(self.period):
            raise ValidationError(
                {"period": "A quarterly value is stored on the quarter's last month."}
            )

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
