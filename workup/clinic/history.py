"""The work-up's change history, from django-simple-history: who changed what, and when.

One query per clinical model, whatever the number of changes; each record is compared with the
previous record of the same row to say what changed, in the words of the findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from workup.evidence import findings as spec

from .models import AddonRequest, ChecklistStep, Findings, PlannedCycle, StimulationCycle, WorkUp
from .transfer_records import Transfer, day_words, embryos_in_words

# Bookkeeping columns that change on every save and mean nothing to a reader.
IGNORED = {
    "updated_at",
    "created_at",
    "version",
    "completed_at",
    "signed_assessment",
    "updated_by",  # the planned cycle's: the history says who
}


@dataclass
class Change:
    when: datetime
    who: str
    what: str
    lines: list[str] = field(default_factory=list)


day = spec.day  # one date format everywhere: 1 Oct 2026


def day_and_time(value: datetime) -> str:
    local = timezone.localtime(value)
    return f"{day(local)} {local:%H:%M}"


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _who(record) -> str:
    # The name kept with the record (workup.audit.chain): a later rename changes nothing.
    if record.history_username:
        return record.history_user_full_name or record.history_username
    user = record.history_user
    if user is None:
        return "system"
    return _name(user)


def _finding(model, name) -> spec.Finding | None:
    """The finding a Findings column holds (a quantity's entered value and unit included)."""
    if model is not Findings:
        return None
    return spec.BY_COLUMN.get(name) or next(
        (
            f
            for f in spec.FINDINGS
            if f.kind == spec.QUANTITY and name in (f.entered_column, f.unit_column)
        ),
        None,
    )


def field_label(model, name) -> str:
    finding = _finding(model, name)
    if finding is not None:
        return str(finding.label)
    label = str(model._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]  # "OHSS" and "daily dose (IU)" keep their capitals


def field_value(model, record, name, people) -> str:
    finding = _finding(model, name)
    if finding is not None:
        return spec.display_stored(finding, record)
    if model is Transfer and name == "embryos":
        return embryos_in_words(record.embryos, record.stage)
    fld = model._meta.get_field(name)
    if fld.is_relation:
        key = getattr(record, fld.attname)
        if key is None:
            return "—"
        if fld.related_model is get_user_model():
            return people.get(key, "a colleague")
        return str(getattr(record, name))
    value = getattr(record, name)
    if model is PlannedCycle and name == "adjuvants":
        return _addon_names(value) or "none"
    if value in (None, ""):
        return "—"
    if isinstance(value, datetime):
        return day_and_time(value)
    if isinstance(value, date):
        return day(value)
    if fld.choices:
        return str(dict(fld.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _addon_names(codes) -> str:
    from workup.evidence import store

    addons = store.get_catalogue().addons
    return ", ".join(addons[c].name if c in addons else c for c in codes or ())


def _describe(model, record, previous, catalogue, people) -> tuple[str, list[str]]:
    noun = {
        WorkUp: "work-up",
        Findings: "findings",
        StimulationCycle: "previous cycle",
        PlannedCycle: "planned cycle",
        Transfer: f"transfer of {day_words(getattr(record, 'date', None))}",
        ChecklistStep: "step",
        AddonRequest: "add-on request",
    }[model]
    if model is ChecklistStep:
        entry = catalogue.investigations.get(record.code) or catalogue.next_steps.get(record.code)
        noun = f"step “{entry.name if entry else record.code}”"
    elif model is AddonRequest:
        entry = catalogue.addons.get(record.addon_code)
        noun = f"add-on “{entry.name if entry else record.addon_code}”"
    elif model is StimulationCycle:
        noun = f"previous cycle {record.sequence}"
    if record.history_type == "+":
        return f"created {noun}", []
    if record.history_type == "-":
        return f"removed {noun}", []
    lines = changed_lines(model, record, previous, people) if previous is not None else []
    return f"changed {noun}", lines


def changed_lines(model, record, previous, people) -> list[str]:
    """What changed between two history records of one row, in the words of the findings.

    Bookkeeping columns and the database's computed columns (not kept in history) are left out.
    """
    lines = []
    said = set()  # a quantity's three columns (value, as entered, unit) make one line
    for fld in model._meta.concrete_fields:
        name = fld.attname if fld.is_relation else fld.name
        if name in IGNORED or fld.primary_key or getattr(fld, "generated", False):
            continue
        finding = _finding(model, name)
        if finding is not None and finding.column in said:
            continue
        if getattr(previous, name) != getattr(record, name):
            if finding is not None:
                said.add(finding.column)
            lines.append(
                f"{field_label(model, fld.name)}: "
                f"{field_value(model, previous, fld.name, people)} → "
                f"{field_value(model, record, fld.name, people)}"
            )
    return lines


def workup_history(
    workup: WorkUp, catalogue, limit: int | None = None, clinical_only: bool = False
) -> list[Change]:
    """Every recorded change of the work-up, newest first.

    ``clinical_only`` keeps the findings, transfers and add-on requests (what the work-up page
    shows, in three queries); the full history adds the work-up, cycles and checklist steps.
    """
    sources = [(Findings, Findings.history.filter(workup_id=workup.pk))]
    # A work-up loaded for its page knows whether any transfer was ever recorded (load_workup).
    if getattr(workup, "has_transfer_history", True):
        sources.append((Transfer, Transfer.history.filter(workup_id=workup.pk)))
    sources.append((AddonRequest, AddonRequest.history.filter(workup_id=workup.pk)))
    if not clinical_only:
        sources += [
            (WorkUp, WorkUp.history.filter(id=workup.pk)),
            (StimulationCycle, StimulationCycle.history.filter(workup_id=workup.pk)),
            (PlannedCycle, PlannedCycle.history.filter(workup_id=workup.pk)),
            (ChecklistStep, ChecklistStep.history.filter(workup_id=workup.pk)),
        ]
    loaded = [
        (model, list(records.select_related("history_user").order_by("history_date", "history_id")))
        for model, records in sources
    ]
    people = _people_named_in(workup, loaded)
    changes: list[Change] = []
    for model, records in loaded:
        previous_by_row = {}
        pk_name = model._meta.pk.attname
        for record in records:
            row = getattr(record, pk_name)
            previous = previous_by_row.get(row)
            what, lines = _describe(model, record, previous, catalogue, people)
            previous_by_row[row] = record
            if record.history_type == "~" and not lines:
                continue
            changes.append(
                Change(when=record.history_date, who=_who(record), what=what, lines=lines)
            )
    changes.sort(key=lambda c: c.when, reverse=True)
    changes = _group_step_creations(changes)
    return changes[:limit] if limit else changes


def _people_named_in(workup, loaded) -> dict[int, str]:
    """The name of everyone the records mention (a counsellor, an assignee, a signer).

    Those already at hand cost nothing: the authors of the records and the people of the
    work-up's add-on requests (prefetched with the page). Anyone else is read in one query.
    """
    people: dict[int, str] = {}
    wanted: set[int] = set()
    user_model = get_user_model()
    for model, records in loaded:
        user_fields = [
            f.attname
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is user_model
        ]
        for record in records:
            if record.history_user is not None:
                people[record.history_user_id] = _name(record.history_user)
            wanted.update(getattr(record, name) for name in user_fields)
    cache = getattr(workup, "_prefetched_objects_cache", {})
    if "addon_requests" in cache:
        for request in cache["addon_requests"]:
            for name in ("counselled_by", "recorded_by"):
                if name in request._state.fields_cache and getattr(request, name) is not None:
                    user = getattr(request, name)
                    people[user.pk] = _name(user)
    wanted.discard(None)
    missing = wanted - people.keys()
    if missing:
        for user in user_model.objects.filter(pk__in=missing):
            people[user.pk] = _name(user)
    return people


def _group_step_creations(changes: list[Change]) -> list[Change]:
    """A new work-up creates its whole checklist at once: one line, not thirteen."""
    out: list[Change] = []
    for change in changes:
        last = out[-1] if out else None
        if (
            change.what.startswith("created step")
            and last is not None
            and last.what.startswith("created ")
            and "step" in last.what
            and last.who == change.who
            and abs((last.when - change.when).total_seconds()) < 2
        ):
            count = int(last.what.split()[1]) + 1 if last.what[8].isdigit() else 2
            last.what = f"created {count} checklist steps"
            continue
        out.append(change)
    return out
