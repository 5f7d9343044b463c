"""Orders and observations from the EMR, matched to the catalogue's add-ons and the engine's facts.

Everything matched here is catalogue data in the one code table (``interop.codes``, loaded from
``fixtures/codes.json``, reviewed by the clinical lead), or the lead's own table of the clinic
EMR's order codes; this module only reads them (a few queries per call, nothing kept in process
memory) and matches:

- an order is an add-on by the clinic's EMR code (``EmrOrderCode``), else by a standard order
  code of the code table (``Coding``, applies_to order), else by a name of its
  ``OrderMapping`` appearing as a whole word in its text or a coding's display;
- a prefetched Observation gives a fact by this app's own code for the fact
  (``urn:rif-workup:fact|<the fact's name in the contract>``, derived from
  ``evidence.findings``) or by an observation code of the code table for that finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workup.evidence import findings as spec
from workup.evidence.catalogue import PENDING
from workup.interop.codes import FEEDS
from workup.interop.models import Coding, EmrOrderCode, OrderMapping

ORDER_TYPES = tuple(OrderMapping.Resource.values)
# This app's own code system for the engine's facts: the code is the fact's name (its path in
# the assessment contract). Not a standard code: the contract defines it.
FACT_SYSTEM = "urn:rif-workup:fact"
# The kinds of finding a prefetched Observation can give (one value each; dates and free text
# are not read from the EMR).
PREFETCH_KINDS = (spec.COUNT, spec.WHOLE, spec.NUMBER, spec.QUANTITY, spec.BOOL, spec.CHOICE)


class MappingNotLoaded(RuntimeError):
    """No order mapping is loaded: the guardrail would pass every order without a word."""


@dataclass(frozen=True)
class OrderNames:
    addon: str
    resources: tuple[str, ...]
    names: tuple[str, ...]
    review: str

    @property
    def pattern(self):
        words = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
        return re.compile(rf"(?<![\w-])({words})(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True)
class Match:
    addon: str
    by: str  # 'code system|code' or 'name "…"'
    status: str  # how far the entry that matched is reviewed, in words for the card


def _status(kind: str, review: str) -> str:
    return f"{kind} {'pending clinical review' if review == PENDING else 'verified'}"


@dataclass(frozen=True)
class OrderIndex:
    """The order mappings in use, read once per call."""

    names: tuple[OrderNames, ...] = ()
    codes: dict = field(default_factory=dict)  # (system, code) -> (addon, review)
    clinic: dict = field(default_factory=dict)  # (system, code) -> addon (the lead's table)

    @classmethod
    def load(cls) -> OrderIndex:
        names = tuple(
            OrderNames(m.addon, tuple(m.resources), tuple(m.names), m.review_status)
            for m in OrderMapping.objects.filter(retired=False)
        )
        if not names:
            raise MappingNotLoaded("The order mapping is not loaded: run manage.py load_catalogue.")
        codes = {
            (c.system, c.code): (c.target, c.review_status)
            for c in Coding.objects.filter(applies_to=Coding.AppliesTo.ORDER, retired=False)
        }
        clinic = {(c.system, c.code): c.addon for c in EmrOrderCode.objects.filter(active=True)}
        return cls(names, codes, clinic)

    def match(self, resource: dict) -> Match | None:
        """The add-on an order is for, by code first and then by name, or None."""
        texts, codes = [], []
        for concept in concepts(resource):
            if isinstance(concept.get("text"), str):
                texts.append(concept["text"])
            for coding in concept.get("coding") or []:
                if not isinstance(coding, dict):
                    continue
                if isinstance(coding.get("system"), str) and isinstance(coding.get("code"), str):
                    codes.append((coding["system"], coding["code"]))
                if isinstance(coding.get("display"), str):
                    texts.append(coding["display"])
        for system, code in codes:
            if (system, code) in self.clinic:
                return Match(
                    self.clinic[(system, code)],
                    f"code {system}|{code}",
                    "the clinic's EMR order code table, kept by the clinical lead",
                )
        for system, code in codes:
            if (system, code) in self.codes:
                addon, review = self.codes[(system, code)]
                return Match(addon, f"code {system}|{code}", _status("code", review))
        kind = resource.get("resourceType")
        for entry in self.names:
            if kind not in entry.resources:
                continue
            for text in texts:
                found = entry.pattern.search(text)
                if found:
                    return Match(
                        entry.addon,
                        f'name "{found.group(1)}"',
                        _status("order mapping", entry.review),
                    )
        return None


def concepts(resource: dict) -> list[dict]:
    """The CodeableConcepts naming what an order orders (FHIR R4 and R5 shapes)."""
    found = []
    for key in ("medicationCodeableConcept", "code", "medication"):
        value = resource.get(key)
        if isinstance(value, dict):
            # R5 CodeableReference: {"concept": {...}}
            found.append(value.get("concept") if isinstance(value.get("concept"), dict) else value)
    return [c for c in found if isinstance(c, dict)]


def order_label(resource: dict) -> str:
    for concept in concepts(resource):
        if isinstance(concept.get("text"), str) and concept["text"].strip():
            return concept["text"].strip()
        for coding in concept.get("coding") or []:
            if isinstance(coding, dict) and isinstance(coding.get("display"), str):
                return coding["display"]
    return resource.get("resourceType", "order")


# --- observations --------------------------------------------------------------------------


def prefetch_findings() -> tuple[spec.Finding, ...]:
    """The findings a prefetched Observation can give: the engine's own facts at the top level
    of the contract, one value each."""
    return tuple(f for f in spec.facts_findings() if f.group is None and f.kind in PREFETCH_KINDS)


@dataclass(frozen=True)
class ObservationCode:
    finding: spec.Finding
    system: str
    code: str
    review: str  # the code table's review status; '' for this app's own fact code

    @property
    def token(self) -> str:
        return f"{self.system}|{self.code}"


def observation_codes() -> tuple[ObservationCode, ...]:
    """The codes by which a prefetched Observation gives a fact (one query)."""
    findings = {f.column: f for f in prefetch_findings()}
    own = [ObservationCode(f, FACT_SYSTEM, f.path, "") for f in findings.values()]
    table = [
        ObservationCode(findings[c.target], c.system, c.code, c.review_status)
        for c in Coding.objects.filter(
            applies_to=Coding.AppliesTo.OBSERVATION, retired=False, target__in=findings
        ).exclude(when=FEEDS)
    ]
    return (*own, *table)


def observation_search(codes=None) -> str:
    """The FHIR search for the observations the mapping reads (a prefetch template)."""
    codes = observation_codes() if codes is None else codes
    tokens = sorted({c.token for c in codes})
    return "Observation?subject={{context.patientId}}&code=" + ",".join(tokens)
