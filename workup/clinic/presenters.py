"""Shapes a work-up and the engine's answer for templates; no clinical logic here.

``load_workup`` and ``workup_context`` are what every view of a work-up (the page, the printed
summary, the PDF, the patient sheet) builds on, so they all show the same answer.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404

from workup.evidence import store
from workup.evidence.catalogue import PILLAR_NAMES, PILLARS
from workup.evidence.engine import cited_sources

from .assessment import assess_workup
from .models import AddonRequest, ChecklistStep, StimulationCycle, WorkUp
from .signed import differences, signed_record, stamp_words
from .transfer_records import Transfer


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
            status = item["status"]
            if status == "pending" and step is not None and step.is_open:
                status = step.status  # scheduled, or result received awaiting findings
            items.append({"item": item, "step": step, "status": status})
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
    the work-up with its patient and findings, its steps, its add-on requests, its transfers,
    and its previous cycles only when some are recorded."""
    workup = get_object_or_404(
        WorkUp.objects.select_related(
            "patient", "clinician", "findings", "signed_by", "created_by"
        ).prefetch_related(
            Prefetch(
                "addon_requests",
                queryset=AddonRequest.objects.select_related("counselled_by", "recorded_by"),
            ),
            Prefetch(
                "steps",
                queryset=ChecklistStep.objects.select_related("assignee", "completed_by"),
            ),
            Prefetch("transfers", queryset=Transfer.objects.in_date_order()),
        ),
        pk=pk,
    )
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
    catalogue = store.get_catalogue()
    facts, current = assess_workup(workup, catalogue)
    record = signed_record(workup)
    answer, sources, changes = current, catalogue.sources, []
    if record is not None and record.answer is not None:
        answer = record.answer
        changes = differences(record.answer, current)
        if record.sources is not None:
            sources = record.sources
    keys = [k for k in cited_sources(answer) if k in sources]
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
        "references": [(n, sources[k]) for n, k in enumerate(keys, start=1)],
        "ref_numbers": {k: n for n, k in enumerate(keys, start=1)},
        "pillars": pillar_groups(answer["checklist"], steps, step_names(catalogue)),
        "tracked_steps": [s for s in steps.values() if s.kind == ChecklistStep.Kind.ACTION],
        "requests": {r.addon_code: r for r in workup.addon_requests.all()},
        "recorded": recorded_findings(getattr(workup, "findings", None), workup.cycles.all()),
    }


def recorded_findings(findings, cycles) -> dict[str, list[tuple[str, str]]]:
    """For each step, the findings recorded so far as (label, value), in the step's order."""
    from .forms import display_value
    from .steps import LABELS, STEP_FIELDS

    out: dict[str, list[tuple[str, str]]] = {}
    for code, columns in STEP_FIELDS.items():
        lines = []
        for column in columns:
            if column in ("amh_unit", "previous_cycles_known"):
                continue
            value = display_value(findings, column) if findings is not None else "not recorded"
            if value != "not recorded":
                lines.append((LABELS.get(column, column), value))
        out[code] = lines
    if findings is not None and findings.previous_cycles_known:
        cycles = sorted(cycles, key=lambda c: c.sequence)
        out["response_review"] = [(f"Cycle {c.sequence}", cycle_words(c)) for c in cycles] or [
            ("Previous stimulation", "none")
        ]
    return out


def cycle_words(cycle) -> str:
    parts = [f"{cycle.oocytes} oocytes"]
    if cycle.daily_dose_iu:
        parts.append(f"{cycle.daily_dose_iu} IU/day")
    if cycle.protocol:
        name = cycle.get_protocol_display()
        parts.append(name if name.isupper() else name.lower())
    if cycle.maximal_stimulation:
        parts.append("maximal stimulation")
    if cycle.ohss:
        parts.append("OHSS")
    return ", ".join(parts)
