"""Forms of the clinical record.

Findings forms are generated per checklist step from the findings' descriptions
(``evidence.findings``). Each validates the facts it would store with the engine's own rules
(``facts.parse_facts`` over the whole work-up), so a message beside a field is the message the API
and the command line give.
"""

from __future__ import annotations

import copy
import json

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from workup.accounts.roles import people_with
from workup.evidence import findings as spec
from workup.evidence.facts import MAX_DOSE_IU, FactsError, parse_facts

from .assessment import drop_retired, workup_facts_dict
from .models import (
    CYCLE_COLUMNS,
    AddonRequest,
    Findings,
    Patient,
    PlannedCycle,
    StimulationCycle,
    age_on,
)
from .steps import HISTORY, WITH_CYCLES
from .stimulation import cycles_words
from .validators import check_identity_text

MIN_AGE, MAX_AGE = 18, 60


class TriStateSelect(forms.NullBooleanSelect):
    """Yes / No / Not recorded, in the words of the finding ("Found", "Negative"...)."""

    def __init__(self, yes=None, no=None, attrs=None):
        super().__init__(attrs)
        yes = gettext_lazy("Yes") if yes is None else yes
        no = gettext_lazy("No") if no is None else no
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
            "name": gettext_lazy("Full name"),
            "birth_date": gettext_lazy("Date of birth"),
            "language": gettext_lazy("Language for the patient sheet"),
        }
        help_texts = {
            "mrn": gettext_lazy("The clinic's medical record number: letters, digits and hyphens."),
            "language": gettext_lazy("The patient sheet and its PDF are printed in this language."),
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

    def __init__(self, *args, patient, catalogue, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.catalogue = catalogue
        self.fields["clinician"].queryset = clinicians()
        for finding in spec.for_step(HISTORY):
            self.fields[finding.key] = finding_field(finding)

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
        for finding in spec.for_step(HISTORY):
            if data.get(finding.key) is not None:
                facts[finding.key] = data[finding.key]
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
                    "required": gettext_lazy(
                        "This work-up is signed: give the reason for the addendum."
                    )
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
        """The step's stored values as text, to compare with later (the previous cycles too,
        for the step that records them)."""
        values = spec.snapshot(self.code, self.instance)
        if self.code in WITH_CYCLES:
            values["cycles"] = cycles_words(self.workup.cycles.all())
        return values

    def original_values(self) -> dict:
        try:
            value = json.loads(self.data.get(self.add_prefix("original")) or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def apply_facts_errors(self, errors: dict) -> None:
        for path, messages in errors.items():
            if self.cycle_error(path, messages):
                continue
            field = self.field_for_path(path)
            for message in messages:
                self.add_error(field, message if field else f"{path}: {message}")

    def cycle_error(self, path: str, messages: list[str]) -> bool:
        """An engine message on a previous cycle goes beside that row's field."""
        cycles = getattr(self, "cycles", None)
        parts = path.split(".")
        if cycles is None or len(parts) != 3 or parts[0] != "previous_cycles":
            return False
        if not parts[1].isdigit():
            return False
        placed = all(cycles.add_facts_error(int(parts[1]), parts[2], m) for m in messages)
        if placed:
            self.add_error(
                None,
                gettext("Check previous cycle %(number)s below.") % {"number": int(parts[1]) + 1},
            )
        return placed

    def field_for_path(self, path: str) -> str | None:
        """The form field behind an engine error path, or None for a form-wide error."""
        head, _, tail = path.partition(".")
        finding = spec.BY_PATH.get(path) or spec.BY_PATH.get(head)
        if finding is None:
            return None
        if finding.kind == spec.QUANTITY:
            name = quantity_fields(finding)[1 if tail == "unit" else 0]
        else:
            name = finding.column
        return name if name in self.fields else None


def finding_field(finding: spec.Finding, **kwargs) -> forms.Field:
    """The form field of one finding, from its description: label with its unit, range,
    widget in the finding's own words."""
    label = finding.label
    unit = finding.unit.symbol if finding.unit and finding.kind != spec.QUANTITY else ""
    if unit:
        label = format_lazy("{} ({})", label, unit)
    common = {"label": label, "required": False, "help_text": finding.help, **kwargs}
    kind = finding.kind
    if kind == spec.BOOL:
        yes, no = finding.words
        return forms.NullBooleanField(widget=TriStateSelect(yes, no), **common)
    if kind in (spec.COUNT, spec.WHOLE):
        # The range is the engine's to check (facts.py), with the same message as the API.
        return forms.IntegerField(min_value=0, **common)
    if kind == spec.NUMBER:
        field = forms.FloatField(**common)
        field.widget.attrs["step"] = "any"
        return field
    if kind == spec.CHOICE:
        return forms.TypedChoiceField(
            choices=[("", gettext_lazy("Not recorded")), *finding.choices],
            empty_value=None,
            **common,
        )
    if kind == spec.DATE:
        return forms.DateField(widget=DateInput(), **common)
    if kind == spec.TEXT:
        widget = forms.Textarea(attrs={"rows": 2}) if finding.max_length > 200 else None
        return forms.CharField(max_length=finding.max_length, widget=widget, **common)
    raise ValueError(f"No form field for a {kind} finding ({finding.path}).")


def quantity_fields(finding: spec.Finding) -> tuple[str, str]:
    """A quantity's two form fields: the value and the unit it is entered in."""
    return f"{finding.key}_value", finding.unit_column


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
        self.quantities = [f for f in spec.for_step(code) if f.kind == spec.QUANTITY]
        for finding in self.quantities:
            stored = spec.stored_value(finding, workup.findings)
            value_name, unit_name = quantity_fields(finding)
            self.fields[value_name] = forms.DecimalField(
                label=finding.label,
                required=False,
                min_value=0,
                decimal_places=3,
                initial=stored.entered if stored else None,
            )
            self.fields[unit_name] = forms.ChoiceField(
                label=format_lazy(gettext_lazy("{label} unit"), label=finding.label),
                choices=[(u.symbol, u.symbol) for u in finding.units],
                initial=(stored.unit if stored else finding.unit).symbol,
                help_text=finding.help,
            )
        order = []
        for finding in spec.for_step(code):
            order += quantity_fields(finding) if finding.kind == spec.QUANTITY else [finding.column]
        self.order_fields(order)
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
        drop_retired(self.catalogue, data)  # a code the lead retired must not block a save
        for finding in self.quantities:
            value_name, unit_name = quantity_fields(finding)
            data.pop(finding.key, None)
            if cleaned.get(value_name) is not None:
                data[finding.key] = {
                    "value": float(cleaned[value_name]),
                    "unit": cleaned[unit_name],
                }
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
        """Write this step's findings onto the work-up's row (not saved): what the engine reads
        from the facts the form validated (one conversion, the same the engine saw), the rest
        (dates, notes) as cleaned."""
        for finding in spec.for_step(self.code):
            if finding.in_facts:
                spec.write_value(finding, findings, spec.facts_value(finding, self.facts))
            else:
                setattr(findings, finding.column, self.cleaned_data.get(finding.column))
        if self.code in WITH_CYCLES:
            known = bool(self.cycles.unsaved_cycles()) or self.cleaned_data.get(
                "no_previous_stimulation"
            )
            findings.previous_cycles_known = True if known else None


def findings_form_class(code: str) -> type[FindingsForm]:
    """The findings form of one checklist step: a field per finding of the step."""
    findings = [f for f in spec.for_step(code) if f.kind != spec.QUANTITY]
    by_column = {f.column: f for f in findings}

    def formfield(db_field, **kwargs):
        finding = by_column.get(db_field.name)
        return finding_field(finding) if finding else db_field.formfield(**kwargs)

    meta = type(
        "Meta",
        (),
        {"model": Findings, "fields": list(by_column), "formfield_callback": formfield},
    )
    return type(f"{code.title().replace('_', '')}Form", (FindingsForm,), {"Meta": meta})


class CycleForm(forms.ModelForm):
    """One previous cycle: a row of the cycles table."""

    class Meta:
        model = StimulationCycle
        fields = list(CYCLE_COLUMNS)
        labels = {
            "date": gettext_lazy("Retrieval date"),
            "protocol": gettext_lazy("Protocol"),
            "daily_dose_iu": gettext_lazy("Daily dose (IU)"),
            "maximal_stimulation": gettext_lazy("Maximal stimulation"),
            "trigger": gettext_lazy("Trigger"),
            "oocytes": gettext_lazy("Oocytes retrieved"),
            "mature_oocytes": gettext_lazy("Mature (MII)"),
            "ohss_grade": "OHSS",
            "freeze_all": gettext_lazy("Freeze-all"),
        }
        widgets = {
            "date": DateInput(),
            "maximal_stimulation": TriStateSelect(),
            "freeze_all": TriStateSelect(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("protocol", "trigger", "ohss_grade"):
            field = self.fields[name]
            field.choices = [("", gettext_lazy("Not recorded"))] + [
                c for c in field.choices if c[0]
            ]
        for name in ("daily_dose_iu", "oocytes", "mature_oocytes"):
            self.fields[name].widget.attrs.update(min=0, inputmode="numeric")
        self.fields["daily_dose_iu"].widget.attrs["max"] = MAX_DOSE_IU
        # Drawn as a table, not through crispy: the widgets carry Bootstrap's classes.
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")

    def clean_date(self):
        day = self.cleaned_data.get("date")
        if day is not None and day > timezone.localdate():
            raise forms.ValidationError(gettext_lazy("The retrieval date cannot be in the future."))
        return day


class BaseCycleFormSet(forms.BaseModelFormSet):
    def unsaved_cycles(self) -> list[StimulationCycle]:
        """The cycles as they would be stored, in order (no database write)."""
        return [cycle for _, cycle in self.cycles_with_forms()]

    def cycles_with_forms(self) -> list[tuple[forms.Form, StimulationCycle]]:
        """Each cycle that would be stored, with the form (row) it comes from."""
        cycles = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if form.cleaned_data.get("DELETE") or form.cleaned_data.get("oocytes") is None:
                continue
            cycle = StimulationCycle(**{k: form.cleaned_data.get(k) for k in CYCLE_COLUMNS})
            for name in ("protocol", "trigger", "ohss_grade"):
                setattr(cycle, name, getattr(cycle, name) or "")
            cycle.sequence = len(cycles) + 1
            cycles.append((form, cycle))
        return cycles

    def add_facts_error(self, index: int, name: str, message: str) -> bool:
        """Put an engine message on the row and field it names (``previous_cycles.1.ohss``);
        False when there is no such row."""
        rows = self.cycles_with_forms()
        if not 0 <= index < len(rows):
            return False
        form, _ = rows[index]
        field = {"ohss": "ohss_grade"}.get(name, name)
        form.add_error(field if field in form.fields else None, message)
        return True


def cycle_formset(data=None, *, queryset):
    """The cycles table: two empty rows while none is recorded, then one."""
    extra = 1 if queryset.exists() else 2
    formset = forms.modelformset_factory(
        StimulationCycle, form=CycleForm, formset=BaseCycleFormSet, extra=extra, can_delete=True
    )
    return formset(data, prefix="cycles", queryset=queryset)


class PlannedCycleForm(AddendumMixin, forms.Form):
    """The clinician's plan for the next stimulation, checked by the engine as it is typed.

    Validated with the engine's own rules (``parse_facts`` over the whole work-up), so a
    message beside a field is the API's. ``version`` is the plan's (0: none recorded yet).
    """

    protocol = forms.ChoiceField(label=gettext_lazy("Protocol"), required=False)
    daily_dose_iu = forms.IntegerField(
        label=gettext_lazy("Daily dose (IU)"),
        required=False,
        min_value=0,
        max_value=MAX_DOSE_IU,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    trigger = forms.ChoiceField(label=gettext_lazy("Trigger"), required=False)
    freeze_all = forms.NullBooleanField(
        label=gettext_lazy("Elective freeze-all"),
        required=False,
        widget=TriStateSelect(gettext_lazy("Yes"), gettext_lazy("No")),
    )
    adjuvants = forms.MultipleChoiceField(
        label=gettext_lazy("Adjuvants"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Add-ons given with the stimulation; each is flagged as a requested add-on is."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, workup, catalogue, **kwargs):
        plan = getattr(workup, "planned_cycle", None)
        initial = kwargs.pop("initial", None) or {}
        if plan is not None:
            initial = {
                "protocol": plan.protocol,
                "daily_dose_iu": plan.daily_dose_iu,
                "trigger": plan.trigger,
                "freeze_all": plan.freeze_all,
                "adjuvants": list(plan.adjuvants),
                **initial,
            }
        initial.setdefault("version", plan.version if plan is not None else 0)
        super().__init__(*args, initial=initial, **kwargs)
        self.workup = workup
        self.catalogue = catalogue
        field = PlannedCycle._meta.get_field
        not_decided = gettext_lazy("Not decided")
        self.fields["protocol"].choices = [("", not_decided)] + list(field("protocol").choices)
        self.fields["trigger"].choices = [("", not_decided)] + list(field("trigger").choices)
        self.fields["freeze_all"].widget.choices = (
            ("unknown", not_decided),
            ("true", gettext_lazy("Yes")),
            ("false", gettext_lazy("No")),
        )
        treatments = [
            (code, addon.name) for code, addon in catalogue.addons.items() if addon.kind != "test"
        ]
        chosen = set(initial.get("adjuvants") or ())
        # A retired add-on already in the plan stays visible, by its code.
        treatments += [(c, c) for c in sorted(chosen - set(catalogue.addons))]
        self.fields["adjuvants"].choices = treatments
        self.add_addendum_field(workup)

    def plan_data(self, cleaned=None) -> dict:
        cleaned = self.cleaned_data if cleaned is None else cleaned
        return {
            "protocol": cleaned.get("protocol") or "",
            "daily_dose_iu": cleaned.get("daily_dose_iu"),
            "trigger": cleaned.get("trigger") or "",
            "freeze_all": cleaned.get("freeze_all"),
            "adjuvants": list(cleaned.get("adjuvants") or ()),
        }

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        data = workup_facts_dict(self.workup, plan=PlannedCycle(**self.plan_data(cleaned)))
        try:
            self.facts = parse_facts(data, **self.catalogue.codes_for_facts())
        except FactsError as exc:
            for path, messages in exc.errors.items():
                name = path.removeprefix("planned_cycle.").split(".")[0]
                for message in messages:
                    if path.startswith("planned_cycle") and name in self.fields:
                        self.add_error(name, message)
                    else:
                        self.add_error(None, f"{path}: {message}")
        return cleaned


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
            self.add_error(
                "reason", gettext("Give the reason this investigation is not indicated.")
            )
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
        self.fields["assignee"].choices = [("", gettext_lazy("Nobody yet"))] + [
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
        self.fields["addon_code"].choices = [("", gettext_lazy("Choose an add-on…"))] + [
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
            "outcome": gettext_lazy("Counselling outcome"),
            "override_reason": gettext_lazy("Reason for proceeding against advice"),
            "outcome_reason": gettext_lazy("Reason or note"),
        }
        help_texts = {
            "override_reason": gettext_lazy(
                "Only when proceeding against advice; the patient sheet is kept with it."
            )
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
            self.add_error(
                "outcome_reason", gettext("Give the reason for proceeding against advice.")
            )
        override = data.get("override_reason")
        if outcome in AddonRequest.NEEDS_REASON:
            if not override:
                self.add_error(
                    "override_reason", gettext("Choose the reason for proceeding against advice.")
                )
        elif override:
            data["override_reason"] = ""  # a coded reason belongs to "against advice" only
        if outcome == AddonRequest.Outcome.NOT_COUNSELLED:
            self.add_error("outcome", gettext("Choose the outcome of the counselling."))
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
