"""The code table in the FHIR export: recurrent pregnancy loss (N96) from the recorded losses at
the catalogue's threshold; codes for checklist steps (Task) and procedures, used once the lead
has verified them; female infertility of uterine origin (N97.2) never exported."""

from __future__ import annotations

import json

import pytest

from tests.factories import make_workup, sign_as_seen
from workup.clinic.services import track_next_step
from workup.evidence import store
from workup.evidence.models import Parameter
from workup.interop.codes import record_review
from workup.interop.models import Coding

from .test_fhir_export import ICD, assert_valid_r4, export, resources
from .test_fhir_transfers import TRANSFERS

SCT = "http://snomed.info/sct"
RPL = "Recurrent pregnancy loss"

pytestmark = pytest.mark.django_db


def condition(bundle, text):
    found = [c for c in resources(bundle, "Condition") if c["code"]["text"] == text]
    return found[0] if found else None


@pytest.mark.parametrize(
    "losses, exported", [(0, False), (1, False), (2, True), (3, True)], ids=lambda v: str(v)
)
def test_recurrent_pregnancy_loss_from_the_catalogues_threshold_of_losses(
    clinician, clinician_client, loaded_catalogue, losses, exported
):
    """The catalogue counts 2 losses as recurrent pregnancy loss (rpl_losses, ESHRE RPL 2017,
    its value pending review): a Condition, provisional, with the losses as its evidence."""
    assert loaded_catalogue.param("rpl_losses").value == 2
    workup = make_workup(
        clinician=clinician, facts={"age": 35, "failed_transfers": 1, "miscarriages": losses}
    )
    bundle = export(clinician_client, workup)
    assert_valid_r4(bundle)
    rpl = condition(bundle, RPL)
    assert (rpl is not None) == exported
    if not exported:
        return
    assert rpl["code"]["coding"] == [{"system": ICD, "code": "N96"}]
    assert rpl["verificationStatus"]["coding"][0]["code"] == "provisional"
    assert rpl["note"][0]["text"] == (
        f"Derived by RIF Work-up from {losses} recorded pregnancy losses and the catalogue's "
        "threshold (Losses that count as recurrent pregnancy loss: 2; pending clinical review)."
    )
    observation = next(
        o for o in resources(bundle, "Observation") if o["code"]["text"] == "Miscarriages"
    )
    assert rpl["evidence"][0]["detail"] == [{"reference": f"urn:uuid:{observation['id']}"}]


def test_confirmed_once_the_lead_has_confirmed_the_threshold(clinician, clinician_client, lead):
    store.record_review(entries=[Parameter.objects.get(code="rpl_losses")], reviewer=lead)
    workup = make_workup(clinician=clinician, facts={"age": 35, "miscarriages": 2})
    rpl = condition(export(clinician_client, workup), RPL)
    assert rpl["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert rpl["note"][0]["text"].endswith("2; verified).")


def test_losses_in_the_transfer_history_count_and_are_the_evidence(
    clinician, clinician_client, codes
):
    facts = json.loads(json.dumps(TRANSFERS))
    facts["transfers"][0]["outcome"] = "miscarriage"  # with the biochemical one: 2 losses
    workup = make_workup(clinician=clinician, facts=facts)
    sign_as_seen(workup, clinician)
    bundle = export(clinician_client, workup)
    assert_valid_r4(bundle)
    rpl = condition(bundle, RPL)
    assert rpl["note"][0]["text"].startswith("Derived by RIF Work-up from 2 recorded")
    losses = {
        p["id"]
        for p in resources(bundle, "Procedure")
        if p["code"]["text"] == "Embryo transfer"
        and p["outcome"]["text"] in ("Miscarriage", "Biochemical pregnancy")
    }
    assert len(losses) == 2
    evidence = {r["reference"].removeprefix("urn:uuid:") for r in rpl["evidence"][0]["detail"]}
    assert losses <= evidence  # beside the Miscarriages observation, when recorded
    section = next(
        s for s in resources(bundle, "Composition")[0]["section"] if s["title"] == "Diagnoses"
    )
    assert {"reference": f"urn:uuid:{rpl['id']}"} in section["entry"]


def test_infertility_of_uterine_origin_is_never_exported(clinician, clinician_client):
    facts = {
        "age": 38,
        "failed_transfers": 4,
        "miscarriages": 3,
        "hysteroscopy": {"done": True, "polyp": True, "septum": True, "adhesions": True},
        "adenomyosis": True,
    }
    bundle = export(clinician_client, make_workup(clinician=clinician, facts=facts))
    codes = {c["code"] for r in resources(bundle, "Condition") for c in r["code"].get("coding", [])}
    assert "N97.2" not in codes
    assert {"N84.0", "N85.6", "N80.03", "N96"} <= codes
    # The septum's code (Q51.28) is pending review: the diagnosis in words, without the code.
    assert condition(bundle, "Uterine septum")["code"] == {"text": "Uterine septum"}


def test_step_and_procedure_codes_are_exported_once_the_lead_has_verified_them(
    clinician, clinician_client, lead
):
    facts = {
        "age": 38,
        "failed_transfers": 3,
        "hysteroscopy": {"done": True, "polyp": True},
        "ce_biopsy": {"done": True, "cd138_positive": False},
    }
    workup = make_workup(clinician=clinician, facts=facts)
    track_next_step(workup=workup, code="polypectomy", user=clinician)

    def codes_of(bundle):
        tasks = {t["code"]["text"]: t["code"].get("coding") for t in resources(bundle, "Task")}
        procedures = {
            p["code"]["text"]: p["code"].get("coding") for p in resources(bundle, "Procedure")
        }
        return tasks, procedures

    tasks, procedures = codes_of(export(clinician_client, workup))
    assert tasks["Hysteroscopy"] is None and procedures["Hysteroscopy"] is None
    keys = [
        "snomed-hysteroscopy-step",
        "snomed-polypectomy-step",
        "snomed-hysteroscopy",
        "snomed-endometrial-biopsy",
    ]
    record_review(codes=Coding.objects.filter(key__in=keys), reviewer=lead)
    bundle = export(clinician_client, workup)
    assert_valid_r4(bundle)
    tasks, procedures = codes_of(bundle)
    assert tasks["Hysteroscopy"] == [{"system": SCT, "code": "233545006"}]
    assert tasks["Hysteroscopic polypectomy"] == [{"system": SCT, "code": "274974008"}]
    assert procedures["Hysteroscopy"] == [{"system": SCT, "code": "233545006"}]
    biopsy = next(v for k, v in procedures.items() if k.startswith("Endometrial biopsy"))
    assert biopsy == [{"system": SCT, "code": "386802000"}]
    # The karyotype step's code is still pending: its Task has words only.
    assert tasks["Karyotype of both partners"] is None
