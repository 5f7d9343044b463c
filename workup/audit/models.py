"""Records of what left the system: every PDF, patient sheet and CSV export (who, what, when)."""

from django.conf import settings
from django.db import models


class DownloadRecord(models.Model):
    class Kind(models.TextChoices):
        SUMMARY_PDF = "summary_pdf", "Consultation summary (PDF)"
        SUMMARY_PRINT = "summary_print", "Consultation summary (printable page)"
        HANDOUT = "handout", "Patient sheet (page)"
        HANDOUT_PDF = "handout_pdf", "Patient sheet (PDF)"
        QUEUE_CSV = "queue_csv", "Coordinator queue (CSV)"
        AUDIT_CSV = "audit_csv", "Audit trail (CSV)"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="downloads"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    workup = models.ForeignKey(
        "clinic.WorkUp", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detail = models.JSONField(
        default=dict, blank=True, help_text="What was downloaded: filters, file name, rows."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.user} at {self.created_at:%Y-%m-%d %H:%M}"
