"""Pages of the clinical record. Thin: permission, query, engine answer, template."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .models import Patient, WorkUp
from .presenters import load_workup, workup_context


@login_not_required
@never_cache
@require_safe
def healthz(request):
    """Liveness for load balancers: no login, no session, no write; 503 if the database is gone."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


@require_safe
@permission_required("clinic.view_workup", raise_exception=True)
def home(request):
    workups = WorkUp.objects.select_related("patient", "clinician").order_by("-date", "-pk")
    mine = request.user.has_perm("clinic.record_findings")
    if mine:
        workups = workups.filter(clinician=request.user, status=WorkUp.Status.OPEN)
    page = Paginator(workups, 25).get_page(request.GET.get("page"))
    return render(request, "clinic/home.html", {"page": page, "mine": mine})


@require_safe
@permission_required("clinic.view_workup", raise_exception=True)
def workup_detail(request, pk):
    workup = load_workup(pk)
    return render(request, "clinic/workup_detail.html", workup_context(workup))


@require_safe
@permission_required("clinic.view_patient", raise_exception=True)
def patient_detail(request, pk):
    patient = get_object_or_404(Patient, pk=pk)
    workups = patient.workups.select_related("clinician").order_by("-date", "-pk")
    return render(request, "clinic/patient_detail.html", {"patient": patient, "workups": workups})
