"""A work-up's stored findings become the engine's facts here, and only here.

The work-up page, the summary and its PDF, the API and the command line all go through
``workup_facts`` and ``assess_workup``, so they cannot disagree. ``findings_from_facts`` is the
inverse, used when facts arrive as JSON (``POST /api/workups``).
"""

from __future__ import annotations

from typing import Any

from workup.evidence import engine, store
from workup.evidence.catalogue import Catalogue
from workup.evidence.facts import Cycle, Facts, parse_facts

from .transfer_records import transfers_to_facts

# Scalar facts and the Findings column that holds each.
SCALAR_COLUMNS = {
    "failed_transfers": "failed_transfers",
    "euploid_failed_transfers": "euploid_failed_transfers",
    "miscarriages": "miscarriages",
    "bmi": "bmi",
    "smoker": "smoker",
    "alcohol_units_week": "alcohol_units_week",
    "tsh": "tsh",
    "tpo_positive": "tpo_positive",
    "aps": "aps",
    "aps_first_test_date": "aps_first_test_date",
    "aps_repeat_test_date": "aps_repeat_test_date",
    "karyotype": "karyotype",
    "hydrosalpinx": "hydrosalpinx",
    "adenomyosis": "adenomyosis",
    "afc": "afc",
}

# Nested facts: object key -> {sub-key: column}.
NESTED_COLUMNS = {
    "pgta": {
        "done": "pgta_done",
        "discussed": "pgta_discussed",
        "euploid": "pgta_euploid",
        "aneuploid": "pgta_aneuploid",
        "mosaic": "pgta_mosaic",
        "no_result": "pgta_no_result",
    },
    "embryo_review": {"done": "embryo_review_done"},
    "uterine_imaging": {"done": "uterine_imaging_done"},
    "hysteroscopy": {
        "done": "hysteroscopy_done",
        "polyp": "hysteroscopy_polyp",
        "submucosal_fibroid": "hysteroscopy_submucosal_fibroid",
        "septum": "hysteroscopy_septum",
        "adhesions": "hysteroscopy_adhesions",
        "endometritis_signs": "hysteroscopy_endometritis_signs",
    },
    "ce_biopsy": {
        "done": "ce_biopsy_done",
        "cd138_positive": "ce_cd138_positive",
        "treated": "ce_treated",
        "rebiopsy_negative": "ce_rebiopsy_negative",
        "second_line_treated": "ce_second_line_treated",
        "second_line_rebiopsy_negative": "ce_second_line_rebiopsy_negative",
    },
}

# The column behind each dotted fact path, for forms that show the engine's messages.
COLUMN_FOR_PATH = {
    **SCALAR_COLUMNS,
    **{f"{key}.{sub}": col for key, subs in NESTED_COLUMNS.items() for sub, col in subs.items()},
    "amh": "amh_ng_ml",
    "amh.value": "amh_ng_ml",
    "amh.unit": "amh_unit",
}

CYCLE_DETAILS = ("daily_dose_iu", "maximal_stimulation", "ohss", "protocol")


def findings_to_dict(findings) -> dict[str, Any]:
    """The facts held in a Findings row (without age, cycles or decisions)."""
    data: dict[str, Any] = {}
    if findings is None:
        return data
    for key, column in SCALAR_COLUMNS.items():
        value = getattr(findings, column)
        if value is not None:
            data[key] = value
    for key, subs in NESTED_COLUMNS.items():
        nested = {sub: getattr(findings, col) for sub, col in subs.items()}
        nested = {k: v for k, v in nested.items() if v is not None}
        if nested:
            data[key] = nested
    if findings.amh_ng_ml is not None:
        data["amh"] = {"value": findings.amh_ng_ml, "unit": "ng/mL"}
    return data


def cycles_to_facts(cycles) -> dict[str, Any]:
    cycles = sorted(cycles, key=lambda c: c.sequence)
    detailed = any(getattr(c, d) not in (None, "") for c in cycles for d in CYCLE_DETAILS)
    if not detailed:
        return {"previous_oocytes": [c.oocytes for c in cycles]}
    out = []
    for c in cycles:
        item = {"oocytes": c.oocytes}
        for detail in CYCLE_DETAILS:
            value = getattr(c, detail)
            if value not in (None, ""):
                item[detail] = value
        out.append(item)
    return {"previous_cycles": out}


def workup_facts_dict(workup, *, findings=None, cycles=None, transfers=None) -> dict[str, Any]:
    """Everything the work-up knows, in the contract's JSON shape.

    Reads ``findings``, ``cycles``, ``transfers``, ``steps`` and ``addon_requests``; prefetch
    them when assessing many work-ups. ``findings``, ``cycles`` and ``transfers`` may be given to
    see the facts a form would store before it is saved. With transfers recorded, the failed
    transfer counts are theirs (contract 2), so the stored counts are left out.
    """
    data: dict[str, Any] = {"age": workup.age_years}
    if findings is None:
        findings = getattr(workup, "findings", None)
    data.update(findings_to_dict(findings))
    if findings is not None and findings.previous_cycles_known:
        data.update(cycles_to_facts(workup.cycles.all() if cycles is None else cycles))
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


def _drop_retired(catalogue: Catalogue, data: dict) -> dict:
    """A work-up stays readable after the lead retires an add-on or step from the catalogue:
    such a stored code is left out of the facts instead of failing the whole page."""
    codes = catalogue.codes_for_facts()
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
    data = _drop_retired(catalogue, workup_facts_dict(workup))
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
    for key, column in SCALAR_COLUMNS.items():
        setattr(findings, column, getattr(facts, key))
    for key, subs in NESTED_COLUMNS.items():
        obj = getattr(facts, key)
        for sub, column in subs.items():
            setattr(findings, column, getattr(obj, sub) if obj is not None else None)
    if facts.amh is not None:
        findings.amh_ng_ml = facts.amh.ng_ml
        findings.amh_unit = facts.amh.unit
    else:
        findings.amh_ng_ml = None
    findings.previous_cycles_known = facts.previous_cycles is not None or None


def cycle_rows(facts: Facts) -> list[dict]:
    """Keyword arguments for StimulationCycle rows from the facts' previous cycles."""
    rows = []
    for sequence, cycle in enumerate(facts.previous_cycles or (), start=1):
        cycle: Cycle
        rows.append(
            {
                "sequence": sequence,
                "oocytes": cycle.oocytes,
                "daily_dose_iu": cycle.daily_dose_iu,
                "maximal_stimulation": cycle.maximal_stimulation,
                "ohss": cycle.ohss,
                "protocol": cycle.protocol or "",
            }
        )
    return rows
