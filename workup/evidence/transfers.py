"""Contract 2: the transfers one by one, validated and priced (pure: no ORM, no request, no clock).

Each transfer carries the age of the woman whose oocytes made its embryos, at retrieval (the
donor's for donor oocytes), its stage, its embryos (PGT-A status and grade) and its outcome.
``parse_transfers`` validates the ``transfers`` key of the facts (``facts.parse_facts`` calls it)
and ``reconcile_counts`` works the contract-1 counts out of them (failed, euploid failed,
pregnancy losses), refusing counts given beside them that disagree. ``price_transfers`` gives
each failed transfer its chance from the catalogue, ``rif_reason`` says which chances were used,
and ``notes`` and ``cautions`` are the catalogue statements the answer carries about them.

Sources: eshre-rif-2023 (a failed transfer is one with no positive pregnancy test; the 60%
counselling trigger), eshre-rpl-2022 (losses after a positive test are pregnancy losses, U).
The per-embryo chances, the age at retrieval and the independence of embryos in one transfer
are U and cite no source (clinical-reference section 1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from .catalogue import PGTA_KINDS, STAGES, Catalogue
from .facts import (
    _boolean,
    _choice,
    _Collector,
    _date,
    _describe,
    _parse_list,
    _unknown_key,
    _whole,
)

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Trace
    from .facts import Facts

OUTCOMES = ("negative", "biochemical", "miscarriage", "ectopic", "ongoing", "live_birth")
FAILED = "negative"  # no positive pregnancy test: the only implantation failure
LOSSES = ("biochemical", "miscarriage")  # a positive test, then a pregnancy loss
MAX_EMBRYOS = 4
MAX_CLEAVAGE_GRADE = 20
OOCYTE_AGES = (16, 60)
GARDNER = re.compile(r"^[1-6][ABC][ABC]$")

OUTCOME_WORDS = {
    "negative": "no positive test",
    "biochemical": "biochemical pregnancy",
    "miscarriage": "miscarriage",
    "ectopic": "ectopic pregnancy",
    "ongoing": "ongoing pregnancy",
    "live_birth": "live birth",
}
STAGE_WORDS = {
    "blastocyst": ("blastocyst", "blastocysts"),
    "cleavage": ("cleavage-stage embryo", "cleavage-stage embryos"),
}

# The catalogue statements said here (engine.STATEMENTS includes them).
STATEMENTS = (
    "transfers_current_age",
    "transfer_no_chance",
    "transfer_stage_unknown",
    "transfers_not_counted",
    "transfers_positive_tests",
    "transfer_losses",
    "transfer_several_embryos",
)


# --- the facts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Embryo:
    pgta: str
    grade: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pgta": self.pgta}
        if self.grade:
            out["grade"] = self.grade
        return out


@dataclass(frozen=True)
class Transfer:
    """One embryo transfer. ``None`` is "not recorded" (an outcome not known yet, say)."""

    oocyte_age: int
    embryos: tuple[Embryo, ...]
    date: date | None = None
    donor_oocytes: bool | None = None
    frozen: bool | None = None
    stage: str | None = None
    outcome: str | None = None

    @property
    def failed(self) -> bool:
        return self.outcome == FAILED

    @property
    def loss(self) -> bool:
        return self.outcome in LOSSES

    @property
    def euploid(self) -> bool:
        """Every embryo in it was euploid (a euploid transfer, for the contract-1 count)."""
        return all(e.pgta == "euploid" for e in self.embryos)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.date is not None:
            out["date"] = self.date.isoformat()
        out["oocyte_age"] = self.oocyte_age
        for name in ("donor_oocytes", "frozen", "stage"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        out["embryos"] = [e.to_dict() for e in self.embryos]
        if self.outcome is not None:
            out["outcome"] = self.outcome
        return out


def in_date_order(transfers: Iterable[Transfer]) -> list[Transfer]:
    """By date; a transfer whose date is not recorded comes last, in the order given."""
    return sorted(transfers, key=lambda t: (t.date is None, t.date or date.min))


# --- validation ----------------------------------------------------------------------------


_EMBRYO_KEYS = ("pgta", "grade")
_TRANSFER_KEYS = (
    "date",
    "oocyte_age",
    "donor_oocytes",
    "frozen",
    "stage",
    "embryos",
    "outcome",
)
_oocyte_age = _whole(*OOCYTE_AGES, "a whole number of years", "years")
_pgta = _choice(PGTA_KINDS)
_stage = _choice(STAGES)
_outcome = _choice(OUTCOMES)


def grade_problem(grade: str, stage: str | None) -> str | None:
    """Why a morphology grade is not valid for the stage, or None. Blastocysts take the Gardner
    grade (expansion 1-6, then inner cell mass and trophectoderm A-C: 4AA); cleavage-stage
    embryos free text up to 20 characters."""
    if stage == "blastocyst":
        if not GARDNER.match(grade.upper()):
            return (
                f"Not a Gardner grade: {_describe(grade)}. A blastocyst's grade is its expansion "
                "(1 to 6), then the inner cell mass and the trophectoderm (A, B or C), e.g. 4AA."
            )
    elif len(grade) > MAX_CLEAVAGE_GRADE:
        return f"At most {MAX_CLEAVAGE_GRADE} characters; got {len(grade)}."
    return None


def _fields(col: _Collector, path: str, value: Any, keys: tuple[str, ...]) -> dict | None:
    """An object's known keys (unknown ones named as errors), or None when it is not one.
    Paths are built from the item's own path: the list may hold 50 transfers of 4 embryos."""
    if not isinstance(value, dict):
        col.add(path, f"Expected an object with keys {', '.join(keys)}; got {_describe(value)}.")
        return None
    for key in value:
        if key not in keys:
            col.add(f"{path}.{key}", _unknown_key(key, keys))
    return value


def _embryos(col: _Collector, path: str, value: Any, stage: str | None):
    if not isinstance(value, list):
        col.add(path, f"Expected a list of 1 to {MAX_EMBRYOS} embryos; got {_describe(value)}.")
        return None
    if not 1 <= len(value) <= MAX_EMBRYOS:
        col.add(path, f"Give 1 to {MAX_EMBRYOS} embryos; got {len(value)}.")
        return None
    out = []
    for index, element in enumerate(value):
        here = f"{path}.{index}"
        before = len(col.errors)
        clean = _fields(col, here, element, _EMBRYO_KEYS)
        if clean is None:
            out.append(None)
            continue
        pgta = clean.get("pgta")
        if pgta is None:
            col.add(
                f"{here}.pgta",
                "Give the PGT-A status: euploid, untested, mosaic or aneuploid (untested when "
                "the embryo was not tested).",
            )
        else:
            pgta = col.check(f"{here}.pgta", _pgta, pgta)
        grade = clean.get("grade")
        if grade is not None:
            if not isinstance(grade, str):
                col.add(f"{here}.grade", f"Expected text; got {_describe(grade)}.")
                grade = None
            else:
                grade = grade.strip() or None
        if grade is not None:
            problem = grade_problem(grade, stage)
            if problem:
                col.add(f"{here}.grade", problem)
            elif stage == "blastocyst":
                grade = grade.upper()
        ok = pgta is not None and len(col.errors) == before
        out.append(Embryo(pgta=pgta, grade=grade) if ok else None)
    return None if None in out else tuple(out)


def parse_transfers(col: _Collector, value: Any, today: date | None = None):
    """The ``transfers`` list as :class:`Transfer` objects, or None with every bad field named
    (``transfers.1.embryos.0.grade``). ``today``, when given, refuses a date in the future."""

    def item(path, index, element):
        before = len(col.errors)
        clean = _fields(col, path, element, _TRANSFER_KEYS)
        if clean is None:
            return None
        get = clean.get
        day = col.check(f"{path}.date", _date, get("date"))
        if day is not None and today is not None and day > today:
            col.add(
                f"{path}.date",
                f"A transfer cannot be in the future: {day.isoformat()} is after today "
                f"({today.isoformat()}).",
            )
        if get("oocyte_age") is None:
            col.add(
                f"{path}.oocyte_age",
                "Give the age at oocyte retrieval of the woman whose oocytes made the embryos "
                "(the donor's age for donor oocytes).",
            )
        oocyte_age = col.check(f"{path}.oocyte_age", _oocyte_age, get("oocyte_age"))
        stage = col.check(f"{path}.stage", _stage, get("stage"))
        outcome = col.check(f"{path}.outcome", _outcome, get("outcome"))
        donor = col.check(f"{path}.donor_oocytes", _boolean, get("donor_oocytes"))
        frozen = col.check(f"{path}.frozen", _boolean, get("frozen"))
        if get("embryos") is None:
            col.add(
                f"{path}.embryos",
                f"Give the embryos transferred (1 to {MAX_EMBRYOS}), each with its PGT-A status.",
            )
            embryos = None
        else:
            embryos = _embryos(col, f"{path}.embryos", get("embryos"), stage)
        if len(col.errors) != before:
            return None
        return Transfer(
            oocyte_age=oocyte_age,
            embryos=embryos,
            date=day,
            donor_oocytes=donor,
            frozen=frozen,
            stage=stage,
            outcome=outcome,
        )

    items = _parse_list(col, "transfers", value, item)
    if items is None or None in items:
        return None
    return tuple(items)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def reconcile_counts(col: _Collector, values: dict[str, Any]) -> None:
    """Given transfers, the contract-1 counts are theirs: failed transfers (outcome negative),
    of which euploid (every embryo euploid), and pregnancy losses after transfer (biochemical,
    miscarriage) into ``miscarriages`` when it is absent. Counts given as well must agree (an
    error on ``failed_transfers``); ``miscarriages`` given must be at least the losses."""
    transfers = values.get("transfers")
    if transfers is None:
        return
    failed = [t for t in transfers if t.failed]
    euploid = sum(1 for t in failed if t.euploid)
    disagree = []
    given = values.get("failed_transfers")
    if given is not None and given != len(failed):
        disagree.append(f"failed_transfers is {given}, the transfers hold {len(failed)}")
    given_euploid = values.get("euploid_failed_transfers")
    if given_euploid is not None and given_euploid != euploid:
        disagree.append(
            f"euploid_failed_transfers is {given_euploid}, the transfers hold {euploid}"
        )
    if disagree:
        col.add(
            col.path("failed_transfers"),
            "Does not agree with the transfers ("
            + "; ".join(disagree)
            + "). A failed transfer is one with outcome negative (no positive pregnancy test), "
            "euploid when every embryo in it was euploid. Give the transfers alone: the counts "
            "are worked out from them.",
        )
    else:
        values["failed_transfers"] = len(failed)
        values["euploid_failed_transfers"] = euploid
    losses = [t for t in transfers if t.loss]
    miscarriages = values.get("miscarriages")
    if miscarriages is None:
        if col.path("miscarriages") not in col.errors:
            values["miscarriages"] = len(losses)
    elif miscarriages < len(losses):
        col.add(
            col.path("miscarriages"),
            f"At least {len(losses)}: the transfers record "
            f"{_plural(len(losses), 'pregnancy loss', 'pregnancy losses')} after a positive test "
            f"({_list(losses, outcome=True)}); got {miscarriages}.",
        )


# --- words ------------------------------------------------------------------------------------


def day_words(day: date | None) -> str:
    """1 Oct 2026, the app's one date format; "date not recorded" when unknown."""
    return f"{day.day} {day:%b %Y}" if day else "date not recorded"


def embryo_words(embryos: Iterable[Embryo] | Iterable[str], stage: str | None) -> str:
    """ "1 untested blastocyst", "1 euploid and 1 untested blastocyst", "2 mosaic embryos"."""
    kinds = [e.pgta if isinstance(e, Embryo) else e for e in embryos]
    counts = {k: kinds.count(k) for k in dict.fromkeys(kinds)}
    one, many = STAGE_WORDS.get(stage, ("embryo", "embryos"))
    parts = [f"{n} {kind}" for kind, n in counts.items()]
    words = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
    # "1 euploid and 1 untested blastocyst", "1 euploid and 2 untested blastocysts"
    return f"{words} {one if list(counts.values())[-1] == 1 else many}"


def kind_words(pgta: str, stage: str | None) -> str:
    """ "mosaic blastocyst", "untested cleavage-stage embryo"."""
    return f"{pgta} {STAGE_WORDS.get(stage, ('embryo',))[0]}"


def oocyte_words(oocyte_age: int | None, donor: bool | None) -> str:
    if oocyte_age is None:
        return ""
    return f"{'donor oocytes' if donor else 'oocytes'} at {oocyte_age}"


def _list(transfers: Iterable[Transfer], outcome: bool = False) -> str:
    parts = []
    for t in transfers:
        words = day_words(t.date)
        if outcome and t.outcome:
            words += f", {OUTCOME_WORDS[t.outcome]}"
        parts.append(words)
    return "; ".join(parts)


def _an(words: str) -> str:
    return ("an " if words[:1] in "aeiou" else "a ") + words


# --- pricing ----------------------------------------------------------------------------------


def price_transfers(transfers: Iterable[Transfer], trace: Trace):
    """Each failed transfer's chance of at least one implantation, 1 - product(1 - p) over its
    embryos, with p the catalogue's chance for the embryo's PGT-A kind and the transfer's stage
    at the age at retrieval; the cumulative chance, 1 - product(1 - p_transfer), after each.
    A transfer with an embryo the catalogue has no chance for (mosaic, aneuploid, cleavage stage
    unless the lead adds a row), or whose stage is not recorded, is listed, not counted.
    Returns (cumulative chance, entries in date order, not counted).
    """
    entries: list[dict] = []
    not_counted: list[dict] = []
    remaining = 1.0
    for transfer in in_date_order(t for t in transfers if t.failed):
        base = {
            "date": transfer.date.isoformat() if transfer.date else None,
            "oocyte_age": transfer.oocyte_age,
            "donor_oocytes": transfer.donor_oocytes,
            "stage": transfer.stage,
        }
        if transfer.stage is None:
            not_counted.append(
                {
                    **base,
                    "embryos": [e.to_dict() for e in transfer.embryos],
                    "reason": trace.say("transfer_stage_unknown"),
                }
            )
            continue
        chances = [
            trace.find_chance(e.pgta, transfer.stage, transfer.oocyte_age) for e in transfer.embryos
        ]
        if None in chances:
            missing = next(e for e, p in zip(transfer.embryos, chances, strict=True) if p is None)
            what = _an(kind_words(missing.pgta, transfer.stage))
            not_counted.append(
                {
                    **base,
                    "embryos": [e.to_dict() for e in transfer.embryos],
                    "reason": trace.say("transfer_no_chance", embryo=what),
                }
            )
            continue
        missed = 1.0
        for p in chances:
            missed *= 1 - p
        chance = 1 - missed
        remaining *= 1 - chance
        entries.append(
            {
                **base,
                "embryos": [
                    {**e.to_dict(), "chance": p}
                    for e, p in zip(transfer.embryos, chances, strict=True)
                ],
                "chance": round(chance, 2),
                "cumulative_after": round(1 - remaining, 2),
            }
        )
    return 1 - remaining, entries, not_counted


def price_counts(facts: Facts, trace: Trace):
    """Contract 1: the counts of failed transfers, each priced at the current age (the age at
    each transfer is not recorded): euploid ones first, then the untested ones. One entry per
    failed transfer, as for the transfers, with no date and ``priced_at_age``."""
    euploid = facts.euploid_failed_transfers or 0
    untested = facts.failed_transfers - euploid
    entries: list[dict] = []
    remaining = 1.0
    for embryo, count in (("euploid", euploid), ("untested", untested)):
        for _ in range(max(0, count)):
            p = trace.chance(embryo, facts.age)
            remaining *= 1 - p
            entries.append(
                {
                    "date": None,
                    "oocyte_age": None,
                    "donor_oocytes": None,
                    "stage": None,
                    "priced_at_age": facts.age,
                    "embryos": [{"pgta": embryo, "chance": p}],
                    "chance": p,
                    "cumulative_after": round(1 - remaining, 2),
                }
            )
    return 1 - remaining, entries, []


# --- what the answer says about them ----------------------------------------------------------


def _percent(fraction: float) -> str:
    return f"{round(fraction * 100)}%"


def entry_words(entry: dict) -> str:
    """ "10 Feb 2025: 45%, 1 untested blastocyst, oocytes at 34"."""
    kinds = [e["pgta"] for e in entry["embryos"]]
    parts = [
        f"{day_words(date.fromisoformat(entry['date']) if entry.get('date') else None)}: "
        f"{_percent(entry['chance'])}",
        embryo_words(kinds, entry.get("stage")),
    ]
    oocytes = oocyte_words(entry.get("oocyte_age"), entry.get("donor_oocytes"))
    if oocytes:
        parts.append(oocytes)
    return ", ".join(parts)


def not_counted_words(item: dict) -> str:
    """ "3 Mar 2025 (1 mosaic blastocyst)"."""
    day = day_words(date.fromisoformat(item["date"]) if item.get("date") else None)
    kinds = [e["pgta"] for e in item.get("embryos", ())]
    what = embryo_words(kinds, item.get("stage")) if kinds else ""
    if item.get("stage") is None and kinds:
        what += ", stage not recorded"
    return f"{day} ({what})" if what else day


def rif_reason(
    trace, label: str, chance: float, threshold: float, facts: Facts, entries, not_counted
):
    """The RIF reason when the transfers are recorded one by one, in the catalogue's words:
    each counted transfer's chance, and the failed transfers that could not be counted."""
    from .engine import rif_verdict

    failed = facts.failed_transfers or 0
    if failed == 0:
        return trace.say("rif_no_failures")
    skipped = ""
    if not_counted:
        skipped = "not counted: " + "; ".join(not_counted_words(i) for i in not_counted)
    if not entries:
        return trace.say(
            "rif_none_counted",
            failed=_plural(failed, "failed transfer"),
            chance=_percent(chance),
            skipped=skipped,
        )
    used = "; ".join(entry_words(e) for e in entries)
    if skipped:
        used += f"; {skipped}"
    over = _plural(len(entries), "failed transfer")
    return rif_verdict(trace, label, over=over, chance=chance, threshold=threshold, used=used)


def notes(facts: Facts, catalogue: Catalogue, entries: list[dict]) -> list[dict]:
    """Catalogue statements that explain how the transfers were read: positive tests are not
    failures (eshre-rif-2023), losses after transfer are pregnancy losses (eshre-rpl-2022, U),
    several embryos in one transfer are taken as independent (U)."""
    from .engine import claim

    if facts.transfers is None:
        return []
    out = []
    ordered = in_date_order(facts.transfers)
    positive = [t for t in ordered if t.outcome is not None and not t.failed]
    if positive:
        out.append(claim(catalogue, "transfers_positive_tests", transfers=_list(positive, True)))
    losses = [t for t in ordered if t.loss]
    if losses:
        out.append(
            claim(
                catalogue,
                "transfer_losses",
                transfers=_list(losses, True),
                losses=_plural(facts.miscarriages or 0, "pregnancy loss", "pregnancy losses"),
            )
        )
    several = [e for e in entries if len(e["embryos"]) > 1]
    if several:
        days = "; ".join(
            day_words(date.fromisoformat(e["date"]) if e.get("date") else None) for e in several
        )
        out.append(claim(catalogue, "transfer_several_embryos", transfers=days))
    return out


def cautions(facts: Facts, catalogue: Catalogue, rif: dict) -> list[dict]:
    """Warnings about the transfers, as catalogue statements: failed transfers left out of the
    cumulative chance, and counts priced at the current age (contract-1 input)."""
    from .engine import claim

    out = []
    if rif.get("not_counted"):
        listed = "; ".join(not_counted_words(i) for i in rif["not_counted"])
        out.append(claim(catalogue, "transfers_not_counted", transfers=listed))
    if facts.transfers is None and facts.failed_transfers:
        out.append(
            claim(
                catalogue,
                "transfers_current_age",
                age=str(facts.age),
                transfers=_plural(facts.failed_transfers, "failed transfer"),
            )
        )
    return out
