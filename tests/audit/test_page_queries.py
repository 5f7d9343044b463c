"""The audit pages and the lead's start page in a fixed number of queries (12 at most),
whatever the kinds of record on the page and however long the trail."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.factories import make_workup
from workup.audit.changes import ChangeFilters, change_entries, count_changes
from workup.clinic.models import (
    Addendum,
    AddonRequest,
    ChecklistStep,
    Findings,
    StimulationCycle,
)
from workup.evidence.models import ENTRY_MODELS, ReviewStatus


@pytest.fixture
def every_area(clinician, coordinator, lead, loaded_catalogue):
    """A change of every kind of record (each area of the audit), newest last."""
    workup = make_workup(
        clinician=clinician,
        facts={
            "age": 38,
            "failed_transfers": 3,
            "previous_cycles": [{"oocytes": 4}],
            "addons_requested": ["ivig"],
        },
    )
    patient = workup.patient
    patient.name = "Renamed Patient"
    patient.save()
    workup.date = workup.date - timedelta(days=1)
    workup.save()
    findings = Findings.objects.get(workup=workup)
    findings.bmi = 27.5
    findings.save()
    cycle = StimulationCycle.objects.filter(workup=workup).first()
    cycle.oocytes = 5
    cycle.save()
    request = AddonRequest.objects.filter(workup=workup).first()
    request.outcome = AddonRequest.Outcome.DECLINED
    request.counselled_by = clinician
    request.save()
    Addendum.objects.create(workup=workup, author=clinician, reason="Typo", changes="BMI")
    step = ChecklistStep.objects.filter(workup=workup).first()
    step.assignee, step.due_date = coordinator, date(2026, 1, 5)
    step.save()
    return workup


LINES = {
    "Patient": ["Name: Test Patient → Renamed Patient"],
    "Findings": ["BMI: not recorded → 27.5 kg/m²"],
    "Previous cycle": ["Oocytes retrieved: 4 → 5"],
    "Checklist step": ["Due date: — → 5 Jan 2026", "Assignee: — → carol"],
    "Add-on request": [
        "Outcome: Not yet counselled → Discussed; patient declined",
        "Counselled by: — → alice",
    ],
}


@pytest.mark.django_db
def test_the_audit_page_describes_every_kind_of_record_in_at_most_12_queries(
    lead_client, every_area, django_assert_max_num_queries
):
    """A page with a change of every kind (each read with the record before it and the people
    it names) and created records: one query per kind changed, whatever the rows."""
    lead_client.get("/audit/")  # the session settles
    with django_assert_max_num_queries(12):
        response = lead_client.get("/audit/")
    rows = response.context["rows"]
    changed = {row.area: row.lines for row in rows if row.action == "changed"}
    for area, lines in LINES.items():
        assert changed[area] == lines, area
    assert {row.area for row in rows} >= {"Work-up", "Addendum"}
    assert all(row.mrn == every_area.patient.mrn for row in rows)
    steps = [row.subject for row in rows if row.area == "Checklist step"]
    assert "Checklist step: Hysteroscopy" in steps


@pytest.mark.django_db
def test_the_lead_start_page_in_at_most_12_queries(
    lead_client, every_area, django_assert_max_num_queries
):
    lead_client.get("/")
    with django_assert_max_num_queries(12):
        response = lead_client.get("/")
    changes = response.context["changes"]
    assert len(changes) == 6 and {c.area for c in changes} >= {"Checklist step", "Findings"}
    pending = [
        (kind, code)
        for kind, model in ENTRY_MODELS.items()
        for code in model.objects.filter(retired=False, review_status=ReviewStatus.PENDING)
        .order_by("rank", "code")
        .values_list("code", flat=True)
    ]
    assert response.context["review_counts"]["total"] == len(pending)
    assert [(i.kind, i.code) for i in response.context["waiting"]] == pending[:5]


@pytest.mark.django_db
def test_the_number_of_changes_is_the_chains_unless_a_filter_narrows_it(
    lead_client, every_area, coordinator
):
    """Unfiltered (or by kind of record only) the number comes from the audit chains' heads;
    it is the number of records listed, as a direct count gives it."""
    for filters in (
        ChangeFilters(),
        ChangeFilters(areas=("step", "patient")),
        ChangeFilters(user_id=coordinator.pk),
        ChangeFilters(workup_id=every_area.pk, areas=("findings",)),
    ):
        assert count_changes(filters) == len(list(change_entries(filters))), filters
    page = lead_client.get("/audit/").context["page"]
    assert page.paginator.count == len(list(change_entries())) > 20
