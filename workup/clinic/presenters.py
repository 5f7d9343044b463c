"""Shapes a work-up and the engine's answer for templates; no clinical logic here.

``load_workup`` and ``workup_context`` are what every view of a work-up (the page, the printed
summary, the PDF, the patient sheet) builds on, so they all show the same answer.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from workup.evidence import store
from workup.evidence.catalogue import PILLAR_NAMES, PILLARS
from workup.evidence.engine import cited_sources

from .assessment import assess_workup
from .models import ChecklistStep, WorkUp


def pillar_groups(checklist: list[dict], steps: dict, catalogue) -> list[dict]:
    """The checklist by pillar, each item with its stored row, and done/indicated counts."""
    groups = []
    for pillar in PILLARS:
        items = [
            {"item": item, "step": steps.get(item["code"])}
            for item in checklist
            if item["pillar"] == pillar
        ]
        indicated = [i for i in items if i["item"]["status"] != "not_indicated"]
        done = [i for i in indicated if i["item"]["status"] == "done"]
        groups.append(
            {
                "code": pillar,
                "name": PILLAR_NAMES[pillar],
                "items": items,
                "done": len(done),
                "total": len(indicated),
            }
        )
    return groups


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
