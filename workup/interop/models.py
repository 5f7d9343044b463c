"""Standard codes on the catalogue, the lab's local codes, and lab results waiting for a clinician.

- :class:`Coding`: the one table of standard codes (LOINC, ICD-10-CM, SNOMED CT, ATC) for a
  finding (an observation), a diagnosis (a condition), a checklist step (a Task), a procedure
  done, or an order that is an add-on: catalogue data with verification tags and a review
  status, loaded from ``fixtures/codes.json`` by ``manage.py load_catalogue``. The FHIR export
  and results in use only verified codes; the CDS Hooks service reads the EMR's data by any
  code in use and says when one is pending review.
- :class:`OrderMapping`: which orders are a catalogue add-on by name (the CDS Hooks guardrail),
  catalogue data from the same file, reviewed the same way.
- :class:`LabCodeMapping`: the clinical lead's table from a laboratory's own test codes to
  catalogue codes; :class:`EmrOrderCode`: the lead's table from the clinic EMR's own order codes
  to add-ons.
- :class:`IncomingResult`: a result a laboratory sent, waiting until a clinician accepts it (it
  is then recorded through the findings form's validation) or rejects it with a reason.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy
from simple_history.models import HistoricalRecords

from workup.audit.chain import ChainedHistory
from workup.evidence.models import ReviewStatus


class CodeSystem(models.TextChoices):
    LOINC = "http://loinc.org", "LOINC"
    ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm", "ICD-10-CM"
    SNOMED = "http://snomed.info/sct", "SNOMED CT"
    ATC = "http://www.whocc.no/atc", "ATC"


class Coding(models.Model):
    class AppliesTo(models.TextChoices):
        OBSERVATION = "observation", gettext_lazy("A finding (FHIR Observation)")
        CONDITION = "condition", gettext_lazy("A diagnosis (FHIR Condition)")
        SERVICE = "service", gettext_lazy("A checklist step (FHIR Task)")
        PROCEDURE = "procedure", gettext_lazy("A procedure done (FHIR Procedure)")
        ORDER = "order", gettext_lazy("An order that is an add-on (CDS Hooks)")

    key = models.SlugField(max_length=64, unique=True)
    applies_to = models.CharField(max_length=20, choices=AppliesTo.choices)
    target = models.CharField(
        max_length=64,
        blank=True,
        help_text=gettext_lazy(
            "What the code stands for: a findings column (observation, condition), a catalogue "
            "investigation or next step (service), a procedure (hysteroscopy, ce_biopsy, "
            "embryo_transfer) or a catalogue add-on (order). Empty: attached to nothing (the "
            "note says why)."
        ),
    )
    when = models.CharField(
        max_length=30,
        blank=True,
        help_text=gettext_lazy(
            "For a diagnosis: the finding's value that makes it one (true, confirmed), or for a "
            "count the catalogue parameter from which it does. For an observation: 'feeds' for a "
            "test that feeds a finding without being it."
        ),
    )
    system = models.CharField(max_length=100, choices=CodeSystem.choices)
    code = models.CharField(max_length=20)
    text = models.CharField(
        max_length=200, help_text=gettext_lazy("Our words for what the code stands for.")
    )
    unit = models.CharField(
        max_length=20,
        blank=True,
        help_text=gettext_lazy("UCUM unit of the normalised value, if any."),
    )
    note = models.CharField(max_length=500, blank=True)
    tags = models.JSONField(
        default=dict,
        blank=True,
        help_text=gettext_lazy(gettext_lazy("Verification tags: V (primary source), S, U.")),
    )
    review_status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)
    retired = models.BooleanField(default=False)
    fixture_hash = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(bases=[ChainedHistory])

    REVIEW_FIELDS = ("review_status", "reviewed_by", "reviewed_at", "review_note")

    class Meta:
        ordering = ["applies_to", "target", "key"]
        verbose_name = "standard code"
        constraints = [
            models.UniqueConstraint(
                fields=["applies_to", "system", "code", "target"], name="coding_unique"
            )
        ]

    def __str__(self):
        return f"{self.get_system_display()} {self.code} ({self.text})"

    @property
    def is_verified(self) -> bool:
        return self.review_status == ReviewStatus.VERIFIED and not self.retired


class OrderMapping(models.Model):
    """Which orders in the EMR are a catalogue add-on by name: an order whose text (or a
    coding's display) holds one of ``names`` as a whole word, any case. Catalogue data from
    ``fixtures/codes.json`` ("orders"), with tags and the lead's review; the add-on's standard
    order codes are :class:`Coding` rows (applies_to order), the clinic's own
    :class:`EmrOrderCode` rows."""

    class Resource(models.TextChoices):
        MEDICATION = "MedicationRequest", gettext_lazy("Medication order (MedicationRequest)")
        SERVICE = "ServiceRequest", gettext_lazy("Procedure or test order (ServiceRequest)")

    addon = models.SlugField(
        "add-on", max_length=64, unique=True, help_text=gettext_lazy("The catalogue add-on.")
    )
    resources = models.JSONField(
        default=list,
        help_text=gettext_lazy("The kinds of order it can be: MedicationRequest, ServiceRequest."),
    )
    names = models.JSONField(
        default=list, help_text=gettext_lazy("Names an order may give it (whole words).")
    )
    note = models.CharField(max_length=500, blank=True)
    tags = models.JSONField(
        default=dict,
        blank=True,
        help_text=gettext_lazy("Verification tags: V (primary source), S, U."),
    )
    review_status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)
    retired = models.BooleanField(default=False)
    fixture_hash = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(bases=[ChainedHistory])

    REVIEW_FIELDS = Coding.REVIEW_FIELDS

    class Meta:
        ordering = ["addon"]
        verbose_name = "order mapping (add-on names)"
        verbose_name_plural = "order mappings (add-on names)"

    def __str__(self):
        return f"{self.addon}: {', '.join(self.names)}"

    @property
    def is_verified(self) -> bool:
        return self.review_status == ReviewStatus.VERIFIED and not self.retired


class EmrOrderCode(models.Model):
    """The clinic EMR's own code for an order, and the catalogue add-on it stands for (kept by
    the clinical lead, as the laboratory code table is)."""

    system = models.CharField(
        max_length=200, help_text=gettext_lazy("The code system URI of the EMR's order codes.")
    )
    code = models.CharField(max_length=100)
    name = models.CharField(
        max_length=200, blank=True, help_text=gettext_lazy("The EMR's name for it.")
    )
    addon = models.SlugField(
        "add-on", max_length=64, help_text=gettext_lazy("The catalogue add-on it stands for.")
    )
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(bases=[ChainedHistory])

    class Meta:
        ordering = ["system", "code"]
        verbose_name = "EMR order code"
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="emr_order_code_unique")
        ]

    def __str__(self):
        return f"{self.system}|{self.code} → {self.addon}"


class LabCodeMapping(models.Model):
    """A laboratory's own test code, and the catalogue code it stands for."""

    sender = models.CharField(
        max_length=100,
        help_text=gettext_lazy(
            "Who sends the code: the HL7 sending facility (MSH-4) or the FHIR coding "
            "system URI of the laboratory's codes."
        ),
    )
    local_code = models.CharField(max_length=50)
    local_name = models.CharField(max_length=200, blank=True)
    coding = models.ForeignKey(Coding, on_delete=models.PROTECT, related_name="lab_mappings")
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(bases=[ChainedHistory])

    class Meta:
        ordering = ["sender", "local_code"]
        verbose_name = "laboratory code mapping"
        constraints = [
            models.UniqueConstraint(fields=["sender", "local_code"], name="lab_code_unique")
        ]

    def __str__(self):
        return f"{self.sender} {self.local_code} → {self.coding.code}"


class IncomingResult(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", gettext_lazy("Waiting for a clinician")
        ACCEPTED = "accepted", gettext_lazy("Accepted")
        REJECTED = "rejected", gettext_lazy("Rejected")

    class Format(models.TextChoices):
        FHIR = "fhir", "FHIR R4"
        HL7V2 = "hl7v2", "HL7 v2"

    workup = models.ForeignKey(
        "clinic.WorkUp", on_delete=models.CASCADE, related_name="incoming_results"
    )
    coding = models.ForeignKey(Coding, on_delete=models.PROTECT, related_name="+")
    source_format = models.CharField(max_length=10, choices=Format.choices)
    sender = models.CharField(max_length=100)
    message_id = models.CharField(max_length=100, blank=True)
    dedup_key = models.CharField(max_length=250, null=True, blank=True, unique=True)
    local_code = models.CharField(max_length=50)
    local_name = models.CharField(max_length=200, blank=True)
    value_sent = models.CharField(
        max_length=100, help_text=gettext_lazy("The value as the laboratory sent it.")
    )
    unit_sent = models.CharField(max_length=30, blank=True)
    number = models.FloatField(
        null=True, blank=True, help_text=gettext_lazy("In the normalised unit.")
    )
    unit = models.CharField(
        max_length=30, blank=True, help_text=gettext_lazy("The normalised unit.")
    )
    positive = models.BooleanField(null=True, blank=True)
    observed_on = models.DateField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords(bases=[ChainedHistory])

    class Meta:
        ordering = ["workup", "received_at", "pk"]
        indexes = [models.Index(fields=["status", "workup"], name="incoming_status_idx")]
        permissions = [
            ("submit_results", "Can send laboratory results (the lab interface)"),
            ("adjudicate_results", "Can accept or reject incoming laboratory results"),
        ]

    def __str__(self):
        return f"Result {self.local_code} for work-up {self.workup_id} ({self.status})"

    @property
    def is_waiting(self) -> bool:
        return self.status == self.Status.WAITING

    @property
    def recorded_as(self) -> str:
        """How the result would be recorded, in the normalised unit."""
        if self.number is not None:
            return f"{round(self.number, 3):g} {self.unit}"
        if self.positive is not None:
            return "Positive" if self.positive else "Negative"
        return ""
