"""A work-up's stored findings become the engine's facts here, and only here.

The work-up page, the summary and its PDF, the API and the command line all go through
``workup_facts`` and ``assess_workup``, so they cannot disagree. ``findings_from_facts`` is the
inverse, used when facts arrive as JSON (``POST /api/workups``).
"""

from __future__ import annotations

from typing import Any

from workup.evidence import engine, store
from workup.evidence import findings as spec
from workup.evidence.catalogue import Catalogue
from workup.evidence.facts import Cycle, Facts, parse_facts

from .models import OHSS_UNGRADED
from .transfer_records import transfers_to_facts

# A cycle's recorded details: the fact's key and the StimulationCycle column that holds it.
CYCLE_DETAILS = {
    "date": "date",
    "protocol": "protocol",
    "daily_dose_iu": "daily_dose_iu",
    "maximal_stimulation": "maximal_stimulation",
    "trigger": "trigger",
    "mature_oocytes": "mature_oocytes",
    "ohss": "ohss_grade",
    "freeze_all": "freeze_all",
}
PLAN_PARTS = ("protocol", "daily_dose_iu", "trigger", "freeze_all")


def ohss_fact(grade: str):
    """A stored OHSS grade as the fact: the grade, True when recorded without a grade."""
    if not grade:
        return None
    return True if grade == OHSS_UNGRADED else grade


def ohss_column(value) -> str:
    """The fact back to the column: a grade, 'ungraded' for True, '' when not known."""
    if value is None:
        return ""
    return OHSS_UNGRADED if value is True else value


def findings_to_dict(findings) -> dict[str, Any]:
    """The facts held in a Findings row (without age, cycles or decisions): every finding the
    engine reads (``evidence.findings``), a quantity as entered."""
    data: dict[str, Any] = {}
    if findings is None:
        return data
    for finding in spec.facts_findings():
        value = spec.stored_value(finding, findings)
        if value is None:
            continue
        if finding.kind == spec.QUANTITY:
            value = {"value": value.entered, "unit": value.unit.symbol}
        if finding.group:
            data.setdefault(finding.group, {})[finding.key] = value
        else:
            data[finding.key] = value
    return data


def cycles_to_facts(cycles) -> dict[str, Any]:
    cycles = sorted(cycles, key=lambda c: c.sequence)
    columns = CYCLE_DETAILS.values()
    detailed = any(getattr(c, col) not in (None, "") for c in cycles for col in columns)
    if not detailed:
        return {"previous_oocytes": [c.oocytes for c in cycles]}
    out = []
    for c in cycles:
        item = {"oocytes": c.oocytes}
        for key, column in CYCLE_DETAILS.items():
            value = getattr(c, column)
            if key == "ohss":
                value = ohss_fact(value)
            elif key == "date" and value is not None:
                value = value.isoformat()
            if value not in (None, ""):
                item[key] = value
        out.append(item)
    return {"previous_cycles": out}


def plan_to_facts(plan) -> dict[str, Any]:
    """A stored planned cycle as the fact (nothing when no part of it is decided)."""
    if plan is None:
        return {}
    item = {k: getattr(plan, k) for k in PLAN_PARTS if getattr(plan, k) not in (None, "")}
    if plan.adjuvants:
        item["adjuvants"] = list(plan.adjuvants)
    return {"planned_cycle": item} if item else {}


_UNSET = object()


def workup_facts_dict(
    workup, *, findings=None, cycles=None, plan=_UNSET, transfers=None
) -> dict[str, Any]:
    """Everything the work-up knows, in the contract's JSON shape.

    Reads ``findings``, ``cycles``, ``planned_cycle``, ``transfers``, ``steps`` and
    ``addon_requests``; prefetch them when assessing many work-ups. ``findings``, ``cycles``,
    ``plan`` and ``transfers`` may be given to see the facts a form would store before it is
    saved. With transfers recorded, the failed transfer counts are theirs (contract 2), so the
    stored counts are left out.
    """
    data: dict[str, Any] = {"age": workup.age_years}
    if findings is None:
        findings = getattr(workup, "findings", None)
    data.update(findings_to_dict(findings))
    if findings is not None and findings.previous_cycles_known:
        data.update(cycles_to_facts(workup.cycles.all() if cycles is None else cycles))
    data.update(plan_to_facts(getattr(workup, "planned_cycle", None) if plan is _UNSET else plan))
    transfers = workup.transfers.all() if transfers is None else transfers
    if transfers:
        data.pop("failed_transfers", None)
        data.pop("euploid_failed_transfers", None)
        data["transfers"] = transfers_to_facts(transfers)
    addons = [r.addon_code for r in sorted(workup.addon_requests.all(), key=lambda r: r.pk)]
    if addons:
        data["addons_requested"] = addons
    indicated, not_indicated, completed = [], {}, []
    for step in sorted(workup.steps.all(), key=lambda s: s.pk):
        if step.kind == step.Kind.INVESTIGATION:
            if step.clinician_decision == step.Decision.INDICATED:
                indicated.append(step.code)
            elif step.clinician_decision == step.Decision.NOT_INDICATED:
                not_indicated[step.code] = step.not_indicated_reason or "Not indicated."
        elif step.status == step.Status.DONE and step.completed_manually:
            completed.append(step.code)
    if indicated:
        data["indicated_by_clinician"] = indicated
    if not_indicated:
        data["not_indicated_by_clinician"] = not_indicated
    if completed:
        data["completed_actions"] = completed
    return data


def drop_retired(catalogue: Catalogue, data: dict) -> dict:
    """A work-up stays readable after the lead retires an add-on or step from the catalogue:
    such a stored code is left out of the facts instead of failing the whole page."""
    codes = catalogue.codes_for_facts()
    plan = data.get("planned_cycle")
    if plan and "adjuvants" in plan:
        plan["adjuvants"] = [c for c in plan["adjuvants"] if c in codes["addon_codes"]]
    if "addons_requested" in data:
        data["addons_requested"] = [
            c for c in data["addons_requested"] if c in codes["addon_codes"]
        ]
    if "indicated_by_clinician" in data:
        data["indicated_by_clinician"] = [
            c for c in data["indicated_by_clinician"] if c in codes["step_codes"]
        ]
    if "not_indicated_by_clinician" in data:
        data["not_indicated_by_clinician"] = {
            c: r for c, r in data["not_indicated_by_clinician"].items() if c in codes["step_codes"]
        }
    if "completed_actions" in data:
        data["completed_actions"] = [
            c for c in data["completed_actions"] if c in codes["action_codes"]
        ]
    return data


def workup_facts(workup, catalogue: Catalogue | None = None) -> Facts:
    catalogue = catalogue or store.get_catalogue()
    data = drop_retired(catalogue, workup_facts_dict(workup))
    # Input rules that read a catalogue value (the APS repeat interval) were checked when the
    # facts were entered; a later change of that value must not make a stored work-up unreadable.
    return parse_facts(data, **{**catalogue.codes_for_facts(), "aps_repeat_weeks": None})


def assess_workup(workup, catalogue: Catalogue | None = None) -> tuple[Facts, dict]:
    """The stored facts and the engine's answer for them."""
    catalogue = catalogue or store.get_catalogue()
    facts = workup_facts(workup, catalogue)
    return facts, engine.assess(facts, catalogue)


def findings_from_facts(facts: Facts, findings) -> None:
    """Copy facts onto a Findings row (not saved). Cycles are written by the caller."""
    for finding in spec.facts_findings():
        spec.write_value(finding, findings, spec.facts_value(finding, facts))
    findings.previous_cycles_known = facts.previous_cycles is not None or None


def cycle_rows(facts: Facts) -> list[dict]:
    """Keyword arguments for StimulationCycle rows from the facts' previous cycles."""
    rows = []
    for sequence, cycle in enumerate(facts.previous_cycles or (), start=1):
        cycle: Cycle
        rows.append(
            {
                "sequence": sequence,
                "date": cycle.date,
                "protocol": cycle.protocol or "",
                "daily_dose_iu": cycle.daily_dose_iu,
                "maximal_stimulation": cycle.maximal_stimulation,
                "trigger": cycle.trigger or "",
                "oocytes": cycle.oocytes,
                "mature_oocytes": cycle.mature_oocytes,
                "ohss_grade": ohss_column(cycle.ohss),
                "freeze_all": cycle.freeze_all,
            }
        )
    return rows


def plan_row(facts: Facts) -> dict | None:
    """Keyword arguments for a PlannedCycle row from the facts' planned cycle (None: no plan)."""
    plan = facts.planned_cycle
    if plan is None:
        return None
    return {
        "protocol": plan.protocol or "",
        "daily_dose_iu": plan.daily_dose_iu,
        "trigger": plan.trigger or "",
        "freeze_all": plan.freeze_all,
        "adjuvants": list(plan.adjuvants),
    }
