"""KPIs, their targets, benchmarks and monthly figures, with the rules every write obeys."""

import datetime
import unicodedata
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Upper
from simple_history.models import HistoricalRecords

from metrics import display, periods, rag
from priorities.models import Action, Officer, Plan, PriorityArea


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


_FIGURES = ("value", "numerator", "denominator")
# Unicode categories that print nothing: format, control, unassigned, private use.
_INVISIBLE = {"Cf", "Cc", "Cn", "Co", "Cs"}


def _first_of_month(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        # Written as text matching rather than __day=1, which SQLite can only
        # check through a Python function called for every row written.
        condition=Q(**{f"{field}__endswith": "-01"}),
        name=name,
        violation_error_message="A period is a month: enter the first day of the month.",
    )


def _count_problems(numerator: Decimal, denominator: Decimal) -> dict[str, str]:
    problems = {}
    if numerator < 0:
        problems["numerator"] = "Enter a numerator of 0 or more."
    elif numerator != numerator.to_integral_value():
        problems["numerator"] = "Enter the numerator as a whole number."
    if denominator <= 0:
        problems["denominator"] = "Enter a denominator above 0."
    elif denominator != denominator.to_integral_value():
        problems["denominator"] = "Enter the denominator as a whole number."
    elif numerator > denominator and "numerator" not in problems:
        problems["numerator"] = (
            f"The numerator ({numerator:f}) cannot be more than the denominator ({denominator:f})."
        )
    return problems


def _in_service_years(field: str) -> Q:
    """Rows dated within the years the service records (a direct write may have put others)."""
    return Q(**{f"{field}__range": (periods.first_period(), periods.last_period())})


def recent_figures(actuals, since, until, *, annual_since=None):
    """Actuals shown on the board from ``since`` (an annual KPI's from ``annual_since``) to
    ``until``, oldest first; either end open when None."""
    actuals = actuals.shown_on_board().order_by("period")
    if since is not None:
        annual = Q(kpi__frequency=Kpi.Frequency.ANNUAL, period__gte=annual_since or since)
        actuals = actuals.filter(Q(period__gte=since) | annual)
    if until is not None:
        actuals = actuals.filter(period__lte=until)
    return actuals


# with_figures() prefetches these relations into lists, then hands each KPI its
# lists as the relation's prefetched result (``kpi.areas.all()`` reads them).
# Django's own prefetch into a relation builds a filtered queryset per KPI,
# which at 2,000 KPIs costs more than the queries themselves.
_PREFETCHED = {name: f"_board_{name}" for name in ("targets", "areas", "definition_changes")}


def read_steps(kpis: list["Kpi"]) -> None:
    """Give KPIs read ``with_figures(lean=True)`` their target steps (``Kpi.steps``), one query."""
    from metrics.models import figures  # defined after Kpi, on which it depends

    by_pk = {kpi.pk: kpi for kpi in kpis}
    for kpi in kpis:
        kpi.lean_steps = []
    read = (
        figures.Target.objects.filter(_in_service_years("starts"), kpi__in=list(by_pk))
        .order_by("starts")
        .values_list("kpi_id", "starts", "value", "lower", "upper")
    )
    for kpi_id, *step in read:
        by_pk[kpi_id].lean_steps.append(rag.Step(*step))


class _Prefetched(models.QuerySet):
    """A KPI's prefetched rows of a relation; anything chained on it reads the relation
    afresh from the database, as Django's own prefetched querysets do."""

    def _chain(self):
        manager = getattr(self.kpi, self.relation)
        return manager._apply_rel_filters(super(type(manager), manager).get_queryset())


def _as_prefetched(kpis) -> None:
    # One query object a relation, shared: a prefetched result is never run again.
    models_of = {name: Kpi._meta.get_field(name).related_model for name in _PREFETCHED}
    queries = {name: models.sql.Query(model) for name, model in models_of.items()}
    for kpi in kpis or ():
        cache = kpi.__dict__.setdefault("_prefetched_objects_cache", {})
        for name, attr in _PREFETCHED.items():
            rows = kpi.__dict__.pop(attr, None)
            if rows is None or name in cache:
                continue
            related = _Prefetched(models_of[name], query=queries[name])
            related._result_cache, related._prefetch_done = rows, True
            related.kpi, related.relation = kpi, name
            cache[name] = related


class KpiQuerySet(models.QuerySet):
    def for_plan(self, plan: Plan) -> "KpiQuerySet":
        return self.filter(areas__plan=plan).distinct()

    def for_area(self, area: PriorityArea) -> "KpiQuerySet":
        return self.filter(areas=area)

    def with_first_reported(self) -> "KpiQuerySet":
        """Annotate ``first_reported``: the earliest period with a figure.

        A subquery per KPI read from the one-actual-per-period index, rather
        than a MIN over a join of every actual, which groups the whole read.
        """
        from metrics.models import figures  # defined after Kpi, on which it depends

        first = (
            figures.Actual.objects.filter(_in_service_years("period"), kpi=OuterRef("pk"))
            .order_by("period")
            .values("period")[:1]
        )
        return self.annotate(first_reported=Subquery(first))

    def with_figures(
        self,
        since: datetime.date | None = None,
        until: datetime.date | None = None,
        *,
        annual_since: datetime.date | None = None,
        lean: bool = False,
    ) -> "KpiQuerySet":
        """Prefetch what ``summary.kpi_row`` needs: targets, areas, definition changes and
        the actuals in a range.

        The actuals land in ``recent_actuals``; a range keeps a board read
        small, no range fetches the whole history. An annual KPI's figures
        may reach further back, to ``annual_since``, so its trajectory has
        years to read. Five queries in all.

        ``lean`` leaves out the actuals and targets: the caller reads them
        itself, lighter (``summary.attach_figures``, ``read_steps``).
        """
        from metrics.models import figures  # defined after Kpi, on which it depends

        lookups = [
            Prefetch(
                "areas",
                # Their officers too: who signs off a figure (approvals, roles).
                queryset=PriorityArea.objects.select_related("plan", "responsible_officer"),
                to_attr=_PREFETCHED["areas"],
            ),
            # Direction and trajectory never compare across a change of definition.
            Prefetch("definition_changes", to_attr=_PREFETCHED["definition_changes"]),
        ]
        if not lean:
            # Who saved each figure comes too: the board shows who wrote its commentary.
            recent = recent_figures(
                figures.Actual.objects.select_related("updated_by__officer"),
                since,
                until,
                annual_since=annual_since,
            )
            lookups += [
                Prefetch(
                    "targets",
                    queryset=figures.Target.objects.filter(_in_service_years("starts")).order_by(
                        "starts"
                    ),
                    to_attr=_PREFETCHED["targets"],
                ),
                Prefetch("actuals", queryset=recent, to_attr="recent_actuals"),
            ]
        return self.select_related("owner").with_first_reported().prefetch_related(*lookups)

    def _prefetch_related_objects(self) -> None:
        super()._prefetch_related_objects()
        _as_prefetched(self._result_cache)

    def with_history(self) -> "KpiQuerySet":
        """Each KPI's whole history: every figure, target step and benchmark, in order.

        What a trajectory chart and its data table show; ``summary.kpi_row`` works
        on it too. Six queries whatever the number of KPIs and months.
        """
        from metrics.models import figures  # defined after Kpi, on which it depends

        return self.with_figures().prefetch_related(
            Prefetch(
                "benchmarks",
                queryset=figures.Benchmark.objects.filter(_in_service_years("period")).order_by(
                    "comparator", "period"
                ),
            )
        )


class Kpi(models.Model):
    class Unit(models.TextChoices):
        PERCENT = "percent", "Percentage"
        RATE_PER_10000 = "rate_per_10000", "Rate per 10,000 children"
        COUNT = "count", "Count"
        DAYS = "days", "Days"
        FTE = "fte", "Full-time equivalent posts"
        NUMBER = "number", "Number"
        SCORE = "score", "Score (can be below zero)"

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
        ANNUAL = "annual", "Annual"

    # Unique through the kpi_code_unique_ignoring_case constraint, which says so in words.
    code = models.CharField(
        max_length=30,
        db_index=True,
        help_text="Unique whatever its case, spacing or invisible characters, e.g. PI.426.",
    )
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
    year_ends = models.PositiveSmallIntegerField(
        "year ends in month",
        default=3,
        choices=[(month, datetime.date(2000, month, 1).strftime("%B")) for month in range(1, 13)],
        help_text="Annual KPIs only: the month their year ends (March for the financial year, "
        "August for the school year). Their figure is recorded in that month.",
    )
    owner = models.ForeignKey(
        Officer, on_delete=models.PROTECT, null=True, blank=True, related_name="kpis"
    )
    areas = models.ManyToManyField(
        PriorityArea, blank=True, related_name="kpis", help_text="Priority areas it evidences."
    )
    actions = models.ManyToManyField(
        Action, blank=True, related_name="kpis", help_text="Actions meant to move it."
    )
    numerator_label = models.CharField(max_length=200, blank=True)
    denominator_label = models.CharField(max_length=200, blank=True)
    reporting_from = models.DateField(
        null=True,
        blank=True,
        help_text="First period the KPI is reported for (first day of a month). "
        "Empty: from its earliest figure.",
    )
    reported_until = models.DateField(
        null=True,
        blank=True,
        help_text="Last period a figure is asked for (first day of a month); a missing figure "
        "after it is not required. Empty: asked for while a plan it evidences is running.",
    )
    history = HistoricalRecords(m2m_fields=[areas, actions])

    objects = KpiQuerySet.as_manager()

    class Meta:
        verbose_name = "KPI"
        verbose_name_plural = "KPIs"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                Upper("code"),
                name="kpi_code_unique_ignoring_case",
                violation_error_message="Another KPI already has this code.",
            ),
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

    def clean(self) -> None:
        self.code = self.normalise_code(self.code)
        problems = {
            name: problem
            for name in ("reporting_from", "reported_until")
            if (day := getattr(self, name)) and (problem := periods.month_problem(day))
        }
        if (
            not problems
            and self.reporting_from
            and self.reported_until
            and self.reported_until < self.reporting_from
        ):
            problems["reported_until"] = "Enter a month on or after the month it is reported from."
        if problems:
            raise ValidationError(problems)

    @staticmethod
    def normalise_code(text: str) -> str:
        """A KPI code as stored: compatible forms folded, no invisible characters or outer spaces.

        A full-width "PI.426", " PI.426 " and "PI.426" with a zero-width space
        are all PI.426; case is kept as typed, but two codes may not differ by
        case alone (the kpi_code_unique_ignoring_case constraint).
        """
        folded = unicodedata.normalize("NFKC", text or "")
        visible = "".join(ch for ch in folded if unicodedata.category(ch) not in _INVISIBLE)
        return " ".join(visible.split())

    @property
    def is_quarterly(self) -> bool:
        return self.frequency == self.Frequency.QUARTERLY

    @property
    def is_annual(self) -> bool:
        return self.frequency == self.Frequency.ANNUAL

    @property
    def period_noun(self) -> str:
        """What one of its periods is called: "month", "quarter" or "year"."""
        return {self.Frequency.QUARTERLY: "quarter", self.Frequency.ANNUAL: "year"}.get(
            self.frequency, "month"
        )

    def period_end(self, period: datetime.date) -> datetime.date:
        """The month a figure covering ``period`` is recorded on: the month itself, its
        quarter's last month, or the month its year ends."""
        if self.is_quarterly:
            return periods.quarter_end(period)
        if self.is_annual:
            return periods.year_end(period, self.year_ends)
        return period

    def period_label(self, period) -> str:
        return periods.period_label(period, self.frequency)

    def value_problems(
        self,
        value: Decimal | None,
        numerator: Decimal | None = None,
        denominator: Decimal | None = None,
    ) -> dict[str, str]:
        """What is wrong with a figure for this KPI, by field, in words a user can act on.

        The one place these rules live: the entry form, the admin and the
        workbook importer all ask here. Given a value and the counts, the
        value must be what the counts give at the KPI's decimal places.
        """
        from metrics.models import figures  # defined after Kpi, on which it depends

        problems = {
            name: too_big
            for name, number in (
                ("value", value),
                ("numerator", numerator),
                ("denominator", denominator),
            )
            if (too_big := figures.Actual.size_problem(number))
        }
        if "value" not in problems and (problem := self._value_problem(value)):
            problems["value"] = problem
        if (numerator is None) != (denominator is None):
            missing = "denominator" if denominator is None else "numerator"
            problems[missing] = f"Enter the {missing} as well, or leave both empty."
        elif numerator is not None and not {"numerator", "denominator"} & set(problems):
            problems.update(_count_problems(numerator, denominator))
            if value is not None and not problems:
                worked_out = self.value_from_ratio(numerator, denominator)
                if rag.quantize(value, self.decimal_places) != worked_out:
                    places = self.decimal_places
                    problems["value"] = (
                        f"The value {display.number(value, places)} does not match "
                        f"{numerator:f} out of {denominator:f}, which gives "
                        f"{display.number(worked_out, places)}: correct the value or the counts."
                    )
        return problems

    @staticmethod
    def percent_sign_problem(kpi: "Kpi | None") -> str | None:
        """Why a figure typed with % is refused: only a percentage KPI's value takes one."""
        if kpi is None:
            return "Enter the number without %: a count is a whole number."
        if kpi.unit != Kpi.Unit.PERCENT:
            return (
                f"{kpi.code} is measured as a {kpi.get_unit_display().lower()}, not a "
                "percentage: enter the number without %."
            )
        return None

    def _value_problem(self, value: Decimal | None) -> str | None:
        places = self.decimal_places
        if value is None:
            return None
        if self.unit == self.Unit.PERCENT and not 0 <= value <= 100:
            return "Enter a percentage between 0 and 100, for example 90.3."
        if value < 0 and self.unit != self.Unit.SCORE:
            # Only a score (e.g. a progress score, where 0 is the national average) goes below 0.
            return f"Enter a {self.get_unit_display().lower()} of 0 or more."
        if _decimals(value) > places == 0:
            return "Enter a whole number, for example 12."
        if _decimals(value) > places:
            plural = "" if places == 1 else "s"
            example = display.number(Decimal("12.345"), places)
            return (
                f"Enter the value with no more than {places} decimal place{plural}, "
                f"for example {example}."
            )
        return None

    def period_problem(self, period: datetime.date, *, today: datetime.date) -> str | None:
        """Why a figure cannot be recorded for this period, or None if it can.

        The one rule for the months a KPI may record, asked by the entry page,
        the data admin and the workbook import alike.
        """
        if problem := periods.month_problem(period):
            return problem
        if (end := self.period_end(period)) != period:
            if self.is_annual:
                return (
                    f"{self.code} is annual: record it in {periods.MONTH_NAMES[end.month - 1]}, "
                    f"the month its year ends ({periods.month_label(end)} for "
                    f"{periods.year_label(end)})."
                )
            return (
                f"{self.code} is quarterly: record it on the quarter's last month "
                f"({periods.month_label(end)} for {periods.quarter_label(period)})."
            )
        latest = self.reporting_period(periods.latest_completed_month(today))
        if period > latest:
            return (
                f"{self.period_label(period)} has not ended yet: the latest period you can "
                f"record is {self.period_label(latest)}."
            )
        if self.reporting_from and period < self.reporting_from:
            return (
                f"{self.code} is reported from {self.period_label(self.reporting_from)}: "
                f"{self.period_label(period)} is before it existed."
            )
        return None

    def calculated_problem(self) -> str | None:
        """Why a figure for this KPI is never typed in: it is calculated. None if it is not.

        The one rule, asked by Actual.clean, the entry page and the import;
        only ``metrics.calculated.recalculate`` writes a calculated KPI's figures.
        """
        formula = getattr(self, "formula", None)  # None when the KPI has no calculation
        if formula is None:
            return None
        return (
            f"{self.code} is calculated ({formula.describe()}): its figures are worked out "
            "from those KPIs, never typed in."
        )

    def value_from_ratio(self, numerator: Decimal, denominator: Decimal) -> Decimal:
        """The value a numerator over a denominator gives, rounded to the KPI's places."""
        ratio = numerator / denominator
        if self.unit == self.Unit.PERCENT:
            ratio *= 100
        elif self.unit == self.Unit.RATE_PER_10000:
            ratio *= 10000
        return rag.quantize(ratio, self.decimal_places)

    @property
    def rule(self) -> rag.Rule:
        return rag.Rule(
            polarity=self.polarity,
            unit=self.unit,
            tolerance=self.tolerance,
            tolerance_kind=self.tolerance_kind,
            decimal_places=self.decimal_places,
            frequency=self.frequency,
        )

    @property
    def steps(self) -> list[rag.Step]:
        lean = self.__dict__.get("lean_steps")  # read_steps() gave them
        return lean if lean is not None else [target.step for target in self.targets.all()]

    def reporting_period(self, period: datetime.date) -> datetime.date:
        """The period a board read for ``period`` shows: the latest quarter or year ended then."""
        end = self.period_end(period)
        return end if end == period else periods.add_months(end, -self.rule.interval)

    def asked_for(self, period: datetime.date) -> bool:
        """Whether a figure for the period was asked for (rag.asked_for).

        Up to the KPI's ``reported_until`` month if it has one, or else while
        a plan it evidences is running; reads the prefetched areas and plans.
        """
        return rag.asked_for(
            period,
            interval=self.rule.interval,
            reported_until=self.reported_until,
            plans=[(area.plan.start, area.plan.end) for area in self.areas.all()],
        )

    def missing_status(self, period: datetime.date, *, today: datetime.date) -> rag.Status:
        """No figure for the period: "no data", "not required" or "overdue" (rag.missing_status).

        A KPI is due from its reporting_from month, or failing that from its
        first figure (``first_reported``, annotated by with_first_reported()),
        and only for periods it was asked for.
        """
        return rag.missing_status(
            period,
            today=today,
            deadline_working_day=settings.SUBMISSION_DEADLINE_WORKING_DAY,
            reporting_from=self.reporting_from or self.first_reported,
            asked=self.asked_for(period),
        )
