"""Calculated KPIs: a KPI worked out from two others, and the months its definition changed."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from metrics import display, periods
from metrics.models.kpis import Kpi


class KpiFormula(models.Model):
    """How a calculated KPI is worked out from two others, month by month.

    Its figures are never typed in: they are worked out whenever both inputs
    have a figure for the month, in the transaction that writes an input.
    """

    class Kind(models.TextChoices):
        PERCENT = "percent", "First as a percentage of second"
        SUM = "sum", "First plus second"
        DIFFERENCE = "difference", "First minus second"

    kpi = models.OneToOneField(Kpi, on_delete=models.CASCADE, related_name="formula")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    first = models.ForeignKey(Kpi, on_delete=models.PROTECT, related_name="formulas_as_first")
    second = models.ForeignKey(Kpi, on_delete=models.PROTECT, related_name="formulas_as_second")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "calculation"
        constraints = [
            models.CheckConstraint(
                condition=~Q(first=F("kpi")) & ~Q(second=F("kpi")),
                name="formula_not_from_itself",
                violation_error_message="A calculated KPI cannot be worked out from itself.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi.code} = {self.describe()}"

    @property
    def joining_words(self) -> str:
        """What stands between the two inputs when the calculation is put in words."""
        return {
            self.Kind.PERCENT: "as a percentage of",
            self.Kind.SUM: "plus",
            self.Kind.DIFFERENCE: "minus",
        }[self.kind]

    def describe(self, first: Decimal | None = None, second: Decimal | None = None) -> str:
        """The calculation in words, naming both inputs by code, and their figures when given:
        "PI.1 (100) as a percentage of PI.2 (132.44)"."""

        def named(kpi: Kpi, value: Decimal | None) -> str:
            return kpi.code if value is None else f"{kpi.code} ({display.exact(value)})"

        return f"{named(self.first, first)} {self.joining_words} {named(self.second, second)}"

    def compute(self, first: Decimal, second: Decimal) -> Decimal | None:
        """The calculated figure at the KPI's decimal places; None when it has no value
        (a percentage of nothing)."""
        if self.kind == self.Kind.PERCENT:
            if second == 0:
                return None
            value = first / second * 100
        elif self.kind == self.Kind.SUM:
            value = first + second
        else:
            value = first - second
        return value.quantize(Decimal(1).scaleb(-self.kpi.decimal_places), ROUND_HALF_UP)

    def clean(self) -> None:
        if not (self.kpi_id and self.first_id and self.second_id):
            return
        if self.kpi_id in (self.first_id, self.second_id):
            raise ValidationError("A calculated KPI cannot be worked out from itself.")
        if self._feeds_into(self.kpi_id, {self.first_id, self.second_id}):
            raise ValidationError(
                f"{self.kpi.code} is already an input, directly or through another "
                "calculation, of one of these KPIs: a calculation cannot go round in a circle."
            )

    @staticmethod
    def _feeds_into(kpi_id: int, inputs: set[int]) -> bool:
        """Whether ``kpi_id`` is among the inputs of ``inputs``, however deep."""
        seen: set[int] = set()
        while inputs - seen:
            if kpi_id in inputs:
                return True
            seen |= inputs
            rows = KpiFormula.objects.filter(kpi_id__in=inputs).values_list("first_id", "second_id")
            inputs = {pk for pair in rows for pk in pair} | seen
        return False


class DefinitionChange(models.Model):
    """A KPI's definition changed from a month on: figures either side are not compared."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="definition_changes")
    starts = models.DateField(help_text="The first month the new definition applies (first day).")
    old_definition = models.TextField()
    new_definition = models.TextField()
    source = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kpi", "starts"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "starts"], name="one_definition_change_a_month"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi.code}: definition changed from {periods.month_label(self.starts)}"

    @staticmethod
    def between(
        changes: "list[DefinitionChange]", earlier: datetime.date, later: datetime.date
    ) -> "DefinitionChange | None":
        """The change that falls between two periods (after ``earlier``, by ``later``), if any.

        The one rule for a break in a series: figures either side of it are
        never compared (direction, trajectory) or joined (charts).
        ``changes`` are the KPI's, e.g. prefetched ``kpi.definition_changes``.
        """
        low, high = sorted((earlier, later))
        return next((change for change in changes if low < change.starts <= high), None)

    def clean(self) -> None:
        if self.starts and (problem := periods.month_problem(self.starts)):
            raise ValidationError({"starts": problem})
