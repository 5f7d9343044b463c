"""What the engine cannot work without, and the check that a catalogue has it.

- every parameter the engine's rules read (found in the engine's own source, its stimulation
  rules included: each ``trace.value("code")`` and ``catalogue.param("code")``, so a new rule
  needs no second list);
- every statement the engine says (``engine.all_statements()``);
- an implantation chance, between 0 and 1, for euploid and untested blastocysts at every age
  the facts accept (rows for other PGT-A kinds or stages are optional, and must name known ones);
- every cited source.

``problems(data)`` checks a catalogue in the snapshot's shape (the fixture has the same shape)
and names each thing missing. It is run when the catalogue is loaded, when the lead edits it in
the admin, and before a new snapshot is served (``store``).
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from . import engine, stimulation
from .catalogue import DEFAULT_STAGE, EMBRYO_KINDS, PGTA_KINDS, STAGES, Catalogue

# The modules holding the engine's rules.
RULE_MODULES = (engine, stimulation)

# The ages ``facts.parse_facts`` accepts (tested against it, so the two cannot drift).
AGES = range(18, 61)

_READERS = {"value", "param"}


@cache
def required_parameters() -> frozenset[str]:
    """The parameter codes the engine reads, from the engine's source."""
    codes = set()
    nodes = [n for m in RULE_MODULES for n in ast.walk(ast.parse(inspect.getsource(m)))]
    for node in nodes:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _READERS
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            codes.add(node.args[0].value)
    return frozenset(codes)


def _spans(ages: Iterable[int]) -> list[str]:
    """[35, 36, 37, 43] -> ["ages 35 to 37", "age 43"]."""
    out: list[str] = []
    ages = sorted(ages)
    start = prev = None
    for age in [*ages, None]:
        if start is not None and (age is None or age != prev + 1):
            out.append(f"age {start}" if start == prev else f"ages {start} to {prev}")
            start = None
        if age is not None and start is None:
            start = age
        prev = age
    return out


def problems(data: Mapping[str, Any]) -> list[str]:
    """Everything the engine would miss in this catalogue, one sentence each; [] when whole."""
    out: list[str] = []
    parameters = {row.get("code") for row in data.get("parameters", ()) if row.get("code")}
    for code in sorted(required_parameters() - parameters):
        out.append(
            f"The parameter {code} is missing or retired: the engine needs it "
            "(bring it back or load the catalogue again)."
        )
    statements = {row.get("code") for row in data.get("statements", ()) if row.get("code")}
    for code in sorted(set(engine.all_statements()) - statements):
        out.append(
            f"The statement {code} is missing or retired: the engine says it "
            "(bring it back or load the catalogue again)."
        )
    chances = data.get("implantation_chances", ())
    for row in chances:
        chance = row.get("chance")
        if not isinstance(chance, (int, float)) or not 0 <= chance <= 1:
            out.append(
                f"The implantation chance {row.get('code')} must be between 0 and 1 "
                f"(it is {chance!r})."
            )
        if row.get("embryo") not in PGTA_KINDS:
            out.append(
                f"The implantation chance {row.get('code')} is for an unknown embryo kind "
                f"{row.get('embryo')!r} (known: {', '.join(PGTA_KINDS)})."
            )
        if row.get("stage", DEFAULT_STAGE) not in STAGES:
            out.append(
                f"The implantation chance {row.get('code')} is for an unknown stage "
                f"{row.get('stage')!r} (known: {', '.join(STAGES)})."
            )
    for embryo in EMBRYO_KINDS:
        covered = set()
        for row in chances:
            if row.get("embryo") == embryo and row.get("stage", DEFAULT_STAGE) == DEFAULT_STAGE:
                try:
                    covered.update(range(int(row["age_min"]), int(row["age_max"]) + 1))
                except (KeyError, TypeError, ValueError):
                    continue
        for span in _spans(a for a in AGES if a not in covered):
            out.append(
                f"No implantation chance for {embryo} {DEFAULT_STAGE}s at {span}: the RIF label "
                "needs one for every age from "
                f"{AGES[0]} to {AGES[-1]}."
            )
    keys = {s.get("key") for s in data.get("sources", ())}
    for kind in (
        "investigations",
        "next_steps",
        "addons",
        "implantation_chances",
        "parameters",
        "statements",
    ):
        for row in data.get(kind, ()):
            for key in row.get("sources", ()):
                if key not in keys:
                    out.append(f"{kind}/{row.get('code')} cites the missing source {key}.")
    if not out:
        try:
            Catalogue.from_dict(data)
        except (KeyError, TypeError, ValueError) as exc:
            out.append(f"The catalogue cannot be read: {exc!r}.")
    return out


# Where the engine reads every entry of a kind (not by its code).
KIND_READERS = {
    "investigations": ("build_checklist", "next_steps"),
    "next_steps": ("next_steps",),
    "addons": ("addon_flags",),
    "implantation_chances": ("cumulative_implantation_chance",),
    "parameters": (),
}


@cache
def _functions() -> dict[str, tuple[str, frozenset[str]]]:
    """Each top-level engine function: (first line of its docstring, string constants in it)."""
    out = {}
    for node in [n for m in RULE_MODULES for n in ast.parse(inspect.getsource(m)).body]:
        if isinstance(node, ast.FunctionDef):
            doc = (ast.get_docstring(node) or "").split("\n\n")[0].replace("\n", " ")
            constants = frozenset(
                n.value
                for n in ast.walk(node)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            )
            out[node.name] = (doc, constants)
    return out


def rules_reading(kind: str, code: str) -> list[tuple[str, str]]:
    """(function name, what it does) for each engine rule that reads this entry."""
    functions = _functions()
    names = [name for name, (_, constants) in functions.items() if code in constants]
    names += [n for n in KIND_READERS.get(kind, ()) if n in functions and n not in names]
    return [(name, functions[name][0]) for name in names]
