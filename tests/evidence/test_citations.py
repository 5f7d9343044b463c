"""A citation is a claim that the source says it: no entry cites a key the reference does not
give that fact, and what has no key says so in the catalogue's words."""

import json
import re

import pytest
from django.urls import reverse

from workup.evidence import engine, store
from workup.evidence.catalogue import ENTRY_KINDS, FIXTURE
from workup.evidence.models import NextStep, Source

from .helpers import assess, step
from .reference_sources import ALLOWED, NO_KEY

NO_SOURCE_TEXT = "standard practice; no source in the catalogue yet"


def raw_fixture():
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def borrowed(entries_by_kind):
    """(kind, code, keys the reference does not assign) for every offending entry."""
    out = []
    for kind, entries in entries_by_kind.items():
        for code, sources in entries:
            allowed = ALLOWED[kind].get(code)
            if allowed is None:
                out.append((kind, code, "not in the reference's assignments"))
            elif set(sources) - allowed:
                out.append((kind, code, sorted(set(sources) - allowed)))
    return out


def test_no_fixture_entry_cites_a_key_the_reference_does_not_assign_to_it():
    data = raw_fixture()
    entries = {kind: [(r["code"], r["sources"]) for r in data[kind]] for kind in ENTRY_KINDS}
    assert borrowed(entries) == []


@pytest.mark.django_db
def test_no_loaded_entry_cites_a_borrowed_key(loaded_catalogue):
    catalogue = store.get_catalogue()
    entries = {
        kind: [(e.code, e.sources) for e in getattr(catalogue, kind).values()]
        for kind in ENTRY_KINDS
    }
    assert borrowed(entries) == []


def test_the_check_catches_a_borrowed_key():
    data = raw_fixture()
    for raw in data["next_steps"]:
        if raw["code"] == "polypectomy":
            raw["sources"] = ["eshre-rif-2023"]
    entries = {kind: [(r["code"], r["sources"]) for r in data[kind]] for kind in ENTRY_KINDS}
    assert borrowed(entries) == [("next_steps", "polypectomy", ["eshre-rif-2023"])]


@pytest.mark.parametrize(
    "kind, code", [(kind, code) for kind, codes in NO_KEY.items() for code in sorted(codes)]
)
def test_what_the_reference_gives_no_key_cites_none_and_stays_pending(catalogue, kind, code):
    entry = getattr(catalogue, kind)[code]
    assert entry.sources == ()
    assert entry.review == "pending_review"


@pytest.mark.parametrize(
    "facts, code",
    [
        ({"hysteroscopy": {"done": True, "polyp": True}}, "polypectomy"),
        ({"hysteroscopy": {"done": True, "submucosal_fibroid": True}}, "fibroid_resection"),
        ({"hysteroscopy": {"done": True, "adhesions": True}}, "adhesiolysis"),
        ({"hysteroscopy": {"done": True, "septum": True}}, "septum_review"),
        ({"hydrosalpinx": True}, "hydrosalpinx_surgery"),
        ({"adenomyosis": True}, "adenomyosis_plan"),
        ({"karyotype": "abnormal"}, "genetic_counselling"),
        ({}, "hydrosalpinx_check"),
    ],
)
def test_a_step_without_a_key_says_standard_practice_not_a_number(catalogue, facts, code):
    answer = assess(catalogue, age=36, failed_transfers=3, **facts)
    found = step(answer, code)
    assert found["sources"] == []
    assert found["source_note"] == NO_SOURCE_TEXT
    assert found["review"] == "pending_review"


def test_the_per_transfer_chances_carry_their_own_tag_and_no_key(catalogue):
    for chance in catalogue.implantation_chances.values():
        assert chance.sources == () and chance.tags == {"value": "U"}
    rif = assess(catalogue, age=36, failed_transfers=3)["rif"]
    # The threshold is eshre-rif-2023's; the chances add no key of their own.
    assert rif["sources"] == ["eshre-rif-2023"]
    assert rif["review"] == "pending_review"


def test_lit_no_longer_cites_the_rpl_guideline_for_an_unsourced_claim(catalogue):
    flag = assess(catalogue, age=36, addons_requested=["lit"])["addon_flags"][0]
    assert "eshre-rpl-2017" not in flag["sources"]
    assert "no source in the catalogue yet" in flag["evidence"]


def test_every_statement_the_engine_says_is_in_the_catalogue(catalogue):
    assert set(engine.STATEMENTS) <= set(catalogue.statements)
    assert set(catalogue.statements) == set(ALLOWED["statements"])


def test_a_catalogue_without_a_statement_says_so_instead_of_crashing(catalogue):
    data = catalogue.to_dict()
    data["statements"] = [s for s in data["statements"] if s["code"] != "lugano_caution"]
    thinner = type(catalogue).from_dict(data)
    answer = assess(thinner, age=36, failed_transfers=2, euploid_failed_transfers=2)
    assert answer["rif"]["label"] == "rif"
    assert any("lacks the statements lugano_caution" in w for w in answer["warnings"])


RICH = {
    "age": 41,
    "bmi": 31,
    "smoker": True,
    "alcohol_units_week": 8,
    "failed_transfers": 2,
    "euploid_failed_transfers": 1,
    "miscarriages": 2,
    "aps": "confirmed",
    "tsh": 3.1,
    "tpo_positive": True,
    "hysteroscopy": {"done": True, "polyp": True},
    "previous_cycles": [{"oocytes": 2, "protocol": "mild"}, {"oocytes": 1, "protocol": "natural"}],
    "addons_requested": ["heparin", "aspirin", "embryo_glue", "era", "time_lapse", "lit"],
}


def texts(answer):
    yield answer["rif"]["reason"]
    yield from answer["warnings"]
    for detail in answer["classification"]["details"].values():
        yield detail["reason"]
    for item in answer["next_steps"] + answer["checklist"]:
        yield item.get("trigger") or item["reason"]
    for flag in answer["addon_flags"]:
        for part in (flag["verdict"], flag["hfea_meaning"]):
            if part:
                yield part["text"]
                yield part["plain"]


def test_every_placeholder_is_filled_in(catalogue):
    for text in texts(assess(catalogue, **RICH)):
        assert not re.search(r"\{[a-z_]+\}", text), text


def test_every_claim_shown_carries_review_status_and_real_keys(catalogue):
    answer = assess(catalogue, **RICH)
    claims = [
        *answer["checklist"],
        *answer["next_steps"],
        *answer["addon_flags"],
        *answer["cautions"],
        *answer["classification"]["details"].values(),
        *(f["verdict"] for f in answer["addon_flags"] if f["verdict"]),
        *(f["hfea_meaning"] for f in answer["addon_flags"] if f["hfea_meaning"]),
    ]
    for claim in claims:
        assert claim["review"] in ("verified", "pending_review")
        assert set(claim["sources"]) <= set(catalogue.sources)
        if not claim["sources"]:
            assert claim["source_note"] == NO_SOURCE_TEXT
            assert claim["review"] == "pending_review"


@pytest.mark.django_db
def test_the_lead_can_add_a_source_to_an_entry_that_has_none(lead_client, lead):
    entry = NextStep.objects.get(code="polypectomy")
    assert not entry.sources.exists()
    url = reverse("admin:evidence_nextstep_change", args=[entry.pk])
    form = lead_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["tags"] = json.dumps(entry.tags)
    data["sources"] = []
    assert lead_client.post(url, data).status_code == 302  # no source is allowed
    store.record_review(entries=[entry], reviewer=lead, note="standard practice, confirmed")
    assert store.get_catalogue().next_steps["polypectomy"].review == "verified"
    source = Source.objects.create(key="lead-2027", citation="A source the lead confirmed.")
    data["sources"] = [source.pk]
    assert lead_client.post(url, data).status_code == 302
    shown = store.get_catalogue().next_steps["polypectomy"]
    assert shown.sources == ("lead-2027",)
    assert shown.review == "pending_review"  # a changed entry waits for a new review


@pytest.mark.parametrize(
    "facts, code, expected",
    [
        # The thyroid guideline's advice: recurrent miscarriage and low reserve are its factors;
        # the thresholds that recognise them (eshre-rpl-2017, poseidon-2016) are not cited for it.
        ({"tsh": 3, "tpo_positive": True, "miscarriages": 2}, "thyroid_treatment", ["eta-2021"]),
        (
            {"tsh": 3, "tpo_positive": True, "amh": {"value": 0.5, "unit": "ng/mL"}, "afc": 3},
            "thyroid_treatment",
            ["eta-2021"],
        ),
        ({"tsh": 6}, "thyroid_treatment", ["eta-2021"]),
    ],
)
def test_an_answer_cites_only_what_says_its_claim(catalogue, facts, code, expected):
    item = step(assess(catalogue, age=36, **facts), code)
    assert item["sources"] == expected


def test_a_threshold_read_without_citing_it_still_counts_for_review(catalogue):
    # rpl_losses is pending review: a claim that rests on it is pending too.
    item = step(
        assess(catalogue, age=30, tsh=3, tpo_positive=True, miscarriages=2), "thyroid_treatment"
    )
    assert item["review"] == "pending_review"
