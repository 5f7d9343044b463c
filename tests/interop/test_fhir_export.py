"""The FHIR R4 export: every bundle validates (R4B models of fhir.resources, and R4 4.0.1 models
of fhirclient), and carries what the work-up records."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from fhirclient.models.bundle import Bundle as R4Bundle

from tests.factories import make_workup, sign_as_seen
from workup.audit.models import DownloadRecord
from workup.clinic.models import WorkUp
from workup.clinic.services import track_next_step
from workup.clinic.signed import signed_record

LOINC = "http://loinc.org"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"

VARIED = {
    "unsigned, little known": {"age": 34, "failed_transfers": 1},
    "rif with uterine findings": {
        "age": 38,
        "failed_transfers": 3,
        "euploid_failed_transfers": 1,
        "miscarriages": 1,
        "bmi": 27.5,
        "smoker": False,
        "tsh": 2.4,
        "tpo_positive": True,
        "amh": {"value": 12.5, "unit": "pmol/L"},
        "hysteroscopy": {"done": True, "polyp": True, "adhesions": True},
        "ce_biopsy": {"done": True, "cd138_positive": True, "treated": True},
        "hydrosalpinx": True,
        "previous_oocytes": [4, 7],
    },
    "add-ons and APS": {
        "age": 40,
        "failed_transfers": 4,
        "aps": "confirmed",
        "karyotype": "abnormal",
        "addons_requested": ["intralipids", "ivig"],
    },
}


def export(client, workup):
    response = client.get(reverse("api_workup_fhir", args=[workup.pk]))
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/fhir+json")
    return json.loads(response.content)


def resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def assert_valid_r4(bundle):
    # fhirclient's models are generated from FHIR 4.0.1; strict refuses unknown or missing
    # required elements. fhir.resources (R4B) already validated the bundle on the way out.
    R4Bundle(bundle, strict=True)
    urls = {e["fullUrl"] for e in bundle["entry"]}
    text = json.dumps(bundle)
    for ref in {part.split('"')[0] for part in text.split('"reference": "')[1:]}:
        assert ref in urls, f"reference {ref} does not resolve inside the bundle"


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(VARIED))
@pytest.mark.parametrize("signed", [False, True])
def test_every_exported_bundle_validates(case, signed, clinician, clinician_client, codes):
    workup = make_workup(clinician=clinician, facts=VARIED[case])
    track_next_step(workup=workup, code="stimulation_plan", user=clinician)
    if signed:
        sign_as_seen(workup, clinician)
    bundle = export(clinician_client, workup)
    assert_valid_r4(bundle)
    assert bundle["type"] == ("document" if signed else "collection")
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("Patient") == 1 and "CarePlan" in kinds and "Task" in kinds
    if signed:
        assert kinds[0] == "Composition"
        assert {"DocumentReference", "Provenance"} <= set(kinds)
    else:
        assert not {"Composition", "DocumentReference", "Provenance"} & set(kinds)


@pytest.mark.django_db
def test_the_bundle_carries_codes_values_units_and_diagnoses(clinician, clinician_client, codes):
    workup = make_workup(clinician=clinician, facts=VARIED["rif with uterine findings"])
    bundle = export(clinician_client, workup)
    obs = {o["code"]["text"]: o for o in resources(bundle, "Observation")}
    amh = obs["AMH"]
    assert amh["code"]["coding"] == [{"system": LOINC, "code": "38476-8"}]
    # As entered (pmol/L), and normalised to ng/mL beside it.
    assert (amh["valueQuantity"]["value"], amh["valueQuantity"]["code"]) == (12.5, "pmol/L")
    normalised = amh["component"][0]["valueQuantity"]
    assert normalised["code"] == "ng/mL"
    assert normalised["value"] == pytest.approx(12.5 / 7.14, abs=0.0001)
    assert obs["TSH"]["valueQuantity"] == {
        "value": 2.4,
        "unit": "mIU/L",
        "system": "http://unitsofmeasure.org",
        "code": "m[IU]/L",
    }
    assert obs["TSH"]["code"]["coding"][0]["code"] == "3016-3"
    assert obs["TPO antibodies"]["interpretation"][0]["coding"][0]["code"] == "POS"
    conditions = {
        c["code"]["text"]: c["code"].get("coding", []) for c in resources(bundle, "Condition")
    }
    assert conditions["Endometrial polyp"] == [{"system": ICD, "code": "N84.0"}]
    assert conditions["Chronic endometritis"] == [{"system": ICD, "code": "N71.1"}]
    assert conditions["Intrauterine synechiae (adhesions)"] == [{"system": ICD, "code": "N85.6"}]
    # N70.11 is pending review: the diagnosis is exported in words, without the code.
    assert conditions["Hydrosalpinx"] == []
    procedures = [p["code"]["text"] for p in resources(bundle, "Procedure")]
    assert "Hysteroscopy" in procedures
    assert any(p.startswith("Endometrial biopsy") for p in procedures)
    assert sum(p.startswith("Embryo transfer") for p in procedures) == 3
    patient = resources(bundle, "Patient")[0]
    assert patient["identifier"][0]["value"] == workup.patient.mrn


@pytest.mark.django_db
def test_tasks_and_care_plan_say_status_owner_due_date_and_sources(
    clinician, coordinator, clinician_client, codes
):
    from datetime import date, timedelta

    workup = make_workup(clinician=clinician, facts=VARIED["rif with uterine findings"])
    due = date.today() + timedelta(days=9)
    track_next_step(
        workup=workup, code="polypectomy", user=clinician, due_date=due, assignee=coordinator
    )
    bundle = export(clinician_client, workup)
    tasks = {t["code"]["text"]: t for t in resources(bundle, "Task")}
    task = tasks["Hysteroscopic polypectomy"]
    assert task["status"] == "requested"
    assert task["restriction"]["period"]["end"] == due.isoformat()
    owner = next(e for e in bundle["entry"] if e["fullUrl"] == task["owner"]["reference"])
    assert owner["resource"]["name"][0]["text"] == coordinator.get_full_name()
    plan = resources(bundle, "CarePlan")[0]
    polypectomy = next(
        a for a in plan["activity"] if a["detail"]["code"]["text"] == "Hysteroscopic polypectomy"
    )
    assert polypectomy["reference"]["reference"] == f"urn:uuid:{task['id']}"
    notes = [n["text"] for n in polypectomy["progress"]]
    # Polypectomy cites no source in the reference: the plan says so, in the catalogue's words.
    assert not any(n.startswith("Source: ") for n in notes)
    assert "Standard practice; no source in the catalogue yet." in notes
    assert "Catalogue review status: Pending clinical review." in notes


@pytest.mark.django_db
def test_a_signed_bundle_is_what_was_signed_and_the_download_is_recorded(
    clinician, clinician_client, codes
):
    workup = make_workup(clinician=clinician, facts=VARIED["rif with uterine findings"])
    sign_as_seen(workup, clinician)
    response = clinician_client.get(reverse("api_workup_fhir", args=[workup.pk]) + "?download=1")
    assert "attachment" in response["Content-Disposition"]
    bundle = json.loads(response.content)
    composition = bundle["entry"][0]["resource"]
    assert composition["status"] == "final" and composition["attester"][0]["mode"] == "legal"
    doc = resources(bundle, "DocumentReference")[0]
    assert doc["content"][0]["attachment"]["url"].endswith(
        reverse("documents:summary_pdf", args=[workup.pk])
    )
    provenance = resources(bundle, "Provenance")[0]
    assert provenance["target"][0]["reference"] == bundle["entry"][0]["fullUrl"]
    signed = signed_record(WorkUp.objects.get(pk=workup.pk))
    signed_steps = [s["name"] for s in signed.answer["next_steps"]]
    plan = resources(bundle, "CarePlan")[0]
    assert [a["detail"]["code"]["text"] for a in plan["activity"]] == signed_steps
    record = DownloadRecord.objects.get(workup=workup)
    assert record.kind == "fhir_bundle" and record.user == clinician
    assert record.get_kind_display() == "Work-up as FHIR R4 (export)"


@pytest.mark.django_db
def test_the_page_offers_the_download(clinician, clinician_client, codes):
    workup = make_workup(clinician=clinician, facts={"age": 35, "failed_transfers": 2})
    html = clinician_client.get(workup.get_absolute_url()).content.decode()
    assert reverse("api_workup_fhir", args=[workup.pk]) + "?download=1" in html
    assert "Incoming lab results" in html


def review_note(bundle, name) -> str:
    plan = resources(bundle, "CarePlan")[0]
    activity = next(a for a in plan["activity"] if a["detail"]["code"]["text"] == name)
    return next(n["text"] for n in activity["progress"] if n["text"].startswith("Catalogue review"))


@pytest.mark.django_db
def test_the_care_plan_says_verified_from_the_source_unless_the_lead_confirmed_it(
    clinician, clinician_client, lead, codes
):
    """ "Verified" in the catalogue is read in the primary source (the reference's V tags); the
    clinical lead's confirmation in the app is something else, and said only when it happened."""
    from django.utils import timezone
    from django.utils.formats import date_format

    from workup.clinic.assessment import assess_workup
    from workup.evidence import store
    from workup.evidence.models import ENTRY_MODELS

    workup = make_workup(clinician=clinician, facts=VARIED["rif with uterine findings"])
    _, answer = assess_workup(workup)
    step = next(s for s in answer["next_steps"] if s["review"] == "verified")
    note = review_note(export(clinician_client, workup), step["name"])
    assert "clinical lead" in note and "Verified by the clinical lead" not in note
    assert note == (
        "Catalogue review status: verified against the primary source in the clinical "
        "reference; not yet confirmed by the clinical lead."
    )
    sign_as_seen(workup, clinician)
    kind = "investigations" if step["kind"] == "investigation" else "next_steps"
    entry = ENTRY_MODELS[kind].objects.get(code=step["code"])
    store.record_review(entries=[entry], reviewer=lead)
    # Signed before the lead confirmed it: the signed bundle says what was true then.
    assert review_note(export(clinician_client, workup), step["name"]) == note
    # An open work-up says what is true today.
    fresh = make_workup(clinician=clinician, facts=VARIED["rif with uterine findings"])
    today = date_format(timezone.localdate(), "j M Y")
    assert review_note(export(clinician_client, fresh), step["name"]) == (
        f"Catalogue review status: verified; confirmed by the clinical lead on {today}."
    )


@pytest.mark.django_db
def test_the_bundle_is_in_english_whatever_the_readers_language(clinician, clinician_client, codes):
    """The findings' words follow the reader on the pages; the FHIR texts are the record's."""
    workup = make_workup(clinician=clinician, facts=VARIED["add-ons and APS"])
    clinician_client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert "Confirmé" in clinician_client.get(workup.get_absolute_url()).content.decode()
    text = json.dumps(export(clinician_client, workup), ensure_ascii=False)
    assert "Confirmed (persistently positive)" in text and "Antiphospholipid result" in text
    assert "Confirmé" not in text and "Résultat antiphospholipides" not in text
