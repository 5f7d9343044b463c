"""The clinical lead's pages: the code table and the add-ons' order names (reviewed like the
catalogue), the laboratories' code table and the clinic EMR's order codes."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from workup.evidence.admin import pending_again_if_edited
from workup.evidence.models import AddOn, ReviewStatus

from . import codes
from .models import Coding, EmrOrderCode, LabCodeMapping, OrderMapping


class ReviewedFromFileAdmin(SimpleHistoryAdmin):
    """Entries that come from fixtures/codes.json with their tags: the lead reads, edits (which
    puts an entry back to pending review) and records a review; nothing is added or deleted
    here (the file adds them; one gone from the file is retired, kept for the record)."""

    actions = ["record_review_verified", "record_review_pending"]

    @admin.display(description="Verification tags")
    def tag_list(self, obj):
        if not obj.tags:
            return "none"
        return format_html_join(", ", "{}: {}", sorted(obj.tags.items()))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
        self.message_user(request, f"Recorded your review of {count} entries as verified.")

    @admin.action(description="Record my review: pending clinical review", permissions=["review"])
    def record_review_pending(self, request, queryset):
        count = codes.record_review(
            codes=queryset,
            reviewer=request.user,
            status=ReviewStatus.PENDING,
            note="Returned to pending review by the clinical lead.",
        )
        self.message_user(request, f"Returned {count} entries to pending clinical review.")

    def save_model(self, request, obj, form, change):
        pending_again_if_edited(request, obj, form, change)
        super().save_model(request, obj, form, change)


@admin.register(Coding)
class CodingAdmin(ReviewedFromFileAdmin):
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


@admin.register(OrderMapping)
class OrderMappingAdmin(ReviewedFromFileAdmin):
    list_display = (
        "addon",
        "name_list",
        "resource_list",
        "tag_list",
        "review_status",
        "reviewed_by",
        "retired",
    )
    list_filter = ("review_status", "retired")
    search_fields = ("addon", "names")
    readonly_fields = (
        "addon",
        "review_status",
        "reviewed_by",
        "reviewed_at",
        "review_note",
        "tag_list",
        "updated_at",
    )
    fields = (
        "addon",
        "resources",
        "names",
        "note",
        "tag_list",
        "review_status",
        "reviewed_by",
        "reviewed_at",
        "review_note",
        "retired",
        "updated_at",
    )

    @admin.display(description="Names an order may give it")
    def name_list(self, obj):
        return "; ".join(obj.names)

    @admin.display(description="Orders")
    def resource_list(self, obj):
        words = dict(OrderMapping.Resource.choices)
        return "; ".join(str(words.get(r, r)) for r in obj.resources)


class EmrOrderCodeForm(forms.ModelForm):
    addon = forms.ChoiceField(
        label=gettext_lazy("Add-on"),
        help_text=gettext_lazy("The catalogue add-on the EMR's code stands for."),
    )

    class Meta:
        model = EmrOrderCode
        fields = ("system", "code", "name", "addon", "active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        addons = AddOn.objects.filter(retired=False).order_by("rank", "code")
        self.fields["addon"].choices = [(a.code, f"{a.name} ({a.code})") for a in addons]


@admin.register(EmrOrderCode)
class EmrOrderCodeAdmin(SimpleHistoryAdmin):
    form = EmrOrderCodeForm
    list_display = ("system", "code", "name", "addon", "active", "updated_at")
    list_filter = ("active", "addon")
    search_fields = ("system", "code", "name", "addon")


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
