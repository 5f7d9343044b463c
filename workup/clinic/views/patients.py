"""Patients: search, create, edit, their work-ups, a new work-up."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from workup.evidence import store
from workup.evidence.facts import parse_facts
from workup.evidence.findings import HISTORY, for_step

from ..forms import PatientForm, WorkUpForm
from ..models import Patient, WorkUp
from ..services import create_workup, sync_steps
from ..transfer_services import correct_oocyte_ages

PAGE_SIZE = 25


def patient_search(q: str):
    """The patient list's query, in its order. On PostgreSQL a search is served by the trigram
    indexes on UPPER(mrn) and UPPER(name) (clinic.0003), the plain list by the index on name."""
    patients = Patient.objects.all()
    if q:
        patients = patients.filter(Q(mrn__icontains=q) | Q(name__icontains=q))
    return patients.order_by("name", "mrn")


class UncountedPaginator(Paginator):
    """A paginator that never counts every match: ``count`` is known only when the matches
    end on the page shown (or a link asked past the end), else None."""

    def __init__(self, rows, size, *, count=None):
        super().__init__(rows, size)
        self.known_count = count

    @property
    def count(self):
        return self.known_count


class UncountedPage(Page):
    def __init__(self, items, number, paginator, *, more: bool):
        super().__init__(items, number, paginator)
        self.more = more

    def has_next(self):
        return self.more

    def next_page_number(self):
        return self.number + 1

    def has_previous(self):
        return self.number > 1

    def previous_page_number(self):
        return self.number - 1


def page_without_count(rows, number, size) -> UncountedPage:
    """A page of ``rows`` read with one row more than it shows, which tells whether there is a
    next page: one query, whatever the number of matches, and no COUNT of every match (which
    costs time in proportion to the matches, the whole table for a common name)."""
    try:
        number = max(1, int(number))
    except (TypeError, ValueError):
        number = 1
    items = list(rows[(number - 1) * size : number * size + 1])
    if not items and number > 1:  # a link past the end (a stale bookmark): the last page
        total = rows.count()
        number = max(1, -(-total // size))
        items = list(rows[(number - 1) * size : number * size + 1])
    more = len(items) > size
    items = items[:size]
    count = None if more else (number - 1) * size + len(items)
    return UncountedPage(items, number, UncountedPaginator(rows, size, count=count), more=more)


@require_safe
@permission_required("clinic.view_patient", raise_exception=True)
def patient_list(request):
    q = request.GET.get("q", "").strip()[:100]
    page = page_without_count(patient_search(q), request.GET.get("page"), PAGE_SIZE)
    # Work-up counts for the page's patients only, whatever the number of matches.
    workups = (
        WorkUp.objects.filter(patient__in=page.object_list)
        .values("patient")
        .annotate(count=Count("pk"), last=Max("date"))
    )
    by_patient = {w["patient"]: w for w in workups}
    for patient in page.object_list:
        found = by_patient.get(patient.pk, {})
        patient.workup_count, patient.last_workup = found.get("count", 0), found.get("last")
    return render(
        request,
        "clinic/patient_list.html",
        {
            "page": page,
            "q": q,
            "query_string": urlencode({"q": q}) if q else "",
            "first_shown": (page.number - 1) * PAGE_SIZE + 1,
            "last_shown": (page.number - 1) * PAGE_SIZE + len(page.object_list),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("clinic.add_patient", raise_exception=True)
def patient_create(request):
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        patient = form.save()
        messages.success(request, gettext("Patient %(mrn)s created.") % {"mrn": patient.mrn})
        return redirect(patient)
    return render(request, "clinic/patient_form.html", {"form": form, "creating": True})


@require_http_methods(["GET", "POST"])
@permission_required("clinic.change_patient", raise_exception=True)
def patient_edit(request, pk):
    patient = get_object_or_404(Patient, pk=pk)
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            patient = form.save()
            if "birth_date" in form.changed_data:
                # A corrected birth date corrects the age of open work-ups (signed ones keep
                # the age they were signed with).
                for workup in patient.workups.filter(status=WorkUp.Status.OPEN):
                    workup.age_years = patient.age_on(workup.date)
                    workup.save(update_fields=["age_years", "updated_at"])
                    correct_oocyte_ages(workup=workup, birth_date=patient.birth_date)
                    sync_steps(workup=workup)
        messages.success(request, gettext("Patient %(mrn)s saved.") % {"mrn": patient.mrn})
        return redirect(patient)
    return render(
        request, "clinic/patient_form.html", {"form": form, "patient": patient, "creating": False}
    )


@require_safe
@permission_required("clinic.view_patient", raise_exception=True)
def patient_detail(request, pk):
    patient = get_object_or_404(Patient, pk=pk)
    workups = patient.workups.select_related("clinician", "signed_by").order_by("-date", "-pk")
    return render(request, "clinic/patient_detail.html", {"patient": patient, "workups": workups})


@require_http_methods(["GET", "POST"])
@permission_required("clinic.add_workup", raise_exception=True)
def workup_create(request, pk):
    patient = get_object_or_404(Patient, pk=pk)
    catalogue = store.get_catalogue()
    form = WorkUpForm(
        request.POST or None,
        patient=patient,
        catalogue=catalogue,
        initial={"clinician": request.user.pk},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        facts = {"age": patient.age_on(data["date"])}
        facts.update({f.key: data[f.key] for f in for_step(HISTORY) if data.get(f.key) is not None})
        workup = create_workup(
            patient=patient,
            clinician=data["clinician"],
            user=request.user,
            workup_date=data["date"],
            facts=parse_facts(facts, **catalogue.codes_for_facts()),
            catalogue=catalogue,
        )
        messages.success(
            request, gettext_lazy("Work-up created. Record findings step by step below.")
        )
        return redirect(workup)
    return render(request, "clinic/workup_form.html", {"form": form, "patient": patient})
