"""The standard codes of the catalogue: loading ``fixtures/codes.json`` and looking codes up.

Loading follows the catalogue's rules (``evidence.store.load_fixture``): idempotent; an entry
whose fixture text has not changed keeps its review and any edit the lead made; a changed entry
takes the fixture's text and review status; an entry gone from the fixture is retired. A code
marked verified must carry only V tags, and no code is without a tag.
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
from workup.evidence.models import ReviewRecord, ReviewStatus

from .models import CodeSystem, Coding

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "codes.json"
FINDING_COLUMNS = set(spec.BY_COLUMN)
FEEDS = "feeds"  # an observation code for a test that feeds a finding, not the finding
FIELDS = ("applies_to", "target", "when", "system", "code", "text", "unit", "note")


def _hash(raw) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass
class CodesReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    problems: list[str] = field(default_factory=list)

    def __str__(self):
        return (
            f"Standard codes: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.retired} retired."
        )


def check_codes(data: dict) -> list[str]:
    problems = []
    seen = set()
    systems = set(CodeSystem.values)
    kinds = set(Coding.AppliesTo.values)
    for raw in data.get("codes", []):
        key = raw.get("key", "?")
        if key in seen:
            problems.append(f"{key}: duplicate key")
        seen.add(key)
        if raw.get("system") not in systems:
            problems.append(f"{key}: system must be one of {', '.join(sorted(systems))}")
        if not str(raw.get("code") or "").strip():
            problems.append(f"{key}: no code")
        if raw.get("applies_to") not in kinds:
            problems.append(f"{key}: applies_to must be observation or condition")
        target = raw.get("target") or ""
        if target and target not in FINDING_COLUMNS:
            problems.append(f"{key}: target '{target}' is not a finding")
        if not target and not raw.get("note"):
            problems.append(f"{key}: a code attached to no finding needs a note saying why")
        tags = raw.get("tags") or {}
        if not tags:
            problems.append(f"{key}: no verification tag (every code needs one)")
        if any(t not in TAGS for t in tags.values()):
            problems.append(f"{key}: tags must be V, S or U")
        if raw.get("review") not in REVIEW_STATES:
            problems.append(f"{key}: review must be verified or pending_review")
        if raw.get("review") == VERIFIED and not (tags and all(t == "V" for t in tags.values())):
            problems.append(f"{key}: verified, but not every tag is V")
    return problems


@transaction.atomic
def load_codes(path: Path | str = FIXTURE) -> CodesReport:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    report = CodesReport(problems=check_codes(data))
    if report.problems:
        return report
    existing = {c.key: c for c in Coding.objects.all()}
    wanted = set()
    for raw in data["codes"]:
        key = raw["key"]
        wanted.add(key)
        digest = _hash(raw)
        entry = existing.get(key)
        if entry is not None and entry.fixture_hash == digest and not entry.retired:
            report.unchanged += 1
            continue
        if entry is None:
            entry = Coding(key=key)
            report.created += 1
        else:
            report.updated += 1
        for name in FIELDS:
            setattr(entry, name, raw.get(name) or "")
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
            report.retired += 1
    return report


@transaction.atomic
def record_review(*, codes, reviewer, status=ReviewStatus.VERIFIED, note="") -> int:
    """The clinical lead's review of codes: who and when, with a ReviewRecord as the catalogue's."""
    now = timezone.now()
    count = 0
    for coding in codes:
        coding.review_status = status
        coding.reviewed_by = reviewer
        coding.reviewed_at = now
        coding.review_note = note
        coding.save(update_fields=[*Coding.REVIEW_FIELDS, "updated_at"])
        ReviewRecord.objects.create(
            kind="coding", code=coding.key, status=status, reviewer=reviewer, note=note
        )
        count += 1
    return count


def verified_codes():
    return Coding.objects.filter(review_status=ReviewStatus.VERIFIED, retired=False)


@dataclass(frozen=True)
class CodeBook:
    """The verified codes, read once: by finding (observations) and by diagnosis (conditions)."""

    observations: dict = field(default_factory=dict)  # target -> [Coding] (export)
    conditions: dict = field(default_factory=dict)  # (target, when) -> Coding
    by_code: dict = field(default_factory=dict)  # (system, code) -> Coding (results in)

    @classmethod
    def load(cls) -> CodeBook:
        book = cls()
        for coding in verified_codes():
            if coding.applies_to == Coding.AppliesTo.OBSERVATION and coding.target:
                if coding.when != FEEDS:
                    book.observations.setdefault(coding.target, []).append(coding)
                book.by_code[(coding.system, coding.code)] = coding
            elif coding.applies_to == Coding.AppliesTo.CONDITION and coding.target:
                book.conditions[(coding.target, coding.when)] = coding
        return book
