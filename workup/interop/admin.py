"""The clinical lead's pages: the standard codes (reviewed like the catalogue) and the
laboratories' code table."""

from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from workup.evidence.models import ReviewStatus

from . import codes
from .models import Coding, LabCodeMapping


@admin.register(Coding)
class CodingAdmin(SimpleHistoryAdmin):
    list_display = (
        "code",
        "system",
        "text",
        "applies_to",
        "target",
        "tag_list",
        "review_status",
        "reviewed_by",
        "retired",
    )
    list_filter = ("review_status", "system", "applies_to", "retired")
    search_fields = ("code", "text", "target", "key")
    readonly_fields = (
        "key",
        "review_status",
        "reviewed_by",
        "reviewed_at",
        "review_note",
        "tag_list",
        "updated_at",
    )
    fields = (
        "key",
        "system",
        "code",
        "text",
        "applies_to",
        "target",
        "when",
        "unit",
        "note",
        "tag_list",
        "review_status",
        "reviewed_by",
        "reviewed_at",
        "review_note",
        "retired",
        "updated_at",
    )
    actions = ["record_review_verified", "record_review_pending"]

    @admin.display(description="Verification tags")
    def tag_list(self, obj):
        if not obj.tags:
            return "none"
        return format_html_join(", ", "{}: {}", sorted(obj.tags.items()))

    def has_add_permission(self, request):
        return False  # codes come from fixtures/codes.json, with their tags

    def has_delete_permission(self, request, obj=None):
        return False  # retired by the fixture, kept for the record

    def has_review_permission(self, request):
        return request.user.has_perm("evidence.review_catalogue")

    @admin.action(description="Record my review: verified", permissions=["review"])
    def record_review_verified(self, request, queryset):
        count = codes.record_review(
            codes=queryset,
            reviewer=request.user,
            status=ReviewStatus.VERIFIED,
            note="Reviewed by the clinical lead in the admin.",
        )
        self.message_user(request, f"Recorded your review of {count} codes as verified.")

    @admin.action(description="Record my review: pending clinical review", permissions=["review"])
    def record_review_pending(self, request, queryset):
        count = codes.record_review(
            codes=queryset,
            reviewer=request.user,
            status=ReviewStatus.PENDING,
            note="Returned to pending review by the clinical lead.",
        )
        self.message_user(request, f"Returned {count} codes to pending clinical review.")

    def save_model(self, request, obj, form, change):
        if change and any(name not in obj.REVIEW_FIELDS for name in form.changed_data):
            obj.review_status = ReviewStatus.PENDING
            obj.reviewed_by = None
            obj.reviewed_at = None
            obj.review_note = "Edited in the admin; needs a review."
            messages.info(
                request, gettext_lazy("The code changed, so it is pending clinical review again.")
            )
        super().save_model(request, obj, form, change)


@admin.register(LabCodeMapping)
class LabCodeMappingAdmin(SimpleHistoryAdmin):
    list_display = ("sender", "local_code", "local_name", "coding", "active", "updated_at")
    list_filter = ("active", "sender")
    search_fields = ("sender", "local_code", "local_name")
    autocomplete_fields = ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "coding":
            kwargs["queryset"] = codes.verified_codes().filter(
                applies_to=Coding.AppliesTo.OBSERVATION
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
