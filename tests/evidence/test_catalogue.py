"""The evidence catalogue: complete against the reference, cited, honest about review."""

import json
import re

import pytest
from django.urls import reverse

from workup.evidence import engine, store
from workup.evidence.catalogue import FIXTURE
from workup.evidence.models import (
    ENTRY_MODELS,
    AddOn,
    CatalogueVersion,
    NextStep,
    Source,
)

# Every code of shared/clinical-reference.md, by kind.
REFERENCE_INVESTIGATIONS = {
    "lifestyle",
    "thyroid",
    "aps_screen",
    "karyotype",
    "embryo_review",
    "pgta",
    "uterine_imaging",
    "hysteroscopy",
    "ce_biopsy",
    "hydrosalpinx_check",
    "adenomyosis_imaging",
    "ovarian_reserve",
    "response_review",
}
REFERENCE_NEXT_STEPS = {
    "polypectomy",
    "fibroid_resection",
    "adhesiolysis",
    "septum_review",
    "ce_antibiotics",
    "ce_rebiopsy",
    "ce_second_line",
    "hydrosalpinx_surgery",
    "adenomyosis_plan",
    "aps_treatment",
    "aps_confirm",
    "thyroid_treatment",
    "lifestyle_support",
    "genetic_counselling",
    "stimulation_plan",
    "pgta_discuss",
}
REFERENCE_ADDONS = {
    "intralipids",
    "ivig",
    "corticosteroids",
    "anti_tnf",
    "tacrolimus",
    "pbmc",
    "rlif",
    "lit",
    "g_csf",
    "heparin",
    "aspirin",
    "intrauterine_hcg",
    "prp",
    "endometrial_scratching",
    "era",
    "nk_testing",
    "hla_kir_testing",
    "thrombophilia_testing",
    "sperm_dna_fragmentation",
    "assisted_hatching",
    "embryo_glue",
    "time_lapse",
    "growth_hormone",
    "dhea",
}
REFERENCE_SOURCES = {
    "aksoy-2026",
    "eshre-rif-2023",
    "eshre-addons-2023",
    "eshre-rpl-2017",
    "eshre-rpl-2022",
    "hfea-addons",
    "lugano-2023",
    "pirtea-2021",
    "busnelli-2020",
    "busnelli-2021",
    "melo-2022",
    "moffett-2015",
    "sfakianoudis-2021",
    "wang-2021",
    "kainz-2000",
    "kitaya-2017",
    "cicinelli-2015",
    "vitagliano-2018",
    "bologna-2011",
    "poseidon-2016",
    "hera-2023",
    "hochberg-2025",
    "bosch-2020",
    "broekmans-2019",
    "eta-2021",
    "pgdis-2019",
    "hou-2018",
    "doyle-2022",
    "oudshoorn-2017",
    "leijdekkers-2020",
}


def raw_fixture():
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_every_reference_code_is_in_the_catalogue(catalogue):
    assert set(catalogue.investigations) >= REFERENCE_INVESTIGATIONS
    assert set(catalogue.next_steps) >= REFERENCE_NEXT_STEPS
    assert set(catalogue.addons) >= REFERENCE_ADDONS
    assert set(catalogue.sources) >= REFERENCE_SOURCES


def test_every_entry_cites_sources_that_exist(catalogue):
    for entry in catalogue.all_entries():
        if not entry.sources:  # "no source in the catalogue yet": honest, and never verified
            assert entry.review == "pending_review", entry.code
        missing = set(entry.sources) - set(catalogue.sources)
        assert not missing, f"{entry.code} cites missing {missing}"


def test_the_fixture_checker_catches_a_missing_source():
    data = raw_fixture()
    data["addons"][0]["sources"].append("no-such-source")
    data["next_steps"][0]["sources"] = []  # aps_treatment, verified
    problems = store.check_fixture(data)
    assert any("cites missing source 'no-such-source'" in p for p in problems)
    assert "next_steps/aps_treatment: verified, but cites no source" in problems


def test_only_entries_verified_in_every_part_are_marked_verified():
    for kind in store.plain.ENTRY_KINDS:
        for raw in raw_fixture()[kind]:
            all_v = bool(raw["tags"]) and all(t == "V" for t in raw["tags"].values())
            expected = "verified" if all_v else "pending_review"
            assert raw["review"] == expected, f"{kind}/{raw['code']}"


@pytest.mark.parametrize(
    "kind, code",
    [
        ("implantation_chances", "untested_35_37"),  # U: to be confirmed by the lead
        ("parameters", "rif_threshold"),  # U for the exact wording
        ("next_steps", "polypectomy"),  # U: standard practice
        ("addons", "tacrolimus"),
        ("parameters", "aps_repeat_weeks"),  # the 12-week interval is U
    ],
)
def test_what_the_reference_leaves_unverified_is_pending_review(catalogue, kind, code):
    assert getattr(catalogue, kind)[code].review == "pending_review"


def test_per_transfer_chances_are_data_not_constants(catalogue):
    chances = {c.code: c.chance for c in catalogue.implantation_chances.values()}
    assert chances == {
        "euploid_any_age": 0.60,
        "untested_under_35": 0.45,
        "untested_35_37": 0.38,
        "untested_38_40": 0.28,
        "untested_41_42": 0.18,
        "untested_over_42": 0.08,
    }


def test_every_rule_names_existing_source_keys_in_its_docstring(catalogue):
    rules = [
        *engine.FINDING_RULES,
        engine.stimulation_plan_step,
        engine.rif_label,
        engine.poseidon_group,
        engine.bologna_poor_responder,
        engine.hyper_response_risk,
        engine.gated_investigation_indicated,
        engine.addon_is_indicated,
        engine.addon_flags,
        engine.cumulative_implantation_chance,
    ]
    for rule in rules:
        doc = rule.__doc__ or ""
        keys = set(re.findall(r"[a-z]+(?:-[a-z]+)*-\d{4}|hfea-addons|nice-cg156", doc))
        if "no source in the catalogue yet" in " ".join(doc.split()).lower():
            continue  # the reference gives none: the rule says so instead of borrowing one
        assert keys, f"{rule.__name__} names no source key"
        assert keys <= set(catalogue.sources), f"{rule.__name__}: {keys - set(catalogue.sources)}"


# --- loading into the database ------------------------------------------------------------------


@pytest.fixture
def empty_catalogue(db):
    """Start without a catalogue (the suite's database has one loaded)."""
    for model in (*ENTRY_MODELS.values(), Source, CatalogueVersion):
        model.objects.all().delete()
    store._parsed.clear()


def test_loading_is_idempotent_and_keeps_reviews(empty_catalogue, lead):
    first = store.load_fixture()
    entries = sum(len(raw_fixture()[kind]) for kind in store.plain.ENTRY_KINDS)
    assert first.created == entries and not first.problems
    entry = NextStep.objects.get(code="polypectomy")
    store.record_review(entries=[entry], reviewer=lead, note="Checked against the guideline")
    again = store.load_fixture()
    assert again.created == again.updated == 0
    entry.refresh_from_db()
    assert entry.review_status == "verified"
    assert entry.reviewed_by == lead
    assert store.get_catalogue().next_steps["polypectomy"].review == "verified"
    assert store.get_catalogue().next_steps["polypectomy"].reviewed_by == "lena"


@pytest.mark.django_db
def test_a_changed_fixture_entry_takes_the_new_text_and_loses_its_review(lead, tmp_path):
    store.record_review(
        entries=NextStep.objects.filter(code="polypectomy"), reviewer=lead, note="ok"
    )
    data = raw_fixture()
    for raw in data["next_steps"]:
        if raw["code"] == "polypectomy":
            raw["summary"] = "Remove the polyp before the next transfer (revised text)."
    data["addons"] = [a for a in data["addons"] if a["code"] != "dhea"]
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    report = store.load_fixture(path)
    assert (report.updated, report.retired) == (1, 1)
    entry = NextStep.objects.get(code="polypectomy")
    assert entry.review_status == "pending_review" and entry.reviewed_by is None
    catalogue = store.get_catalogue()
    assert "revised text" in catalogue.next_steps["polypectomy"].summary
    assert "dhea" not in catalogue.addons
    assert AddOn.objects.get(code="dhea").retired


def test_a_fixture_with_problems_loads_nothing(empty_catalogue, tmp_path):
    data = raw_fixture()
    data["addons"][0]["sources"] = ["nowhere"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    report = store.load_fixture(path)
    assert report.problems
    assert not CatalogueVersion.objects.exists()


@pytest.mark.django_db
def test_the_snapshot_is_read_in_one_query(django_assert_num_queries):
    store._parsed.clear()
    store.get_catalogue()
    with django_assert_num_queries(1):
        store.get_catalogue()


@pytest.mark.django_db
def test_editing_an_entry_in_the_admin_puts_it_back_to_pending(lead_client, lead):
    entry = NextStep.objects.get(code="ce_rebiopsy")
    assert entry.review_status == "verified"
    url = reverse("admin:evidence_nextstep_change", args=[entry.pk])
    form = lead_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["sources"] = [s.pk for s in entry.sources.all()]
    data["tags"] = json.dumps(entry.tags)
    data["summary"] = "Repeat the biopsy after antibiotics (edited)."
    response = lead_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry.refresh_from_db()
    assert entry.review_status == "pending_review"
    assert store.get_catalogue().next_steps["ce_rebiopsy"].summary.endswith("(edited).")


@pytest.mark.django_db
def test_only_the_lead_may_record_reviews(clinician_client):
    response = clinician_client.get(reverse("admin:evidence_parameter_changelist"))
    assert response.status_code == 302  # clinicians are not admin staff
