"""The clinical record: patients, work-ups, typed findings, checklist steps, add-on requests.

Findings are typed columns, grouped by checklist step (see ``steps.STEP_FIELDS``); a work-up
turns them into the engine's facts in one place, ``assessment.workup_facts``. Every clinical model
keeps its history with django-simple-history (who, when, what changed).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from simple_history.models import HistoricalRecords

from workup.audit.chain import ChainedHistory
from workup.evidence.facts import APS_RESULTS, KARYOTYPES, PROTOCOLS
from workup.guardrail.reasons import OverrideReason

MRN_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$",
    "Use letters, digits and hyphens (up to 32), starting with a letter or digit.",
)


# Protocol names that are not just the code in words (an acronym stays in capitals).
PROTOCOL_LABELS = {"ppos": "PPOS"}


# Where a step without a due date sorts in the queues: after every real date.
QUEUE_NO_DUE_DATE = date(9999, 12, 31)


def age_on(birth_date: date, day: date) -> int:
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


class Patient(models.Model):
    mrn = models.CharField("MRN", max_length=32, unique=True, validators=[MRN_VALIDATOR])
    name = models.CharField(max_length=200)
    birth_date = models.DateField()
    # The language the patient reads: their sheet and its PDF are in it (docs/documents.md).
    language = models.CharField(
        "preferred language",
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=gettext_lazy("The patient sheet is printed in this language."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(bases=[ChainedHistory])

    class Meta:
        ordering = ["name", "mrn"]
        indexes = [models.Index(fields=["name"], name="patient_name_idx")]

    def __str__(self):
        return f"{self.mrn} · {self.name}"

    def get_absolute_url(self):
        return reverse("clinic:patient_detail", args=[self.pk])

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())


class WorkUp(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", gettext_lazy("Open")
        SIGNED = "signed", gettext_lazy("Signed")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="workups")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="workups_responsible",
        help_text=gettext_lazy("The responsible clinician."),
    )
    date = models.DateField(default=timezone.localdate)
    age_years = models.PositiveSmallIntegerField(
        "age at work-up",
        validators=[MinValueValidator(18), MaxValueValidator(60)],
        help_text=gettext_lazy(
            "The patient's age in years on the work-up date; the engine uses it."
        ),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_catalogue_version = models.CharField(max_length=40, blank=True)
    signed_assessment = models.JSONField(
        null=True,
        blank=True,
        help_text=gettext_lazy("The engine's answer at the moment of signing."),
    )
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["signed_assessment"], bases=[ChainedHistory])

    class Meta:
        ordering = ["-date", "-pk"]
        indexes = [
            # A clinician's open work-ups, newest first (the start page), in index order; its
            # prefix (clinician, status) serves the queues' per-clinician probes.
            models.Index(fields=["clinician", "status", "-date", "-id"], name="workup_home_idx")
        ]
        permissions = [
            ("record_findings", "Can record clinical findings"),
            ("sign_workup", "Can sign a work-up"),
            ("counsel_addon", "Can record add-on counselling"),
            ("manage_steps", "Can schedule, assign and track checklist steps"),
            ("export_queue", "Can export the coordinator queue"),
            ("view_audit", "Can view and export the audit trail"),
        ]

    def __str__(self):
        return f"Work-up {self.pk} · {self.patient.mrn} · {self.date}"

    def get_absolute_url(self):
        return reverse("clinic:workup_detail", args=[self.pk])

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED


class Findings(models.Model):
    """The work-up's findings as typed columns; null means not known yet."""

    workup = models.OneToOneField(
        WorkUp, on_delete=models.CASCADE, primary_key=True, related_name="findings"
    )
    # Transfer history (drives the RIF label).
    failed_transfers = models.PositiveSmallIntegerField(null=True, blank=True)
    euploid_failed_transfers = models.PositiveSmallIntegerField(null=True, blank=True)
    miscarriages = models.PositiveSmallIntegerField(null=True, blank=True)
    # lifestyle
    bmi = models.FloatField("BMI", null=True, blank=True)
    smoker = models.BooleanField(null=True, blank=True)
    alcohol_units_week = models.PositiveSmallIntegerField(
        "alcohol (units a week)", null=True, blank=True
    )
    # thyroid
    tsh = models.FloatField("TSH", null=True, blank=True)
    tpo_positive = models.BooleanField("TPO antibodies positive", null=True, blank=True)
    # aps_screen
    aps = models.CharField(
        "antiphospholipid result",
        max_length=20,
        null=True,
        blank=True,
        choices=[(v, v.replace("_", " ").capitalize()) for v in APS_RESULTS],
    )
    aps_first_test_date = models.DateField(null=True, blank=True)
    aps_repeat_test_date = models.DateField(null=True, blank=True)
    # karyotype
    karyotype = models.CharField(
        max_length=10, null=True, blank=True, choices=[(v, v.capitalize()) for v in KARYOTYPES]
    )
    # embryo_review
    embryo_review_done = models.BooleanField(null=True, blank=True)
    # pgta
    pgta_done = models.BooleanField("PGT-A done", null=True, blank=True)
    pgta_discussed = models.BooleanField("PGT-A discussed", null=True, blank=True)
    pgta_euploid = models.PositiveSmallIntegerField(null=True, blank=True)
    pgta_aneuploid = models.PositiveSmallIntegerField(null=True, blank=True)
    pgta_mosaic = models.PositiveSmallIntegerField(null=True, blank=True)
    pgta_no_result = models.PositiveSmallIntegerField(null=True, blank=True)
    # uterine_imaging
    uterine_imaging_done = models.BooleanField(null=True, blank=True)
    # hysteroscopy
    hysteroscopy_done = models.BooleanField(null=True, blank=True)
    hysteroscopy_date = models.DateField(null=True, blank=True)
    hysteroscopy_polyp = models.BooleanField("polyp", null=True, blank=True)
    hysteroscopy_submucosal_fibroid = models.BooleanField(
        "submucosal fibroid", null=True, blank=True
    )
    hysteroscopy_septum = models.BooleanField("septum", null=True, blank=True)
    hysteroscopy_adhesions = models.BooleanField("adhesions", null=True, blank=True)
    hysteroscopy_endometritis_signs = models.BooleanField(
        "signs of endometritis", null=True, blank=True
    )
    # ce_biopsy
    ce_biopsy_done = models.BooleanField("biopsy done", null=True, blank=True)
    ce_biopsy_date = models.DateField(null=True, blank=True)
    ce_cd138_positive = models.BooleanField("CD138 positive", null=True, blank=True)
    ce_treated = models.BooleanField("antibiotics given", null=True, blank=True)
    ce_rebiopsy_negative = models.BooleanField("re-biopsy negative", null=True, blank=True)
    ce_second_line_treated = models.BooleanField(
        "second-line antibiotics given", null=True, blank=True
    )
    ce_second_line_rebiopsy_negative = models.BooleanField(
        "re-biopsy after second line negative", null=True, blank=True
    )
    # hydrosalpinx_check, adenomyosis_imaging
    hydrosalpinx = models.BooleanField(null=True, blank=True)
    adenomyosis = models.BooleanField(null=True, blank=True)
    # ovarian_reserve: AMH stored in ng/mL; amh_unit remembers the unit it was entered in.
    amh_ng_ml = models.FloatField("AMH (ng/mL)", null=True, blank=True)
    amh_unit = models.CharField(max_length=10, blank=True, default="ng/mL")
    afc = models.PositiveSmallIntegerField("AFC", null=True, blank=True)
    # response_review: whether the list of previous cycles (StimulationCycle) is recorded.
    previous_cycles_known = models.BooleanField(null=True, blank=True)

    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(bases=[ChainedHistory])

    class Meta:
        verbose_name_plural = "findings"

    def __str__(self):
        return f"Findings of work-up {self.workup_id}"


class StimulationCycle(models.Model):
    workup = models.ForeignKey(WorkUp, on_delete=models.CASCADE, related_name="cycles")
    sequence = models.PositiveSmallIntegerField()
    oocytes = models.PositiveSmallIntegerField("oocytes retrieved")
    daily_dose_iu = models.PositiveSmallIntegerField("daily dose (IU)", null=True, blank=True)
    maximal_stimulation = models.BooleanField(null=True, blank=True)
    ohss = models.BooleanField("OHSS", null=True, blank=True)
    protocol = models.CharField(
        max_length=20,
        blank=True,
        choices=[(p, PROTOCOL_LABELS.get(p, p.replace("_", " ").capitalize())) for p in PROTOCOLS],
    )

    history = HistoricalRecords(bases=[ChainedHistory])

    class Meta:
        ordering = ["workup", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["workup", "sequence"], name="cycle_sequence_unique")
        ]

    def __str__(self):
        return f"Cycle {self.sequence}: {self.oocytes} oocytes"


class StepQuerySet(models.QuerySet):
    def open(self):
        return self.filter(in_queue=True)

    def overdue(self, today: date | None = None):
        today = today or timezone.localdate()
        return self.open().filter(due_date__lt=today)

    def due_within(self, days: int, today: date | None = None):
        today = today or timezone.localdate()
        return self.open().filter(due_date__gte=today, due_date__lte=today + timedelta(days=days))


class ChecklistStep(models.Model):
    """A step of the work-up: an investigation of the catalogue, or a tracked next step."""

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Pending")
        SCHEDULED = "scheduled", gettext_lazy("Scheduled")
        AWAITING_FINDINGS = "awaiting_findings", gettext_lazy("Result received, awaiting findings")
        DONE = "done", gettext_lazy("Done")
        NOT_INDICATED = "not_indicated", gettext_lazy("Not indicated")

    class Kind(models.TextChoices):
        INVESTIGATION = "investigation", gettext_lazy("Investigation")
        ACTION = "action", gettext_lazy("Tracked next step")

    class Decision(models.TextChoices):
        NONE = "", gettext_lazy("Follow the engine")
        INDICATED = "indicated", gettext_lazy("Indicated by the clinician")
        NOT_INDICATED = "not_indicated", gettext_lazy("Not indicated (clinician's reason)")

    OPEN_STATUSES = (Status.PENDING, Status.SCHEDULED, Status.AWAITING_FINDINGS)

    workup = models.ForeignKey(WorkUp, on_delete=models.CASCADE, related_name="steps")
    code = models.CharField(max_length=64)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.INVESTIGATION)
    pillar = models.CharField(max_length=20)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    clinician_decision = models.CharField(
        max_length=20, choices=Decision.choices, default=Decision.NONE, blank=True
    )
    not_indicated_reason = models.CharField(max_length=500, blank=True)
    due_date = models.DateField(null=True, blank=True)
    scheduled_for = models.DateField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_steps",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    completed_manually = models.BooleanField(
        default=False, help_text=gettext_lazy("A tracked next step the clinician marked done.")
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Computed by the database, for the queues: whether the step is open, and the due date
    # with "no due date" sorting last. One index in queue order then serves a page of the
    # queue without sorting every open step (SQLite cannot use a partial index on a
    # parameterised IN, nor an index for NULLS LAST).
    in_queue = models.GeneratedField(
        expression=Q(status__in=["pending", "scheduled", "awaiting_findings"]),
        output_field=models.BooleanField(),
        db_persist=True,
    )
    queue_due = models.GeneratedField(
        expression=Coalesce("due_date", Value(QUEUE_NO_DUE_DATE)),
        output_field=models.DateField(),
        db_persist=True,
    )

    objects = StepQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["in_queue", "queue_due"], bases=[ChainedHistory])

    class Meta:
        ordering = ["workup", "pk"]
        constraints = [models.UniqueConstraint(fields=["workup", "code"], name="step_code_unique")]
        indexes = [
            models.Index(fields=["status", "due_date"], name="step_status_due_idx"),
            models.Index(fields=["assignee", "status", "due_date"], name="step_assignee_idx"),
            models.Index(fields=["code", "status"], name="step_code_status_idx"),
            models.Index(fields=["pillar", "status"], name="step_pillar_status_idx"),
            # Partial on exactly the queues' WHERE ("in_queue"), in the queues' order.
            models.Index(
                fields=["queue_due", "workup", "id"],
                name="step_queue_idx",
                condition=Q(in_queue=True),
            ),
            # The newest change to any step: the queue's counts are kept until it moves.
            models.Index(fields=["updated_at"], name="step_updated_idx"),
        ]

    def __str__(self):
        return f"{self.code} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def days_overdue(self, today: date | None = None) -> int:
        if not self.is_open or self.due_date is None:
            return 0
        today = today or timezone.localdate()
        return max(0, (today - self.due_date).days)

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue() > 0


class AddonRequest(models.Model):
    class RequestedBy(models.TextChoices):
        PATIENT = "patient", gettext_lazy("The patient")
        REFERRER = "referrer", gettext_lazy("A referring clinician")
        OTHER = "other", gettext_lazy("Someone else")

    class Outcome(models.TextChoices):
        NOT_COUNSELLED = "not_counselled", gettext_lazy("Not yet counselled")
        DECLINED = "discussed_declined", gettext_lazy("Discussed; patient declined")
        UNDECIDED = "discussed_undecided", gettext_lazy("Discussed; patient undecided")
        TRIAL = "referred_trial", gettext_lazy("Referred to a clinical trial")
        AGAINST_ADVICE = "proceeding_against_advice", gettext_lazy("Proceeding against advice")
        INDICATED = "indicated", gettext_lazy("Indicated for this patient; proceeding")

    # Outcomes that must say why.
    NEEDS_REASON = (Outcome.AGAINST_ADVICE,)

    workup = models.ForeignKey(WorkUp, on_delete=models.CASCADE, related_name="addon_requests")
    addon_code = models.CharField("add-on", max_length=64)
    requested_by = models.CharField(
        max_length=20, choices=RequestedBy.choices, default=RequestedBy.PATIENT
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(
        max_length=30, choices=Outcome.choices, default=Outcome.NOT_COUNSELLED
    )
    outcome_reason = models.TextField(blank=True)
    # Proceeding against advice: why, from the coded list shared with the CDS Hooks cards.
    override_reason = models.CharField(
        "reason for proceeding", max_length=30, choices=OverrideReason.choices, blank=True
    )
    counselled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    counselled_at = models.DateTimeField(null=True, blank=True)
    # The counselling form carries the version it was drawn from; a stale save is refused.
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords(bases=[ChainedHistory])

    class Meta:
        ordering = ["workup", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workup", "addon_code"], name="addon_request_unique")
        ]

    def __str__(self):
        return f"{self.addon_code} ({self.get_outcome_display()})"


class Addendum(models.Model):
    """A change to a signed work-up, with its reason."""

    workup = models.ForeignKey(WorkUp, on_delete=models.CASCADE, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField()
    changes = models.TextField(blank=True, help_text=gettext_lazy("What changed, in words."))

    history = HistoricalRecords(bases=[ChainedHistory])

    class Meta:
        ordering = ["workup", "created_at"]
        verbose_name_plural = "addenda"

    def __str__(self):
        return f"Addendum to work-up {self.workup_id} at {self.created_at:%Y-%m-%d %H:%M}"
