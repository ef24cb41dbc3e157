"""What each list may be filtered by. Every filter takes an id, as the rows give them."""

import datetime

import django_filters
from django import forms
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from metrics import periods
from metrics.models import Kpi
from priorities.models import Action, Finding, FindingSource, Officer, Plan, PriorityArea

PERIOD_HELP = (
    "The month, as YYYY-MM, read as it stood at its end (or today, if sooner). "
    "Default: the latest completed month."
)


class MonthField(forms.CharField):
    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            return periods.parse_month(text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


@extend_schema_field({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "example": "2021-09"})
class MonthFilter(django_filters.Filter):
    """``?period=YYYY-MM``: chooses the month the rows are read for, never hides rows."""

    field_class = MonthField

    def __init__(self, **kwargs):
        super().__init__(help_text=PERIOD_HELP, **kwargs)

    def filter(self, qs, value):
        return qs


def requested_month(query: dict) -> datetime.date:
    """The month a list is read for: ``?period=``, checked as the filter checks it."""
    try:
        chosen = MonthField(required=False).clean(query.get("period"))
    except forms.ValidationError as error:
        raise serializers.ValidationError({"period": error.messages}) from None
    return chosen or periods.latest_completed_month(timezone.localdate())


def _choice(model, help_text: str, **kwargs) -> django_filters.ModelChoiceFilter:
    return django_filters.ModelChoiceFilter(
        queryset=model.objects.all(), help_text=help_text, **kwargs
    )


class AreaFilter(django_filters.FilterSet):
    plan = _choice(Plan, "A plan's id: only its priority areas.")

    class Meta:
        model = PriorityArea
        fields = ["plan"]


class KpiFilter(django_filters.FilterSet):
    plan = _choice(
        Plan, "A plan's id: the KPIs evidencing any of its areas.", field_name="areas__plan",
        distinct=True,
    )  # fmt: skip
    area = _choice(PriorityArea, "A priority area's id: the KPIs it evidences.", field_name="areas")
    owner = _choice(Officer, "An officer's id (owner_id in the rows): the KPIs the post owns.")
    period = MonthFilter()

    class Meta:
        model = Kpi
        fields = ["plan", "area", "owner", "period"]


class ActionFilter(django_filters.FilterSet):
    plan = _choice(Plan, "A plan's id: its actions.", field_name="area__plan")
    area = _choice(PriorityArea, "A priority area's id: its actions.")
    owner = _choice(Officer, "An officer's id (owner_id in the rows): the actions the post owns.")
    period = MonthFilter()

    class Meta:
        model = Action
        fields = ["plan", "area", "owner", "period"]


class FindingFilter(django_filters.FilterSet):
    source = _choice(FindingSource, "A source's id (source_id in the rows): its findings.")
    status = django_filters.ChoiceFilter(
        field_name="as_at_status",
        choices=Finding.Status.choices,
        help_text="The findings with this status as they stood in the month.",
    )
    period = MonthFilter()

    class Meta:
        model = Finding
        fields = ["source", "status", "period"]
