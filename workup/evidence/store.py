"""Between the catalogue tables and the engine's plain snapshot.

- ``load_fixture(path)`` loads or updates the catalogue from its JSON fixture. An entry whose
  fixture text has not changed since the last load is left alone, with its review record and any
  edit the clinical lead made; a changed entry takes the new text and the fixture's review status.
- ``rebuild_snapshot()`` writes the plain snapshot after any change.
- ``get_catalogue()`` returns the current :class:`Catalogue` for one query.

A snapshot is served only when it passes ``requirements.problems`` (every parameter and chance
the engine needs). When the tables are broken anyway (a row deleted in a database console), the
rebuild keeps the last good snapshot in the database and records the problems on the version
row; when the stored snapshot itself is broken, the last good one is read from the shared cache.
Either way pages say so (``serving_problems``, the banner) and keep working.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from . import catalogue as plain
from . import requirements, translations
from .models import ENTRY_MODELS, CatalogueVersion, ReviewRecord, ReviewStatus, Source

logger = logging.getLogger(__name__)


class CatalogueMissing(RuntimeError):
    pass


# The last snapshot that passed the check, shared by every app server (Django's cache).
LAST_GOOD_KEY = "evidence:catalogue:last-good"


def _hash(data) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _content_fields(model) -> list[str]:
    """The dataclass fields that are model columns (sources and review are handled apart)."""
    kind = next(k for k, m in ENTRY_MODELS.items() if m is model)
    cls = plain._KINDS[kind]
    skip = {"code", "sources", "review", "reviewed_by", "reviewed_on"}
    return [f.name for f in fields(cls) if f.name not in skip]


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    version: str = ""
    problems: list[str] = field(default_factory=list)
    translations: int = 0
    translation_problems: list[str] = field(default_factory=list)

    def __str__(self):
        return (
            f"Catalogue {self.version}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.retired} retired"
            + (
                f"; {self.translations} translations created or updated."
                if self.translations
                else "."
            )
        )


def check_fixture(data: dict) -> list[str]:
    """Problems that would make the fixture unsafe to load: missing sources, bad values."""
    problems = []
    keys = {s["key"] for s in data.get("sources", [])}
    for kind in plain.ENTRY_KINDS:
        seen = set()
        for raw in data.get(kind, []):
            code = raw.get("code", "?")
            if code in seen:
                problems.append(f"{kind}/{code}: duplicate code")
            seen.add(code)
            if not raw.get("sources") and raw.get("review") == plain.VERIFIED:
                # No source is honest ("no source in the catalogue yet"), but never verified.
                problems.append(f"{kind}/{code}: verified, but cites no source")
            for key in raw.get("sources", []):
                if key not in keys:
                    problems.append(f"{kind}/{code}: cites missing source '{key}'")
            if raw.get("review") not in plain.REVIEW_STATES:
                problems.append(f"{kind}/{code}: review must be verified or pending_review")
            tags = raw.get("tags") or {}
            if any(t not in plain.TAGS for t in tags.values()):
                problems.append(f"{kind}/{code}: tags must be V, S or U")
            all_verified = bool(tags) and all(t == "V" for t in tags.values())
            if raw.get("review") == plain.VERIFIED and not all_verified:
                problems.append(f"{kind}/{code}: verified, but not every tag is V")
    for raw in data.get("implantation_chances", []):
        if not 0 <= raw.get("chance", -1) <= 1:
            problems.append(f"implantation_chances/{raw.get('code')}: chance must be 0 to 1")
    try:
        plain.Catalogue.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        problems.append(f"malformed catalogue: {exc!r}")
    if not problems:
        problems = requirements.problems(data)
    return problems


@transaction.atomic
def load_fixture(path: Path | str = plain.FIXTURE) -> LoadReport:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    report = LoadReport(version=str(data["version"]))
    report.problems = check_fixture(data)
    if report.problems:
        return report

    sources = {}
    for raw in data["sources"]:
        digest = _hash(raw)
        source, created = Source.objects.get_or_create(
            key=raw["key"], defaults={"citation": raw["citation"]}
        )
        if created or source.fixture_hash != digest:
            source.citation = raw["citation"]
            source.doi = raw.get("doi") or ""
            source.url = raw.get("url") or ""
            source.fixture_hash = digest
            source.save()
        sources[source.key] = source

    for kind, model in ENTRY_MODELS.items():
        columns = _content_fields(model)
        existing = {e.code: e for e in model.objects.all()}
        wanted = set()
        for raw in data.get(kind, []):
            code = raw["code"]
            wanted.add(code)
            digest = _hash(raw)
            entry = existing.get(code)
            if entry is not None and entry.fixture_hash == digest and not entry.retired:
                report.unchanged += 1
                continue
            if entry is None:
                entry = model(code=code)
                report.created += 1
            else:
                report.updated += 1
            defaults = {f.name: f.default for f in fields(plain._KINDS[kind])}
            for name in columns:
                value = raw.get(name, defaults.get(name))
                if isinstance(value, tuple):
                    value = list(value)
                setattr(entry, name, {} if name == "tags" and value is None else value)
            entry.tags = raw.get("tags") or {}
            entry.review_status = raw["review"]
            entry.reviewed_by = None
            entry.reviewed_at = None
            entry.review_note = (
                "Verified against the primary source in the clinical reference."
                if raw["review"] == plain.VERIFIED
                else ""
            )
            entry.retired = False
            entry.fixture_hash = digest
            entry.save()
            entry.sources.set([sources[key] for key in raw["sources"]])
        for code, entry in existing.items():
            if code not in wanted and not entry.retired:
                entry.retired = True
                entry.save(update_fields=["retired", "updated_at"])
                report.retired += 1

    # Translations of the patient texts (fixtures/translations/): refused per file with their
    # problems named; a refused file leaves that language as it was.
    report.translations, report.translation_problems = translations.load(data)

    version = CatalogueVersion.objects.order_by("pk").first() or CatalogueVersion()
    if version.version != report.version:
        version.version = report.version
        version.reviewed_on = data.get("reviewed_on") or None
    version.save()
    if (
        report.created
        or report.updated
        or report.retired
        or report.translations
        or not version.snapshot
        or version.problems
    ):
        rebuild_snapshot()
    return report


def build_snapshot() -> dict:
    version = CatalogueVersion.objects.order_by("pk").first()
    if version is None:
        raise CatalogueMissing(
            "The evidence catalogue is not loaded: run manage.py load_catalogue."
        )
    data: dict = {
        "version": version.version,
        "reviewed_on": version.reviewed_on.isoformat() if version.reviewed_on else "",
        "revision": version.revision,
        "sources": [
            {"key": s.key, "citation": s.citation, "doi": s.doi, "url": s.url}
            for s in Source.objects.all()
        ],
    }
    for kind, model in ENTRY_MODELS.items():
        columns = _content_fields(model)
        rows = []
        entries = (
            model.objects.filter(retired=False)
            .select_related("reviewed_by")
            .prefetch_related("sources")
        )
        for entry in entries:
            row = {name: getattr(entry, name) for name in columns}
            row["code"] = entry.code
            row["sources"] = [s.key for s in entry.sources.all()]
            row["review"] = entry.review_status
            row["reviewed_by"] = entry.reviewed_by.get_username() if entry.reviewed_by else ""
            row["reviewed_on"] = entry.reviewed_at.date().isoformat() if entry.reviewed_at else ""
            rows.append(row)
        data[kind] = rows
    data["translations"] = translations.snapshot_rows()
    return data


def check_change(kind: str, *, code: str | None, row: dict | None) -> list[str]:
    """What the engine would miss if entry ``code`` of ``kind`` were replaced by ``row`` (a
    snapshot-shaped dict; None to retire it). ``code`` None means a new entry."""
    data = build_snapshot()
    rows = [r for r in data[kind] if code is None or r["code"] != code]
    if row is not None:
        rows.append(row)
    data[kind] = rows
    return requirements.problems(data)


def check_retire(kind: str, codes: Iterable[str]) -> list[str]:
    data = build_snapshot()
    codes = set(codes)
    data[kind] = [r for r in data[kind] if r["code"] not in codes]
    return requirements.problems(data)


@transaction.atomic
def rebuild_snapshot() -> CatalogueVersion:
    """Build the snapshot from the tables and serve it if the engine has all it needs.

    Otherwise the last good snapshot stays (same revision) and ``version.problems`` says what
    is wrong, for the banner and the lead."""
    version = CatalogueVersion.objects.select_for_update().order_by("pk").first()
    if version is None:
        raise CatalogueMissing(
            "The evidence catalogue is not loaded: run manage.py load_catalogue."
        )
    data = build_snapshot()
    problems = requirements.problems(data)
    if problems and version.snapshot:
        logger.error("Catalogue snapshot not rebuilt: %s", "; ".join(problems))
        version.problems = problems
        version.save(update_fields=["problems"])
        return version
    version.revision += 1
    data["revision"] = version.revision
    version.snapshot = data
    version.problems = problems
    version.save(update_fields=["revision", "snapshot", "problems"])
    if not problems:
        cache.set(LAST_GOOD_KEY, data, timeout=None)
    return version


# Parsed snapshots by revision, with the problems they were served with: a cache, never a
# source of truth (the revision is read from the database on every call, so a change made
# through another app server is seen at once).
_parsed: dict[tuple[int, int], tuple[plain.Catalogue, tuple[str, ...]]] = {}

# What the catalogue served to this request is missing, for the banner (reset per request).
_serving_problems: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "catalogue_problems", default=()
)


def serving_problems() -> tuple[str, ...]:
    """The problems of the catalogue this request was served (empty when it is whole)."""
    return _serving_problems.get()


def reset_serving_problems(**kwargs) -> None:
    _serving_problems.set(())


def _parse(pk: int, data: dict | None) -> tuple[plain.Catalogue, tuple[str, ...]]:
    """The stored snapshot if whole; else the last good one from the shared cache."""
    problems = requirements.problems(data) if data else ["The stored snapshot is empty."]
    if not problems:
        cache.set(LAST_GOOD_KEY, data, timeout=None)
        return plain.Catalogue.from_dict(data), ()
    logger.error("The stored catalogue snapshot is broken: %s", "; ".join(problems))
    fallback = cache.get(LAST_GOOD_KEY)
    if fallback and not requirements.problems(fallback):
        return plain.Catalogue.from_dict(fallback), tuple(problems)
    raise CatalogueMissing(
        "The evidence catalogue is broken and no good copy is kept ("
        + " ".join(problems)
        + ") Ask IT to run manage.py load_catalogue."
    )


def catalogue_row_annotations() -> dict:
    """The catalogue's identity (row, revision, problems) as subqueries, to ride along with
    another query (a work-up's): ``get_catalogue(row=...)`` then reads nothing more when the
    parsed snapshot of that revision is at hand."""
    from django.db.models import JSONField, Subquery

    first = CatalogueVersion.objects.order_by("pk")
    return {
        "catalogue_pk": Subquery(first.values("pk")[:1]),
        "catalogue_revision": Subquery(first.values("revision")[:1]),
        "catalogue_problems": Subquery(first.values("problems")[:1], output_field=JSONField()),
    }


def catalogue_row_of(obj) -> tuple | None:
    """The catalogue identity a query annotated with ``catalogue_row_annotations`` carries."""
    pk = getattr(obj, "catalogue_pk", None)
    if pk is None:
        return None
    return pk, obj.catalogue_revision, obj.catalogue_problems


def get_catalogue(row: tuple | None = None) -> plain.Catalogue:
    """The parsed catalogue snapshot (one query for its revision, unless ``row`` brings it)."""
    if row is None:
        row = (
            CatalogueVersion.objects.order_by("pk")
            .values_list("pk", "revision", "problems")
            .first()
        )
    if row is None:
        raise CatalogueMissing(
            "The evidence catalogue is not loaded: run manage.py load_catalogue."
        )
    pk, revision, stored_problems = row
    parsed = _parsed.get((pk, revision))
    if parsed is None:
        snapshot = CatalogueVersion.objects.filter(pk=pk).values_list("snapshot", flat=True)
        parsed = _parse(pk, snapshot.first())
        _parsed.clear()
        _parsed[(pk, revision)] = parsed
    catalogue, snapshot_problems = parsed
    problems = (
        *snapshot_problems,
        *(p for p in stored_problems or () if p not in snapshot_problems),
    )
    _serving_problems.set(problems)
    return catalogue


@transaction.atomic
def record_review(*, entries, reviewer, status=ReviewStatus.VERIFIED, note="") -> int:
    """The clinical lead's review of catalogue entries: sets who and when, keeps a record."""
    now = timezone.now()
    count = 0
    for entry in entries:
        entry.review_status = status
        entry.reviewed_by = reviewer
        entry.reviewed_at = now
        entry.review_note = note
        entry.save(update_fields=[*entry.REVIEW_FIELDS, "updated_at"])
        ReviewRecord.objects.create(
            kind=entry._meta.model_name,
            code=entry.code,
            status=status,
            reviewer=reviewer,
            note=note,
        )
        count += 1
    if count:
        rebuild_snapshot()
    return count
