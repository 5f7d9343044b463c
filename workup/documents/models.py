"""Rendered PDFs, kept by the hash of the HTML they were made from.

A PDF is a pure function of its HTML: the same HTML gives the same PDF, so a PDF can be served
again without WeasyPrint (most of a second) whenever the page would render to the same HTML.
The HTML carries everything that makes the document what it is (findings, advice, catalogue
revision, sign-off, who produced it and on which day), so a change anywhere gives a new key and
a stale PDF can never be served. Old entries are pruned as new ones are written.
"""

from django.db import models
from django.utils.translation import gettext_lazy


class RenderedPdf(models.Model):
    key = models.CharField(
        max_length=64, unique=True, help_text=gettext_lazy("SHA-256 of the HTML.")
    )
    content = models.BinaryField()
    pages = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "rendered PDF"

    def __str__(self):
        return f"PDF {self.key[:12]}… ({self.pages} pages)"
