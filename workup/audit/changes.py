"""Recent changes across all work-ups, from django-simple-history's tables: who, when, what.

One UNION query pages through the history of every clinical model, newest first; a page is then
described in a fixed number of queries (two per kind of record on the page, whatever the number
of rows): each record is compared with the previous record of the same row, in the words the
work-up's own history page uses (``workup.clinic.history``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import BigIntegerField, CharField, F, OuterRef, Q, Subquery, Value

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


AREAS = (
    Area("patient", "Patient", Patient, None, "id"),
    Area("workup", "Work-up", WorkUp, "id", "patient_id"),
    Area("findings", "Findings", Findings, "workup_id", "workup__patient_id"),
    Area("cycle", "Previous cycle", StimulationCycle, "workup_id", "workup__patient_id"),
    Area("plan", "Planned cycle", PlannedCycle, "workup_id", "workup__patient_id"),
    Area("transfer", "Transfer", Transfer, "workup_id", "workup__patient_id"),
    Area("step", "Checklist step", ChecklistStep, "workup_id", "workup__patient_id"),
    Area("addon", "Add-on request", AddonRequest, "workup_id", "workup__patient_id"),
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


def _entries_of(area: Area, filters: ChangeFilters):
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
    workup = F(area.workup_field) if area.workup_field else Value(None, BigIntegerField())
    return records.annotate(
        e_area=Value(area.key, CharField()),
        e_id=F("history_id"),
        e_when=F("history_date"),
        e_user=F("history_user_id"),
        e_username=F("history_username"),
        e_fullname=F("history_user_full_name"),
        e_type=F("history_type"),
        e_workup=workup,
    ).values("e_area", "e_id", "e_when", "e_user", "e_username", "e_fullname", "e_type", "e_workup")


def change_entries(filters: ChangeFilters = ChangeFilters()):
    """Every matching history record as a light dict, newest first (one query when sliced)."""
    areas = [BY_KEY[key] for key in filters.areas] if filters.areas else list(AREAS)
    first, *rest = [_entries_of(area, filters) for area in areas]
    combined = first.union(*rest, all=True) if rest else first
    return combined.order_by("-e_when", "-e_id")


def _previous_of(history, pk_name):
    """The history id of the same row's record just before this one."""
    earlier = Q(history_date__lt=OuterRef("history_date")) | Q(
        history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id")
    )
    return Subquery(
        history.objects.filter(earlier, **{pk_name: OuterRef(pk_name)})
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )


def _subject(area: Area, record, catalogue) -> str:
    if area.model is ChecklistStep:
        entry = catalogue.investigations.get(record.code) or catalogue.next_steps.get(record.code)
        return f"{area.label}: {entry.name if entry else record.code}"
    if area.model is AddonRequest:
        entry = catalogue.addons.get(record.addon_code)
        return f"{area.label}: {entry.name if entry else record.addon_code}"
    if area.model is StimulationCycle:
        return f"{area.label} {record.sequence}"
    if area.model is Transfer:
        return f"{area.label} of {day_words(record.date)}"
    return area.label


def _lines(model, record, previous, people) -> list[str]:
    if record.history_type != "~" or previous is None:
        return []
    return changed_lines(model, record, previous, people)


def actor(entry) -> str:
    if entry["e_username"]:
        return entry["e_username"]
    return "system" if entry["e_user"] is None else f"user {entry['e_user']}"


def describe(entries: Iterable[dict]) -> list[ChangeRow]:
    """The rows of a page of entries, in their order, in a fixed number of queries."""
    entries = list(entries)
    if not entries:
        return []
    ids_by_area = defaultdict(list)
    for entry in entries:
        ids_by_area[entry["e_area"]].append(entry["e_id"])
    records, previous = {}, {}
    for key, ids in ids_by_area.items():
        area = BY_KEY[key]
        history = area.model.history.model
        pk_name = area.model._meta.pk.attname
        found = history.objects.filter(history_id__in=ids).annotate(
            previous_id=_previous_of(history, pk_name)
        )
        for record in found:
            records[key, record.history_id] = record
        earlier_ids = [r.previous_id for r in found if r.previous_id is not None]
        for history_id, record in history.objects.in_bulk(earlier_ids).items():
            previous[key, history_id] = record
    people = {user.pk: user.get_username() for user in get_user_model().objects.all()}
    workup_ids = {e["e_workup"] for e in entries if e["e_workup"] is not None}
    mrns = dict(WorkUp.objects.filter(pk__in=workup_ids).values_list("pk", "patient__mrn"))
    catalogue = store.get_catalogue()
    rows = []
    for entry in entries:
        area = BY_KEY[entry["e_area"]]
        record = records[area.key, entry["e_id"]]
        before = previous.get((area.key, record.previous_id))
        workup_id = entry["e_workup"]
        rows.append(
            ChangeRow(
                when=entry["e_when"],
                who=actor(entry),
                who_name=entry["e_fullname"] or "",
                area=area.label,
                action=ACTIONS.get(record.history_type, record.history_type),
                subject=_subject(area, record, catalogue),
                workup_id=workup_id,
                mrn=record.mrn if area.model is Patient else mrns.get(workup_id, ""),
                lines=_lines(area.model, record, before, people),
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
