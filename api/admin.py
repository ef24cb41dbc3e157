"""Tokens in the data admin: administrators make one for someone (its secret shown once,
in a message after saving) and revoke any; nobody edits one."""

from django.contrib import admin, messages
from django.utils import timezone

from api import services
from api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "status_label"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    actions = ["revoke"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]

    @admin.display(description="status")
    def status_label(self, token: ApiToken) -> str:
        return token.status_label

    def get_fields(self, request, obj=None):
        return self.fields if obj else ["user", "name"]

    def get_readonly_fields(self, request, obj=None):
        # Once made, a token's owner and name stay as they were: revoke it and make another.
        return self.fields if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, not deleted: the list keeps what there was

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, secret = services.create_token(user=obj.user, name=obj.name)
        obj.pk, obj.prefix, obj.created_at = token.pk, token.prefix, token.created_at
        messages.warning(
            request,
            f"The token for {token.user.get_username()} is {secret} — copy it now and give it "
            "to them safely: it will not be shown again.",
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            services.revoke_token(token=token)
        self.message_user(request, f"Revoked at {timezone.localtime():%H:%M}.")
