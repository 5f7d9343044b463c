"""The catalogue's one code table: loading ``fixtures/codes.json`` and looking codes up.

The file holds the standard codes (``codes``: LOINC, ICD-10-CM, SNOMED CT, ATC; each for a
finding, a diagnosis, a checklist step, a procedure or an order that is an add-on) and the
add-ons' order names (``orders``, for the CDS Hooks guardrail). The FHIR export, results in and
the CDS Hooks service all read this table (:class:`CodeBook`, ``guardrail.mapping``).

Loading follows the catalogue's rules (``evidence.store.load_fixture``): idempotent; an entry
whose fixture text has not changed keeps its review and any edit the lead made; a changed entry
takes the fixture's text and review status; an entry gone from the fixture is retired. An entry
marked verified must carry only V tags, and no entry is without a tag.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from workup.evidence import findings as spec
from workup.evidence.catalogue import REVIEW_STATES, TAGS, VERIFIED
from workup.evidence.models import AddOn, Investigation, NextStep, ReviewRecord, ReviewStatus

from .models import CodeSystem, Coding, OrderMapping

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "codes.json"
FINDING_COLUMNS = set(spec.BY_COLUMN)
FEEDS = "feeds"  # an observation code for a test that feeds a finding, not the finding
# The procedures the FHIR export writes (``fhir.BundleBuilder.procedures``).
PROCEDURES = ("hysteroscopy", "ce_biopsy", "embryo_transfer")
FIELDS = ("applies_to", "target", "when", "system", "code", "text", "unit", "note")
ORDER_FIELDS = ("resources", "names", "note")
Kind = Coding.AppliesTo


def _hash(raw) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Targets:
    """What codes may stand for: the catalogue's add-ons and checklist steps (with the findings
    and procedures, which are fixed)."""

    addons: frozenset[str]
    steps: frozenset[str]

    @classmethod
    def from_database(cls) -> Targets:
        def live(model):
            return frozenset(model.objects.filter(retired=False).values_list("code", flat=True))

        return cls(live(AddOn), live(Investigation) | live(NextStep))

    @classmethod
    def from_catalogue(cls, catalogue) -> Targets:
        return cls(
            frozenset(catalogue.addons),
            frozenset(catalogue.investigations) | frozenset(catalogue.next_steps),
        )

    def problem(self, kind: str, target: str, when: str) -> str | None:
        """Why ``target`` (and ``when``) cannot be what a code of this kind stands for."""
        if kind in (Kind.OBSERVATION, Kind.CONDITION):
            if target not in FINDING_COLUMNS:
                return f"target '{target}' is not a finding"
            if kind == Kind.OBSERVATION and when not in ("", FEEDS):
                return f"an observation's 'when' is empty or '{FEEDS}'"
            finding = spec.BY_COLUMN[target]
            if kind == Kind.CONDITION and finding.diagnosis is None:
                return f"'{target}' is not a diagnosis (evidence.findings)"
            if kind == Kind.CONDITION and when != finding.diagnosis:
                return (
                    f"'{target}' is a diagnosis when {finding.diagnosis!r} (evidence.findings), "
                    f"not {when!r}"
                )
        elif kind == Kind.SERVICE and target not in self.steps:
            return f"target '{target}' is not a catalogue investigation or next step"
        elif kind == Kind.PROCEDURE and target not in PROCEDURES:
            return f"target '{target}' is not one of the procedures {', '.join(PROCEDURES)}"
        elif kind == Kind.ORDER and target not in self.addons:
            return f"target '{target}' is not a catalogue add-on"
        return None


# Without the catalogue at hand only codes of findings can be checked for what they stand for.
NO_TARGETS = Targets(frozenset(), frozenset())
FINDING_KINDS = (Kind.OBSERVATION, Kind.CONDITION)


@dataclass
class CodesReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    orders: dict = field(default_factory=lambda: dict.fromkeys(("created", "updated"), 0))
    problems: list[str] = field(default_factory=list)

    def __str__(self):
        return (
            f"Standard codes: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.retired} retired. Order mappings: "
            f"{self.orders.get('created', 0)} created, {self.orders.get('updated', 0)} updated, "
            f"{self.orders.get('unchanged', 0)} unchanged, {self.orders.get('retired', 0)} "
            "retired."
        )


def _tag_problems(where: str, raw: dict) -> list[str]:
    problems = []
    tags = raw.get("tags") or {}
    if not tags:
        problems.append(f"{where}: no verification tag (every entry needs one)")
    if any(t not in TAGS for t in tags.values()):
        problems.append(f"{where}: tags must be V, S or U")
    if raw.get("review") not in REVIEW_STATES:
        problems.append(f"{where}: review must be verified or pending_review")
    if raw.get("review") == VERIFIED and not (tags and all(t == "V" for t in tags.values())):
        problems.append(f"{where}: verified, but not every tag is V")
    return problems


def check_codes(data: dict, targets: Targets | None = None) -> list[str]:
    """Problems that make the file unsafe to load (it is then refused whole). ``targets``
    None: what codes may stand for is not checked beyond the findings (no catalogue at hand)."""
    problems = []
    seen, seen_codes = set(), set()
    systems = set(CodeSystem.values)
    kinds = set(Kind.values)
    for raw in data.get("codes", []):
        key = raw.get("key", "?")
        if key in seen:
            problems.append(f"{key}: duplicate key")
        seen.add(key)
        identity = (raw.get("applies_to"), raw.get("system"), raw.get("code"), raw.get("target"))
        if identity in seen_codes:
            problems.append(f"{key}: the same code for the same thing twice")
        seen_codes.add(identity)
        if raw.get("system") not in systems:
            problems.append(f"{key}: system must be one of {', '.join(sorted(systems))}")
        if not str(raw.get("code") or "").strip():
            problems.append(f"{key}: no code")
        kind = raw.get("applies_to")
        if kind not in kinds:
            problems.append(f"{key}: applies_to must be one of {', '.join(sorted(kinds))}")
        target = raw.get("target") or ""
        if not target:
            if not raw.get("note"):
                problems.append(f"{key}: a code attached to nothing needs a note saying why")
        elif kind in kinds and (targets is not None or kind in FINDING_KINDS):
            problem = (targets or NO_TARGETS).problem(kind, target, raw.get("when") or "")
            if problem:
                problems.append(f"{key}: {problem}")
        problems += _tag_problems(key, raw)
    resources = set(OrderMapping.Resource.values)
    seen = set()
    for raw in data.get("orders", []):
        addon = raw.get("addon", "?")
        where = f"orders/{addon}"
        if addon in seen:
            problems.append(f"{where}: duplicate add-on")
        seen.add(addon)
        if targets is not None and addon not in targets.addons:
            problems.append(f"{where}: not a catalogue add-on")
        kinds_of_order = raw.get("resources") or []
        if not kinds_of_order or any(r not in resources for r in kinds_of_order):
            problems.append(f"{where}: resources must be some of {', '.join(sorted(resources))}")
        names = raw.get("names") or []
        if not names or any(not isinstance(n, str) or not n.strip() for n in names):
            problems.append(f"{where}: names must be a list of words an order may use")
        problems += _tag_problems(where, raw)
    return problems


def _sync(model, key_field: str, rows: list[dict], fill) -> dict[str, int]:
    """Bring the model's rows in line with the fixture's (the catalogue's rules)."""
    counts = dict.fromkeys(("created", "updated", "unchanged", "retired"), 0)
    existing = {getattr(e, key_field): e for e in model.objects.all()}
    wanted = set()
    for raw in rows:
        key = raw[key_field]
        wanted.add(key)
        digest = _hash(raw)
        entry = existing.get(key)
        if entry is not None and entry.fixture_hash == digest and not entry.retired:
            counts["unchanged"] += 1
            continue
        if entry is None:
            entry = model(**{key_field: key})
            counts["created"] += 1
        else:
            counts["updated"] += 1
        fill(entry, raw)
        entry.tags = raw["tags"]
        entry.review_status = raw["review"]
        entry.reviewed_by = None
        entry.reviewed_at = None
        entry.review_note = (
            "Verified against the primary table in the clinical reference."
            if raw["review"] == VERIFIED
            else ""
        )
        entry.retired = False
        entry.fixture_hash = digest
        entry.save()
    for key, entry in existing.items():
        if key not in wanted and not entry.retired:
            entry.retired = True
            entry.save(update_fields=["retired", "updated_at"])
            counts["retired"] += 1
    return counts


def _fill_code(entry, raw):
    for name in FIELDS:
        setattr(entry, name, raw.get(name) or "")


def _fill_order(entry, raw):
    entry.resources = list(raw["resources"])
    entry.names = list(raw["names"])
    entry.note = raw.get("note") or ""


@transaction.atomic
def load_codes(path: Path | str = FIXTURE, targets: Targets | None = None) -> CodesReport:
    """Load the code table; what codes may stand for is checked against the loaded catalogue
    (load the catalogue first: ``manage.py load_catalogue`` does both)."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    targets = targets or Targets.from_database()
    report = CodesReport()
    if not targets.addons:
        report.problems = ["The catalogue is not loaded: load it before its codes."]
        return report
    report.problems = check_codes(data, targets)
    if report.problems:
        return report
    counts = _sync(Coding, "key", data["codes"], _fill_code)
    report.created, report.updated = counts["created"], counts["updated"]
    report.unchanged, report.retired = counts["unchanged"], counts["retired"]
    report.orders = _sync(OrderMapping, "addon", data.get("orders", []), _fill_order)
    return report


@transaction.atomic
def record_review(*, codes, reviewer, status=ReviewStatus.VERIFIED, note="") -> int:
    """The clinical lead's review of codes or order mappings: who and when, with a
    ReviewRecord as the catalogue's."""
    now = timezone.now()
    count = 0
    for entry in codes:
        entry.review_status = status
        entry.reviewed_by = reviewer
        entry.reviewed_at = now
        entry.review_note = note
        entry.save(update_fields=[*entry.REVIEW_FIELDS, "updated_at"])
        if isinstance(entry, OrderMapping):
            kind, code = "ordermapping", entry.addon
        else:
            kind, code = "coding", entry.key
        ReviewRecord.objects.create(
            kind=kind, code=code, status=status, reviewer=reviewer, note=note
        )
        count += 1
    return count


def verified_codes():
    return Coding.objects.filter(review_status=ReviewStatus.VERIFIED, retired=False)


@dataclass(frozen=True)
class CodeBook:
    """The verified codes, read once (one query): what the FHIR export and results in use."""

    observations: dict = field(default_factory=dict)  # target -> [Coding] (export)
    conditions: dict = field(default_factory=dict)  # (target, when) -> Coding
    by_code: dict = field(default_factory=dict)  # (system, code) -> Coding (results in)
    services: dict = field(default_factory=dict)  # step code -> [Coding] (Task)
    procedures: dict = field(default_factory=dict)  # procedure -> [Coding] (Procedure)

    @classmethod
    def load(cls) -> CodeBook:
        book = cls()
        for coding in verified_codes():
            if not coding.target:
                continue
            if coding.applies_to == Kind.OBSERVATION:
                if coding.when != FEEDS:
                    book.observations.setdefault(coding.target, []).append(coding)
                book.by_code[(coding.system, coding.code)] = coding
            elif coding.applies_to == Kind.CONDITION:
                book.conditions[(coding.target, coding.when)] = coding
            elif coding.applies_to == Kind.SERVICE:
                book.services.setdefault(coding.target, []).append(coding)
            elif coding.applies_to == Kind.PROCEDURE:
                book.procedures.setdefault(coding.target, []).append(coding)
        return book
