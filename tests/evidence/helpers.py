"""Helpers for engine tests: facts in, answer out, no database."""

from __future__ import annotations

import json

from workup.evidence import engine
from workup.evidence.catalogue import Catalogue
from workup.evidence.facts import parse_facts


def assess(catalogue: Catalogue, **facts) -> dict:
    facts.setdefault("age", 37)
    parsed = parse_facts(facts, **catalogue.codes_for_facts())
    return engine.assess(parsed, catalogue)


def step_codes(answer: dict) -> list[str]:
    return [s["code"] for s in answer["next_steps"]]


def step(answer: dict, code: str) -> dict | None:
    return next((s for s in answer["next_steps"] if s["code"] == code), None)


def status(answer: dict, code: str) -> str:
    return next(i["status"] for i in answer["checklist"] if i["code"] == code)


def with_values(catalogue: Catalogue, **changes) -> Catalogue:
    """A copy of the catalogue with some parameter values changed."""
    data = json.loads(json.dumps(catalogue.to_dict()))
    for parameter in data["parameters"]:
        if parameter["code"] in changes:
            parameter["value"] = changes[parameter["code"]]
    return Catalogue.from_dict(data)
