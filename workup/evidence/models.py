"""The evidence catalogue in the database: reviewed by the clinical lead, read by the engine.

The engine never reads these tables directly: ``workup.evidence.store`` turns them into a plain
snapshot (``catalogue.Catalogue``) kept as JSON on the :class:`CatalogueVersion` row, so a page
pays one query for the whole catalogue.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy
from simple_history.models import HistoricalRecords

from workup.audit.chain import ChainedHistory, ChainedRecord, full_name

from . import catalogue as plain


class ReviewStatus(models.TextChoices):
    VERIFIED = plain.VERIFIED, gettext_lazy("Verified")
    PENDING = plain.PENDING, gettext_lazy("Pending clinical review")


class Pillar(models.TextChoices):
    GENERAL = "general", gettext_lazy("General")
    EMBRYO = "embryo", gettext_lazy("Embryo")
    UTERUS = "uterus", gettext_lazy("Uterus")
    STIMULATION = "stimulation", gettext_lazy("Stimulation")


class Stance(models.TextChoices):
    RECOMMENDED = "recommended", gettext_lazy("Recommended")
    CONSIDER = "consider", gettext_lazy("Consider")
    NOT_ROUTINE = "not_routine", gettext_lazy("Not routine")
    NOT_RECOMMENDED = "not_recommended", gettext_lazy("Not recommended")


class HfeaRating(models.TextChoices):
    GREEN = "green", gettext_lazy("Green")
    AMBER = "amber", gettext_lazy("Amber")
    GREY = "grey", gettext_lazy("Grey")
    BLACK = "black", gettext_lazy("Black")
    RED = "red", gettext_lazy("Red")


# The names of an embryo's PGT-A kind and stage (catalogue.PGTA_KINDS, catalogue.STAGES).
EMBRYO_LABELS = {
    "euploid": gettext_lazy("Euploid"),
    "untested": gettext_lazy("Untested"),
    "mosaic": gettext_lazy("Mosaic"),
    "aneuploid": gettext_lazy("Aneuploid"),
}
STAGE_LABELS = {"blastocyst": gettext_lazy("Blastocyst"), "cleavage": gettext_lazy("Cleavage")}


class CatalogueVersion(models.Model):
    """The catalogue as loaded: one row, with the snapshot the engine reads."""

    version = models.CharField(max_length=32)
    reviewed_on = models.DateField(null=True, blank=True)
    loaded_at = models.DateTimeField(auto_now_add=True)
    revision = models.PositiveIntegerField(
        default=0, help_text=gettext_lazy("Goes up each time the catalogue changes after loading.")
    )
    snapshot = models.JSONField(default=dict, editable=False)
    problems = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text=gettext_lazy(
            "What the engine would miss in the tables; while any, the last good snapshot is served."
        ),
    )

    history = HistoricalRecords(excluded_fields=["snapshot", "problems"], bases=[ChainedHistory])

    class Meta:
        permissions = [
            ("review_catalogue", "Can record a clinical review of catalogue entries"),
            ("run_assessment", "Can run the assessment engine"),
        ]

    def __str__(self):
        return f"Catalogue {self.version} (revision {self.revision})"


class Source(models.Model):
    key = models.SlugField(max_length=64, unique=True)
    citation = models.TextField()
    doi = models.CharField(max_length=200, blank=True)
    url = models.URLField(blank=True)
    fixture_hash = models.CharField(max_length=64, blank=True, editable=False)

    history = HistoricalRecords(bases=[ChainedHistory])

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return self.key


class CatalogueEntry(models.Model):
    """What every reviewed entry has: a code, sources, and who reviewed it and when."""

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    rank = models.IntegerField(
        default=0, help_text=gettext_lazy("Order in lists; lower comes first.")
    )
    sources = models.ManyToManyField(
        Source,
        related_name="+",
        blank=True,
        help_text=(
            gettext_lazy(
                "Only sources that say this. None while the reference gives none: the entry is "
                "then shown as 'standard practice; no source in the catalogue yet', pending review."
            )
        ),
    )
    tags = models.JSONField(
        default=dict,
        blank=True,
        help_text=gettext_lazy(
            "The reference's verification tags: V (primary source), S (secondary), U."
        ),
    )
    review_status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)
    retired = models.BooleanField(
        default=False, help_text=gettext_lazy("No longer in the catalogue; kept for the record.")
    )
    fixture_hash = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(inherit=True, bases=[ChainedHistory])

    # Fields that are about the review, not the clinical content.
    REVIEW_FIELDS = ("review_status", "reviewed_by", "reviewed_at", "review_note")

    class Meta:
        abstract = True
        ordering = ["rank", "code"]

    def __str__(self):
        return f"{self.code}: {self.name}"

    @property
    def is_verified(self):
        return self.review_status == ReviewStatus.VERIFIED


class Investigation(CatalogueEntry):
    pillar = models.CharField(max_length=20, choices=Pillar.choices)
    summary = models.TextField()
    stance = models.CharField(max_length=20, choices=Stance.choices, null=True, blank=True)
    gated = models.BooleanField(
        default=False,
        help_text=gettext_lazy(
            "Indicated only once RIF is labelled (or when a clinician adds it)."
        ),
    )
    unverified_detail = models.TextField(blank=True)
    plain = models.TextField(
        blank=True, help_text=gettext_lazy("Plain-language text for patients.")
    )


class NextStep(CatalogueEntry):
    pillar = models.CharField(max_length=20, choices=Pillar.choices)
    summary = models.TextField()
    rationale = models.TextField(blank=True)
    stance = models.CharField(max_length=20, choices=Stance.choices, null=True, blank=True)
    unverified_detail = models.TextField(blank=True)
    plain = models.TextField(
        blank=True, help_text=gettext_lazy("Plain-language text for patients.")
    )
    plain_found = models.TextField(
        blank=True,
        help_text=gettext_lazy(
            "What was found that calls for this step, in a patient's words (the patient "
            "sheet's first page); empty where no finding leads to it."
        ),
    )


class AddOn(CatalogueEntry):
    KIND_CHOICES = [("treatment", "Treatment"), ("test", "Test")]

    kind = models.CharField(max_length=20, choices=KIND_CHOICES, default="treatment")
    what = models.TextField()
    eshre_stance = models.CharField(
        max_length=20,
        choices=Stance.choices,
        null=True,
        blank=True,
        help_text=gettext_lazy("ESHRE add-ons 2023; empty while unverified."),
    )
    eshre_note = models.CharField(max_length=300, blank=True)
    hfea_rating = models.CharField(
        max_length=10,
        choices=HfeaRating.choices,
        null=True,
        blank=True,
        help_text=gettext_lazy(
            "HFEA five-colour rating (since October 2023); empty while unverified."
        ),
    )
    hfea_note = models.CharField(max_length=300, blank=True)
    risks = models.JSONField(default=list, blank=True)
    evidence = models.TextField(blank=True)
    plain_what = models.TextField(blank=True)
    plain_evidence = models.TextField(blank=True)
    plain_risks = models.TextField(blank=True)
    indicated_when = models.CharField(
        max_length=30,
        null=True,
        blank=True,
        choices=[("aps_confirmed", gettext_lazy("Antiphospholipid syndrome confirmed"))],
    )
    patient_verdict = models.CharField(
        max_length=20,
        blank=True,
        choices=[
            ("possible_harm", gettext_lazy("Possible harm")),
            ("no_benefit_shown", gettext_lazy("No benefit shown")),
        ],
        help_text=gettext_lazy(
            "Why it is not advised, on the patient sheet's first page: harms are "
            "documented (or it may lower the chance of a baby), or only no benefit was shown."
        ),
    )

    class Meta(CatalogueEntry.Meta):
        verbose_name = "add-on"


class ImplantationChance(CatalogueEntry):
    """Predicted chance of implantation of one embryo of a PGT-A kind and stage, by the age at
    oocyte retrieval, used by the RIF rule. Euploid and untested blastocysts are required at
    every age; a row for another kind or stage (mosaic, cleavage) is used once the lead adds it."""

    embryo = models.CharField(
        max_length=10, choices=[(k, EMBRYO_LABELS[k]) for k in plain.PGTA_KINDS]
    )
    stage = models.CharField(
        max_length=12,
        choices=[(s, STAGE_LABELS[s]) for s in plain.STAGES],
        default=plain.DEFAULT_STAGE,
    )
    age_min = models.PositiveSmallIntegerField()
    age_max = models.PositiveSmallIntegerField()
    chance = models.FloatField(help_text=gettext_lazy("Between 0 and 1."))


class Parameter(CatalogueEntry):
    """A threshold a rule uses (for example the 60% RIF threshold), shown and reviewable."""

    value = models.FloatField()
    unit = models.CharField(max_length=30, blank=True)
    description = models.TextField(blank=True)


class Statement(CatalogueEntry):
    """A clinical sentence the engine says: a caution, the strength of a treatment for this
    patient, what an HFEA colour means. ``{placeholders}`` are filled in by the engine."""

    text = models.TextField(help_text=gettext_lazy("For clinicians; {placeholders} are filled in."))
    plain = models.TextField(
        blank=True, help_text=gettext_lazy("Plain-language text for patients.")
    )
    description = models.TextField(
        blank=True,
        help_text=gettext_lazy("When the engine says it, and what each placeholder holds."),
    )
    stance = models.CharField(
        max_length=20,
        choices=Stance.choices,
        null=True,
        blank=True,
        help_text=gettext_lazy(
            "Where the sentence is advice with a strength (a stimulation consideration)."
        ),
    )


class CatalogueTranslation(models.Model):
    """A catalogue entry's patient-facing texts in another language, with its own review.

    Loaded from ``fixtures/translations/<language>.json`` with the catalogue. ``translates``
    keeps the digest of the English text each field translates: a translation of an English
    text that has since changed is not used (the sheet shows the English, with a note). A
    translation is reviewed when the clinical lead, or a reviewer the lead names, confirms it.
    """

    language = models.CharField(max_length=8)
    kind = models.CharField(max_length=30)
    code = models.SlugField(max_length=64)
    texts = models.JSONField(
        default=dict, help_text=gettext_lazy("The translated fields, by field name.")
    )
    translates = models.JSONField(
        default=dict,
        editable=False,
        help_text=gettext_lazy("Digest of the English text each field translates."),
    )
    review_status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewer_name = models.CharField(
        max_length=200,
        blank=True,
        help_text=gettext_lazy(
            "A named reviewer outside the app (a medical translator), from the fixture."
        ),
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)
    retired = models.BooleanField(default=False)
    fixture_hash = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(bases=[ChainedHistory])

    REVIEW_FIELDS = ("review_status", "reviewed_by", "reviewer_name", "reviewed_at", "review_note")

    class Meta:
        ordering = ["language", "kind", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["language", "kind", "code"], name="one_translation_per_entry"
            )
        ]
        permissions = [
            ("review_translation", "Can confirm translations of the catalogue's patient texts")
        ]

    def __str__(self):
        return f"{self.language}: {self.kind}/{self.code}"

    @property
    def reviewer(self) -> str:
        if self.reviewed_by is not None:
            return self.reviewed_by.get_full_name() or self.reviewed_by.get_username()
        return self.reviewer_name


ENTRY_MODELS = {
    "investigations": Investigation,
    "next_steps": NextStep,
    "addons": AddOn,
    "implantation_chances": ImplantationChance,
    "parameters": Parameter,
    "statements": Statement,
}


class ReviewRecord(ChainedRecord):
    """Every review the clinical lead records: which entry, what status, who, when. Written
    once, on its audit chain (``workup.audit.chain``)."""

    kind = models.CharField(max_length=30)
    code = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=ReviewStatus.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The reviewer as they were at the time: a later rename does not move the review.
    reviewer_username = models.CharField(max_length=150, blank=True, db_default="", editable=False)
    reviewer_full_name = models.CharField(max_length=300, blank=True, db_default="", editable=False)
    reviewed_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-reviewed_at"]

    def __str__(self):
        return f"{self.kind}/{self.code} {self.status} by {self.who} at {self.reviewed_at}"

    def snapshot_actor(self):
        if not self.reviewer_username and self.reviewer_id is not None:
            self.reviewer_username = self.reviewer.get_username()
            self.reviewer_full_name = full_name(self.reviewer)

    @property
    def who(self) -> str:
        return self.reviewer_full_name or self.reviewer_username or "?"
