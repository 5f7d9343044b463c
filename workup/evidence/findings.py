"""Every finding a work-up records, described once.

Each :class:`Finding` says what a finding is: its code (the facts path), the checklist step
that records it, its type, unit and conversions, its range, its label, and how it reads in
words. Everything else is derived from this list:

- the facts' validators and dataclasses (``facts.py``): the engine's input;
- the ``Findings`` model's columns (``clinic/models.py``, an abstract base built from the list);
- the findings forms of each checklist step (``clinic/forms.py``);
- stored findings <-> facts (``clinic/assessment.py``);
- the words on the page, the summary and its PDF, the history and conflict messages, and the
  FHIR observations (:func:`display` and :func:`describe_step` below).

Adding a finding is one entry here, the engine rule that reads it, and a migration
(``docs/engine.md``, "Adding a finding"). Pure Python: no ORM, no request.

A value is kept as entered (value and unit) beside the normalised value the engine reads: a
:class:`Quantity` finding stores three columns (normalised, entered, unit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

# Kinds of finding.
BOOL = "bool"  # yes / no / not known
COUNT = "count"  # a whole number from 0
WHOLE = "whole"  # a whole number in a range, with a unit
NUMBER = "number"  # a decimal number in a range, with a unit
CHOICE = "choice"  # one of a few coded values
DATE = "date"
TEXT = "text"  # free text, kept for the record (never read by the engine)
QUANTITY = "quantity"  # a number in one of several units, converted to a canonical unit

MAX_COUNT = 100

# The step that holds the transfer history (not a checklist step; recorded the same way).
HISTORY = "history"

NOT_RECORDED = _("not recorded")
YES_NO = (_("Yes"), _("No"))


@dataclass(frozen=True)
class Unit:
    """A unit a value may be entered in: how it is shown, its UCUM code, and how many of it make
    one canonical unit (the first unit of the finding)."""

    symbol: str
    ucum: str
    per_canonical: float = 1.0


@dataclass(frozen=True)
class Finding:
    """One finding, as everything that stores, checks or shows it needs it."""

    key: str  # the key in the facts (within ``group`` when it has one)
    step: str  # the checklist step that records it (or HISTORY)
    kind: str
    label: Any  # how a clinician reads its name ("TSH")
    group: str | None = None  # the facts object it belongs to ("hysteroscopy")
    units: tuple[Unit, ...] = ()  # the first is the canonical unit the engine reads
    low: float | None = None
    high: float | None = None  # per canonical unit
    choices: tuple[tuple[str, Any], ...] = ()  # (code, words) for CHOICE
    words: tuple[Any, Any] = YES_NO  # how true and false read (BOOL)
    # How it reads inside a sentence of the summary: (true, false) for BOOL; for others a
    # template with {value}. ``unknown`` is said when it is not recorded (None: nothing said).
    phrase: tuple[Any, Any] | Any = None
    unknown: Any = None
    in_facts: bool = True  # read by the engine (False: kept for the record only)
    result: bool = True  # a result of its procedure (recording one means it was done)
    after: tuple[str, bool, Any] | None = None  # (key, value, words): meaningful only then
    false_is_claim: bool = False  # with ``after``: false says something too (a result)
    max_length: int = 0  # TEXT
    help: Any = ""
    lab: bool = False  # a laboratory result (FHIR category, incoming results)
    # A diagnosis (a FHIR Condition) when its value is this ("true" for a finding found), and
    # the findings (columns) that, when true, say it has resolved.
    diagnosis: str | None = None
    resolved_by: tuple[str, ...] = ()
    column_name: str = ""  # the database column, when it is not the path with "_"

    @property
    def path(self) -> str:
        return f"{self.group}.{self.key}" if self.group else self.key

    @property
    def column(self) -> str:
        return self.column_name or self.path.replace(".", "_")

    @property
    def unit(self) -> Unit | None:
        return self.units[0] if self.units else None

    @property
    def entered_column(self) -> str:
        """QUANTITY: the column keeping the value as entered."""
        return f"{self.key}_entered"

    @property
    def unit_column(self) -> str:
        """QUANTITY: the column keeping the unit it was entered in."""
        return f"{self.key}_unit"

    def unit_for(self, symbol: str | None) -> Unit | None:
        """The unit named ``symbol`` (spelling forgiven), or None."""
        if not isinstance(symbol, str):
            return None
        wanted = symbol.strip().lower()
        return next((u for u in self.units if u.symbol.lower() == wanted), None)

    def high_in(self, unit: Unit) -> float | None:
        if self.high is None:
            return None
        return round(self.high * unit.per_canonical, 1)

    @property
    def is_procedure_done(self) -> bool:
        return self.group is not None and self.key == "done"


def _bool(key, step, label, *, group=None, words=YES_NO, **more) -> Finding:
    return Finding(key=key, step=step, kind=BOOL, label=label, group=group, words=words, **more)


def _found(key, group, label, found, absent, unknown, **more) -> Finding:
    """A finding of a procedure: found or not found."""
    return _bool(
        key,
        group,
        label,
        group=group,
        words=(_("Found"), _("Not found")),
        phrase=(found, absent),
        unknown=unknown,
        **more,
    )


def _done(group, step, label, done, not_done, **more) -> Finding:
    return _bool("done", step, label, group=group, phrase=(done, not_done), result=False, **more)


def _when(group, step) -> Finding:
    return Finding(
        key="date",
        step=step,
        kind=DATE,
        label=_("Date"),
        group=group,
        in_facts=False,
        result=False,
        column_name=f"{group}_date",
    )


def _count(key, step, label, phrase, *, group=None, **more) -> Finding:
    return Finding(
        key=key,
        step=step,
        kind=COUNT,
        label=label,
        group=group,
        low=0,
        high=MAX_COUNT,
        phrase=phrase,
        **more,
    )


APS_RESULTS = (
    ("not_tested", _("Not tested")),
    ("negative", _("Negative")),
    ("single_positive", _("Positive once, not yet repeated")),
    ("confirmed", _("Confirmed (persistently positive)")),
)
KARYOTYPES = (("normal", _("Normal")), ("abnormal", _("Abnormal")))

AMH_NG_ML = Unit("ng/mL", "ng/mL")
AMH_PMOL_L = Unit("pmol/L", "pmol/L", 7.14)  # 1 ng/mL = 7.14 pmol/L (reference section 5, V)


FINDINGS: tuple[Finding, ...] = (
    # --- the transfer history (drives the RIF label) ---
    _count(
        "failed_transfers",
        HISTORY,
        _("Failed transfers (no positive test)"),
        None,
    ),
    _count("euploid_failed_transfers", HISTORY, _("Of which euploid"), None),
    _count("miscarriages", HISTORY, _("Miscarriages"), None),
    # --- general ---
    _bool(
        "smoker",
        "lifestyle",
        _("Smokes"),
        phrase=(_("smoker"), _("non-smoker")),
        unknown=_("smoking not recorded"),
    ),
    Finding(
        key="bmi",
        step="lifestyle",
        kind=NUMBER,
        label=_("BMI"),
        units=(Unit("kg/m²", "kg/m2"),),
        low=12,
        high=80,
        phrase=_("BMI {value}"),
        unknown=_("BMI not recorded"),
    ),
    Finding(
        key="alcohol_units_week",
        step="lifestyle",
        kind=WHOLE,
        label=_("Alcohol"),
        units=(Unit(_("units a week"), "/wk"),),
        low=0,
        high=200,
        phrase=_("alcohol {value}"),
    ),
    Finding(
        key="tsh",
        step="thyroid",
        kind=NUMBER,
        label=_("TSH"),
        units=(Unit("mIU/L", "m[IU]/L"),),
        low=0,
        high=100,
        phrase=_("TSH {value}"),
        unknown=_("TSH not recorded"),
        lab=True,
    ),
    _bool(
        "tpo_positive",
        "thyroid",
        _("TPO antibodies"),
        words=(_("Positive"), _("Negative")),
        phrase=(_("TPO antibodies positive"), _("TPO antibodies negative")),
        unknown=_("TPO antibodies not recorded"),
        lab=True,
    ),
    Finding(
        key="aps",
        step="aps_screen",
        kind=CHOICE,
        label=_("Antiphospholipid result"),
        choices=APS_RESULTS,
        phrase="{value}",
        unknown=NOT_RECORDED,
        lab=True,
        diagnosis="confirmed",
    ),
    Finding(
        key="aps_first_test_date",
        step="aps_screen",
        kind=DATE,
        label=_("Date of the first positive test"),
        phrase=_("first test {value}"),
    ),
    Finding(
        key="aps_repeat_test_date",
        step="aps_screen",
        kind=DATE,
        label=_("Date of the repeat test"),
        phrase=_("repeat test {value}"),
    ),
    Finding(
        key="karyotype",
        step="karyotype",
        kind=CHOICE,
        label=_("Karyotype"),
        choices=KARYOTYPES,
        phrase="{value}",
        unknown=NOT_RECORDED,
        diagnosis="abnormal",
    ),
    # --- embryo ---
    _done("embryo_review", "embryo_review", _("Embryology reviewed"), _("done"), _("not done")),
    Finding(
        key="culture",
        step="embryo_review",
        kind=TEXT,
        label=_("Culture conditions"),
        group="embryo_review",
        max_length=200,
        help=_("Medium, oxygen tension, incubator (e.g. single-step medium, 5% O2, time-lapse)."),
        phrase=_("culture: {value}"),
        in_facts=False,
    ),
    Finding(
        key="blastocysts",
        step="embryo_review",
        kind=COUNT,
        label=_("Blastocysts in the last cycle"),
        group="embryo_review",
        low=0,
        high=MAX_COUNT,
        phrase=_("{value} blastocysts in the last cycle"),
        in_facts=False,
    ),
    Finding(
        key="notes",
        step="embryo_review",
        kind=TEXT,
        label=_("Laboratory review notes"),
        group="embryo_review",
        max_length=1000,
        help=_("Embryo quality, laboratory performance, anything the clinic should know."),
        phrase=_("notes: {value}"),
        in_facts=False,
    ),
    _done("pgta", "pgta", _("PGT-A done"), _("PGT-A done"), _("PGT-A not done")),
    _bool(
        "discussed",
        "pgta",
        _("PGT-A discussed"),
        group="pgta",
        phrase=(_("discussed with the patient"), _("not yet discussed")),
        result=False,
    ),
    _count(
        "euploid",
        "pgta",
        _("Euploid embryos"),
        _("{value} euploid"),
        group="pgta",
        unknown=_("euploid not recorded"),
    ),
    _count(
        "aneuploid",
        "pgta",
        _("Aneuploid embryos"),
        _("{value} aneuploid"),
        group="pgta",
        unknown=_("aneuploid not recorded"),
    ),
    _count(
        "mosaic",
        "pgta",
        _("Mosaic embryos"),
        _("{value} mosaic"),
        group="pgta",
        unknown=_("mosaic not recorded"),
    ),
    _count("no_result", "pgta", _("No result"), _("{value} without result"), group="pgta"),
    # --- uterus ---
    _done("uterine_imaging", "uterine_imaging", _("Ultrasound done"), _("done"), _("not done")),
    _done("hysteroscopy", "hysteroscopy", _("Hysteroscopy done"), _("done"), _("not done")),
    _when("hysteroscopy", "hysteroscopy"),
    _found(
        "polyp",
        "hysteroscopy",
        _("Endometrial polyp"),
        _("polyp found"),
        _("no polyp"),
        _("polyp not recorded"),
        diagnosis="true",
    ),
    _found(
        "submucosal_fibroid",
        "hysteroscopy",
        _("Submucosal fibroid"),
        _("submucosal fibroid found"),
        _("no submucosal fibroid"),
        _("submucosal fibroid not recorded"),
        diagnosis="true",
    ),
    _found(
        "septum",
        "hysteroscopy",
        _("Uterine septum"),
        _("septum found"),
        _("no septum"),
        _("septum not recorded"),
        diagnosis="true",
    ),
    _found(
        "adhesions",
        "hysteroscopy",
        _("Intrauterine adhesions"),
        _("adhesions found"),
        _("no adhesions"),
        _("adhesions not recorded"),
        diagnosis="true",
    ),
    _bool(
        "endometritis_signs",
        "hysteroscopy",
        _("Signs of endometritis"),
        group="hysteroscopy",
        words=(_("Seen"), _("Not seen")),
        phrase=(_("signs of endometritis"), _("no signs of endometritis")),
        unknown=_("signs of endometritis not recorded"),
    ),
    _done("ce_biopsy", "ce_biopsy", _("Biopsy done"), _("done"), _("not done")),
    _when("ce_biopsy", "ce_biopsy"),
    _bool(
        "cd138_positive",
        "ce_biopsy",
        _("CD138 (plasma cells)"),
        group="ce_biopsy",
        words=(_("Positive"), _("Negative")),
        phrase=(_("CD138 positive"), _("CD138 negative")),
        unknown=_("CD138 result not recorded"),
        after=("done", True, _("a biopsy that was done")),
        lab=True,
        column_name="ce_cd138_positive",
        diagnosis="true",
        resolved_by=("ce_rebiopsy_negative", "ce_second_line_rebiopsy_negative"),
    ),
    _bool(
        "treated",
        "ce_biopsy",
        _("Antibiotics given"),
        group="ce_biopsy",
        phrase=(_("antibiotics given"), _("antibiotics not given")),
        after=("cd138_positive", True, _("a CD138-positive biopsy")),
        column_name="ce_treated",
    ),
    _bool(
        "rebiopsy_negative",
        "ce_biopsy",
        _("Re-biopsy after antibiotics"),
        group="ce_biopsy",
        words=(_("Negative (cured)"), _("Still positive")),
        phrase=(_("re-biopsy negative"), _("re-biopsy still positive")),
        unknown=_("re-biopsy not recorded"),
        after=("treated", True, _("treatment (treated: true)")),
        false_is_claim=True,
        column_name="ce_rebiopsy_negative",
    ),
    _bool(
        "second_line_treated",
        "ce_biopsy",
        _("Second-line antibiotics given"),
        group="ce_biopsy",
        phrase=(_("second-line antibiotics given"), ""),
        after=("rebiopsy_negative", False, _("a positive re-biopsy")),
        column_name="ce_second_line_treated",
    ),
    _bool(
        "second_line_rebiopsy_negative",
        "ce_biopsy",
        _("Re-biopsy after second line"),
        group="ce_biopsy",
        words=(_("Negative (cured)"), _("Still positive")),
        phrase=(
            _("re-biopsy after second line negative"),
            _("re-biopsy after second line still positive"),
        ),
        unknown=_("re-biopsy after second line not recorded"),
        after=("second_line_treated", True, _("second-line treatment (second_line_treated: true)")),
        false_is_claim=True,
        column_name="ce_second_line_rebiopsy_negative",
    ),
    _bool(
        "hydrosalpinx",
        "hydrosalpinx_check",
        _("Hydrosalpinx"),
        words=(_("Present"), _("Absent")),
        phrase=(_("hydrosalpinx found"), _("no hydrosalpinx")),
        unknown=_("result not recorded"),
        diagnosis="true",
    ),
    _bool(
        "adenomyosis",
        "adenomyosis_imaging",
        _("Adenomyosis"),
        words=(_("Present"), _("Absent")),
        phrase=(_("adenomyosis found"), _("no adenomyosis")),
        unknown=_("result not recorded"),
        diagnosis="true",
    ),
    # --- stimulation ---
    Finding(
        key="amh",
        step="ovarian_reserve",
        kind=QUANTITY,
        label=_("AMH"),
        units=(AMH_NG_ML, AMH_PMOL_L),
        low=0,
        high=50,  # ng/mL: a generous ceiling that catches a slipped decimal point
        phrase=_("AMH {value}"),
        unknown=_("AMH not recorded"),
        help=_("1 ng/mL = 7.14 pmol/L. Use the laboratory's own age ranges."),
        lab=True,
        column_name="amh_ng_ml",
    ),
    Finding(
        key="afc",
        step="ovarian_reserve",
        kind=WHOLE,
        label=_("Antral follicle count (AFC)"),
        low=0,
        high=100,
        phrase=_("AFC {value}"),
        unknown=_("AFC not recorded"),
    ),
)

BY_PATH: dict[str, Finding] = {f.path: f for f in FINDINGS}
BY_COLUMN: dict[str, Finding] = {f.column: f for f in FINDINGS}

# The facts objects (``hysteroscopy``: {...}) and their findings, in order.
GROUPS: dict[str, tuple[Finding, ...]] = {}
for _finding in FINDINGS:
    if _finding.group:
        GROUPS[_finding.group] = (*GROUPS.get(_finding.group, ()), _finding)

# What a procedure's results are called when one is recorded while the procedure is "not done".
RESULTS_WITHOUT_PROCEDURE = {
    "hysteroscopy": _("Recorded as found, but done is false."),
    "pgta": _("Results given, but done is false."),
}


def for_step(step: str) -> tuple[Finding, ...]:
    """The findings a checklist step records, in the order its form shows them."""
    return tuple(f for f in FINDINGS if f.step == step)


def steps() -> tuple[str, ...]:
    """Every step that records findings, in order (HISTORY first)."""
    out: list[str] = []
    for f in FINDINGS:
        if f.step not in out:
            out.append(f.step)
    return tuple(out)


def step_of(column: str) -> str | None:
    finding = BY_COLUMN.get(column)
    return finding.step if finding else None


def facts_findings() -> tuple[Finding, ...]:
    return tuple(f for f in FINDINGS if f.in_facts)


# --- reading values -------------------------------------------------------------------------


@dataclass(frozen=True)
class Amount:
    """A QUANTITY as stored: the normalised value the engine reads, and the value as entered."""

    value: float  # in the canonical unit
    entered: float
    unit: Unit

    @classmethod
    def of(cls, finding: Finding, entered: float, unit: Unit) -> Amount:
        return cls(round(entered / unit.per_canonical, 4), entered, unit)


def stored_value(finding: Finding, row) -> Any:
    """A finding's value from a row holding the columns (a ``Findings`` model instance or a
    history record); an :class:`Amount` for a quantity."""
    if row is None:
        return None
    value = getattr(row, finding.column, None)
    if finding.kind == QUANTITY:
        if value is None:
            return None
        unit = finding.unit_for(getattr(row, finding.unit_column, None)) or finding.unit
        entered = getattr(row, finding.entered_column, None)
        if entered is None:  # stored before values were kept as entered
            entered = round(value * unit.per_canonical, 2)
        return Amount(value, entered, unit)
    if value == "":
        return None
    return value


def write_value(finding: Finding, row, value: Any) -> None:
    """Set a finding's column(s) on a row; a quantity as an :class:`Amount`."""
    if finding.kind == QUANTITY:
        setattr(row, finding.entered_column, value.entered if value else None)
        setattr(row, finding.unit_column, (value.unit if value else finding.unit).symbol)
        value = value.value if value else None
    setattr(row, finding.column, value)


def facts_value(finding: Finding, facts) -> Any:
    """A finding's value as the engine sees it (the facts of ``facts.py``)."""
    holder = getattr(facts, finding.group) if finding.group else facts
    if holder is None:
        return None
    value = getattr(holder, finding.key, None)
    if finding.kind == QUANTITY and value is not None:
        return Amount(value.ng_ml, value.entered, finding.unit_for(value.unit) or finding.unit)
    return value


# --- words ------------------------------------------------------------------------------------


def _number(value: float) -> str:
    """At most 2 decimals, no trailing zeros, in the active language's format."""
    shown = round(float(value), 2)
    if shown == int(shown):
        return number_format(int(shown))
    text = number_format(shown, decimal_pos=2)
    return text.rstrip("0").rstrip(".,") if ("." in text or "," in text) else text


def day(value: date) -> str:
    """One date format everywhere: 1 Oct 2026."""
    return date_format(value, "j M Y")


def display(finding: Finding, value: Any) -> str:
    """How a recorded value reads, alone: "Found", "15.25 pmol/L (2.14 ng/mL)", "1 Oct 2026".

    The one formatter of findings: the page, the summary and its PDF, the history, conflict
    messages and the FHIR texts call it.
    """
    if value is None or value == "":
        return str(NOT_RECORDED)
    kind = finding.kind
    if kind == BOOL:
        return str(finding.words[0] if value else finding.words[1])
    if kind == DATE:
        return day(value)
    if kind == CHOICE:
        return str(dict(finding.choices).get(value, str(value).replace("_", " ")))
    if kind == QUANTITY:
        shown = f"{_number(value.entered)} {value.unit.symbol}"
        if value.unit != finding.unit:
            shown += f" ({_number(value.value)} {finding.unit.symbol})"
        return shown
    if kind in (NUMBER, WHOLE) and finding.unit is not None:
        return f"{_number(value)} {finding.unit.symbol}"
    if kind in (NUMBER, WHOLE, COUNT):
        return _number(value)
    return str(value)


def display_stored(finding: Finding, row) -> str:
    return display(finding, stored_value(finding, row))


def phrase(finding: Finding, value: Any) -> str:
    """How a value reads inside a sentence of the summary ("polyp found", "TSH 2.5 mIU/L");
    an empty string when nothing is to be said."""
    if value is None:
        return str(finding.unknown or "")
    if finding.kind == BOOL and isinstance(finding.phrase, tuple):
        return str(finding.phrase[0] if value else finding.phrase[1])
    template = str(finding.phrase or "{label} {value}")
    return template.format(value=display(finding, value), label=finding.label)


def values_of(step: str, facts, row) -> dict[str, Any]:
    """The values of a step's findings: the engine's facts for what the engine reads (with its
    inferences, e.g. a result recorded means the procedure was done), the row for the rest."""
    out = {}
    for finding in for_step(step):
        if finding.in_facts and facts is not None:
            out[finding.key] = facts_value(finding, facts)
        else:
            out[finding.key] = stored_value(finding, row)
    return out


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def describe_step(step: str, facts, row=None) -> str:
    """A step's recorded findings in one sentence for the summary: "Done 2 Oct 2026; polyp
    found; no septum; ..."; "Not recorded" when nothing is. Unknown stays "not recorded", which
    is not "no": the engine keeps such an investigation pending, and the paper says so."""
    findings = for_step(step)
    if not findings:
        return _sentence_case(str(NOT_RECORDED))
    values = values_of(step, facts, row)
    parts: list[str] = []
    done = next((f for f in findings if f.is_procedure_done), None)
    rest = [f for f in findings if f is not done]
    if done is not None:
        state = values[done.key]
        if state is None:
            return _sentence_case(str(NOT_RECORDED))
        if not state:
            parts.append(phrase(done, False))
            rest = [f for f in rest if not f.result]  # no results without the procedure
        else:
            when = next((f for f in rest if f.kind == DATE and not f.in_facts), None)
            head = phrase(done, True)
            if when is not None and values[when.key] is not None:
                head += f" {day(values[when.key])}"
            parts.append(head)
        rest = [f for f in rest if not (f.kind == DATE and not f.in_facts)]
    for finding in rest:
        if finding.after is not None:
            key, needed, _words = finding.after
            if values.get(key) is not needed:
                continue
        text = phrase(finding, values[finding.key])
        if text:
            parts.append(text)
    if not parts:
        return _sentence_case(str(NOT_RECORDED))
    return _sentence_case("; ".join(parts))


def recorded_lines(step: str, row) -> list[tuple[str, str]]:
    """The recorded findings of a step as (label, value) lines, for the page."""
    out = []
    for finding in for_step(step):
        value = stored_value(finding, row)
        if value is not None:
            out.append((str(finding.label), display(finding, value)))
    return out


def changed_lines(step: str, before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """ "Label: old → new" for each finding of a step whose words changed."""
    return [
        f"{f.label}: {before.get(f.column, '?')} → {after.get(f.column, '?')}"
        for f in for_step(step)
        if before.get(f.column) != after.get(f.column)
    ]


def snapshot(step: str, row) -> dict[str, str]:
    """A step's findings in words, by column (what a form was drawn from)."""
    return {f.column: display_stored(f, row) for f in for_step(step)}


def columns(findings: Iterable[Finding] = FINDINGS) -> list[str]:
    """Every database column of these findings (a quantity has three)."""
    out = []
    for f in findings:
        out.append(f.column)
        if f.kind == QUANTITY:
            out += [f.entered_column, f.unit_column]
    return out
