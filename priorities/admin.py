from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from priorities.models import Action, Officer, Plan, PriorityArea


class PriorityAreaInline(admin.TabularInline):
    model = PriorityArea
    fields = ["number", "title", "responsible_officer"]
    extra = 0
    show_change_link = True


class ActionInline(admin.TabularInline):
    model = Action
    fields = ["ref", "theme", "description", "owner", "current_delivery_date", "status"]
    extra = 0
    show_change_link = True


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


@admin.register(PriorityArea)
class PriorityAreaAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "plan", "responsible_officer"]
    list_filter = ["plan", "responsible_officer"]
    search_fields = ["title", "what_needs_to_improve", "responsible_officer__role_title"]
    list_select_related = ["plan", "responsible_officer"]
    autocomplete_fields = ["responsible_officer"]
    inlines = [ActionInline]


@admin.register(Action)
class ActionAdmin(SimpleHistoryAdmin):
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

    @admin.display(description="Action")
    def short_description(self, obj: Action) -> str:
        return obj.description[:80]

    def get_readonly_fields(self, request, obj=None):
        # The original date is a commitment; revisions go in the current date.
        if obj is not None and obj.original_delivery_date is not None:
            return ["original_delivery_date"]
        return []
