"""What the guardrail keeps: the patient sheet behind an override, the cards sent to the EMR and
the EMR's feedback on them, and one summary row per work-up for the lead's dashboard.

Kept sheets, cards and feedback are records of what happened: written once, never changed.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from workup.audit.chain import ChainedRecord

from .reasons import OverrideReason


class KeptPatientSheet(models.Model):
    """The patient sheet as the patient was given it when deciding against advice."""

    addon_request = models.ForeignKey(
        "clinic.AddonRequest", on_delete=models.PROTECT, related_name="kept_sheets"
    )
    workup = models.ForeignKey("clinic.WorkUp", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    override_reason = models.CharField(max_length=30, choices=OverrideReason.choices)
    reason_text = models.TextField(blank=True)
    file_name = models.CharField(max_length=200)
    pdf = models.BinaryField()
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField()
    catalogue_version = models.CharField(max_length=60)

    class Meta:
        ordering = ["addon_request", "-created_at", "-pk"]

    def __str__(self):
        return f"Patient sheet kept for add-on request {self.addon_request_id}"


class CdsCard(models.Model):
    """A card sent to the EMR, so that its feedback can be matched and counted."""

    class Indicator(models.TextChoices):
        INFO = "info", gettext_lazy("Info")
        WARNING = "warning", gettext_lazy("Warning")
        CRITICAL = "critical", gettext_lazy("Critical")

    uuid = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.CharField(max_length=64)
    hook = models.CharField(max_length=64)
    hook_instance = models.CharField(max_length=100)
    indicator = models.CharField(max_length=10, choices=Indicator.choices)
    summary = models.CharField(max_length=140)
    addon_code = models.CharField(max_length=64, blank=True)
    next_step_code = models.CharField(max_length=64, blank=True)
    emr_user = models.CharField(
        "EMR user", max_length=200, help_text=gettext_lazy("context.userId")
    )
    emr_patient = models.CharField(
        "EMR patient", max_length=200, help_text=gettext_lazy("context.patientId")
    )
    mrn = models.CharField("MRN", max_length=32, blank=True)
    workup = models.ForeignKey(
        "clinic.WorkUp", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Our user behind context.userId ("Practitioner/<username>"), when there is one.
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=gettext_lazy("The API token's user (the EMR's account)."),
    )
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_at"]
        permissions = [("use_cds_hooks", "Can call the CDS Hooks services (an EMR's account)")]
        indexes = [models.Index(fields=["issued_at", "addon_code"], name="cds_card_issued_idx")]

    def __str__(self):
        return f"{self.service} card {self.uuid}"


class CdsFeedback(ChainedRecord):
    """What the EMR reports the user did with a card: accepted, or overridden and why. Written
    once, on its audit chain (``workup.audit.chain``)."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", gettext_lazy("Accepted")
        OVERRIDDEN = "overridden", gettext_lazy("Overridden")

    card = models.ForeignKey(CdsCard, on_delete=models.PROTECT, related_name="feedback")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    override_reason = models.CharField(max_length=30, choices=OverrideReason.choices, blank=True)
    # A reason from another code system (the EMR's own), kept as sent.
    other_reason_system = models.CharField(max_length=200, blank=True)
    other_reason_code = models.CharField(max_length=100, blank=True)
    other_reason_display = models.CharField(max_length=200, blank=True)
    user_comment = models.TextField(blank=True)
    accepted_suggestions = models.JSONField(default=list, blank=True)
    outcome_at = models.DateTimeField(
        help_text=gettext_lazy("outcomeTimestamp, as the EMR sent it.")
    )
    received_at = models.DateTimeField(auto_now_add=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-outcome_at"]
        verbose_name_plural = "CDS feedback"
        constraints = [
            # An EMR that sends the same feedback again (a retry) does not count twice.
            models.UniqueConstraint(
                fields=["card", "outcome", "outcome_at"], name="cds_feedback_once"
            )
        ]
        indexes = [models.Index(fields=["outcome", "outcome_at"], name="cds_feedback_outcome_idx")]

    def __str__(self):
        return f"{self.get_outcome_display()} card {self.card_id}"


class WorkupSummary(models.Model):
    """One narrow row per work-up, kept current by the writes, for the dashboard's aggregates.

    The RIF label is the engine's answer for the stored facts (``assess_workup``), worked out
    when the work-up or its findings are saved, so the dashboard never assesses anything.
    """

    workup = models.OneToOneField(
        "clinic.WorkUp", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    opened_on = models.DateField()
    signed_on = models.DateField(null=True, blank=True)
    days_to_sign = models.PositiveIntegerField(null=True, blank=True)
    rif_label = models.CharField(max_length=20)
    failed_transfers = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [("view_quality", "Can view the add-on quality dashboard")]
        indexes = [
            models.Index(
                fields=["opened_on", "clinician", "rif_label", "failed_transfers"],
                name="summary_opened_idx",
            ),
            models.Index(
                fields=["clinician", "opened_on", "rif_label", "failed_transfers"],
                name="summary_clinician_idx",
            ),
            models.Index(
                fields=["signed_on", "clinician", "days_to_sign"], name="summary_signed_idx"
            ),
        ]

    def __str__(self):
        return f"Summary of work-up {self.workup_id}"


class QualityCount(models.Model):
    """Pre-aggregated counts for the dashboard: one row per (figure, grain, day, clinician,
    key), recomputed for the affected buckets whenever a summary row or an add-on request
    changes.

    ``grain`` "m" rows hold a whole month (``day`` its first day), "d" rows a single day, so
    that any period is whole months plus at most two partial months of days: the dashboard
    reads a few hundred rows, whatever the number of work-ups.
    """

    class Kind(models.TextChoices):
        RIF = "rif", gettext_lazy("Opened: RIF label by failed transfers")
        SIGNED = "signed", gettext_lazy("Signed: days to sign-off bucket")
        ADDON = "addon", gettext_lazy("Add-on requests: by add-on and outcome")
        OVERRIDE = "override", gettext_lazy("Overrides at the desk: by reason")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    grain = models.CharField(
        max_length=1, choices=[("d", gettext_lazy("day")), ("m", gettext_lazy("month"))]
    )
    day = models.DateField()
    # The work-up's clinician; for the desk's overrides, the one who counselled.
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # The RIF label; the sign-off bucket; the add-on's code; the override's reason.
    key_a = models.CharField(max_length=64, blank=True)
    # Failed transfers ("" not recorded); the add-on request's outcome.
    key_b = models.CharField(max_length=30, blank=True)
    n = models.PositiveIntegerField()
    total = models.BigIntegerField(default=0)  # the sum of days to sign-off (for the mean)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "grain", "day", "clinician", "key_a", "key_b"],
                name="quality_count_bucket",
            )
        ]
        indexes = [
            models.Index(
                fields=["clinician", "kind", "grain", "day"], name="quality_count_clin_idx"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.grain} {self.day} {self.clinician_id}: {self.n}"
