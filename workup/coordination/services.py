"""What a coordinator may change on checklist steps: keyword-only functions, named verb-first.

Each write:

- takes a *selection*, step id -> the version the page was drawn from;
- changes open steps only (done and not-indicated come from the engine, never from here) and
  moves them only among pending, scheduled and awaiting findings;
- refuses the whole change when any selected step changed since the page was drawn, or cannot
  take the change, naming each step and why (``ChangeRefused``): nothing is overwritten unseen;
- saves each changed step with ``save()`` so that its history records who and what, with a
  short reason, and bumps the step's version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy

from workup.clinic.models import ChecklistStep
from workup.evidence import store

from .presenters import step_name
from .queries import person_name

Status = ChecklistStep.Status
Selection = Mapping[int, int]

# The fields a coordinator changes; a change to any of them by someone else makes an edit stale.
TRACKED_FIELDS = ("status", "due_date", "scheduled_for", "assignee")
FIELD_NAMES = {
    "status": "status",
    "due_date": "due date",
    "scheduled_for": "booked for",
    "assignee": "assignee",
}


class ChangeRefused(Exception):
    """Nothing was saved; ``problems`` names each step and why."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class ChangeReport:
    changed: list[ChecklistStep] = field(default_factory=list)
    unchanged: list[ChecklistStep] = field(default_factory=list)


def schedule_steps(*, selection: Selection, user, booked_for: date) -> ChangeReport:
    """Book the steps for a date: status scheduled, with the booking date."""

    def change(step):
        if step.status == Status.AWAITING_FINDINGS:
            return (
                "its result is already in (awaiting findings); set it back to pending first "
                "if it must be repeated"
            )
        step.status = Status.SCHEDULED
        step.scheduled_for = booked_for
        return None

    return _apply(
        selection=selection,
        user=user,
        reason=f"Scheduled for {booked_for.isoformat()}",
        change=change,
    )


def set_due_date(*, selection: Selection, user, due_date: date) -> ChangeReport:
    def change(step):
        step.due_date = due_date

    return _apply(
        selection=selection, user=user, reason=f"Due date {due_date.isoformat()}", change=change
    )


def assign_steps(*, selection: Selection, user, assignee) -> ChangeReport:
    """Give the steps to a person who may take them, or to nobody (``assignee=None``)."""
    if assignee is not None and not assignee.has_perm("clinic.manage_steps"):
        raise ValueError(f"{person_name(assignee)} cannot take checklist steps.")

    def change(step):
        step.assignee = assignee

    reason = f"Assigned to {assignee.get_username()}" if assignee else "Assignee removed"
    return _apply(selection=selection, user=user, reason=reason[:100], change=change)


def mark_awaiting_findings(*, selection: Selection, user) -> ChangeReport:
    """The result has come back; the responsible clinician now records the findings."""

    def change(step):
        step.status = Status.AWAITING_FINDINGS

    return _apply(
        selection=selection, user=user, reason="Result received, awaiting findings", change=change
    )


def return_to_pending(*, selection: Selection, user) -> ChangeReport:
    """A booking fell through (or a result must be repeated): back to pending, no booking."""

    def change(step):
        step.status = Status.PENDING
        step.scheduled_for = None

    return _apply(selection=selection, user=user, reason="Back to pending", change=change)


def _snapshot(step) -> tuple:
    return (step.status, step.due_date, step.scheduled_for, step.assignee_id)


@transaction.atomic
def _apply(
    *, selection: Selection, user, reason: str, change: Callable[[ChecklistStep], str | None]
) -> ChangeReport:
    if not user.has_perm("clinic.manage_steps"):
        raise PermissionDenied(
            gettext_lazy("Changing checklist steps needs the manage_steps permission.")
        )
    if not selection:
        raise ValueError("No steps selected.")
    # Lock the rows (PostgreSQL) so that two people cannot both pass the version check.
    steps = list(
        ChecklistStep.objects.select_for_update(of=("self",))
        .select_related("workup__patient")
        .filter(pk__in=list(selection))
        .order_by("pk")
    )
    problems = _stale_problems(steps, selection)
    if problems:
        raise ChangeRefused(problems)

    report = ChangeReport()
    refusals = []
    for step in steps:
        before = _snapshot(step)
        refusal = change(step)
        if refusal:
            refusals.append((step, refusal))
        elif _snapshot(step) == before:
            report.unchanged.append(step)
        else:
            report.changed.append(step)
    if refusals:
        catalogue = store.get_catalogue()
        raise ChangeRefused([f"{_label(step, catalogue)}: {why}" for step, why in refusals])

    for step in report.changed:
        step.version += 1
        step._history_user = user
        step._change_reason = reason
        step.save()
    return report


def _stale_problems(steps: list[ChecklistStep], selection: Selection) -> list[str]:
    problems = []
    missing = len(set(selection) - {s.pk for s in steps})
    if missing == 1:
        problems.append("1 selected step no longer exists")
    elif missing:
        problems.append(f"{missing} selected steps no longer exist")
    stale = [s for s in steps if not s.is_open or s.version != selection[s.pk]]
    if stale:
        catalogue = store.get_catalogue()
        problems.extend(
            describe_change(s, seen_version=selection[s.pk], catalogue=catalogue) for s in stale
        )
    return problems


def _label(step, catalogue) -> str:
    return f"{step.workup.patient.mrn} · {step_name(catalogue, code=step.code, kind=step.kind)}"


def describe_change(step: ChecklistStep, *, seen_version: int, catalogue) -> str:
    """In words: what changed on a step since the version a page showed, and who changed it."""
    label = _label(step, catalogue)
    if not step.is_open:
        return (
            f"{label} is now {step.get_status_display().lower()}: only open steps can be "
            "changed here"
        )
    history = step.history.select_related("history_user")
    seen = history.filter(version=seen_version).order_by("-history_id").first()
    latest = history.order_by("-history_id").first()
    if seen is None or latest is None:
        return f"{label} was changed by someone else after you opened the page"
    delta = latest.diff_against(seen, included_fields=list(TRACKED_FIELDS))
    people = _people(
        {value for c in delta.changes if c.field == "assignee" for value in (c.old, c.new)}
    )
    changes = "; ".join(
        f"{FIELD_NAMES[c.field]} {_show(c.field, c.old, people)} → {_show(c.field, c.new, people)}"
        for c in delta.changes
    )
    who = person_name(latest.history_user) or "someone else"
    when = date_format(timezone.localtime(latest.history_date), "j M H:i")
    return (
        f"{label} was changed by {who} at {when} after you opened the page "
        f"({changes or 'no visible change'})"
    )


def _people(ids) -> dict:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.pk: person_name(u) for u in get_user_model().objects.filter(pk__in=ids)}


def _show(field_name: str, value, people: dict) -> str:
    if value in (None, ""):
        return "none"
    if field_name == "status":
        return Status(value).label.lower()
    if field_name == "assignee":
        return people.get(value, "someone who left")
    if isinstance(value, date):
        return date_format(value, "j M Y")
    return str(value)
