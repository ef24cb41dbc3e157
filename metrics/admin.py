from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from metrics.models import Actual, Benchmark, Kpi, PeriodLock, Target


class TargetInline(admin.TabularInline):
    model = Target
    fields = ["starts", "value", "lower", "upper", "source"]
    extra = 0


class BenchmarkInline(admin.TabularInline):
    model = Benchmark
    fields = ["comparator", "period", "value", "source"]
    extra = 0


@admin.register(Kpi)
class KpiAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "unit", "polarity", "frequency", "owner", "reporting_from"]
    list_filter = ["polarity", "frequency", "unit", "owner", "areas__plan", "areas"]
    search_fields = ["code", "title", "definition", "owner__role_title"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner", "areas"]
    inlines = [TargetInline, BenchmarkInline]


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    list_display = ["kpi", "starts", "value", "lower", "upper"]
    list_filter = ["kpi__polarity", "kpi"]
    search_fields = ["kpi__code", "kpi__title", "source"]
    list_select_related = ["kpi"]
    autocomplete_fields = ["kpi"]
    date_hierarchy = "starts"


@admin.register(Actual)
class ActualAdmin(SimpleHistoryAdmin):
    list_display = [
        "kpi",
        "period",
        "value",
        "numerator",
        "denominator",
        "updated_by",
        "updated_at",
    ]
    list_filter = ["kpi__frequency", "kpi__owner", "kpi"]
    search_fields = ["kpi__code", "kpi__title", "what_data_tells_us", "issues_and_risks"]
    list_select_related = ["kpi", "updated_by"]
    autocomplete_fields = ["kpi"]
    readonly_fields = ["updated_by", "updated_at"]
    date_hierarchy = "period"

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Benchmark)
class BenchmarkAdmin(SimpleHistoryAdmin):
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
