"""Patients: search, create, edit, their work-ups, a new work-up."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from workup.evidence import store
from workup.evidence.facts import parse_facts

from ..forms import PatientForm, WorkUpForm
from ..models import Patient, WorkUp
from ..services import create_workup, sync_steps
from ..steps import HISTORY, STEP_FIELDS

PAGE_SIZE = 25


# Matches are counted up to this many: past it the page says "more than 1,000" and asks for a
# narrower search, so no request ever counts every patient of a large clinic.
COUNT_BOUND = 1000


def patient_search(q: str):
    """The patient list's query, in its order. On PostgreSQL a search is served by the trigram
    indexes on UPPER(mrn) and UPPER(name) (clinic.0003), the plain list by the index on name."""
    patients = Patient.objects.all()
    if q:
        patients = patients.filter(Q(mrn__icontains=q) | Q(name__icontains=q))
    return patients.order_by("name", "mrn")


def bounded_count(rows, bound: int) -> int:
    """How many rows match, counting no further than ``bound + 1``."""
    return rows.order_by()[: bound + 1].count()


def bounded_page(rows, number, size, bound: int | None = None) -> Page:
    """A page of ``rows`` whose paginator counts at most ``bound`` rows (``paginator.more``:
    there are more). A first page that is not full is its own count: one query."""
    bound = COUNT_BOUND if bound is None else bound
    try:
        number = max(1, int(number))
    except (TypeError, ValueError):
        number = 1
    last = max(1, -(-bound // size))
    number = min(number, last)
    items = list(rows[(number - 1) * size : number * size])
    if number == 1 and len(items) < size:
        count = len(items)
    else:
        count = bounded_count(rows, bound)
        if not items and count:  # past the end: the last page, as Paginator.get_page does
            number = max(1, -(-min(count, bound) // size))
            items = list(rows[(number - 1) * size : number * size])
    paginator = Paginator(rows, size)
    paginator.count = min(count, bound)
    paginator.more = count > bound
    return Page(items, number, paginator)


@require_safe
@permission_required("clinic.view_patient", raise_exception=True)
def patient_list(request):
    q = request.GET.get("q", "").strip()[:100]
    page = bounded_page(patient_search(q), request.GET.get("page"), PAGE_SIZE)
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
            "count_bound": f"{page.paginator.count:,}",
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("clinic.add_patient", raise_exception=True)
def patient_create(request):
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        patient = form.save()
        messages.success(request, f"Patient {patient.mrn} created.")
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
                    sync_steps(workup=workup)
        messages.success(request, f"Patient {patient.mrn} saved.")
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
        facts.update({k: data[k] for k in STEP_FIELDS[HISTORY] if data.get(k) is not None})
        workup = create_workup(
            patient=patient,
            clinician=data["clinician"],
            user=request.user,
            workup_date=data["date"],
            facts=parse_facts(facts, **catalogue.codes_for_facts()),
            catalogue=catalogue,
        )
        messages.success(request, "Work-up created. Record findings step by step below.")
        return redirect(workup)
    return render(request, "clinic/workup_form.html", {"form": form, "patient": patient})
