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
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .transfers import Transfer

AMH_PMOL_PER_NG = 7.14  # 1 ng/mL = 7.14 pmol/L (clinical-reference section 5, V)
AMH_UNITS = ("ng/mL", "pmol/L")
APS_RESULTS = ("not_tested", "negative", "single_positive", "confirmed")
KARYOTYPES = ("normal", "abnormal")
PROTOCOLS = ("antagonist", "long_agonist", "short_agonist", "mild", "natural", "ppos", "other")
MAX_COUNT = 100
MAX_LIST = 50
MAX_REASON = 500


class FactsError(Exception):
    """Bad input: ``errors`` maps each bad field's dotted path to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


# --- the facts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pgta:
    done: bool | None = None
    discussed: bool | None = None
    euploid: int | None = None
    aneuploid: int | None = None
    mosaic: int | None = None
    no_result: int | None = None


@dataclass(frozen=True)
class Done:
    done: bool | None = None


@dataclass(frozen=True)
class Hysteroscopy:
    done: bool | None = None
    polyp: bool | None = None
    submucosal_fibroid: bool | None = None
    septum: bool | None = None
    adhesions: bool | None = None
    endometritis_signs: bool | None = None


@dataclass(frozen=True)
class CeBiopsy:
    done: bool | None = None
    cd138_positive: bool | None = None
    treated: bool | None = None
    rebiopsy_negative: bool | None = None
    second_line_treated: bool | None = None
    second_line_rebiopsy_negative: bool | None = None


@dataclass(frozen=True)
class Amh:
    """AMH stored in ng/mL; ``unit`` and ``entered`` keep what the user typed."""

    ng_ml: float
    unit: str = field(default="ng/mL", compare=False)
    entered: float | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Cycle:
    oocytes: int
    daily_dose_iu: int | None = None
    maximal_stimulation: bool | None = None
    ohss: bool | None = None
    protocol: str | None = None


@dataclass(frozen=True)
class Facts:
    age: int | None
    bmi: float | None = None
    smoker: bool | None = None
    alcohol_units_week: int | None = None
    failed_transfers: int | None = None
    euploid_failed_transfers: int | None = None
    miscarriages: int | None = None
    # Contract 2: the transfers one by one (``transfers.Transfer``); given them, the three
    # counts above are worked out from them (``transfers.reconcile_counts``).
    transfers: tuple[Transfer, ...] | None = None
    pgta: Pgta | None = None
    embryo_review: Done | None = None
    uterine_imaging: Done | None = None
    hysteroscopy: Hysteroscopy | None = None
    ce_biopsy: CeBiopsy | None = None
    hydrosalpinx: bool | None = None
    adenomyosis: bool | None = None
    amh: Amh | None = None
    afc: int | None = None
    previous_cycles: tuple[Cycle, ...] | None = None
    tsh: float | None = None
    tpo_positive: bool | None = None
    aps: str | None = None
    aps_first_test_date: date | None = None
    aps_repeat_test_date: date | None = None
    karyotype: str | None = None
    addons_requested: tuple[str, ...] = ()
    indicated_by_clinician: tuple[str, ...] = ()
    not_indicated_by_clinician: tuple[tuple[str, str], ...] = ()
    completed_actions: tuple[str, ...] = ()
    # Remembers which spelling of the previous cycles was used, so output round-trips.
    cycles_detailed: bool = field(default=False, compare=False)

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
        """The canonical JSON form: known keys only, AMH in ng/mL."""
        out: dict[str, Any] = {}
        for f in fields(self):
            name = f.name
            value = getattr(self, name)
            if name == "cycles_detailed" or value is None:
                continue
            if name == "amh":
                out["amh"] = {"value": value.ng_ml, "unit": "ng/mL"}
            elif name == "previous_cycles":
                if self.cycles_detailed:
                    out["previous_cycles"] = [_drop_none(c) for c in value]
                else:
                    out["previous_oocytes"] = [c.oocytes for c in value]
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


def _drop_none(obj) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj) if getattr(obj, f.name) is not None}


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


def _object(col: _Collector, path_parts: tuple, value: Any, spec: dict[str, Callable]):
    """Validate a nested object whose every key is optional; returns a dict of clean values."""
    path = col.path(*path_parts)
    if not isinstance(value, dict):
        col.add(path, f"Expected an object with keys {', '.join(spec)}; got {_describe(value)}.")
        return None
    clean: dict[str, Any] = {}
    for key, item in value.items():
        if key not in spec:
            col.add(col.path(*path_parts, key), _unknown_key(key, spec))
            continue
        clean[key] = col.check(col.path(*path_parts, key), spec[key], item)
    return clean


_PGTA = {
    "done": _boolean,
    "discussed": _boolean,
    "euploid": _count,
    "aneuploid": _count,
    "mosaic": _count,
    "no_result": _count,
}
_DONE = {"done": _boolean}
_HYSTEROSCOPY = {
    "done": _boolean,
    "polyp": _boolean,
    "submucosal_fibroid": _boolean,
    "septum": _boolean,
    "adhesions": _boolean,
    "endometritis_signs": _boolean,
}
_CE_BIOPSY = {
    "done": _boolean,
    "cd138_positive": _boolean,
    "treated": _boolean,
    "rebiopsy_negative": _boolean,
    "second_line_treated": _boolean,
    "second_line_rebiopsy_negative": _boolean,
}
_CYCLE = {
    "oocytes": _count,
    "daily_dose_iu": _whole(0, 1000, "a whole number of IU per day"),
    "maximal_stimulation": _boolean,
    "ohss": _boolean,
    "protocol": _choice(PROTOCOLS),
}

SCALARS: dict[str, Callable] = {
    "age": _age,
    "bmi": _number(12, 80, "kg/m²"),
    "smoker": _boolean,
    "alcohol_units_week": _whole(0, 200, "a whole number of units a week"),
    "failed_transfers": _count,
    "euploid_failed_transfers": _count,
    "miscarriages": _count,
    "hydrosalpinx": _boolean,
    "adenomyosis": _boolean,
    "afc": _whole(0, 100),
    "tsh": _number(0, 100, "mIU/L"),
    "tpo_positive": _boolean,
    "aps": _choice(APS_RESULTS),
    "aps_first_test_date": _date,
    "aps_repeat_test_date": _date,
    "karyotype": _choice(KARYOTYPES),
}
OBJECTS = {
    "pgta": (_PGTA, Pgta),
    "embryo_review": (_DONE, Done),
    "uterine_imaging": (_DONE, Done),
    "hysteroscopy": (_HYSTEROSCOPY, Hysteroscopy),
    "ce_biopsy": (_CE_BIOPSY, CeBiopsy),
}
SPECIAL = (
    "amh",
    "previous_oocytes",
    "previous_cycles",
    "addons_requested",
    "indicated_by_clinician",
    "not_indicated_by_clinician",
    "completed_actions",
    "transfers",
)
KNOWN_KEYS = tuple(SCALARS) + tuple(OBJECTS) + SPECIAL

# Upper bounds for AMH, per unit (a generous ceiling that catches a slipped decimal point).
AMH_MAX_NG = 50.0


def _parse_amh(col: _Collector, value: Any) -> Amh | None:
    clean = _object(col, ("amh",), value, {"value": lambda v: v, "unit": lambda v: v})
    if clean is None:
        return None
    raw_unit = clean.get("unit")
    unit = None
    if raw_unit is None:
        col.add(col.path("amh", "unit"), "Give the unit: ng/mL or pmol/L.")
    elif not isinstance(raw_unit, str):
        col.add(col.path("amh", "unit"), f"Expected ng/mL or pmol/L; got {_describe(raw_unit)}.")
    else:
        matches = [u for u in AMH_UNITS if u.lower() == raw_unit.strip().lower()]
        if matches:
            unit = matches[0]
        else:
            col.add(col.path("amh", "unit"), f"Unknown unit {raw_unit!r}; use ng/mL or pmol/L.")
    raw_value = clean.get("value")
    if raw_value is None:
        col.add(col.path("amh", "value"), "Give the AMH value (or leave out amh if not known).")
        return None
    high = AMH_MAX_NG if unit != "pmol/L" else round(AMH_MAX_NG * AMH_PMOL_PER_NG, 1)
    number = col.check(col.path("amh", "value"), _number(0, high, unit or ""), raw_value)
    if number is None or unit is None:
        return None
    ng_ml = number if unit == "ng/mL" else number / AMH_PMOL_PER_NG
    return Amh(ng_ml=round(ng_ml, 4), unit=unit, entered=number)


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
            spec, cls = OBJECTS[key]
            values[key] = _build(cls, _object(col, (key,), value, spec))
        elif key == "amh" and value is not None:
            values["amh"] = _parse_amh(col, value)
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
                return Cycle(**clean)

            items = _parse_list(col, key, value, cycle)
            if items is not None and None not in items:
                values["previous_cycles"] = tuple(items)
                values["cycles_detailed"] = True
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

    hysteroscopy = values.get("hysteroscopy")
    if hysteroscopy is not None and hysteroscopy.done is False:
        for name in ("polyp", "submucosal_fibroid", "septum", "adhesions", "endometritis_signs"):
            if getattr(hysteroscopy, name):
                col.add(col.path("hysteroscopy", name), "Recorded as found, but done is false.")

    pgta = values.get("pgta")
    if pgta is not None and pgta.done is False:
        for name in ("euploid", "aneuploid", "mosaic", "no_result"):
            if getattr(pgta, name):
                col.add(col.path("pgta", name), "Results given, but done is false.")

    biopsy = values.get("ce_biopsy")
    if biopsy is not None:
        chain = [
            ("cd138_positive", "done", True, "a biopsy that was done"),
            ("treated", "cd138_positive", True, "a CD138-positive biopsy"),
            ("rebiopsy_negative", "treated", True, "treatment (treated: true)"),
            ("second_line_treated", "rebiopsy_negative", False, "a positive re-biopsy"),
            (
                "second_line_rebiopsy_negative",
                "second_line_treated",
                True,
                "second-line treatment (second_line_treated: true)",
            ),
        ]
        for name, needs, needed, what in chain:
            value = getattr(biopsy, name)
            meaningful = value is not None if name.endswith("negative") else value is True
            if meaningful and getattr(biopsy, needs) is not needed:
                # An unknown 'done' with a result given is read as done; anything else clashes.
                if needs == "done" and biopsy.done is None:
                    continue
                col.add(col.path("ce_biopsy", name), f"Only meaningful after {what}.")

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


def _infer_done(values: dict[str, Any]) -> None:
    """A result recorded with 'done' left unknown means the investigation was done."""
    for key in ("pgta", "hysteroscopy", "ce_biopsy"):
        obj = values.get(key)
        if obj is None or obj.done is not None:
            continue
        results = [getattr(obj, f.name) for f in fields(obj) if f.name not in ("done", "discussed")]
        # For PGT-A a count of 0 says nothing; for findings, false means "looked, not found".
        if any(r for r in results) if key == "pgta" else any(r is not None for r in results):
            values[key] = replace(obj, done=True)


def validate_fragment(data: dict, *, addon_codes: Collection[str] = (), **codes) -> dict:
    """Errors for a part of the facts (a form's keys); an empty dict when all is well."""
    try:
        parse_facts(data, addon_codes=addon_codes, require_age=False, **codes)
    except FactsError as exc:
        return exc.errors
    return {}
