"""Writes that touch several models: keyword-only functions, named verb-first.

Each keeps the checklist rows in step with the engine (``sync_steps``) so that the coordinator
queue, a database query, shows what the engine says.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from workup.evidence import store
from workup.evidence.catalogue import Catalogue
from workup.evidence.facts import Facts

from .assessment import assess_workup, cycle_rows, findings_from_facts
from .models import AddonRequest, ChecklistStep, Findings, StimulationCycle, WorkUp

Status = ChecklistStep.Status


def plan_step_changes(
    *, workup: WorkUp, steps: list[ChecklistStep], answer: dict, now=None
) -> tuple[list[ChecklistStep], list[ChecklistStep]]:
    """Which checklist rows to create and which to update so the rows match the engine.

    Investigation rows follow the engine's checklist status; a pending one keeps the
    coordinator's 'scheduled' or 'awaiting findings'. Tracked next steps stay as the clinician
    left them while the engine still suggests them; one the engine no longer suggests is done
    (resolved by later findings), and reopens if the engine suggests it again.
    Pure apart from building unsaved model instances, so bulk seeding can use it too.
    """
    now = now or timezone.now()
    by_code = {s.code: s for s in steps}
    create, update = [], []

    for item in answer["checklist"]:
        step = by_code.get(item["code"])
        engine_status = item["status"]
        if step is None:
            step = ChecklistStep(
                workup=workup,
                code=item["code"],
                kind=ChecklistStep.Kind.INVESTIGATION,
                pillar=item["pillar"],
                status=engine_status,
            )
            if engine_status == Status.DONE:
                step.completed_at = now
            create.append(step)
            continue
        if engine_status == "pending":
            wanted = step.status if step.status in ChecklistStep.OPEN_STATUSES else Status.PENDING
        else:
            wanted = engine_status
        if wanted != step.status:
            step.status = wanted
            step.completed_at = now if wanted == Status.DONE else None
            update.append(step)

    suggested = {s["code"] for s in answer["next_steps"] if s["kind"] == "action"}
    for step in steps:
        if step.kind != ChecklistStep.Kind.ACTION:
            continue
        if step.status == Status.DONE and step.completed_manually:
            continue
        if step.code in suggested and not step.is_open:
            step.status = Status.PENDING
            step.completed_at = None
            update.append(step)
        elif step.code not in suggested and step.is_open:
            step.status = Status.DONE
            step.completed_at = now
            update.append(step)
    return create, update


def sync_steps(*, workup: WorkUp, catalogue: Catalogue | None = None) -> dict:
    """Bring the work-up's checklist rows in line with the engine; returns the answer."""
    _, answer = assess_workup(workup, catalogue)
    steps = list(workup.steps.all())
    create, update = plan_step_changes(workup=workup, steps=steps, answer=answer)
    for step in create + update:
        step.save()
    return answer


@transaction.atomic
def create_workup(
    *,
    patient,
    clinician,
    user,
    workup_date: date | None = None,
    age_years: int | None = None,
    facts: Facts | None = None,
    catalogue: Catalogue | None = None,
) -> WorkUp:
    """A new work-up with its findings, previous cycles, add-on requests and checklist."""
    catalogue = catalogue or store.get_catalogue()
    workup_date = workup_date or timezone.localdate()
    if age_years is None:
        age_years = facts.age if facts is not None and facts.age else patient.age_on(workup_date)
    workup = WorkUp.objects.create(
        patient=patient,
        clinician=clinician,
        date=workup_date,
        age_years=age_years,
        created_by=user,
    )
    findings = Findings(workup=workup)
    if facts is not None:
        findings_from_facts(facts, findings)
    findings.save()
    if facts is not None:
        for row in cycle_rows(facts):
            StimulationCycle.objects.create(workup=workup, **row)
        for code in facts.addons_requested:
            AddonRequest.objects.create(workup=workup, addon_code=code, recorded_by=user)
        pillars = {code: inv.pillar for code, inv in catalogue.investigations.items()}
        for code in facts.indicated_by_clinician:
            ChecklistStep.objects.create(
                workup=workup,
                code=code,
                pillar=pillars[code],
                clinician_decision=ChecklistStep.Decision.INDICATED,
            )
        for code, reason in facts.not_indicated_by_clinician:
            ChecklistStep.objects.create(
                workup=workup,
                code=code,
                pillar=pillars[code],
                status=Status.NOT_INDICATED,
                clinician_decision=ChecklistStep.Decision.NOT_INDICATED,
                not_indicated_reason=reason,
            )
        for code in facts.completed_actions:
            ChecklistStep.objects.create(
                workup=workup,
                code=code,
                kind=ChecklistStep.Kind.ACTION,
                pillar=catalogue.next_steps[code].pillar,
                status=Status.DONE,
                completed_manually=True,
                completed_at=timezone.now(),
                completed_by=user,
            )
    sync_steps(workup=workup, catalogue=catalogue)
    return workup
