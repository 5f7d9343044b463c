"""The clinical record: stored findings become the same facts, and the checklist follows."""

import pytest

from tests.evidence.test_facts import EXAMPLE
from tests.factories import make_workup
from workup.clinic.assessment import assess_workup, workup_facts
from workup.clinic.models import ChecklistStep, WorkUp
from workup.clinic.services import sync_steps
from workup.evidence import engine


@pytest.mark.django_db
@pytest.mark.parametrize(
    "facts",
    [
        EXAMPLE,
        {"age": 30},
        {
            "age": 44,
            "previous_cycles": [
                {
                    "oocytes": 2,
                    "maximal_stimulation": True,
                    "daily_dose_iu": 450,
                    "protocol": "antagonist",
                }
            ],
            "amh": {"value": 3.5, "unit": "pmol/L"},
            "aps": "confirmed",
            "miscarriages": 3,
            "addons_requested": ["heparin"],
            "ce_biopsy": {"done": True, "cd138_positive": True, "treated": True},
        },
        {
            "age": 36,
            "failed_transfers": 3,
            "indicated_by_clinician": ["karyotype"],
            "not_indicated_by_clinician": {"hysteroscopy": "Normal hysteroscopy in March"},
            "completed_actions": ["stimulation_plan"],
        },
    ],
)
def test_stored_findings_give_back_the_same_facts(clinician, loaded_catalogue, facts):
    workup = make_workup(clinician=clinician, facts=facts)
    workup = WorkUp.objects.get(pk=workup.pk)
    from workup.evidence.facts import parse_facts

    expected = parse_facts(facts, **loaded_catalogue.codes_for_facts())
    stored = workup_facts(workup, loaded_catalogue)
    assert stored == expected
    assert assess_workup(workup, loaded_catalogue)[1] == engine.assess(expected, loaded_catalogue)


@pytest.mark.django_db
def test_checklist_rows_follow_the_engine(clinician, loaded_catalogue):
    workup = make_workup(
        clinician=clinician, facts={"age": 41, "failed_transfers": 2, "smoker": False, "bmi": 22.0}
    )
    rows = {s.code: s for s in workup.steps.all()}
    assert rows["lifestyle"].status == "done"
    assert rows["hysteroscopy"].status == "not_indicated"
    assert rows["thyroid"].status == "pending"
    # A coordinator's booking survives while the step is still pending.
    rows["thyroid"].status = ChecklistStep.Status.SCHEDULED
    rows["thyroid"].save()
    findings = workup.findings
    findings.failed_transfers = 6  # 70% at 41: past the threshold, gated steps open up
    findings.save()
    sync_steps(workup=workup)
    rows = {s.code: s for s in workup.steps.all()}
    assert rows["thyroid"].status == "scheduled"
    assert rows["hysteroscopy"].status == "pending"


@pytest.mark.django_db
def test_a_tracked_next_step_resolves_when_findings_answer_it(clinician, loaded_catalogue):
    workup = make_workup(
        clinician=clinician,
        facts={"age": 36, "ce_biopsy": {"done": True, "cd138_positive": True, "treated": True}},
    )
    tracked = ChecklistStep.objects.create(
        workup=workup, code="ce_rebiopsy", kind="action", pillar="uterus"
    )
    findings = workup.findings
    findings.ce_rebiopsy_negative = True
    findings.save()
    sync_steps(workup=workup)
    tracked.refresh_from_db()
    assert tracked.status == "done" and not tracked.completed_manually


@pytest.mark.django_db
def test_history_is_kept_for_clinical_records(clinician, loaded_catalogue):
    workup = make_workup(clinician=clinician, facts={"age": 36})
    findings = workup.findings
    findings.tsh = 5.1
    findings.save()
    assert findings.history.count() == 2
    assert workup.history.exists() and workup.patient.history.exists()
    assert ChecklistStep.history.filter(workup_id=workup.pk).exists()
