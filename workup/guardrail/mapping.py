"""Orders and observations from the EMR, mapped to the catalogue's add-ons and the engine's facts.

The mappings are data (``order_codes.json``, ``observation_codes.json`` beside this file), each
entry with its review status; this module only reads them and matches.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER_CODES = HERE / "order_codes.json"
OBSERVATION_CODES = HERE / "observation_codes.json"

ORDER_TYPES = ("MedicationRequest", "ServiceRequest")


@dataclass(frozen=True)
class OrderMapping:
    addon: str
    resources: tuple[str, ...]
    names: tuple[str, ...]
    codes: frozenset[tuple[str, str]]
    review: str

    @property
    def pattern(self):
        words = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
        return re.compile(rf"(?<![\w-])({words})(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True)
class Match:
    addon: str
    review: str
    by: str  # 'code system|code' or 'name "…"'


@dataclass(frozen=True)
class ObservationMapping:
    fact: str
    value: str  # integer, number, code
    codes: frozenset[tuple[str, str]]
    review: str


@cache
def order_mappings() -> tuple[OrderMapping, ...]:
    data = json.loads(ORDER_CODES.read_text())
    return tuple(
        OrderMapping(
            addon=e["addon"],
            resources=tuple(e["resources"]),
            names=tuple(e["names"]),
            codes=frozenset((c["system"], c["code"]) for c in e["codes"]),
            review=e["review"],
        )
        for e in data["entries"]
    )


@cache
def preferred_sources() -> tuple[str, ...]:
    return tuple(json.loads(ORDER_CODES.read_text())["card_sources"]["prefer"])


@cache
def observation_mappings() -> tuple[ObservationMapping, ...]:
    data = json.loads(OBSERVATION_CODES.read_text())
    return tuple(
        ObservationMapping(
            fact=e["fact"],
            value=e["value"],
            codes=frozenset((c["system"], c["code"]) for c in e["codes"]),
            review=e["review"],
        )
        for e in data["entries"]
    )


def concepts(resource: dict) -> list[dict]:
    """The CodeableConcepts naming what an order orders (FHIR R4 and R5 shapes)."""
    found = []
    for key in ("medicationCodeableConcept", "code", "medication"):
        value = resource.get(key)
        if isinstance(value, dict):
            # R5 CodeableReference: {"concept": {...}}
            found.append(value.get("concept") if isinstance(value.get("concept"), dict) else value)
    return [c for c in found if isinstance(c, dict)]


def match_order(resource: dict) -> Match | None:
    """The add-on an order is for, by code first and then by name, or None."""
    kind = resource.get("resourceType")
    candidates = [m for m in order_mappings() if kind in m.resources]
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
    for mapping in candidates:
        for system, code in codes:
            if (system, code) in mapping.codes:
                return Match(mapping.addon, mapping.review, f"code {system}|{code}")
    for mapping in candidates:
        for text in texts:
            found = mapping.pattern.search(text)
            if found:
                return Match(mapping.addon, mapping.review, f'name "{found.group(1)}"')
    return None


def order_label(resource: dict) -> str:
    for concept in concepts(resource):
        if isinstance(concept.get("text"), str) and concept["text"].strip():
            return concept["text"].strip()
        for coding in concept.get("coding") or []:
            if isinstance(coding, dict) and isinstance(coding.get("display"), str):
                return coding["display"]
    return resource.get("resourceType", "order")


def observation_search() -> str:
    """The FHIR search for the observations the mapping reads (a prefetch template)."""
    tokens = sorted({f"{s}|{c}" for m in observation_mappings() for s, c in m.codes})
    return "Observation?subject={{context.patientId}}&code=" + ",".join(tokens)
