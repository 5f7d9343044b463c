"""The nightly overdue digest: who gets which overdue steps, as plain-text emails.

Email is less protected than the app (it crosses mail servers, sits in inboxes, gets forwarded),
so a digest carries the least that lets a person act: the MRN, the step, the due date, how many
days overdue, and a link into the app, where a login is needed to see more. Never the patient's
name, birth date or findings; the subject line carries counts only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.urls import reverse
from django.utils.formats import date_format

from workup.accounts.roles import people_with
from workup.evidence import store

from .presenters import QueueRow, queue_rows
from .queries import overdue_steps, person_name

# A longer list helps nobody by email: the rest is one click away in the queue.
MAX_LINES = 100


@dataclass
class Digest:
    user: object
    subject: str
    body: str
    own: int
    total: int


@dataclass
class DigestPlan:
    overdue: int = 0
    digests: list[Digest] = field(default_factory=list)
    skipped: list[tuple[object, str]] = field(default_factory=list)


def coordinators():
    """Active people who look after the whole queue (those who may export it)."""
    return people_with("clinic.export_queue")


def plan_digest(*, today: date, base_url: str = "") -> DigestPlan:
    """One digest per person with something overdue: their own steps, and for coordinators,
    every overdue step. People without an email address (or no longer active) are skipped."""
    catalogue = store.get_catalogue()
    rows = queue_rows(overdue_steps(today), catalogue=catalogue, today=today)
    plan = DigestPlan(overdue=len(rows))
    if not rows:
        return plan
    own: dict[int, list[QueueRow]] = defaultdict(list)
    people = {}
    for row in rows:
        if row.step.assignee_id:
            own[row.step.assignee_id].append(row)
            people[row.step.assignee_id] = row.step.assignee
    overseers = {u.pk: u for u in coordinators()}
    people.update(overseers)

    for pk, user in sorted(people.items(), key=lambda item: item[1].get_username()):
        mine = own.get(pk, [])
        everything = rows if pk in overseers else []
        if not user.is_active:
            plan.skipped.append((user, f"no longer active ({len(mine)} overdue steps assigned)"))
            continue
        if not user.email:
            plan.skipped.append(
                (user, f"no email address ({len(mine) or len(everything)} overdue steps)")
            )
            continue
        plan.digests.append(
            Digest(
                user=user,
                subject=_subject(len(mine), len(everything)),
                body=_body(user, mine, everything, today=today, base_url=base_url),
                own=len(mine),
                total=len(everything),
            )
        )
    return plan


def _subject(own: int, total: int) -> str:
    def steps(n):
        return f"{n} overdue step{'' if n == 1 else 's'}"

    if total:
        return f"RIF Work-up: {steps(total)} ({own} assigned to you)"
    return f"RIF Work-up: {steps(own)} assigned to you"


def _line(row: QueueRow, *, base_url: str, with_people: bool) -> str:
    due = date_format(row.step.due_date, "j M Y")
    days = f"{row.days_overdue} day{'' if row.days_overdue == 1 else 's'} overdue"
    text = f"- {row.patient.mrn} · {row.name} · due {due} · {days}"
    if with_people:
        text += f" · assignee {row.assignee or 'nobody'} · clinician {row.clinician}"
    return f"{text}\n  {base_url}{row.url}"


def _section(title: str, rows: list[QueueRow], *, base_url: str, with_people: bool, more_url):
    lines = [f"{title} ({len(rows)}):"]
    lines += [_line(r, base_url=base_url, with_people=with_people) for r in rows[:MAX_LINES]]
    if len(rows) > MAX_LINES:
        lines.append(f"… and {len(rows) - MAX_LINES} more: {base_url}{more_url}")
    return "\n".join(lines)


def _body(user, mine, everything, *, today: date, base_url: str) -> str:
    queue = reverse("coordination:queue")
    parts = [
        f"Hello {person_name(user)},",
        f"These checklist steps were overdue on {date_format(today, 'l j F Y')}.",
    ]
    if mine:
        parts.append(
            _section(
                "Assigned to you",
                mine,
                base_url=base_url,
                with_people=False,
                more_url=f"{queue}?assignee=me&overdue=1",
            )
        )
    if everything:
        parts.append(
            _section(
                "All overdue steps",
                everything,
                base_url=base_url,
                with_people=True,
                more_url=f"{queue}?overdue=1",
            )
        )
    parts.append(
        "Patient names are left out of this email on purpose: follow a link and sign in to see "
        "the work-up.\n-- \nRIF Work-up, nightly overdue digest"
    )
    return "\n\n".join(parts) + "\n"
