"""Recent changes across all work-ups, from django-simple-history's tables: who, when, what.

One UNION query pages through the history of every clinical model, newest first, each table
read backwards along its (history_date, history_id) index (``chain.add_history_order_index``)
so that a page costs the same however long the trail; it carries what a created or removed
record shows (its subject, the patient's MRN). A page is then described in a fixed number of
queries: one per kind of record with changes on the page, which reads the history of the rows
changed (by the rows' index; the record before each change is picked from it, and the people
they name come with it), compared in the words the work-up's own history page uses
(``workup.clinic.history``). The number of records comes from the audit chains' heads
when no filter narrows it (``count_changes``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db.models import BigIntegerField, F, OuterRef, Subquery, Sum, TextField, Value
from django.db.models.functions import Cast, Coalesce

from workup.clinic.history import changed_lines
from workup.clinic.models import (
    Addendum,
    AddonRequest,
    ChecklistStep,
    Findings,
    Patient,
    PlannedCycle,
    StimulationCycle,
    WorkUp,
)
from workup.clinic.transfer_records import Transfer, day_words
from workup.evidence import store

from .chain import chain_name
from .models import ChainHead


@dataclass(frozen=True)
class Area:
    """A kind of clinical record whose changes the audit lists."""

    key: str
    label: str
    model: type
    # Where its historical record keeps the work-up's id (None: not tied to one work-up).
    workup_field: str | None
    # The lookup from its historical record to the patient's id.
    patient_lookup: str
    # The column that names the record within its work-up (a step's code...), if any.
    subject_field: str | None = None


AREAS = (
    Area("patient", "Patient", Patient, None, "id"),
    Area("workup", "Work-up", WorkUp, "id", "patient_id"),
    Area("findings", "Findings", Findings, "workup_id", "workup__patient_id"),
    Area(
        "cycle", "Previous cycle", StimulationCycle, "workup_id", "workup__patient_id", "sequence"
    ),
    Area("plan", "Planned cycle", PlannedCycle, "workup_id", "workup__patient_id"),
    Area("transfer", "Transfer", Transfer, "workup_id", "workup__patient_id", "date"),
    Area("step", "Checklist step", ChecklistStep, "workup_id", "workup__patient_id", "code"),
    Area("addon", "Add-on request", AddonRequest, "workup_id", "workup__patient_id", "addon_code"),
    Area("addendum", "Addendum", Addendum, "workup_id", "workup__patient_id"),
)
BY_KEY = {area.key: area for area in AREAS}
ACTIONS = {"+": "created", "~": "changed", "-": "removed"}


@dataclass(frozen=True)
class ChangeFilters:
    """What the lead asked for; every part optional. ``until`` is exclusive."""

    user_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    areas: tuple[str, ...] = ()
    workup_id: int | None = None
    patient_id: int | None = None


@dataclass
class ChangeRow:
    when: datetime
    # The actor as they were named when the change was made (a later rename changes nothing).
    who: str
    who_name: str
    area: str
    action: str
    subject: str
    workup_id: int | None
    mrn: str
    lines: list[str] = field(default_factory=list)


def _records_of(area: Area, filters: ChangeFilters):
    history = area.model.history.model
    records = history.objects.order_by()
    if filters.user_id is not None:
        records = records.filter(history_user_id=filters.user_id)
    if filters.since is not None:
        records = records.filter(history_date__gte=filters.since)
    if filters.until is not None:
        records = records.filter(history_date__lt=filters.until)
    if filters.workup_id is not None:
        # A patient's own record belongs to no single work-up: find it by MRN instead.
        if area.workup_field is None:
            records = records.none()
        else:
            records = records.filter(**{area.workup_field: filters.workup_id})
    if filters.patient_id is not None:
        records = records.filter(**{area.patient_lookup: filters.patient_id})
    return records


ENTRY_COLUMNS = (
    "e_area",
    "e_id",
    "e_row",
    "e_when",
    "e_user",
    "e_username",
    "e_fullname",
    "e_type",
    "e_workup",
    "e_subject",
    "e_mrn",
)


def _entries_of(area: Area, filters: ChangeFilters):
    # Every branch of the UNION gives each column exactly the same type, so that the database
    # reads each history table along its index and merges them (no per-branch conversion).
    text = TextField()
    workup = F(area.workup_field) if area.workup_field else Value(None, BigIntegerField())
    subject = Cast(area.subject_field, text) if area.subject_field else Value(None, text)
    if area.workup_field is None:  # the patient's own record: the MRN it had
        mrn = Cast("mrn", text)
    else:  # the work-up's patient's MRN, as it is now (read for the rows of the page only)
        mrn = Cast(
            Subquery(
                WorkUp.objects.filter(pk=OuterRef(area.workup_field))
                .order_by()
                .values("patient__mrn")[:1]
            ),
            text,
        )
    return (
        _records_of(area, filters)
        .annotate(
            e_area=Value(area.key, text),
            e_id=F("history_id"),
            e_row=Cast(area.model._meta.pk.attname, BigIntegerField()),
            e_when=F("history_date"),
            e_user=F("history_user_id"),
            e_username=Cast("history_username", text),
            e_fullname=Cast("history_user_full_name", text),
            e_type=Cast("history_type", text),
            e_workup=workup,
            e_subject=subject,
            e_mrn=mrn,
        )
        .values(*ENTRY_COLUMNS)
    )


def _areas(filters: ChangeFilters) -> list[Area]:
    return [BY_KEY[key] for key in filters.areas] if filters.areas else list(AREAS)


def change_entries(filters: ChangeFilters = ChangeFilters()):
    """Every matching history record as a light dict, newest first (one query when sliced)."""
    first, *rest = [_entries_of(area, filters) for area in _areas(filters)]
    combined = first.union(*rest, all=True) if rest else first
    return combined.order_by("-e_when", "-e_id")


def count_changes(filters: ChangeFilters = ChangeFilters()) -> int:
    """How many records ``change_entries`` lists, in one query.

    Without a filter that narrows the records (none, or only kinds of record chosen): the
    number each audit chain's head keeps. Every record is appended to its chain, which numbers
    them one by one, and ``manage.py verify_audit`` checks that nothing was added or removed
    since. Otherwise the matching records are counted.
    """
    areas = _areas(filters)
    if filters == ChangeFilters(areas=filters.areas):
        names = [chain_name(area.model.history.model) for area in areas]
        heads = ChainHead.objects.filter(name__in=names)
        return heads.aggregate(n=Coalesce(Sum("seq"), 0))["n"]
    first, *rest = [_records_of(area, filters).values("history_id") for area in areas]
    return (first.union(*rest, all=True) if rest else first).count()


def _subject(area: Area, subject, catalogue) -> str:
    if area.model is ChecklistStep:
        entry = catalogue.investigations.get(subject) or catalogue.next_steps.get(subject)
        return f"{area.label}: {entry.name if entry else subject}"
    if area.model is AddonRequest:
        entry = catalogue.addons.get(subject)
        return f"{area.label}: {entry.name if entry else subject}"
    if area.model is Transfer and subject:
        return f"{area.label} of {day_words(date.fromisoformat(str(subject)[:10]))}"
    if subject is not None:
        return f"{area.label} {subject}"
    return area.label


def _lines(model, record, previous, people) -> list[str]:
    if record.history_type != "~" or previous is None:
        return []
    return changed_lines(model, record, previous, people)


def actor(entry) -> str:
    if entry["e_username"]:
        return entry["e_username"]
    return "system" if entry["e_user"] is None else f"user {entry['e_user']}"


def _changed_records(area: Area, entries: list[dict], people: dict) -> dict:
    """The changed records of one kind, each with the record before it (``previous``), in one
    query: every history record of the rows they belong to (read by the rows' index), the
    record before each picked here; the people they name (their user columns) are read with
    them, into ``people``. Returns the records by history id."""
    history = area.model.history.model
    pk_name = area.model._meta.pk.attname
    User = get_user_model()
    users = [f for f in history._meta.concrete_fields if f.is_relation and f.related_model is User]
    rows = {entry["e_row"] for entry in entries}
    latest = max(entry["e_when"] for entry in entries)
    found = (
        history.objects.filter(**{f"{pk_name}__in": rows}, history_date__lte=latest)
        .select_related(*(f.name for f in users))
        .order_by()
    )
    by_row = defaultdict(list)
    for record in found:
        by_row[getattr(record, pk_name)].append(record)
        for f in users:
            user = getattr(record, f.name)
            if user is not None:
                people[user.pk] = user.get_username()
    wanted = {entry["e_id"] for entry in entries}
    records = {}
    for records_of_row in by_row.values():
        records_of_row.sort(key=lambda r: (r.history_date, r.history_id))
        for before, record in zip([None, *records_of_row], records_of_row, strict=False):
            if record.history_id in wanted:
                record.previous = before
                records[record.history_id] = record
    return records


def describe(entries: Iterable[dict]) -> list[ChangeRow]:
    """The rows of a page of entries, in their order, in a fixed number of queries: one per
    kind of record changed on the page (a created or removed record needs none), and the
    catalogue (for the names of steps and add-ons)."""
    entries = list(entries)
    if not entries:
        return []
    changed = defaultdict(list)
    for entry in entries:
        if entry["e_type"] == "~":
            changed[entry["e_area"]].append(entry)
    people: dict[int, str] = {}
    records = {
        (key, history_id): record
        for key, of_kind in changed.items()
        for history_id, record in _changed_records(BY_KEY[key], of_kind, people).items()
    }
    named = {"step", "addon"} & {entry["e_area"] for entry in entries}
    catalogue = store.get_catalogue() if named else None
    rows = []
    for entry in entries:
        area = BY_KEY[entry["e_area"]]
        lines = []
        record = records.get((area.key, entry["e_id"]))
        if record is not None:
            lines = _lines(area.model, record, record.previous, people)
        rows.append(
            ChangeRow(
                when=entry["e_when"],
                who=actor(entry),
                who_name=entry["e_fullname"] or "",
                area=area.label,
                action=ACTIONS.get(entry["e_type"], entry["e_type"]),
                subject=_subject(area, entry["e_subject"], catalogue),
                workup_id=entry["e_workup"],
                mrn=entry["e_mrn"] or "",
                lines=lines,
            )
        )
    return rows


def iter_changes(filters: ChangeFilters, chunk: int = 500) -> Iterator[ChangeRow]:
    """Every matching change, described chunk by chunk (for the CSV export).

    ``filters.until`` should be set, so that changes made during the export do not shift it.
    """
    entries = change_entries(filters)
    start = 0
    while True:
        batch = list(entries[start : start + chunk])
        if not batch:
            return
        yield from describe(batch)
        start += chunk
