"""Admin pages for the clinical lead: read and edit the evidence catalogue.

Nothing here is ever deleted: an entry the clinic no longer uses is retired (kept, with its
history, and left out of the snapshot the engine reads). An edit or a retirement that would
leave the engine without a parameter or an implantation chance it needs is refused with a
message naming it (``requirements``). Editing an entry's clinical content puts it back to
'pending clinical review'; the lead records a review on the review screen
(``evidence:review``), one entry at a time, never in bulk.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from . import store
from .models import (
    ENTRY_MODELS,
    AddOn,
    CatalogueTranslation,
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


def kind_of(model) -> str:
    return next(k for k, m in ENTRY_MODELS.items() if m is model)


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


class EntryForm(forms.ModelForm):
    """Refuses a change that would leave the engine without something it needs."""

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        model = self._meta.model
        instance = self.instance
        retired = cleaned.get("retired", instance.retired)
        row = None
        if not retired:
            row = {
                name: cleaned.get(name, getattr(instance, name))
                for name in store._content_fields(model)
            }
            row["code"] = cleaned.get("code", instance.code)
            row["review"] = instance.review_status
            sources = cleaned.get("sources")
            row["sources"] = (
                [s.key for s in sources]
                if sources is not None
                else [s.key for s in instance.sources.all()]
                if instance.pk
                else []
            )
        was = instance.code if instance.pk and not instance.retired else None
        if row is None and was is None:
            return cleaned  # a retired entry stays retired
        problems = store.check_change(kind_of(model), code=was, row=row)
        if problems:
            raise ValidationError(
                ["This change was not saved: the engine needs what it would remove."] + problems
            )
        return cleaned


def pending_again_if_edited(request, obj, form, change) -> None:
    """An edit of a reviewed entry's content (anything but its review fields) sends it back to
    pending clinical review, and says so: shared by the catalogue's and the code table's admins."""
    if change and any(name not in obj.REVIEW_FIELDS for name in form.changed_data):
        obj.review_status = ReviewStatus.PENDING
        obj.reviewed_by = None
        obj.reviewed_at = None
        obj.review_note = "Edited in the admin; needs a review."
        messages.info(
            request, gettext_lazy("The entry changed, so it is pending clinical review again.")
        )


class ReviewableAdmin(SimpleHistoryAdmin):
    form = EntryForm
    list_display = (
        "code",
        "name",
        "review_status",
        "reviewed_by",
        "reviewed_at",
        "retired",
        "review_link",
    )
    list_filter = ("review_status", "retired")
    search_fields = ("code", "name")
    filter_horizontal = ("sources",)
    readonly_fields = (
        "review_link",
        "review_status",
        "reviewed_by",
        "reviewed_at",
        "review_note",
        "tag_list",
        "updated_at",
    )
    actions = ["retire_selected", "bring_back_selected"]

    @admin.display(description="Verification tags")
    def tag_list(self, obj):
        if not obj.tags:
            return "none"
        return format_html_join(", ", "{}: {}", sorted(obj.tags.items()))

    @admin.display(description="Review")
    def review_link(self, obj):
        if obj.pk is None:
            return "Saved entries are reviewed on the review screen."
        url = reverse("evidence:review_entry", args=[kind_of(type(obj)), obj.code])
        return format_html('<a href="{}">Open on the review screen</a>', url)

    def has_delete_permission(self, request, obj=None):
        return False  # retire instead: the record of what the engine read stays

    @admin.action(
        description="Retire selected entries (kept, no longer used)", permissions=["change"]
    )
    def retire_selected(self, request, queryset):
        entries = [e for e in queryset if not e.retired]
        problems = store.check_retire(kind_of(self.model), [e.code for e in entries])
        if problems:
            self.message_user(
                request,
                "Nothing was retired: the engine needs what it would remove. " + " ".join(problems),
                messages.ERROR,
            )
            return
        for entry in entries:
            entry.retired = True
            entry.save(update_fields=["retired", "updated_at"])
        self._rebuilt(request, store.rebuild_snapshot())
        self.message_user(request, f"Retired {plural(len(entries), 'entry', 'entries')}.")

    @admin.action(description="Bring back selected retired entries", permissions=["change"])
    def bring_back_selected(self, request, queryset):
        entries = [e for e in queryset if e.retired]
        for entry in entries:
            entry.retired = False
            entry.save(update_fields=["retired", "updated_at"])
        self._rebuilt(request, store.rebuild_snapshot())
        self.message_user(request, f"Brought back {plural(len(entries), 'entry', 'entries')}.")

    def _rebuilt(self, request, version):
        if version.problems:
            self.message_user(
                request,
                "Saved, but the stored catalogue has problems, so pages keep using its last "
                "good version: " + " ".join(version.problems),
                messages.WARNING,
            )

    def save_model(self, request, obj, form, change):
        pending_again_if_edited(request, obj, form, change)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self._rebuilt(request, store.rebuild_snapshot())


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
        "stage",
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

    def has_delete_permission(self, request, obj=None):
        return False  # entries cite it; a source is corrected, never removed

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
    list_display = ("kind", "code", "status", "reviewed_by", "reviewed_at", "note")
    list_filter = ("kind", "status")
    search_fields = ("code",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="reviewer")
    def reviewed_by(self, record):
        return record.who  # as named at the time of the review


@admin.register(Statement)
class StatementAdmin(ReviewableAdmin):
    """The clinical sentences the engine says (cautions, strengths, HFEA meanings)."""

    list_display = ("code", "name", *ReviewableAdmin.list_display[2:])


@admin.register(CatalogueTranslation)
class CatalogueTranslationAdmin(SimpleHistoryAdmin):
    """The lead edits a translation here; an edit puts it back to "not yet reviewed" and records
    that it now translates the English as it reads today. Confirming is done on the review page
    for translations, never here."""

    list_display = ("language", "kind", "code", "review_status", "reviewed_by", "reviewer_name")
    list_filter = ("language", "kind", "review_status", "retired")
    search_fields = ("code",)
    fields = (
        "language",
        "kind",
        "code",
        "texts",
        "review_status",
        "reviewed_by",
        "reviewer_name",
        "reviewed_at",
        "review_note",
        "retired",
    )
    readonly_fields = (
        "language",
        "kind",
        "code",
        "review_status",
        "reviewed_by",
        "reviewer_name",
        "reviewed_at",
        "review_note",
    )

    def has_add_permission(self, request):
        return False  # translations come from fixtures/translations/<language>.json

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from .views_translations import current_english_digests

        if change and "texts" in form.changed_data:
            obj.review_status = ReviewStatus.PENDING
            obj.reviewed_by = None
            obj.reviewer_name = ""
            obj.reviewed_at = None
            digests = current_english_digests(obj.kind, obj.code)
            obj.translates = {f: digests[f] for f in obj.texts if f in digests}
        super().save_model(request, obj, form, change)
        store.rebuild_snapshot()
