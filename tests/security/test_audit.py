"""The audit area: who changed what across work-ups, every download, CSV exports recorded."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone

from tests.conftest import make_user
from tests.factories import make_patient, make_workup
from workup.audit.changes import AREAS
from workup.audit.models import DownloadRecord
from workup.audit.services import record_download
from workup.clinic.models import ChecklistStep

AUDIT = "/audit/"


def lifestyle(client, workup, bmi):
    version = ChecklistStep.objects.get(workup=workup, code="lifestyle").version
    response = client.post(
        f"/workups/{workup.pk}/steps/lifestyle/",
        {"lifestyle-bmi": bmi, "lifestyle-smoker": "false", "lifestyle-version": version},
    )
    assert response.status_code == 302


def rows(response):
    return response.context["rows"]


def csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def history(loaded_catalogue):
    """Two clinicians' changes on two work-ups."""
    alice, bianca = make_user("alice", "clinician"), make_user("bianca", "clinician")
    first = make_workup(clinician=alice, patient=make_patient(mrn="AUD-1"), facts={"age": 36})
    second = make_workup(clinician=bianca, patient=make_patient(mrn="AUD-2"), facts={"age": 40})
    for user, workup, bmi in ((alice, first, "31"), (bianca, second, "22.5")):
        client = Client()
        client.force_login(user)
        lifestyle(client, workup, bmi)
    return {"alice": alice, "bianca": bianca, "first": first, "second": second}


@pytest.mark.django_db
def test_the_lead_sees_who_changed_what_across_work_ups(lead_client, history):
    changes = rows(lead_client.get(AUDIT))
    bmi = [c for c in changes if any(line.startswith("BMI:") for line in c.lines)]
    assert {(c.who, c.workup_id, c.mrn) for c in bmi} == {
        ("alice", history["first"].pk, "AUD-1"),
        ("bianca", history["second"].pk, "AUD-2"),
    }
    by_alice = next(c for c in bmi if c.who == "alice")
    assert by_alice.area == "Findings" and by_alice.action == "changed"
    assert "BMI: not recorded → 31 kg/m²" in by_alice.lines
    assert [c.when for c in changes] == sorted((c.when for c in changes), reverse=True)
    html = lead_client.get(AUDIT).content.decode()
    assert "BMI: not recorded → 31 kg/m²" in html and "AUD-2" in html


@pytest.mark.django_db
def test_changes_filter_by_user_record_work_up_patient_and_dates(lead_client, history):
    alice, second = history["alice"], history["second"]
    assert {c.who for c in rows(lead_client.get(AUDIT, {"user": alice.pk}))} == {"alice"}
    findings = rows(lead_client.get(AUDIT, {"area": "findings"}))
    assert findings and {c.area for c in findings} == {"Findings"}
    assert {c.workup_id for c in rows(lead_client.get(AUDIT, {"workup": second.pk}))} == {second.pk}
    assert {c.mrn for c in rows(lead_client.get(AUDIT, {"mrn": "aud-1"}))} == {"AUD-1"}
    assert rows(lead_client.get(AUDIT, {"mrn": "NOBODY"})) == []
    today = timezone.localdate()
    assert rows(lead_client.get(AUDIT, {"since": today, "until": today}))
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert rows(lead_client.get(AUDIT, {"since": tomorrow})) == []
    refused = lead_client.get(AUDIT, {"since": tomorrow, "until": today.isoformat()})
    assert "The end date is before the start date." in refused.content.decode()


@pytest.mark.django_db
def test_a_patient_correction_is_in_the_trail(client, clinician, lead, loaded_catalogue):
    patient = make_patient(mrn="AUD-9", name="Ada Before")
    client.force_login(clinician)
    client.post(
        f"/patients/{patient.pk}/edit/",
        {"mrn": "AUD-9", "name": "Ada After", "birth_date": "1988-05-01"},
    )
    client.force_login(lead)
    change = rows(client.get(AUDIT, {"area": "patient"}))[0]
    assert (change.who, change.mrn, change.action) == ("alice", "AUD-9", "changed")
    assert change.lines == ["Name: Ada Before → Ada After"]


# Session, user, permissions, the filter's list of users, count, page, people, work-ups,
# catalogue (10), and two per kind of record on the page (7 kinds): never more, whatever the rows.
MAX_QUERIES = 10 + 2 * len(AREAS)


@pytest.mark.django_db
def test_the_changes_page_takes_a_fixed_number_of_queries(
    lead_client, history, django_assert_max_num_queries
):
    clinician = history["alice"]
    client = Client()
    client.force_login(clinician)
    for n in range(25):
        facts = {"age": 30 + n % 20, "addons_requested": ["ivig"]}
        lifestyle(client, make_workup(clinician=clinician, facts=facts), str(20 + n))
    for page_number in (1, 2, 9):
        with django_assert_max_num_queries(MAX_QUERIES):
            page = lead_client.get(AUDIT, {"page": page_number})
        assert len(rows(page)) == 50
    assert page.context["page"].paginator.num_pages > 9


@pytest.mark.django_db
def test_every_clinical_model_with_history_is_in_the_audit():
    clinical = {
        model
        for model in apps.get_app_config("clinic").get_models()
        if getattr(model._meta, "simple_history_manager_attribute", None)
    }
    missing = clinical - {area.model for area in AREAS}
    assert clinical and not missing, f"add to workup.audit.changes.AREAS: {missing}"


@pytest.mark.django_db
def test_the_changes_export_follows_the_filters_and_is_recorded(lead_client, history):
    alice = history["alice"]
    response = lead_client.get("/audit/changes.csv", {"user": alice.pk, "area": "findings"})
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="rif-audit-changes-' in response["Content-Disposition"]
    exported = csv_rows(response)
    assert exported and {(r["who"], r["record"]) for r in exported} == {("alice", "Findings")}
    assert any("BMI: not recorded → 31 kg/m²" in r["what changed"] for r in exported)
    record = DownloadRecord.objects.get(kind=DownloadRecord.Kind.AUDIT_CSV)
    assert record.user.username == "lena"
    assert record.detail == {
        "export": "changes",
        "filters": {"user": "alice", "area": "findings"},
        "rows": len(exported),
    }


@pytest.mark.django_db
def test_a_cell_that_a_spreadsheet_would_run_is_defused(lead_client, loaded_catalogue):
    """A username may start with + - or @: a spreadsheet would read "-2+3" as a formula."""
    odd = make_user("-2+3", "clinician")
    client = Client()
    client.force_login(odd)
    lifestyle(client, make_workup(clinician=odd), "24")
    exported = csv_rows(lead_client.get("/audit/changes.csv", {"user": odd.pk}))
    assert exported and {row["who"] for row in exported} == {"'-2+3"}


@pytest.mark.django_db
def test_the_lead_sees_every_download_and_filters_them(lead_client, clinician, coordinator):
    workup = make_workup(clinician=clinician, patient=make_patient(mrn="AUD-5"))
    record_download(user=clinician, kind=DownloadRecord.Kind.SUMMARY_PDF, workup=workup)
    record_download(user=coordinator, kind=DownloadRecord.Kind.QUEUE_CSV, detail={"rows": 4})
    page = lead_client.get("/audit/downloads/")
    html = page.content.decode()
    assert "Consultation summary (PDF)" in html and "Coordinator queue (CSV)" in html
    assert "AUD-5" in html and "rows: 4" in html
    only_pdf = lead_client.get("/audit/downloads/", {"kind": "summary_pdf"}).context["page"]
    assert [r.user.username for r in only_pdf] == ["alice"]
    by_carol = lead_client.get("/audit/downloads/", {"user": coordinator.pk}).context["page"]
    assert [r.kind for r in by_carol] == ["queue_csv"]


@pytest.mark.django_db
def test_the_downloads_export_is_itself_a_download(lead_client, clinician):
    workup = make_workup(clinician=clinician, patient=make_patient(mrn="AUD-6"))
    record_download(user=clinician, kind=DownloadRecord.Kind.HANDOUT_PDF, workup=workup)
    exported = csv_rows(lead_client.get("/audit/downloads.csv"))
    assert [(r["who"], r["what"], r["MRN"]) for r in exported] == [
        ("alice", "Patient sheet (PDF)", "AUD-6")
    ]
    again = csv_rows(lead_client.get("/audit/downloads.csv", {"kind": "audit_csv"}))
    assert [(r["who"], r["what"]) for r in again] == [("lena", "Audit trail (CSV)")]
    assert DownloadRecord.objects.filter(kind="audit_csv").count() == 2


@pytest.mark.django_db
def test_bad_export_filters_are_refused_and_not_recorded(lead_client):
    response = lead_client.get("/audit/changes.csv", {"workup": "abc"})
    assert response.status_code == 400
    assert not DownloadRecord.objects.exists()
