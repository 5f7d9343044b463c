"""Contract tests of the CDS Hooks services, with requests shaped as in the specification's
examples (CDS Hooks 2.0: discovery, order-select, order-sign, patient-view), and a bad one of
each kind. The cards must agree with the engine's answer for the same facts."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.utils import timezone

from tests.factories import make_patient, make_workup
from tests.guardrail.conftest import (
    call,
    medication_request,
    observation,
    order_request,
    patient_resource,
    patient_view_request,
    service_request,
)
from workup.accounts.models import ApiToken
from workup.clinic.assessment import assess_workup
from workup.clinic.models import age_on
from workup.evidence import service as engine_service
from workup.guardrail import reasons
from workup.guardrail.models import CdsCard

SELECT = "/cds-services/rif-addon-order-select"
SIGN = "/cds-services/rif-addon-order-sign"
VIEW = "/cds-services/rif-patient-view"

pytestmark = pytest.mark.django_db


def test_discovery_lists_the_three_services_with_hooks_and_prefetch(client, emr):
    _, key = emr
    response = client.get("/cds-services", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    services = {s["id"]: s for s in response.json()["services"]}
    assert {s["hook"] for s in services.values()} == {"order-select", "order-sign", "patient-view"}
    for entry in services.values():
        assert entry["title"] and entry["description"]
        assert entry["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert entry["prefetch"]["observations"].startswith(
            "Observation?subject={{context.patientId}}"
        )


def test_order_select_warns_on_intralipid_as_the_engine_flags_it(client, emr, loaded_catalogue):
    _, key = emr
    orders = [
        medication_request("m1", "Intralipid 20% infusion 100 mL"),
        medication_request("m2", "Paracetamol 500 mg tablet"),
    ]
    response = call(client, SELECT, order_request("order-select", orders), key)
    assert response.status_code == 200
    cards = response.json()["cards"]
    assert len(cards) == 1
    card = cards[0]
    flag = next(
        f
        for f in engine_service.assess_data(
            {"age": 38, "addons_requested": ["intralipids"]}, loaded_catalogue
        )["addon_flags"]
        if f["code"] == "intralipids"
    )
    assert card["indicator"] == "warning"
    assert len(card["summary"]) < 140
    assert flag["name"] in card["summary"]
    for risk in flag["risks"]:
        assert risk in card["detail"]
    assert flag["evidence"] in card["detail"]
    assert "HFEA rating:** red" in card["detail"]
    eshre = loaded_catalogue.sources["eshre-addons-2023"]
    assert card["source"]["label"] == eshre.citation
    assert card["overrideReasons"] == reasons.codings()
    assert {c["code"] for c in card["overrideReasons"]} == {
        "informed_choice",
        "registered_trial",
        "clinical_judgement",
        "other",
    }
    stored = CdsCard.objects.get(uuid=card["uuid"])
    assert (stored.addon_code, stored.service, stored.emr_user) == (
        "intralipids",
        "rif-addon-order-select",
        "Practitioner/alice",
    )


def test_order_select_answers_only_the_selected_orders(client, emr):
    _, key = emr
    orders = [
        medication_request("m1", "Prednisolone 10 mg"),
        medication_request("m2", "Tacrolimus 1 mg"),
    ]
    body = order_request("order-select", orders, selections=["MedicationRequest/m2"])
    cards = call(client, SELECT, body, key).json()["cards"]
    assert len(cards) == 1 and "Tacrolimus" in cards[0]["summary"]


def test_order_sign_checks_every_draft_order_medication_and_service(client, emr):
    _, key = emr
    orders = [
        medication_request("m1", "Adalimumab 40 mg injection"),
        medication_request("m2", "Filgrastim 300 micrograms"),
        service_request("s1", "Peripheral blood NK cell assay"),
        medication_request("m3", "Folic acid 400 micrograms"),
    ]
    cards = call(client, SIGN, order_request("order-sign", orders), key).json()["cards"]
    assert sorted(CdsCard.objects.values_list("addon_code", flat=True)) == [
        "anti_tnf",
        "g_csf",
        "nk_testing",
    ]
    assert len(cards) == 3 and all(c["indicator"] == "warning" for c in cards)
    assert all(len(c["summary"]) < 140 for c in cards)


def test_a_clinic_code_in_the_mapping_matches_before_names(client, emr, monkeypatch):
    from workup.guardrail import mapping

    entries = mapping.order_mappings()
    custom = mapping.OrderMapping(
        addon="ivig",
        resources=("MedicationRequest",),
        names=(),
        codes=frozenset({("https://ehr.example.org/codes", "X-77")}),
        review="pending_review",
    )
    monkeypatch.setattr(mapping, "order_mappings", lambda: (custom, *entries))
    order = medication_request(
        "m1", "Product X", coding={"system": "https://ehr.example.org/codes", "code": "X-77"}
    )
    cards = call(client, SIGN, order_request("order-sign", [order]), emr[1]).json()["cards"]
    assert len(cards) == 1 and "immunoglobulin" in cards[0]["summary"].lower()
    assert "code https://ehr.example.org/codes|X-77" in cards[0]["detail"]


def test_no_card_for_heparin_when_the_stored_work_up_has_confirmed_aps(client, emr, clinician):
    patient = make_patient(mrn="CDS-APS-1")
    workup = make_workup(
        clinician=clinician,
        patient=patient,
        facts={"age": 35, "failed_transfers": 3, "aps": "confirmed"},
    )
    orders = [
        medication_request("m1", "Enoxaparin 40 mg"),
        medication_request("m2", "Aspirin 75 mg"),
    ]
    body = order_request("order-sign", orders, patient=patient_resource(mrn="CDS-APS-1"))
    response = call(client, SIGN, body, emr[1])
    assert response.json() == {"cards": []}
    # The engine says the same for the same facts.
    _, answer = assess_workup(workup)
    facts = {
        "age": 35,
        "failed_transfers": 3,
        "aps": "confirmed",
        "addons_requested": ["heparin", "aspirin"],
    }
    flags = engine_service.assess_data(facts)["addon_flags"]
    assert not any(f["flagged"] for f in flags)
    assert answer["rif"]["label"] == "rif"


def test_heparin_without_aps_gets_its_card_and_a_link_to_the_work_up(client, emr, clinician):
    patient = make_patient(mrn="CDS-NOAPS-1")
    workup = make_workup(clinician=clinician, patient=patient, facts={"age": 35, "aps": "negative"})
    body = order_request(
        "order-select",
        [medication_request("m1", "Enoxaparin 40 mg")],
        patient=patient_resource(mrn="CDS-NOAPS-1"),
    )
    cards = call(client, SELECT, body, emr[1]).json()["cards"]
    assert len(cards) == 1
    assert cards[0]["links"] == [
        {
            "label": "Open the work-up in RIF Work-up",
            "url": f"http://testserver/workups/{workup.pk}/",
            "type": "absolute",
        }
    ]


def test_confirmed_aps_from_a_prefetched_observation_also_silences_heparin(client, emr):
    body = order_request(
        "order-sign",
        [medication_request("m1", "Dalteparin 5000 units")],
        observations=[observation("aps", "confirmed")],
    )
    assert call(client, SIGN, body, emr[1]).json() == {"cards": []}
    body = order_request(
        "order-sign",
        [medication_request("m1", "Dalteparin 5000 units")],
        observations=[observation("aps", "negative")],
    )
    assert len(call(client, SIGN, body, emr[1]).json()["cards"]) == 1


def test_no_matching_order_answers_no_cards(client, emr):
    body = order_request("order-sign", [medication_request("m1", "Progesterone pessary 400 mg")])
    response = call(client, SIGN, body, emr[1])
    assert response.status_code == 200 and response.json() == {"cards": []}
    assert not CdsCard.objects.exists()


# --- patient-view ---------------------------------------------------------------------------


def test_patient_view_from_the_stored_work_up_gives_label_and_top_steps(client, emr, clinician):
    patient = make_patient(mrn="CDS-PV-1")
    facts = {"age": 36, "failed_transfers": 3, "hysteroscopy": {"done": True, "polyp": True}}
    workup = make_workup(clinician=clinician, patient=patient, facts=facts)
    body = patient_view_request(patient=patient_resource(mrn="CDS-PV-1"))
    response = call(client, VIEW, body, emr[1])
    assert response.status_code == 200
    cards = response.json()["cards"]
    _, answer = assess_workup(workup)
    assert all(c["indicator"] == "info" for c in cards)
    assert cards[0]["summary"].startswith("RIF Work-up: RIF (cumulative predicted chance 76%)")
    assert answer["rif"]["reason"] in cards[0]["detail"]
    steps = answer["next_steps"][:3]
    assert [c["summary"] for c in cards[1:]] == [
        f"Next step {s['priority']}: {s['name']}" for s in steps
    ]
    link = f"http://testserver/workups/{workup.pk}/"
    assert all(c["links"][0]["url"] == link for c in cards)


def test_patient_view_from_prefetch_only_agrees_with_the_engine(client, emr, loaded_catalogue):
    body = patient_view_request(
        patient=patient_resource(birth_date="1990-01-15"),
        observations=[
            observation("failed_transfers", 1),
            observation("39156-5", 31.0, system="http://loinc.org"),
        ],
    )
    cards = call(client, VIEW, body, emr[1]).json()["cards"]
    age = age_on(date(1990, 1, 15), timezone.localdate())
    answer = engine_service.assess_data(
        {"age": age, "failed_transfers": 1, "bmi": 31.0}, loaded_catalogue
    )
    assert cards[0]["summary"].startswith("RIF Work-up: Too early to label RIF")
    assert answer["rif"]["reason"] in cards[0]["detail"]
    assert [c["summary"].split(": ", 1)[1] for c in cards[1:]] == [
        s["name"] for s in answer["next_steps"][:3]
    ]
    assert "links" not in cards[0]


# --- bad requests: the specification's errors -----------------------------------------------


@pytest.mark.parametrize(
    "change, path",
    [
        (lambda b: b.pop("hook"), "hook"),
        (lambda b: b.update(hook="patient-view"), "hook"),
        (lambda b: b.pop("hookInstance"), "hookInstance"),
        (lambda b: b["context"].pop("userId"), "context.userId"),
        (lambda b: b["context"].update(selections="MedicationRequest/m1"), "context.selections"),
        (
            lambda b: b["context"].update(draftOrders={"resourceType": "List"}),
            "context.draftOrders.resourceType",
        ),
        (
            lambda b: b["prefetch"].update(patient={"resourceType": "Practitioner"}),
            "prefetch.patient",
        ),
    ],
)
def test_a_malformed_order_select_is_400_naming_the_field(client, emr, change, path):
    body = order_request("order-select", [medication_request("m1", "Intralipid")])
    change(body)
    response = call(client, SELECT, body, emr[1])
    assert response.status_code == 400
    assert path in response.json()["errors"]
    assert not CdsCard.objects.exists()


def test_bad_json_is_400(client, emr):
    response = call(client, SIGN, "{not json", emr[1])
    assert response.status_code == 400 and "json" in response.json()["errors"]


def test_patient_view_without_its_context_is_400(client, emr):
    body = patient_view_request()
    del body["context"]
    response = call(client, VIEW, body, emr[1])
    assert response.status_code == 400 and "context" in response.json()["errors"]


def test_missing_prefetch_is_412_precondition_failed(client, emr):
    body = order_request("order-sign", [medication_request("m1", "Intralipid")])
    body["prefetch"] = {}
    response = call(client, SIGN, body, emr[1])
    assert response.status_code == 412
    assert "prefetch.patient" in response.json()["errors"]
    body = patient_view_request(patient=patient_resource(birth_date=None))
    assert call(client, VIEW, body, emr[1]).status_code == 412


def test_an_age_outside_the_engine_range_is_400_with_the_engine_message(client, emr):
    body = order_request(
        "order-sign",
        [medication_request("m1", "Intralipid")],
        patient=patient_resource(birth_date="1950-01-01"),
    )
    response = call(client, SIGN, body, emr[1])
    assert response.status_code == 400 and "facts.age" in response.json()["errors"]


def test_unknown_service_is_404_and_get_is_405(client, emr):
    body = order_request("order-sign", [medication_request("m1", "Intralipid")])
    assert call(client, "/cds-services/nonesuch", body, emr[1]).status_code == 404
    response = client.get(SIGN, HTTP_AUTHORIZATION=f"Bearer {emr[1]}")
    assert response.status_code == 405


# --- authentication -------------------------------------------------------------------------


def test_no_token_or_a_jwt_is_401_and_a_role_without_the_permission_403(client, emr, coordinator):
    body = order_request("order-sign", [medication_request("m1", "Intralipid")])
    assert call(client, SIGN, body, None).status_code == 401
    jwt = "eyJhbGciOiJSUzM4NCIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2VociJ9.c2lnbmF0dXJl"
    response = call(client, SIGN, body, jwt)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    _, key = ApiToken.issue(user=coordinator, name="not an EMR")
    assert call(client, SIGN, body, key).status_code == 403
    assert client.get("/cds-services", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 403
    assert client.get("/cds-services").status_code == 401
    assert not CdsCard.objects.exists()


def test_revoked_token_is_401(client, emr):
    user, key = emr
    ApiToken.objects.filter(user=user).update(revoked_at="2026-01-01T00:00:00Z")
    body = order_request("order-sign", [medication_request("m1", "Intralipid")])
    assert call(client, SIGN, body, key).status_code == 401


def test_cards_never_carry_what_the_engine_did_not_say(client, emr, loaded_catalogue):
    """Every risk line, stance and rating on a card is the flag's own text."""
    orders = [
        medication_request(f"m{n}", name)
        for n, name in enumerate(
            ["Intralipid", "IVIG", "Prednisolone", "Adalimumab", "Tacrolimus", "G-CSF"]
        )
    ]
    cards = call(client, SIGN, order_request("order-sign", orders), emr[1]).json()["cards"]
    assert len(cards) == 6
    codes = list(CdsCard.objects.order_by("issued_at").values_list("addon_code", flat=True))
    flags = {
        f["code"]: f
        for f in engine_service.assess_data(
            {"age": 38, "addons_requested": codes}, loaded_catalogue
        )["addon_flags"]
    }
    for card in cards:
        code = CdsCard.objects.get(uuid=card["uuid"]).addon_code
        flag = flags[code]
        risk_lines = [x[2:] for x in card["detail"].splitlines() if x.startswith("- ")]
        assert risk_lines == list(flag["risks"])
        if flag["review"] == "pending_review":
            assert "Pending clinical review" in card["detail"]
    assert json.dumps(cards)


def test_a_card_says_verified_as_the_catalogue_counts_it_and_the_lead_only_when_they_did(
    client, emr, lead
):
    """Intralipid is verified in the reference (read in the primary source); the clinic's lead
    has not confirmed it, so the card does not say they did, until they do."""
    from django.utils import timezone
    from django.utils.formats import date_format

    from workup.evidence import store
    from workup.evidence.models import AddOn

    body = order_request("order-sign", [medication_request("m1", "Intralipid 20%")])
    detail = call(client, SIGN, body, emr[1]).json()["cards"][0]["detail"]
    assert "Verified by the clinic's lead" not in detail
    assert (
        "Catalogue review: verified against the primary source in the clinical reference; "
        "not yet confirmed by the clinical lead." in detail
    )
    store.record_review(entries=[AddOn.objects.get(code="intralipids")], reviewer=lead)
    detail = call(client, SIGN, body, emr[1]).json()["cards"][0]["detail"]
    today = date_format(timezone.localdate(), "j M Y")
    assert f"Catalogue review: verified; confirmed by the clinical lead on {today}." in detail
