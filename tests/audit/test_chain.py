"""The audit trail a regulator would accept: actors named as they were, records chained,
``verify_audit`` naming every record changed, inserted or removed since."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from tests.conftest import make_user
from tests.factories import make_patient, make_workup
from workup.audit.chain import ImmutableRecord, verify_all
from workup.audit.models import ChainHead, DownloadRecord
from workup.clinic.models import ChecklistStep, Findings

FINDINGS_HISTORY = Findings.history.model


def verify_audit():
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    return status, out.getvalue() + err.getvalue()


def lifestyle(client, workup, bmi):
    version = ChecklistStep.objects.get(workup=workup, code="lifestyle").version
    response = client.post(
        f"/workups/{workup.pk}/steps/lifestyle/",
        {"lifestyle-bmi": bmi, "lifestyle-smoker": "false", "lifestyle-version": version},
    )
    assert response.status_code == 302


@pytest.fixture
def trail(loaded_catalogue):
    """A clinician's changes to two work-ups, and the reads of their pages."""
    alice = make_user("alice", "clinician")
    client = Client()
    client.force_login(alice)
    workups = [make_workup(clinician=alice, patient=make_patient(mrn=f"CH-{n}")) for n in (1, 2)]
    for workup, bmi in zip(workups, ("31", "24.5"), strict=True):
        lifestyle(client, workup, bmi)
        assert client.get(workup.get_absolute_url()).status_code == 200
    return {"alice": alice, "client": client, "workups": workups}


def findings_records():
    return list(FINDINGS_HISTORY.objects.order_by("chain_seq"))


@pytest.mark.django_db
def test_an_untouched_trail_verifies(trail):
    status, output = verify_audit()
    assert status == 0, output
    assert "Audit trail intact" in output
    assert all(not report.problems for report in verify_all())
    assert len(findings_records()) >= 4  # created and changed, twice


@pytest.mark.django_db
def test_every_record_is_chained_to_the_one_before(trail):
    records = findings_records()
    assert [r.chain_seq for r in records] == list(range(1, len(records) + 1))
    assert records[0].chain_prev == ""
    for before, after in zip(records, records[1:], strict=False):
        assert after.chain_prev == before.chain_hash and len(after.chain_hash) == 64
    head = ChainHead.objects.get(name="clinic.historicalfindings")
    assert (head.seq, head.last_hash) == (records[-1].chain_seq, records[-1].chain_hash)


@pytest.mark.django_db
def test_a_row_changed_with_update_is_named(trail):
    target = findings_records()[-1]
    FINDINGS_HISTORY.objects.filter(pk=target.pk).update(bmi=22.0)
    status, output = verify_audit()
    assert status == 1
    assert f"clinic.historicalfindings, record {target.pk}: changed since it was recorded" in (
        output
    )
    assert "NOT intact" in output


@pytest.mark.django_db
def test_a_row_changed_with_raw_sql_is_named(trail):
    """Someone with database access moves a change to a colleague's name."""
    target = [r for r in findings_records() if r.history_user_id][0]
    other = make_user("bianca", "clinician")
    table = FINDINGS_HISTORY._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET history_user_id = %s WHERE history_id = %s",  # noqa: S608
            [other.pk, target.pk],
        )
    status, output = verify_audit()
    assert status == 1 and f"record {target.pk}: changed since it was recorded" in output
    # Only that record: the rest of the chain still links.
    problems = [p for report in verify_all() for p in report.problems]
    assert [(p.chain, p.record) for p in problems] == [("clinic.historicalfindings", target.pk)]


@pytest.mark.django_db
def test_a_deleted_row_is_named(trail):
    records = findings_records()
    FINDINGS_HISTORY.objects.filter(pk=records[1].pk).delete()
    status, output = verify_audit()
    assert status == 1
    assert f"record {records[2].pk}: removed before it: the records at place 2" in output


@pytest.mark.django_db
def test_deleting_the_newest_rows_is_named_too(trail):
    records = findings_records()
    FINDINGS_HISTORY.objects.filter(pk__in=[r.pk for r in records[-2:]]).delete()
    status, output = verify_audit()
    assert status == 1
    assert f"removed at the end: the records at places {len(records) - 1} to {len(records)}" in (
        output
    )


@pytest.mark.django_db
def test_an_inserted_row_is_named(trail):
    forged = findings_records()[-1]
    forged.pk = None
    forged.bmi = 19.0
    FINDINGS_HISTORY.objects.bulk_create([forged])
    inserted = FINDINGS_HISTORY.objects.order_by("-pk").first()
    status, output = verify_audit()
    assert status == 1
    assert f"record {inserted.pk}: " in output
    assert "inserted" in output


@pytest.mark.django_db
def test_a_row_inserted_outside_the_chain_is_named(trail):
    stray = findings_records()[-1]
    FINDINGS_HISTORY.objects.filter(pk=stray.pk).update(chain_seq=None)
    status, output = verify_audit()
    assert status == 1
    assert f"record {stray.pk}: inserted outside the chain" in output


@pytest.mark.django_db
def test_access_records_are_chained_and_checked_too(trail):
    read = DownloadRecord.objects.filter(kind="workup_page").order_by("chain_seq").first()
    DownloadRecord.objects.filter(pk=read.pk).update(username="someone-else")
    status, output = verify_audit()
    assert status == 1
    assert f"audit.downloadrecord, record {read.pk}: changed since it was recorded" in output


@pytest.mark.django_db
def test_records_are_never_changed_through_the_app(trail):
    record = findings_records()[0]
    record.bmi = 40.0
    with pytest.raises(ImmutableRecord):
        record.save()
    read = DownloadRecord.objects.first()
    with pytest.raises(ImmutableRecord):
        read.save()


@pytest.mark.django_db
def test_the_actor_is_kept_as_named_at_the_time(trail, lead):
    alice = trail["alice"]
    lead_client = Client()
    lead_client.force_login(lead)
    latest = FINDINGS_HISTORY.objects.filter(history_user=alice).latest("history_date")
    assert (latest.history_username, latest.history_user_full_name) == ("alice", "Alice Test")
    # The user is renamed in user management; their past changes stay theirs.
    alice.username, alice.first_name, alice.last_name = "alice.renamed", "Alicia", "Other"
    alice.save()
    mine = {"area": "findings", "user": alice.pk}
    changes = lead_client.get("/audit/", mine).context["rows"]
    assert changes and {(c.who, c.who_name) for c in changes} == {("alice", "Alice Test")}
    page = lead_client.get("/audit/", mine).content.decode()
    table = page.split("<tbody>")[1]  # the filter's list of users names her as she is now
    assert "Alice Test" in table and "alice.renamed" not in table and "Alicia" not in table
    exported = lead_client.get("/audit/changes.csv", mine)
    text = b"".join(exported.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {(r["who"], r["name"]) for r in rows} == {("alice", "Alice Test")}
    reads = lead_client.get("/audit/downloads/", {"kind": "workup_page"}).context["page"]
    assert {r.who for r in reads} == {"alice"}
    assert verify_audit()[0] == 0


@pytest.mark.django_db
def test_the_demo_seed_verifies(loaded_catalogue):
    """seed_demo writes history rows with SQL (INSERT ... SELECT): they are chained too."""
    call_command("seed_demo", workups=12, password="demo-pass-for-tests-1", stdout=io.StringIO())
    status, output = verify_audit()
    assert status == 0, output
    assert FINDINGS_HISTORY.objects.filter(chain_seq__isnull=True).count() == 0


@pytest.mark.django_db
def test_the_work_up_history_page_names_the_actor_as_they_were(trail):
    alice, workup = trail["alice"], trail["workups"][0]
    alice.first_name, alice.last_name = "Alicia", "Other"
    alice.save()
    page = trail["client"].get(f"/workups/{workup.pk}/history/").content.decode()
    assert "Alice Test" in page and "Alicia Other" not in page.split("<main")[1].split("</main>")[0]
