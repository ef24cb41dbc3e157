from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from metrics import (
    admin_actuals,  # noqa: F401 (registers the figures' admin)
    calculated,
    importer,
)
from metrics.models import (
    Benchmark,
    DefinitionChange,
    FindingKpi,
    ImportRun,
    Kpi,
    KpiFormula,
    PeriodLock,
    Target,
)
from priorities import roles
from priorities.admin import (
    ActionAdmin,
    ActionForm,
    DatedLinkInline,
    FindingAdmin,
)
from priorities.models import Action, Finding


def _check_figures(form: forms.ModelForm, names: list[str]) -> None:
    """Apply the KPI's own rules for figures (the ones the update page and import use)."""
    # On a KPI's own page the inline forms take the KPI from the page.
    kpi = form.cleaned_data.get("kpi") or (form.instance.kpi if form.instance.kpi_id else None)
    if kpi is None:
        return
    data = form.cleaned_data
    for name in names:
        if data.get(name) is not None and (problem := kpi.value_problems(data[name]).get("value")):
            form.add_error(name, problem)


class TargetForm(forms.ModelForm):
    class Meta:
        model = Target
        fields = ["kpi", "starts", "value", "lower", "upper", "source"]

    def clean(self):
        data = super().clean()
        _check_figures(self, ["value", "lower", "upper"])
        return data


class BenchmarkForm(forms.ModelForm):
    class Meta:
        model = Benchmark
        fields = ["kpi", "comparator", "period", "value", "source"]

    def clean(self):
        data = super().clean()
        _check_figures(self, ["value"])
        return data


def can_import(user) -> bool:
    """Only analysts and administrators reach the workbook import pages and their history."""
    return roles.edits_everything(user)


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Workbook (.xlsx)",
        help_text="Nothing is saved until you have seen the preview and confirmed it.",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


class ConfirmForm(forms.Form):
    reason = forms.CharField(
        label="Reason for changing locked months",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="Recorded in the change history of every row this import changes.",
    )


class TargetInline(admin.TabularInline):
    model = Target
    form = TargetForm
    fields = ["starts", "value", "lower", "upper", "source"]
    extra = 0


class BenchmarkInline(admin.TabularInline):
    model = Benchmark
    form = BenchmarkForm
    fields = ["comparator", "period", "value", "source"]
    extra = 0


class DefinitionChangeInline(admin.StackedInline):
    model = DefinitionChange
    fields = ["starts", "old_definition", "new_definition", "source"]
    extra = 0
    verbose_name = "change of definition (figures either side are never compared)"


class KpiFormulaInline(admin.StackedInline):
    model = KpiFormula
    fk_name = "kpi"
    fields = ["kind", "first", "second"]
    autocomplete_fields = ["first", "second"]
    extra = 0
    verbose_name = "calculation"
    verbose_name_plural = (
        "Calculation: its figures are then worked out from these two KPIs, month by month, "
        "and never typed in (figures in months without both are removed; locked months stay "
        "as they stood)"
    )


@admin.register(Kpi)
class KpiAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "unit", "polarity", "frequency", "owner", "reporting_from"]
    list_filter = ["polarity", "frequency", "unit", "owner", "areas__plan", "areas"]
    search_fields = ["code", "title", "definition", "owner__role_title"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner", "areas"]
    # Links to actions are made on each action's page, through the service that records them.
    exclude = ["actions"]
    readonly_fields = ["linked_actions"]
    inlines = [TargetInline, BenchmarkInline, DefinitionChangeInline, KpiFormulaInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # In the page's transaction, every month afresh: a calculation set or changed, or a
        # calculated KPI's decimal places or frequency, changes its figures.
        calculated.recalculate(kpi_ids=[form.instance.pk], user=request.user)

    @admin.display(description="actions meant to move it")
    def linked_actions(self, obj: Kpi) -> str:
        if obj is None or obj.pk is None:
            return "None yet: choose the KPIs on an action's page."
        actions = obj.actions.select_related("area__plan").order_by("area__plan", "ref")
        return (
            format_html_join(
                "",
                '<p><a href="{}">{}</a> {}</p>',
                (
                    (
                        reverse("admin:priorities_action_change", args=[a.pk]),
                        a.ref,
                        a.description[:80],
                    )
                    for a in actions
                ),
            )
            or "None: choose the KPIs on an action's page."
        )

    # Workbook import: upload, preview, confirm or cancel; and the template.

    change_list_template = "admin/metrics/import_change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="metrics_kpi_import"),
            path("import/template/", view(self.template_view), name="metrics_kpi_import_template"),
            path(
                "import/<int:run_id>/", view(self.preview_view), name="metrics_kpi_import_preview"
            ),
            path(
                "import/<int:run_id>/confirm/",
                view(self.confirm_view),
                name="metrics_kpi_import_confirm",
            ),
            path(
                "import/<int:run_id>/cancel/",
                view(self.cancel_view),
                name="metrics_kpi_import_cancel",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": can_import(request.user)}
        return super().changelist_view(request, extra_context)

    def _import_page(self, request, template: str, title: str, **context) -> TemplateResponse:
        if not can_import(request.user):
            raise PermissionDenied
        return TemplateResponse(
            request,
            f"admin/metrics/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": title,
                "limits": {
                    "upload": f"{settings.IMPORT_MAX_UPLOAD_BYTES / 1024 / 1024:.0f} MB",
                    "rows": settings.IMPORT_MAX_ROWS,
                    "cells": settings.IMPORT_MAX_CELLS,
                },
                **context,
            },
        )

    def _own_run(self, request: HttpRequest, run_id: int) -> ImportRun:
        if not can_import(request.user):
            raise PermissionDenied
        return get_object_or_404(ImportRun.objects.defer("file_data"), pk=run_id, user=request.user)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and can_import(request.user) and form.is_valid():
            upload = form.cleaned_data["file"]
            if problem := importer.size_problem(upload.size):
                run = importer.refuse_file(
                    file_name=upload.name, size=upload.size, message=problem, user=request.user
                )
            else:
                importer.expire_previews(request.user)
                run, _ = importer.start_run(
                    data=upload.read(), file_name=upload.name, user=request.user
                )
            return redirect("admin:metrics_kpi_import_preview", run_id=run.pk)
        return self._import_page(request, "import_form.html", "Import a workbook", form=form)

    def template_view(self, request: HttpRequest) -> HttpResponse:
        if not can_import(request.user):
            raise PermissionDenied
        response = HttpResponse(
            importer.build_template(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        name = f"improvement-data-{timezone.localdate():%Y-%m-%d}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def preview_view(self, request: HttpRequest, run_id: int, form=None) -> HttpResponse:
        run = self._own_run(request, run_id)
        report = run.report or {}
        waiting = run.awaits_confirmation
        return self._import_page(
            request,
            "import_preview.html",
            f"{'Import preview' if waiting else 'Workbook import'}: {run.file_name}",
            run=run,
            report=report,
            sheets=[s for s in report.get("sheets", []) if s.get("present")],
            blocking=report.get("rejections", []),
            preview_hours=settings.IMPORT_PREVIEW_HOURS,
            locked=report.get("locked_changes", 0),
            waiting=waiting,
            can_confirm=waiting and not report.get("rejections"),
            form=form or ConfirmForm(),
        )

    def confirm_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self._own_run(request, run_id)
        if request.method != "POST":
            return redirect("admin:metrics_kpi_import_preview", run_id=run.pk)
        form = ConfirmForm(request.POST)
        if not form.is_valid():
            return self.preview_view(request, run_id, form=form)
        reason = form.cleaned_data["reason"].strip()
        if run.report.get("locked_changes") and not reason:
            form.add_error(
                "reason", "This import changes locked months: give a reason for the change."
            )
            return self.preview_view(request, run_id, form=form)
        run = ImportRun.objects.get(pk=run.pk)
        try:
            plan = importer.confirm_run(run, user=request.user, reason=reason)
        except importer.StaleImport as stale:
            messages.error(request, str(stale))
            return redirect("admin:metrics_kpi_import")
        if plan.rejections:
            messages.error(request, "Nothing was written: " + str(plan.rejections[0]))
            return redirect("admin:metrics_kpi_import_preview", run_id=run.pk)
        messages.success(request, f"Imported {run.file_name}: {run.message}")
        return redirect("admin:metrics_kpi_import_preview", run_id=run.pk)

    def cancel_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self._own_run(request, run_id)
        if request.method == "POST":
            if importer.cancel_run(run):
                messages.info(
                    request, f"Cancelled the import of {run.file_name}: nothing was written."
                )
            else:
                messages.error(
                    request,
                    f"The import of {run.file_name} was not cancelled: it had already ended "
                    f"({run.get_outcome_display().lower()}). {run.message}",
                )
        return redirect("admin:metrics_kpi_import")


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    form = TargetForm
    list_display = ["kpi", "starts", "value", "lower", "upper"]
    list_filter = ["kpi__polarity", "kpi"]
    search_fields = ["kpi__code", "kpi__title", "source"]
    list_select_related = ["kpi"]
    autocomplete_fields = ["kpi"]
    date_hierarchy = "starts"


@admin.register(Benchmark)
class BenchmarkAdmin(SimpleHistoryAdmin):
    form = BenchmarkForm
    list_display = ["kpi", "comparator", "period", "value", "source"]
    list_filter = ["comparator", "kpi"]
    search_fields = ["kpi__code", "kpi__title", "source"]
    list_select_related = ["kpi"]
    autocomplete_fields = ["kpi"]
    date_hierarchy = "period"


@admin.register(PeriodLock)
class PeriodLockAdmin(admin.ModelAdmin):
    """Locks are added, never edited: the list is the record of who locked what, and why."""

    list_display = ["__str__", "reason", "created_by", "created_at"]
    fields = ["locked_through", "reason"]
    date_hierarchy = "created_at"

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """The import history: read-only, for the people who may import."""

    list_display = ["created_at", "file_name", "user", "outcome", "summary"]
    list_filter = ["outcome", "via"]
    search_fields = ["file_name", "sha256", "user__username", "reason", "message"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    change_list_template = "admin/metrics/import_change_list.html"
    fields = [
        "created_at",
        "finished_at",
        "user",
        "via",
        "file_name",
        "file_size",
        "sha256",
        "outcome",
        "message",
        "reason",
        "counts_table",
        "rejection_report",
        "warning_report",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("file_data")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": can_import(request.user)}
        return super().changelist_view(request, extra_context)

    def has_module_permission(self, request):
        return can_import(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return can_import(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="new / changed / unchanged / rejected")
    def summary(self, obj: ImportRun) -> str:
        totals = [0, 0, 0, 0]
        for counts in (obj.counts or {}).values():
            for i, key in enumerate(("new", "changed", "unchanged", "rejected")):
                totals[i] += counts.get(key, 0)
        return " / ".join(str(n) for n in totals) if obj.counts else "-"

    @admin.display(description="counts per sheet")
    def counts_table(self, obj: ImportRun) -> str:
        rows = [c for c in (obj.counts or {}).values() if c.get("present")]
        if not rows:
            return "-"
        return format_html(
            "<table><thead><tr><th>Sheet</th><th>New</th><th>Changed</th><th>Unchanged</th>"
            "<th>Rejected</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((c["name"], c["new"], c["changed"], c["unchanged"], c["rejected"]) for c in rows),
            ),
        )

    def _issues(self, issues: list[dict]) -> str:
        if not issues:
            return "None"
        return format_html(
            "<table><thead><tr><th>Sheet</th><th>Row</th><th>Column</th><th>Problem</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((i["sheet"], i["row"], i["column"], i["message"]) for i in issues),
            ),
        )

    @admin.display(description="rejections")
    def rejection_report(self, obj: ImportRun) -> str:
        return self._issues((obj.report or {}).get("rejections", []))

    @admin.display(description="warnings")
    def warning_report(self, obj: ImportRun) -> str:
        return self._issues((obj.report or {}).get("warnings", []))


# Links that cross the apps: priorities knows nothing of KPIs, so the KPI side is added here.


class ActionKpisForm(ActionForm):
    kpis = forms.ModelMultipleChoiceField(
        Kpi.objects.all(),
        required=False,
        label="KPIs it is meant to move",
        widget=FilteredSelectMultiple("KPIs", is_stacked=False),
        help_text="Beside its area's KPIs. The change is recorded in the action's history.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["kpis"].initial = list(self.instance.kpis.all())


admin.site.unregister(Action)


@admin.register(Action)
class ActionWithKpisAdmin(ActionAdmin):
    form = ActionKpisForm


class FindingKpiForm(forms.ModelForm):
    class Meta:
        model = FindingKpi
        fields = ["kpi", "since", "ended"]
        labels = {"kpi": "KPI"}


class FindingKpiInline(DatedLinkInline):
    model = FindingKpi
    form = FindingKpiForm
    fields = ["kpi", "since", "ended"]
    raw_id_fields = ["kpi"]
    verbose_name_plural = (
        "KPIs showing the difference (to stop one, give the day it ended: do not delete it)"
    )


admin.site.unregister(Finding)


@admin.register(Finding)
class FindingWithKpisAdmin(FindingAdmin):
    inlines = [*FindingAdmin.inlines, FindingKpiInline]
