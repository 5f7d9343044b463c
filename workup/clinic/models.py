"""The clinical record: patients, work-ups, typed findings, checklist steps, add-on requests.

Findings are typed columns derived from their descriptions (``evidence.findings``); a work-up
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
from django.utils.translation import gettext_lazy, pgettext_lazy
from simple_history.models import HistoricalRecords

from workup.audit.chain import ChainedHistory
from workup.evidence import findings as spec
from workup.evidence.facts import MAX_DOSE_IU, OHSS_GRADES, PROTOCOLS
from workup.guardrail.reasons import OverrideReason

# Embryo transfers, a model of this app kept in its own module (contract 2).
from .transfer_records import Transfer  # noqa: F401

MRN_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$",
    "Use letters, digits and hyphens (up to 32), starting with a letter or digit.",
)


# Protocol names, in the reader's language (an acronym stays in capitals).
PROTOCOL_LABELS = {
    "antagonist": gettext_lazy("Antagonist"),
    "long_agonist": gettext_lazy("Long agonist"),
    "short_agonist": gettext_lazy("Short agonist"),
    "mild": pgettext_lazy("protocol", "Mild"),
    "natural": gettext_lazy("Natural"),
    "ppos": "PPOS",
    "other": gettext_lazy("Other"),
}
PROTOCOL_CHOICES = [
    (p, PROTOCOL_LABELS.get(p, p.replace("_", " ").capitalize())) for p in PROTOCOLS
]
TRIGGER_CHOICES = [
    ("hcg", "hCG"),
    ("agonist", gettext_lazy("GnRH agonist")),
    ("dual", gettext_lazy("Dual")),
]
# OHSS as recorded: a grade, or "yes" without a grade (what contract 1's boolean said).
OHSS_UNGRADED = "ungraded"
OHSS_GRADE_LABELS = {
    "none": pgettext_lazy("OHSS grade", "None"),
    "mild": pgettext_lazy("OHSS grade", "Mild"),
    "moderate": pgettext_lazy("OHSS grade", "Moderate"),
    "severe": pgettext_lazy("OHSS grade", "Severe"),
}
OHSS_CHOICES = [(g, OHSS_GRADE_LABELS.get(g, g.capitalize())) for g in OHSS_GRADES] + [
    (OHSS_UNGRADED, gettext_lazy("Yes, grade not recorded"))
]


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


def _finding_columns() -> dict[str, models.Field]:
    """The database columns of every finding, from its description (``evidence.findings``).

    Null means not known yet. A quantity keeps the value the engine reads (in its canonical
    unit) beside the value and unit as entered.
    """
    out: dict[str, models.Field] = {}
    for finding in spec.FINDINGS:
        label = finding.label
        kind = finding.kind
        if kind == spec.BOOL:
            field = models.BooleanField(label, null=True, blank=True)
        elif kind in (spec.COUNT, spec.WHOLE):
            field = models.PositiveSmallIntegerField(label, null=True, blank=True)
        elif kind == spec.NUMBER:
            field = models.FloatField(label, null=True, blank=True)
        elif kind == spec.CHOICE:
            field = models.CharField(
                label,
                max_length=max(len(code) for code, _words in finding.choices),
                null=True,
                blank=True,
                choices=finding.choices,
            )
        elif kind == spec.DATE:
            field = models.DateField(label, null=True, blank=True)
        elif kind == spec.TEXT and finding.max_length <= 255:
            field = models.CharField(label, blank=True, max_length=finding.max_length)
        elif kind == spec.TEXT:
            field = models.TextField(label, blank=True, max_length=finding.max_length)
        elif kind == spec.QUANTITY:
            canonical = finding.unit.symbol
            field = models.FloatField(f"{finding.label} ({canonical})", null=True, blank=True)
            out[finding.entered_column] = models.FloatField(
                f"{finding.label} as entered", null=True, blank=True
            )
            out[finding.unit_column] = models.CharField(
                f"{finding.label} unit as entered", max_length=10, blank=True, default=canonical
            )
        else:
            raise ValueError(f"No column for a {kind} finding ({finding.path}).")
        out[finding.column] = field
    return out


FindingColumns = type(
    "FindingColumns",
    (models.Model,),
    {
        "__module__": __name__,
        "__doc__": "The findings' columns, derived from their descriptions.",
        "Meta": type("Meta", (), {"abstract": True}),
        **_finding_columns(),
    },
)


class Findings(FindingColumns):
    """The work-up's findings: one row, a column per finding (``evidence.findings``)."""

    workup = models.OneToOneField(
        WorkUp, on_delete=models.CASCADE, primary_key=True, related_name="findings"
    )
    # response_review: whether the list of previous cycles (StimulationCycle) is recorded.
    previous_cycles_known = models.BooleanField(null=True, blank=True)

    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(bases=[ChainedHistory])

    class Meta:
        verbose_name_plural = "findings"

    def __str__(self):
        return f"Findings of work-up {self.workup_id}"


# A previous cycle's recorded columns, in the order the cycles table shows them.
CYCLE_COLUMNS = (
    "date",
    "protocol",
    "daily_dose_iu",
    "maximal_stimulation",
    "trigger",
    "oocytes",
    "mature_oocytes",
    "ohss_grade",
    "freeze_all",
)


class LegacyOhssHistory(models.Model):
    """History records of cycles written before OHSS had a grade keep their yes/no here, so
    that they still verify on the audit chain (``manage.py verify_audit``): a record's hash
    covers the fields it was written with. New records leave it empty."""

    ohss = models.BooleanField("OHSS (yes/no, before grades)", null=True, editable=False)

    class Meta:
        abstract = True


class StimulationCycle(models.Model):
    """A previous stimulation cycle, as the clinician recorded it (blank/null: not recorded)."""

    workup = models.ForeignKey(WorkUp, on_delete=models.CASCADE, related_name="cycles")
    sequence = models.PositiveSmallIntegerField()
    date = models.DateField("date of retrieval", null=True, blank=True)
    oocytes = models.PositiveSmallIntegerField("oocytes retrieved")
    mature_oocytes = models.PositiveSmallIntegerField("mature oocytes (MII)", null=True, blank=True)
    daily_dose_iu = models.PositiveSmallIntegerField(
        "daily dose (IU)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_DOSE_IU)],
    )
    maximal_stimulation = models.BooleanField(null=True, blank=True)
    ohss_grade = models.CharField("OHSS", max_length=10, blank=True, choices=OHSS_CHOICES)
    protocol = models.CharField(max_length=20, blank=True, choices=PROTOCOL_CHOICES)
    trigger = models.CharField(max_length=10, blank=True, choices=TRIGGER_CHOICES)
    freeze_all = models.BooleanField("freeze-all", null=True, blank=True)

    history = HistoricalRecords(bases=[ChainedHistory, LegacyOhssHistory])

    class Meta:
        ordering = ["workup", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["workup", "sequence"], name="cycle_sequence_unique")
        ]

    def __str__(self):
        return f"Cycle {self.sequence}: {self.oocytes} oocytes"


class PlannedCycle(models.Model):
    """The clinician's plan for the next stimulation, one per work-up.

    A row of its own (not findings columns) so that the plan carries its own version: typing a
    plan never conflicts with someone recording an unrelated finding, and its history reads as
    "changed planned cycle: daily dose 225 → 150". Blank/null parts are not decided yet.
    """

    workup = models.OneToOneField(
        WorkUp, on_delete=models.CASCADE, primary_key=True, related_name="planned_cycle"
    )
    protocol = models.CharField(max_length=20, blank=True, choices=PROTOCOL_CHOICES)
    daily_dose_iu = models.PositiveSmallIntegerField(
        "daily dose (IU)", null=True, blank=True, validators=[MaxValueValidator(MAX_DOSE_IU)]
    )
    trigger = models.CharField(max_length=10, blank=True, choices=TRIGGER_CHOICES)
    freeze_all = models.BooleanField("freeze-all", null=True, blank=True)
    adjuvants = models.JSONField(default=list, blank=True, help_text=gettext_lazy("Add-on codes."))
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(bases=[ChainedHistory])

    def __str__(self):
        return f"Planned cycle of work-up {self.workup_id}"


class StepQuerySet(models.QuerySet):
    """The lists of steps the queues and the dashboard read; each one place."""

    # Overdue first (the oldest due date is the most overdue), then by due date, undated last:
    # the order of the partial index step_queue_idx.
    QUEUE_ORDER = ("queue_due", "workup_id", "pk")

    def open(self):
        return self.filter(in_queue=True)

    def overdue(self, today: date | None = None):
        today = today or timezone.localdate()
        return self.open().filter(due_date__lt=today)

    def due_within(self, days: int, today: date | None = None):
        """Open steps due from today to ``days`` days after it, both included."""
        today = today or timezone.localdate()
        return self.open().filter(due_date__gte=today, due_date__lte=today + timedelta(days=days))

    def matching_patient(self, q: str):
        """Steps of patients whose MRN or name contains ``q``."""
        return self.filter(
            Q(workup__patient__mrn__icontains=q) | Q(workup__patient__name__icontains=q)
        )

    def in_queue_order(self):
        return self.order_by(*self.QUEUE_ORDER)


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
            # The same, one step of the catalogue at a time (the queue filtered by step).
            models.Index(
                fields=["code", "queue_due", "workup", "id"],
                name="step_code_queue_idx",
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
        indexes = [
            # The lead's register of overrides: the newest requests going ahead against advice
            # in a period, read backwards along this index (a few rows, not every request).
            models.Index(
                fields=["counselled_at"],
                name="addon_override_idx",
                condition=models.Q(outcome="proceeding_against_advice"),
            )
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
