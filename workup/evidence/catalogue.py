"""The evidence catalogue as plain, frozen data: what the engine reads.

A :class:`Catalogue` is built either from the fixture file (``Catalogue.from_fixture``, used by
engine tests that need no database) or from the database (``workup.evidence.store``), which keeps
a JSON snapshot in the same shape. The engine never touches the ORM.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

VERIFIED = "verified"
PENDING = "pending_review"
REVIEW_STATES = (VERIFIED, PENDING)
TAGS = ("V", "S", "U")
PILLARS = ("general", "embryo", "uterus", "stimulation")
PILLAR_NAMES = {
    "general": "General",
    "embryo": "Embryo",
    "uterus": "Uterus",
    "stimulation": "Stimulation",
}
STANCES = ("recommended", "consider", "not_routine", "not_recommended")
STANCE_NAMES = {
    "recommended": "Recommended",
    "consider": "Consider",
    "not_routine": "Not routine",
    "not_recommended": "Not recommended",
    None: "Stance pending review",
}
HFEA_RATINGS = ("green", "amber", "grey", "black", "red")
PATIENT_VERDICTS = ("possible_harm", "no_benefit_shown")
EMBRYO_KINDS = ("euploid", "untested")
# Every PGT-A status a transferred embryo can have, and the stages a chance can be for. The
# catalogue must price EMBRYO_KINDS at the DEFAULT_STAGE for every age; the lead may add rows
# for the others (a mosaic or cleavage-stage chance), used from then on.
PGTA_KINDS = ("euploid", "untested", "mosaic", "aneuploid")
STAGES = ("blastocyst", "cleavage")
DEFAULT_STAGE = "blastocyst"

# The statement shown wherever an entry cites no source (clinical-reference section 8).
NO_SOURCE = "no_source"

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "catalogue.json"


@dataclass(frozen=True)
class Source:
    key: str
    citation: str
    doi: str = ""
    url: str = ""

    @property
    def link(self) -> str:
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return self.url


@dataclass(frozen=True)
class Entry:
    """Fields every reviewed catalogue entry has."""

    code: str
    name: str
    sources: tuple[str, ...]
    review: str
    tags: Mapping[str, str] = field(default_factory=dict)
    reviewed_by: str = ""
    reviewed_on: str = ""
    rank: int = 0


@dataclass(frozen=True)
class Investigation(Entry):
    pillar: str = "general"
    summary: str = ""
    stance: str | None = None
    gated: bool = False
    unverified_detail: str = ""
    plain: str = ""


@dataclass(frozen=True)
class NextStep(Entry):
    pillar: str = "general"
    summary: str = ""
    rationale: str = ""
    stance: str | None = None
    unverified_detail: str = ""
    plain: str = ""
    # What was found that calls for this step, in a patient's words ("A polyp was found inside
    # your womb."), for the first page of the patient sheet; empty where no finding leads to it.
    plain_found: str = ""


@dataclass(frozen=True)
class AddOn(Entry):
    kind: str = "treatment"
    what: str = ""
    eshre_stance: str | None = None
    eshre_note: str = ""
    hfea_rating: str | None = None
    hfea_note: str = ""
    risks: tuple[str, ...] = ()
    evidence: str = ""
    plain_what: str = ""
    plain_evidence: str = ""
    plain_risks: str = ""
    indicated_when: str | None = None
    # Why it is not advised, for the patient sheet's first page: ``possible_harm`` (harms are
    # documented, or it may lower the chance of a baby) or ``no_benefit_shown``.
    patient_verdict: str = ""


@dataclass(frozen=True)
class Chance(Entry):
    embryo: str = "untested"
    stage: str = DEFAULT_STAGE
    age_min: int = 18
    age_max: int = 60
    chance: float = 0.0


@dataclass(frozen=True)
class Parameter(Entry):
    value: float = 0.0
    unit: str = ""
    description: str = ""


@dataclass(frozen=True)
class Statement(Entry):
    """A clinical sentence the engine says (a caution, a reason, what an HFEA colour means).

    ``text`` is for clinicians and may hold ``{placeholders}`` the engine fills in (numbers
    from the facts or from parameters); ``plain`` is the same for patients, where one is shown;
    ``description`` says when the engine uses it and what each placeholder is; ``stance`` is
    set where the sentence is advice with a strength (a stimulation consideration).
    """

    text: str = ""
    plain: str = ""
    description: str = ""
    stance: str | None = None


@dataclass(frozen=True)
class Translation:
    """A catalogue entry's patient-facing texts in another language, with its own review.

    ``texts`` holds the translated fields; ``translates`` the digest (``text_digest``) of the
    English text each one translates: when the English changes, the translation no longer
    matches it and the sheet falls back to English with a note until it is translated again.
    """

    language: str
    kind: str
    code: str
    texts: Mapping[str, str]
    translates: Mapping[str, str]
    review: str = PENDING
    reviewed_by: str = ""
    reviewed_on: str = ""


# The fields of each kind that a patient reads (the sheet): what a translation may hold.
PATIENT_FIELDS = {
    "investigations": ("name", "plain"),
    "next_steps": ("name", "plain", "plain_found"),
    "addons": ("name", "plain_what", "plain_evidence", "plain_risks"),
    "statements": ("plain",),
}


def text_digest(text: str) -> str:
    """A short digest of an English text: what a translation says it translates."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:12]


class _Blank(dict):
    """Placeholders the engine did not give are left as written, never an error."""

    def __missing__(self, key):
        return "{" + key + "}"


def fill(template: str, **values) -> str:
    """A statement's text with its placeholders filled in; unknown ones are left visible."""
    try:
        return template.format_map(_Blank(values))
    except (ValueError, IndexError, AttributeError, KeyError):
        # A malformed template (an edit with a stray brace): show it unfilled, not an error.
        return template


_KINDS = {
    "investigations": Investigation,
    "next_steps": NextStep,
    "addons": AddOn,
    "implantation_chances": Chance,
    "parameters": Parameter,
    "statements": Statement,
}


def _entry(cls, raw: Mapping[str, Any]):
    known = {f.name for f in fields(cls)}
    values = {k: v for k, v in raw.items() if k in known}
    values["sources"] = tuple(values.get("sources", ()))
    values["tags"] = MappingProxyType(dict(values.get("tags") or {}))
    if "risks" in values:
        values["risks"] = tuple(values["risks"])
    return cls(**values)


def _as_json(entry) -> dict[str, Any]:
    out = {}
    for f in fields(entry):
        value = getattr(entry, f.name)
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, MappingProxyType):
            value = dict(value)
        out[f.name] = value
    return out


@dataclass(frozen=True)
class Catalogue:
    version: str
    reviewed_on: str
    sources: Mapping[str, Source]
    investigations: Mapping[str, Investigation]
    next_steps: Mapping[str, NextStep]
    addons: Mapping[str, AddOn]
    implantation_chances: Mapping[str, Chance]
    parameters: Mapping[str, Parameter]
    revision: int = 0
    statements: Mapping[str, Statement] = field(default_factory=lambda: MappingProxyType({}))
    # Translations of patient-facing texts, by (language, kind, code).
    translations: Mapping[tuple[str, str, str], Translation] = field(
        default_factory=lambda: MappingProxyType({})
    )

    # -- look-ups the engine uses --

    def param(self, code: str) -> Parameter:
        return self.parameters[code]

    def statement(self, code: str) -> Statement:
        """A statement by code; a stand-in with no text (pending review) when the catalogue
        lacks it, so an old snapshot never breaks a page (``missing_statements`` names it)."""
        found = self.statements.get(code)
        if found is None:
            return Statement(code=code, name=code, sources=(), review=PENDING)
        return found

    def translation(self, language: str, kind: str, code: str) -> Translation | None:
        return self.translations.get((language, kind, code))

    def find_chance(self, embryo: str, age: int, stage: str = DEFAULT_STAGE) -> Chance | None:
        """The chance for one embryo of this PGT-A kind and stage at this age, or None when the
        catalogue has none (by default: mosaic, aneuploid and cleavage-stage embryos)."""
        for chance in self.implantation_chances.values():
            if (
                chance.embryo == embryo
                and chance.stage == stage
                and chance.age_min <= age <= chance.age_max
            ):
                return chance
        return None

    def chance_for(self, embryo: str, age: int, stage: str = DEFAULT_STAGE) -> Chance:
        chance = self.find_chance(embryo, age, stage)
        if chance is None:
            raise LookupError(f"No implantation chance for {embryo} {stage}s at age {age}.")
        return chance

    @property
    def addon_codes(self) -> tuple[str, ...]:
        return tuple(self.addons)

    @property
    def investigation_codes(self) -> tuple[str, ...]:
        return tuple(self.investigations)

    @property
    def next_step_codes(self) -> tuple[str, ...]:
        return tuple(self.next_steps)

    def codes_for_facts(self) -> dict:
        """Keyword arguments for ``facts.parse_facts``: the codes it accepts, and the catalogue
        values its rules read (the APS repeat interval)."""
        repeat = self.parameters.get("aps_repeat_weeks")
        return {
            "addon_codes": self.addon_codes,
            "step_codes": self.investigation_codes,
            "action_codes": self.next_step_codes,
            "aps_repeat_weeks": repeat.value if repeat is not None else None,
        }

    def all_entries(self):
        for kind in _KINDS:
            yield from getattr(self, kind).values()

    def review_counts(self) -> dict[str, int]:
        """How many entries there are, how many are verified, and how many of those the
        clinical lead confirmed in the app (a review with a name), for the printed line."""
        entries = list(self.all_entries())
        verified = [e for e in entries if e.review == VERIFIED]
        return {
            "entries": len(entries),
            "verified": len(verified),
            "confirmed_by_lead": sum(1 for e in verified if e.reviewed_by),
            "pending": len(entries) - len(verified),
        }

    # -- serialisation --

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Catalogue:
        def ordered(kind):
            entries = [_entry(_KINDS[kind], raw) for raw in data.get(kind, ())]
            entries.sort(key=lambda e: (e.rank, e.code))
            return MappingProxyType({e.code: e for e in entries})

        sources = {
            raw["key"]: Source(
                key=raw["key"],
                citation=raw["citation"],
                doi=raw.get("doi") or "",
                url=raw.get("url") or "",
            )
            for raw in data.get("sources", ())
        }
        translations = {}
        for raw in data.get("translations", ()):
            item = Translation(
                language=raw["language"],
                kind=raw["kind"],
                code=raw["code"],
                texts=MappingProxyType(dict(raw.get("texts") or {})),
                translates=MappingProxyType(dict(raw.get("translates") or {})),
                review=raw.get("review") or PENDING,
                reviewed_by=raw.get("reviewed_by") or "",
                reviewed_on=raw.get("reviewed_on") or "",
            )
            translations[(item.language, item.kind, item.code)] = item
        return cls(
            version=str(data["version"]),
            reviewed_on=str(data.get("reviewed_on") or ""),
            revision=int(data.get("revision") or 0),
            sources=MappingProxyType(sources),
            translations=MappingProxyType(translations),
            **{kind: ordered(kind) for kind in _KINDS},
        )

    @classmethod
    def from_fixture(cls, path: Path | str = FIXTURE) -> Catalogue:
        with open(path, encoding="utf-8") as handle:
            return cls.from_dict(json.load(handle))

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "reviewed_on": self.reviewed_on,
            "revision": self.revision,
            "sources": [
                {"key": s.key, "citation": s.citation, "doi": s.doi, "url": s.url}
                for s in self.sources.values()
            ],
            **{kind: [_as_json(e) for e in getattr(self, kind).values()] for kind in _KINDS},
            "translations": [
                {
                    "language": t.language,
                    "kind": t.kind,
                    "code": t.code,
                    "texts": dict(t.texts),
                    "translates": dict(t.translates),
                    "review": t.review,
                    "reviewed_by": t.reviewed_by,
                    "reviewed_on": t.reviewed_on,
                }
                for t in self.translations.values()
            ],
        }


ENTRY_KINDS = tuple(_KINDS)
