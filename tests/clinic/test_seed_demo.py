"""Demo data: synthetic, varied, consistent with the engine."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from workup.clinic.models import AddonRequest, ChecklistStep, Patient, WorkUp
from workup.clinic.presenters import load_workup
from workup.clinic.services import plan_step_changes


@pytest.mark.django_db
def test_seed_demo_creates_the_demo_users_and_work_ups():
    out = io.StringIO()
    call_command("seed_demo", workups=40, password="demo-pass-for-tests-1", stdout=out)
    assert "40 created" in out.getvalue()
    User = get_user_model()
    for name in ("clinician", "coordinator", "lead"):
        assert User.objects.get(username=name).check_password("demo-pass-for-tests-1")
    assert WorkUp.objects.count() == 40
    assert all(p.mrn.startswith("DEMO-") for p in Patient.objects.all())
    assert ChecklistStep.objects.overdue().exists()
    assert AddonRequest.objects.exists()
    labels = set()
    for workup in WorkUp.objects.all()[:40]:
        workup = load_workup(workup.pk)
        from workup.clinic.assessment import assess_workup

        _, answer = assess_workup(workup)
        labels.add(answer["rif"]["label"])
        create, update = plan_step_changes(
            workup=workup, steps=list(workup.steps.all()), answer=answer
        )
        assert not create and not update, workup.pk  # rows already match the engine
    assert labels == {"rif", "not_yet"}


@pytest.mark.django_db
def test_seed_demo_tops_up_instead_of_duplicating():
    call_command("seed_demo", workups=5, password="demo-pass-for-tests-1", stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_demo", workups=8, stdout=out)
    assert "3 created, 5 already there" in out.getvalue()
    assert "passwords unchanged" in out.getvalue()
    assert WorkUp.objects.count() == 8


@pytest.mark.django_db
def test_seed_demo_generates_a_password_when_none_is_given():
    out = io.StringIO()
    call_command("seed_demo", workups=0, stdout=out)
    password = out.getvalue().split("password: ")[1].strip()
    assert get_user_model().objects.get(username="lead").check_password(password)


@pytest.mark.django_db
def test_seed_demo_refuses_a_weak_password():
    with pytest.raises(CommandError):
        call_command("seed_demo", workups=1, password="short", stdout=io.StringIO())


@pytest.mark.django_db
def test_seeded_work_ups_have_transfers_on_a_verified_audit_trail():
    from workup.audit.chain import verify_all
    from workup.clinic.transfer_records import Transfer

    call_command("seed_demo", workups=25, password="demo-pass-for-tests-1", stdout=io.StringIO())
    assert Transfer.objects.order_by().values("workup").distinct().count() == 25
    assert Transfer.history.count() == Transfer.objects.count()
    assert all(not report.problems for report in verify_all())
    for workup in WorkUp.objects.all()[:25]:
        findings = workup.findings
        failed = Transfer.objects.filter(workup=workup, outcome="negative").count()
        assert findings.failed_transfers == failed
