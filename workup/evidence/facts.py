"""Validate a work-up's facts into a frozen dataclass, or report every bad field.

The input is the JSON object described in ``docs/engine.md`` (the assessment contract). A key
that is missing or null means "not known yet", which is different from false or 0.

``parse_facts(data, addon_codes=...)`` returns a :class:`Facts` or raises :class:`FactsError`
whose ``errors`` maps a dotted field path (``"amh.unit"``, ``"previous_oocytes.1"``) to a list of
messages. The web forms call :func:`validate_fragment` on the keys they edit, so a message beside
a form field is the same message the API and the command line give.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, fields, is_dataclass, make_dataclass, replace
from datetime import date
from functools import cached_property
from typing import Any

from . import findings as spec

AMH_PMOL_PER_NG = spec.AMH_PMOL_L.per_canonical
AMH_UNITS = tuple(u.symbol for u in spec.BY_PATH["amh"].units)
APS_RESULTS = tuple(code for code, _words in spec.APS_RESULTS)
KARYOTYPES = tuple(code for code, _words in spec.KARYOTYPES)
PROTOCOLS = ("antagonist", "long_agonist", "short_agonist", "mild", "natural", "ppos", "other")
TRIGGERS = ("hcg", "agonist", "dual")
OHSS_GRADES = ("none", "mild", "moderate", "severe")
MAX_DOSE_IU = 600
MAX_COUNT = 100
MAX_LIST = 50
MAX_REASON = 500


class FactsError(Exception):
    """Bad input: ``errors`` maps each bad field's dotted path to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


# --- the facts -------------------------------------------------------------------------------
#
# The findings' fields and dataclasses are derived from ``findings.FINDINGS`` (each finding
# described once); the records (cycles) and the clinician's decisions are declared here.


@dataclass(frozen=True)
class Quantity:
    """A value entered in one of several units: ``value`` in the finding's canonical unit (AMH:
    ng/mL), ``unit`` and ``entered`` as the user typed them."""

    value: float
    unit: str = field(default="", compare=False)
    entered: float | None = field(default=None, compare=False)

    @property
    def ng_ml(self) -> float:
        """AMH's canonical unit is ng/mL (``findings.AMH_NG_ML``)."""
        return self.value


Amh = Quantity

_PYTHON_TYPES = {
    spec.BOOL: bool,
    spec.COUNT: int,
    spec.WHOLE: int,
    spec.NUMBER: float,
    spec.CHOICE: str,
    spec.DATE: date,
    spec.TEXT: str,
    spec.QUANTITY: Quantity,
}


def _type_of(finding: spec.Finding):
    return _PYTHON_TYPES[finding.kind] | None


def _group_class(group: str):
    """The frozen dataclass of a facts object (``Hysteroscopy``: done, polyp, ...)."""
    members = [f for f in spec.GROUPS[group] if f.in_facts]
    return make_dataclass(
        "".join(part.title() for part in group.split("_")),
        [(f.key, _type_of(f), field(default=None)) for f in members],
        frozen=True,
    )


GROUP_CLASSES = {group: _group_class(group) for group in spec.GROUPS}
Pgta = GROUP_CLASSES["pgta"]
Hysteroscopy = GROUP_CLASSES["hysteroscopy"]
CeBiopsy = GROUP_CLASSES["ce_biopsy"]
EmbryoReview = GROUP_CLASSES["embryo_review"]
UterineImaging = GROUP_CLASSES["uterine_imaging"]


@dataclass(frozen=True)
class Cycle:
    """A previous stimulation cycle. ``ohss`` is a grade (``OHSS_GRADES``), ``True`` for OHSS
    whose grade is not recorded (contract 1's boolean), or None when not known; contract 1's
    ``false`` is read as the grade ``none``."""

    oocytes: int
    daily_dose_iu: int | None = None
    maximal_stimulation: bool | None = None
    ohss: str | bool | None = None
    protocol: str | None = None
    date: date | None = None
    trigger: str | None = None
    mature_oocytes: int | None = None
    freeze_all: bool | None = None


@dataclass(frozen=True)
class PlannedCycle:
    """The clinician's plan for the next stimulation; every part optional."""

    protocol: str | None = None
    daily_dose_iu: int | None = None
    trigger: str | None = None
    freeze_all: bool | None = None
    adjuvants: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, f.name) in (None, ()) for f in fields(self))


class _FactsMethods:
    """What the facts say beyond their fields."""

    @property
    def previous_oocytes(self) -> tuple[int, ...] | None:
        if self.previous_cycles is None:
            return None
        return tuple(c.oocytes for c in self.previous_cycles)

    @cached_property  # read for every checklist row; worked out once
    def untested_failed_transfers(self) -> int | None:
        if self.transfers is not None:
            return sum(
                1
                for t in self.transfers
                if t.failed and any(e.pgta == "untested" for e in t.embryos)
            )
        if self.failed_transfers is None:
            return None
        return self.failed_transfers - (self.euploid_failed_transfers or 0)

    def not_indicated_reason(self, code: str) -> str | None:
        return dict(self.not_indicated_by_clinician).get(code)

    def to_dict(self) -> dict[str, Any]:
        """The canonical JSON form: known keys only, quantities as entered."""
        out: dict[str, Any] = {}
        for f in fields(self):
            name = f.name
            value = getattr(self, name)
            if name == "cycles_detailed" or value is None:
                continue
            if isinstance(value, Quantity):
                out[name] = {"value": value.entered, "unit": value.unit}
            elif name == "previous_cycles":
                if self.cycles_detailed:
                    out["previous_cycles"] = [_drop_none(c) for c in value]
                else:
                    out["previous_oocytes"] = [c.oocytes for c in value]
            elif name == "planned_cycle":
                out[name] = _drop_none(value)
            elif name == "transfers":
                out[name] = [t.to_dict() for t in value]
            elif name == "not_indicated_by_clinician":
                if value:
                    out[name] = dict(value)
            elif isinstance(value, tuple):
                if value:
                    out[name] = list(value)
            elif is_dataclass(value):
                out[name] = _drop_none(value)
            elif isinstance(value, date):
                out[name] = value.isoformat()
            else:
                out[name] = value
        return out


# The facts that are not findings: records, requests and the clinician's decisions.
RECORD_FIELDS = [
    # Contract 2: the transfers one by one (``transfers.Transfer``); given them, the failed
    # transfer counts are worked out from them (``transfers.reconcile_counts``).
    ("transfers", tuple | None, field(default=None)),
    ("previous_cycles", tuple[Cycle, ...] | None, field(default=None)),
    ("planned_cycle", PlannedCycle | None, field(default=None)),
    ("addons_requested", tuple[str, ...], field(default=())),
    ("indicated_by_clinician", tuple[str, ...], field(default=())),
    ("not_indicated_by_clinician", tuple[tuple[str, str], ...], field(default=())),
    ("completed_actions", tuple[str, ...], field(default=())),
    # Remembers which spelling of the previous cycles was used, so output round-trips.
    ("cycles_detailed", bool, field(default=False, compare=False)),
]


def _facts_fields():
    out: list = [("age", int | None)]
    for finding in spec.facts_findings():
        if finding.group is None:
            out.append((finding.key, _type_of(finding), field(default=None)))
        elif finding is spec.GROUPS[finding.group][0]:
            out.append((finding.group, GROUP_CLASSES[finding.group] | None, field(default=None)))
    return out + RECORD_FIELDS


Facts = make_dataclass("Facts", _facts_fields(), bases=(_FactsMethods,), frozen=True)
Facts.__module__ = __name__
Facts.__doc__ = """A work-up's facts as the engine reads them: age, every finding of
``findings.FINDINGS`` the engine reads (top level, or grouped in a procedure's object), the
previous cycles, and the requests and decisions. Unknown is None."""


def _drop_none(obj) -> dict[str, Any]:
    """A nested fact as JSON: unknown parts left out, dates as text, lists as lists."""
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if value is None or value == ():
            continue
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


# --- validators ------------------------------------------------------------------------------


class _Bad(Exception):
    pass


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'the text "{shown}"'
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, float) and not math.isfinite(value):
        return "a number too large to use, or not a number"
    if isinstance(value, int) and abs(value) > 10**15:
        return "a number far too large"
    return repr(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"Expected true, false or null; got {_describe(value)}.")
    return value


def _whole(
    low: int, high: int, what: str = "a whole number", unit: str = ""
) -> Callable[[Any], int]:
    suffix = f" {unit}" if unit else ""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Bad(f"Expected {what}; got {_describe(value)}.")
        if isinstance(value, float):
            if not math.isfinite(value) or not value.is_integer():
                raise _Bad(f"Expected {what}; got {_describe(value)}.")
            value = int(value)
        if not low <= value <= high:
            raise _Bad(f"Must be between {low} and {high}{suffix}; got {_describe(value)}.")
        return value

    return check


def _number(low: float, high: float, unit: str = "") -> Callable[[Any], float]:
    suffix = f" {unit}" if unit else ""

    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Bad(f"Expected a number{suffix and ' in' + suffix}; got {_describe(value)}.")
        try:
            value = float(value)
        except OverflowError:
            value = math.inf  # an integer too large for a float
        if not math.isfinite(value):
            unit = suffix and " in" + suffix
            raise _Bad(f"Expected a finite number{unit}; got {_describe(value)}.")
        if not low <= value <= high:
            raise _Bad(f"Must be between {low:g} and {high:g}{suffix}; got {value:g}.")
        return value

    return check


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise _Bad(f"Expected a date as YYYY-MM-DD; got {_describe(value)}.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Bad(f"Not a valid date (YYYY-MM-DD): {_describe(value)}.") from None


def _choice(options: Iterable[str]) -> Callable[[Any], str]:
    options = tuple(options)

    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in options:
            raise _Bad(f"Expected one of {', '.join(options)}; got {_describe(value)}.")
        return value

    return check


_age = _whole(18, 60, "a whole number of years", "years")
_count = _whole(0, MAX_COUNT)


class _Collector:
    """Collects messages by path while a structure is walked."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix
        self.errors: dict[str, list[str]] = {}

    def path(self, *parts: str | int) -> str:
        tail = ".".join(str(p) for p in parts)
        if self.prefix and tail:
            return f"{self.prefix}.{tail}"
        return self.prefix or tail or "facts"

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def check(self, path: str, validator, value):
        """Run a validator; None (unknown) passes untouched."""
        if value is None:
            return None
        try:
            return validator(value)
        except _Bad as bad:
            self.add(path, str(bad))
            return None


def _unknown_key(key: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(str(key), list(known), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return f"Unknown field.{hint} Known fields here: {', '.join(sorted(known))}."


def _object(col: _Collector, path_parts: tuple, value: Any, checks: dict[str, Callable]):
    """Validate a nested object whose every key is optional; returns a dict of clean values."""
    path = col.path(*path_parts)
    if not isinstance(value, dict):
        col.add(path, f"Expected an object with keys {', '.join(checks)}; got {_describe(value)}.")
        return None
    clean: dict[str, Any] = {}
    for key, item in value.items():
        if key not in checks:
            col.add(col.path(*path_parts, key), _unknown_key(key, checks))
            continue
        clean[key] = col.check(col.path(*path_parts, key), checks[key], item)
    return clean


def _ohss(value: Any) -> str | bool:
    """A grade, or contract 1's boolean: false is the grade 'none', true an ungraded OHSS."""
    if value is False:
        return "none"
    if value is True:
        return True
    if isinstance(value, str) and value in OHSS_GRADES:
        return value
    raise _Bad(f"Expected one of {', '.join(OHSS_GRADES)} (or true/false); got {_describe(value)}.")


_dose = _whole(0, MAX_DOSE_IU, "a whole number of IU per day", "IU per day")

_CYCLE = {
    "oocytes": _count,
    "mature_oocytes": _count,
    "daily_dose_iu": _dose,
    "maximal_stimulation": _boolean,
    "ohss": _ohss,
    "protocol": _choice(PROTOCOLS),
    "trigger": _choice(TRIGGERS),
    "freeze_all": _boolean,
    "date": _date,
}
_PLANNED = {
    "protocol": _choice(PROTOCOLS),
    "daily_dose_iu": _dose,
    "trigger": _choice(TRIGGERS),
    "freeze_all": _boolean,
    "adjuvants": None,  # add-on codes, checked against the catalogue
}


def _validator(finding: spec.Finding) -> Callable[[Any], Any]:
    """The check of one finding's value, from its description."""
    unit = finding.unit.symbol if finding.unit else ""
    kind = finding.kind
    if kind == spec.BOOL:
        return _boolean
    if kind == spec.COUNT:
        return _whole(0, int(finding.high if finding.high is not None else MAX_COUNT))
    if kind == spec.WHOLE:
        what = f"a whole number of {unit}" if unit else "a whole number"
        return _whole(int(finding.low), int(finding.high), what, unit)
    if kind == spec.NUMBER:
        return _number(finding.low, finding.high, unit)
    if kind == spec.CHOICE:
        return _choice(code for code, _words in finding.choices)
    if kind == spec.DATE:
        return _date
    raise ValueError(f"No validator for a {kind} finding ({finding.path}).")


SCALARS: dict[str, Callable] = {"age": _age} | {
    f.key: _validator(f)
    for f in spec.facts_findings()
    if f.group is None and f.kind != spec.QUANTITY
}
QUANTITIES = {f.key: f for f in spec.facts_findings() if f.kind == spec.QUANTITY}
OBJECTS = {
    group: ({f.key: _validator(f) for f in members if f.in_facts}, GROUP_CLASSES[group])
    for group, members in spec.GROUPS.items()
}
SPECIAL = (
    *QUANTITIES,
    "previous_oocytes",
    "previous_cycles",
    "planned_cycle",
    "addons_requested",
    "indicated_by_clinician",
    "not_indicated_by_clinician",
    "completed_actions",
    "transfers",
)
KNOWN_KEYS = tuple(SCALARS) + tuple(OBJECTS) + SPECIAL
RESULTS_WITHOUT_PROCEDURE = spec.RESULTS_WITHOUT_PROCEDURE


def _parse_quantity(col: _Collector, finding: spec.Finding, value: Any) -> Quantity | None:
    """A value with its unit ({"value": 15.25, "unit": "pmol/L"}), kept as entered beside the
    value in the canonical unit; each unit has its own ceiling."""
    key = finding.key
    symbols = " or ".join(u.symbol for u in finding.units)
    clean = _object(col, (key,), value, {"value": lambda v: v, "unit": lambda v: v})
    if clean is None:
        return None
    raw_unit = clean.get("unit")
    unit = None
    if raw_unit is None:
        col.add(col.path(key, "unit"), f"Give the unit: {symbols}.")
    elif not isinstance(raw_unit, str):
        col.add(col.path(key, "unit"), f"Expected {symbols}; got {_describe(raw_unit)}.")
    else:
        unit = finding.unit_for(raw_unit)
        if unit is None:
            col.add(col.path(key, "unit"), f"Unknown unit {raw_unit!r}; use {symbols}.")
    raw_value = clean.get("value")
    if raw_value is None:
        col.add(
            col.path(key, "value"),
            f"Give the {finding.label} value (or leave out {key} if not known).",
        )
        return None
    high = finding.high_in(unit or finding.unit)
    symbol = unit.symbol if unit else ""
    number = col.check(col.path(key, "value"), _number(finding.low, high, symbol), raw_value)
    if number is None or unit is None:
        return None
    amount = spec.Amount.of(finding, number, unit)
    return Quantity(value=amount.value, unit=unit.symbol, entered=number)


def _parse_list(col: _Collector, key: str, value: Any, item) -> list | None:
    if not isinstance(value, list):
        col.add(col.path(key), f"Expected a list; got {_describe(value)}.")
        return None
    if len(value) > MAX_LIST:
        col.add(col.path(key), f"At most {MAX_LIST} entries; got {len(value)}.")
        return None
    out = []
    for index, element in enumerate(value):
        path = col.path(key, index)
        if element is None:
            col.add(path, "Expected a value; got null.")
            continue
        out.append(item(path, index, element))
    return out


def _codes(col: _Collector, key: str, value: Any, known: Collection[str], what: str):
    def item(path, _index, element):
        if not isinstance(element, str):
            article = "an" if what[0] in "aeiou" else "a"
            col.add(path, f"Expected {article} {what} code; got {_describe(element)}.")
            return None
        if element not in known:
            close = difflib.get_close_matches(element, list(known), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            col.add(path, f"Unknown {what} '{element}'.{hint}")
            return None
        return element

    items = _parse_list(col, key, value, item)
    if items is None:
        return ()
    seen: list[str] = []
    for code in items:
        if code is not None and code not in seen:
            seen.append(code)
    return tuple(seen)


def _build(cls, clean: dict | None):
    if clean is None:
        return None
    return cls(**clean)


def parse_facts(
    data: Any,
    *,
    addon_codes: Collection[str],
    step_codes: Collection[str] = (),
    action_codes: Collection[str] = (),
    aps_repeat_weeks: float | None = None,
    require_age: bool = True,
    prefix: str = "",
    today: date | None = None,
) -> Facts:
    """Validate ``data`` into :class:`Facts`; raise :class:`FactsError` naming every bad field.

    ``addon_codes`` are the catalogue's add-on codes, ``step_codes`` its investigation codes and
    ``action_codes`` its next-step codes (the last two check the clinician's own decisions);
    ``aps_repeat_weeks`` is the catalogue's interval before a repeat antiphospholipid test.
    ``catalogue.codes_for_facts()`` gives all four. ``today``, when given, refuses transfer
    dates in the future (the engine has no clock; the API and the command line pass it).
    """
    from .transfers import parse_transfers, reconcile_counts

    col = _Collector(prefix)
    if not isinstance(data, dict):
        col.add(col.path(), f"Expected a JSON object of facts; got {_describe(data)}.")
        raise FactsError(col.errors)

    values: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(key, str) or key not in KNOWN_KEYS:
            col.add(col.path(str(key)), _unknown_key(key, KNOWN_KEYS))
            continue
        if key in SCALARS:
            values[key] = col.check(col.path(key), SCALARS[key], value)
        elif key in OBJECTS and value is not None:
            checks, cls = OBJECTS[key]
            values[key] = _build(cls, _object(col, (key,), value, checks))
        elif key in QUANTITIES and value is not None:
            values[key] = _parse_quantity(col, QUANTITIES[key], value)
        elif key == "previous_oocytes" and value is not None:
            items = _parse_list(col, key, value, lambda p, _i, v: col.check(p, _count, v))
            if items is not None and None not in items:
                values["previous_cycles"] = tuple(Cycle(oocytes=n) for n in items)
        elif key == "previous_cycles" and value is not None:

            def cycle(path, index, element):
                clean = _object(col, ("previous_cycles", index), element, _CYCLE)
                if clean is None:
                    return None
                if clean.get("oocytes") is None:
                    if "oocytes" not in clean:
                        col.add(f"{path}.oocytes", "Give the number of oocytes retrieved.")
                    return None
                mature = clean.get("mature_oocytes")
                if mature is not None and mature > clean["oocytes"]:
                    col.add(
                        f"{path}.mature_oocytes",
                        f"Cannot exceed the oocytes retrieved ({clean['oocytes']}); mature "
                        "oocytes are part of them.",
                    )
                    return None
                return Cycle(**clean)

            items = _parse_list(col, key, value, cycle)
            if items is not None and None not in items:
                values["previous_cycles"] = tuple(items)
                values["cycles_detailed"] = True
        elif key == "planned_cycle" and value is not None:
            values[key] = _parse_plan(col, value, addon_codes)
        elif key == "addons_requested" and value is not None:
            values[key] = _codes(col, key, value, addon_codes, "add-on")
        elif key == "indicated_by_clinician" and value is not None:
            values[key] = _codes(col, key, value, step_codes, "investigation")
        elif key == "completed_actions" and value is not None:
            values[key] = _codes(col, key, value, action_codes, "next step")
        elif key == "not_indicated_by_clinician" and value is not None:
            values[key] = _not_indicated(col, value, step_codes)
        elif key == "transfers" and value is not None:
            values[key] = parse_transfers(col, value, today)

    if data.get("previous_oocytes") is not None and data.get("previous_cycles") is not None:
        col.add(col.path("previous_cycles"), "Give previous_oocytes or previous_cycles, not both.")

    if require_age and values.get("age") is None and col.path("age") not in col.errors:
        col.add(col.path("age"), "Age is required (a whole number of years, 18 to 60).")

    _cross_checks(col, values)
    reconcile_counts(col, values)
    _aps_interval(col, values, aps_repeat_weeks)
    if col.errors:
        raise FactsError(col.errors)
    _infer_done(values)
    values.setdefault("age", None)
    return Facts(**{k: v for k, v in values.items() if v is not None or k == "age"})


def _parse_plan(col: _Collector, value: Any, addon_codes: Collection[str]) -> PlannedCycle | None:
    """The planned cycle; its adjuvants are add-on codes (flagged like requested add-ons)."""
    checks = {k: (v or (lambda x: x)) for k, v in _PLANNED.items()}
    clean = _object(col, ("planned_cycle",), value, checks)
    if clean is None:
        return None
    adjuvants = clean.pop("adjuvants", None)
    codes: tuple[str, ...] = ()
    if adjuvants is not None:
        codes = _codes(col, "planned_cycle.adjuvants", adjuvants, addon_codes, "add-on")
    plan = PlannedCycle(**clean, adjuvants=codes)
    return None if plan.is_empty else plan


def _not_indicated(col: _Collector, value: Any, step_codes: Collection[str]):
    key = "not_indicated_by_clinician"
    if not isinstance(value, dict):
        col.add(col.path(key), f"Expected an object of code: reason; got {_describe(value)}.")
        return ()
    out = []
    for code, reason in value.items():
        path = col.path(key, code)
        if code not in step_codes:
            col.add(path, f"Unknown investigation '{code}'.")
            continue
        if not isinstance(reason, str) or not reason.strip():
            col.add(path, "Give the reason this investigation is not indicated.")
            continue
        if len(reason) > MAX_REASON:
            col.add(path, f"At most {MAX_REASON} characters.")
            continue
        out.append((code, reason.strip()))
    return tuple(out)


def _cross_checks(col: _Collector, values: dict[str, Any]) -> None:
    """Facts that contradict each other: name the field that cannot be right."""
    failed, euploid = values.get("failed_transfers"), values.get("euploid_failed_transfers")
    if failed is not None and euploid is not None and euploid > failed:
        col.add(
            col.path("euploid_failed_transfers"),
            f"Cannot exceed failed_transfers ({failed}); euploid failures are part of them.",
        )

    for group, members in spec.GROUPS.items():
        obj = values.get(group)
        if obj is not None:
            _procedure_checks(col, group, members, obj)

    cleared = {code for code, _ in values.get("not_indicated_by_clinician") or ()}
    for code in values.get("indicated_by_clinician") or ():
        if code in cleared:
            col.add(
                col.path("not_indicated_by_clinician", code),
                "Marked both indicated and not indicated.",
            )


def aps_interval_message(weeks: float, apart: float) -> str:
    return (
        f"Confirmed needs a persistent result at least {weeks:g} weeks after the first test; "
        f"these tests are {apart:.0f} weeks apart. Record a single positive result until the "
        "repeat is due."
    )


def _aps_interval(col: _Collector, values: dict[str, Any], weeks: float | None) -> None:
    """A confirmed antiphospholipid result needs a repeat test at least the catalogue's interval
    (12 weeks, pending review) after the first: the same rule for form, API and command line."""
    first, repeat = values.get("aps_first_test_date"), values.get("aps_repeat_test_date")
    if first and repeat and repeat < first:
        col.add(col.path("aps_repeat_test_date"), "The repeat test cannot be before the first.")
        return
    if weeks is not None and values.get("aps") == "confirmed" and first and repeat:
        apart = (repeat - first).days / 7
        if apart < weeks:
            col.add(col.path("aps"), aps_interval_message(weeks, apart))


def _procedure_checks(col: _Collector, group: str, members, obj) -> None:
    """Results recorded for a procedure that was not done, and results recorded out of order
    (a re-biopsy without treatment): each finding's ``after`` in ``findings.py`` says when it is
    meaningful."""
    said_not_done = RESULTS_WITHOUT_PROCEDURE.get(group)
    for finding in members:
        if not finding.in_facts:
            continue
        value = getattr(obj, finding.key)
        if said_not_done and finding.result and value and getattr(obj, "done", None) is False:
            col.add(col.path(group, finding.key), str(said_not_done))
        if finding.after is None:
            continue
        needs, needed, what = finding.after
        claims = value is not None if finding.false_is_claim else value is True
        if claims and getattr(obj, needs) is not needed:
            # An unknown 'done' with a result given is read as done (see _infer_done).
            if needs == "done" and obj.done is None:
                continue
            col.add(col.path(group, finding.key), f"Only meaningful after {what}.")


def _infer_done(values: dict[str, Any]) -> None:
    """A result recorded with 'done' left unknown means the procedure was done. For counts (PGT-A)
    a 0 says nothing; for findings, false means "looked, not found"."""
    for group, members in spec.GROUPS.items():
        obj = values.get(group)
        if obj is None or getattr(obj, "done", True) is not None:
            continue
        results = [(f, getattr(obj, f.key)) for f in members if f.in_facts and f.result]
        if any(bool(v) if f.kind == spec.COUNT else v is not None for f, v in results):
            values[group] = replace(obj, done=True)


def validate_fragment(data: dict, *, addon_codes: Collection[str] = (), **codes) -> dict:
    """Errors for a part of the facts (a form's keys); an empty dict when all is well."""
    try:
        parse_facts(data, addon_codes=addon_codes, require_age=False, **codes)
    except FactsError as exc:
        return exc.errors
    return {}
