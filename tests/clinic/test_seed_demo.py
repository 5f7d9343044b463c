"""Demo data: synthetic, varied, consistent with the engine."""

import io
import json

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


@pytest.mark.django_db
def test_what_the_seed_computes_in_memory_equals_what_the_stored_rows_give(loaded_catalogue):
    """The sign-off records and the dashboard's summary rows are computed from the batch's
    objects before anything is written; read back from the database they come out the same."""
    from workup.clinic.assessment import assess_workup
    from workup.clinic.signed import freeze
    from workup.guardrail.models import WorkupSummary
    from workup.guardrail.summary import _workups, summary_row

    call_command("seed_demo", workups=60, password="demo-pass-for-tests-1", stdout=io.StringIO())
    ids = list(WorkUp.objects.values_list("pk", flat=True))
    stored = {s.pk: s for s in WorkupSummary.objects.all()}
    assert set(stored) == set(ids)
    signed = 0
    for workup in _workups(ids):
        again = summary_row(workup, loaded_catalogue)
        row = stored[workup.pk]
        assert (row.rif_label, row.failed_transfers, row.clinician_id, row.opened_on) == (
            again.rif_label,
            again.failed_transfers,
            again.clinician_id,
            again.opened_on,
        )
        if workup.is_signed:
            signed += 1
            facts, answer = assess_workup(workup, loaded_catalogue)
            record = freeze(
                workup=workup,
                facts=facts,
                answer=answer,
                catalogue=loaded_catalogue,
                now=workup.signed_at,
            )
            assert workup.signed_assessment == json.loads(json.dumps(record)), workup.pk
    assert signed


@pytest.mark.django_db
def test_a_new_kind_of_row_left_out_of_the_batch_is_named_not_read_silently():
    """While a batch is computed nothing may read the database (rows are not written yet)."""
    from django.db import connection

    from workup.clinic.demo import no_queries

    with (
        pytest.raises(RuntimeError, match="Add the rows of every kind to the batch"),
        no_queries("A test"),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT 1")


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_on_postgresql_fill_the_numbers_once_and_keep_the_chains(
    loaded_catalogue, monkeypatch
):
    """One process per batch (here two writers, batches of four): every MRN once, the audit
    chains intact, and a second run, or a run after a lost batch, fills only what is missing."""
    from django.db import connection

    from workup.audit.chain import verify_all
    from workup.clinic import demo
    from workup.coordination.models import QueueCount
    from workup.guardrail.models import WorkupSummary

    if connection.vendor != "postgresql":
        pytest.skip("parallel writers are used on PostgreSQL only")
    monkeypatch.setattr(demo, "BATCH", 4)
    report = demo.seed(18, password="demo-pass-for-tests-1", workers=2)
    assert (report.created, report.existing) == (18, 0)
    mrns = sorted(Patient.objects.values_list("mrn", flat=True))
    assert mrns == [f"DEMO-{n:06d}" for n in range(1, 19)]
    assert WorkupSummary.objects.count() == 18
    assert all(not r.problems for r in verify_all()), [r.problems for r in verify_all()]
    open_steps = ChecklistStep.objects.open().count()
    assert sum(QueueCount.objects.values_list("n", flat=True)) == open_steps

    assert demo.seed(18, workers=2).created == 0

    # Numbers missing in the middle (as if a batch had been lost): filled, nothing else.
    for number in (5, 6):
        Patient.objects.filter(mrn=f"DEMO-{number:06d}").update(mrn=f"LOST-{number:06d}")
    report = demo.seed(18, workers=2)
    assert (report.created, report.existing) == (2, 16)
    assert Patient.objects.filter(mrn__startswith="DEMO-").count() == 18
    assert Patient.objects.filter(mrn__in=["DEMO-000005", "DEMO-000006"]).count() == 2
    assert all(not r.problems for r in verify_all())
