"""API tokens in the admin, for the clinical lead: see and revoke them, never issue one.

A token is a credential: whoever holds its key acts as its user. So it is made only by the
person who will hold it, on the app's own page (``views.token_create``); nobody, superusers
included, issues one for an account in the admin (else the lead could write in a colleague's
name). The key's hash is never shown nor editable; tokens are revoked, never deleted, so the
record of who had API access stays.

Django's user and group admin (superuser and staff flags, any group, setting a password) is for
superusers only: the lead manages colleagues on the app's users page (``views.user_list``),
which sets only role, active status and contact details.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils import timezone

from .models import ApiToken


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "status")
    list_filter = (StatusFilter, "user")
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    actions = ["revoke"]
    readonly_fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")

    @admin.display(description="status")
    def status(self, token):
        return "active" if token.is_active else f"revoked {token.revoked_at:%Y-%m-%d %H:%M}"

    def has_add_permission(self, request):
        # Superusers too: a credential is made by the person who will hold it.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoke()
            self.log_change(request, token, f"Revoked at {timezone.now():%Y-%m-%d %H:%M}.")
            revoked += 1
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)


class SuperusersOnly:
    """Every view and action of this admin needs a superuser, whatever permissions a role has."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_add_permission = has_module_permission

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class SuperuserUserAdmin(SuperusersOnly, UserAdmin):
    pass


@admin.register(Group)
class SuperuserGroupAdmin(SuperusersOnly, GroupAdmin):
    pass
