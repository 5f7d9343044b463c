"""The queues as queries: which open steps, in which order, with which counts.

Model-free functions over ``ChecklistStep.objects``. Every list here filters on the open
statuses first, so PostgreSQL can walk the partial index ``step_open_due_idx`` in due-date order
(the queue's order) and stop after one page; the other filters match the indexes on
(status, due_date), (assignee, status, due_date), (code, status) and (pillar, status).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from workup.accounts.roles import people_with
from workup.clinic.forms import clinicians
from workup.clinic.models import ChecklistStep, StepQuerySet
from workup.evidence.catalogue import PILLARS

from .models import QueueCount

Status = ChecklistStep.Status

# "Due this week": due today or in the six days after, seven calendar days in all.
DUE_SOON_DAYS = 6

QUEUE_ORDER = StepQuerySet.QUEUE_ORDER


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
        steps = steps.overdue(today)
    if filters.due_week:
        steps = steps.due_within(DUE_SOON_DAYS, today)
    if filters.q:
        steps = steps.matching_patient(filters.q)
    return steps.in_queue_order()


def clinician_queue(user) -> QuerySet:
    """A clinician's own queue: results awaiting their findings, and steps assigned to them."""
    return (
        open_steps()
        .filter(Q(workup__clinician=user, status=Status.AWAITING_FINDINGS) | Q(assignee=user))
        .in_queue_order()
    )


def overdue_steps(today: date) -> QuerySet:
    return open_steps().overdue(today).in_queue_order()


def counts_by_summary(filters: QueueFilters) -> bool:
    """Whether the summary table can count these filters: it is keyed by status, pillar,
    assignee and due date. A search, a step or a clinician narrows the rows to a few (or to one
    step of the catalogue), which are counted directly through their indexes."""
    return not (filters.q or filters.step or filters.clinician)


def count_queue(steps: QuerySet, filters: QueueFilters, *, user, today: date) -> dict:
    """Counts over exactly the rows these filters select, always exact.

    From the summary table kept by the database (``QueueCount``, a few thousand rows) when it is
    keyed by everything the filters name; otherwise counted over the filtered steps.
    """
    if not counts_by_summary(filters):
        return count_steps(steps, today=today)
    rows = QueueCount.objects.filter(n__gt=0)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.pillar:
        rows = rows.filter(pillar=filters.pillar)
    if filters.assignee == ASSIGNEE_ME:
        rows = rows.filter(assignee_key=user.pk)
    elif filters.assignee == ASSIGNEE_NOBODY:
        rows = rows.filter(assignee_key=QueueCount.NOBODY)
    elif filters.assignee:
        rows = rows.filter(assignee_key=int(filters.assignee))
    if filters.overdue:
        rows = rows.filter(due__lt=today)
    if filters.due_week:
        rows = rows.filter(due__gte=today, due__lte=due_week_end(today))
    week_end = due_week_end(today)

    def total(condition=None):
        return Coalesce(Sum("n", filter=condition), 0)

    aggregates = {
        "total": total(),
        "overdue": total(Q(due__lt=today)),
        "due_week": total(Q(due__gte=today, due__lte=week_end)),
        "no_due_date": total(Q(due=QueueCount.NO_DUE_DATE)),
        "unassigned": total(Q(assignee_key=QueueCount.NOBODY)),
    }
    for status in ChecklistStep.OPEN_STATUSES:
        aggregates[f"status_{status}"] = total(Q(status=status))
    for pillar in PILLARS:
        aggregates[f"pillar_{pillar}"] = total(Q(pillar=pillar))
    return _shape(rows.aggregate(**aggregates))


def rebuild_queue_counts() -> int:
    """The summary table recomputed from the steps (the triggers keep it; this repairs a
    database restored without it). Returns the number of open steps counted."""
    with transaction.atomic():
        QueueCount.objects.all().delete()
        groups = (
            ChecklistStep.objects.open()
            .values("status", "pillar", "assignee_id", "queue_due")
            .annotate(n=Count("pk"))
            .order_by()
        )
        QueueCount.objects.bulk_create(
            QueueCount(
                status=g["status"],
                pillar=g["pillar"],
                assignee_key=g["assignee_id"] or QueueCount.NOBODY,
                due=g["queue_due"],
                n=g["n"],
            )
            for g in groups
        )
    return QueueCount.objects.aggregate(n=Coalesce(Sum("n"), 0))["n"]


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
    return _shape(steps.order_by().aggregate(**aggregates))


def _shape(counts: dict) -> dict:
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
    """Everyone a filter can name, from the staff list (a small table), never from the steps.

    The people who may take steps (``is_taker``), the clinicians who may be responsible for a
    work-up (``is_responsible``), and anyone still holding open steps though no longer staff
    (read from the queue's summary table): a person who has left keeps the rows assigned to
    them until someone reassigns them, and the coordinator must be able to find those rows.
    """
    takers = Q(pk__in=people_with("clinic.manage_steps").values("pk"))
    responsible = Q(pk__in=clinicians().values("pk"))
    holders = Q(pk__in=QueueCount.objects.filter(n__gt=0).values("assignee_key"))
    flag = {"output_field": BooleanField()}
    return (
        get_user_model()
        .objects.filter(takers | responsible | holders)
        .annotate(
            is_taker=ExpressionWrapper(takers, **flag),
            is_responsible=ExpressionWrapper(responsible, **flag),
        )
        .order_by("first_name", "last_name", "username")
    )


def person_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
