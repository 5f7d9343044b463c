"""Translations of the catalogue's patient-facing texts: loaded, checked, read, reviewed.

The English catalogue is the source (``fixtures/catalogue.json``); each other language has its
file, ``fixtures/translations/<language>.json``::

    {"language": "fr", "entries": [
        {"kind": "addons", "code": "intralipids",
         "texts": {"name": "...", "plain_what": "..."},
         "translates": {"name": "<digest of the English>", "plain_what": "..."},
         "review": "pending_review", "reviewed_by": ""}]}

``translates`` ties each translated field to the English it was made from
(``catalogue.text_digest``). ``patient_text`` gives the sheet a text in the patient's language
with its state: ``source`` (English, the original), ``reviewed`` or ``unreviewed`` (a
translation confirmed, or not yet, by the clinical lead or a named reviewer), ``missing`` (no
translation yet: the English, with a note) or ``stale`` (the English has changed since it was
translated: the English, with a note). Loading follows the catalogue's rule: an unchanged
fixture entry keeps its review record; a changed one takes the fixture's text and review.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from . import catalogue as plain
from .catalogue import PATIENT_FIELDS, Catalogue, text_digest

DIRECTORY = plain.FIXTURE.parent / "translations"

SOURCE, REVIEWED, UNREVIEWED, MISSING, STALE = (
    "source",
    "reviewed",
    "unreviewed",
    "missing",
    "stale",
)
FALLBACKS = (MISSING, STALE)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Said:
    """A text as the sheet prints it, and whether it is the translation asked for."""

    text: str
    state: str
    language: str

    def as_json(self) -> dict:
        return {"text": self.text, "state": self.state, "language": self.language}

    @classmethod
    def from_json(cls, data) -> Said:
        if isinstance(data, str):  # a sheet signed before translations: English
            return cls(data, SOURCE, "en")
        data = data or {}
        return cls(data.get("text", ""), data.get("state", SOURCE), data.get("language", "en"))


def english_entry(catalogue: Catalogue, kind: str, code: str):
    return getattr(catalogue, kind, {}).get(code)


def patient_text(
    catalogue: Catalogue, language: str, kind: str, code: str, field: str, english: str = ""
) -> Said:
    """One patient-facing text of entry ``kind/code`` in ``language``, or the English (with
    the reason) where no current translation exists. ``english`` is the English text when the
    caller has it (a signed record's), else the catalogue's."""
    if not english:
        entry = english_entry(catalogue, kind, code)
        english = getattr(entry, field, "") or ""
    if language == "en" or not english:
        return Said(english, SOURCE, "en")
    found = catalogue.translation(language, kind, code)
    text = found.texts.get(field) if found is not None else None
    if not text:
        return Said(english, MISSING, "en")
    if found.translates.get(field) != text_digest(english):
        return Said(english, STALE, "en")
    return Said(text, REVIEWED if found.review == plain.VERIFIED else UNREVIEWED, language)


def tally(texts) -> dict[str, int]:
    """How many texts are in each state (for the footer and the clinician's notice)."""
    counts = dict.fromkeys((SOURCE, REVIEWED, UNREVIEWED, MISSING, STALE), 0)
    for said in texts:
        counts[said.state] += 1
    return counts


# --- the fixture files ---------------------------------------------------------------------------


def fixture_files(directory: Path | str = DIRECTORY) -> list[Path]:
    folder = Path(directory)
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def check(data: dict, english: dict, languages) -> list[str]:
    """Problems that make a translation file unsafe to load, each named."""
    problems = []
    language = data.get("language")
    if language not in languages or language == "en":
        return [f"translations: unknown language {language!r}"]
    seen = set()
    codes = {kind: {raw["code"]: raw for raw in english.get(kind, [])} for kind in PATIENT_FIELDS}
    for raw in data.get("entries", []):
        kind, code = raw.get("kind"), raw.get("code")
        where = f"translations/{language}/{kind}/{code}"
        if (kind, code) in seen:
            problems.append(f"{where}: duplicate entry")
        seen.add((kind, code))
        if kind not in PATIENT_FIELDS:
            problems.append(f"{where}: no patient texts in {kind}")
            continue
        source = codes[kind].get(code)
        if source is None:
            problems.append(f"{where}: no such entry in the catalogue")
            continue
        for name, text in (raw.get("texts") or {}).items():
            if name not in PATIENT_FIELDS[kind]:
                problems.append(f"{where}: {name} is not a patient text")
                continue
            wanted = set(_PLACEHOLDER.findall(source.get(name) or ""))
            if set(_PLACEHOLDER.findall(text)) != wanted:
                problems.append(
                    f"{where}: {name} must keep the placeholders {sorted(wanted) or 'none'}"
                )
        if raw.get("review", plain.PENDING) not in plain.REVIEW_STATES:
            problems.append(f"{where}: review must be verified or pending_review")
        if raw.get("review") == plain.VERIFIED and not raw.get("reviewed_by"):
            problems.append(f"{where}: a reviewed translation names its reviewer")
    return problems


def _hash(raw) -> str:
    return text_digest(json.dumps(raw, sort_keys=True, ensure_ascii=False))


@transaction.atomic
def load(english: dict, directory: Path | str = DIRECTORY) -> tuple[int, list[str]]:
    """Load every translation file; returns (entries created or updated, problems). A file
    with problems is refused whole, the others still load."""
    from django.conf import settings

    from .models import CatalogueTranslation

    languages = [code for code, _ in settings.LANGUAGES]
    changed, problems = 0, []
    for path in fixture_files(directory):
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        found = check(data, english, languages)
        if found:
            problems.extend(found)
            continue
        language = data["language"]
        existing = {
            (t.kind, t.code): t for t in CatalogueTranslation.objects.filter(language=language)
        }
        wanted = set()
        for raw in data.get("entries", []):
            key = (raw["kind"], raw["code"])
            wanted.add(key)
            digest = _hash(raw)
            row = existing.get(key)
            if row is not None and row.fixture_hash == digest and not row.retired:
                continue
            row = row or CatalogueTranslation(language=language, kind=key[0], code=key[1])
            row.texts = dict(raw.get("texts") or {})
            row.translates = dict(raw.get("translates") or {})
            row.review_status = raw.get("review", plain.PENDING)
            row.reviewer_name = raw.get("reviewed_by") or ""
            row.reviewed_by = None
            row.reviewed_at = None
            row.review_note = ""
            row.retired = False
            row.fixture_hash = digest
            row.save()
            changed += 1
        for key, row in existing.items():
            if key not in wanted and not row.retired:
                row.retired = True
                row.save(update_fields=["retired", "updated_at"])
                changed += 1
    return changed, problems


def snapshot_rows() -> list[dict]:
    """The translations in use, in the snapshot's shape (``Catalogue.from_dict``)."""
    from .models import CatalogueTranslation

    rows = []
    for t in CatalogueTranslation.objects.filter(retired=False).select_related("reviewed_by"):
        rows.append(
            {
                "language": t.language,
                "kind": t.kind,
                "code": t.code,
                "texts": t.texts,
                "translates": t.translates,
                "review": t.review_status,
                "reviewed_by": t.reviewer,
                "reviewed_on": t.reviewed_at.date().isoformat() if t.reviewed_at else "",
            }
        )
    return rows


# --- the review ----------------------------------------------------------------------------------


def current_digests(catalogue: Catalogue, kind: str, code: str) -> dict[str, str]:
    entry = english_entry(catalogue, kind, code)
    return {
        name: text_digest(getattr(entry, name, "") or "")
        for name in PATIENT_FIELDS.get(kind, ())
        if entry is not None and getattr(entry, name, "")
    }


@transaction.atomic
def record_review(*, translation, reviewer, note: str = "") -> None:
    """The lead (or a reviewer with the permission) confirms a translation as it reads now."""
    from . import store
    from .models import ReviewRecord, ReviewStatus

    translation.review_status = ReviewStatus.VERIFIED
    translation.reviewed_by = reviewer
    translation.reviewer_name = ""
    translation.reviewed_at = timezone.now()
    translation.review_note = note
    translation.save()
    ReviewRecord.objects.create(
        kind=f"translation-{translation.language}",
        code=f"{translation.kind}/{translation.code}",
        status=ReviewStatus.VERIFIED,
        reviewer=reviewer,
        note=note,
    )
    store.rebuild_snapshot()
