"""Embryo transfers as records of a work-up (contract 2), with their embryos.

A :class:`Transfer` row is one transfer: its date, the age at oocyte retrieval (worked out from
the patient's birth date and the retrieval date for her own oocytes; the donor's age for donor
oocytes), own or donor oocytes, fresh or frozen, the stage, the embryos and the outcome.

The embryos are a list inside the row (``[{"pgta": "euploid", "grade": "4AA"}]``), not a child
table: an embryo here has no identity of its own (no lab number is recorded), is never edited
apart from its transfer, and always changes with it. Kept in the row, a transfer is one record
with one history line per change, checked against one version of the table, and its embryos are
validated by the engine's own rules (``evidence.transfers``), the same for the form, the CSV
import and the API.

While a work-up has transfers, the contract-1 counts (failed transfers, of which euploid) are
theirs: ``transfer_services`` keeps the ``Findings`` columns equal to them (for the lists and
documents that read those columns) and the forms show them as derived, not editable.
"""

from __future__ import annotations

from datetime import date

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy
from simple_history.models import HistoricalRecords

from workup.audit.chain import ChainedHistory
from workup.evidence.catalogue import STAGES
from workup.evidence.transfers import OOCYTE_AGES, OUTCOME_WORDS, OUTCOMES, embryo_words

OUTCOME_LABELS = {
    "negative": gettext_lazy("No positive test"),
    "biochemical": gettext_lazy("Biochemical pregnancy"),
    "miscarriage": gettext_lazy("Miscarriage"),
    "ectopic": gettext_lazy("Ectopic pregnancy"),
    "ongoing": gettext_lazy("Ongoing pregnancy"),
    "live_birth": gettext_lazy("Live birth"),
}
STAGE_LABELS = {
    "blastocyst": gettext_lazy("Blastocyst"),
    "cleavage": gettext_lazy("Cleavage stage"),
}
PGTA_LABELS = {
    "euploid": gettext_lazy("Euploid"),
    "untested": gettext_lazy("Untested"),
    "mosaic": gettext_lazy("Mosaic"),
    "aneuploid": gettext_lazy("Aneuploid"),
}


class TransferQuerySet(models.QuerySet):
    def in_date_order(self):
        return self.order_by("date", "pk")

    def failed(self):
        return self.filter(outcome="negative")


class Transfer(models.Model):
    workup = models.ForeignKey("clinic.WorkUp", on_delete=models.CASCADE, related_name="transfers")
    date = models.DateField("transfer date")
    retrieval_date = models.DateField("oocyte retrieval date", null=True, blank=True)
    oocyte_age = models.PositiveSmallIntegerField(
        "age at oocyte retrieval",
        validators=[MinValueValidator(OOCYTE_AGES[0]), MaxValueValidator(OOCYTE_AGES[1])],
        help_text=gettext_lazy(
            "Of the woman whose oocytes made the embryos: the patient's, worked out from "
            "her birth date and the retrieval date, or the donor's."
        ),
    )
    donor_oocytes = models.BooleanField("donor oocytes", default=False)
    frozen = models.BooleanField(
        "frozen transfer", null=True, blank=True, help_text=gettext_lazy("Frozen-thawed, or fresh.")
    )
    stage = models.CharField(
        max_length=12, blank=True, choices=[(s, STAGE_LABELS[s]) for s in STAGES]
    )
    embryos = models.JSONField(
        default=list,
        help_text=gettext_lazy(
            'Each embryo transferred: {"pgta": ..., "grade": ...}, validated by the engine.'
        ),
    )
    outcome = models.CharField(
        max_length=12, blank=True, choices=[(o, OUTCOME_LABELS[o]) for o in OUTCOMES]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TransferQuerySet.as_manager()
    history = HistoricalRecords(bases=[ChainedHistory])

    class Meta:
        app_label = "clinic"
        ordering = ["workup", "date", "pk"]
        constraints = [
            # One embryo transfer a day: a second row for the same day is a duplicate.
            models.UniqueConstraint(fields=["workup", "date"], name="transfer_date_unique")
        ]

    def __str__(self):
        return f"Transfer of {day_words(self.date)}"

    @property
    def failed(self) -> bool:
        return self.outcome == "negative"

    def as_facts(self) -> dict:
        """The transfer in the contract's shape (``facts.transfers`` item)."""
        out: dict = {
            "date": self.date.isoformat(),
            "oocyte_age": self.oocyte_age,
            "donor_oocytes": self.donor_oocytes,
            "embryos": [dict(e) for e in self.embryos],
        }
        if self.frozen is not None:
            out["frozen"] = self.frozen
        if self.stage:
            out["stage"] = self.stage
        if self.outcome:
            out["outcome"] = self.outcome
        return out

    # --- in words (page, summary, history, FHIR) ---

    @property
    def embryo_summary(self) -> str:
        """ "2 untested blastocysts (4AA, 3BB)"."""
        return embryos_in_words(self.embryos, self.stage)

    @property
    def oocytes_words(self) -> str:
        if self.donor_oocytes:
            return gettext("donor oocytes at %(age)s") % {"age": self.oocyte_age}
        return gettext("own oocytes at %(age)s") % {"age": self.oocyte_age}

    @property
    def cycle_words(self) -> str:
        if self.frozen is None:
            return gettext("fresh or frozen not recorded")
        return gettext("frozen") if self.frozen else gettext("fresh")

    @property
    def outcome_words(self) -> str:
        return OUTCOME_WORDS.get(self.outcome, "outcome not recorded")

    def line(self) -> str:
        """One line: "10 Feb 2025: 1 untested blastocyst (4AA), own oocytes at 34, frozen;
        no positive test"."""
        return (
            f"{day_words(self.date)}: {self.embryo_summary}, {self.oocytes_words}, "
            f"{self.cycle_words}; {self.outcome_words}"
        )


def day_words(value: date | None) -> str:
    """A date as the pages write it (1 Oct 2026, in the active language)."""
    return date_format(value) if value else gettext("date not recorded")


def embryos_in_words(embryos, stage: str | None) -> str:
    if not embryos:
        return "no embryo recorded"
    words = embryo_words([e.get("pgta", "untested") for e in embryos], stage or None)
    grades = [e.get("grade") for e in embryos if e.get("grade")]
    return words + (f" ({', '.join(grades)})" if grades else "")


def transfers_to_facts(transfers) -> list[dict]:
    return [t.as_facts() for t in sorted(transfers, key=lambda t: (t.date, t.pk or 0))]


def transfer_rows(facts) -> list[dict]:
    """Keyword arguments for Transfer rows from the facts' transfers (API, demo data)."""
    rows = []
    for t in facts.transfers or ():
        rows.append(
            {
                "date": t.date,
                "oocyte_age": t.oocyte_age,
                "donor_oocytes": bool(t.donor_oocytes),
                "frozen": t.frozen,
                "stage": t.stage or "",
                "embryos": [e.to_dict() for e in t.embryos],
                "outcome": t.outcome or "",
            }
        )
    return rows


def record_problems(facts, prefix: str = "") -> dict[str, list[str]]:
    """What the engine accepts but a stored transfer cannot be: without a date, or a second
    transfer on the same day. Named by the facts' paths."""
    errors: dict[str, list[str]] = {}
    seen: dict[date, int] = {}
    head = f"{prefix}." if prefix else ""
    for index, t in enumerate(facts.transfers or ()):
        path = f"{head}transfers.{index}.date"
        if t.date is None:
            errors.setdefault(path, []).append("Give the transfer date: a stored transfer has one.")
        elif t.date in seen:
            errors.setdefault(path, []).append(
                f"Transfer {seen[t.date] + 1} is on the same day ({day_words(t.date)}): one "
                "transfer a day."
            )
        else:
            seen[t.date] = index
    return errors


def paper_rows(transfers) -> list[dict]:
    """The transfer table in words, as the summary prints it and a signature keeps it."""
    rows = []
    for t in sorted(transfers, key=lambda t: (t.date, t.pk or 0)):
        rows.append(
            {
                "iso": t.date.isoformat(),
                "date": day_words(t.date),
                "oocytes": t.oocytes_words[:1].upper() + t.oocytes_words[1:],
                "retrieval": day_words(t.retrieval_date) if t.retrieval_date else "",
                "cycle": t.cycle_words[:1].upper() + t.cycle_words[1:],
                "stage": str(STAGE_LABELS.get(t.stage, gettext("Stage not recorded"))),
                "embryos": [
                    str(PGTA_LABELS.get(e.get("pgta"), e.get("pgta", "")))
                    + (f", {e['grade']}" if e.get("grade") else "")
                    for e in t.embryos
                ],
                "outcome": str(OUTCOME_LABELS.get(t.outcome, gettext("Not known yet"))),
                "failed": t.failed,
            }
        )
    return rows
