"""The stimulation panel's writes: the planned cycle, and its live checks.

The page around them is the work-up page (``workups.render_workup``); the panel itself is the
partial ``clinic/partials/stimulation_panel.html``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from workup.evidence import engine, store
from workup.evidence.engine import cited_sources

from ..forms import PlannedCycleForm
from ..models import PlannedCycle
from ..presenters import load_workup, workup_context
from ..services import record_planned_cycle


def plan_form(workup, catalogue, data=None):
    return PlannedCycleForm(data, prefix="plan", workup=workup, catalogue=catalogue)


@require_POST
@permission_required("clinic.record_findings", raise_exception=True)
def record_plan(request, pk):
    """Save the planned cycle; a stale form keeps its entries and says who changed the plan."""
    workup = load_workup(pk)
    catalogue = store.get_catalogue()

    def build(data):
        return plan_form(load_workup(pk), catalogue, data)

    def current_version():
        plan = PlannedCycle.objects.filter(workup_id=pk).first()
        return plan.version if plan is not None else 0

    changes: list[str] = []

    def write(data):
        changes.extend(
            record_planned_cycle(
                workup=workup,
                user=request.user,
                version=data["version"],
                addendum_reason=data.get("addendum_reason"),
                **form.plan_data(data),
            )
        )

    form = build(request.POST)
    from .workups import save_or_explain

    return save_or_explain(
        request,
        workup,
        form,
        key="plan",
        write=write,
        done=lambda data: (
            gettext("Planned cycle saved: %(changes)s.") % {"changes": "; ".join(changes)}
            if changes
            else gettext("Planned cycle: nothing changed.")
        ),
        anchor="stimulation-plan",
        rebind=(build, current_version),
    )


@require_POST
@permission_required("clinic.record_findings", raise_exception=True)
def preview_plan(request, pk):
    """The plan checks as they would be with the plan being typed (for the live panel).

    Answers 204 while the entries are not valid yet. Writes nothing."""
    workup = load_workup(pk)
    catalogue = store.get_catalogue()
    form = plan_form(workup, catalogue, request.POST)
    if "addendum_reason" in form.fields:
        form.fields["addendum_reason"].required = False
    if not form.is_valid():
        return HttpResponse(status=204)
    context = workup_context(workup)
    answer = engine.assess(form.facts, catalogue)
    numbers = dict(context["ref_numbers"])
    for key in cited_sources(answer):
        numbers.setdefault(key, len(numbers) + 1)
    context.update(
        stimulation=answer["stimulation"], sources=catalogue.sources, ref_numbers=numbers
    )
    context["preview"] = True
    return render(request, "clinic/partials/plan_checks.html", context)
