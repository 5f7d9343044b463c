from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy

from workup.accounts.roles import people_with
from workup.coordination.forms import LabelledErrors, style_widgets

from .quality import Filters

LONGEST_PERIOD = timedelta(days=5 * 366)


def default_period():
    today = timezone.localdate()
    start = today.replace(day=1)
    for _ in range(11):
        start = (start - timedelta(days=1)).replace(day=1)
    return start, today


class QualityFilterForm(LabelledErrors, forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    clinician = forms.ModelChoiceField(
        label=gettext_lazy("Clinician"),
        required=False,
        queryset=None,
        empty_label=gettext_lazy("Every clinician"),
    )

    def __init__(self, *args, **kwargs):
        start, end = default_period()
        kwargs.setdefault("initial", {"start": start, "end": end})
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = people_with("clinic.sign_workup")
        self.fields["clinician"].label_from_instance = lambda u: u.get_full_name() or u.username
        style_widgets(self)

    def clean(self):
        data = super().clean()
        start, end = default_period()
        data["start"] = data.get("start") or start
        data["end"] = data.get("end") or end
        if data["start"] > data["end"]:
            self.add_error("end", gettext_lazy("The end of the period is before its start."))
        elif data["end"] - data["start"] > LONGEST_PERIOD:
            self.add_error("start", gettext_lazy("Choose a period of at most five years."))
        return data

    def filters(self) -> Filters:
        if self.is_valid():
            data = self.cleaned_data
            return Filters(data["start"], data["end"], data.get("clinician"))
        start, end = default_period()
        return Filters(start, end, None)
