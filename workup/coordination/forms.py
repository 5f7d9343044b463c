"""The queue's two forms: the filter bar (GET, bookmarkable) and the bulk action bar (POST)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy

from workup.clinic.models import ChecklistStep
from workup.evidence.catalogue import PILLAR_NAMES, PILLARS

from . import services
from .presenters import step_choices
from .queries import ASSIGNEE_ME, ASSIGNEE_NOBODY, QueueFilters, person_name, step_takers

OPEN_STATUS_CHOICES = [
    (s.value, s.label) for s in ChecklistStep.Status if s in ChecklistStep.OPEN_STATUSES
]

# Typing errors, not planning: a date further out than this is refused with a message.
DATE_PAST_LIMIT = timedelta(days=365)
DATE_FUTURE_LIMIT = timedelta(days=2 * 365)


def style_widgets(form) -> None:
    """Bootstrap classes on every control (the templates lay the controls out by hand)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select form-select-sm"
        else:
            css = "form-control form-control-sm"
        widget.attrs["class"] = css


class LabelledErrors:
    """Errors as sentences that name their field, for a summary at the top of a form."""

    def labelled_errors(self) -> list[str]:
        return [
            f"{self.fields[name].label}: {message}" if name in self.fields else message
            for name, messages in self.errors.items()
            for message in messages
        ]


class QueueFilterForm(LabelledErrors, forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=100,
        strip=True,
        widget=forms.SearchInput,
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    pillar = forms.ChoiceField(label=gettext_lazy("Pillar"), required=False)
    step = forms.ChoiceField(label=gettext_lazy("Step"), required=False)
    clinician = forms.TypedChoiceField(
        label=gettext_lazy("Responsible clinician"), required=False, coerce=int, empty_value=None
    )
    assignee = forms.ChoiceField(label=gettext_lazy("Assignee"), required=False)
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    due_week = forms.BooleanField(label=gettext_lazy("Due this week"), required=False)

    def __init__(self, *args, people, catalogue, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            {"placeholder": gettext_lazy("MRN or name"), "autocomplete": "off"}
        )
        self.fields["status"].choices = [
            ("", gettext_lazy("Any open status")),
            *OPEN_STATUS_CHOICES,
        ]
        self.fields["pillar"].choices = [("", gettext_lazy("Any pillar"))] + [
            (p, PILLAR_NAMES[p]) for p in PILLARS
        ]
        self.fields["step"].choices = [("", gettext_lazy("Any step")), *step_choices(catalogue)]
        self.fields["clinician"].choices = [("", gettext_lazy("Any clinician"))] + [
            (p.pk, person_name(p)) for p in people if p.is_responsible
        ]
        self.fields["assignee"].choices = [
            ("", gettext_lazy("Anyone or nobody")),
            (ASSIGNEE_ME, gettext_lazy("Me")),
            (ASSIGNEE_NOBODY, gettext_lazy("Nobody (unassigned)")),
        ] + [(str(p.pk), person_name(p)) for p in people]
        style_widgets(self)

    def filters(self) -> QueueFilters:
        """The filters that were understood; a bad value is left out (and shown as an error)."""
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        return QueueFilters(**data)


class SelectionField(forms.Field):
    """The ticked rows: each checkbox sends "step id:version the page showed"."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": "Select at least one row (the boxes in the first column).",
        "invalid": "The selected rows could not be read; reload the page and select them again.",
    }

    def to_python(self, value):
        if not value:
            return {}
        selection = {}
        for item in value:
            try:
                pk, version = (int(part) for part in str(item).split(":"))
            except ValueError:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
            selection[pk] = version
        return selection


class TakerField(forms.ModelChoiceField):
    """A person who may take checklist steps; anyone else is refused by name."""

    def label_from_instance(self, obj):
        return person_name(obj)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            known = str(value).isdigit()
            user = get_user_model().objects.filter(pk=value).first() if known else None
            if user is None:
                raise ValidationError(
                    gettext_lazy("That person does not exist."), code="invalid_choice"
                ) from None
            raise ValidationError(
                gettext_lazy(
                    "%(name)s cannot take checklist steps: only active clinicians and coordinators "
                    "can be assigned."
                ),
                code="invalid_choice",
                params={"name": person_name(user)},
            ) from None


ACTIONS = [
    ("schedule", "Schedule (booking date)"),
    ("due", "Set the due date"),
    ("assign", "Assign to a person"),
    ("unassign", "Remove the assignee"),
    ("awaiting", "Result received, awaiting findings"),
    ("pending", "Back to pending (cancel the booking)"),
]
NEEDS_DATE = {"schedule", "due"}


class StepActionForm(LabelledErrors, forms.Form):
    """One action on the ticked rows."""

    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        choices=[("", gettext_lazy("Choose an action…")), *ACTIONS],
        error_messages={"required": gettext_lazy("Choose what to do with the selected rows.")},
    )
    steps = SelectionField(label=gettext_lazy("Rows"))
    date = forms.DateField(
        label=gettext_lazy("Date"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "invalid": gettext_lazy("Enter the date as YYYY-MM-DD, for example 2026-03-20.")
        },
    )
    assignee = TakerField(
        label=gettext_lazy("Assignee"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=gettext_lazy(
            "Choose a person…",
        ),
    )

    def __init__(self, *args, takers=None, **kwargs):
        """``takers``: the people steps may be given to, when the page has read them already
        (the choices are then drawn without another query); a POST validates against the
        database."""
        # Its own ids: the filter bar on the same page has an "assignee" control too.
        kwargs.setdefault("auto_id", "action_%s")
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        field.queryset = step_takers()
        if takers is not None:
            field.choices = [("", field.empty_label)] + [
                (p.pk, field.label_from_instance(p)) for p in takers
            ]
        style_widgets(self)

    def clean(self):
        cleaned = super().clean()
        action, day = cleaned.get("action"), cleaned.get("date")
        today = timezone.localdate()
        if action in NEEDS_DATE and day is None and "date" not in self.errors:
            if action == "schedule":
                self.add_error("date", gettext("Give the booking date."))
            else:
                self.add_error("date", gettext("Give the new due date."))
        if action in NEEDS_DATE and day is not None:
            if action == "schedule" and day < today:
                self.add_error(
                    "date",
                    gettext(
                        "The booking date %(date)s is in the past. For a test already done, use "
                        "“Result received, awaiting findings”."
                    )
                    % {"date": date_format(day)},
                )
            elif day < today - DATE_PAST_LIMIT or day > today + DATE_FUTURE_LIMIT:
                self.add_error(
                    "date",
                    gettext("%(date)s is more than a year back or two years ahead: check the year.")
                    % {"date": date_format(day)},
                )
        if action == "assign" and cleaned.get("assignee") is None and "assignee" not in self.errors:
            self.add_error("assignee", gettext("Choose who takes the selected steps."))
        return cleaned

    def apply(self, *, user) -> services.ChangeReport:
        """Call the service for the chosen action (``ChangeRefused`` if any step is stale)."""
        data = self.cleaned_data
        selection = data["steps"]
        action = data["action"]
        if action == "schedule":
            return services.schedule_steps(selection=selection, user=user, booked_for=data["date"])
        if action == "due":
            return services.set_due_date(selection=selection, user=user, due_date=data["date"])
        if action == "assign":
            return services.assign_steps(selection=selection, user=user, assignee=data["assignee"])
        if action == "unassign":
            return services.assign_steps(selection=selection, user=user, assignee=None)
        if action == "awaiting":
            return services.mark_awaiting_findings(selection=selection, user=user)
        return services.return_to_pending(selection=selection, user=user)

    def success_message(self, report: services.ChangeReport) -> str:
        data = self.cleaned_data
        n = len(report.changed)
        if not n:
            return "No change: the selected steps already had that."
        steps = f"{n} step{'' if n == 1 else 's'}"
        day = date_format(data["date"], "j M Y") if data.get("date") else ""
        text = {
            "schedule": f"Scheduled {steps} for {day}.",
            "due": f"Set the due date of {steps} to {day}.",
            "assign": f"Assigned {steps} to {person_name(data.get('assignee'))}.",
            "unassign": f"Removed the assignee from {steps}.",
            "awaiting": f"Marked {steps}: result received, awaiting findings.",
            "pending": f"Set {steps} back to pending.",
        }[data["action"]]
        same = len(report.unchanged)
        if same == 1:
            text += " 1 step was already so and was left as it was."
        elif same:
            text += f" {same} steps were already so and were left as they were."
        return text
