"""POST /api/workups and GET /api/workups/<id>: stored facts, same answer, nothing on error."""

import json

import pytest

from tests.evidence.test_facts import EXAMPLE
from workup.clinic.models import AddonRequest, ChecklistStep, Patient, WorkUp

PATIENT = {"mrn": "SYN-0001", "name": "Ada Synthetic", "birth_date": "1988-03-14"}


def post(client, body):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post("/api/workups", data=data, content_type="application/json")


def assess(client, facts):
    return client.post("/api/assess", data=json.dumps(facts), content_type="application/json")


@pytest.mark.django_db
def test_it_creates_a_work_up_and_answers_201(clinician_client, clinician):
    response = post(clinician_client, {"patient": PATIENT, "facts": {**EXAMPLE, "age": 38}})
    assert response.status_code == 201, response.content
    body = response.json()
    workup = WorkUp.objects.get(pk=body["id"])
    assert body["url"] == f"/workups/{workup.pk}/"
    assert response["Location"] == body["url"]
    assert workup.patient.mrn == "SYN-0001"
    assert workup.clinician == clinician
    assert workup.age_years == 38
    assert set(AddonRequest.objects.filter(workup=workup).values_list("addon_code", flat=True)) == {
        "intralipids",
        "ivig",
    }
    assert workup.steps.filter(kind="investigation").count() == 13


@pytest.mark.django_db
def test_the_stored_work_up_gives_the_same_answer_as_the_engine(clinician_client):
    facts = {**EXAMPLE, "age": 38}
    created = post(clinician_client, {"patient": PATIENT, "facts": facts}).json()
    stored = clinician_client.get(f"/api/workups/{created['id']}").json()
    assert stored["facts"] == json.loads(json.dumps(facts_without_nulls(facts)))
    assert stored["assessment"] == assess(clinician_client, facts).json()
    assert stored["patient"] == {**PATIENT, "language": "en"}


@pytest.mark.django_db
def test_the_patients_language_is_taken_and_returned(clinician_client):
    created = post(
        clinician_client, {"patient": {**PATIENT, "language": "tr"}, "facts": {"age": 38}}
    ).json()
    assert Patient.objects.get(mrn="SYN-0001").language == "tr"
    assert (
        clinician_client.get(f"/api/workups/{created['id']}").json()["patient"]["language"] == "tr"
    )
    # A later work-up for the same MRN with another language records the newer preference.
    post(clinician_client, {"patient": {**PATIENT, "language": "fr"}, "facts": {"age": 38}})
    assert Patient.objects.get(mrn="SYN-0001").language == "fr"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["de", "FR", "", 3, None])
def test_a_language_the_app_does_not_speak_is_refused_naming_the_field(clinician_client, language):
    body = {"patient": {**PATIENT, "language": language}, "facts": {"age": 38}}
    response = post(clinician_client, body)
    if language is None:  # null means "not given": English
        assert response.status_code == 201
        return
    assert response.status_code == 400
    assert "en, fr, tr" in response.json()["errors"]["patient.language"][0]
    assert not Patient.objects.exists()


def facts_without_nulls(facts):
    out = {}
    for key, value in facts.items():
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if v is not None}
        if value is not None:
            out[key] = value
    return out


@pytest.mark.django_db
def test_age_comes_from_the_birth_date_when_not_given(clinician_client):
    body = {"patient": PATIENT, "facts": {"failed_transfers": 3}, "date": "2026-01-10"}
    created = post(clinician_client, body).json()
    assert WorkUp.objects.get(pk=created["id"]).age_years == 37


@pytest.mark.django_db
def test_the_patient_is_matched_by_mrn(clinician_client):
    post(clinician_client, {"patient": PATIENT, "facts": {"age": 38}})
    post(clinician_client, {"patient": {**PATIENT, "name": "SYNTHETIC, Ada"}, "facts": {"age": 38}})
    assert Patient.objects.count() == 1
    assert WorkUp.objects.count() == 2
    assert Patient.objects.get().name == "Ada Synthetic"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, path",
    [
        ({"patient": PATIENT, "facts": {"age": 38, "afc": "many"}}, "facts.afc"),
        (
            {"patient": PATIENT, "facts": {"age": 38, "addons_requested": ["nope"]}},
            "facts.addons_requested.0",
        ),
        ({"patient": PATIENT, "facts": {"age": 50}}, "facts.age"),  # contradicts the birth date
        ({"patient": {**PATIENT, "mrn": ""}, "facts": {"age": 38}}, "patient.mrn"),
        ({"patient": {**PATIENT, "mrn": "bad mrn!"}, "facts": {"age": 38}}, "patient.mrn"),
        ({"patient": {**PATIENT, "birth_date": "14/03/1988"}, "facts": {}}, "patient.birth_date"),
        ({"patient": {**PATIENT, "birth_date": "2099-01-01"}, "facts": {}}, "patient.birth_date"),
        ({"patient": {**PATIENT, "nhs": "1"}, "facts": {"age": 38}}, "patient.nhs"),
        ({"facts": {"age": 38}}, "patient"),
        ({"patient": PATIENT, "facts": [1]}, "facts"),
        ({"patient": PATIENT, "facts": {"age": 38}, "extra": 1}, "extra"),
        ({"patient": PATIENT, "facts": {"age": 38}, "date": "2999-01-01"}, "date"),
    ],
)
def test_bad_input_answers_400_and_stores_nothing(clinician_client, body, path):
    response = post(clinician_client, body)
    assert response.status_code == 400
    assert path in response.json()["errors"], response.json()
    assert not Patient.objects.exists()
    assert not WorkUp.objects.exists()
    assert not ChecklistStep.objects.exists()


@pytest.mark.django_db
def test_an_mrn_on_record_with_another_birth_date_is_refused(clinician_client):
    post(clinician_client, {"patient": PATIENT, "facts": {"age": 38}})
    response = post(
        clinician_client, {"patient": {**PATIENT, "birth_date": "1990-01-01"}, "facts": {"age": 36}}
    )
    assert response.status_code == 400
    assert "patient.birth_date" in response.json()["errors"]
    assert WorkUp.objects.count() == 1


@pytest.mark.django_db
def test_malformed_json_is_400(clinician_client):
    response = post(clinician_client, b"{oops")
    assert response.status_code == 400 and "json" in response.json()["errors"]


@pytest.mark.django_db
def test_a_coordinator_cannot_create_work_ups(coordinator_client):
    assert post(coordinator_client, {"patient": PATIENT, "facts": {"age": 38}}).status_code == 403
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_reading_a_work_up(clinician_client, coordinator, client):
    created = post(clinician_client, {"patient": PATIENT, "facts": {"age": 38}}).json()
    client.force_login(coordinator)
    assert client.get(f"/api/workups/{created['id']}").status_code == 200
    assert client.get("/api/workups/999999").status_code == 404
    client.logout()
    assert client.get(f"/api/workups/{created['id']}").status_code == 401
