"""A clinician accepts or rejects each incoming result; accepting goes through the findings
form's validation and the clinic's service, and closes the step the result answers."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_patient, make_workup, sign_as_seen
from workup.clinic.models import ChecklistStep, Findings, WorkUp
from workup.evidence import store
from workup.interop.models import IncomingResult


def post_results(lab, mrn, *observations):
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": o} for o in observations],
    }
    response = lab.fhir(bundle)
    assert response.status_code == 200, response.content
    return response


def obs(code, *, mrn, quantity=None, flag=None, when="2026-11-30"):
    out = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "subject": {"identifier": {"system": "urn:rif-workup:mrn", "value": mrn}},
        "effectiveDateTime": when,
    }
    if quantity:
        out["valueQuantity"] = dict(zip(("value", "unit"), quantity, strict=True))
    if flag:
        out["interpretation"] = [{"coding": [{"code": flag}]}]
    return out


@pytest.fixture
def workup(clinician, codes):
    patient = make_patient(mrn="ADJ-0001")
    return make_workup(
        clinician=clinician, patient=patient, facts={"age": 37, "failed_transfers": 3}
    )


def accept(client, result, **extra):
    return client.post(
        reverse("interop:accept_result", args=[result.workup_id, result.pk]),
        {"version": result.version, **extra},
    )


def page_messages(client, response):
    return response.status_code, client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_accepting_amh_records_it_as_the_form_would_and_closes_the_step(
    lab, workup, clinician, clinician_client
):
    post_results(lab, "ADJ-0001", obs("38476-8", mrn="ADJ-0001", quantity=(21.4, "pmol/L")))
    result = IncomingResult.objects.get()
    assert ChecklistStep.objects.get(workup=workup, code="ovarian_reserve").is_open
    response = accept(clinician_client, result)
    assert response.status_code == 302 and response["Location"].endswith("#incoming-results")
    findings = Findings.objects.get(workup=workup)
    assert findings.amh_ng_ml == pytest.approx(21.4 / 7.14) and findings.amh_unit == "pmol/L"
    assert findings.history.latest().history_user == clinician
    result.refresh_from_db()
    assert result.status == "accepted" and result.decided_by == clinician
    # AMH alone does not close ovarian reserve (AFC is still missing); TSH + TPO close thyroid.
    post_results(
        lab,
        "ADJ-0001",
        obs("3016-3", mrn="ADJ-0001", quantity=(2.1, "mIU/L")),
        obs("8099-4", mrn="ADJ-0001", flag="NEG"),
    )
    for row in IncomingResult.objects.filter(status="waiting"):
        accept(clinician_client, row)
    findings.refresh_from_db()
    assert (findings.tsh, findings.tpo_positive) == (2.1, False)
    assert ChecklistStep.objects.get(workup=workup, code="thyroid").status == "done"


@pytest.mark.django_db
def test_a_refused_value_says_why_and_nothing_is_recorded(lab, workup, clinician_client):
    post_results(lab, "ADJ-0001", obs("3016-3", mrn="ADJ-0001", quantity=(900, "mIU/L")))
    result = IncomingResult.objects.get()
    status, html = page_messages(clinician_client, accept(clinician_client, result))
    assert "TSH not recorded" in html
    assert Findings.objects.get(workup=workup).tsh is None
    result.refresh_from_db()
    assert result.is_waiting  # still there: the clinician may reject it with a reason


@pytest.mark.django_db
def test_rejecting_needs_a_reason_and_records_nothing(lab, workup, clinician, clinician_client):
    post_results(lab, "ADJ-0001", obs("3016-3", mrn="ADJ-0001", quantity=(2.0, "mIU/L")))
    result = IncomingResult.objects.get()
    url = reverse("interop:reject_result", args=[workup.pk, result.pk])
    _, html = page_messages(clinician_client, clinician_client.post(url, {"version": 1}))
    assert "Give the reason for rejecting" in html
    clinician_client.post(url, {"version": 1, "reason": "Haemolysed sample"})
    result.refresh_from_db()
    assert result.status == "rejected" and result.reject_reason == "Haemolysed sample"
    assert Findings.objects.get(workup=workup).tsh is None
    # A second decision on the same result changes nothing.
    _, html = page_messages(clinician_client, accept(clinician_client, result))
    assert "already rejected" in html
    assert Findings.objects.get(workup=workup).tsh is None


@pytest.mark.django_db
def test_a_signed_work_up_takes_a_result_as_an_addendum(lab, workup, clinician, clinician_client):
    sign_as_seen(workup, clinician)
    post_results(lab, "ADJ-0001", obs("3016-3", mrn="ADJ-0001", quantity=(2.0, "mIU/L")))
    result = IncomingResult.objects.get()
    _, html = page_messages(clinician_client, accept(clinician_client, result))
    assert "give the reason for the addendum" in html
    accept(clinician_client, result, addendum_reason="TSH arrived after the consultation")
    workup.refresh_from_db()
    assert workup.findings.tsh == 2.0
    addendum = workup.addenda.get()
    assert addendum.reason == "TSH arrived after the consultation" and "TSH" in addendum.changes
    # The signed answer is kept as it was.
    assert workup.signed_assessment is not None


@pytest.mark.django_db
def test_antiphospholipid_results_feed_the_antiphospholipid_finding(lab, workup, clinician_client):
    post_results(lab, "ADJ-0001", obs("8065-5", mrn="ADJ-0001", flag="POS", when="2026-08-01"))
    accept(clinician_client, IncomingResult.objects.get())
    findings = Findings.objects.get(workup=workup)
    assert findings.aps == "single_positive" and str(findings.aps_first_test_date) == "2026-08-01"
    post_results(lab, "ADJ-0001", obs("44448-9", mrn="ADJ-0001", flag="NEG"))
    _, html = page_messages(
        clinician_client, accept(clinician_client, IncomingResult.objects.get(status="waiting"))
    )
    assert "does not undo it" in html
    assert Findings.objects.get(workup=workup).aps == "single_positive"


@pytest.mark.django_db
def test_the_page_lists_waiting_results_and_the_queue_counts_them(
    lab, workup, clinician_client, coordinator
):
    coordinator_client = Client()
    coordinator_client.force_login(coordinator)
    post_results(
        lab,
        "ADJ-0001",
        obs("3016-3", mrn="ADJ-0001", quantity=(2.0, "mIU/L")),
        obs("38476-8", mrn="ADJ-0001", quantity=(1.5, "ng/mL")),
    )
    html = clinician_client.get(workup.get_absolute_url()).content.decode()
    assert "2 waiting for a clinician" in html and ">Accept</button>" in html
    seen_by_coordinator = coordinator_client.get(workup.get_absolute_url()).content.decode()
    assert "2 waiting for a clinician" in seen_by_coordinator
    assert ">Accept</button>" not in seen_by_coordinator
    queue = coordinator_client.get(reverse("coordination:queue")).content.decode()
    assert "2 lab results waiting for a clinician" in queue and "ADJ-0001 (2)" in queue


@pytest.mark.django_db
def test_round_trip_export_post_back_accept_same_engine_answer(
    lab, clinician, clinician_client, codes
):
    """A work-up exported as FHIR, its lab observations posted into a fresh work-up of the same
    patient and accepted there, gives the same engine answer."""
    from workup.clinic.assessment import assess_workup

    patient = make_patient(mrn="ROUND-0001")
    history = {"age": 37, "failed_transfers": 3, "euploid_failed_transfers": 1}
    original = make_workup(
        clinician=clinician,
        patient=patient,
        facts={
            **history,
            "amh": {"value": 9.345, "unit": "pmol/L"},
            "tsh": 3.2,
            "tpo_positive": True,
        },
    )
    exported = json.loads(
        clinician_client.get(reverse("api_workup_fhir", args=[original.pk])).content
    )
    fresh = make_workup(clinician=clinician, patient=patient, facts=history)
    lab_observations = [
        e
        for e in exported["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and any(c["system"] == "http://loinc.org" for c in e["resource"]["code"].get("coding", []))
    ]
    assert len(lab_observations) == 3
    response = lab.fhir({"resourceType": "Bundle", "type": "collection", "entry": lab_observations})
    assert response.status_code == 200, response.content
    waiting = IncomingResult.objects.filter(workup=fresh, status="waiting")
    assert waiting.count() == 3
    for result in waiting:
        assert accept(clinician_client, result).status_code == 302
    assert not IncomingResult.objects.filter(status="waiting").exists()
    catalogue = store.get_catalogue()
    facts_a, answer_a = assess_workup(WorkUp.objects.get(pk=original.pk), catalogue)
    facts_b, answer_b = assess_workup(WorkUp.objects.get(pk=fresh.pk), catalogue)
    assert facts_b.amh.ng_ml == pytest.approx(facts_a.amh.ng_ml, abs=1e-3)
    assert answer_b == answer_a


@pytest.mark.django_db
def test_a_decision_on_a_stale_page_is_refused_and_changes_nothing(lab, workup, clinician_client):
    post_results(lab, "ADJ-0001", obs("3016-3", mrn="ADJ-0001", quantity=(2.0, "mIU/L")))
    result = IncomingResult.objects.get()
    IncomingResult.objects.filter(pk=result.pk).update(version=2)  # someone else touched it
    _, html = page_messages(clinician_client, accept(clinician_client, result))
    assert "changed while you were reading" in html
    assert Findings.objects.get(workup=workup).tsh is None
    assert IncomingResult.objects.get().is_waiting


@pytest.mark.django_db
def test_the_lab_interface_sees_no_page_and_no_result(lab_user, workup):
    client = Client()
    client.force_login(lab_user)
    assert client.get(workup.get_absolute_url()).status_code == 403
    assert client.get(reverse("api_workup_fhir", args=[workup.pk])).status_code == 403
