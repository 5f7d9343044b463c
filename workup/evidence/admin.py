"""Admin pages for the clinical lead: read, edit and review the evidence catalogue.

Editing the clinical content of an entry puts it back to 'pending clinical review'; the lead then
records a review with the action, which keeps who and when (and a ReviewRecord row).
"""

from django.contrib import admin, messages
from django.utils.html import format_html_join
from simple_history.admin import SimpleHistoryAdmin

from . import store
from .models import (
    AddOn,
    CatalogueVersion,
    ImplantationChance,
    Investigation,
    NextStep,
    Parameter,
    ReviewRecord,
    ReviewStatus,
    Source,
    Statement,
)


class ReviewableAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "review_status", "reviewed_by", "reviewed_at", "retired")
    list_filter = ("review_status", "retired")
    search_fields = ("code", "name")
    filter_horizontal = ("sources",)
    readonly_fields = (
        "review_status",
        "reviewed_by",
        "reviewed_at",
        "review_note",
        "tag_list",
        "updated_at",
    )
    actions = ["record_review_verified", "record_review_pending"]

    @admin.display(description="Verification tags")
    def tag_list(self, obj):
        if not obj.tags:
            return "none"
        return format_html_join(", ", "{}: {}", sorted(obj.tags.items()))

    def has_review_permission(self, request):
        return request.user.has_perm("evidence.review_catalogue")

    @admin.action(description="Record my review: verified", permissions=["review"])
    def record_review_verified(self, request, queryset):
        count = store.record_review(
            entries=queryset,
            reviewer=request.user,
            status=ReviewStatus.VERIFIED,
            note="Reviewed by the clinical lead in the admin.",
        )
        self.message_user(request, f"Recorded your review of {count} entries as verified.")

    @admin.action(description="Record my review: pending clinical review", permissions=["review"])
    def record_review_pending(self, request, queryset):
        count = store.record_review(
            entries=queryset,
            reviewer=request.user,
            status=ReviewStatus.PENDING,
            note="Returned to pending review by the clinical lead.",
        )
        self.message_user(request, f"Returned {count} entries to pending clinical review.")

    def save_model(self, request, obj, form, change):
        content_changed = change and any(
            name not in obj.REVIEW_FIELDS for name in form.changed_data
        )
        if content_changed:
            obj.review_status = ReviewStatus.PENDING
            obj.reviewed_by = None
            obj.reviewed_at = None
            obj.review_note = "Edited in the admin; needs a review."
            messages.info(request, "The entry changed, so it is pending clinical review again.")
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        store.rebuild_snapshot()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        store.rebuild_snapshot()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        store.rebuild_snapshot()


@admin.register(Investigation)
class InvestigationAdmin(ReviewableAdmin):
    list_display = ("code", "name", "pillar", "gated", *ReviewableAdmin.list_display[2:])
    list_filter = ("pillar", *ReviewableAdmin.list_filter)


@admin.register(NextStep)
class NextStepAdmin(ReviewableAdmin):
    list_display = ("code", "name", "pillar", "stance", *ReviewableAdmin.list_display[2:])
    list_filter = ("pillar", *ReviewableAdmin.list_filter)


@admin.register(AddOn)
class AddOnAdmin(ReviewableAdmin):
    list_display = (
        "code",
        "name",
        "eshre_stance",
        "hfea_rating",
        *ReviewableAdmin.list_display[2:],
    )
    list_filter = ("kind", "hfea_rating", *ReviewableAdmin.list_filter)


@admin.register(ImplantationChance)
class ImplantationChanceAdmin(ReviewableAdmin):
    list_display = (
        "code",
        "embryo",
        "age_min",
        "age_max",
        "chance",
        *ReviewableAdmin.list_display[2:],
    )


@admin.register(Parameter)
class ParameterAdmin(ReviewableAdmin):
    list_display = ("code", "name", "value", "unit", *ReviewableAdmin.list_display[2:])


@admin.register(Source)
class SourceAdmin(SimpleHistoryAdmin):
    list_display = ("key", "citation", "doi")
    search_fields = ("key", "citation")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        store.rebuild_snapshot()


@admin.register(CatalogueVersion)
class CatalogueVersionAdmin(SimpleHistoryAdmin):
    list_display = ("version", "reviewed_on", "revision", "loaded_at")
    readonly_fields = ("revision", "loaded_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        store.rebuild_snapshot()


@admin.register(ReviewRecord)
class ReviewRecordAdmin(admin.ModelAdmin):
    list_display = ("kind", "code", "status", "reviewer", "reviewed_at", "note")
    list_filter = ("kind", "status")
    search_fields = ("code",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Statement)
class StatementAdmin(ReviewableAdmin):
    """The clinical sentences the engine says (cautions, strengths, HFEA meanings)."""

    list_display = ("code", "name", *ReviewableAdmin.list_display[2:])
