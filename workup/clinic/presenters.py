"""Shapes a work-up and the engine's answer for templates; no clinical logic here.

``load_workup`` and ``workup_context`` are what every view of a work-up (the page, the printed
summary, the PDF, the patient sheet) builds on, so they all show the same answer.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Exists, OuterRef, Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext

from workup.evidence import findings as spec
from workup.evidence import store
from workup.evidence.catalogue import PILLAR_NAMES, PILLARS
from workup.evidence.engine import cited_sources
from workup.evidence.presenting import number_sources

from .assessment import assess_workup
from .models import Addendum, AddonRequest, ChecklistStep, StimulationCycle, WorkUp
from .signed import differences, signed_record, stamp_words
from .steps import FORM_STEPS
from .stimulation import cycle_words as stimulation_words
from .transfer_records import Transfer


def shown_status(item: dict, step) -> str:
    """The status a checklist item shows, decided here for the page, the summary and its PDF:
    the engine's, except that a step the engine still calls pending shows how far it has got
    (booked, or a result received awaiting findings) from its stored row while it is open."""
    status = item["status"]
    if status == "pending" and step is not None and step.is_open:
        return step.status
    return status


def pillar_groups(checklist: list[dict], steps: dict, step_names: Mapping[str, str]) -> list[dict]:
    """The checklist by pillar: each investigation with its stored row, then the tracked next
    steps of the pillar (named from ``step_names``), and done/indicated counts."""
    groups = []
    for pillar in PILLARS:
        items = []
        for item in checklist:
            if item["pillar"] != pillar:
                continue
            step = steps.get(item["code"])
            items.append({"item": item, "step": step, "status": shown_status(item, step)})
        tracked = []
        for step in steps.values():
            if step.kind == ChecklistStep.Kind.ACTION and step.pillar == pillar:
                tracked.append(
                    {
                        "step": step,
                        "name": step_names.get(step.code, step.code),
                        "status": step.status,
                    }
                )
        counted = [i["status"] for i in items + tracked if i["status"] != "not_indicated"]
        groups.append(
            {
                "code": pillar,
                "name": PILLAR_NAMES[pillar],
                "items": items,
                "tracked": tracked,
                "done": counted.count("done"),
                "total": len(counted),
            }
        )
    return groups


def load_workup(pk: int) -> WorkUp:
    """A work-up with everything its page and its facts read, in a fixed number of queries:
    the work-up with its patient and findings (and whether it has transfers, addenda or lab
    results at all), its steps, its add-on requests, and its transfers and previous cycles only
    when some are recorded: a part a work-up does not have costs no query."""
    from django.apps import apps

    results = apps.get_model("interop", "IncomingResult")
    kept_sheets = apps.get_model("guardrail", "KeptPatientSheet")
    workup = get_object_or_404(
        WorkUp.objects.select_related(
            "patient", "clinician", "findings", "signed_by", "created_by", "planned_cycle"
        ).annotate(
            # A transfer always leaves a history record, so this also says whether there is
            # any transfer, and any transfer change to show in the recent changes.
            has_transfer_history=Exists(Transfer.history.filter(workup_id=OuterRef("pk"))),
            has_addenda=Exists(Addendum.objects.filter(workup_id=OuterRef("pk"))),
            has_lab_results=Exists(results.objects.filter(workup_id=OuterRef("pk"))),
            # The catalogue's revision rides along: the page's catalogue costs no query of
            # its own while its snapshot is parsed (store.get_catalogue).
            **store.catalogue_row_annotations(),
        ),
        pk=pk,
    )
    prefetch_related_objects(
        [workup],
        Prefetch(
            "addon_requests",
            queryset=AddonRequest.objects.select_related("counselled_by", "recorded_by").annotate(
                # The sheet the patient read at counselling is kept with the request: such a
                # request stays on the record (it cannot be withdrawn).
                has_kept_sheet=Exists(kept_sheets.objects.filter(addon_request_id=OuterRef("pk")))
            ),
        ),
        Prefetch(
            "steps", queryset=ChecklistStep.objects.select_related("assignee", "completed_by")
        ),
    )
    if workup.has_transfer_history:
        prefetch_related_objects([workup], Prefetch("transfers", Transfer.objects.in_date_order()))
    else:
        workup._prefetched_objects_cache["transfers"] = Transfer.objects.none()
    findings = getattr(workup, "findings", None)
    if findings is not None and findings.previous_cycles_known:
        prefetch_related_objects([workup], "cycles")
    else:
        workup._prefetched_objects_cache["cycles"] = StimulationCycle.objects.none()
    return workup


def step_names(catalogue) -> dict[str, str]:
    return {code: entry.name for code, entry in catalogue.next_steps.items()}


def workup_context(workup: WorkUp) -> dict:
    """What every view of a work-up shows: the stored facts, the engine's answer, citations.

    A signed work-up shows the answer as signed (``signed.signed_record``), its citations as
    they were, and beside it ``advice_changes``: where today's answer for the record differs.
    ``current_answer`` is today's answer either way (the page's forms act on it).
    """
    catalogue = store.get_catalogue(row=store.catalogue_row_of(workup))
    facts, current = assess_workup(workup, catalogue)
    record = signed_record(workup)
    answer, sources, changes = current, catalogue.sources, []
    if record is not None and record.answer is not None:
        answer = record.answer
        changes = differences(record.answer, current)
        if record.sources is not None:
            sources = record.sources
    numbers = number_sources(cited_sources(answer), known=sources)
    steps = {s.code: s for s in workup.steps.all()}
    return {
        "workup": workup,
        "patient": workup.patient,
        "facts": facts,
        "answer": answer,
        "current_answer": current,
        "signed": record,
        "signed_stamp": stamp_words(record.stamp) if record else "",
        "advice_changes": changes,
        "catalogue_updated": bool(
            record
            and record.stamp
            and record.stamp.get("revision") not in (None, catalogue.revision)
        ),
        "catalogue": catalogue,
        "sources": sources,
        "references": [(n, sources[k]) for k, n in numbers.items()],
        "ref_numbers": numbers,
        "pillars": pillar_groups(answer["checklist"], steps, step_names(catalogue)),
        "tracked_steps": [s for s in steps.values() if s.kind == ChecklistStep.Kind.ACTION],
        "requests": {r.addon_code: r for r in workup.addon_requests.all()},
        "recorded": recorded_findings(getattr(workup, "findings", None), workup.cycles.all()),
    }


def recorded_findings(findings, cycles) -> dict[str, list[tuple[str, str]]]:
    """For each step, the findings recorded so far as (label, value), in the step's order."""
    out = {code: spec.recorded_lines(code, findings) for code in FORM_STEPS}
    if findings is not None and findings.previous_cycles_known:
        cycles = sorted(cycles, key=lambda c: c.sequence)
        out["response_review"] = [
            (gettext("Cycle %(number)s") % {"number": c.sequence}, cycle_words(c)) for c in cycles
        ] or [(gettext("Previous stimulation"), gettext("none"))]
    return out


def cycle_words(cycle) -> str:
    return stimulation_words(cycle, dose_unit=gettext("IU/day"))
