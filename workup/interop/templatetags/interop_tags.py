"""The work-up page's lab-results panel and the queue's count, as tags (one query each)."""

from django import template
from django.db.models import Count

from ..models import IncomingResult

register = template.Library()
SHOWN = 20


@register.inclusion_tag("interop/workup_panel.html", takes_context=True)
def incoming_results_panel(context, workup):
    """Waiting results of this work-up (the latest decided ones under them), for everyone who
    sees the page; the accept and reject buttons for those who may decide."""
    user = context["request"].user
    rows = []
    # A work-up loaded for its page knows whether it has any result at all (load_workup).
    if getattr(workup, "has_lab_results", True):
        rows = list(
            IncomingResult.objects.filter(workup=workup)
            .select_related("coding", "decided_by")
            .order_by("-status", "-received_at", "-pk")[: SHOWN + 1]
        )
    waiting = [r for r in rows if r.is_waiting]
    decided = [r for r in rows if not r.is_waiting][:5]
    return {
        "workup": workup,
        "waiting": waiting,
        "decided": decided,
        "more": len(rows) > SHOWN,
        "can_decide": user.has_perm("interop.adjudicate_results"),
        "can_export": user.has_perm("clinic.view_workup"),
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("interop/queue_count.html")
def incoming_results_count():
    """How many lab results wait for a clinician, by work-up (the ten with most waiting)."""
    per_workup = list(
        IncomingResult.objects.filter(status=IncomingResult.Status.WAITING)
        .values("workup", "workup__patient__mrn")
        .annotate(n=Count("pk"))
        .order_by("-n", "workup")[:10]
    )
    return {"per_workup": per_workup, "total": sum(r["n"] for r in per_workup)}
