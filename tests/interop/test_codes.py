"""Standard codes: catalogue data with tags and a review status, loaded like the catalogue."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from workup.evidence.models import ReviewRecord
from workup.interop.codes import FIXTURE, Targets, check_codes, load_codes
from workup.interop.models import Coding, EmrOrderCode, OrderMapping

ICD = "http://hl7.org/fhir/sid/icd-10-cm"
VERIFIED_IN_THE_ISSUE = {
    "38476-8",
    "3016-3",
    "8099-4",
    "8065-5",
    "44448-9",
    "N71.1",
    "D68.61",
    "N84.0",
    "N85.6",
    "N80.03",
    "N96",
    "N97.2",
}


def test_every_code_has_a_tag_and_only_the_verified_list_is_verified():
    data = json.loads(FIXTURE.read_text())
    assert check_codes(data) == []
    for raw in data["codes"]:
        assert raw["tags"], raw["key"]
        verified = raw["review"] == "verified"
        assert verified == (raw["code"] in VERIFIED_IN_THE_ISSUE), raw["key"]


def test_a_fixture_without_tags_or_verified_with_a_u_tag_is_refused():
    base = {
        "key": "x",
        "applies_to": "observation",
        "target": "tsh",
        "system": "http://loinc.org",
        "code": "1-1",
        "text": "X",
    }
    problems = check_codes(
        {
            "codes": [
                {**base, "tags": {}, "review": "pending_review"},
                {**base, "key": "y", "code": "1-2", "tags": {"code": "U"}, "review": "verified"},
                {**base, "key": "z", "target": "nope", "tags": {"code": "V"}, "review": "verified"},
            ]
        }
    )
    assert problems == [
        "x: no verification tag (every entry needs one)",
        "y: verified, but not every tag is V",
        "z: target 'nope' is not a finding",
    ]


def entry(key, applies_to, target, code="1-1", when="", system="http://loinc.org"):
    return {
        "key": key,
        "applies_to": applies_to,
        "target": target,
        "when": when,
        "system": system,
        "code": code,
        "text": key,
        "tags": {"code": "U"},
        "review": "pending_review",
    }


def test_the_file_is_refused_when_a_code_stands_for_nothing_the_catalogue_has(catalogue):
    """A code says what it stands for, and that thing must exist: a finding (with the value
    evidence.findings makes a diagnosis), a catalogue step, a procedure, a catalogue add-on."""
    sct, atc = "http://snomed.info/sct", "http://www.whocc.no/atc"
    data = {
        "codes": [
            entry("a", "service", "no_such_step", system=sct),
            entry("b", "procedure", "appendectomy", system=sct),
            entry("c", "order", "no_such_addon", system=atc),
            entry("d", "condition", "hysteroscopy_polyp", "N84.0", when="false"),
            entry("e", "condition", "miscarriages", "N96", when="3"),
            entry("f", "observation", "tsh", "2-2", when="sometimes"),
            entry("g", "observation", "", "3-3"),
            entry("h", "service", "hysteroscopy", system="http://example.org/codes"),
            entry("i", "service", "hysteroscopy", system=sct),
            entry("j", "service", "hysteroscopy", system=sct),
            entry("k", "condition", "smoker", "Z72.0", when="true", system=ICD),
        ],
        "orders": [
            {
                "addon": "nope",
                "resources": ["MedicationRequest"],
                "names": ["x"],
                "tags": {"names": "U"},
                "review": "pending_review",
            },
            {
                "addon": "ivig",
                "resources": ["Encounter"],
                "names": [],
                "tags": {},
                "review": "verified",
            },
        ],
    }
    problems = check_codes(data, Targets.from_catalogue(catalogue))
    assert problems == [
        "a: target 'no_such_step' is not a catalogue investigation or next step",
        "b: target 'appendectomy' is not one of the procedures hysteroscopy, ce_biopsy, "
        "embryo_transfer",
        "c: target 'no_such_addon' is not a catalogue add-on",
        "d: 'hysteroscopy_polyp' is a diagnosis when 'true' (evidence.findings), not 'false'",
        "e: 'miscarriages' is a diagnosis when 'rpl_losses' (evidence.findings), not '3'",
        "f: an observation's 'when' is empty or 'feeds'",
        "g: a code attached to nothing needs a note saying why",
        "h: system must be one of http://hl7.org/fhir/sid/icd-10-cm, http://loinc.org, "
        "http://snomed.info/sct, http://www.whocc.no/atc",
        "j: the same code for the same thing twice",
        "k: 'smoker' is not a diagnosis (evidence.findings)",
        "orders/nope: not a catalogue add-on",
        "orders/ivig: resources must be some of MedicationRequest, ServiceRequest",
        "orders/ivig: names must be a list of words an order may use",
        "orders/ivig: no verification tag (every entry needs one)",
        "orders/ivig: verified, but not every tag is V",
    ]


def test_the_code_table_holds_the_issues_codes_and_leaves_none_untagged(catalogue):
    data = json.loads(FIXTURE.read_text())
    assert check_codes(data, Targets.from_catalogue(catalogue)) == []
    by_key = {c["key"]: c for c in data["codes"]}
    # Recurrent pregnancy loss: from the recorded losses at the catalogue's threshold.
    rpl = by_key["icd-rpl"]
    assert (rpl["target"], rpl["when"], rpl["code"]) == ("miscarriages", "rpl_losses", "N96")
    assert "rpl_losses" in catalogue.parameters
    # Infertility of uterine origin: verified, attached to nothing, and the note says why.
    uterine = by_key["icd-uterine-infertility"]
    assert uterine["target"] == "" and "never concludes" in uterine["note"]
    kinds = {c["applies_to"] for c in data["codes"]}
    assert kinds == {"observation", "condition", "service", "procedure", "order"}
    # Procedures the export writes carry codes where known (embryo transfer: none known yet).
    procedures = {c["target"] for c in data["codes"] if c["applies_to"] == "procedure"}
    assert procedures == {"hysteroscopy", "ce_biopsy"}
    for raw in data["codes"]:
        if raw["review"] != "verified":
            assert raw["note"], f"{raw['key']}: a pending code says where it was read"


def test_every_catalogue_addon_can_be_matched_in_an_order(catalogue):
    """Every add-on can be ordered (a medication or a procedure or test) and has its names."""
    orders = {o["addon"]: o for o in json.loads(FIXTURE.read_text())["orders"]}
    assert set(orders) == set(catalogue.addons)
    for code, addon in catalogue.addons.items():
        kinds = set(orders[code]["resources"])
        if addon.kind == "test":
            assert "ServiceRequest" in kinds, code
        assert orders[code]["names"] and orders[code]["tags"], code


@pytest.mark.django_db
def test_loading_is_idempotent_and_keeps_the_leads_review(loaded_catalogue, lead, tmp_path):
    Coding.objects.all().delete()  # the test database is loaded already: start from none
    OrderMapping.objects.all().delete()
    data = json.loads(FIXTURE.read_text())
    total = len(data["codes"])
    report = load_codes()
    assert (report.created, report.orders["created"]) == (total, len(data["orders"]))
    again = load_codes()
    assert (again.created, again.updated, again.unchanged) == (0, 0, total)
    assert again.orders["unchanged"] == len(data["orders"])
    hydro = Coding.objects.get(key="icd-hydrosalpinx")
    assert hydro.review_status == "pending_review"
    client = Client()
    client.force_login(lead)
    response = client.post(
        reverse("admin:interop_coding_changelist"),
        {"action": "record_review_verified", "_selected_action": [hydro.pk]},
    )
    assert response.status_code == 302
    hydro.refresh_from_db()
    assert hydro.review_status == "verified" and hydro.reviewed_by == lead
    assert ReviewRecord.objects.filter(kind="coding", code="icd-hydrosalpinx").exists()
    # Unchanged in the file: the review stays. Changed in the file: the file's status returns.
    assert load_codes().unchanged == total
    hydro.refresh_from_db()
    assert hydro.review_status == "verified"
    entry = next(c for c in data["codes"] if c["key"] == "icd-hydrosalpinx")
    entry["text"] = "Hydrosalpinx (edited)"
    data["codes"] = [c for c in data["codes"] if c["key"] != "loinc-b2gp1-igg"]
    data["orders"] = [o for o in data["orders"] if o["addon"] != "dhea"]
    changed = tmp_path / "codes.json"
    changed.write_text(json.dumps(data))
    report = load_codes(changed)
    assert (report.updated, report.retired, report.orders["retired"]) == (1, 1, 1)
    hydro.refresh_from_db()
    assert hydro.review_status == "pending_review" and hydro.text == "Hydrosalpinx (edited)"
    assert Coding.objects.get(key="loinc-b2gp1-igg").retired
    assert OrderMapping.objects.get(addon="dhea").retired


@pytest.mark.django_db
def test_codes_are_refused_before_the_catalogue_is_loaded(db):
    from workup.evidence.models import AddOn

    AddOn.objects.all().delete()
    report = load_codes()
    assert report.problems == ["The catalogue is not loaded: load it before its codes."]


@pytest.mark.django_db
def test_load_catalogue_loads_the_codes_too(loaded_catalogue):
    Coding.objects.all().delete()
    OrderMapping.objects.all().delete()
    out = StringIO()
    call_command("load_catalogue", stdout=out)
    total = len(json.loads(FIXTURE.read_text())["codes"])
    assert f"Standard codes: {total} created" in out.getvalue()
    assert "Order mappings: 24 created" in out.getvalue()


@pytest.mark.django_db
def test_the_lead_reviews_order_mappings_and_an_edit_needs_a_review_again(lead):
    client = Client()
    client.force_login(lead)
    page = client.get(reverse("admin:interop_ordermapping_changelist")).content.decode()
    assert "intralipids" in page and "lipid emulsion" in page
    mapping = OrderMapping.objects.get(addon="rlif")
    response = client.post(
        reverse("admin:interop_ordermapping_changelist"),
        {"action": "record_review_verified", "_selected_action": [mapping.pk]},
    )
    assert response.status_code == 302
    mapping.refresh_from_db()
    assert (mapping.review_status, mapping.reviewed_by) == ("verified", lead)
    assert ReviewRecord.objects.filter(kind="ordermapping", code="rlif").exists()
    url = reverse("admin:interop_ordermapping_change", args=[mapping.pk])
    response = client.post(
        url,
        {
            "resources": json.dumps(["MedicationRequest"]),
            "names": json.dumps(["recombinant LIF", "emfilermin", "LIF infusion"]),
            "note": "",
            "retired": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    mapping.refresh_from_db()
    assert "LIF infusion" in mapping.names and mapping.review_status == "pending_review"
    assert mapping.history.count() >= 2
    # Entries come from the file with their tags: no add, no delete.
    assert client.get(reverse("admin:interop_ordermapping_add")).status_code == 403
    delete = reverse("admin:interop_ordermapping_delete", args=[mapping.pk])
    assert client.get(delete).status_code == 403


@pytest.mark.django_db
def test_the_lead_keeps_the_emr_order_codes_naming_a_catalogue_addon(lead):
    client = Client()
    client.force_login(lead)
    add = reverse("admin:interop_emrordercode_add")
    row = {"system": "https://ehr.example.org/drugs", "code": "IL-20", "name": "Intralipid 20%"}
    response = client.post(add, {**row, "addon": "intralipids", "active": "on"})
    assert response.status_code == 302
    assert EmrOrderCode.objects.get(code="IL-20").addon == "intralipids"
    response = client.post(add, {**row, "code": "X-1", "addon": "aspirin_and_more"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not EmrOrderCode.objects.filter(code="X-1").exists()


@pytest.mark.django_db
def test_the_lead_reviews_codes_and_keeps_the_lab_code_table(lead, codes):
    client = Client()
    client.force_login(lead)
    page = client.get(reverse("admin:interop_coding_changelist")).content.decode()
    assert "38476-8" in page and "Pending clinical review" in page
    coding = Coding.objects.get(key="loinc-tsh")
    response = client.post(
        reverse("admin:interop_labcodemapping_add"),
        {
            "sender": "CITYLAB",
            "local_code": "TSH3",
            "local_name": "TSH",
            "coding": coding.pk,
            "active": "on",
        },
    )
    assert response.status_code == 302
    # A code pending review cannot be the target of a mapping.
    pending = Coding.objects.get(key="icd-hydrosalpinx")
    response = client.post(
        reverse("admin:interop_labcodemapping_add"),
        {"sender": "CITYLAB", "local_code": "HYD", "coding": pending.pk, "active": "on"},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
