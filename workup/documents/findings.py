"""The stored findings in words, for the printed summary: "polyp found; no septum; ...".

This only puts recorded facts into words; it decides nothing. Unknown stays "not recorded",
which is not the same as "no": the engine keeps such an investigation pending, and the paper says
so. Each describer reads the engine's ``Facts`` (what the engine saw) and, for the few details
the engine does not use (test dates, the AMH unit as entered), the ``Findings`` row.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.formats import date_format

from workup.clinic.models import StimulationCycle
from workup.evidence.facts import AMH_PMOL_PER_NG, Facts

NOT_RECORDED = "not recorded"


def _number(value: float) -> str:
    return f"{value:g}"


def _day(value) -> str:
    return date_format(value)


def _flag(value: bool | None, found: str, absent: str, what: str) -> str:
    if value is None:
        return f"{what} {NOT_RECORDED}"
    return found if value else absent


def _join(parts: list[str]) -> str:
    return "; ".join(p for p in parts if p) or NOT_RECORDED


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def transfer_history(facts: Facts) -> str:
    """The facts behind the RIF label, in one line."""
    if facts.failed_transfers is None:
        transfers = f"failed transfers {NOT_RECORDED}"
    else:
        n = facts.failed_transfers
        transfers = f"{n} failed transfer{'s' if n != 1 else ''}"
        if facts.euploid_failed_transfers is not None:
            transfers += f" ({facts.euploid_failed_transfers} euploid)"
    if facts.miscarriages is None:
        losses = f"miscarriages {NOT_RECORDED}"
    else:
        m = facts.miscarriages
        losses = f"{m} miscarriage{'s' if m != 1 else ''}"
    return _sentence_case(_join([transfers, losses]))


def _lifestyle(facts: Facts, row) -> str:
    bmi = f"BMI {_number(facts.bmi)}" if facts.bmi is not None else f"BMI {NOT_RECORDED}"
    return _join([_flag(facts.smoker, "smoker", "non-smoker", "smoking"), bmi])


def _thyroid(facts: Facts, row) -> str:
    tsh = f"TSH {_number(facts.tsh)} mIU/L" if facts.tsh is not None else f"TSH {NOT_RECORDED}"
    tpo = _flag(
        facts.tpo_positive, "TPO antibodies positive", "TPO antibodies negative", "TPO antibodies"
    )
    return _join([tsh, tpo])


APS_WORDS = {
    "not_tested": "not tested",
    "negative": "negative",
    "single_positive": "positive once, not yet repeated",
    "confirmed": "confirmed (persistently positive)",
}


def _aps(facts: Facts, row) -> str:
    if facts.aps is None:
        return NOT_RECORDED
    parts = [APS_WORDS.get(facts.aps, facts.aps)]
    if row is not None and row.aps_first_test_date:
        parts.append(f"first test {_day(row.aps_first_test_date)}")
    if row is not None and row.aps_repeat_test_date:
        parts.append(f"repeat test {_day(row.aps_repeat_test_date)}")
    return _join(parts)


def _karyotype(facts: Facts, row) -> str:
    return facts.karyotype or NOT_RECORDED


def _procedure(result, row=None, date_column: str = "", findings=lambda r: []) -> str:
    """A procedure's line: not recorded, not done, or "done 2 Oct 2026" and what it found."""
    if result is None or result.done is None:
        return NOT_RECORDED
    if not result.done:
        return "not done"
    day = getattr(row, date_column, None) if row is not None and date_column else None
    return _join(["done" + (f" {_day(day)}" if day else ""), *findings(result)])


def _embryo_review(facts: Facts, row) -> str:
    return _procedure(facts.embryo_review)


def _uterine_imaging(facts: Facts, row) -> str:
    return _procedure(facts.uterine_imaging)


def _count(value: int | None, what: str) -> str:
    return f"{what} {NOT_RECORDED}" if value is None else f"{value} {what}"


def _pgta(facts: Facts, row) -> str:
    pgta = facts.pgta
    if pgta is None:
        return NOT_RECORDED
    parts = []
    if pgta.done:
        parts.append("PGT-A done")
        parts.append(
            ", ".join(
                [
                    _count(pgta.euploid, "euploid"),
                    _count(pgta.aneuploid, "aneuploid"),
                    _count(pgta.mosaic, "mosaic"),
                ]
                + ([f"{pgta.no_result} without result"] if pgta.no_result else [])
            )
        )
    elif pgta.done is False:
        parts.append("PGT-A not done")
    if pgta.discussed is not None:
        parts.append("discussed with the patient" if pgta.discussed else "not yet discussed")
    return _join(parts)


def _hysteroscopy_findings(h) -> list[str]:
    return [
        _flag(h.polyp, "polyp found", "no polyp", "polyp"),
        _flag(
            h.submucosal_fibroid,
            "submucosal fibroid found",
            "no submucosal fibroid",
            "submucosal fibroid",
        ),
        _flag(h.septum, "septum found", "no septum", "septum"),
        _flag(h.adhesions, "adhesions found", "no adhesions", "adhesions"),
        _flag(
            h.endometritis_signs,
            "signs of endometritis",
            "no signs of endometritis",
            "signs of endometritis",
        ),
    ]


def _hysteroscopy(facts: Facts, row) -> str:
    return _procedure(facts.hysteroscopy, row, "hysteroscopy_date", _hysteroscopy_findings)


def _biopsy_findings(b) -> list[str]:
    parts = [_flag(b.cd138_positive, "CD138 positive", "CD138 negative", "CD138 result")]
    if b.treated is not None:
        parts.append("antibiotics given" if b.treated else "antibiotics not given")
    if b.rebiopsy_negative is not None:
        parts.append("re-biopsy negative" if b.rebiopsy_negative else "re-biopsy still positive")
    elif b.treated:
        parts.append(f"re-biopsy {NOT_RECORDED}")
    if b.second_line_treated:
        parts.append("second-line antibiotics given")
    if b.second_line_rebiopsy_negative is not None:
        parts.append(
            "re-biopsy after second line negative"
            if b.second_line_rebiopsy_negative
            else "re-biopsy after second line still positive"
        )
    return parts


def _ce_biopsy(facts: Facts, row) -> str:
    return _procedure(facts.ce_biopsy, row, "ce_biopsy_date", _biopsy_findings)


def _hydrosalpinx(facts: Facts, row) -> str:
    return _flag(facts.hydrosalpinx, "hydrosalpinx found", "no hydrosalpinx", "result")


def _adenomyosis(facts: Facts, row) -> str:
    return _flag(facts.adenomyosis, "adenomyosis found", "no adenomyosis", "result")


def _ovarian_reserve(facts: Facts, row) -> str:
    if facts.amh is None:
        amh = f"AMH {NOT_RECORDED}"
    else:
        amh = f"AMH {_number(round(facts.amh.ng_ml, 2))} ng/mL"
        if row is not None and row.amh_unit == "pmol/L":
            amh += f" ({_number(round(facts.amh.ng_ml * AMH_PMOL_PER_NG, 2))} pmol/L as entered)"
    afc = f"AFC {facts.afc}" if facts.afc is not None else f"AFC {NOT_RECORDED}"
    return _join([amh, afc])


PROTOCOL_NAMES = dict(StimulationCycle._meta.get_field("protocol").choices)


def _cycle(number: int, cycle) -> str:
    words = [f"cycle {number}: {cycle.oocytes} oocyte{'s' if cycle.oocytes != 1 else ''}"]
    if cycle.daily_dose_iu:
        words.append(f"{cycle.daily_dose_iu} IU a day")
    if cycle.protocol:
        name = PROTOCOL_NAMES.get(cycle.protocol, cycle.protocol.replace("_", " "))
        words.append(name if name.isupper() else name.lower())
    if cycle.maximal_stimulation:
        words.append("maximal stimulation")
    if cycle.ohss:
        words.append("OHSS")
    return ", ".join(words)


def _response_review(facts: Facts, row) -> str:
    cycles = facts.previous_cycles
    if cycles is None:
        return NOT_RECORDED
    if not cycles:
        return "no previous stimulation"
    return _join([_cycle(n, c) for n, c in enumerate(cycles, start=1)])


DESCRIBERS: dict[str, Callable[[Facts, object], str]] = {
    "lifestyle": _lifestyle,
    "thyroid": _thyroid,
    "aps_screen": _aps,
    "karyotype": _karyotype,
    "embryo_review": _embryo_review,
    "pgta": _pgta,
    "uterine_imaging": _uterine_imaging,
    "hysteroscopy": _hysteroscopy,
    "ce_biopsy": _ce_biopsy,
    "hydrosalpinx_check": _hydrosalpinx,
    "adenomyosis_imaging": _adenomyosis,
    "ovarian_reserve": _ovarian_reserve,
    "response_review": _response_review,
}


def describe(code: str, facts: Facts, findings_row=None) -> str:
    """The recorded findings of one investigation, in words; "not recorded" when none are.

    An investigation the catalogue adds later has no facts of its own yet: "not recorded".
    """
    describer = DESCRIBERS.get(code)
    text = describer(facts, findings_row) if describer else NOT_RECORDED
    return _sentence_case(text)
