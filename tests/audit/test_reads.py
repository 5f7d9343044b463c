"""Reading a patient's record leaves a trace: who, what, when, one record per view."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from tests.conftest import make_user
from tests.factories import make_patient, make_workup
from workup.accounts.models import ApiToken
from workup.audit.models import DownloadRecord


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def reads(**filters):
    return list(
        DownloadRecord.objects.filter(**filters).values_list("kind", "username", "workup_id")
    )


@pytest.fixture
def workup(clinician, loaded_catalogue):
    return make_workup(clinician=clinician, patient=make_patient(mrn="READ-1"))


@pytest.mark.django_db
def test_the_work_up_page_and_its_history_are_recorded_once_per_view(clinician_client, workup):
    assert clinician_client.get(workup.get_absolute_url()).status_code == 200
    assert reads() == [("workup_page", "alice", workup.pk)]
    clinician_client.get(workup.get_absolute_url(), {"open": "lifestyle"})
    clinician_client.get(f"/workups/{workup.pk}/history/")
    assert sorted(reads()) == sorted(
        [
            ("workup_page", "alice", workup.pk),
            ("workup_page", "alice", workup.pk),
            ("workup_history", "alice", workup.pk),
        ]
    )


@pytest.mark.django_db
def test_the_summary_and_the_patient_sheet_are_recorded_once(coordinator_client, workup):
    coordinator_client.get(f"/workups/{workup.pk}/summary/")
    coordinator_client.get(f"/workups/{workup.pk}/handout/")
    assert sorted(reads()) == [
        ("handout", "carol", workup.pk),
        ("summary_print", "carol", workup.pk),
    ]


@pytest.mark.django_db
def test_an_api_read_is_recorded_with_its_token_or_session(clinician, workup):
    _, raw = ApiToken.issue(user=clinician, name="lab")
    response = Client().get(f"/api/workups/{workup.pk}", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    record = DownloadRecord.objects.get()
    assert (record.kind, record.username, record.workup_id) == ("api_workup", "alice", workup.pk)
    assert record.detail == {"via": "API token"}


@pytest.mark.django_db
def test_refusals_and_misses_are_not_recorded_as_reads(clinician, workup):
    Client().get(workup.get_absolute_url())  # anonymous: sign-in page
    stranger = Client()
    stranger.force_login(make_user("sam"))
    assert stranger.get(workup.get_absolute_url()).status_code == 403  # no role
    clinician_client = signed_in(clinician)
    assert clinician_client.get("/workups/99999/").status_code == 404
    Client().get(f"/api/workups/{workup.pk}")  # 401
    assert reads() == []


@pytest.mark.django_db
def test_the_lead_sees_reads_filters_them_and_exports_them(lead, clinician, coordinator, workup):
    signed_in(clinician).get(workup.get_absolute_url())
    signed_in(coordinator).get(workup.get_absolute_url())
    lead_client = signed_in(lead)
    page = lead_client.get("/audit/downloads/", {"kind": "workup_page", "mrn": "READ-1"})
    html = page.content.decode()
    assert "Work-up page (read)" in html and "Alice Test" in html and "Carol Test" in html
    by_carol = lead_client.get("/audit/downloads/", {"kind": "workup_page", "user": coordinator.pk})
    assert [r.who for r in by_carol.context["page"]] == ["carol"]
    exported = lead_client.get("/audit/downloads.csv", {"kind": "workup_page"})
    text = b"".join(exported.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted((r["who"], r["name"], r["what"], r["MRN"]) for r in rows) == [
        ("alice", "Alice Test", "Work-up page (read)", "READ-1"),
        ("carol", "Carol Test", "Work-up page (read)", "READ-1"),
    ]


@pytest.mark.django_db
def test_the_patient_page_is_recorded_and_found_by_mrn(clinician_client, lead, workup):
    patient = workup.patient
    assert clinician_client.get(f"/patients/{patient.pk}/").status_code == 200
    record = DownloadRecord.objects.get()
    assert (record.kind, record.username, record.patient_id, record.workup_id) == (
        "patient_page",
        "alice",
        patient.pk,
        None,
    )
    assert clinician_client.get("/patients/99999/").status_code == 404
    assert DownloadRecord.objects.count() == 1
    lead_client = signed_in(lead)
    page = lead_client.get("/audit/downloads/", {"mrn": "READ-1"})
    assert [r.pk for r in page.context["page"]] == [record.pk]
    assert "Patient page (read)" in page.content.decode()
    exported = lead_client.get("/audit/downloads.csv", {"mrn": "READ-1"})
    text = b"".join(exported.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["who"], r["what"], r["MRN"]) for r in rows] == [
        ("alice", "Patient page (read)", "READ-1")
    ]


@pytest.mark.django_db
def test_a_cds_patient_view_answered_from_a_stored_work_up_is_a_read(workup, lead):
    """The EMR's account read the work-up's label and next steps: recorded under the token's
    user, with the work-up, the hook and the EMR's user."""
    from tests.guardrail.conftest import call, patient_resource, patient_view_request

    emr = make_user("emr", "clinician")
    _, key = ApiToken.issue(user=emr, name="EMR CDS Hooks")
    body = patient_view_request(patient=patient_resource(mrn="READ-1"))
    response = call(Client(), "/cds-services/rif-patient-view", body, key)
    assert response.status_code == 200
    assert "RIF Work-up" in response.json()["cards"][0]["summary"]
    record = DownloadRecord.objects.get()
    assert (record.kind, record.username, record.workup_id) == ("cds_hooks", "emr", workup.pk)
    assert record.detail == {
        "via": "API token",
        "hook": "patient-view",
        "EMR user": "Practitioner/alice",
    }
    page = signed_in(lead).get("/audit/downloads/", {"mrn": "READ-1"}).content.decode()
    assert "CDS Hooks" in page and "Practitioner/alice" in page
    # From the EMR's data alone (no match here): nothing of ours was read.
    other = patient_view_request(patient=patient_resource(mrn="NOT-OURS"))
    assert call(Client(), "/cds-services/rif-patient-view", other, key).status_code == 200
    assert DownloadRecord.objects.count() == 1
