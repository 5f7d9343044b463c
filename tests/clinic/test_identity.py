"""Names and MRNs refuse characters that make text read other than it is stored."""

import json

import pytest
from django.urls import reverse

from workup.clinic.models import Patient

BAD = {
    "right-to-left override": "XN\u202egnp.exe",
    "zero-width space": "Ada\u200bExample",
    "control character": "Ada\x07Example",
    "bidirectional isolate": "Ada \u2067Example",
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", BAD)
def test_the_patient_form_refuses_hidden_characters_in_the_name(clinician_client, kind):
    response = clinician_client.post(
        reverse("clinic:patient_create"),
        {"mrn": "SYN-7001", "name": BAD[kind], "birth_date": "1989-06-15"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "name" in errors and "Full name" in errors["name"][0]
    assert "U+" in errors["name"][0]
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_the_patient_form_refuses_hidden_characters_in_the_mrn(clinician_client):
    response = clinician_client.post(
        reverse("clinic:patient_create"),
        {"mrn": "SYN-\u200b7001", "name": "Ada Example", "birth_date": "1989-06-15"},
    )
    assert response.status_code == 200
    assert "MRN" in response.context["form"].errors["mrn"][0]
    assert "U+200B" in response.context["form"].errors["mrn"][0]
    assert not Patient.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", BAD)
def test_the_api_refuses_hidden_characters_in_the_name(clinician_client, kind):
    body = {
        "patient": {"mrn": "SYN-7002", "name": BAD[kind], "birth_date": "1989-06-15"},
        "facts": {"failed_transfers": 3},
    }
    response = clinician_client.post(
        "/api/workups", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "U+" in errors["patient.name"][0] and "name" in errors["patient.name"][0]
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_the_api_refuses_hidden_characters_in_the_mrn(clinician_client):
    body = {
        "patient": {"mrn": "SYN\u202e-7003", "name": "Ada Example", "birth_date": "1989-06-15"},
        "facts": {"failed_transfers": 3},
    }
    response = clinician_client.post(
        "/api/workups", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert "U+202E" in response.json()["errors"]["patient.mrn"][0]


@pytest.mark.django_db
def test_accented_and_non_latin_names_are_kept(clinician_client):
    response = clinician_client.post(
        reverse("clinic:patient_create"),
        {"mrn": "SYN-7004", "name": "Zoë Ngọc-Ánh محمد", "birth_date": "1989-06-15"},
    )
    assert response.status_code == 302
    assert Patient.objects.get(mrn="SYN-7004").name == "Zoë Ngọc-Ánh محمد"
