"""Standard codes: catalogue data with tags and a review status, loaded like the catalogue."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from workup.evidence.models import ReviewRecord
from workup.interop.codes import FIXTURE, check_codes, load_codes
from workup.interop.models import Coding

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
                {**base, "key": "y", "tags": {"code": "U"}, "review": "verified"},
                {**base, "key": "z", "target": "nope", "tags": {"code": "V"}, "review": "verified"},
            ]
        }
    )
    assert problems == [
        "x: no verification tag (every code needs one)",
        "y: verified, but not every tag is V",
        "z: target 'nope' is not a finding",
    ]


@pytest.mark.django_db
def test_loading_is_idempotent_and_keeps_the_leads_review(loaded_catalogue, lead, tmp_path):
    assert load_codes().created == 14
    again = load_codes()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 14)
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
    assert load_codes().unchanged == 14
    hydro.refresh_from_db()
    assert hydro.review_status == "verified"
    data = json.loads(FIXTURE.read_text())
    entry = next(c for c in data["codes"] if c["key"] == "icd-hydrosalpinx")
    entry["text"] = "Hydrosalpinx (edited)"
    data["codes"] = [c for c in data["codes"] if c["key"] != "loinc-b2gp1-igg"]
    changed = tmp_path / "codes.json"
    changed.write_text(json.dumps(data))
    report = load_codes(changed)
    assert (report.updated, report.retired) == (1, 1)
    hydro.refresh_from_db()
    assert hydro.review_status == "pending_review" and hydro.text == "Hydrosalpinx (edited)"
    assert Coding.objects.get(key="loinc-b2gp1-igg").retired


@pytest.mark.django_db
def test_load_catalogue_loads_the_codes_too(loaded_catalogue):
    out = StringIO()
    call_command("load_catalogue", stdout=out)
    assert "Standard codes: 14 created" in out.getvalue()


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
