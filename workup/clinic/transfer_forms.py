"""Forms of the transfer table: one transfer at a time, and removal.

A transfer form validates what a stored transfer needs (a date, not in the future, one transfer
a day, the age at retrieval worked out from the patient's birth date where her own oocytes'
retrieval date is known) and then the whole work-up's facts with the engine's own rules
(``facts.parse_facts``), so a message beside a field is the message the API gives. The CSV
import (``transfer_csv``) runs every row through the same form.
"""

from __future__ import annotations

import json

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from workup.evidence.catalogue import PGTA_KINDS, STAGES
from workup.evidence.facts import FactsError, parse_facts
from workup.evidence.transfers import MAX_EMBRYOS, OOCYTE_AGES, OUTCOMES

from .assessment import workup_facts_dict
from .forms import AddendumMixin, DateInput
from .models import age_on
from .transfer_records import (
    OUTCOME_LABELS,
    PGTA_LABELS,
    STAGE_LABELS,
    Transfer,
    day_words,
)

EMBRYO_SLOTS = range(1, MAX_EMBRYOS + 1)
OOCYTE_CHOICES = [
    ("own", gettext_lazy("Own oocytes")),
    ("donor", gettext_lazy("Donor oocytes")),
]
CYCLE_CHOICES = [
    ("", gettext_lazy("Not recorded")),
    ("fresh", gettext_lazy("Fresh")),
    ("frozen", gettext_lazy("Frozen")),
]
STAGE_CHOICES = [("", gettext_lazy("Not recorded"))] + [(s, STAGE_LABELS[s]) for s in STAGES]
OUTCOME_CHOICES = [("", gettext_lazy("Not known yet"))] + [(o, OUTCOME_LABELS[o]) for o in OUTCOMES]


def pgta_choices(slot: int):
    empty = gettext_lazy("Choose…") if slot == 1 else gettext_lazy("No embryo")
    return [("", empty)] + [(k, PGTA_LABELS[k]) for k in PGTA_KINDS]


def table_lines(transfers) -> list[str]:
    """The table as a person reads it, one line a transfer (for conflict messages)."""
    return [t.line() for t in sorted(transfers, key=lambda t: (t.date, t.pk or 0))]


class TableVersionMixin(AddendumMixin):
    """Every write to the transfer table carries the version of the table it was drawn from
    (``WorkUp.version``, which the transfer history counts share) and the table as it was seen,
    so a stale save is refused with what changed; and an addendum reason once signed."""

    def add_table_fields(self, workup):
        self.workup = workup
        self.fields["table_version"] = forms.IntegerField(
            widget=forms.HiddenInput, initial=workup.version
        )
        self.fields["table"] = forms.CharField(
            widget=forms.HiddenInput,
            required=False,
            initial=json.dumps(table_lines(workup.transfers.all())),
        )
        self.add_addendum_field(workup)

    def seen_lines(self) -> list[str]:
        try:
            value = json.loads(self.data.get(self.add_prefix("table")) or "[]")
        except ValueError:
            return []
        return [str(v) for v in value] if isinstance(value, list) else []


class TransferForm(TableVersionMixin, forms.Form):
    """One transfer: a new row of the table, or a change to one."""

    date = forms.DateField(label=gettext_lazy("Transfer date"), widget=DateInput())
    oocytes = forms.ChoiceField(
        label=gettext_lazy("Oocytes"), choices=OOCYTE_CHOICES, initial="own"
    )
    retrieval_date = forms.DateField(
        label=gettext_lazy("Retrieval date"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy(
            "Own oocytes: the age at retrieval is worked out from the birth date."
        ),
    )
    oocyte_age = forms.IntegerField(
        label=gettext_lazy("Age at retrieval"),
        required=False,
        min_value=OOCYTE_AGES[0],
        max_value=OOCYTE_AGES[1],
        help_text=gettext_lazy("The donor's age for donor oocytes."),
    )
    cycle = forms.ChoiceField(
        label=gettext_lazy("Fresh or frozen"), choices=CYCLE_CHOICES, required=False
    )
    stage = forms.ChoiceField(label=gettext_lazy("Stage"), choices=STAGE_CHOICES, required=False)
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"), choices=OUTCOME_CHOICES, required=False
    )

    def __init__(
        self,
        data=None,
        *,
        workup,
        catalogue,
        transfer: Transfer | None = None,
        check_facts=True,
        **kwargs,
    ):
        super().__init__(data, **kwargs)
        self.catalogue = catalogue
        self.transfer = transfer
        self.check_facts = check_facts
        for slot in EMBRYO_SLOTS:
            self.fields[f"embryo_{slot}_pgta"] = forms.ChoiceField(
                label=gettext("Embryo %(number)s: PGT-A") % {"number": slot},
                choices=pgta_choices(slot),
                required=slot == 1,
                error_messages={
                    "required": gettext_lazy("Give the PGT-A status of the embryo transferred.")
                },
            )
            self.fields[f"embryo_{slot}_grade"] = forms.CharField(
                label=gettext("Embryo %(number)s: grade") % {"number": slot},
                required=False,
                max_length=20,
                help_text=gettext_lazy("Gardner for a blastocyst (4AA)") if slot == 1 else "",
            )
        self.order_fields(
            ["date", "oocytes", "retrieval_date", "oocyte_age", "cycle", "stage"]
            + [f"embryo_{s}_{part}" for s in EMBRYO_SLOTS for part in ("pgta", "grade")]
            + ["outcome"]
        )
        self.add_table_fields(workup)
        if transfer is not None and not self.is_bound:
            self.initial.update(initial_of(transfer))

    # --- the parts a person fills in ---

    @property
    def embryo_fields(self):
        return [(self[f"embryo_{s}_pgta"], self[f"embryo_{s}_grade"]) for s in EMBRYO_SLOTS]

    @property
    def transfer_fields(self):
        names = ["date", "oocytes", "retrieval_date", "oocyte_age", "cycle", "stage", "outcome"]
        return [self[n] for n in names]

    # --- validation ---

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(gettext_lazy("A transfer cannot be in the future."))
        born = self.workup.patient.birth_date
        if day <= born:
            raise forms.ValidationError(
                gettext_lazy("The transfer date is before the patient's birth date.")
            )
        return day

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        self.values = self._values(data)
        if self.errors or not self.check_facts:
            return data
        self.check_whole_record(others=self.other_transfers())
        return data

    def _values(self, data) -> dict:
        donor = data.get("oocytes") == "donor"
        day, retrieval = data["date"], data.get("retrieval_date")
        age = data.get("oocyte_age")
        if retrieval is not None and retrieval > day:
            self.add_error("retrieval_date", gettext("The retrieval cannot be after the transfer."))
        elif retrieval is not None and not donor:
            born = self.workup.patient.birth_date
            worked_out = age_on(born, retrieval)
            if age is not None and age != worked_out:
                self.add_error(
                    "oocyte_age",
                    gettext(
                        "The patient was %(age)s on %(retrieved)s (born %(born)s): leave the age "
                        "empty, or correct the retrieval date."
                    )
                    % {
                        "age": worked_out,
                        "retrieved": day_words(retrieval),
                        "born": day_words(born),
                    },
                )
            age = worked_out
        if age is None:
            self.add_error(
                "oocyte_age",
                gettext("Give the donor's age at retrieval.")
                if donor
                else gettext(
                    "Give the retrieval date (the age is worked out from it) or the age at "
                    "retrieval."
                ),
            )
        embryos = []
        for slot in EMBRYO_SLOTS:
            pgta = data.get(f"embryo_{slot}_pgta")
            grade = (data.get(f"embryo_{slot}_grade") or "").strip()
            if grade and data.get("stage") == "blastocyst":
                grade = grade.upper()  # a Gardner grade, as the engine keeps it
            if pgta:
                embryos.append({"pgta": pgta, **({"grade": grade} if grade else {})})
            elif grade:
                self.add_error(
                    f"embryo_{slot}_pgta",
                    gettext("Give this embryo's PGT-A status, or leave its grade empty."),
                )
        return {
            "date": day,
            "retrieval_date": retrieval,
            "oocyte_age": age,
            "donor_oocytes": donor,
            "frozen": {"fresh": False, "frozen": True}.get(data.get("cycle") or ""),
            "stage": data.get("stage") or "",
            "embryos": embryos,
            "outcome": data.get("outcome") or "",
        }

    def other_transfers(self) -> list[Transfer]:
        return [
            t
            for t in self.workup.transfers.all()
            if self.transfer is None or t.pk != self.transfer.pk
        ]

    def unsaved(self) -> Transfer:
        """The transfer as it would be stored (no database write)."""
        return Transfer(workup=self.workup, **self.values)

    def check_whole_record(self, *, others: list[Transfer]) -> None:
        """One transfer a day, and the whole work-up's facts by the engine's rules."""
        mine = self.unsaved()
        same_day = next((t for t in others if t.date == mine.date), None)
        if same_day is not None:
            self.add_error(
                "date",
                gettext(
                    "A transfer of %(date)s is already on the table: one transfer a day. Change "
                    "that row instead."
                )
                % {"date": day_words(mine.date)},
            )
            return
        table = sorted([*others, mine], key=lambda t: t.date)
        errors = facts_errors(self.workup, table, self.catalogue)
        index = table.index(mine)
        for path, messages in errors.items():
            field = field_for_path(path, index)
            for message in messages:
                if field is None:
                    message = f"{words_for_path(path, table)}: {message}"
                self.add_error(field, message)


def facts_errors(workup, transfers, catalogue) -> dict[str, list[str]]:
    """The engine's errors for the work-up's facts with these transfers, or {}."""
    data = workup_facts_dict(workup, transfers=transfers)
    try:
        parse_facts(data, today=timezone.localdate(), **catalogue.codes_for_facts())
    except FactsError as exc:
        return exc.errors
    return {}


# Engine paths of a transfer and the form field that holds each.
_FIELD_OF = {
    "date": "date",
    "oocyte_age": "oocyte_age",
    "donor_oocytes": "oocytes",
    "frozen": "cycle",
    "stage": "stage",
    "outcome": "outcome",
    "embryos": "embryo_1_pgta",
}


def field_for_path(path: str, index: int) -> str | None:
    """The field of this transfer's form behind an engine error path, else None."""
    parts = path.split(".")
    if len(parts) < 3 or parts[0] != "transfers" or parts[1] != str(index):
        return None
    if parts[2] == "embryos" and len(parts) >= 5:
        return f"embryo_{int(parts[3]) + 1}_{parts[4]}"
    return _FIELD_OF.get(parts[2])


def words_for_path(path: str, table: list[Transfer]) -> str:
    """Where an error that is not this form's field lies, in words."""
    parts = path.split(".")
    if parts[0] == "transfers" and len(parts) > 1 and parts[1].isdigit():
        other = table[int(parts[1])]
        return gettext("The transfer of %(date)s") % {"date": day_words(other.date)}
    return {
        "miscarriages": gettext("Miscarriages (in the transfer history)"),
        "failed_transfers": gettext("Failed transfers (in the transfer history)"),
    }.get(parts[0], parts[0])


def initial_of(transfer: Transfer) -> dict:
    """A stored transfer as the form's initial values."""
    initial = {
        "date": transfer.date,
        "oocytes": "donor" if transfer.donor_oocytes else "own",
        "retrieval_date": transfer.retrieval_date,
        "oocyte_age": transfer.oocyte_age,
        "cycle": {True: "frozen", False: "fresh"}.get(transfer.frozen, ""),
        "stage": transfer.stage,
        "outcome": transfer.outcome,
    }
    for slot, embryo in enumerate(transfer.embryos, start=1):
        initial[f"embryo_{slot}_pgta"] = embryo.get("pgta", "")
        initial[f"embryo_{slot}_grade"] = embryo.get("grade", "")
    return initial


class RemoveTransferForm(TableVersionMixin, forms.Form):
    """Remove a transfer recorded by mistake (its history stays)."""

    def __init__(self, data=None, *, workup, **kwargs):
        super().__init__(data, **kwargs)
        self.add_table_fields(workup)


class ImportForm(TableVersionMixin, forms.Form):
    """A CSV file of transfers, one a row (``transfer_csv``)."""

    file = forms.FileField(
        label=gettext_lazy("CSV file of transfers"),
        help_text=gettext_lazy(
            "One row a transfer, with the template's columns. Nothing is stored from a file "
            "with a refused row."
        ),
    )

    def __init__(self, data=None, files=None, *, workup, **kwargs):
        super().__init__(data, files, **kwargs)
        self.add_table_fields(workup)


def show_derived_counts(form, workup) -> None:
    """With transfers recorded, the transfer history form shows the failed-transfer counts as
    theirs: read-only, so a clinician never keeps two histories that disagree."""
    count = len(workup.transfers.all())
    if not count:
        return
    for name in ("failed_transfers", "euploid_failed_transfers"):
        if name in form.fields:
            form.fields[name].disabled = True
            form.fields[name].help_text = ngettext(
                "Worked out from the %(count)d transfer recorded one by one (Embryo); change it "
                "there.",
                "Worked out from the %(count)d transfers recorded one by one (Embryo); change "
                "them there.",
                count,
            ) % {"count": count}
