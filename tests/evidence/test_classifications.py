"""POSEIDON, Bologna and hyper-response risk: fires, does not fire, boundaries, unknowns."""

import pytest

from .helpers import assess


def ng(value):
    return {"value": value, "unit": "ng/mL"}


# --- POSEIDON -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "facts, group, subgroup",
    [
        ({"age": 30, "amh": ng(0.8), "afc": 10}, 3, None),
        ({"age": 34, "amh": ng(1.19), "afc": 10}, 3, None),
        ({"age": 35, "amh": ng(1.0), "afc": 10}, 4, None),
        ({"age": 36, "amh": ng(2.0), "afc": 4}, 4, None),
        ({"age": 38, "afc": 3}, 4, None),  # low AFC is enough; AMH unknown
        ({"age": 30, "amh": ng(1.2), "afc": 5, "previous_oocytes": [3]}, 1, "1a"),
        ({"age": 30, "amh": ng(2.0), "afc": 9, "previous_oocytes": [4]}, 1, "1b"),
        ({"age": 30, "amh": ng(2.0), "afc": 9, "previous_oocytes": [9]}, 1, "1b"),
        ({"age": 35, "amh": ng(2.0), "afc": 9, "previous_oocytes": [2]}, 2, "2a"),
        ({"age": 38, "amh": ng(2.0), "afc": 9, "previous_oocytes": [2, 6]}, 2, "2b"),
        (
            {
                "age": 30,
                "amh": {"value": 8.568, "unit": "pmol/L"},
                "afc": 9,
                "previous_oocytes": [3],
            },
            1,
            "1a",
        ),
        ({"age": 30, "amh": {"value": 8.5, "unit": "pmol/L"}, "afc": 9}, 3, None),
    ],
)
def test_poseidon_groups(catalogue, facts, group, subgroup):
    classification = assess(catalogue, **facts)["classification"]
    assert classification["poseidon_group"] == group
    assert classification["poseidon_subgroup"] == subgroup


@pytest.mark.parametrize(
    "facts, status",
    [
        ({"age": 30, "amh": ng(2.0), "afc": 9, "previous_oocytes": [10]}, "not_low_prognosis"),
        ({"age": 30, "amh": ng(2.0), "afc": 9, "previous_oocytes": [3, 12]}, "not_low_prognosis"),
        ({"age": 30, "amh": ng(2.0), "afc": 9, "previous_oocytes": []}, "not_low_prognosis"),
        ({"age": 30, "amh": ng(2.0), "afc": 9}, "unknown"),
        ({"age": 30, "amh": ng(2.0)}, "unknown"),
        ({"age": 30}, "unknown"),
    ],
)
def test_poseidon_has_no_group_without_low_reserve_or_poor_response(catalogue, facts, status):
    answer = assess(catalogue, **facts)
    assert answer["classification"]["poseidon_group"] is None
    detail = answer["classification"]["details"]["poseidon_group"]
    assert detail["status"] == status
    assert detail["reason"]


def test_poseidon_shows_the_facts_it_used(catalogue):
    detail = assess(catalogue, age=36, amh=ng(0.8), afc=4)["classification"]["details"][
        "poseidon_group"
    ]
    assert detail["facts_used"] == {"amh_ng_ml": 0.8, "afc": 4, "age": 36}
    assert detail["sources"][0] == "poseidon-2016"


# --- Bologna ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "facts, expected",
    [
        ({"age": 41, "amh": ng(0.4)}, True),  # age + abnormal reserve test
        ({"age": 40, "previous_oocytes": [3]}, True),  # boundary age, boundary poor response
        ({"age": 39, "previous_oocytes": [3], "afc": 4}, True),
        ({"age": 38, "amh": ng(0.8), "afc": 4, "previous_oocytes": [3, 2]}, True),
        (
            {
                "age": 30,
                "previous_cycles": [
                    {"oocytes": 2, "maximal_stimulation": True},
                    {"oocytes": 1, "maximal_stimulation": True},
                ],
                "amh": ng(3.0),
                "afc": 15,
            },
            True,
        ),  # two poor responses after maximal stimulation
        (
            {
                "age": 30,
                "previous_cycles": [{"oocytes": 2, "maximal_stimulation": True}],
                "amh": ng(3.0),
                "afc": 15,
            },
            False,
        ),
        ({"age": 40, "previous_oocytes": [4], "amh": ng(2.0), "afc": 10}, False),
        ({"age": 30, "amh": ng(3.0), "afc": 15, "previous_oocytes": [10]}, False),
        ({"age": 39, "amh": ng(1.1), "afc": 7, "previous_oocytes": [3]}, False),  # cut-offs
        ({"age": 39, "amh": ng(1.09), "afc": 7, "previous_oocytes": [3]}, True),
        ({"age": 39, "amh": ng(2.0), "afc": 6, "previous_oocytes": [3]}, True),
        ({"age": 41}, None),  # one criterion met, two unknown
        ({"age": 30, "previous_oocytes": [3]}, None),
        # No previous cycles recorded: two poor responses after maximal stimulation would
        # suffice on their own, so the answer waits (clinical-reference section 8).
        ({"age": 30, "amh": ng(3.0), "afc": 15}, None),
    ],
)
def test_bologna_poor_responder(catalogue, facts, expected):
    assert assess(catalogue, **facts)["classification"]["bologna_poor_responder"] is expected


def test_bologna_says_what_is_missing_when_undecided(catalogue):
    detail = assess(catalogue, age=41)["classification"]["details"]["bologna_poor_responder"]
    assert "previous response" in detail["reason"]
    assert "ovarian reserve test" in detail["reason"]


# --- Hyper-response -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "facts, expected",
    [
        ({"amh": ng(3.37)}, True),
        ({"amh": ng(3.36)}, False),
        ({"afc": 25}, True),
        ({"afc": 24}, False),
        ({"previous_oocytes": [12]}, True),
        ({"previous_oocytes": [11]}, False),
        ({"previous_oocytes": [4, 16]}, True),
        ({"amh": {"value": 24.0, "unit": "pmol/L"}, "afc": 12}, True),  # 3.36 ng/mL is 24 pmol/L
        ({"amh": ng(0.8), "afc": 4, "previous_oocytes": [3, 2]}, False),
        ({}, None),
    ],
)
def test_hyper_response_risk(catalogue, facts, expected):
    assert assess(catalogue, age=30, **facts)["classification"]["hyper_response_risk"] is expected


def test_a_previous_hyper_response_is_named(catalogue):
    detail = assess(catalogue, age=30, previous_oocytes=[18])["classification"]["details"][
        "hyper_response_risk"
    ]
    assert "hyper-response (18 oocytes)" in detail["reason"]
    assert detail["review"] == "verified"
    assert detail["sources"] == ["hera-2023", "hochberg-2025"]


def test_classifications_are_null_when_nothing_is_known(catalogue):
    classification = assess(catalogue, age=30)["classification"]
    assert classification["poseidon_group"] is None
    assert classification["bologna_poor_responder"] is None
    assert classification["hyper_response_risk"] is None
