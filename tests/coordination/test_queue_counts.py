"""The queue's counts come from a summary table the database keeps (coordination.QueueCount).

Kept by triggers, so every kind of write counts: a step's save, a bulk update(), a bulk insert, a
delete. The counts must equal a direct count over the steps, for every filter the summary serves.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.conftest import make_user
from workup.clinic.models import ChecklistStep, WorkUp
from workup.coordination.models import QueueCount, StepCount, WorkupCount
from workup.coordination.queries import (
    QueueFilters,
    awaiting_findings_count,
    clinician_queue,
    count_clinician_queue,
    count_queue,
    count_steps,
    filter_people,
    filter_queue,
    open_steps,
    open_workups_count,
    rebuild_queue_counts,
)

from .conftest import day

Status = ChecklistStep.Status

FILTERS = [
    QueueFilters(),
    QueueFilters(status=Status.SCHEDULED),
    QueueFilters(pillar="uterus"),
    QueueFilters(assignee="me"),
    QueueFilters(assignee="unassigned"),
    QueueFilters(overdue=True),
    QueueFilters(due_week=True),
    QueueFilters(status=Status.PENDING, overdue=True, assignee="me"),
    # From the step counts (keyed by step and responsible clinician too).
    QueueFilters(step="hysteroscopy"),
    QueueFilters(step="hysteroscopy", overdue=True),
    QueueFilters(step="thyroid", status=Status.SCHEDULED, due_week=True),
    QueueFilters(step="pgta", assignee="unassigned"),
]


@pytest.fixture
def queue(case, coordinator, other_clinician):
    case(
        mrn="SYN-0001",
        steps={
            "hysteroscopy": {"due_date": day(-6), "assignee": coordinator},
            "thyroid": {"due_date": day(1), "status": Status.SCHEDULED, "scheduled_for": day(1)},
            "karyotype": {},
        },
    )
    case(
        mrn="SYN-0002",
        clinician=other_clinician,
        steps={"hysteroscopy": {"due_date": day(-1)}, "pgta": {"due_date": day(30)}},
    )


def assert_counts_are_exact(user):
    today = day(0)
    people = get_user_model().objects.all()
    by_clinician = [QueueFilters(clinician=p.pk) for p in people]
    by_clinician += [
        QueueFilters(clinician=p.pk, step="hysteroscopy", assignee="me") for p in people
    ]
    for filters in FILTERS + by_clinician:
        steps = filter_queue(open_steps(), filters, user=user, today=today)
        assert count_queue(steps, filters, user=user, today=today) == count_steps(
            steps, today=today
        ), filters
    for person in people:
        assert count_clinician_queue(person, today=today) == count_steps(
            clinician_queue(person), today=today
        ), person
        assert (
            awaiting_findings_count(person)
            == ChecklistStep.objects.filter(
                workup__clinician=person, status=Status.AWAITING_FINDINGS
            ).count()
        )
        assert (
            open_workups_count(person)
            == WorkUp.objects.filter(clinician=person, status=WorkUp.Status.OPEN).count()
        )


@pytest.mark.django_db
def test_the_summary_counts_equal_a_direct_count_for_every_filter(queue, coordinator):
    assert QueueCount.objects.exists()
    assert_counts_are_exact(coordinator)
    total = count_queue(open_steps(), QueueFilters(), user=coordinator, today=day(0))["total"]
    assert total == ChecklistStep.objects.open().count() == 5


@pytest.mark.django_db
def test_a_bulk_update_and_a_delete_are_counted_too(queue, coordinator):
    """No Python signal runs for these: the database's triggers keep the counts."""
    ChecklistStep.objects.filter(code="hysteroscopy").update(status=Status.DONE)
    ChecklistStep.objects.filter(code="thyroid").update(assignee=coordinator, due_date=day(-2))
    ChecklistStep.objects.filter(code="pgta").delete()
    assert_counts_are_exact(coordinator)
    counts = count_queue(open_steps(), QueueFilters(), user=coordinator, today=day(0))
    assert counts["total"] == 2
    assert counts["overdue"] == 1 and counts["by_status"]["scheduled"] == 1


@pytest.mark.django_db
def test_a_saved_step_moves_between_counts(queue, coordinator):
    step = ChecklistStep.objects.get(workup__patient__mrn="SYN-0001", code="karyotype")
    step.status, step.due_date, step.assignee = Status.AWAITING_FINDINGS, day(-3), coordinator
    step.save()
    assert_counts_are_exact(coordinator)
    mine = count_queue(open_steps(), QueueFilters(assignee="me"), user=coordinator, today=day(0))
    assert mine["total"] == 2 and mine["by_status"]["awaiting_findings"] == 1


@pytest.mark.django_db
def test_the_counts_can_be_rebuilt_from_the_steps(queue, coordinator):
    QueueCount.objects.all().delete()
    StepCount.objects.all().delete()
    WorkupCount.objects.all().delete()
    assert rebuild_queue_counts() == 5
    assert_counts_are_exact(coordinator)
    QueueCount.objects.update(n=0)
    StepCount.objects.update(n=0)
    WorkupCount.objects.update(n=7)
    call_command("rebuild_queue_counts", verbosity=0)
    assert_counts_are_exact(coordinator)


@pytest.mark.django_db
def test_a_work_up_given_to_another_clinician_moves_its_step_counts(
    queue, coordinator, clinician, other_clinician
):
    """A clinician's own queue and start page follow the work-up, not where it used to be."""
    step = ChecklistStep.objects.get(workup__patient__mrn="SYN-0001", code="karyotype")
    step.status = Status.AWAITING_FINDINGS
    step.save()
    assert awaiting_findings_count(clinician) == 1
    workup = WorkUp.objects.get(patient__mrn="SYN-0001")
    workup.clinician = other_clinician
    workup.save()
    assert awaiting_findings_count(clinician) == 0
    assert awaiting_findings_count(other_clinician) == 1
    assert open_workups_count(clinician) == 0 and open_workups_count(other_clinician) == 2
    WorkUp.objects.filter(pk=workup.pk).update(clinician=clinician, status=WorkUp.Status.SIGNED)
    assert_counts_are_exact(coordinator)
    assert open_workups_count(clinician) == 0 and awaiting_findings_count(clinician) == 1


@pytest.mark.django_db
def test_the_queue_page_shows_the_summary_counts_in_few_queries(
    coordinator_client, queue, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = coordinator_client.get("/coordinator/?overdue=on")
    assert response.context["counts"]["total"] == 2
    assert "Overdue" in response.content.decode()


@pytest.mark.django_db
def test_the_filter_names_staff_and_anyone_who_has_left_but_still_holds_steps(
    queue, coordinator, clinician, other_clinician, lead
):
    gone = make_user("gwen", "coordinator")
    step = ChecklistStep.objects.get(workup__patient__mrn="SYN-0002", code="pgta")
    step.assignee = gone
    step.save()
    gone.is_active = False
    gone.save()
    people = {p.username: p for p in filter_people()}
    assert {"alice", "bianca", "carol", "gwen"} <= set(people)
    assert lead.username not in people  # the lead takes no steps and is nobody's clinician
    assert people["gwen"].is_taker is False and people["carol"].is_taker is True
    assert people["alice"].is_responsible and not people["carol"].is_responsible
    step.assignee = None
    step.save()
    assert "gwen" not in {p.username for p in filter_people()}
