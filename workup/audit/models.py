"""Access records (every read of a patient's record and every file that leaves the system: who,
what, when) and the heads of the audit chains (``workup.audit.chain``)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from .chain import HEAD_TABLE, ChainedRecord, full_name


class DownloadRecord(ChainedRecord):
    """One read or download. Named for its first use; reads of the record on screen and over
    the API are kept here too, on the same chain."""

    class Kind(models.TextChoices):
        PATIENT_PAGE = "patient_page", gettext_lazy("Patient page (read)")
        WORKUP_PAGE = "workup_page", gettext_lazy("Work-up page (read)")
        WORKUP_HISTORY = "workup_history", gettext_lazy("Work-up history (read)")
        API_RECORD = "api_workup", gettext_lazy("Work-up over the API (read)")
        SUMMARY_PDF = "summary_pdf", gettext_lazy("Consultation summary (PDF)")
        SUMMARY_PRINT = "summary_print", gettext_lazy("Consultation summary (printable page)")
        HANDOUT = "handout", gettext_lazy("Patient sheet (page)")
        HANDOUT_PDF = "handout_pdf", gettext_lazy("Patient sheet (PDF)")
        QUEUE_CSV = "queue_csv", gettext_lazy("Coordinator queue (CSV)")
        AUDIT_CSV = "audit_csv", gettext_lazy("Audit trail (CSV)")
        USER_CHANGE = "user_change", gettext_lazy("User account created or changed")
        FHIR_BUNDLE = "fhir_bundle", gettext_lazy("Work-up as FHIR R4 (export)")
        CDS_HOOKS = "cds_hooks", gettext_lazy("Work-up through CDS Hooks (EMR, read)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="downloads"
    )
    # The actor as they were at the time: a later rename does not move the record.
    username = models.CharField(max_length=150, blank=True, default="", editable=False)
    user_full_name = models.CharField(max_length=300, blank=True, default="", editable=False)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    workup = models.ForeignKey(
        "clinic.WorkUp", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A read of the patient's own page (no work-up); work-up records reach the patient through
    # the work-up.
    patient = models.ForeignKey(
        "clinic.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detail = models.JSONField(
        default=dict,
        blank=True,
        help_text=gettext_lazy("What was downloaded: filters, file name, rows."),
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "access record"

    def __str__(self):
        return f"{self.get_kind_display()} by {self.who} at {self.created_at:%Y-%m-%d %H:%M}"

    def snapshot_actor(self):
        if not self.username and self.user_id is not None:
            self.username = self.user.get_username()
            self.user_full_name = full_name(self.user)

    @property
    def who(self) -> str:
        return self.username or "?"

    @property
    def mrn(self) -> str:
        """The MRN of the patient whose record was read (reads ``workup__patient``/``patient``)."""
        if self.workup_id:
            return self.workup.patient.mrn
        return self.patient.mrn if self.patient_id else ""


class ChainHead(models.Model):
    """The newest place and hash of one audit chain."""

    name = models.CharField(max_length=100, primary_key=True)
    seq = models.BigIntegerField(default=0)
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    last_hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        db_table = HEAD_TABLE

    def __str__(self):
        return f"{self.name} at {self.seq}"
