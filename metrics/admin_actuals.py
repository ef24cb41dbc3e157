"""The data admin for figures (actuals): every save goes through the one service, and an
analyst's save signs the figure off (``metrics.signoff``)."""

from django.contrib import admin
from django.db import transaction

from metrics import calculated, services
from metrics.forms import FigureField
from metrics.models import Actual, Kpi, PeriodLock
from priorities.admin import VersionedAdmin, VersionedForm

SIGNED_OFF_BY_SAVING = (
    "Saving here signs the figure off in your name: it is not sent for sign-off, and "
    "the history records it as signed off by loading."
)
SAVED_FIELDS = [
    "value", "numerator", "denominator", "what_data_tells_us", "issues_and_risks",
    "evidence_of_impact", "source", "note",
]  # fmt: skip


class ActualForm(VersionedForm):
    class Meta:
        model = Actual
        fields = ["kpi", "period", *SAVED_FIELDS]

    # Typed figures are read as the entry page and the import read them.
    value = FigureField(label="Value")
    numerator = FigureField(counts=True, label="Numerator")
    denominator = FigureField(counts=True, label="Denominator")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.kpi_id:
            self.fields["value"].kpi = self.instance.kpi
        if "value" in self.fields:
            self.fields["value"].help_text = SIGNED_OFF_BY_SAVING

    def clean(self):
        data = super().clean()
        kpi = data.get("kpi") or self.instance_kpi
        if self.fields["value"].percent_typed and (problem := Kpi.percent_sign_problem(kpi)):
            self.add_error("value", problem)
        return data

    def reason_needed(self, data: dict) -> str | None:
        # The figure rules themselves are Actual.clean's, run by the model form.
        kpi, period = (
            data.get("kpi") or self.instance_kpi,
            data.get("period") or (self.instance.period if self.instance.pk else None),
        )
        if kpi is None or period is None:
            return None
        return PeriodLock.refusal(
            period,
            kpi.period_label(period),
            locked_through=PeriodLock.objects.locked_through(),
            may_change=True,
            reason="",
        )

    @property
    def instance_kpi(self) -> Kpi | None:
        return self.instance.kpi if self.instance.kpi_id else None


@admin.register(Actual)
class ActualAdmin(VersionedAdmin):
    form = ActualForm
    list_display = [
        "kpi",
        "period",
        "value",
        "numerator",
        "denominator",
        "state",
        "updated_by",
        "updated_at",
    ]
    list_filter = ["state", "kpi__frequency", "kpi__owner", "kpi"]
    search_fields = ["kpi__code", "kpi__title", "what_data_tells_us", "issues_and_risks"]
    list_select_related = ["kpi", "updated_by"]
    autocomplete_fields = ["kpi"]
    # Sign-off moves only through metrics.signoff (the approvals page) and saves.
    readonly_fields = [
        "updated_by",
        "updated_at",
        "state",
        "first_submitted_at",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "returned_reason",
    ]
    date_hierarchy = "period"

    def get_readonly_fields(self, request, obj=None):
        # A figure belongs to its KPI and month: to move one, delete it and add it again.
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "kpi", "period"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        # Through the one service, like the entry page: lock, stale check, rules, history.
        data = form.cleaned_data
        saved = services.save_actual(
            kpi=obj.kpi,
            period=obj.period,
            user=request.user,
            expected_version=data.get("seen_version") if change else None,
            reason=data.get("change_reason", ""),
            # An analyst loading a figure here signs it off by that act.
            sign_off=True,
            **{name: data[name] for name in form.changed_data if name in SAVED_FIELDS},
        )
        obj.pk, obj.version = saved.pk, saved.version

    def has_change_permission(self, request, obj=None):
        # A calculated figure is worked out from its inputs: shown here, never changed here.
        if obj is not None and obj.kpi.calculated_problem():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.kpi.calculated_problem():
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            calculated.recalculate(kpi_ids=[obj.kpi_id], periods=[obj.period], user=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            figures = list(queryset.values_list("kpi_id", "period"))
            super().delete_queryset(request, queryset)
            calculated.recalculate(
                kpi_ids={kpi for kpi, _ in figures},
                periods={period for _, period in figures},
                user=request.user,
            )
