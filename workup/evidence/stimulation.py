"""The stimulation pillar as a plan: predicted response, previous cycles, considerations, checks.

Pure, like the rest of the engine: facts and a catalogue snapshot in, the contract's
``stimulation`` block out (``docs/engine.md``, "Contract 2: stimulation"). Every number a rule
compares with is a catalogue parameter (read through ``Trace.value``, so the review status of a
result follows the thresholds it used); every clinical sentence is a catalogue statement with its
stance, review status and sources. Nothing is prescribed: the considerations are the catalogue's
evidence for this patient, and the plan checks say where the clinician's own plan meets or
departs from that evidence.

Sources: clinical-reference section 5b (hera-2023, hochberg-2025, poseidon-2016, bologna-2011,
broekmans-2019, oudshoorn-2017, leijdekkers-2020, hfea-addons, bosch-2020, eshre-addons-2023).
"""

from __future__ import annotations

from dataclasses import replace

from .catalogue import PENDING, VERIFIED, Catalogue
from .engine import Trace, addon_flags, with_source_note
from .facts import Cycle, Facts

# Statements this module says: each must be in the catalogue (requirements checks a snapshot).
STATEMENTS = (
    "dose_individualisation",
    "reduced_dose_high_responder",
    "freeze_all_ohss_risk",
    "antagonist_agonist_trigger_high_responder",
    "high_dose_poor_responder",
    "adjuvants_not_recommended",
    "stimulation_guideline_bands",
    "ohss_grade_not_recorded",
    "bologna_natural_not_counted",
    "bologna_mild_not_counted",
)

# Cycles whose few oocytes are intended: never a poor response (reference section 8; mild is
# pending review, as its statement says).
NOT_CONVENTIONAL = ("natural", "mild")
# OHSS grades after which elective freeze-all is shown (reference section 5b).
OHSS_FREEZE_ALL = ("moderate", "severe")

# Each plan check's heading (what it looks at; the evidence is the catalogue's statement).
CHECK_NAMES = {
    "freeze_all_after_ohss": "Freeze-all after OHSS",
    "freeze_all_high_responder": "Freeze-all for a predicted high responder",
    "reduced_dose_high_responder": "Dose for a predicted high responder",
    "dose_increase_poor_responder": "Dose for a predicted poor responder",
    "antagonist_high_responder": "Protocol for a predicted high responder",
    "agonist_trigger_high_responder": "Trigger for a predicted high responder",
}

# Words for the plan checks' findings: names, not claims.
PROTOCOL_WORDS = {
    "antagonist": "GnRH antagonist",
    "long_agonist": "long GnRH agonist",
    "short_agonist": "short GnRH agonist",
    "ppos": "PPOS (progestin-primed)",
    "mild": "mild stimulation",
    "natural": "natural cycle",
    "other": "another protocol",
}
TRIGGER_WORDS = {
    "hcg": "hCG",
    "agonist": "GnRH agonist",
    "dual": "dual (GnRH agonist with hCG)",
}


def _fmt(number: float) -> str:
    return f"{number:g}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _join_words(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


# --- each previous cycle ----------------------------------------------------------------------


def cycle_response(cycle: Cycle, trace: Trace) -> str | None:
    """A previous cycle's response: ``hyper`` with 15 or more oocytes (hera-2023); ``poor`` with
    at most 3 oocytes after conventional stimulation (bologna-2011; natural and mild cycles are
    never poor); ``normal`` otherwise; None when the oocytes are not known. Sources: hera-2023,
    bologna-2011."""
    if cycle.oocytes is None:
        return None
    if cycle.oocytes >= trace.value("hyper_response_oocytes"):
        return "hyper"
    if cycle.protocol in NOT_CONVENTIONAL:
        return "normal"
    if cycle.oocytes <= trace.value("bologna_poor_oocytes"):
        return "poor"
    return "normal"


def previous_cycles(facts: Facts, catalogue: Catalogue) -> list[dict]:
    """The previous cycles side by side, in the order recorded, each with its response."""
    out = []
    for number, cycle in enumerate(facts.previous_cycles or (), start=1):
        trace = Trace(catalogue)
        response = cycle_response(cycle, trace)
        note = None
        if cycle.protocol in NOT_CONVENTIONAL and cycle.oocytes <= trace.value(
            "bologna_poor_oocytes"
        ):
            # Few oocytes from a natural or mild cycle: say why it is not a poor response.
            note = trace.say(f"bologna_{cycle.protocol}_not_counted", count="1")
        out.append(
            {
                "number": number,
                "date": cycle.date.isoformat() if cycle.date else None,
                "protocol": cycle.protocol,
                "daily_dose_iu": cycle.daily_dose_iu,
                "maximal_stimulation": cycle.maximal_stimulation,
                "trigger": cycle.trigger,
                "oocytes": cycle.oocytes,
                "mature_oocytes": cycle.mature_oocytes,
                "ohss": cycle.ohss,
                "freeze_all": cycle.freeze_all,
                "response": response,
                "note": note,
                "review": trace.review(),
                "sources": trace.sources(),
            }
        )
    return out


# --- the predicted response -------------------------------------------------------------------


def _normal_reserve(facts: Facts, trace: Trace) -> bool | None:
    """Normal reserve as POSEIDON defines it (AMH >= 1.2 ng/mL and AFC >= 5); None if unknown."""
    amh_limit, afc_limit = trace.value("poseidon_amh"), trace.value("poseidon_afc")
    low = (facts.amh is not None and facts.amh.ng_ml < amh_limit) or (
        facts.afc is not None and facts.afc < afc_limit
    )
    if low:
        return False
    if facts.amh is None or facts.afc is None:
        return None
    return True


def predicted_response(facts: Facts, catalogue: Catalogue, classification: dict) -> dict:
    """The predicted response to the next stimulation, and the facts it rests on.

    ``high`` when any hyper-response marker is present (AMH > 3.36 ng/mL, AFC > 24, more than 11
    oocytes previously) or a previous cycle gave 15 or more oocytes; ``poor`` when POSEIDON group
    3 or 4 or a Bologna poor responder; ``normal`` when the reserve is normal (AMH >= 1.2 ng/mL
    and AFC >= 5) and no previous cycle was a poor or hyper response; null otherwise (facts
    missing, or a previous poor response despite a normal reserve). A marker of high response
    comes first: the reason then says that poor-response criteria are met as well.
    Sources: hera-2023, hochberg-2025, poseidon-2016, bologna-2011.
    """
    details = classification["details"]
    hyper, poseidon, bologna = (
        details["hyper_response_risk"],
        details["poseidon_group"],
        details["bologna_poor_responder"],
    )
    trace = Trace(catalogue)  # the thresholds this rule reads itself
    basis: dict = {"age": facts.age}
    if facts.amh is not None:
        basis["amh_ng_ml"] = round(facts.amh.ng_ml, 2)
    if facts.afc is not None:
        basis["afc"] = facts.afc
    cycles = facts.previous_cycles
    responses = [cycle_response(c, trace) for c in cycles or ()]
    if cycles:
        basis["best_previous_oocytes"] = max(c.oocytes for c in cycles)
    if cycles is not None:
        basis["previous_poor_responses"] = responses.count("poor")

    poor_reasons = []
    group = classification["poseidon_group"]
    if group in (3, 4):
        poor_reasons.append((f"POSEIDON group {group}", poseidon))
    if classification["bologna_poor_responder"]:
        poor_reasons.append(("Bologna poor responder", bologna))

    own = False  # whether this rule's own thresholds decided (normal, or a poor cycle)
    used: list[dict] = []
    if hyper["value"]:
        value, used = "high", [hyper]
        reason = hyper["reason"]
        if poor_reasons:
            also = ", ".join(words for words, _ in poor_reasons)
            reason += (
                f" Poor-response criteria are met as well ({also}): the markers disagree, and "
                "a high response is predicted because any hyper-response marker counts."
            )
    elif poor_reasons:
        value, used = "poor", [detail for _, detail in poor_reasons]
        reason = " ".join(d["reason"] for d in used)
    else:
        reserve = _normal_reserve(facts, trace)
        missing = []
        if reserve is None:
            missing += [
                name for name, known in (("AMH", facts.amh), ("AFC", facts.afc)) if not known
            ]
        if cycles is None:
            missing.append("the previous cycles")
        if "poor" in responses and reserve:
            value, used, own = None, [poseidon, bologna], True
            worst = min(c.oocytes for c, r in zip(cycles, responses, strict=True) if r == "poor")
            reason = (
                "Normal ovarian reserve, but a previous poor response "
                f"({_plural(worst, 'oocyte')} with conventional stimulation): neither a poor "
                "nor a normal response is predicted."
            )
        elif missing:
            value = None
            reason = f"Not known yet: {_join_words(missing)}."
        else:
            value, used, own = "normal", [poseidon, bologna, hyper], True
            best = basis.get("best_previous_oocytes")
            history = (
                f"best previous cycle {_plural(best, 'oocyte')}"
                if best is not None
                else "no previous stimulation"
            )
            reason = (
                f"Normal ovarian reserve (AMH {_fmt(basis['amh_ng_ml'])} ng/mL, AFC "
                f"{facts.afc}) and no previous poor or hyper-response ({history})."
            )
    sources: list[str] = []
    for key in [k for d in used for k in d["sources"]] + (trace.sources() if own else []):
        if key not in sources:
            sources.append(key)
    pending = not used or any(d["review"] != VERIFIED for d in used)
    if own and trace.review() != VERIFIED:
        pending = True
    review = PENDING if pending else VERIFIED
    return {
        "value": value,
        "basis": basis,
        "reason": reason,
        "review": review,
        "sources": sources,
    }


# --- considerations ---------------------------------------------------------------------------


def _statement_item(trace: Trace, code: str, values=None) -> dict:
    """A catalogue statement as a consideration or a check's evidence reads it; ``values``
    reads the parameters its placeholders quote (after the statement, so its sources come
    first)."""
    statement = trace.statement(code)
    return {
        "code": code,
        "name": statement.name,
        "summary": trace.say(code, **(values(trace) if values else {})),
        "stance": statement.stance,
    }


def _ohss_cycles(facts: Facts) -> list[tuple[int, Cycle]]:
    return [
        (n, c)
        for n, c in enumerate(facts.previous_cycles or (), start=1)
        if c.ohss in OHSS_FREEZE_ALL
    ]


def _ohss_words(ohss_cycles: list[tuple[int, Cycle]]) -> str:
    return _join_words([f"{c.ohss} OHSS (cycle {n})" for n, c in ohss_cycles])


def _dose_values(trace: Trace) -> dict:
    return {
        "reduced_dose": _fmt(trace.value("reduced_dose_iu")),
        "standard_dose": _fmt(trace.value("standard_dose_iu")),
    }


def considerations(facts: Facts, catalogue: Catalogue, predicted: str | None) -> list[dict]:
    """The catalogue's statements for this predicted response and history, never a prescription.

    Predicted high responder: a reduced dose (oudshoorn-2017, broekmans-2019), elective
    freeze-all (hfea-addons), an antagonist protocol with an agonist trigger (bosch-2020,
    pending). Predicted poor responder: high doses lack a cost-benefit and showed no live-birth
    benefit (broekmans-2019, leijdekkers-2020), growth hormone and DHEA not recommended
    (eshre-addons-2023). After a moderate or severe OHSS: elective freeze-all (hfea-addons).
    Everyone: dose individualisation reduces OHSS (broekmans-2019); once a response is
    predicted, the ESHRE dose bands, unread (bosch-2020, pending).
    """
    items: list[dict] = []

    def add(code: str, trigger: str, values=None):
        trace = Trace(catalogue)
        item = _statement_item(trace, code, values)
        item["trigger"] = trigger
        item["review"] = trace.review()
        item["sources"] = trace.sources()
        items.append(with_source_note(item, catalogue))

    ohss = _ohss_cycles(facts)
    if predicted == "high":
        add("reduced_dose_high_responder", "Predicted high response.", _dose_values)
        why = "Predicted high response."
        if ohss:
            why = f"Predicted high response, and {_ohss_words(ohss)} before."
        add("freeze_all_ohss_risk", why)
        add("antagonist_agonist_trigger_high_responder", "Predicted high response.")
    elif ohss:
        add("freeze_all_ohss_risk", f"{_ohss_words(ohss)[:1].upper()}{_ohss_words(ohss)[1:]}.")
    if predicted == "poor":
        add("high_dose_poor_responder", "Predicted poor response.")
        add("adjuvants_not_recommended", "Predicted poor response.")
    add("dose_individualisation", "Every stimulation plan.")
    if predicted is not None:
        add("stimulation_guideline_bands", f"Predicted {predicted} response.")
    return items


def notes_for(facts: Facts, catalogue: Catalogue) -> list[dict]:
    """What the records leave open: OHSS recorded without its grade, while no moderate or
    severe OHSS is recorded (the grade decides the freeze-all check). No source: our rule."""
    ungraded = [n for n, c in enumerate(facts.previous_cycles or (), start=1) if c.ohss is True]
    if not ungraded or _ohss_cycles(facts):
        return []
    trace = Trace(catalogue)
    which = "cycle " + _join_words([str(n) for n in ungraded])
    text = trace.say("ohss_grade_not_recorded", cycles=which)
    statement = trace.statement("ohss_grade_not_recorded")
    item = {
        "code": "ohss_grade_not_recorded",
        "name": statement.name,
        "text": text,
        "review": trace.review(),
        "sources": trace.sources(),
    }
    return [with_source_note(item, catalogue)]


# --- the plan checks --------------------------------------------------------------------------


def _check(
    catalogue: Catalogue,
    code: str,
    statement: str,
    planned: dict,
    meets: bool,
    finding: str,
    values=None,
) -> dict:
    """One plan check: what the plan says (``finding``, from the facts), whether it meets or
    departs from the catalogue's evidence (``evidence``, a statement), with that evidence's
    stance, review status and sources."""
    trace = Trace(catalogue)
    evidence = _statement_item(trace, statement, values)
    return with_source_note(
        {
            "code": code,
            "name": CHECK_NAMES.get(code, evidence["name"]),
            "evidence_name": evidence["name"],
            "planned": planned,
            "status": "meets" if meets else "departs",
            "finding": finding,
            "evidence": evidence["summary"],
            "evidence_code": statement,
            "summary": f"{finding} {evidence['summary']}",
            "stance": evidence["stance"],
            "review": trace.review(),
            "sources": trace.sources(),
        },
        catalogue,
    )


def freeze_all_after_ohss(facts: Facts, catalogue: Catalogue, predicted: str | None):
    """After a previous moderate or severe OHSS, the plan's freeze-all decision is checked
    against elective freeze-all (HFEA green for reducing OHSS, amber for live birth).
    Source: hfea-addons."""
    plan, ohss = facts.planned_cycle, _ohss_cycles(facts)
    if not ohss or plan.freeze_all is None:
        return None
    after = _ohss_words(ohss)
    finding = (
        f"Freeze-all planned, after {after}."
        if plan.freeze_all
        else f"No freeze-all planned, after {after}."
    )
    return _check(
        catalogue,
        "freeze_all_after_ohss",
        "freeze_all_ohss_risk",
        {"freeze_all": plan.freeze_all},
        bool(plan.freeze_all),
        finding,
    )


def freeze_all_high_responder(facts: Facts, catalogue: Catalogue, predicted: str | None):
    """A predicted high responder without a previous moderate or severe OHSS: the plan's
    freeze-all decision against elective freeze-all. Source: hfea-addons."""
    plan = facts.planned_cycle
    if predicted != "high" or _ohss_cycles(facts) or plan.freeze_all is None:
        return None
    finding = (
        "Freeze-all planned for a predicted high responder."
        if plan.freeze_all
        else "No freeze-all planned for a predicted high responder."
    )
    return _check(
        catalogue,
        "freeze_all_high_responder",
        "freeze_all_ohss_risk",
        {"freeze_all": plan.freeze_all},
        bool(plan.freeze_all),
        finding,
    )


def reduced_dose_for_high_responder(facts: Facts, catalogue: Catalogue, predicted: str | None):
    """A predicted high responder's planned dose against a reduced dose: below the usual 150 IU
    a day meets it. Sources: oudshoorn-2017, broekmans-2019."""
    dose = facts.planned_cycle.daily_dose_iu
    if predicted != "high" or dose is None:
        return None
    probe = Trace(catalogue)
    usual = probe.value("standard_dose_iu")
    reduced = dose < usual
    finding = (
        f"Planned {dose} IU a day, below the usual {_fmt(usual)} IU."
        if reduced
        else f"Planned {dose} IU a day, not below the usual {_fmt(usual)} IU."
    )
    return _check(
        catalogue,
        "reduced_dose_high_responder",
        "reduced_dose_high_responder",
        {"daily_dose_iu": dose},
        reduced,
        finding,
        _dose_values,
    )


def _reads_usual_dose(trace: Trace) -> dict:
    """The check compared with the usual dose: its review status and sources travel along."""
    trace.value("standard_dose_iu")
    return {}


def dose_increase_for_poor_responder(facts: Facts, catalogue: Catalogue, predicted: str | None):
    """A predicted poor responder's planned dose against the usual 150 IU a day: a dose above
    it (an increase over the usual dose, whatever was given before) is shown with the evidence
    that high doses lack a cost-benefit and that doses above the standard showed no live-birth
    benefit; never refused. The finding says too whether the plan raises the highest previous
    daily dose of a conventional cycle. Sources: broekmans-2019, leijdekkers-2020."""
    dose = facts.planned_cycle.daily_dose_iu
    if predicted != "poor" or dose is None:
        return None
    usual = Trace(catalogue).value("standard_dose_iu")
    previous = [
        c.daily_dose_iu
        for c in facts.previous_cycles or ()
        if c.daily_dose_iu is not None and c.protocol not in NOT_CONVENTIONAL
    ]
    highest = max(previous, default=None)
    if highest is None:
        before = "no previous dose recorded"
    elif dose > highest:
        before = f"up from {highest} IU a day before"
    elif dose == highest:
        before = "the same as before"
    else:
        before = f"down from {highest} IU a day before"
    above = dose > usual
    finding = (
        f"Planned {dose} IU a day, above the usual {_fmt(usual)} IU a day ({before})."
        if above
        else f"Planned {dose} IU a day, not above the usual {_fmt(usual)} IU a day ({before})."
    )
    return _check(
        catalogue,
        "dose_increase_poor_responder",
        "high_dose_poor_responder",
        {"daily_dose_iu": dose},
        not above,
        finding,
        _reads_usual_dose,
    )


def antagonist_for_high_responder(facts: Facts, catalogue: Catalogue, predicted: str | None):
    """A predicted high responder's planned protocol against a GnRH antagonist protocol
    (pending review: the guideline's text was not read). Source: bosch-2020."""
    protocol = facts.planned_cycle.protocol
    if predicted != "high" or protocol is None:
        return None
    return _check(
        catalogue,
        "antagonist_high_responder",
        "antagonist_agonist_trigger_high_responder",
        {"protocol": protocol},
        protocol == "antagonist",
        f"Planned protocol: {PROTOCOL_WORDS.get(protocol, protocol)}.",
    )


def agonist_trigger_for_high_responder(facts: Facts, catalogue: Catalogue, predicted: str | None):
    """A predicted high responder's planned trigger against a GnRH agonist trigger (a dual
    trigger keeps hCG; pending review: the guideline's text was not read). Source: bosch-2020."""
    trigger = facts.planned_cycle.trigger
    if predicted != "high" or trigger is None:
        return None
    return _check(
        catalogue,
        "agonist_trigger_high_responder",
        "antagonist_agonist_trigger_high_responder",
        {"trigger": trigger},
        trigger == "agonist",
        f"Planned trigger: {TRIGGER_WORDS.get(trigger, trigger)}.",
    )


PLAN_RULES = (
    freeze_all_after_ohss,
    reduced_dose_for_high_responder,
    dose_increase_for_poor_responder,
    antagonist_for_high_responder,
    agonist_trigger_for_high_responder,
    freeze_all_high_responder,
)


def adjuvant_flags(facts: Facts, catalogue: Catalogue) -> list[dict]:
    """The plan's adjuvants flagged exactly as requested add-ons are (``engine.addon_flags``):
    growth hormone and DHEA, not recommended by ESHRE, are flagged. Source: eshre-addons-2023
    and each add-on's own."""
    plan = facts.planned_cycle
    if plan is None or not plan.adjuvants:
        return []
    return addon_flags(replace(facts, addons_requested=plan.adjuvants), catalogue)


def adjuvant_checks(flags: list[dict], catalogue: Catalogue) -> list[dict]:
    """One check per planned adjuvant: it departs when the add-on is flagged."""
    out = []
    for flag in flags:
        if flag["flagged"]:
            finding = f"Planned adjuvant: {flag['name']}, an add-on flagged for this patient."
        else:
            finding = f"Planned adjuvant: {flag['name']}, indicated for this patient."
        evidence = flag.get("indicated_reason") or flag["evidence"]
        out.append(
            with_source_note(
                {
                    "code": "adjuvant_addon",
                    "name": f"Adjuvant: {flag['name']}",
                    "addon": flag["code"],
                    "planned": {"adjuvants": [flag["code"]]},
                    "status": "departs" if flag["flagged"] else "meets",
                    "finding": finding,
                    "evidence": evidence,
                    "evidence_code": flag["code"],
                    "summary": f"{finding} {evidence}",
                    "stance": flag["stance"],
                    "review": flag["review"],
                    "sources": list(flag["sources"]),
                },
                catalogue,
            )
        )
    return out


def plan_checks(
    facts: Facts, catalogue: Catalogue, predicted: str | None, flags: list[dict]
) -> list[dict]:
    """Each catalogue check the planned cycle meets or departs from; empty without a plan."""
    if facts.planned_cycle is None:
        return []
    checks = []
    for rule in PLAN_RULES:
        check = rule(facts, catalogue, predicted)
        if check is not None:
            checks.append(check)
    return checks + adjuvant_checks(flags, catalogue)


# --- the block --------------------------------------------------------------------------------


def stimulation(facts: Facts, catalogue: Catalogue, classification: dict) -> dict:
    """The contract's ``stimulation`` block for these facts."""
    predicted = predicted_response(facts, catalogue, classification)
    value = predicted["value"]
    flags = adjuvant_flags(facts, catalogue)
    plan = facts.planned_cycle
    bands = Trace(catalogue)
    return {
        "predicted_response": value,
        "basis": predicted["basis"],
        "reason": predicted["reason"],
        "review": predicted["review"],
        "sources": predicted["sources"],
        "previous_cycles": previous_cycles(facts, catalogue),
        "considerations": considerations(facts, catalogue, value),
        "notes": notes_for(facts, catalogue),
        "planned_cycle": None
        if plan is None
        else {
            "protocol": plan.protocol,
            "daily_dose_iu": plan.daily_dose_iu,
            "trigger": plan.trigger,
            "freeze_all": plan.freeze_all,
            "adjuvants": list(plan.adjuvants),
        },
        "plan_checks": plan_checks(facts, catalogue, value, flags),
        "adjuvant_flags": flags,
        # The thresholds of each cycle's response, for the chart's bands.
        "bands": {
            "poor_oocytes_max": bands.value("bologna_poor_oocytes"),
            "hyper_oocytes_min": bands.value("hyper_response_oocytes"),
        },
    }


def cited(block: dict | None) -> list[str]:
    """Every source key the block cites, in reading order (for numbered references)."""
    if not block:
        return []
    keys: list[str] = []
    parts = [block, *block.get("previous_cycles", ())]
    parts += [*block.get("considerations", ()), *block.get("notes", ())]
    parts += [*block.get("plan_checks", ()), *block.get("adjuvant_flags", ())]
    parts += [
        flag[name]
        for flag in block.get("adjuvant_flags", ())
        for name in ("verdict", "hfea_meaning")
        if flag.get(name)
    ]
    for part in parts:
        for key in part.get("sources", ()):
            if key not in keys:
                keys.append(key)
    return keys
