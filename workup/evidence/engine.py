"""The assessment engine: pure functions from facts and a catalogue snapshot to advice.

No ORM, no requests, no clock. ``assess(facts, catalogue)`` returns the JSON-ready answer of the
assessment contract (``docs/engine.md``). Every clinical number comes from the catalogue
(parameters and implantation chances), so the clinical lead sees and reviews it; each rule is a
small function whose docstring names the source keys it encodes.

Review status travels with the answer: a result is ``pending_review`` when its catalogue entry is,
or when any parameter it read is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from . import transfers
from .catalogue import NO_SOURCE, PENDING, VERIFIED, Catalogue, Entry, Parameter, fill
from .facts import CeBiopsy, Cycle, Facts

CONTRACT = 2


# --- tracing which catalogue values a rule read ------------------------------------------------


@dataclass
class Trace:
    """Reads parameters from the catalogue and remembers them, for review status and display."""

    catalogue: Catalogue
    read: list[Entry] = field(default_factory=list)
    # Read for a side condition of a claim that is another source's (e.g. "recurrent
    # miscarriage" inside the thyroid guideline's advice): its review status counts, its sources
    # are not cited for the claim.
    uncited: list[Entry] = field(default_factory=list)

    def value(self, code: str, *, cite: bool = True) -> float:
        parameter: Parameter = self.catalogue.param(code)
        into = self.read if cite else self.uncited
        if parameter not in into:
            into.append(parameter)
        return parameter.value

    def chance(self, embryo: str, age: int) -> float:
        chance = self.catalogue.chance_for(embryo, age)
        if chance not in self.read:
            self.read.append(chance)
        return chance.chance

    def find_chance(self, embryo: str, stage: str, age: int) -> float | None:
        """An embryo's chance by PGT-A kind, stage and age at retrieval; None when the
        catalogue has no row for it (the transfer is then listed, not counted)."""
        chance = self.catalogue.find_chance(embryo, age, stage)
        if chance is None:
            return None
        if chance not in self.read:
            self.read.append(chance)
        return chance.chance

    def statement(self, code: str):
        statement = self.catalogue.statement(code)
        if statement not in self.read:
            self.read.append(statement)
        return statement

    def say(self, code: str, **values) -> str:
        """A catalogue statement's text, filled in; the statement's review and sources then
        travel with whatever the rule returns."""
        return fill(self.statement(code).text, **values)

    def review(self, *entries: Entry) -> str:
        every = list(entries) + self.read + self.uncited
        return PENDING if any(e.review != VERIFIED for e in every) else VERIFIED

    def sources(self, *keys: str) -> list[str]:
        out: list[str] = []
        for key in list(keys) + [k for e in self.read for k in e.sources]:
            if key not in out:
                out.append(key)
        return out


def _fmt(number: float) -> str:
    return f"{number:g}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _percent(fraction: float) -> str:
    return f"{round(fraction * 100)}%"


# Statements the engine says: each must be in the catalogue (a test checks the fixture).
STATEMENTS = (
    NO_SOURCE,
    "lugano_caution",
    "euploid_cumulative",
    "ce_persistent_after_second_line",
    "aps_strength_recommended",
    "aps_strength_research",
    "aps_strength_none",
    "aps_strength_unknown",
    "addon_views_differ",
    "hfea_green",
    "hfea_amber",
    "hfea_grey",
    "hfea_black",
    "hfea_red",
    "thyroid_hypothyroid",
    "thyroid_tpo_levothyroxine",
    "bologna_natural_not_counted",
    "bologna_mild_not_counted",
    "rif_verdict_rif",
    "rif_verdict_not_yet",
    "rif_no_failures",
    "rif_not_recorded",
    "rif_none_counted",
    "poseidon_unconventional_not_counted",
    "gate_rif_labelled",
    "gate_too_early",
    "gate_rpl",
    "gate_endometritis_signs",
    "checklist_everyone",
    "pgta_untested_failures",
    "aps_repeat_due",
    *transfers.STATEMENTS,
)


def claim(catalogue: Catalogue, code: str, **values) -> dict:
    """A catalogue statement as the answer carries it: its words, review status and sources."""
    statement = catalogue.statement(code)
    return with_source_note(
        {
            "code": code,
            "name": statement.name,
            "text": fill(statement.text, **values),
            "plain": fill(statement.plain, **values),
            "review": statement.review,
            "sources": list(statement.sources),
        },
        catalogue,
    )


def with_source_note(item: dict, catalogue: Catalogue) -> dict:
    """An item that cites no source says so in the catalogue's words (never a borrowed key)."""
    if not item["sources"]:
        item["source_note"] = catalogue.statement(NO_SOURCE).text
    return item


# --- 1. the RIF label --------------------------------------------------------------------------


def cumulative_implantation_chance(facts: Facts, trace: Trace):
    """1 - product(1 - p_i) over the failed transfers; p_i from the catalogue's chances.

    With the transfers recorded one by one (contract 2), each failed transfer counts the chance
    of its own embryos, stage and age at retrieval (``transfers.price_transfers``); one the
    catalogue has no chance for is listed, not counted. With the contract-1 counts, euploid
    transfers use the euploid chance and the others the untested chance at the patient's
    current age (the age of each transfer is not recorded). Sources: eshre-rif-2023.
    Returns (chance, or None when the number of failed transfers is unknown; one entry per
    counted failed transfer with the cumulative chance after it; the transfers not counted).
    """
    if facts.transfers is not None:
        return transfers.price_transfers(facts.transfers, trace)
    if facts.failed_transfers is None:
        return None, [], []
    return transfers.price_counts(facts, trace)


def _count_groups(entries: list[dict]) -> list[dict]:
    """Contract-1 entries grouped for the reason: "3 untested at 38% each"."""
    groups: dict[str, dict] = {}
    for entry in entries:
        embryo = entry["embryos"][0]["pgta"]
        group = groups.setdefault(embryo, {"embryo": embryo, "count": 0, "chance": entry["chance"]})
        group["count"] += 1
    return list(groups.values())


def rif_verdict(trace: Trace, label: str, *, over: str, chance: float, threshold: float, used):
    """The label's reason in the catalogue's words: over how many failed transfers, the
    cumulative chance against the threshold, and the chances used."""
    code = "rif_verdict_rif" if label == "rif" else "rif_verdict_not_yet"
    return trace.say(
        code, over=over, chance=_percent(chance), threshold=_percent(threshold), used=used
    )


def _count_reason(trace, label: str, chance: float, threshold: float, facts: Facts, entries):
    """The RIF reason for the contract-1 counts: how many of each kind, at which chance."""
    used = "; ".join(
        f"{g['count']} {g['embryo']} at {_percent(g['chance'])} each"
        for g in _count_groups(entries)
    )
    n = facts.failed_transfers
    if n == 0:
        return trace.say("rif_no_failures")
    over = f"{n} failed transfer{'s' if n != 1 else ''}"
    return rif_verdict(
        trace, label, over=over, chance=chance, threshold=threshold, used=f"{used}; age {facts.age}"
    )


def rif_label(facts: Facts, catalogue: Catalogue) -> dict:
    """Label RIF once the cumulative predicted chance has passed the threshold (60%).

    Sources: eshre-rif-2023 (counselling trigger); lugano-2023 and busnelli-2020 for the caution
    that early labels are often false positives.
    """
    trace = Trace(catalogue)
    threshold = trace.value("rif_threshold")
    chance, entries, not_counted = cumulative_implantation_chance(facts, trace)
    sources = ["eshre-rif-2023"]
    if chance is None:
        label = "not_yet"
        reason = trace.say("rif_not_recorded")
    else:
        # Rounded to 9 places so that 1 - (1 - 0.6) compares equal to 0.6.
        label = "rif" if round(chance, 9) > threshold else "not_yet"
        if facts.transfers is not None:
            reason = transfers.rif_reason(
                trace, label, chance, threshold, facts, entries, not_counted
            )
        else:
            reason = _count_reason(trace, label, chance, threshold, facts, entries)
    return {
        "label": label,
        "cumulative_chance": None if chance is None else round(chance, 2),
        "reason": reason,
        "threshold": threshold,
        "transfers": entries,
        "not_counted": not_counted,
        "notes": transfers.notes(facts, catalogue, entries),
        "review": trace.review(),
        "sources": trace.sources(*sources),
    }


# --- 2. classifications ------------------------------------------------------------------------


def _reserve(facts: Facts, amh_limit: float, afc_limit: float):
    """'low', 'normal' or None (unknown), and the facts it rests on."""
    used = {}
    low = False
    if facts.amh is not None:
        used["amh_ng_ml"] = facts.amh.ng_ml
        low = low or facts.amh.ng_ml < amh_limit
    if facts.afc is not None:
        used["afc"] = facts.afc
        low = low or facts.afc < afc_limit
    if low:
        return "low", used
    if facts.amh is not None and facts.afc is not None:
        return "normal", used
    return None, used


def poseidon_group(facts: Facts, catalogue: Catalogue) -> dict:
    """POSEIDON low-prognosis group (1-4) and subgroup (a/b for groups 1 and 2).

    Normal reserve is AMH >= 1.2 ng/mL and AFC >= 5; groups 3 and 4 have low reserve, split at
    age 35; groups 1 and 2 have normal reserve and an unexpected poor (< 4 oocytes: a) or
    suboptimal (4-9: b) response in a previous cycle (the best previous cycle is used).
    Source: poseidon-2016.
    """
    trace = Trace(catalogue)
    age_limit = trace.value("poseidon_age")
    reserve, used = _reserve(facts, trace.value("poseidon_amh"), trace.value("poseidon_afc"))
    poor_below = trace.value("poseidon_poor_oocytes")
    suboptimal_below = trace.value("poseidon_suboptimal_oocytes")
    used["age"] = facts.age
    older = facts.age >= age_limit
    group = subgroup = None
    status = "unknown"
    if reserve == "low":
        group = 4 if older else 3
        status = "low_prognosis"
        reason = (
            f"Low ovarian reserve (AMH below {_fmt(trace.value('poseidon_amh'))} ng/mL or AFC "
            f"below {_fmt(trace.value('poseidon_afc'))}) at age {facts.age}: group {group}."
        )
    elif reserve is None:
        reason = "AMH and AFC are both needed to call the ovarian reserve normal."
    elif facts.previous_cycles is None:
        reason = "Normal reserve; groups 1 and 2 need the oocytes of a previous cycle."
    elif not _conventional(facts.previous_cycles):
        status = "not_low_prognosis"
        reason = "Normal reserve and no previous stimulation: no POSEIDON group."
        if facts.previous_cycles:
            # Natural and mild cycles aim at few oocytes: their yield is no unexpected response.
            reason = trace.say("poseidon_unconventional_not_counted")
    else:
        best = max(c.oocytes for c in _conventional(facts.previous_cycles))
        used["best_previous_oocytes"] = best
        if best < suboptimal_below:
            group = 2 if older else 1
            subgroup = f"{group}{'a' if best < poor_below else 'b'}"
            status = "low_prognosis"
            reason = (
                f"Normal reserve but an unexpected {'poor' if best < poor_below else 'suboptimal'}"
                f" response ({best} oocytes at best) at age {facts.age}: group {subgroup}."
            )
        else:
            status = "not_low_prognosis"
            reason = (
                f"Normal reserve and {best} oocytes in the best previous cycle: not a POSEIDON "
                "low-prognosis patient."
            )
    return {
        "value": group,
        "subgroup": subgroup,
        "status": status,
        "reason": reason,
        "facts_used": used,
        "review": trace.review(),
        "sources": trace.sources("poseidon-2016"),
    }


def _conventional(cycles: tuple[Cycle, ...]) -> list[Cycle]:
    """Cycles of conventional stimulation: natural and mild cycles aim at few oocytes, so
    their count says nothing about a poor response. A cycle of unknown protocol counts."""
    return [c for c in cycles if c.protocol not in ("natural", "mild")]


def bologna_poor_responder(facts: Facts, catalogue: Catalogue) -> dict:
    """Bologna criteria: at least 2 of age >= 40, a previous poor response (<= 3 oocytes with
    conventional stimulation: natural and mild cycles do not count, mild pending review), an
    abnormal ovarian reserve test (AFC below 5-7 or AMH below 0.5-1.1 ng/mL; the catalogue sets
    the cut-off within that band). Two poor responses after maximal stimulation suffice on their
    own. Null while a missing fact could still decide it: with no previous cycles recorded, the
    previous response alone could make it "yes". Source: bologna-2011.
    """
    trace = Trace(catalogue)
    age_limit = trace.value("bologna_age")
    poor_max = trace.value("bologna_poor_oocytes")
    amh_limit = trace.value("bologna_amh")
    afc_limit = trace.value("bologna_afc")
    used: dict = {"age": facts.age}
    met: list[str] = []
    unknown: list[str] = []
    notes: list[str] = []
    decisive_unknown = False

    def result(value, reason):
        if notes:
            reason = f"{reason} {' '.join(notes)}"
        return {
            "value": value,
            "reason": reason,
            "facts_used": used,
            "review": trace.review(),
            "sources": trace.sources("bologna-2011"),
        }

    if facts.age >= age_limit:
        met.append(f"age {facts.age} (at least {_fmt(age_limit)})")

    cycles = facts.previous_cycles
    if cycles is None:
        # Not known: a previous poor response, or two after maximal stimulation, could decide.
        unknown.append("previous response")
        decisive_unknown = True
    else:
        used["previous_oocytes"] = [c.oocytes for c in cycles]
        conventional = _conventional(cycles)
        natural = [c for c in cycles if c.protocol == "natural"]
        mild = [c for c in cycles if c.protocol == "mild"]
        if natural:
            notes.append(trace.say("bologna_natural_not_counted", count=len(natural)))
        if mild:
            notes.append(trace.say("bologna_mild_not_counted", count=len(mild)))
        if natural or mild:
            used["conventional_oocytes"] = [c.oocytes for c in conventional]
        poor = [c for c in conventional if c.oocytes <= poor_max]
        if poor:
            met.append(f"previous poor response ({poor[0].oocytes} oocytes)")
        maximal = [c for c in poor if c.maximal_stimulation]
        maybe = [c for c in poor if c.maximal_stimulation is None]
        if len(maximal) >= 2:
            return result(True, "Two poor responses after maximal stimulation: poor responder.")
        if len(maximal) + len(maybe) >= 2:
            unknown.append("whether stimulation was maximal in the poor cycles")
            decisive_unknown = True

    abnormal = []
    if facts.amh is not None:
        used["amh_ng_ml"] = facts.amh.ng_ml
        if facts.amh.ng_ml < amh_limit:
            abnormal.append(f"AMH {_fmt(round(facts.amh.ng_ml, 2))} ng/mL below {_fmt(amh_limit)}")
    if facts.afc is not None:
        used["afc"] = facts.afc
        if facts.afc < afc_limit:
            abnormal.append(f"AFC {facts.afc} below {_fmt(afc_limit)}")
    if abnormal:
        met.append("abnormal reserve test (" + "; ".join(abnormal) + ")")
    elif facts.amh is None or facts.afc is None:
        unknown.append("ovarian reserve test")

    if len(met) >= 2:
        return result(True, "Poor responder: " + ", ".join(met) + ".")
    if decisive_unknown or len(met) + len(unknown) >= 2:
        return result(
            None,
            "Undecided: "
            + (", ".join(met) + " met; " if met else "")
            + "not known: "
            + ", ".join(unknown)
            + ".",
        )
    if met:
        reason = f"Not a poor responder: one criterion met, {met[0]}; at least 2 are needed."
    else:
        reason = "Not a poor responder: no criterion met."
    if unknown:
        reason += " Not known: " + ", ".join(unknown) + "."
    return result(False, reason)


def hyper_response_risk(facts: Facts, catalogue: Catalogue) -> dict:
    """Risk of hyper-response (>= 15 oocytes, HERA): AMH > 3.36 ng/mL, AFC > 24, or more than
    11 oocytes in a previous cycle. Decided from the markers that are known; None when none is.
    Sources: hera-2023, hochberg-2025.
    """
    trace = Trace(catalogue)
    amh_limit = trace.value("hyper_amh")
    afc_limit = trace.value("hyper_afc")
    oocyte_limit = trace.value("hyper_previous_oocytes")
    hyper = trace.value("hyper_response_oocytes")
    used: dict = {}
    markers: list[str] = []
    unknown: list[str] = []
    if facts.amh is None:
        unknown.append("AMH")
    else:
        used["amh_ng_ml"] = facts.amh.ng_ml
        if facts.amh.ng_ml > amh_limit:
            markers.append(f"AMH {_fmt(round(facts.amh.ng_ml, 2))} ng/mL above {_fmt(amh_limit)}")
    if facts.afc is None:
        unknown.append("AFC")
    else:
        used["afc"] = facts.afc
        if facts.afc > afc_limit:
            markers.append(f"AFC {facts.afc} above {_fmt(afc_limit)}")
    if facts.previous_cycles is None:
        unknown.append("previous response")
    elif facts.previous_cycles:
        best = max(c.oocytes for c in facts.previous_cycles)
        used["best_previous_oocytes"] = best
        if best >= hyper:
            markers.append(f"a previous hyper-response ({best} oocytes)")
        elif best > oocyte_limit:
            markers.append(f"{best} oocytes previously (more than {_fmt(oocyte_limit)})")
    if markers:
        value = True
        reason = "Risk of hyper-response: " + "; ".join(markers) + "."
    elif len(unknown) == 3:
        value = None
        reason = "No marker known yet (AMH, AFC, previous response)."
    else:
        value = False
        reason = "No hyper-response marker."
        if unknown:
            reason += " Not known: " + ", ".join(unknown) + "."
    return {
        "value": value,
        "reason": reason,
        "facts_used": used,
        "review": trace.review(),
        "sources": trace.sources("hera-2023", "hochberg-2025"),
    }


def classify(facts: Facts, catalogue: Catalogue) -> dict:
    poseidon = poseidon_group(facts, catalogue)
    bologna = bologna_poor_responder(facts, catalogue)
    hyper = hyper_response_risk(facts, catalogue)
    return {
        "poseidon_group": poseidon["value"],
        "poseidon_subgroup": poseidon["subgroup"],
        "bologna_poor_responder": bologna["value"],
        "hyper_response_risk": hyper["value"],
        "details": {
            "poseidon_group": poseidon,
            "bologna_poor_responder": bologna,
            "hyper_response_risk": hyper,
        },
    }


# --- 3. the checklist --------------------------------------------------------------------------

# When an investigation counts as done: its facts are recorded. An investigation the catalogue
# adds later, with no facts of its own, stays pending until a clinician decides.
DONE_WHEN: dict[str, Callable[[Facts], bool]] = {
    "lifestyle": lambda f: f.smoker is not None and f.bmi is not None,
    "thyroid": lambda f: f.tsh is not None and f.tpo_positive is not None,
    "aps_screen": lambda f: f.aps in ("negative", "single_positive", "confirmed"),
    "karyotype": lambda f: f.karyotype is not None,
    "embryo_review": lambda f: bool(f.embryo_review and f.embryo_review.done),
    "pgta": lambda f: bool(f.pgta and (f.pgta.done or f.pgta.discussed)),
    "uterine_imaging": lambda f: bool(f.uterine_imaging and f.uterine_imaging.done),
    "hysteroscopy": lambda f: bool(f.hysteroscopy and f.hysteroscopy.done),
    "ce_biopsy": lambda f: bool(f.ce_biopsy and f.ce_biopsy.done),
    "hydrosalpinx_check": lambda f: f.hydrosalpinx is not None,
    "adenomyosis_imaging": lambda f: f.adenomyosis is not None,
    "ovarian_reserve": lambda f: f.amh is not None and f.afc is not None,
    "response_review": lambda f: f.previous_cycles is not None,
}


def gated_investigation_indicated(code: str, facts: Facts, rif: dict, trace: Trace):
    """The investigations that 'could be considered' in RIF (hysteroscopy, ce_biopsy, karyotype,
    aps_screen) are indicated once RIF is labelled, when a clinician adds them, aps_screen also
    after recurrent pregnancy loss, and ce_biopsy when hysteroscopy saw signs of endometritis.
    Sources: eshre-rif-2023, eshre-rpl-2017, eshre-addons-2023.
    Returns the reason it is indicated, or None.
    """
    if code in facts.indicated_by_clinician:
        return "Added by the clinician."
    if rif["label"] == "rif":
        return trace.say("gate_rif_labelled")
    if code == "aps_screen" and facts.miscarriages is not None:
        losses = trace.value("rpl_losses")
        if facts.miscarriages >= losses:
            return _capital(trace.say("gate_rpl", losses_words=_losses_words(facts.miscarriages)))
    if code == "ce_biopsy" and facts.hysteroscopy and facts.hysteroscopy.endometritis_signs:
        return trace.say("gate_endometritis_signs")
    return None


def build_checklist(facts: Facts, catalogue: Catalogue, rif: dict) -> list[dict]:
    """Every investigation of the catalogue, by pillar, with its status for these facts."""
    items = []
    for inv in catalogue.investigations.values():
        trace = Trace(catalogue)
        done = DONE_WHEN.get(inv.code, lambda f: False)(facts)
        clinician_reason = facts.not_indicated_reason(inv.code)
        if done:
            status, reason = "done", "Findings recorded."
        elif clinician_reason:
            status, reason = "not_indicated", clinician_reason
        elif inv.gated:
            why = gated_investigation_indicated(inv.code, facts, rif, trace)
            if why:
                status, reason = "pending", why
            else:
                status = "not_indicated"
                chance = rif["cumulative_chance"]
                known = f" (cumulative chance {_percent(chance)})" if chance is not None else ""
                reason = trace.say("gate_too_early", chance=known)
        else:
            status, reason = "pending", trace.say("checklist_everyone")
        untested = facts.untested_failed_transfers
        if inv.code == "pgta" and status == "pending" and untested:
            # One piece of advice with pgta_discuss (reference section 8): said here, once.
            s = "s" if untested != 1 else ""
            failures = f"{untested} failed transfer{s}"
            reason = trace.say("pgta_untested_failures", failures=failures)
        items.append(
            {
                "code": inv.code,
                "pillar": inv.pillar,
                "name": inv.name,
                "status": status,
                "reason": reason,
                "stance": inv.stance,
                "gated": inv.gated,
                "review": trace.review(inv),
                "sources": trace.sources(*inv.sources),
            }
        )
        with_source_note(items[-1], catalogue)
    pillar_order = {p: i for i, p in enumerate(("general", "embryo", "uterus", "stimulation"))}
    items.sort(key=lambda i: pillar_order.get(i["pillar"], 99))
    return items


# --- 4. findings and the next steps they call for ----------------------------------------------


# A suggestion whose stance is the catalogue entry's own.
CATALOGUE_STANCE = "catalogue"


@dataclass(frozen=True)
class Suggestion:
    code: str
    trigger: str
    stance: str | None = CATALOGUE_STANCE
    # For this patient the step says something else than its catalogue summary (the APS
    # treatment without a recommendation): the words of the catalogue statement that says it.
    summary: str | None = None
    plain: str | None = None
    # The reasons it names rest on entries still pending review (a classification's cut-offs):
    # the step is shown pending too, whatever its own entry's status.
    basis_pending: bool = False


def _biopsy(facts: Facts) -> CeBiopsy:
    return facts.ce_biopsy or CeBiopsy()


def _first_line_given(facts: Facts) -> bool:
    return bool(_biopsy(facts).treated) or "ce_antibiotics" in facts.completed_actions


def polyp_needs_polypectomy(facts: Facts, trace: Trace):
    """Endometrial polyp: hysteroscopic removal before the next transfer. Standard practice; no
    source in the catalogue yet (pending review)."""
    if facts.hysteroscopy and facts.hysteroscopy.polyp:
        return Suggestion("polypectomy", "Hysteroscopy found an endometrial polyp.")


def fibroid_needs_resection(facts: Facts, trace: Trace):
    """Submucosal fibroid: hysteroscopic resection, a specialist decision. No source in the
    catalogue yet (pending review)."""
    if facts.hysteroscopy and facts.hysteroscopy.submucosal_fibroid:
        return Suggestion("fibroid_resection", "Hysteroscopy found a submucosal fibroid.")


def adhesions_need_adhesiolysis(facts: Facts, trace: Trace):
    """Intrauterine adhesions: hysteroscopic adhesiolysis. No source in the catalogue yet."""
    if facts.hysteroscopy and facts.hysteroscopy.adhesions:
        return Suggestion("adhesiolysis", "Hysteroscopy found intrauterine adhesions.")


def septum_needs_review(facts: Facts, trace: Trace):
    """Uterine septum: specialist review; the benefit of resection is contested. No source in
    the catalogue yet (pending review)."""
    if facts.hysteroscopy and facts.hysteroscopy.septum:
        return Suggestion("septum_review", "Hysteroscopy found a uterine septum.")


def endometritis_needs_antibiotics(facts: Facts, trace: Trace):
    """CD138-positive biopsy: antibiotics (doxycycline first line), never immune suppressants.
    Source: kitaya-2017."""
    if _biopsy(facts).cd138_positive and not _first_line_given(facts):
        return Suggestion("ce_antibiotics", "The endometrial biopsy is CD138-positive.")


def treated_endometritis_needs_rebiopsy(facts: Facts, trace: Trace):
    """After antibiotics, confirm cure with a repeat biopsy before transfer: treatment without
    confirmed cure showed no benefit. Source: vitagliano-2018."""
    biopsy = _biopsy(facts)
    if _first_line_given(facts) and biopsy.rebiopsy_negative is None:
        return Suggestion("ce_rebiopsy", "Antibiotics given; cure not yet confirmed.")
    if biopsy.second_line_treated and biopsy.second_line_rebiopsy_negative is None:
        return Suggestion("ce_rebiopsy", "Second-line antibiotics given; cure not yet confirmed.")


def persistent_endometritis_needs_second_line(facts: Facts, trace: Trace):
    """Endometritis persisting after first-line antibiotics: metronidazole plus ciprofloxacin.
    Source: kitaya-2017."""
    biopsy = _biopsy(facts)
    if biopsy.rebiopsy_negative is False and not biopsy.second_line_treated:
        return Suggestion(
            "ce_second_line", "The re-biopsy after first-line antibiotics is positive."
        )


def hydrosalpinx_needs_surgery(facts: Facts, trace: Trace):
    """Hydrosalpinx: salpingectomy or proximal tubal occlusion before the next transfer. Well
    established, but no source in the catalogue yet (pending review)."""
    if facts.hydrosalpinx:
        return Suggestion("hydrosalpinx_surgery", "Hydrosalpinx found.")


def adenomyosis_needs_plan(facts: Facts, trace: Trace):
    """Adenomyosis: a specialist plan; GnRH-agonist pretreatment before a frozen transfer may be
    considered. No source in the catalogue yet (pending review)."""
    if facts.adenomyosis:
        return Suggestion("adenomyosis_plan", "Adenomyosis found on imaging.")


def _losses_words(losses: int | None) -> str:
    """The losses counted in words for the APS statements: "1 pregnancy loss", "no ..."."""
    if losses is None:
        return "an unknown number of pregnancy losses"
    if losses == 0:
        return "no pregnancy losses"
    return f"{losses} pregnancy loss{'' if losses == 1 else 'es'}"


def aps_treatment_strength(facts: Facts, trace: Trace) -> tuple[str | None, str, dict]:
    """How strongly aspirin plus heparin is advised with confirmed APS, by pregnancy losses:
    recommended with 3 or more (conditional, very low quality evidence), only within research
    with 2 (good practice point); with fewer the catalogue has no recommendation for RIF.
    Source: eshre-rpl-2017. Returns (stance, statement code, values for its text); the step and
    the heparin and aspirin flags all say it with this one statement."""
    recommended = trace.value("aps_treatment_losses")
    research = trace.value("aps_research_losses")
    losses = facts.miscarriages
    values = {
        "losses": "an unknown number of" if losses is None else str(losses),
        "losses_words": _losses_words(losses),
        "recommended_losses": _fmt(recommended),
        "research_losses": _fmt(research),
    }
    if losses is None:
        return None, "aps_strength_unknown", values
    if losses >= recommended:
        return "recommended", "aps_strength_recommended", values
    if losses >= research:
        return "not_routine", "aps_strength_research", values
    return None, "aps_strength_none", values


def confirmed_aps_needs_treatment(facts: Facts, trace: Trace):
    """Confirmed antiphospholipid syndrome: low-dose aspirin plus prophylactic heparin, with the
    strength the losses give (``aps_treatment_strength``). Source: eshre-rpl-2017."""
    if facts.aps != "confirmed":
        return None
    stance, code, values = aps_treatment_strength(facts, trace)
    if stance == "recommended":
        return Suggestion("aps_treatment", trace.say(code, **values), stance=stance)
    # Without a recommendation for this patient the regimen is not the advice: the step says
    # what the statement says (research only; discuss with a specialist; record the losses).
    statement = trace.statement(code)
    return Suggestion(
        "aps_treatment",
        "Antiphospholipid syndrome confirmed.",
        stance=stance,
        summary=fill(statement.text, **values),
        plain=fill(statement.plain, **values),
    )


def single_positive_aps_needs_repeat(facts: Facts, trace: Trace):
    """One positive antiphospholipid test: repeat after at least 12 weeks before diagnosing APS.
    Source: eshre-rpl-2017 for the persistence criterion; the interval has no source in the
    catalogue yet (pending review)."""
    if facts.aps == "single_positive":
        weeks = trace.value("aps_repeat_weeks")
        return Suggestion("aps_confirm", trace.say("aps_repeat_due", weeks=_fmt(weeks)))


def thyroid_needs_treatment(facts: Facts, trace: Trace):
    """TSH above the reference range: treat hypothyroidism. TPO-positive with TSH 2.5-4.0 plus
    an ovarian cause, age over 35 or recurrent miscarriage: levothyroxine may be considered.
    Levothyroxine is not routine for euthyroid TPO-positive women; women on levothyroxine aim
    for a TSH below 2.5 mIU/L before ART. Source: eta-2021."""
    if facts.tsh is None:
        return None
    upper = trace.value("tsh_upper")
    target = trace.value("tsh_levothyroxine_target")
    if facts.tsh > upper:
        return Suggestion(
            "thyroid_treatment",
            trace.say(
                "thyroid_hypothyroid", tsh=_fmt(facts.tsh), upper=_fmt(upper), target=_fmt(target)
            ),
            stance="recommended",
        )
    lower = trace.value("tsh_tpo_lower")
    if not (facts.tpo_positive and lower <= facts.tsh <= upper):
        return None
    reasons = []
    if facts.age > trace.value("thyroid_age"):
        reasons.append(f"age {facts.age}")
    # Recurrent miscarriage and low reserve are the guideline's factors (eta-2021); the
    # thresholds that recognise them are read for their review status, not cited for the advice.
    losses = trace.value("rpl_losses", cite=False)
    if facts.miscarriages is not None and facts.miscarriages >= losses:
        reasons.append(f"{facts.miscarriages} miscarriages")
    reserve, _ = _reserve(
        facts, trace.value("poseidon_amh", cite=False), trace.value("poseidon_afc", cite=False)
    )
    if reserve == "low":
        reasons.append("low ovarian reserve")
    if reasons:
        return Suggestion(
            "thyroid_treatment",
            trace.say(
                "thyroid_tpo_levothyroxine",
                tsh=_fmt(facts.tsh),
                reasons=", ".join(reasons),
                target=_fmt(target),
            ),
            stance="consider",
        )


def suppressed_tsh_needs_check(facts: Facts, trace: Trace):
    """TSH below the laboratory range (the catalogue's lower limit, pending review): check free
    T4 and T3; with hyperthyroidism, restore and keep euthyroidism for several months before
    ART. Source: eta-2021."""
    if facts.tsh is None:
        return None
    lower = trace.value("tsh_lower")
    if facts.tsh < lower:
        return Suggestion(
            "thyroid_suppressed", f"TSH {_fmt(facts.tsh)} mIU/L is below {_fmt(lower)}."
        )


def smoking_needs_support(facts: Facts, trace: Trace):
    """Smoking (the woman's, and passive) is likely to reduce fertility: offer help to stop.
    Source: nice-cg156. Only for a smoker: a non-smoker is never told to stop smoking."""
    if facts.smoker:
        return Suggestion("smoking_support", "Smokes.")


def weight_needs_support(facts: Facts, trace: Trace):
    """It takes longer to conceive with a BMI under 19 or of 30 and over: weight support is
    suggested outside that range (catalogue parameters). Source: nice-cg156."""
    if facts.bmi is None:
        return None
    low, high = trace.value("bmi_lower"), trace.value("bmi_upper")
    if facts.bmi < low:
        return Suggestion("weight_support", f"BMI {_fmt(facts.bmi)} kg/m², below {_fmt(low)}.")
    if facts.bmi >= high:
        return Suggestion("weight_support", f"BMI {_fmt(facts.bmi)} kg/m², {_fmt(high)} or over.")


def alcohol_needs_advice(facts: Facts, trace: Trace):
    """Women trying to conceive: no more than 1 or 2 units once or twice a week. Source:
    nice-cg156 (the weekly limit the catalogue derives from it is pending review)."""
    if facts.alcohol_units_week is None:
        return None
    limit = trace.value("alcohol_units_week_max")
    if facts.alcohol_units_week > limit:
        return Suggestion(
            "alcohol_advice",
            f"{facts.alcohol_units_week} units of alcohol a week, more than {_fmt(limit)}.",
        )


def abnormal_karyotype_needs_counselling(facts: Facts, trace: Trace):
    """Abnormal karyotype: refer for genetic counselling. No source in the catalogue yet."""
    if facts.karyotype == "abnormal":
        return Suggestion("genetic_counselling", "Abnormal karyotype.")


def untested_failures_need_pgta_discussion(facts: Facts, trace: Trace):
    """Failed transfers of untested embryos: discuss PGT-A with its limits (HFEA red for live
    birth, fewer embryos to transfer, mosaic uncertainty). Sources: hfea-addons, pgdis-2019.
    The ``pgta`` investigation is the same advice: while the catalogue has it, the checklist
    says it (once), and this step stays silent."""
    if "pgta" in trace.catalogue.investigations:
        return None
    untested = facts.untested_failed_transfers
    pgta = facts.pgta
    if untested and not (pgta and (pgta.done or pgta.discussed)):
        s = "s" if untested != 1 else ""
        return Suggestion("pgta_discuss", f"{untested} failed transfer{s} of untested embryos.")


FINDING_RULES = (
    polyp_needs_polypectomy,
    fibroid_needs_resection,
    adhesions_need_adhesiolysis,
    septum_needs_review,
    endometritis_needs_antibiotics,
    treated_endometritis_needs_rebiopsy,
    persistent_endometritis_needs_second_line,
    hydrosalpinx_needs_surgery,
    adenomyosis_needs_plan,
    confirmed_aps_needs_treatment,
    single_positive_aps_needs_repeat,
    thyroid_needs_treatment,
    suppressed_tsh_needs_check,
    smoking_needs_support,
    weight_needs_support,
    alcohol_needs_advice,
    abnormal_karyotype_needs_counselling,
    untested_failures_need_pgta_discussion,
)


def stimulation_plan_step(classification: dict, predicted: dict | None = None) -> Suggestion:
    """Every work-up: set dose and protocol by age, AMH, AFC and previous response; tailoring
    cuts OHSS risk in predicted high responders. Names the predicted response (the
    ``stimulation`` block's). Source: broekmans-2019."""
    parts = []
    if predicted is not None:
        response = predicted.get("predicted_response")
        parts.append(
            f"predicted {response} response" if response else "predicted response not known yet"
        )
    group = classification["poseidon_group"]
    if group is not None:
        parts.append(f"POSEIDON group {classification['poseidon_subgroup'] or group}")
    bologna = classification["bologna_poor_responder"]
    if bologna is not None:
        parts.append("Bologna poor responder" if bologna else "not a Bologna poor responder")
    hyper = classification["hyper_response_risk"]
    if hyper is not None:
        parts.append("risk of hyper-response" if hyper else "no hyper-response marker")
    trigger = "; ".join(parts) + "." if parts else "Classifications need AMH, AFC and history."
    named = [
        detail
        for key, detail in classification["details"].items()
        if classification[key] is not None
    ]
    if predicted is not None and predicted.get("predicted_response"):
        named.append(predicted)
    pending = any(d.get("review") != VERIFIED for d in named)
    return Suggestion("stimulation_plan", trigger[0].upper() + trigger[1:], basis_pending=pending)


# Tracked before the smoking and weight steps were separate: marking it done closes both.
LEGACY_LIFESTYLE = {"smoking_support", "weight_support"}


def next_steps(
    facts: Facts,
    catalogue: Catalogue,
    checklist: list[dict],
    classification: dict,
    stimulation: dict | None = None,
) -> list[dict]:
    """Pending indicated investigations (``kind: investigation``, each once, as on the
    checklist) and the steps findings call for (``kind: action``), ordered by rank."""
    steps: list[tuple[int, str, dict]] = []
    for item in checklist:
        if item["status"] != "pending":
            continue
        inv = catalogue.investigations[item["code"]]
        steps.append(
            (
                inv.rank,
                inv.code,
                with_source_note(
                    {
                        "code": inv.code,
                        "kind": "investigation",
                        "pillar": inv.pillar,
                        "name": inv.name,
                        "summary": inv.summary,
                        "plain": inv.plain,
                        "rationale": item["reason"],
                        "trigger": item["reason"],
                        "stance": inv.stance,
                        "review": item["review"],
                        "sources": item["sources"],
                        "unverified_detail": inv.unverified_detail,
                    },
                    catalogue,
                ),
            )
        )
    suggestions: list[tuple[Suggestion, Trace]] = []
    for rule in FINDING_RULES:
        trace = Trace(catalogue)
        suggestion = rule(facts, trace)
        if suggestion is not None:
            suggestions.append((suggestion, trace))
    suggestions.append((stimulation_plan_step(classification, stimulation), Trace(catalogue)))

    done = set(facts.completed_actions)
    if "lifestyle_support" in done:
        done |= LEGACY_LIFESTYLE
    seen = set()
    for suggestion, trace in suggestions:
        if suggestion.code in done or suggestion.code in seen:
            continue
        if suggestion.code not in catalogue.next_steps:
            continue  # a step the clinical lead retired from the catalogue
        seen.add(suggestion.code)
        step = catalogue.next_steps[suggestion.code]
        stance = step.stance if suggestion.stance == CATALOGUE_STANCE else suggestion.stance
        steps.append(
            (
                step.rank,
                step.code,
                with_source_note(
                    {
                        "code": step.code,
                        "kind": "action",
                        "pillar": step.pillar,
                        "name": step.name,
                        "summary": suggestion.summary or step.summary,
                        "plain": suggestion.plain or step.plain,
                        "rationale": step.rationale,
                        "trigger": suggestion.trigger,
                        "stance": stance,
                        "review": PENDING if suggestion.basis_pending else trace.review(step),
                        "sources": trace.sources(*step.sources),
                        "unverified_detail": step.unverified_detail,
                    },
                    catalogue,
                ),
            )
        )
    steps.sort(key=lambda s: (s[0], s[1]))
    out = []
    for priority, (_, _, step) in enumerate(steps, start=1):
        out.append({"priority": priority, **step})
    return out


# --- 5. add-on flags ---------------------------------------------------------------------------


def addon_is_indicated(code: str, facts: Facts, catalogue: Catalogue) -> bool:
    """Heparin and low-dose aspirin are part of the APS treatment, not flagged, when APS is
    confirmed; how strongly is ``aps_treatment_strength``'s to say. Source: eshre-rpl-2017."""
    addon = catalogue.addons[code]
    return addon.indicated_when == "aps_confirmed" and facts.aps == "confirmed"


def _verdict(trace: Trace, code: str, stance: str | None = None, **values) -> dict:
    statement = trace.statement(code)
    verdict = claim(trace.catalogue, code, **values)
    verdict["stance"] = stance
    verdict["review"] = statement.review
    return verdict


def addon_flags(facts: Facts, catalogue: Catalogue) -> list[dict]:
    """One entry per requested add-on, with the ESHRE stance, HFEA rating (and what its colour
    means), documented risks and sources. An add-on that is part of the APS treatment says so
    with the strength that step has for this patient; one where ESHRE and the HFEA disagree
    shows both views. Sources: eshre-addons-2023, hfea-addons, eshre-rpl-2017 and each add-on's
    own."""
    flags = []
    for code in facts.addons_requested:
        addon = catalogue.addons[code]
        indicated = addon_is_indicated(code, facts, catalogue)
        trace = Trace(catalogue)
        verdict = None
        if indicated:
            stance, statement, values = aps_treatment_strength(facts, trace)
            verdict = _verdict(trace, statement, stance, **values)
        elif addon.eshre_stance == "recommended" and addon.hfea_rating not in (None, "green"):
            meaning = catalogue.statement(f"hfea_{addon.hfea_rating}").text
            verdict = _verdict(
                trace,
                "addon_views_differ",
                None,
                hfea=addon.hfea_rating,
                hfea_meaning=meaning,
            )
        flag = {
            "code": addon.code,
            "name": addon.name,
            "kind": addon.kind,
            "flagged": not indicated,
            "stance": addon.eshre_stance,
            "stance_note": addon.eshre_note,
            "hfea": addon.hfea_rating,
            "hfea_meaning": (
                claim(catalogue, f"hfea_{addon.hfea_rating}") if addon.hfea_rating else None
            ),
            "hfea_note": addon.hfea_note,
            "risks": list(addon.risks),
            "evidence": addon.evidence,
            "verdict": verdict,
            "review": trace.review(addon),
            "sources": trace.sources(*addon.sources),
        }
        if indicated:
            flag["indicated_reason"] = verdict["text"]
        flags.append(with_source_note(flag, catalogue))
    return flags


# --- 6. warnings -------------------------------------------------------------------------------


def cautions_for(facts: Facts, catalogue: Catalogue, rif: dict) -> list[dict]:
    """Cautions that do not fit a step, each a catalogue statement with its review status and
    sources. Sources: lugano-2023, busnelli-2020, pirtea-2021."""
    out = []
    minimum = catalogue.param("lugano_min_transfers").value
    counted = len(rif["transfers"])  # the failed transfers the chance counts
    if rif["label"] == "rif" and counted < minimum:
        out.append(
            claim(
                catalogue,
                "lugano_caution",
                failed=str(counted),
                minimum=_fmt(minimum),
            )
        )
        if facts.euploid_failed_transfers:
            out.append(claim(catalogue, "euploid_cumulative"))
    out.extend(transfers.cautions(facts, catalogue, rif))
    biopsy = _biopsy(facts)
    if biopsy.second_line_rebiopsy_negative is False:
        out.append(claim(catalogue, "ce_persistent_after_second_line"))
    return out


def warnings_for(facts: Facts, catalogue: Catalogue, cautions: list[dict]) -> list[str]:
    """The contract's warnings: plain strings (the cautions' texts, and what is missing)."""
    out = []
    if facts.failed_transfers is None:
        out.append(
            "The number of failed transfers is not recorded: the RIF label cannot be assessed yet."
        )
    out.extend(c["text"] for c in cautions)
    missing = [code for code in all_statements() if code not in catalogue.statements]
    if missing:
        out.append(
            "The evidence catalogue lacks the statements "
            + ", ".join(missing)
            + ": some advice is shown without its words. Run manage.py load_catalogue."
        )
    return out


def all_statements() -> tuple[str, ...]:
    """Every statement the engine says, its stimulation rules included."""
    from .stimulation import STATEMENTS as STIMULATION

    return STATEMENTS + tuple(c for c in STIMULATION if c not in STATEMENTS)


# --- the whole answer --------------------------------------------------------------------------


def assess(facts: Facts, catalogue: Catalogue) -> dict:
    """The contract's answer for these facts."""
    from .stimulation import stimulation as stimulation_block

    if facts.age is None:
        raise ValueError("The engine needs the patient's age.")
    rif = rif_label(facts, catalogue)
    classification = classify(facts, catalogue)
    stimulation = stimulation_block(facts, catalogue, classification)
    checklist = build_checklist(facts, catalogue, rif)
    cautions = cautions_for(facts, catalogue, rif)
    return {
        "contract": CONTRACT,
        "catalogue": {
            "version": catalogue.version,
            "reviewed_on": catalogue.reviewed_on,
            "revision": catalogue.revision,
            **catalogue.review_counts(),
        },
        "rif": rif,
        "classification": classification,
        "checklist": checklist,
        "next_steps": next_steps(facts, catalogue, checklist, classification, stimulation),
        "addon_flags": addon_flags(facts, catalogue),
        "stimulation": stimulation,
        "warnings": warnings_for(facts, catalogue, cautions),
        "cautions": cautions,
    }


def cited_sources(answer: dict) -> list[str]:
    """Every source key an answer cites, once each, in reading order: the label and its
    cautions, the checklist, the classifications and the stimulation plan, the next steps, the
    add-on flags. (Numbering is ``presenting.number_sources``, over this order.)"""
    from .stimulation import cited

    def keys() -> Iterable[str]:
        yield from answer["rif"]["sources"]
        for note in answer["rif"].get("notes", ()):
            yield from note["sources"]
        for caution in answer.get("cautions", ()):
            yield from caution["sources"]
        for item in answer["checklist"]:
            yield from item["sources"]
        for detail in answer["classification"]["details"].values():
            yield from detail["sources"]
        yield from cited(answer.get("stimulation"))
        for step in answer["next_steps"]:
            yield from step["sources"]
        for flag in answer["addon_flags"]:
            yield from flag["sources"]
            for part in (flag.get("verdict"), flag.get("hfea_meaning")):
                if part:
                    yield from part["sources"]

    return list(dict.fromkeys(keys()))


__all__ = ["assess", "cited_sources", "CONTRACT"]
