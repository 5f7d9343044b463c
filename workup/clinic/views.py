"""Pages of the clinical record. Thin: permission, query, engine answer, template."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from workup.evidence import store
from workup.evidence.engine import cited_sources

from .assessment import assess_workup
from .models import ChecklistStep, Patient, WorkUp
from .presenters import pillar_groups


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


def load_workup(pk: int) -> WorkUp:
    """A work-up with everything its page and its facts read, in a fixed number of queries."""
    return get_object_or_404(
        WorkUp.objects.select_related(
            "patient", "clinician", "findings", "signed_by", "created_by"
        ).prefetch_related(
            "cycles",
            "addon_requests__counselled_by",
            "addon_requests__recorded_by",
            "steps__assignee",
        ),
        pk=pk,
    )


def workup_context(workup: WorkUp) -> dict:
    """What every view of a work-up shows: the stored facts, the engine's answer, citations."""
    catalogue = store.get_catalogue()
    facts, answer = assess_workup(workup, catalogue)
    keys = cited_sources(answer)
    references = [(n, catalogue.sources[k]) for n, k in enumerate(keys, start=1)]
    steps = {s.code: s for s in workup.steps.all()}
    return {
        "workup": workup,
        "patient": workup.patient,
        "facts": facts,
        "answer": answer,
        "catalogue": catalogue,
        "references": references,
        "ref_numbers": {k: n for n, k in enumerate(keys, start=1)},
        "pillars": pillar_groups(answer["checklist"], steps, catalogue),
        "tracked_steps": [s for s in steps.values() if s.kind == ChecklistStep.Kind.ACTION],
        "requests": {r.addon_code: r for r in workup.addon_requests.all()},
    }


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
