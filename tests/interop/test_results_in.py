"""Lab results in: HL7 v2 ORU^R01 (messages written from the v2.5.1 specification) and FHIR.

Every refusal answers in the sender's language, stores nothing and logs no patient data.
"""

from __future__ import annotations

import json
import logging

import pytest

from tests.factories import make_patient, make_workup
from workup.interop.models import Coding, IncomingResult, LabCodeMapping

SEP = "\r"


def oru(*segments, control="MSG0001", facility="CITYLAB", version="2.5.1"):
    msh = (
        f"MSH|^~\\&|CITYLIS|{facility}|RIFWORKUP|CLINIC|20261201101500||ORU^R01^ORU_R01|"
        f"{control}|P|{version}"
    )
    return SEP.join([msh, *segments]) + SEP


def pid(mrn):
    return f"PID|1||{mrn}^^^CLINIC^MR~99887766^^^NHS^NH||Example^Jane||19880501|F"


OBR = "OBR|1|ORD-1|LAB-778|ENDO^Endocrine panel^L|||20261130083000"


def segments_of(ack):
    return [s.split("|") for s in ack.strip("\r").split("\r")]


@pytest.fixture
def patient_workup(clinician, codes):
    patient = make_patient(mrn="LAB-0001", name="Jane Example")
    workup = make_workup(
        clinician=clinician, patient=patient, facts={"age": 37, "failed_transfers": 3}
    )
    return patient, workup


@pytest.fixture
def amh_mapping(codes):
    return LabCodeMapping.objects.create(
        sender="CITYLAB",
        local_code="AMHP",
        local_name="Anti-Mullerian hormone",
        coding=Coding.objects.get(key="loinc-amh"),
    )


@pytest.mark.django_db
def test_an_oru_with_local_codes_and_pmol_per_litre_waits_for_a_clinician(
    lab, patient_workup, amh_mapping, caplog
):
    _, workup = patient_workup
    message = oru(
        pid("LAB-0001"),
        OBR,
        "OBX|1|NM|AMHP^Anti-Mullerian hormone^L||21.4|pmol/L^picomole per litre^UCUM|||||F|||"
        "20261130083000",
        "OBX|2|NM|3016-3^TSH^LN||2.1|mIU/L|0.4-4.0|N|||F",
        "OBX|3|NM|TPOAB^Thyroid peroxidase Ab^L^8099-4^TPO Ab^LN||220|IU/mL|<35|H|||F",
    )
    with caplog.at_level(logging.INFO):
        response = lab.hl7(message)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/hl7-v2")
    msh, msa = segments_of(response.content.decode())[:2]
    assert msh[8] == "ACK^R01^ACK" and msh[4] == "CITYLIS" and msh[5] == "CITYLAB"
    assert msa[1:3] == ["AA", "MSG0001"]
    results = {r.coding.key: r for r in IncomingResult.objects.filter(workup=workup)}
    assert set(results) == {"loinc-amh", "loinc-tsh", "loinc-tpo"}
    amh = results["loinc-amh"]
    assert (amh.value_sent, amh.unit_sent, amh.unit) == ("21.4", "pmol/L", "ng/mL")
    assert amh.number == pytest.approx(21.4 / 7.14)
    assert amh.local_code == "AMHP" and str(amh.observed_on) == "2026-11-30"
    assert results["loinc-tpo"].positive is True
    assert all(r.is_waiting for r in results.values())
    # Nothing reached the findings yet.
    workup.findings.refresh_from_db()
    assert workup.findings.amh_ng_ml is None and workup.findings.tsh is None
    assert "LAB-0001" not in caplog.text and "Jane" not in caplog.text
    # The same message again (a bridge's retry) is acknowledged and not stored twice.
    again = lab.hl7(message)
    assert segments_of(again.content.decode())[1][1] == "AA"
    assert IncomingResult.objects.filter(workup=workup).count() == 3


@pytest.mark.django_db
def test_a_result_for_an_unknown_patient_is_refused_with_ae_and_stored_nowhere(
    lab, patient_workup, caplog
):
    message = oru(pid("NOBODY-42"), OBR, "OBX|1|NM|3016-3^TSH^LN||2.1|mIU/L|||||F")
    with caplog.at_level(logging.INFO):
        response = lab.hl7(message)
    assert response.status_code == 422
    segs = segments_of(response.content.decode())
    assert segs[1][1] == "AE"
    err = next(s for s in segs if s[0] == "ERR")
    assert err[2] == "OBX^1" and err[3].startswith("204^") and err[4] == "E"
    assert "No patient with this MRN" in err[8]
    assert IncomingResult.objects.count() == 0
    assert "NOBODY-42" not in caplog.text and "NOBODY-42" not in response.content.decode()


@pytest.mark.django_db
def test_an_unknown_local_code_is_refused_naming_it(lab, patient_workup):
    message = oru(pid("LAB-0001"), OBR, "OBX|1|NM|XYZ9^Mystery^L||5|mg/L|||||F")
    response = lab.hl7(message)
    err = next(s for s in segments_of(response.content.decode()) if s[0] == "ERR")
    assert err[3].startswith("103^") and "XYZ9" in err[8] and "code table" in err[8]
    assert IncomingResult.objects.count() == 0


@pytest.mark.django_db
def test_one_bad_result_refuses_the_whole_message(lab, patient_workup):
    message = oru(
        pid("LAB-0001"),
        OBR,
        "OBX|1|NM|3016-3^TSH^LN||2.1|mIU/L|||||F",
        "OBX|2|NM|38476-8^AMH^LN||3.1|mg/dL|||||F",
        "OBX|3|NM|8099-4^TPO Ab^LN||220|IU/mL|||||F",
        "OBX|4|NM|3016-3^TSH^LN||2.3|mIU/L|||||P",
    )
    response = lab.hl7(message)
    texts = [s[8] for s in segments_of(response.content.decode()) if s[0] == "ERR"]
    assert any("unknown unit 'mg/dL'" in t for t in texts)
    assert any("interpretation is missing" in t for t in texts)
    assert any("only final or corrected" in t for t in texts)
    assert IncomingResult.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "message",
    [
        oru(pid("LAB-0001"), "O@X|1|NM|3016-3^TSH^LN||2.1|mIU/L|||||F"),  # garbled segment name
        "this is not an HL7 message at all",
        oru(pid("LAB-0001"), OBR).replace("ORU^R01^ORU_R01", "ADT^A01^ADT_A01"),
    ],
    ids=["garbled segment", "not hl7", "not an ORU"],
)
def test_a_malformed_message_is_rejected_with_ar(lab, patient_workup, message):
    response = lab.hl7(message)
    assert response.status_code == 400
    segs = segments_of(response.content.decode())
    assert segs[0][0] == "MSH" and segs[1][0] == "MSA" and segs[1][1] == "AR"
    assert any(s[0] == "ERR" for s in segs)
    assert IncomingResult.objects.count() == 0


@pytest.mark.django_db
def test_the_results_endpoints_need_a_lab_interface_token(client, clinician, patient_workup):
    from workup.accounts.models import ApiToken

    message = oru(pid("LAB-0001"), OBR, "OBX|1|NM|3016-3^TSH^LN||2.1|mIU/L|||||F")
    anonymous = client.post("/api/results/hl7", message, content_type="application/hl7-v2")
    assert anonymous.status_code == 401
    assert segments_of(anonymous.content.decode())[1][1] == "AR"
    _, raw = ApiToken.issue(user=clinician, name="not a lab")
    as_clinician = client.post(
        "/api/results",
        "{}",
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert as_clinician.status_code == 403
    assert json.loads(as_clinician.content)["resourceType"] == "OperationOutcome"
    assert IncomingResult.objects.count() == 0


def observation(code, value=None, *, mrn="LAB-0001", system="http://loinc.org", **extra):
    obs = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"identifier": {"system": "urn:rif-workup:mrn", "value": mrn}},
        "effectiveDateTime": "2026-11-30T08:30:00Z",
    }
    if value is not None:
        obs["valueQuantity"] = value
    obs.update(extra)
    return obs


@pytest.mark.django_db
def test_a_fhir_bundle_of_observations_waits_for_a_clinician(lab, patient_workup, codes):
    _, workup = patient_workup
    LabCodeMapping.objects.create(
        sender="urn:oid:1.2.3.4.5.lab",
        local_code="TSH-S",
        coding=Coding.objects.get(key="loinc-tsh"),
    )
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": observation("38476-8", {"value": 2.2, "unit": "ng/mL", "code": "ng/mL"})},
            {
                "resource": observation(
                    "TSH-S",
                    {"value": 1.8, "unit": "mU/L"},
                    system="urn:oid:1.2.3.4.5.lab",
                )
            },
            {
                "resource": observation(
                    "8065-5",
                    interpretation=[{"coding": [{"code": "NEG"}]}],
                )
            },
        ],
    }
    response = lab.fhir(bundle)
    assert response.status_code == 200, response.content
    outcome = json.loads(response.content)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["severity"] == "information"
    rows = {r.coding.key: r for r in IncomingResult.objects.filter(workup=workup)}
    assert rows["loinc-tsh"].unit == "mIU/L" and rows["loinc-tsh"].local_code == "TSH-S"
    assert rows["loinc-acl-igg"].positive is False


@pytest.mark.django_db
def test_fhir_refusals_are_operation_outcomes_naming_the_entry(lab, patient_workup, codes):
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": observation("3016-3", {"value": 2, "unit": "mIU/L"}, mrn="NOBODY-1")},
            {"resource": observation("1234-5", {"value": 2, "unit": "mIU/L"})},
        ],
    }
    response = lab.fhir(bundle)
    assert response.status_code == 422
    issues = json.loads(response.content)["issue"]
    assert [(i["code"], i["expression"]) for i in issues] == [
        ("not-found", ["Bundle.entry[0].resource"]),
        ("code-invalid", ["Bundle.entry[1].resource"]),
    ]
    assert "NOBODY-1" not in response.content.decode()
    malformed = lab.fhir({"resourceType": "Observation", "code": {"text": "x"}, "bogus": 1})
    assert malformed.status_code == 400
    assert {i["code"] for i in json.loads(malformed.content)["issue"]} == {"structure"}
    assert lab.fhir("{not json").status_code == 400
    assert IncomingResult.objects.count() == 0
