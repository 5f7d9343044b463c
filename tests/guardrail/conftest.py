"""Helpers for the guardrail tests: API tokens, and CDS Hooks requests shaped as in the spec."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.conftest import make_user
from workup.accounts.models import ApiToken


@pytest.fixture
def emr(loaded_catalogue):
    """The EMR's account: a clinician-role user and its API token."""
    user = make_user("emr", "clinician")
    _, key = ApiToken.issue(user=user, name="EMR CDS Hooks")
    return user, key


def call(client, url, body, key, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(url, raw, content_type="application/json", **headers, **extra)


def medication_request(ident, text, *, coding=None, status="draft"):
    concept = {"text": text}
    if coding:
        concept["coding"] = [coding]
    return {
        "resourceType": "MedicationRequest",
        "id": ident,
        "status": status,
        "intent": "proposal",
        "medicationCodeableConcept": concept,
        "subject": {"reference": "Patient/example"},
    }


def service_request(ident, text):
    return {
        "resourceType": "ServiceRequest",
        "id": ident,
        "status": "draft",
        "intent": "proposal",
        "code": {"text": text},
        "subject": {"reference": "Patient/example"},
    }


# The clinic's MRN system as configured (settings.INTEROP_MRN_SYSTEM), and HL7's identifier types.
MRN_SYSTEM = "urn:rif-workup:mrn"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"


def mrn_identifier(value, system=MRN_SYSTEM):
    """A Patient.identifier as FHIR's Patient example has its MRN (type MR, usual)."""
    return {
        "use": "usual",
        "type": {"coding": [{"system": V2_0203, "code": "MR"}]},
        "system": system,
        "value": value,
        "assigner": {"display": "Demo Fertility Clinic"},
    }


def member_identifier(value, system="http://insurer.example.org/member-id"):
    """An insurer's member number (v2-0203 MB), as an EMR sends it beside the MRN."""
    return {
        "use": "secondary",
        "type": {"coding": [{"system": V2_0203, "code": "MB", "display": "Member Number"}]},
        "system": system,
        "value": value,
        "assigner": {"display": "Example Health Insurance"},
    }


def patient_resource(mrn=None, birth_date="1988-05-01", identifiers=None):
    resource = {"resourceType": "Patient", "id": "example", "gender": "female", "active": True}
    if birth_date:
        resource["birthDate"] = birth_date
    if identifiers is not None:
        resource["identifier"] = identifiers
    elif mrn:
        resource["identifier"] = [mrn_identifier(mrn)]
    return resource


def observation(code, value, *, system="urn:rif-workup:fact", when="2026-11-01T10:00:00Z"):
    resource = {
        "resourceType": "Observation",
        "id": f"obs-{code}",
        "status": "final",
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": "Patient/example"},
        "effectiveDateTime": when,
    }
    if isinstance(value, str):
        resource["valueCodeableConcept"] = {"coding": [{"system": system, "code": value}]}
    elif isinstance(value, int):
        resource["valueInteger"] = value
    else:
        resource["valueQuantity"] = {"value": value}
    return resource


def bundle(resources):
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def order_request(
    hook, orders, *, selections=None, patient=None, observations=None, user_id="Practitioner/alice"
):
    """A request as in the specification's order-select / order-sign examples."""
    context = {
        "userId": user_id,
        "patientId": "example",
        "encounterId": "enc-1",
        "draftOrders": bundle(orders),
    }
    if hook == "order-select":
        context["selections"] = selections or [f"{o['resourceType']}/{o['id']}" for o in orders]
    body = {
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": "https://ehr.example.org/fhir",
        "hook": hook,
        "context": context,
        "prefetch": {"patient": patient if patient is not None else patient_resource()},
    }
    if observations is not None:
        body["prefetch"]["observations"] = bundle(observations)
    return body


def patient_view_request(*, patient=None, observations=None):
    body = {
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": "https://ehr.example.org/fhir",
        "hook": "patient-view",
        "context": {"userId": "Practitioner/alice", "patientId": "example"},
        "prefetch": {"patient": patient if patient is not None else patient_resource()},
    }
    if observations is not None:
        body["prefetch"]["observations"] = bundle(observations)
    return body
