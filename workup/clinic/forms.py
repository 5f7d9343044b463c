"""Forms of the clinical record.

Findings forms are generated per checklist step from ``steps.STEP_FIELDS``. Each validates the
facts it would store with the engine's own rules (``facts.parse_facts`` over the whole work-up),
so a message beside a field is the message the API and the command line give.
"""

from __future__ import annotations

import copy
import json
from datetime import date

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from workup.accounts.roles import people_with
from workup.evidence.facts import AMH_PMOL_PER_NG, AMH_UNITS, FactsError, parse_facts

from .assessment import COLUMN_FOR_PATH, workup_facts_dict
from .models import AddonRequest, Findings, Patient, StimulationCycle, age_on
from .steps import BOOLEAN_WORDS, HISTORY, LABELS, STEP_FIELDS, UNITS, WITH_CYCLES, YES_NO
from .validators import check_identity_text

MIN_AGE, MAX_AGE = 18, 60


class TriStateSelect(forms.NullBooleanSelect):
    """Yes / No / Not recorded, in the words of the finding ("Found", "Negative"...)."""

    def __init__(self, yes="Yes", no="No", attrs=None):
        super().__init__(attrs)
        self.choices = (("unknown", gettext_lazy("Not recorded")), ("true", yes), ("false", no))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def clinicians():
    return people_with("clinic.record_findings")


def staff_who_track():
    """People a step can be assigned to: clinicians and coordinators."""
    return people_with("clinic.manage_steps")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


# --- patients -----------------------------------------------------------------------------------


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = ["mrn", "name", "birth_date", "language"]
        labels = {
            "mrn": "MRN",
            "name": "Full name",
            "birth_date": "Date of birth",
            "language": "Language for the patient sheet",
        }
        help_texts = {
            "mrn": "The clinic's medical record number: letters, digits and hyphens.",
            "language": "The patient sheet and its PDF are printed in this language.",
        }
        widgets = {"birth_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Not given (an older form, a script): the patient keeps their language, else English.
        self.fields["language"].required = False

    def clean_language(self):
        return self.cleaned_data.get("language") or self.instance.language or "en"

    def clean_mrn(self):
        mrn = self.cleaned_data["mrn"].strip()
        check_identity_text(mrn, label="MRN")
        clash = Patient.objects.filter(mrn__iexact=mrn).exclude(pk=self.instance.pk).first()
        if clash is not None:
            raise forms.ValidationError(
                gettext(
                    "MRN %(mrn)s is already on record (for %(name)s, born %(born)s). Open that "
                    "patient rather than creating a second record."
                )
                % {
                    "mrn": clash.mrn,
                    "name": clash.name,
                    "born": date_format(clash.birth_date),
                }
            )
        return mrn

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        check_identity_text(name, label=gettext_lazy("Full name"))
        return name

    def clean_birth_date(self):
        born = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if born >= today:
            raise forms.ValidationError(gettext_lazy("The date of birth must be in the past."))
        if born.year < 1900:
            raise forms.ValidationError(gettext_lazy("Check the year of birth."))
        return born


class WorkUpForm(forms.Form):
    """A new work-up for a patient: date, responsible clinician, transfer history."""

    date = forms.DateField(
        label=gettext_lazy("Work-up date"), widget=DateInput(), initial=timezone.localdate
    )
    clinician = UserChoiceField(label=gettext_lazy("Responsible clinician"), queryset=None)
    failed_transfers = forms.IntegerField(
        label=gettext_lazy(LABELS["failed_transfers"]), required=False, min_value=0, max_value=100
    )
    euploid_failed_transfers = forms.IntegerField(
        label=gettext_lazy(LABELS["euploid_failed_transfers"]),
        required=False,
        min_value=0,
        max_value=100,
    )
    miscarriages = forms.IntegerField(
        label=gettext_lazy(LABELS["miscarriages"]), required=False, min_value=0, max_value=100
    )

    def __init__(self, *args, patient, catalogue, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.catalogue = catalogue
        self.fields["clinician"].queryset = clinicians()

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(gettext_lazy("The work-up date cannot be in the future."))
        age = age_on(self.patient.birth_date, day)
        if not MIN_AGE <= age <= MAX_AGE:
            raise forms.ValidationError(
                gettext(
                    "The patient is %(age)s on this date; the assessment covers ages %(low)s to "
                    "%(high)s."
                )
                % {"age": age, "low": MIN_AGE, "high": MAX_AGE}
            )
        return day

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        facts = {"age": age_on(self.patient.birth_date, data["date"])}
        for key in STEP_FIELDS[HISTORY]:
            if data.get(key) is not None:
                facts[key] = data[key]
        try:
            parse_facts(facts, **self.catalogue.codes_for_facts())
        except FactsError as exc:
            for path, messages in exc.errors.items():
                for message in messages:
                    self.add_error(path if path in self.fields else None, message)
        return data


# --- findings -----------------------------------------------------------------------------------


class AddendumMixin:
    """Asks for a reason when the work-up is signed."""

    def add_addendum_field(self, workup):
        if workup.is_signed:
            self.fields["addendum_reason"] = forms.CharField(
                label=gettext_lazy("Reason for this addendum"),
                help_text=gettext_lazy(
                    "The work-up is signed: a change is kept as an addendum with its reason."
                ),
                widget=forms.Textarea(attrs={"rows": 2}),
                max_length=1000,
                error_messages={
                    "required": "This work-up is signed: give the reason for the addendum."
                },
            )


class StepFormMixin(AddendumMixin):
    """Fields every findings form carries: the version seen, the values seen, an addendum reason.

    ``version`` refuses a save made on stale data; ``original`` lets the refusal say what
    changed; ``addendum_reason`` is required once the work-up is signed.
    """

    def setup(self, *, workup, catalogue, code, version):
        self.workup = workup
        self.catalogue = catalogue
        self.code = code
        self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, initial=version)
        self.fields["original"] = forms.CharField(
            widget=forms.HiddenInput, required=False, initial=json.dumps(self.snapshot())
        )
        self.add_addendum_field(workup)

    def snapshot(self) -> dict:
        """The step's stored values as text, to compare with later."""
        return {name: display_value(self.instance, name) for name in STEP_FIELDS[self.code]}

    def original_values(self) -> dict:
        try:
            value = json.loads(self.data.get(self.add_prefix("original")) or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def apply_facts_errors(self, errors: dict) -> None:
        for path, messages in errors.items():
            field = self.field_for_path(path)
            for message in messages:
                self.add_error(field, message if field else f"{path}: {message}")

    def field_for_path(self, path: str) -> str | None:
        """The form field behind an engine error path, or None for a form-wide error."""
        column = COLUMN_FOR_PATH.get(path)
        if column == "amh_ng_ml":
            return "amh_value"
        return column if column in self.fields else None


def display_value(findings, name) -> str:
    """A stored finding as a person reads it (for history lines and conflict messages)."""
    value = getattr(findings, name, None)
    if value is None or value == "":
        return gettext("not recorded")
    if isinstance(value, bool):
        yes, no = BOOLEAN_WORDS.get(name, YES_NO)
        return gettext(yes) if value else gettext(no)
    if isinstance(value, date):
        return date_format(value)
    if name == "amh_ng_ml":
        unit = getattr(findings, "amh_unit", "ng/mL") or "ng/mL"
        shown = value * AMH_PMOL_PER_NG if unit == "pmol/L" else value
        return f"{round(shown, 2):g} {unit}"
    unit = UNITS.get(name)
    if name in ("aps", "karyotype"):
        return str(value).replace("_", " ")
    return f"{value:g} {gettext(unit)}" if unit else str(value)


class FindingsForm(StepFormMixin, forms.ModelForm):
    """Base for the per-step findings forms (see ``findings_form_class``)."""

    class Meta:
        model = Findings
        fields: list[str] = []

    def __init__(self, *args, workup, catalogue, code, version, cycles=None, **kwargs):
        # A copy: a ModelForm writes what it cleaned into its instance even when it refuses
        # the input, and the page drawn around a refused form must show the stored findings.
        super().__init__(*args, instance=copy.copy(workup.findings), **kwargs)
        self.cycles = cycles
        self.setup(workup=workup, catalogue=catalogue, code=code, version=version)
        if code == "ovarian_reserve":
            findings = workup.findings
            unit = findings.amh_unit or "ng/mL"
            value = findings.amh_ng_ml
            if value is not None and unit == "pmol/L":
                value = round(value * AMH_PMOL_PER_NG, 2)
            self.fields["amh_value"] = forms.DecimalField(
                label="AMH", required=False, min_value=0, decimal_places=3, initial=value
            )
            self.fields["amh_unit"] = forms.ChoiceField(
                label=gettext_lazy("AMH unit"),
                choices=[(u, u) for u in AMH_UNITS],
                initial=unit,
                help_text=gettext_lazy(
                    "1 ng/mL = 7.14 pmol/L. Use the laboratory's own age ranges."
                ),
            )
            self.order_fields(["amh_value", "amh_unit", "afc"])
        if code in WITH_CYCLES:
            self.fields["no_previous_stimulation"] = forms.BooleanField(
                label=gettext_lazy("No previous ovarian stimulation"),
                required=False,
                initial=workup.findings.previous_cycles_known is True
                and not list(workup.cycles.all()),
            )

    def step_facts(self, cleaned) -> dict:
        """The whole work-up's facts as they would be after this save."""
        findings = copy.copy(self.workup.findings)
        for name in self._meta.fields:
            if name in cleaned:
                setattr(findings, name, cleaned[name])
        cycles = None
        if self.code in WITH_CYCLES and self.cycles is not None:
            cycles = self.cycles.unsaved_cycles()
            findings.previous_cycles_known = bool(cycles) or cleaned.get(
                "no_previous_stimulation", False
            )
            if not findings.previous_cycles_known:
                findings.previous_cycles_known = None
        data = workup_facts_dict(self.workup, findings=findings, cycles=cycles)
        if self.code == "ovarian_reserve":
            data.pop("amh", None)
            if cleaned.get("amh_value") is not None:
                data["amh"] = {"value": float(cleaned["amh_value"]), "unit": cleaned["amh_unit"]}
        return data

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.facts = parse_facts(self.step_facts(cleaned), **self.catalogue.codes_for_facts())
        except FactsError as exc:
            self.apply_facts_errors(exc.errors)
        return cleaned

    def apply_to(self, findings) -> None:
        """Copy the cleaned values onto the work-up's findings (not saved)."""
        for name in self._meta.fields:
            setattr(findings, name, self.cleaned_data.get(name))
        if self.code == "ovarian_reserve":
            amh = self.facts.amh
            findings.amh_ng_ml = amh.ng_ml if amh else None
            findings.amh_unit = amh.unit if amh else "ng/mL"
        if self.code in WITH_CYCLES:
            known = bool(self.cycles.unsaved_cycles()) or self.cleaned_data.get(
                "no_previous_stimulation"
            )
            findings.previous_cycles_known = True if known else None


def _widget_for(name, field):
    if isinstance(field, forms.NullBooleanField):
        yes, no = BOOLEAN_WORDS.get(name, YES_NO)
        return TriStateSelect(gettext_lazy(yes), gettext_lazy(no))
    if isinstance(field, forms.DateField):
        return DateInput()
    return None


def findings_form_class(code: str) -> type[FindingsForm]:
    """The findings form of one checklist step."""
    columns = [
        c for c in STEP_FIELDS[code] if c not in ("amh_ng_ml", "amh_unit", "previous_cycles_known")
    ]

    def formfield(db_field, **kwargs):
        field = db_field.formfield(**kwargs)
        if field is None:
            return None
        widget = _widget_for(db_field.name, field)
        if widget is not None:
            field.widget = widget
        label = LABELS.get(db_field.name)
        field.label = gettext_lazy(label) if label else field.label
        unit = UNITS.get(db_field.name)
        if unit:
            field.label = format_lazy("{} ({})", field.label, gettext_lazy(unit))
            field.widget.attrs.setdefault("step", "any")
        return field

    meta = type("Meta", (), {"model": Findings, "fields": columns, "formfield_callback": formfield})
    return type(f"{code.title().replace('_', '')}Form", (FindingsForm,), {"Meta": meta})


class CycleForm(forms.ModelForm):
    class Meta:
        model = StimulationCycle
        fields = ["oocytes", "daily_dose_iu", "maximal_stimulation", "ohss", "protocol"]
        labels = {
            "oocytes": "Oocytes retrieved",
            "daily_dose_iu": "Daily FSH dose (IU)",
            "maximal_stimulation": "Maximal stimulation",
            "ohss": "OHSS",
        }
        widgets = {
            "maximal_stimulation": TriStateSelect(),
            "ohss": TriStateSelect(),
        }


class BaseCycleFormSet(forms.BaseModelFormSet):
    def unsaved_cycles(self) -> list[StimulationCycle]:
        """The cycles as they would be stored, in order (no database write)."""
        cycles = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if form.cleaned_data.get("DELETE") or form.cleaned_data.get("oocytes") is None:
                continue
            cycle = StimulationCycle(**{k: form.cleaned_data.get(k) for k in CycleForm.Meta.fields})
            cycle.protocol = cycle.protocol or ""
            cycle.sequence = len(cycles) + 1
            cycles.append(cycle)
        return cycles


CycleFormSet = forms.modelformset_factory(
    StimulationCycle, form=CycleForm, formset=BaseCycleFormSet, extra=1, can_delete=True
)


# --- decisions, tracking, add-ons, sign-off -----------------------------------------------------


class DecisionForm(AddendumMixin, forms.Form):
    """The clinician rules an investigation in or out."""

    decision = forms.ChoiceField(
        choices=[
            ("indicated", gettext_lazy("Add to the checklist")),
            ("not_indicated", gettext_lazy("Not indicated")),
            ("", gettext_lazy("Follow the engine")),
        ],
        required=False,
    )
    reason = forms.CharField(
        label=gettext_lazy("Why it is not indicated"), required=False, max_length=500, strip=True
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, workup, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_addendum_field(workup)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "not_indicated" and not data.get("reason"):
            self.add_error("reason", "Give the reason this investigation is not indicated.")
        return data


class TrackForm(AddendumMixin, forms.Form):
    """Make a suggested next step a tracked checklist step (one click: defaults are filled).

    ``version`` is 0: the form is drawn for a step nobody tracks yet, and refused if someone
    tracked it in the meantime.
    """

    code = forms.CharField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, initial=0, min_value=0)
    due_date = forms.DateField(
        label=gettext_lazy("Due"),
        required=False,
        widget=DateInput(attrs={"class": "form-control form-control-sm"}),
    )
    assignee = forms.TypedChoiceField(
        label=gettext_lazy("Assigned to"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args, catalogue, people, workup, **kwargs):
        """``people``: who a step can be assigned to, read once for all the page's forms."""
        super().__init__(*args, **kwargs)
        self.add_addendum_field(workup)
        self.catalogue = catalogue
        self.people = {p.pk: p for p in people}
        self.fields["assignee"].choices = [("", "Nobody yet")] + [
            (p.pk, p.get_full_name() or p.get_username()) for p in people
        ]
        if isinstance(self.initial.get("assignee"), models.Model):
            self.initial["assignee"] = self.initial["assignee"].pk

    def clean_assignee(self):
        pk = self.cleaned_data["assignee"]
        return self.people.get(pk) if pk is not None else None

    def clean_code(self):
        code = self.cleaned_data["code"]
        if code not in self.catalogue.next_steps:
            raise forms.ValidationError(gettext("Unknown next step '%(code)s'.") % {"code": code})
        return code


class CompleteForm(AddendumMixin, forms.Form):
    """The clinician marks a tracked next step done."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, workup, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_addendum_field(workup)


class WithdrawForm(AddendumMixin, forms.Form):
    """The patient no longer asks about an add-on: withdraw the request."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, workup, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_addendum_field(workup)


class AddonChoiceField(forms.ChoiceField):
    """Offers the add-ons not yet requested, and accepts any of the catalogue's: one requested
    by someone else since the page was drawn is then refused by the service, naming who."""

    def __init__(self, *args, known=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.known = set(known)

    def valid_value(self, value):
        return value in self.known or super().valid_value(value)


class AddonRequestForm(AddendumMixin, forms.Form):
    addon_code = AddonChoiceField(label=gettext_lazy("Add-on requested"))
    requested_by = forms.ChoiceField(
        label=gettext_lazy("Asked for by"),
        choices=AddonRequest.RequestedBy.choices,
        initial="patient",
    )

    def __init__(self, *args, workup, catalogue, **kwargs):
        super().__init__(*args, **kwargs)
        asked = {r.addon_code for r in workup.addon_requests.all()}
        self.fields["addon_code"].choices = [("", "Choose an add-on…")] + [
            (code, addon.name) for code, addon in catalogue.addons.items() if code not in asked
        ]
        self.fields["addon_code"].known = set(catalogue.addons)
        self.add_addendum_field(workup)


class CounsellingForm(AddendumMixin, forms.ModelForm):
    """The counselling outcome, with the version of the request it was drawn from."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = AddonRequest
        fields = ["outcome", "override_reason", "outcome_reason"]
        labels = {
            "outcome": "Counselling outcome",
            "override_reason": "Reason for proceeding against advice",
            "outcome_reason": "Reason or note",
        }
        help_texts = {
            "override_reason": "Only when proceeding against advice; the patient sheet is kept "
            "with it."
        }
        widgets = {"outcome_reason": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, workup, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        self.add_addendum_field(workup)

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome in AddonRequest.NEEDS_REASON and not (data.get("outcome_reason") or "").strip():
            self.add_error("outcome_reason", "Give the reason for proceeding against advice.")
        override = data.get("override_reason")
        if outcome in AddonRequest.NEEDS_REASON:
            if not override:
                self.add_error(
                    "override_reason", "Choose the reason for proceeding against advice."
                )
        elif override:
            data["override_reason"] = ""  # a coded reason belongs to "against advice" only
        if outcome == AddonRequest.Outcome.NOT_COUNSELLED:
            self.add_error("outcome", "Choose the outcome of the counselling.")
        return data


class SignForm(forms.Form):
    """Sign-off, with a fingerprint of everything the page showed (``signed.fingerprint``),
    when it was drawn and with which catalogue revision (to say what changed since)."""

    confirm = forms.BooleanField(
        label=gettext_lazy("I have reviewed the findings and the advice, and sign this work-up."),
        required=True,
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
    seen = forms.CharField(widget=forms.HiddenInput, max_length=64)
    seen_at = forms.DateTimeField(widget=forms.HiddenInput, required=False)
    seen_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)
