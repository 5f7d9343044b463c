"""One way from raw input to the engine's answer, shared by the command line and the API."""

from __future__ import annotations

import json
from typing import Any

from . import engine, store
from .catalogue import Catalogue
from .facts import Facts, FactsError, parse_facts


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def decode_json(raw: bytes | str) -> Any:
    """Parse a JSON document; bad JSON raises FactsError under the key 'json'."""
    try:
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8")
        return json.loads(raw, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise FactsError({"json": ["The body is not UTF-8 text."]}) from None
    except json.JSONDecodeError as exc:
        message = f"Malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        raise FactsError({"json": [message]}) from None
    except (ValueError, RecursionError) as exc:
        raise FactsError({"json": [f"Malformed JSON: {exc}."]}) from None


def facts_from(data: Any, catalogue: Catalogue, prefix: str = "") -> Facts:
    return parse_facts(data, prefix=prefix, **catalogue.codes_for_facts())


def assess_data(data: Any, catalogue: Catalogue | None = None) -> dict:
    """Validate and assess; raises FactsError naming every bad field."""
    catalogue = catalogue or store.get_catalogue()
    return engine.assess(facts_from(data, catalogue), catalogue)
