"""Every catalogue add-on an EMR can order gets its card, by the order mapping that is catalogue
data (``fixtures/codes.json``: names per add-on, standard order codes, reviewed by the lead), or
none where the engine finds it indicated (heparin and aspirin with confirmed APS). Requests are
shaped as in the CDS Hooks 2.0 order-sign example; the cards agree with the engine."""

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
from workup.clinic.models import age_on
from workup.evidence import service as engine_service
from workup.interop.codes import FIXTURE, record_review
from workup.interop.models import Coding, OrderMapping

SIGN = "/cds-services/rif-addon-order-sign"
VIEW = "/cds-services/rif-patient-view"
ATC = "http://www.whocc.no/atc"
AGE = age_on(date(1988, 5, 1), timezone.localdate())  # the default prefetched Patient

pytestmark = pytest.mark.django_db

ORDERS = json.loads(FIXTURE.read_text())["orders"]
NAMES = [(o["addon"], o["resources"][0], name) for o in ORDERS for name in o["names"]]


def order_for(kind, text, ident="o1", coding=None):
    if kind == "MedicationRequest":
        return medication_request(ident, text, coding=coding)
    return service_request(ident, text)


def flag_for(addon, catalogue, **facts):
    answer = engine_service.assess_data(
        {"age": AGE, **facts, "addons_requested": [addon]}, catalogue
    )
    return next(f for f in answer["addon_flags"] if f["code"] == addon)


@pytest.mark.parametrize("addon, kind, name", NAMES, ids=[f"{a}:{n}" for a, _, n in NAMES])
def test_an_order_by_each_mapped_name_gets_its_card_as_the_engine_flags_it(
    client, emr, loaded_catalogue, addon, kind, name
):
    body = order_request("order-sign", [order_for(kind, f"{name} as prescribed")])
    response = call(client, SIGN, body, emr[1])
    assert response.status_code == 200
    cards = response.json()["cards"]
    flag = flag_for(addon, loaded_catalogue)
    assert flag["flagged"]  # without APS, every add-on is flagged
    assert len(cards) == 1
    card = cards[0]
    assert card["indicator"] == "warning" and len(card["summary"]) < 140
    assert flag["name"] in card["summary"]
    assert flag["evidence"] in card["detail"]
    for risk in flag["risks"]:
        assert risk in card["detail"]
    assert f'by its name "{name}"' in card["detail"]
    assert "(order mapping pending clinical review)" in card["detail"]


@pytest.mark.parametrize("addon", ["heparin", "aspirin"])
def test_heparin_and_aspirin_with_confirmed_aps_get_no_card_as_the_engine_says(
    client, emr, loaded_catalogue, addon
):
    names = next(o["names"] for o in ORDERS if o["addon"] == addon)
    orders = [medication_request(f"m{n}", name) for n, name in enumerate(names)]
    body = order_request(
        "order-sign",
        orders,
        observations=[observation("aps", "confirmed"), observation("miscarriages", 3)],
    )
    assert call(client, SIGN, body, emr[1]).json() == {"cards": []}
    assert not flag_for(addon, loaded_catalogue, aps="confirmed", miscarriages=3)["flagged"]


def test_embryo_glue_is_shown_with_both_views_never_as_unproven_in_eshres_name(client, emr):
    body = order_request("order-sign", [service_request("s1", "EmbryoGlue transfer medium")])
    card = call(client, SIGN, body, emr[1]).json()["cards"][0]
    assert "views differ" in card["summary"] and "Unproven" not in card["summary"]


def test_a_standard_order_code_matches_and_the_card_says_its_review(client, emr, lead):
    order = medication_request(
        "m1", "Lipid product 100 mL", coding={"system": ATC, "code": "B05BA02"}
    )
    body = order_request("order-sign", [order])
    card = call(client, SIGN, body, emr[1]).json()["cards"][0]
    assert "Intralipid" in card["summary"]
    assert f"by its code {ATC}|B05BA02 (code pending clinical review)" in card["detail"]
    record_review(codes=[Coding.objects.get(key="atc-fat-emulsions")], reviewer=lead)
    body = order_request("order-sign", [order])
    card = call(client, SIGN, body, emr[1]).json()["cards"][0]
    assert f"by its code {ATC}|B05BA02 (code verified)" in card["detail"]


def test_a_name_mapping_the_lead_verified_says_so(client, emr, lead):
    record_review(codes=[OrderMapping.objects.get(addon="tacrolimus")], reviewer=lead)
    body = order_request("order-sign", [medication_request("m1", "Tacrolimus 1 mg")])
    card = call(client, SIGN, body, emr[1]).json()["cards"][0]
    assert "(order mapping verified)" in card["detail"]


@pytest.mark.parametrize(
    "kind, text",
    [
        ("MedicationRequest", "Choriogonadotropin alfa (hCG) 250 micrograms trigger"),
        ("MedicationRequest", "Anti-D immunoglobulin 1500 IU"),
        ("MedicationRequest", "Progesterone 400 mg pessary"),
        # A test's name in a medication order is not that test.
        ("MedicationRequest", "ERA"),
        ("ServiceRequest", "Frozen embryo transfer"),
    ],
)
def test_orders_that_are_not_add_ons_get_no_card(client, emr, kind, text):
    body = order_request("order-sign", [order_for(kind, text)])
    assert call(client, SIGN, body, emr[1]).json() == {"cards": []}


def test_intrauterine_hcg_is_the_add_on_where_an_hcg_trigger_is_not(client, emr):
    orders = [
        medication_request("m1", "hCG 10,000 IU trigger injection"),
        medication_request("m2", "Intrauterine hCG 500 IU before transfer"),
    ]
    cards = call(client, SIGN, order_request("order-sign", orders), emr[1]).json()["cards"]
    assert len(cards) == 1 and "Intrauterine hCG" in cards[0]["summary"]


def test_a_retired_mapping_matches_nothing_and_no_mapping_at_all_is_an_error(client, emr):
    OrderMapping.objects.filter(addon="tacrolimus").update(retired=True)
    body = order_request("order-sign", [medication_request("m1", "Tacrolimus 1 mg")])
    assert call(client, SIGN, body, emr[1]).json() == {"cards": []}
    OrderMapping.objects.update(retired=True)
    response = call(client, SIGN, body, emr[1])
    # Never a silent "no cards" when the guardrail has nothing to match with.
    assert response.status_code == 503
    assert "load_catalogue" in response.json()["errors"]["mapping"][0]


def test_the_same_add_on_twice_is_one_card(client, emr):
    orders = [medication_request("m1", "Enoxaparin 40 mg"), medication_request("m2", "Heparin")]
    cards = call(client, SIGN, order_request("order-sign", orders), emr[1]).json()["cards"]
    assert len(cards) == 1


# --- observations: the code table and the app's own fact codes -----------------------------


def test_discovery_prefetches_the_code_tables_observation_codes_and_our_fact_codes(client, emr):
    response = client.get("/cds-services", HTTP_AUTHORIZATION=f"Bearer {emr[1]}")
    search = response.json()["services"][0]["prefetch"]["observations"]
    tokens = set(search.split("&code=", 1)[1].split(","))
    for code in ("39156-5", "3016-3", "38476-8", "8099-4"):
        assert f"http://loinc.org|{code}" in tokens
    assert "http://loinc.org|8065-5" not in tokens  # feeds a finding; not the finding itself
    assert {"urn:rif-workup:fact|failed_transfers", "urn:rif-workup:fact|aps"} <= tokens


def test_patient_view_reads_loinc_coded_results_and_names_codes_pending_review(
    client, emr, loaded_catalogue
):
    loinc = "http://loinc.org"
    tpo = observation("8099-4", 220.0, system=loinc)
    tpo["interpretation"] = [{"coding": [{"code": "H"}]}]
    amh = observation("38476-8", 3.1, system=loinc)
    amh["valueQuantity"] = {"value": 3.1, "unit": "pmol/L"}
    body = patient_view_request(
        patient=patient_resource(birth_date="1990-01-15"),
        observations=[
            observation("failed_transfers", 3),
            observation("3016-3", 3.2, system=loinc),
            tpo,
            amh,
            observation("39156-5", 31.0, system=loinc),
        ],
    )
    cards = call(client, VIEW, body, emr[1]).json()["cards"]
    facts = {
        "age": age_on(date(1990, 1, 15), timezone.localdate()),
        "failed_transfers": 3,
        "tsh": 3.2,
        "tpo_positive": True,
        "amh": {"value": 3.1, "unit": "pmol/L"},
        "bmi": 31.0,
    }
    answer = engine_service.assess_data(facts, loaded_catalogue)
    assert [c["summary"].split(": ", 1)[1] for c in cards[1:]] == [
        s["name"] for s in answer["next_steps"][:3]
    ]
    assert answer["rif"]["reason"] in cards[0]["detail"]
    # BMI's LOINC code is pending review: every card says it was read by it.
    line = "Read from the EMR's observations by codes pending clinical review: BMI by "
    assert all(f"{line}http://loinc.org|39156-5." in c["detail"] for c in cards)


def test_a_prefetched_value_the_engine_refuses_is_400_naming_the_fact(client, emr):
    body = patient_view_request(
        patient=patient_resource(birth_date="1990-01-15"),
        observations=[observation("failed_transfers", -1)],
    )
    response = call(client, VIEW, body, emr[1])
    assert response.status_code == 400 and "facts.failed_transfers" in response.json()["errors"]


def test_a_stored_work_up_is_read_as_stored_not_by_codes(client, emr, clinician):
    patient = make_patient(mrn="CDS-ORD-1")
    make_workup(clinician=clinician, patient=patient, facts={"age": 36, "bmi": 24.0})
    body = patient_view_request(
        patient=patient_resource(mrn="CDS-ORD-1"),
        observations=[observation("39156-5", 31.0, system="http://loinc.org")],
    )
    cards = call(client, VIEW, body, emr[1]).json()["cards"]
    assert not any("pending clinical review: BMI" in c["detail"] for c in cards)
