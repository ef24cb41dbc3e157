import datetime

from django import forms
from django.core.exceptions import ValidationError

from metrics import numbers, periods
from metrics.models import Actual, Kpi, PeriodLock


def add_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal, by field, shown on the form (on the form itself for other fields)."""
    for name, problems in error.message_dict.items():
        form.add_error(name if name in form.fields else None, problems)


class ReadField(forms.CharField):
    """Text a person typed, read by one of the project's shared readers.

    ``read`` takes the stripped text and raises ValueError with a message
    the user can act on; the workbook import reads the same text the same way.
    """

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            return self.read(text)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from None

    def read(self, text: str):
        raise NotImplementedError


class FigureField(ReadField):
    """A figure as people type it ("1,000", "90.3%").

    A % sign is accepted only for a percentage KPI's value: never for counts,
    and for a value once ``kpi`` is known (a form that chooses the KPI checks
    ``percent_typed`` itself).
    """

    def __init__(self, *, counts: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.counts, self.kpi, self.percent_typed = counts, None, False

    def read(self, text: str):
        number, self.percent_typed = numbers.read_number(text)
        checked = self.counts or self.kpi is not None
        if self.percent_typed and checked and (problem := self._percent_problem()):
            raise ValueError(problem)
        return number

    def _percent_problem(self) -> str | None:
        return Kpi.percent_sign_problem(None if self.counts else self.kpi)


class DayField(ReadField):
    """A date as people type it (31/3/2021, 31 March 2021, Oct-19 for the end of October)."""

    widget = forms.DateInput(format="%d/%m/%Y")

    def read(self, text: str):
        return periods.read_day(text)


class ActualForm(forms.Form):
    """A month's (or quarter's) figure and commentary for one KPI."""

    value = FigureField()
    numerator = FigureField(counts=True)
    denominator = FigureField(counts=True)
    what_data_tells_us = forms.CharField(
        label="What is the data telling us?", required=False, widget=forms.Textarea
    )
    issues_and_risks = forms.CharField(
        label="What are the issues and risks?", required=False, widget=forms.Textarea
    )
    evidence_of_impact = forms.CharField(
        label="What evidence shows the actions are working?",
        required=False,
        widget=forms.Textarea,
    )
    note = forms.CharField(
        label="Footnote (optional)",
        required=False,
        max_length=Actual._meta.get_field("note").max_length,
        help_text="Shown beside the figure and on its chart, never as part of the number: "
        "for example, why the establishment rose this month.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    reason = forms.CharField(
        label="Reason for changing a locked period",
        required=False,
        max_length=300,
        help_text="Recorded in the change history.",
    )

    def __init__(
        self,
        *args,
        kpi: Kpi,
        period: datetime.date,
        locked_through: datetime.date | None,
        today: datetime.date,
        stored: Actual | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.stored = stored
        self.kpi, self.period, self.locked_through = kpi, period, locked_through
        self.needs_reason = PeriodLock.is_locked(period, locked_through)
        self.period_problem = kpi.period_problem(period, today=today)
        self.calculated_problem = kpi.calculated_problem()
        self.uses_ratio = bool(kpi.numerator_label and kpi.denominator_label)
        if self.uses_ratio:
            self.fields["numerator"].label = kpi.numerator_label
            self.fields["denominator"].label = kpi.denominator_label
            self.fields["value"].label = f"{kpi.get_unit_display()} (worked out for you)"
        else:
            del self.fields["numerator"], self.fields["denominator"]
            self.fields["value"].label = kpi.get_unit_display()
        self.fields["value"].kpi = kpi
        if not self.needs_reason:
            del self.fields["reason"]

    def clean(self):
        data = super().clean()
        if self.calculated_problem:
            raise forms.ValidationError(self.calculated_problem)
        if self.period_problem:
            raise forms.ValidationError(self.period_problem)
        if self.needs_reason and (
            refusal := PeriodLock.refusal(
                self.period,
                self.kpi.period_label(self.period),
                locked_through=self.locked_through,
                may_change=True,
                reason=data.get("reason", ""),
            )
        ):
            self.add_error("reason", refusal)
        texts = {name: data.get(name, "") for name in Actual.COMMENTARY}
        for field, message in Actual.text_problems(texts).items():
            self.add_error(field, message)
        if {"value", "numerator", "denominator"} & set(self.errors):
            return data  # not numbers: those messages say what to fix
        value, numerator, denominator = (data.get(f) for f in ("value", "numerator", "denominator"))
        from_ratio = numerator is not None and denominator is not None
        problems = self.kpi.value_problems(None if from_ratio else value, numerator, denominator)
        if not problems and from_ratio:
            typed, value = value, self.kpi.value_from_ratio(numerator, denominator)
            data["value"] = value
            # The box starts with the stored value and the counts replace it; a
            # value the person typed themselves is checked against the counts.
            if typed is not None and typed != (self.stored.value if self.stored else None):
                problems = self.kpi.value_problems(typed, numerator, denominator)
            problems = problems or self.kpi.value_problems(value)
        if value is None and not problems:
            field, what = (
                ("numerator", f"{self.kpi.numerator_label} and {self.kpi.denominator_label}")
                if self.uses_ratio
                else ("value", self.kpi.get_unit_display())
            )
            problems[field] = f"Enter the {what.lower()}."
        for field, message in problems.items():
            self.add_error(field if field in self.fields else None, message)
        return data


class FiguresField(forms.Field):
    """The figures ticked on the approvals page: their ids, each a checkbox named alike."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        try:
            return sorted({int(pk) for pk in value or []})
        except (TypeError, ValueError):
            raise ValidationError("Select figures from the list.", code="invalid") from None


class SignOffForm(forms.Form):
    """Sign off the ticked figures; each carries the version its approver saw."""

    figure = FiguresField(label="Figures to sign off", required=False)

    def clean(self):
        data = super().clean()
        if not data.get("figure") and not self.errors:
            raise ValidationError("Select at least one figure to sign off.")
        return data

    def figures(self) -> list[tuple[int, int]]:
        """(id, version seen) of each ticked figure; version 0 when none came with it."""
        versions = {}
        for pk in self.cleaned_data["figure"]:
            version = self.data.get(f"version-{pk}", "")
            versions[pk] = int(version) if version.isdigit() else 0
        return list(versions.items())


class ReturnForm(forms.Form):
    """Send one figure back to its owner, saying why."""

    reason = forms.CharField(
        label="Why are you returning it?",
        widget=forms.Textarea,
        max_length=Actual.COMMENTARY_MAX_LENGTH,
        help_text="Its owner sees this on My updates, with your name.",
        error_messages={"required": "Say why the figure is returned, so its owner can fix it."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, figure: Actual, **kwargs):
        kwargs.setdefault("auto_id", f"return-{figure.pk}-%s")
        kwargs.setdefault("initial", {"version": figure.version})
        super().__init__(*args, **kwargs)
        kpi = figure.kpi
        self.fields[
            "reason"
        ].label = f"Why are you returning {kpi.code} for {kpi.period_label(figure.period)}?"
