"""Which stored work-up a CDS Hooks call is about: only an identifier in the clinic's MRN
system (``settings.INTEROP_MRN_SYSTEM``; or typed MR with no system, as lab results are read)
names one of our patients, and a birth date the Patient carries must be theirs too.

The requests are written from the CDS Hooks 2.0 specification's examples (the patient-view
request with ``fhirServer``, ``fhirAuthorization``, ``context.encounterId`` and its prefetch), the
Patient from FHIR R4's Patient example (identifier with ``use``, ``type``, ``system``,
``assigner``), beside an insurer's member number (v2-0203 ``MB``)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import make_patient, make_workup
from tests.guardrail.conftest import (
    MRN_SYSTEM,
    call,
    medication_request,
    member_identifier,
    mrn_identifier,
    observation,
    order_request,
    patient_resource,
)
from workup.guardrail.models import CdsCard

SIGN = "/cds-services/rif-addon-order-sign"
VIEW = "/cds-services/rif-patient-view"
NOT_MATCHED = "**Not matched to a RIF Work-up record:**"

pytestmark = pytest.mark.django_db


def spec_patient_view(patient, observations=()):
    """The specification's patient-view example, with our prefetch keys."""
    return {
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "fhirServer": "https://ehr.example.org/fhir",
        "hook": "patient-view",
        "fhirAuthorization": {
            "access_token": "some-opaque-fhir-access-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/Patient.read user/Observation.read",
            "subject": "cds-service4",
        },
        "context": {
            "userId": "Practitioner/example",
            "patientId": "1288992",
            "encounterId": "89284",
        },
        "prefetch": {
            "patient": patient,
            "observations": {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [{"resource": o} for o in observations],
            },
        },
    }


@pytest.fixture
def rif_patient(clinician):
    """Our patient MRN CDS-77, born 1 May 1988, labelled RIF with a polyp found."""
    patient = make_patient(mrn="CDS-77", birth_date=date(1988, 5, 1))
    facts = {"age": 36, "failed_transfers": 3, "hysteroscopy": {"done": True, "polyp": True}}
    return make_workup(clinician=clinician, patient=patient, facts=facts)


def linked(cards, workup) -> bool:
    url = f"/workups/{workup.pk}/"
    return any(link["url"].endswith(url) for c in cards for link in c.get("links", ()))


def test_an_insurer_member_number_equal_to_our_mrn_is_not_our_patient(client, emr, rif_patient):
    """Another person whose insurer member number happens to be CDS-77: the EMR's own data,
    never our patient's label and next steps."""
    other = patient_resource(
        birth_date="1990-01-15",
        identifiers=[mrn_identifier("EMR-5521", system="urn:oid:1.2.36.146.595.217.0.1")]
        + [member_identifier("CDS-77")],
    )
    body = spec_patient_view(other, [observation("failed_transfers", 1)])
    response = call(client, VIEW, body, emr[1])
    assert response.status_code == 200
    cards = response.json()["cards"]
    assert cards[0]["summary"].startswith("RIF Work-up: Too early to label RIF")
    assert not linked(cards, rif_patient)
    assert not CdsCard.objects.filter(workup=rif_patient).exists()
    assert set(CdsCard.objects.values_list("mrn", flat=True)) == {""}


def test_a_heparin_order_for_a_member_number_match_is_not_silenced_by_our_patients_aps(
    client, emr, clinician
):
    patient = make_patient(mrn="CDS-APS-9", birth_date=date(1986, 3, 2))
    make_workup(
        clinician=clinician,
        patient=patient,
        facts={"age": 38, "failed_transfers": 3, "aps": "confirmed", "miscarriages": 3},
    )
    other = patient_resource(birth_date="1991-07-30", identifiers=[member_identifier("CDS-APS-9")])
    body = order_request(
        "order-sign", [medication_request("m1", "Enoxaparin 40 mg")], patient=other
    )
    cards = call(client, SIGN, body, emr[1]).json()["cards"]
    assert len(cards) == 1 and cards[0]["indicator"] == "warning"
    assert "heparin" in cards[0]["summary"].lower()
    assert "links" not in cards[0]


@pytest.mark.parametrize(
    "identifiers",
    [
        pytest.param([member_identifier("X-1"), mrn_identifier("CDS-77")], id="MRN system"),
        pytest.param(
            [{"type": mrn_identifier("")["type"], "value": "CDS-77"}], id="typed MR, no system"
        ),
    ],
)
def test_our_mrn_with_the_same_birth_date_opens_the_stored_work_up(
    client, emr, rif_patient, identifiers
):
    body = spec_patient_view(patient_resource(birth_date="1988-05-01", identifiers=identifiers))
    cards = call(client, VIEW, body, emr[1]).json()["cards"]
    assert cards[0]["summary"].startswith("RIF Work-up: RIF")
    assert linked(cards, rif_patient)
    assert not any(NOT_MATCHED in c["detail"] for c in cards)


def test_our_mrn_without_a_birth_date_in_the_patient_is_matched_by_the_mrn(
    client, emr, rif_patient
):
    body = spec_patient_view(patient_resource(birth_date=None, mrn="CDS-77"))
    cards = call(client, VIEW, body, emr[1]).json()["cards"]
    assert linked(cards, rif_patient)


def test_our_mrn_with_another_birth_date_is_not_matched_and_the_card_says_so(
    client, emr, rif_patient
):
    """Same MRN, different birth date: one of the two systems has the wrong person. The
    stored record is not used; the answer is from the EMR's data, and the card says why."""
    body = spec_patient_view(
        patient_resource(birth_date="1990-01-15", mrn="CDS-77"),
        [observation("failed_transfers", 1)],
    )
    response = call(client, VIEW, body, emr[1])
    assert response.status_code == 200
    cards = response.json()["cards"]
    assert cards[0]["summary"].startswith("RIF Work-up: Too early to label RIF")
    assert not linked(cards, rif_patient)
    assert NOT_MATCHED in cards[0]["detail"]
    assert "birth date" in cards[0]["detail"] and "1988" not in cards[0]["detail"]
    assert not CdsCard.objects.filter(workup=rif_patient).exists()
    # Order cards say it too, and a heparin order is judged on the EMR's data alone.
    body = order_request(
        "order-sign",
        [medication_request("m1", "Intralipid 20%")],
        patient=patient_resource(birth_date="1990-01-15", mrn="CDS-77"),
    )
    cards = call(client, SIGN, body, emr[1]).json()["cards"]
    assert len(cards) == 1 and NOT_MATCHED in cards[0]["detail"]


def test_the_mrn_system_is_the_configured_one(client, emr, rif_patient, settings):
    settings.INTEROP_MRN_SYSTEM = "https://clinic.example.org/mrn"
    theirs = patient_resource(mrn="CDS-77")  # in urn:rif-workup:mrn, no longer ours
    cards = call(client, VIEW, spec_patient_view(theirs), emr[1]).json()["cards"]
    assert not linked(cards, rif_patient)
    ours = patient_resource(
        identifiers=[mrn_identifier("CDS-77", system="https://clinic.example.org/mrn")]
    )
    cards = call(client, VIEW, spec_patient_view(ours), emr[1]).json()["cards"]
    assert linked(cards, rif_patient)
    assert MRN_SYSTEM != settings.INTEROP_MRN_SYSTEM
