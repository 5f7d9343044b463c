"""Facts validation: every bad field named, nothing guessed, unknown kept apart from false."""

import pytest

from workup.evidence.facts import AMH_PMOL_PER_NG, FactsError, parse_facts, validate_fragment
from workup.evidence.service import decode_json

EXAMPLE = {
    "age": 38,
    "bmi": 24.5,
    "smoker": False,
    "failed_transfers": 3,
    "euploid_failed_transfers": 0,
    "miscarriages": 0,
    "pgta": {"done": False, "euploid": 0, "aneuploid": 0, "mosaic": 0},
    "hysteroscopy": {
        "done": True,
        "polyp": False,
        "submucosal_fibroid": False,
        "septum": False,
        "adhesions": False,
    },
    "ce_biopsy": {
        "done": True,
        "cd138_positive": True,
        "treated": False,
        "rebiopsy_negative": None,
    },
    "hydrosalpinx": False,
    "adenomyosis": None,
    "amh": {"value": 0.8, "unit": "ng/mL"},
    "afc": 4,
    "previous_oocytes": [3, 2],
    "tsh": 2.1,
    "tpo_positive": False,
    "aps": "not_tested",
    "karyotype": "normal",
    "addons_requested": ["intralipids", "ivig"],
}


def parse(catalogue, data):
    return parse_facts(data, **catalogue.codes_for_facts())


def errors_of(catalogue, data):
    with pytest.raises(FactsError) as caught:
        parse(catalogue, data)
    return caught.value.errors


def test_the_contract_example_is_valid(catalogue):
    facts = parse(catalogue, EXAMPLE)
    assert facts.age == 38
    assert facts.amh.ng_ml == 0.8
    assert facts.previous_oocytes == (3, 2)
    assert facts.adenomyosis is None
    assert facts.addons_requested == ("intralipids", "ivig")


def test_facts_round_trip_through_their_canonical_form(catalogue):
    facts = parse(catalogue, EXAMPLE)
    again = parse(catalogue, facts.to_dict())
    assert again == facts
    assert "adenomyosis" not in facts.to_dict()  # unknown stays unknown, not false


def test_only_age_is_required(catalogue):
    assert parse(catalogue, {"age": 30}).failed_transfers is None
    assert errors_of(catalogue, {}) == {
        "age": ["Age is required (a whole number of years, 18 to 60)."]
    }
    assert "age" in errors_of(catalogue, {"age": None})


@pytest.mark.parametrize(
    "data, path",
    [
        ({"age": "38"}, "age"),
        ({"age": 17}, "age"),
        ({"age": 61}, "age"),
        ({"age": 38.5}, "age"),
        ({"age": True}, "age"),
        ({"age": 38, "bmi": 11.9}, "bmi"),
        ({"age": 38, "bmi": 80.1}, "bmi"),
        ({"age": 38, "bmi": "24"}, "bmi"),
        ({"age": 38, "smoker": "no"}, "smoker"),
        ({"age": 38, "smoker": 0}, "smoker"),
        ({"age": 38, "failed_transfers": -1}, "failed_transfers"),
        ({"age": 38, "failed_transfers": 2.5}, "failed_transfers"),
        ({"age": 38, "failed_transfers": False}, "failed_transfers"),
        ({"age": 38, "miscarriages": "two"}, "miscarriages"),
        ({"age": 38, "afc": 101}, "afc"),
        ({"age": 38, "tsh": -0.1}, "tsh"),
        ({"age": 38, "tsh": 100.5}, "tsh"),
        ({"age": 38, "aps": "positive"}, "aps"),
        ({"age": 38, "karyotype": "46XX"}, "karyotype"),
        ({"age": 38, "amh": 0.8}, "amh"),
        ({"age": 38, "amh": {"value": 0.8}}, "amh.unit"),
        ({"age": 38, "amh": {"value": 0.8, "unit": "mg/L"}}, "amh.unit"),
        ({"age": 38, "amh": {"value": -1, "unit": "ng/mL"}}, "amh.value"),
        ({"age": 38, "amh": {"value": 60, "unit": "ng/mL"}}, "amh.value"),
        ({"age": 38, "amh": {"unit": "ng/mL"}}, "amh.value"),
        ({"age": 38, "amh": {"value": 1, "unit": "ng/mL", "lab": "x"}}, "amh.lab"),
        ({"age": 38, "pgta": {"done": "yes"}}, "pgta.done"),
        ({"age": 38, "pgta": {"euploid": -2}}, "pgta.euploid"),
        ({"age": 38, "pgta": []}, "pgta"),
        ({"age": 38, "hysteroscopy": {"done": True, "polyps": True}}, "hysteroscopy.polyps"),
        ({"age": 38, "previous_oocytes": [3, "x"]}, "previous_oocytes.1"),
        ({"age": 38, "previous_oocytes": 3}, "previous_oocytes"),
        ({"age": 38, "previous_cycles": [{"daily_dose_iu": 300}]}, "previous_cycles.0.oocytes"),
        (
            {"age": 38, "previous_cycles": [{"oocytes": 3, "protocol": "x"}]},
            "previous_cycles.0.protocol",
        ),
        ({"age": 38, "addons_requested": ["intralipid"]}, "addons_requested.0"),
        ({"age": 38, "addons_requested": "intralipids"}, "addons_requested"),
        ({"age": 38, "addons_requested": [None]}, "addons_requested.0"),
        ({"age": 38, "colour": "blue"}, "colour"),
        ({"age": 38, "indicated_by_clinician": ["mri"]}, "indicated_by_clinician.0"),
        (
            {"age": 38, "not_indicated_by_clinician": {"karyotype": ""}},
            "not_indicated_by_clinician.karyotype",
        ),
        ({"age": 38, "completed_actions": ["intralipids"]}, "completed_actions.0"),
    ],
)
def test_each_bad_field_is_named(catalogue, data, path):
    errors = errors_of(catalogue, data)
    assert path in errors, errors
    assert all(isinstance(m, str) and m for m in errors[path])


def test_every_bad_field_is_reported_at_once(catalogue):
    errors = errors_of(
        catalogue,
        {"age": 17, "bmi": "x", "afc": -1, "unknown": 1, "addons_requested": ["nope"]},
    )
    assert set(errors) == {"age", "bmi", "afc", "unknown", "addons_requested.0"}


def test_messages_help_the_user(catalogue):
    errors = errors_of(catalogue, {"age": 38, "bmii": 24, "addons_requested": ["intralipid"]})
    assert "Did you mean 'bmi'?" in errors["bmii"][0]
    assert "Did you mean 'intralipids'?" in errors["addons_requested.0"][0]


@pytest.mark.parametrize(
    "data, path",
    [
        (
            {"age": 38, "failed_transfers": 2, "euploid_failed_transfers": 3},
            "euploid_failed_transfers",
        ),
        ({"age": 38, "hysteroscopy": {"done": False, "polyp": True}}, "hysteroscopy.polyp"),
        ({"age": 38, "pgta": {"done": False, "euploid": 2}}, "pgta.euploid"),
        (
            {"age": 38, "ce_biopsy": {"done": False, "cd138_positive": True}},
            "ce_biopsy.cd138_positive",
        ),
        (
            {"age": 38, "ce_biopsy": {"done": True, "cd138_positive": False, "treated": True}},
            "ce_biopsy.treated",
        ),
        (
            {"age": 38, "ce_biopsy": {"done": True, "rebiopsy_negative": True}},
            "ce_biopsy.rebiopsy_negative",
        ),
        (
            {"age": 38, "previous_oocytes": [3], "previous_cycles": [{"oocytes": 3}]},
            "previous_cycles",
        ),
        (
            {
                "age": 38,
                "indicated_by_clinician": ["karyotype"],
                "not_indicated_by_clinician": {"karyotype": "no"},
            },
            "not_indicated_by_clinician.karyotype",
        ),
    ],
)
def test_contradictory_facts_are_refused(catalogue, data, path):
    assert path in errors_of(catalogue, data)


def test_amh_in_pmol_per_litre_is_read_in_ng_per_ml_and_kept_as_entered(catalogue):
    facts = parse(catalogue, {"age": 38, "amh": {"value": 7.14, "unit": "pmol/L"}})
    assert facts.amh.value == 1.0
    assert facts.to_dict()["amh"] == {"value": 7.14, "unit": "pmol/L"}
    assert AMH_PMOL_PER_NG == 7.14


def test_amh_unit_spelling_is_forgiven(catalogue):
    assert parse(catalogue, {"age": 38, "amh": {"value": 5, "unit": "PMOL/l"}}).amh.unit == "pmol/L"


def test_a_recorded_result_means_the_investigation_was_done(catalogue):
    facts = parse(catalogue, {"age": 38, "hysteroscopy": {"polyp": True}})
    assert facts.hysteroscopy.done is True
    assert parse(catalogue, {"age": 38, "pgta": {"euploid": 0}}).pgta.done is None


def test_null_means_unknown(catalogue):
    facts = parse(catalogue, {"age": 38, "smoker": None, "pgta": None, "previous_oocytes": None})
    assert facts.smoker is None and facts.pgta is None and facts.previous_cycles is None


def test_detailed_cycles_round_trip(catalogue):
    data = {
        "age": 38,
        "previous_cycles": [{"oocytes": 3, "daily_dose_iu": 300, "maximal_stimulation": True}],
    }
    facts = parse(catalogue, data)
    assert facts.to_dict()["previous_cycles"] == data["previous_cycles"]
    assert facts.previous_oocytes == (3,)


def test_a_form_fragment_is_checked_without_age():
    assert validate_fragment({"afc": 12}) == {}
    assert validate_fragment({"afc": -3}) == {"afc": ["Must be between 0 and 100; got -3."]}


@pytest.mark.parametrize(
    "raw",
    [b"{", b"[1, 2", b"\xff\xfe", b"", b"not json"],
)
def test_malformed_json_is_an_error_under_json(raw):
    with pytest.raises(FactsError) as caught:
        decode_json(raw)
    assert list(caught.value.errors) == ["json"]


def test_deeply_nested_json_does_not_crash():
    with pytest.raises(FactsError):
        decode_json(b"[" * 100000 + b"]" * 100000)
