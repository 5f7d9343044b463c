"""One way from raw input to the engine's answer, shared by the command line and the API."""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone

from . import engine, store
from .catalogue import Catalogue
from .facts import Facts, FactsError, parse_facts


def _non_finite(name: str) -> float:
    """NaN and Infinity are not JSON, but some clients send them: keep them as non-finite
    numbers so that validation names the field they were given for ("tsh": a number too large
    to use, or not a number), as it does for 1e400, which Python reads as infinity."""
    return float(name.replace("Infinity", "inf"))


def decode_json(raw: bytes | str) -> Any:
    """Parse a JSON document; bad JSON raises FactsError under the key 'json'."""
    try:
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8")
        return json.loads(raw, parse_constant=_non_finite)
    except UnicodeDecodeError:
        raise FactsError({"json": ["The body is not UTF-8 text."]}) from None
    except json.JSONDecodeError as exc:
        message = f"Malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        raise FactsError({"json": [message]}) from None
    except (ValueError, RecursionError) as exc:
        raise FactsError({"json": [f"Malformed JSON: {exc}."]}) from None


def facts_from(data: Any, catalogue: Catalogue, prefix: str = "") -> Facts:
    """Facts from input: a transfer dated after today is refused (the engine has no clock)."""
    return parse_facts(
        data, prefix=prefix, today=timezone.localdate(), **catalogue.codes_for_facts()
    )


def assess_data(data: Any, catalogue: Catalogue | None = None) -> dict:
    """Validate and assess; raises FactsError naming every bad field."""
    catalogue = catalogue or store.get_catalogue()
    return engine.assess(facts_from(data, catalogue), catalogue)
