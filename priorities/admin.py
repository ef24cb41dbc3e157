from django import forms
from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html_join
from simple_history.admin import SimpleHistoryAdmin

from priorities import services
from priorities.models import (
    Action,
    Finding,
    FindingAction,
    FindingSource,
    FindingStatus,
    Officer,
    Plan,
    PriorityArea,
)
from priorities.services import DATE_MOVED_WITHOUT_REASON


class VersionedForm(forms.ModelForm):
    """An admin form for a record with a version: a stale save is refused, not applied.

    Subclasses say when a reason for the change is needed; it goes into the
    change history.
    """

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    change_reason = forms.CharField(
        label="Reason for the change",
        required=False,
        max_length=300,
        help_text="Recorded in the change history.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            # Admin saves run in a transaction: the row stays locked until saved.
            current = (
                type(self.instance)
                .objects.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
            if current != data.get("seen_version"):
                raise forms.ValidationError(
                    "Someone changed this record after you opened it. Your changes have not "
                    "been saved: open it again to see theirs, then make yours."
                )
        if (why := self.reason_needed(data)) and not data.get("change_reason", "").strip():
            self.add_error("change_reason", why)
        return data

    def reason_needed(self, data: dict) -> str | None:
        """A message asking for a reason when this change needs one, else None."""
        return None


class VersionedAdmin(SimpleHistoryAdmin):
    """Admin for versioned records: no edits from history, reasons recorded."""

    form = VersionedForm

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "version"]

    def history_change_reason(self, form) -> str | None:
        return form.cleaned_data.get("change_reason", "").strip() or None

    def save_model(self, request, obj, form, change):
        obj._change_reason = self.history_change_reason(form)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        # A link added, changed or deleted on the page carries the page's reason.
        for inline in formset.forms:
            inline.instance._change_reason = self.history_change_reason(form)
        super().save_formset(request, form, formset, change)


class DatedStatusForm(VersionedForm):
    """A versioned form with a dated status: the day it takes effect, where it is known from."""

    status_effective = forms.DateField(
        label="Status as at",
        required=False,
        help_text="The day this status and these dates took effect. Empty for today. "
        "Earlier months keep the status they had.",
    )
    status_source = forms.CharField(
        label="Where the status is known from",
        required=False,
        max_length=300,
        help_text="For example, the paper that reports it, with its date.",
    )


class ActionForm(DatedStatusForm):
    class Meta:
        model = Action
        fields = [
            "area", "ref", "theme", "description", "owner", "original_delivery_date",
            "current_delivery_date", "expected_outputs", "status", "evidence_of_impact",
            "completed_date", "notes",
        ]  # fmt: skip

    def reason_needed(self, data: dict) -> str | None:
        moved = self.instance.pk and (
            data.get("current_delivery_date") != self.instance.current_delivery_date
        )
        return DATE_MOVED_WITHOUT_REASON if moved else None

    def clean_status_effective(self):
        day = self.cleaned_data.get("status_effective") or timezone.localdate()
        if problem := self.instance.status_date_problem(day, timezone.localdate()):
            raise forms.ValidationError(problem)
        return day


class PriorityAreaInline(admin.TabularInline):
    model = PriorityArea
    fields = ["number", "title", "responsible_officer"]
    extra = 0
    show_change_link = True


class ActionInline(admin.TabularInline):
    """An area's actions to read; each opens on its own page, where changes are checked."""

    model = Action
    fields = ["ref", "theme", "description", "owner", "current_delivery_date", "status"]
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Plan)
class PlanAdmin(SimpleHistoryAdmin):
    list_display = ["title", "slug", "start", "end"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [PriorityAreaInline]


@admin.register(Officer)
class OfficerAdmin(SimpleHistoryAdmin):
    list_display = ["role_title", "name", "user"]
    list_filter = [("user", admin.EmptyFieldListFilter)]
    search_fields = ["role_title", "name", "user__username", "user__email"]
    autocomplete_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # The login linked to a post may edit everything the post owns, so
        # only administrators link one; SimpleHistoryAdmin records who did.
        return fields if request.user.is_superuser else [*fields, "user"]


@admin.register(PriorityArea)
class PriorityAreaAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "plan", "responsible_officer"]
    list_filter = ["plan", "responsible_officer"]
    search_fields = ["title", "what_needs_to_improve", "responsible_officer__role_title"]
    list_select_related = ["plan", "responsible_officer"]
    autocomplete_fields = ["responsible_officer"]
    inlines = [ActionInline]


@admin.register(Action)
class ActionAdmin(VersionedAdmin):
    form = ActionForm
    list_display = [
        "ref",
        "short_description",
        "area",
        "theme",
        "owner",
        "original_delivery_date",
        "current_delivery_date",
        "status",
    ]
    list_filter = ["status", "theme", "area__plan", "area", "owner"]
    search_fields = ["ref", "description", "expected_outputs", "owner__role_title"]
    list_select_related = ["area", "area__plan", "owner"]
    autocomplete_fields = ["area", "owner"]
    date_hierarchy = "original_delivery_date"

    @admin.display(description="Dated statuses")
    def dated_statuses(self, obj: Action) -> str:
        """The dated record, newest first, read only: it grows only through a new status."""
        if obj is None or obj.pk is None:
            return "None recorded yet."
        rows = obj.statuses.select_related("recorded_by").order_by("-effective", "-pk")
        return (
            format_html_join(
                "",
                "<p>As at {}: {}{}. {} (recorded by {} on {})</p>",
                (
                    (
                        f"{row.effective:%-d %b %Y}",
                        row.get_status_display(),
                        f" {row.completed_date:%-d %b %Y}" if row.completed_date else "",
                        row.source or "No source given.",
                        row.recorded_by.get_username() if row.recorded_by else "data load",
                        f"{timezone.localtime(row.recorded_at):%-d %b %Y}",
                    )
                    for row in rows
                ),
            )
            or "None recorded yet."
        )

    @admin.display(description="Action")
    def short_description(self, obj: Action) -> str:
        return obj.description[:80]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # The original date is a commitment; revisions go in the current date.
        if obj is not None and obj.original_delivery_date is not None:
            fields = [*fields, "original_delivery_date"]
        return [*fields, "status_as_at", "dated_statuses"]

    def save_model(self, request, obj, form, change):
        as_at = form.cleaned_data.get("status_effective")
        source = form.cleaned_data.get("status_source", "")
        if not change:
            obj._history_user = request.user
            obj.status_as_at = as_at
            super().save_model(request, obj, form, change)
            services.record_status(obj, as_at=as_at, user=request.user, source=source)
            if kpis := form.cleaned_data.get("kpis"):
                # Through the service, so the history says which KPIs it was given.
                services.update_action(
                    pk=obj.pk, user=request.user, expected_version=obj.version, kpis=kpis
                )
                obj.refresh_from_db()
            return
        # Changes go through the one service, which records a moved date's
        # old and new days with the reason given, and the status as at its day.
        fields = ActionForm.Meta.fields
        services.update_action(
            pk=obj.pk,
            user=request.user,
            expected_version=form.cleaned_data.get("seen_version"),
            why=form.cleaned_data.get("change_reason", ""),
            as_at=as_at,
            source=source,
            # Only a form that offers the KPIs (metrics/admin.py) gives them.
            kpis=form.cleaned_data.get("kpis"),
            **{name: form.cleaned_data[name] for name in form.changed_data if name in fields},
        )
        obj.refresh_from_db()


# The findings register: what inspections, reviews and committees told the council to fix.


@admin.register(FindingSource)
class FindingSourceAdmin(SimpleHistoryAdmin):
    list_display = ["title", "body", "kind", "date", "published"]
    list_filter = ["kind", "body"]
    search_fields = ["title", "body", "document", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "date"


class FindingForm(DatedStatusForm):
    status_effective = forms.DateField(
        label="A new status takes effect on",
        required=False,
        help_text="Empty for today. Earlier months keep the status they had; for a new "
        "finding, give its source's date to show it from then.",
    )

    class Meta:
        model = Finding
        fields = [
            "source", "ref", "kind", "grade", "title", "text", "required_outcomes", "area",
            "responsible_officer", "cited", "status", "evidence",
        ]  # fmt: skip

    def clean(self):
        data = super().clean()
        day = data["status_effective"] = data.get("status_effective") or timezone.localdate()
        source = data.get("source") or (self.instance.source if self.instance.source_id else None)
        status, evidence = data.get("status"), data.get("evidence", "")
        if source is None or status is None or not self.status_changed(status, evidence):
            return data
        # The rule every write path applies, judged against the source chosen on this form.
        probe = Finding(source=source, status_as_at=self.instance.status_as_at)
        if problem := probe.status_problem(status, evidence, day):
            closing_bare = status == Finding.Status.CLOSED and not evidence.strip()
            self.add_error("evidence" if closing_bare else "status_effective", problem)
        return data

    def status_changed(self, status: str, evidence: str) -> bool:
        if self.instance.pk is None:
            return True
        return (status, evidence.strip()) != (self.instance.status, self.instance.evidence)


class FindingStatusInline(admin.TabularInline):
    """The dated record, read only: it grows only through a new status above."""

    model = FindingStatus
    fields = ["effective", "status", "evidence", "source", "recorded_by", "recorded_at"]
    readonly_fields = fields
    extra = 0
    ordering = ["-effective", "-pk"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DatedLinkInline(admin.StackedInline):
    """Links that hold from a day on. A link that stops applying is ended, not deleted,
    so earlier months keep showing it; delete only a link made in error.

    Stacked, not tabular, and raw ids, not autocompletes: each field then has its own
    label, which an empty autocomplete or a table cell lacks.
    """

    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("since", "pk")


class FindingActionInline(DatedLinkInline):
    model = FindingAction
    fields = ["action", "since", "ended"]
    raw_id_fields = ["action"]
    verbose_name_plural = (
        "actions answering the finding (to stop one, give the day it ended: do not delete it)"
    )


class OfficerFilter(admin.SimpleListFilter):
    """Who answers for a finding: its own officer, else its plan area's (``Finding.officer``)."""

    title = "responsible officer"
    parameter_name = "officer"

    def lookups(self, request, model_admin):
        officers = Officer.objects.filter(
            Q(findings__isnull=False) | Q(areas__findings__isnull=False)
        ).distinct()
        return [(officer.pk, str(officer)) for officer in officers.order_by("role_title")]

    def queryset(self, request, queryset):
        if (value := self.value()) is None:
            return queryset
        return queryset.filter(
            Q(responsible_officer=value)
            | Q(responsible_officer__isnull=True, area__responsible_officer=value)
        )


@admin.register(Finding)
class FindingAdmin(VersionedAdmin):
    form = FindingForm
    list_display = [
        "ref", "title", "source", "kind", "grade", "status", "status_as_at", "officer",
    ]  # fmt: skip
    list_filter = ["source", "kind", "status", OfficerFilter]
    search_fields = [
        "ref", "title", "text", "required_outcomes", "cited", "source__title", "area__title",
    ]  # fmt: skip
    list_select_related = ["source", "responsible_officer", "area__responsible_officer"]
    # Source, area and officer are plain lists, not autocompletes: an empty
    # autocomplete has no accessible name.
    inlines = [FindingStatusInline, FindingActionInline]
    fieldsets = [
        (None, {"fields": [
            "source", "ref", "kind", "grade", "title", "text", "required_outcomes", "area",
            "responsible_officer", "cited",
        ]}),
        ("Status", {"fields": [
            "status", "evidence", "status_as_at", "status_effective", "status_source",
        ]}),
        ("This change", {"fields": ["change_reason", "seen_version", "version"]}),
    ]  # fmt: skip
    # Saved as they are; status and evidence are dated through the service.
    described = [name for name in FindingForm.Meta.fields if name not in {"status", "evidence"}]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "status_as_at"]

    @admin.display(description="responsible officer")
    def officer(self, obj: Finding) -> Officer | None:
        return obj.officer

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        status = {
            "status": data["status"],
            "evidence": data.get("evidence", ""),
            "as_at": data["status_effective"],
            "user": request.user,
            "source": data.get("status_source", ""),
        }
        if not change:
            obj.status_as_at = status["as_at"]
            super().save_model(request, obj, form, change)
            services.record_finding_status(obj, **status)
            return
        # The one service: stale edit refused, status dated, who and why in the history.
        services.update_finding(
            pk=obj.pk,
            expected_version=data.get("seen_version"),
            why=data.get("change_reason", ""),
            **status,
            **{name: data[name] for name in form.changed_data if name in self.described},
        )
        obj.refresh_from_db()
