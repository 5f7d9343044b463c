"""Stored findings in words: what was found, what was not, and what is not recorded yet."""

from datetime import date
from types import SimpleNamespace

import pytest

from workup.documents.findings import describe, transfer_history
from workup.evidence.facts import parse_facts


def facts(catalogue, **data):
    return parse_facts({"age": 37, **data}, **catalogue.codes_for_facts())


def row(**values):
    """A stand-in for the Findings row: only the columns the engine does not read."""
    defaults = {
        "aps_first_test_date": None,
        "aps_repeat_test_date": None,
        "hysteroscopy_date": None,
        "ce_biopsy_date": None,
        "amh_unit": "ng/mL",
    }
    return SimpleNamespace(**{**defaults, **values})


@pytest.mark.parametrize(
    "code, data, expected",
    [
        ("lifestyle", {}, "Smoking not recorded; BMI not recorded"),
        ("lifestyle", {"smoker": True, "bmi": 31.2}, "Smoker; BMI 31.2 kg/m²"),
        (
            "lifestyle",
            {"smoker": False, "bmi": 22, "alcohol_units_week": 4},
            "Non-smoker; BMI 22 kg/m²; alcohol 4 units a week",
        ),
        ("thyroid", {"tsh": 2.5, "tpo_positive": True}, "TSH 2.5 mIU/L; TPO antibodies positive"),
        ("thyroid", {"tsh": 2.5}, "TSH 2.5 mIU/L; TPO antibodies not recorded"),
        ("aps_screen", {}, "Not recorded"),
        ("aps_screen", {"aps": "not_tested"}, "Not tested"),
        ("aps_screen", {"aps": "single_positive"}, "Positive once, not yet repeated"),
        ("aps_screen", {"aps": "confirmed"}, "Confirmed (persistently positive)"),
        ("karyotype", {"karyotype": "abnormal"}, "Abnormal"),
        ("karyotype", {}, "Not recorded"),
        ("embryo_review", {"embryo_review": {"done": True}}, "Done"),
        ("pgta", {}, "Not recorded"),
        (
            "pgta",
            {"pgta": {"done": True, "euploid": 2, "aneuploid": 1, "mosaic": 0}},
            "PGT-A done; 2 euploid; 1 aneuploid; 0 mosaic",
        ),
        (
            "pgta",
            {"pgta": {"done": False, "discussed": True}},
            "PGT-A not done; discussed with the patient",
        ),
        ("hysteroscopy", {}, "Not recorded"),
        ("hysteroscopy", {"hysteroscopy": {"done": False}}, "Not done"),
        (
            "hysteroscopy",
            {"hysteroscopy": {"polyp": True, "septum": False}},
            "Done; polyp found; submucosal fibroid not recorded; no septum; adhesions not "
            "recorded; signs of endometritis not recorded",
        ),
        (
            "ce_biopsy",
            {"ce_biopsy": {"cd138_positive": True, "treated": True}},
            "Done; CD138 positive; antibiotics given; re-biopsy not recorded",
        ),
        (
            "ce_biopsy",
            {
                "ce_biopsy": {
                    "cd138_positive": True,
                    "treated": True,
                    "rebiopsy_negative": False,
                    "second_line_treated": True,
                    "second_line_rebiopsy_negative": True,
                }
            },
            "Done; CD138 positive; antibiotics given; re-biopsy still positive; second-line "
            "antibiotics given; re-biopsy after second line negative",
        ),
        (
            "ce_biopsy",
            {"ce_biopsy": {"done": True, "cd138_positive": False}},
            "Done; CD138 negative",
        ),
        ("hydrosalpinx_check", {"hydrosalpinx": True}, "Hydrosalpinx found"),
        ("hydrosalpinx_check", {"hydrosalpinx": False}, "No hydrosalpinx"),
        ("hydrosalpinx_check", {}, "Result not recorded"),
        ("adenomyosis_imaging", {"adenomyosis": True}, "Adenomyosis found"),
        ("ovarian_reserve", {"afc": 9}, "AMH not recorded; AFC 9"),
        ("response_review", {}, "Not recorded"),
        ("response_review", {"previous_oocytes": []}, "No previous stimulation"),
        (
            "response_review",
            {
                "previous_cycles": [
                    {"oocytes": 1, "daily_dose_iu": 450, "protocol": "long_agonist"},
                    {"oocytes": 2, "maximal_stimulation": True, "ohss": False},
                ]
            },
            "Cycle 1: 1 oocyte, 450 IU a day, long agonist; cycle 2: 2 oocytes, maximal "
            "stimulation, no OHSS",
        ),
        ("a_new_investigation", {"smoker": True}, "Not recorded"),
    ],
)
def test_findings_in_words(catalogue, code, data, expected):
    assert describe(code, facts(catalogue, **data), row()) == expected


def test_the_dates_and_the_unit_as_entered_come_from_the_findings_row(catalogue):
    f = facts(
        catalogue,
        aps="single_positive",
        aps_first_test_date="2026-09-01",
        hysteroscopy={"polyp": False},
        amh={"value": 10.0, "unit": "pmol/L"},
        afc=6,
    )
    stored = row(
        aps_first_test_date=date(2026, 9, 1),
        hysteroscopy_date=date(2026, 10, 2),
        amh_unit="pmol/L",
    )
    assert describe("aps_screen", f, stored) == (
        "Positive once, not yet repeated; first test 1 Sep 2026"
    )
    assert describe("hysteroscopy", f, stored).startswith("Done 2 Oct 2026; no polyp")
    assert describe("ovarian_reserve", f, stored) == "AMH 10 pmol/L (1.4 ng/mL); AFC 6"


@pytest.mark.parametrize(
    "data, expected",
    [
        ({}, "Failed transfers not recorded; miscarriages not recorded"),
        (
            {"failed_transfers": 1, "miscarriages": 1},
            "1 failed transfer; 1 miscarriage",
        ),
        (
            {"failed_transfers": 3, "euploid_failed_transfers": 2, "miscarriages": 0},
            "3 failed transfers (2 euploid); 0 miscarriages",
        ),
    ],
)
def test_the_transfer_history_line(catalogue, data, expected):
    assert transfer_history(facts(catalogue, **data)) == expected
