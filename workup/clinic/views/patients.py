"""Patients: search, create, edit, their work-ups, a new work-up."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, Max, Q, Window
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from workup.evidence import store
from workup.evidence.facts import parse_facts

from ..forms import PatientForm, WorkUpForm
from ..models import Patient, WorkUp
from ..services import create_workup, sync_steps
from ..steps import HISTORY, STEP_FIELDS

PAGE_SIZE = 25


def one_query_page(rows, number, size):
    """A page of ``rows`` (annotated with ``matches``, the total) read in one query."""
    try:
        number = max(1, int(number))
    except (TypeError, ValueError):
        number = 1
    items = list(rows[(number - 1) * size : number * size])
    if not items and number > 1:  # past the end: the last page, as Paginator.get_page does
        total = rows.count()
        number = max(1, -(-total // size))
        items = list(rows[(number - 1) * size : number * size])
    paginator = Paginator(rows, size)
    paginator.count = items[0].matches if items else 0
    return Page(items, number, paginator)


@require_safe
@permission_required("clinic.view_patient", raise_exception=True)
def patient_list(request):
    q = request.GET.get("q", "").strip()[:100]
    patients = Patient.objects.all()
    if q:
        patients = patients.filter(Q(mrn__icontains=q) | Q(name__icontains=q))
    # The number of matches rides along with the page: a substring search cannot use an index
    # on SQLite, so it is read once, not twice (for the page and for its count).
    patients = patients.annotate(matches=Window(Count("pk"))).order_by("name", "mrn")
    page = one_query_page(patients, request.GET.get("page"), PAGE_SIZE)
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
        {"page": page, "q": q, "query_string": f"q={q}" if q else ""},
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
