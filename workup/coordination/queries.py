"""The queues as queries: which open steps, in which order, with which counts.

Model-free functions over ``ChecklistStep.objects``. Every list here filters on the open
statuses first, so PostgreSQL can walk the partial index ``step_open_due_idx`` in due-date order
(the queue's order) and stop after one page; the other filters match the indexes on
(status, due_date), (assignee, status, due_date), (code, status) and (pillar, status).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    Q,
    QuerySet,
)

from workup.accounts.roles import PERMISSION_BACKEND, people_with
from workup.clinic.models import ChecklistStep, WorkUp
from workup.evidence.catalogue import PILLARS

Status = ChecklistStep.Status

# "Due this week": due today or in the six days after, seven calendar days in all.
DUE_SOON_DAYS = 6

# Overdue first (the oldest due date is the most overdue), then by due date, undated last.
QUEUE_ORDER = ("queue_due", "workup_id", "pk")  # the order of the index step_queue_idx

MODEL_BACKEND = PERMISSION_BACKEND

ASSIGNEE_ME = "me"
ASSIGNEE_NOBODY = "unassigned"


@dataclass(frozen=True)
class QueueFilters:
    """What the coordinator asked for; empty values mean "any"."""

    q: str = ""
    status: str = ""
    pillar: str = ""
    step: str = ""
    clinician: int | None = None
    assignee: str = ""  # "", "me", "unassigned" or a user id
    overdue: bool = False
    due_week: bool = False

    def as_record(self) -> dict:
        """The filters that were set, for the download record."""
        return {k: v for k, v in self.__dict__.items() if v not in ("", None, False)}


def due_week_end(today: date) -> date:
    return today + timedelta(days=DUE_SOON_DAYS)


def open_steps() -> QuerySet:
    """Open steps with what a row shows (patient, clinician, assignee) joined in one query."""
    return ChecklistStep.objects.open().select_related(
        "workup__patient", "workup__clinician", "assignee"
    )


def filter_queue(steps: QuerySet, filters: QueueFilters, *, user, today: date) -> QuerySet:
    """The coordinator queue's rows for these filters, in the queue's order."""
    if filters.status:
        steps = steps.filter(status=filters.status)
    if filters.pillar:
        steps = steps.filter(pillar=filters.pillar)
    if filters.step:
        steps = steps.filter(code=filters.step)
    if filters.clinician:
        steps = steps.filter(workup__clinician_id=filters.clinician)
    if filters.assignee == ASSIGNEE_ME:
        steps = steps.filter(assignee=user)
    elif filters.assignee == ASSIGNEE_NOBODY:
        steps = steps.filter(assignee__isnull=True)
    elif filters.assignee:
        steps = steps.filter(assignee_id=int(filters.assignee))
    if filters.overdue:
        steps = steps.filter(due_date__lt=today)
    if filters.due_week:
        steps = steps.filter(due_date__gte=today, due_date__lte=due_week_end(today))
    if filters.q:
        steps = steps.filter(
            Q(workup__patient__mrn__icontains=filters.q)
            | Q(workup__patient__name__icontains=filters.q)
        )
    return steps.order_by(*QUEUE_ORDER)


def clinician_queue(user) -> QuerySet:
    """A clinician's own queue: results awaiting their findings, and steps assigned to them."""
    return (
        open_steps()
        .filter(Q(workup__clinician=user, status=Status.AWAITING_FINDINGS) | Q(assignee=user))
        .order_by(*QUEUE_ORDER)
    )


def overdue_steps(today: date) -> QuerySet:
    return open_steps().filter(due_date__lt=today).order_by(*QUEUE_ORDER)


# Counts are kept this long, and only while no step has changed (see count_queue).
COUNTS_KEPT_SECONDS = 600


def queue_stamp() -> str:
    """Changes whenever any checklist step is saved or created: the newest update time, one
    look-up in the index on ``updated_at``. (Steps are never updated in bulk; a step is only
    deleted with its work-up, which the app never does.)"""
    return str(ChecklistStep.objects.aggregate(latest=Max("updated_at"))["latest"])


def count_queue(steps: QuerySet, *, today: date) -> dict:
    """Counts over exactly these rows.

    Counting every open step costs time in proportion to the open steps, so the counts are
    kept in the cache under the filter's SQL, the day and the stamp of the last change to any
    step: exact, and computed again as soon as anything changed.
    """
    sql, params = steps.order_by().query.sql_with_params()
    digest = hashlib.sha256(f"{sql}|{params}|{today}|{queue_stamp()}".encode()).hexdigest()
    key = f"queue-counts:{digest}"
    counts = cache.get(key)
    if counts is None:
        counts = count_steps(steps, today=today)
        cache.set(key, counts, COUNTS_KEPT_SECONDS)
    return counts


def count_steps(steps: QuerySet, *, today: date) -> dict:
    """Counts over exactly these rows, in one aggregate query."""
    week_end = due_week_end(today)
    aggregates = {
        "total": Count("pk"),
        "overdue": Count("pk", filter=Q(due_date__lt=today)),
        "due_week": Count("pk", filter=Q(due_date__gte=today, due_date__lte=week_end)),
        "no_due_date": Count("pk", filter=Q(due_date__isnull=True)),
        "unassigned": Count("pk", filter=Q(assignee__isnull=True)),
    }
    for status in ChecklistStep.OPEN_STATUSES:
        aggregates[f"status_{status}"] = Count("pk", filter=Q(status=status))
    for pillar in PILLARS:
        aggregates[f"pillar_{pillar}"] = Count("pk", filter=Q(pillar=pillar))
    counts = steps.order_by().aggregate(**aggregates)
    return {
        "total": counts["total"],
        "overdue": counts["overdue"],
        "due_week": counts["due_week"],
        "no_due_date": counts["no_due_date"],
        "unassigned": counts["unassigned"],
        "by_status": {s: counts[f"status_{s}"] for s in ChecklistStep.OPEN_STATUSES},
        "by_pillar": {p: counts[f"pillar_{p}"] for p in PILLARS},
    }


def step_takers() -> QuerySet:
    """Active users who may be given steps: those with the permission to manage them."""
    return people_with("clinic.manage_steps")


def filter_people() -> QuerySet:
    """Everyone a filter can name: step takers, responsible clinicians, current assignees.

    A person who has left keeps the rows assigned to them until someone reassigns them; the
    coordinator must be able to find those rows. ``is_responsible`` marks the people who are
    the responsible clinician of a work-up (the choices of the clinician filter).
    """
    users = get_user_model().objects
    takers = users.with_perm(
        "clinic.manage_steps", include_superusers=False, backend=MODEL_BACKEND
    ).values("pk")
    # Per-person EXISTS probes use the indexes on (assignee, status, ...) and (clinician,
    # status): a few index look-ups per member of staff, however many steps there are.
    holds = Exists(
        ChecklistStep.objects.filter(
            assignee=OuterRef("pk"), status__in=ChecklistStep.OPEN_STATUSES
        )
    )
    responsible = Exists(WorkUp.objects.filter(clinician=OuterRef("pk")))
    is_taker = ExpressionWrapper(Q(pk__in=takers), output_field=BooleanField())
    return (
        users.annotate(holds_steps=holds, is_responsible=responsible, is_taker=is_taker)
        .filter(Q(is_taker=True) | Q(holds_steps=True) | Q(is_responsible=True))
        .order_by("first_name", "last_name", "username")
    )


def person_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
