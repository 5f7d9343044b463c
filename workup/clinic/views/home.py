"""The start page, by role (permissions, never group names).

- a clinician (``clinic.record_findings``): their open work-ups, newest first, with the RIF
  label and progress the engine gives each, and what awaits their findings;
- the clinical lead (``evidence.review_catalogue``): what awaits review, the latest changes in
  the audit trail, and whether the catalogue has a problem;
- a coordinator (``clinic.manage_steps``): the coordinator queue, with its counts.

The clinician's list is read in the order of its index (responsible clinician, status, date),
a page at a time, in a fixed number of queries; its counts are sums the database keeps
(``coordination.StepCount``, ``WorkupCount``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from workup.evidence import review, store
from workup.evidence.models import CatalogueVersion

from ..assessment import assess_workup
from ..models import ChecklistStep, WorkUp
from ..presenters import pillar_groups, step_names

PAGE_SIZE = 20
AUDIT_ON_HOME = 6
REVIEW_ON_HOME = 5


def open_workups_of(user):
    """The user's open work-ups, newest first: the order of ``workup_home_idx``."""
    return WorkUp.objects.filter(clinician=user, status=WorkUp.Status.OPEN).order_by("-date", "-pk")


def _name(code, catalogue) -> str:
    entry = catalogue.investigations.get(code) or catalogue.next_steps.get(code)
    return entry.name if entry else code


def workup_rows(workups, catalogue) -> list[dict]:
    """Each work-up of a page with the engine's RIF label and the checklist's progress."""
    rows = []
    names = step_names(catalogue)
    for workup in workups:
        _, answer = assess_workup(workup, catalogue)
        steps = {s.code: s for s in workup.steps.all()}
        groups = pillar_groups(answer["checklist"], steps, names)
        awaiting = [
            _name(s.code, catalogue)
            for s in steps.values()
            if s.status == ChecklistStep.Status.AWAITING_FINDINGS
        ]
        rows.append(
            {
                "workup": workup,
                "rif": answer["rif"],
                "done": sum(g["done"] for g in groups),
                "total": sum(g["total"] for g in groups),
                "awaiting": awaiting,
            }
        )
    return rows


def clinician_home(request):
    catalogue = store.get_catalogue()
    from workup.coordination.queries import awaiting_findings_count, open_workups_count

    workups = open_workups_of(request.user).select_related("patient", "findings", "planned_cycle")
    paginator = Paginator(workups, PAGE_SIZE)
    # Both counts from the summary tables the database keeps, whatever the caseload.
    paginator.count = open_workups_count(request.user)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(
        page.object_list.prefetch_related(
            "cycles",
            "transfers",
            "addon_requests",
            Prefetch("steps", queryset=ChecklistStep.objects.order_by("pk")),
        )
    )
    context = {
        "page": page,
        "rows": workup_rows(page.object_list, catalogue),
        "awaiting_total": awaiting_findings_count(request.user),
    }
    return render(request, "clinic/home.html", context)


def lead_home(request):
    from workup.audit.changes import change_entries, describe

    every = review.in_use()
    waiting = review.queue(every)
    version = (
        CatalogueVersion.objects.order_by("pk").only("problems", "version", "revision").first()
    )
    context = {
        "review_counts": review.counts(every),
        "kind_names": review.KIND_NAMES,
        "waiting": waiting[:REVIEW_ON_HOME],
        "catalogue_version": version,
        "changes": describe(change_entries()[:AUDIT_ON_HOME])
        if request.user.has_perm("clinic.view_audit")
        else [],
    }
    return render(request, "clinic/home_lead.html", context)


@require_safe
def home(request):
    user = request.user
    if user.has_perm("clinic.record_findings"):
        return clinician_home(request)
    if user.has_perm("evidence.review_catalogue"):
        return lead_home(request)
    if user.has_perm("clinic.manage_steps"):
        return redirect("coordination:queue")
    raise PermissionDenied(
        gettext_lazy(
            "Your account has no role yet, so there is nothing to show you. Ask the clinical lead "
            "to give you one."
        )
    )
