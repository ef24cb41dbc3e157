"""People in the data admin: their email, role, the posts they act for and their emails.

Also the reminder record, read-only, so an administrator can see what went
and what failed.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from notices.models import Preferences, Reminder

User = get_user_model()


class PreferencesInline(admin.StackedInline):
    model = Preferences
    can_delete = False
    verbose_name_plural = "email preferences"


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [PreferencesInline]
    list_display = ["username", "email", "roles", "posts", "is_active", "is_staff"]
    readonly_fields = ["posts", "areas"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets[:2],
        ("Posts", {"fields": ["posts", "areas"]}),
        *DjangoUserAdmin.fieldsets[2:],
    ]

    def get_inlines(self, request, obj):
        # A new login gets its preferences (the defaults) when first edited.
        return self.inlines if obj else []

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("officer").prefetch_related("groups")

    @admin.display(description="roles (groups)")
    def roles(self, user) -> str:
        return ", ".join(group.name for group in user.groups.all()) or "None"

    @admin.display(description="post they act for")
    def posts(self, user) -> str:
        officer = getattr(user, "officer", None)
        if officer is None:
            return "None (link a post to this login on the officer's own page)"
        return str(officer)

    @admin.display(description="responsible officer for")
    def areas(self, user) -> str:
        officer = getattr(user, "officer", None)
        areas = officer.areas.select_related("plan") if officer else []
        return "; ".join(f"{area.plan.title}, area {area}" for area in areas) or "No areas"


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["day", "recipient", "kind", "item", "sent_at", "attempts", "last_error"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter), "day"]
    search_fields = ["recipient__username", "recipient__email", "item"]
    date_hierarchy = "day"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
