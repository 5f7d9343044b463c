"""The audit pages' filters (GET): who, when, which work-up or patient, what kind."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from workup.clinic.models import Patient

from .changes import AREAS, ChangeFilters
from .models import DownloadRecord


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


class AuditFilterForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        label=gettext_lazy("Who"),
        empty_label=gettext_lazy("Anyone"),
    )
    since = forms.DateField(
        required=False, label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False,
        label=gettext_lazy("To (inclusive)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    workup = forms.IntegerField(required=False, min_value=1, label=gettext_lazy("Work-up number"))
    mrn = forms.CharField(required=False, max_length=32, label=gettext_lazy("Patient MRN"))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", gettext_lazy("The end date is before the start date."))
        return data

    def time_range(self):
        since, until = self.cleaned_data.get("since"), self.cleaned_data.get("until")
        return (
            _start_of(since) if since else None,
            _start_of(until + timedelta(days=1)) if until else None,
        )

    def patient_id(self):
        """The patient with that MRN; -1 (matches nothing) for an unknown MRN."""
        mrn = (self.cleaned_data.get("mrn") or "").strip()
        if not mrn:
            return None
        found = Patient.objects.filter(mrn__iexact=mrn).values_list("pk", flat=True).first()
        return found if found is not None else -1

    def as_record(self) -> dict:
        """The filters in use, as text (kept with the export's download record)."""
        out = {}
        for name, value in self.cleaned_data.items():
            if value in (None, "", [], ()):
                continue
            if hasattr(value, "get_username"):
                value = value.get_username()
            out[name] = value if isinstance(value, list) else str(value)
        return out


class ChangeFilterForm(AuditFilterForm):
    area = forms.ChoiceField(
        choices=[("", gettext_lazy("Every kind of record")), *[(a.key, a.label) for a in AREAS]],
        required=False,
        label=gettext_lazy("Record"),
    )

    def filters(self, until=None) -> ChangeFilters:
        """The filters for the change feed; ``until`` caps the range (an export's start)."""
        since, end = self.time_range()
        if until is not None:
            end = min(end, until) if end else until
        user = self.cleaned_data.get("user")
        area = self.cleaned_data.get("area")
        return ChangeFilters(
            user_id=user.pk if user else None,
            since=since,
            until=end,
            areas=(area,) if area else (),
            workup_id=self.cleaned_data.get("workup"),
            patient_id=self.patient_id(),
        )


class DownloadFilterForm(AuditFilterForm):
    kind = forms.ChoiceField(
        choices=[("", gettext_lazy("Every kind")), *DownloadRecord.Kind.choices],
        required=False,
        label=gettext_lazy("What"),
    )

    def downloads(self, until=None):
        records = DownloadRecord.objects.select_related("workup__patient", "patient")
        data = self.cleaned_data
        since, end = self.time_range()
        if until is not None:
            end = min(end, until) if end else until
        if data.get("user"):
            records = records.filter(user=data["user"])
        if since:
            records = records.filter(created_at__gte=since)
        if end:
            records = records.filter(created_at__lt=end)
        if data.get("kind"):
            records = records.filter(kind=data["kind"])
        if data.get("workup"):
            records = records.filter(workup_id=data["workup"])
        patient = self.patient_id()
        if patient is not None:
            records = records.filter(Q(workup__patient_id=patient) | Q(patient_id=patient))
        return records.order_by("-created_at", "-pk")
