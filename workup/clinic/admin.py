"""Read-only admin views of the clinical record, for superusers only (support, benchmarks).

Clinical data is written through the app's pages, never the admin: every clinical change must go
through the same validation, locking and history as the work-up page. The clinical lead, who
works in the admin on the catalogue and users, does not see patients here: the app's pages
already show what a role may see, with the audit records around them.
"""

from django.contrib import admin

from .models import ChecklistStep, Patient, WorkUp


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChecklistStep)
class ChecklistStepAdmin(ReadOnlyAdmin):
    list_display = ("workup", "code", "pillar", "status", "due_date", "assignee")
    list_filter = ("status", "pillar", "kind")
    search_fields = ("workup__patient__mrn", "code")
    list_select_related = ("workup__patient", "assignee")
    ordering = ("due_date",)


@admin.register(Patient)
class PatientAdmin(ReadOnlyAdmin):
    list_display = ("mrn", "name", "birth_date")
    search_fields = ("mrn", "name")


@admin.register(WorkUp)
class WorkUpAdmin(ReadOnlyAdmin):
    list_display = ("patient", "date", "clinician", "status")
    list_filter = ("status",)
    list_select_related = ("patient", "clinician")
