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
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from workup.accounts.roles import people_with
from workup.clinic.forms import clinicians
from workup.clinic.models import ChecklistStep, StepQuerySet, WorkUp
from workup.evidence.catalogue import PILLARS

from .models import QueueCount, StepCount, WorkupCount

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
    return open_steps().filter(clinician_queue_q(user)).in_queue_order()


def clinician_queue_q(user, *, clinician="workup__clinician", assignee="assignee", status="status"):
    """Which steps are in a clinician's own queue: said once, for the steps and (with the
    step counts' names) for their counts."""
    return Q(**{clinician: user.pk, status: Status.AWAITING_FINDINGS}) | Q(**{assignee: user.pk})


def overdue_steps(today: date) -> QuerySet:
    return open_steps().overdue(today).in_queue_order()


def summary_rows(filters: QueueFilters, *, user, today: date) -> QuerySet | None:
    """The summary rows holding exactly the counts of these filters, or None for a search.

    ``QueueCount`` (a few thousand rows) is keyed by status, pillar, assignee and due date;
    a step or a clinician filter reads ``StepCount``, keyed by those and by step and responsible
    clinician too (tens of thousands of rows, of which the filter reads its own). Both are kept
    by the database as the steps change. A search (a patient's name or MRN) narrows the rows to a
    few patients', which are counted directly through the search's indexes.
    """
    if filters.q:
        return None
    if filters.step or filters.clinician:
        rows = StepCount.objects.all()
        if filters.step:
            rows = rows.filter(code=filters.step)
        if filters.clinician:
            rows = rows.filter(clinician_key=filters.clinician)
    else:
        rows = QueueCount.objects.all()
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
    return rows


def count_queue(steps: QuerySet, filters: QueueFilters, *, user, today: date) -> dict:
    """Counts over exactly the rows these filters select, always exact: from the summary
    tables kept by the database (``summary_rows``), or counted over the steps for a search."""
    rows = summary_rows(filters, user=user, today=today)
    if rows is None:
        return count_steps(steps, today=today)
    return sum_counts(rows, today=today)


def count_clinician_queue(user, *, today: date) -> dict:
    """The counts of ``clinician_queue(user)``, from the step counts (same selection)."""
    mine = clinician_queue_q(user, clinician="clinician_key", assignee="assignee_key")
    return sum_counts(StepCount.objects.filter(mine), today=today)


def awaiting_findings_count(user) -> int:
    """Open steps awaiting the findings of the work-ups' responsible clinician ``user``."""
    rows = StepCount.objects.filter(clinician_key=user.pk, status=Status.AWAITING_FINDINGS)
    return rows.aggregate(n=Coalesce(Sum("n"), 0))["n"]


def open_workups_count(user) -> int:
    """How many open work-ups ``user`` is the responsible clinician of."""
    row = WorkupCount.objects.filter(clinician_key=user.pk, status=WorkUp.Status.OPEN).first()
    return row.n if row else 0


def sum_counts(rows: QuerySet, *, today: date) -> dict:
    """The queue's counts as sums over summary rows (QueueCount or StepCount), in one query:
    grouped by status, pillar, where the due date falls (overdue, this week, none, later) and
    whether anyone holds the steps (a few dozen groups), then added up here."""
    week_end = due_week_end(today)
    where = Case(
        When(due__lt=today, then=Value("overdue")),
        When(due__lte=week_end, then=Value("due_week")),
        When(due=QueueCount.NO_DUE_DATE, then=Value("no_due_date")),
        default=Value("later"),
        output_field=CharField(),
    )
    nobody = ExpressionWrapper(Q(assignee_key=QueueCount.NOBODY), output_field=BooleanField())
    groups = (
        rows.order_by()
        .annotate(when=where, nobody=nobody)
        .values("status", "pillar", "when", "nobody")
        .annotate(total=Sum("n"))
    )
    counts = {
        "total": 0,
        "overdue": 0,
        "due_week": 0,
        "no_due_date": 0,
        "unassigned": 0,
        "by_status": dict.fromkeys(ChecklistStep.OPEN_STATUSES, 0),
        "by_pillar": dict.fromkeys(PILLARS, 0),
    }
    for group in groups:
        n = group["total"]
        counts["total"] += n
        if group["when"] in counts:
            counts[group["when"]] += n
        if group["nobody"]:
            counts["unassigned"] += n
        if group["status"] in counts["by_status"]:
            counts["by_status"][group["status"]] += n
        if group["pillar"] in counts["by_pillar"]:
            counts["by_pillar"][group["pillar"]] += n
    return counts


def rebuild_queue_counts() -> int:
    """The summary tables recomputed from the steps and work-ups (the triggers keep them; this
    repairs a database restored without them). Returns the number of open steps counted."""
    with transaction.atomic():
        QueueCount.objects.all().delete()
        StepCount.objects.all().delete()
        WorkupCount.objects.all().delete()
        steps = ChecklistStep.objects.open().order_by()
        QueueCount.objects.bulk_create(
            QueueCount(
                status=g["status"],
                pillar=g["pillar"],
                assignee_key=g["assignee_id"] or QueueCount.NOBODY,
                due=g["queue_due"],
                n=g["n"],
            )
            for g in steps.values("status", "pillar", "assignee_id", "queue_due").annotate(
                n=Count("pk")
            )
        )
        StepCount.objects.bulk_create(
            (
                StepCount(
                    status=g["status"],
                    pillar=g["pillar"],
                    code=g["code"],
                    clinician_key=g["workup__clinician_id"],
                    assignee_key=g["assignee_id"] or QueueCount.NOBODY,
                    due=g["queue_due"],
                    n=g["n"],
                )
                for g in steps.values(
                    "status", "pillar", "code", "workup__clinician_id", "assignee_id", "queue_due"
                ).annotate(n=Count("pk"))
            ),
            batch_size=1000,
        )
        WorkupCount.objects.bulk_create(
            WorkupCount(clinician_key=g["clinician_id"], status=g["status"], n=g["n"])
            for g in WorkUp.objects.order_by()
            .values("clinician_id", "status")
            .annotate(n=Count("pk"))
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
