"""The stimulation block (contract 2): each rule fires, does not fire, and its boundaries.

Tests read what a clinician reads: the reason of the predicted response, the considerations'
words, each plan check's finding and evidence.
"""

import pytest

from workup.evidence import requirements
from workup.evidence.engine import all_statements
from workup.evidence.facts import FactsError, parse_facts

from .helpers import assess, step, with_values


def ng(value):
    return {"value": value, "unit": "ng/mL"}


NORMAL = {"age": 33, "amh": ng(2.0), "afc": 10}
HIGH = {"age": 33, "amh": ng(4.1), "afc": 28}
POOR = {"age": 38, "amh": ng(0.8), "afc": 4}


def stim(catalogue, **facts):
    return assess(catalogue, **facts)["stimulation"]


def cycle(oocytes, **extra):
    return {"oocytes": oocytes, **extra}


def codes(items):
    return [i["code"] for i in items]


def check(block, code):
    return next((c for c in block["plan_checks"] if c["code"] == code), None)


# --- each previous cycle's response ----------------------------------------------------------


@pytest.mark.parametrize(
    "entry, response",
    [
        (cycle(3, protocol="antagonist"), "poor"),  # boundary: 3 is poor
        (cycle(4, protocol="antagonist"), "normal"),  # 4 is not
        (cycle(0, protocol="long_agonist"), "poor"),
        (cycle(3), "poor"),  # unknown protocol counts as conventional
        (cycle(14, protocol="antagonist"), "normal"),  # boundary: 14 is not hyper
        (cycle(15, protocol="antagonist"), "hyper"),  # 15 is
        (cycle(1, protocol="natural"), "normal"),  # natural cycles are never poor
        (cycle(2, protocol="mild"), "normal"),  # nor mild ones
        (cycle(16, protocol="mild"), "hyper"),  # but 15 or more is a hyper-response
        (cycle(3, protocol="ppos"), "poor"),
    ],
)
def test_each_previous_cycle_has_its_response(catalogue, entry, response):
    block = stim(catalogue, age=36, previous_cycles=[entry])
    assert block["previous_cycles"][0]["response"] == response


@pytest.mark.parametrize(
    "protocol, words, review",
    [
        ("natural", "Natural cycles are not counted", "verified"),
        ("mild", "Mild-stimulation cycles are not counted", "pending_review"),
    ],
)
def test_few_oocytes_from_natural_or_mild_cycles_say_why_they_are_not_poor(
    catalogue, protocol, words, review
):
    entry = stim(catalogue, age=36, previous_cycles=[cycle(2, protocol=protocol)])[
        "previous_cycles"
    ][0]
    assert entry["note"].startswith(words)
    assert entry["review"] == review


def test_a_previous_cycle_carries_every_recorded_detail(catalogue):
    recorded = {
        "date": "2025-05-01",
        "protocol": "antagonist",
        "daily_dose_iu": 225,
        "maximal_stimulation": False,
        "trigger": "dual",
        "oocytes": 17,
        "mature_oocytes": 13,
        "ohss": "moderate",
        "freeze_all": True,
    }
    entry = stim(catalogue, age=33, previous_cycles=[recorded])["previous_cycles"][0]
    assert {k: entry[k] for k in recorded} == recorded
    assert entry["response"] == "hyper"
    assert entry["number"] == 1


@pytest.mark.parametrize("given, read", [(True, True), (False, "none"), ("severe", "severe")])
def test_ohss_takes_the_contract_1_boolean_or_a_grade(catalogue, given, read):
    entry = stim(catalogue, age=33, previous_cycles=[cycle(8, ohss=given)])["previous_cycles"][0]
    assert entry["ohss"] == read


# --- the predicted response ------------------------------------------------------------------


@pytest.mark.parametrize(
    "facts, value",
    [
        # Each hyper-response marker on its own, at its boundary.
        ({**NORMAL, "amh": ng(3.37), "previous_oocytes": [8]}, "high"),
        ({**NORMAL, "amh": ng(3.36), "previous_oocytes": [8]}, "normal"),
        ({**NORMAL, "afc": 25, "previous_oocytes": [8]}, "high"),
        ({**NORMAL, "afc": 24, "previous_oocytes": [8]}, "normal"),
        ({**NORMAL, "previous_oocytes": [12]}, "high"),  # more than 11 oocytes previously
        ({**NORMAL, "previous_oocytes": [11]}, "normal"),
        ({**NORMAL, "previous_oocytes": [15]}, "high"),  # a previous hyper-response
        ({"age": 33, "previous_oocytes": [16]}, "high"),  # a marker needs no other fact
        # Poor: POSEIDON 3 or 4, or Bologna.
        ({**POOR, "age": 30}, "poor"),  # POSEIDON group 3
        (POOR, "poor"),  # POSEIDON group 4
        ({"age": 36, "afc": 3}, "poor"),  # low AFC alone: group 4
        ({"age": 41, "amh": ng(1.5), "afc": 6, "previous_oocytes": [2]}, "poor"),  # Bologna
        # Normal: normal reserve, and no previous poor or hyper response.
        ({**NORMAL, "previous_oocytes": [8]}, "normal"),
        ({**NORMAL, "previous_oocytes": [4]}, "normal"),  # boundary: 4 is not poor
        ({**NORMAL, "previous_oocytes": []}, "normal"),  # no previous stimulation
        ({**NORMAL, "previous_cycles": [cycle(1, protocol="natural")]}, "normal"),
        ({**NORMAL, "previous_cycles": [cycle(2, protocol="mild")]}, "normal"),
        # Unknown.
        (NORMAL, None),  # the previous cycles are not recorded
        ({"age": 33, "amh": ng(2.0), "previous_oocytes": [8]}, None),  # AFC unknown
        ({"age": 33}, None),
        ({**NORMAL, "previous_oocytes": [3]}, None),  # normal reserve, previous poor response
        ({**NORMAL, "previous_cycles": [cycle(3, protocol="antagonist")]}, None),
    ],
)
def test_the_predicted_response(catalogue, facts, value):
    block = stim(catalogue, **facts)
    assert block["predicted_response"] == value
    assert block["reason"]


def test_a_high_response_rests_on_its_markers(catalogue):
    block = stim(catalogue, **HIGH, previous_cycles=[cycle(17, protocol="antagonist")])
    assert block["basis"] == {
        "age": 33,
        "amh_ng_ml": 4.1,
        "afc": 28,
        "best_previous_oocytes": 17,
        "previous_poor_responses": 0,
    }
    assert block["reason"] == (
        "Risk of hyper-response: AMH 4.1 ng/mL above 3.36; AFC 28 above 24; a previous "
        "hyper-response (17 oocytes)."
    )
    assert block["review"] == "verified"
    assert block["sources"] == ["hera-2023", "hochberg-2025"]


def test_a_poor_response_names_poseidon_and_bologna_and_is_pending_review(catalogue):
    block = stim(catalogue, **POOR, previous_oocytes=[3, 2])
    assert block["reason"].startswith("Low ovarian reserve (AMH below 1.2 ng/mL or AFC below 5)")
    assert "Poor responder: " in block["reason"]
    assert block["review"] == "pending_review"  # POSEIDON groups and the Bologna cut-off are U
    assert {"poseidon-2016", "bologna-2011"} <= set(block["sources"])
    assert block["basis"]["previous_poor_responses"] == 2


def test_a_normal_response_says_what_it_rests_on(catalogue):
    block = stim(catalogue, **NORMAL, previous_oocytes=[8, 6])
    assert block["reason"] == (
        "Normal ovarian reserve (AMH 2 ng/mL, AFC 10) and no previous poor or hyper-response "
        "(best previous cycle 8 oocytes)."
    )


@pytest.mark.parametrize(
    "facts, reason",
    [
        (NORMAL, "Not known yet: the previous cycles."),
        ({"age": 33}, "Not known yet: AMH, AFC and the previous cycles."),
        (
            {**NORMAL, "previous_oocytes": [3]},
            "Normal ovarian reserve, but a previous poor response (3 oocytes with conventional "
            "stimulation): neither a poor nor a normal response is predicted.",
        ),
    ],
)
def test_an_unknown_response_says_why(catalogue, facts, reason):
    block = stim(catalogue, **facts)
    assert block["predicted_response"] is None
    assert block["reason"] == reason
    assert block["review"] == "pending_review"


def test_markers_that_disagree_predict_high_and_say_so(catalogue):
    block = stim(catalogue, age=38, amh=ng(4.0), afc=3, previous_oocytes=[6])
    assert block["predicted_response"] == "high"
    assert "Poor-response criteria are met as well (POSEIDON group 4)" in block["reason"]
    assert "the markers disagree" in block["reason"]


# --- Bologna and POSEIDON read the records ---------------------------------------------------


@pytest.mark.parametrize(
    "cycles, bologna",
    [
        ([cycle(2, protocol="antagonist", date="2025-01-10")], True),
        ([cycle(2, protocol="mild", date="2025-01-10")], False),  # not conventional
        ([cycle(1, protocol="natural")], False),
        ([cycle(4, protocol="antagonist")], False),  # boundary: 4 is not poor
    ],
)
def test_bologna_counts_only_conventional_stimulation_in_the_records(catalogue, cycles, bologna):
    answer = assess(catalogue, age=41, amh=ng(1.5), afc=10, previous_cycles=cycles)
    assert answer["classification"]["bologna_poor_responder"] is bologna


def test_bologna_is_null_while_the_records_are_missing(catalogue):
    answer = assess(catalogue, age=41, amh=ng(1.5), afc=10)
    assert answer["classification"]["bologna_poor_responder"] is None


# --- considerations --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "facts, expected",
    [
        (
            {**HIGH, "previous_oocytes": [8]},
            [
                "reduced_dose_high_responder",
                "freeze_all_ohss_risk",
                "antagonist_agonist_trigger_high_responder",
                "dose_individualisation",
                "stimulation_guideline_bands",
            ],
        ),
        (
            {**POOR, "previous_oocytes": [2]},
            [
                "high_dose_poor_responder",
                "adjuvants_not_recommended",
                "dose_individualisation",
                "stimulation_guideline_bands",
            ],
        ),
        (
            {**NORMAL, "previous_oocytes": [8]},
            ["dose_individualisation", "stimulation_guideline_bands"],
        ),
        ({"age": 33}, ["dose_individualisation"]),
        (
            {**NORMAL, "previous_cycles": [cycle(9, ohss="moderate")]},
            ["freeze_all_ohss_risk", "dose_individualisation", "stimulation_guideline_bands"],
        ),
        (
            {**NORMAL, "previous_cycles": [cycle(9, ohss="severe")]},
            ["freeze_all_ohss_risk", "dose_individualisation", "stimulation_guideline_bands"],
        ),
        (
            {**NORMAL, "previous_cycles": [cycle(9, ohss="mild")]},
            ["dose_individualisation", "stimulation_guideline_bands"],
        ),
    ],
)
def test_considerations_follow_the_predicted_response_and_history(catalogue, facts, expected):
    assert codes(stim(catalogue, **facts)["considerations"]) == expected


def test_the_reduced_dose_consideration_quotes_the_trial_with_its_parameters(catalogue):
    item = stim(catalogue, **HIGH, previous_oocytes=[8])["considerations"][0]
    assert item["summary"] == (
        "Predicted high responder: in a trial of women with an AFC above 15, a reduced dose of "
        "100 IU a day gave similar cumulative live birth rates and less OHSS than 150 IU a day "
        "(Oudshoorn 2017); reducing the usual 150 IU may improve safety (Broekmans 2019)."
    )
    assert item["stance"] == "consider"
    assert item["review"] == "verified"
    assert item["sources"] == ["oudshoorn-2017", "broekmans-2019"]
    assert item["trigger"] == "Predicted high response."


@pytest.mark.parametrize(
    "code, review, sources, stance",
    [
        (
            "reduced_dose_high_responder",
            "verified",
            ["oudshoorn-2017", "broekmans-2019"],
            "consider",
        ),
        ("freeze_all_ohss_risk", "verified", ["hfea-addons"], "consider"),
        ("antagonist_agonist_trigger_high_responder", "pending_review", ["bosch-2020"], "consider"),
        ("stimulation_guideline_bands", "pending_review", ["bosch-2020"], None),
        ("dose_individualisation", "verified", ["broekmans-2019"], "consider"),
    ],
)
def test_high_responder_considerations_keep_the_references_tags(
    catalogue, code, review, sources, stance
):
    items = {i["code"]: i for i in stim(catalogue, **HIGH, previous_oocytes=[8])["considerations"]}
    assert items[code]["review"] == review
    assert items[code]["sources"] == sources
    assert items[code]["stance"] == stance


def test_the_poor_responder_consideration_is_pending_for_its_secondary_source(catalogue):
    items = {i["code"]: i for i in stim(catalogue, **POOR, previous_oocytes=[2])["considerations"]}
    high_dose = items["high_dose_poor_responder"]
    assert high_dose["summary"] == (
        "Predicted poor responder: high gonadotrophin doses lack a cost-benefit for the patient "
        "(Broekmans 2019), and doses higher than the standard showed no live-birth benefit "
        "(Leijdekkers 2020)."
    )
    assert high_dose["review"] == "pending_review"  # leijdekkers-2020 is S
    assert high_dose["sources"] == ["broekmans-2019", "leijdekkers-2020"]
    adjuvants = items["adjuvants_not_recommended"]
    assert adjuvants["stance"] == "not_recommended"
    assert adjuvants["review"] == "verified"


def test_freeze_all_after_ohss_says_which_cycle(catalogue):
    facts = {**NORMAL, "previous_cycles": [cycle(9), cycle(10, ohss="moderate")]}
    item = stim(catalogue, **facts)["considerations"][0]
    assert item["code"] == "freeze_all_ohss_risk"
    assert item["trigger"] == "Moderate OHSS (cycle 2)."
    assert item["summary"] == (
        "Elective freeze-all: the HFEA rates it green for reducing the risk of OHSS and amber "
        "(conflicting evidence) for live birth."
    )


def test_ohss_without_its_grade_asks_for_the_grade(catalogue):
    block = stim(catalogue, **NORMAL, previous_cycles=[cycle(9, ohss=True)])
    assert "freeze_all_ohss_risk" not in codes(block["considerations"])
    (note,) = block["notes"]
    assert note["text"] == (
        "OHSS is recorded without its grade (cycle 1): after a moderate or severe OHSS the plan "
        "is checked for elective freeze-all, so record the grade."
    )
    assert note["review"] == "pending_review"
    assert note["source_note"] == "standard practice; no source in the catalogue yet"


def test_no_note_when_a_graded_ohss_already_decides(catalogue):
    facts = {**NORMAL, "previous_cycles": [cycle(9, ohss=True), cycle(9, ohss="severe")]}
    assert stim(catalogue, **facts)["notes"] == []


# --- plan checks -----------------------------------------------------------------------------


def test_no_plan_no_checks(catalogue):
    block = stim(catalogue, **HIGH, previous_cycles=[cycle(20, ohss="severe")])
    assert block["planned_cycle"] is None
    assert block["plan_checks"] == []


@pytest.mark.parametrize(
    "previous, planned, status, finding",
    [
        (
            [cycle(2, protocol="antagonist", daily_dose_iu=225)],
            300,
            "departs",
            "Planned 300 IU a day, above the usual 150 IU a day (up from 225 IU a day before).",
        ),
        (
            # The same high dose again is still above the usual dose.
            [cycle(2, protocol="antagonist", daily_dose_iu=300)],
            300,
            "departs",
            "Planned 300 IU a day, above the usual 150 IU a day (the same as before).",
        ),
        (
            [cycle(2, protocol="antagonist", daily_dose_iu=300)],
            150,
            "meets",
            "Planned 150 IU a day, not above the usual 150 IU a day (down from 300 IU a day "
            "before).",
        ),
        (
            [cycle(2, protocol="antagonist")],
            151,  # boundary: one above the usual dose
            "departs",
            "Planned 151 IU a day, above the usual 150 IU a day (no previous dose recorded).",
        ),
        (
            [cycle(2, protocol="antagonist")],
            150,
            "meets",
            "Planned 150 IU a day, not above the usual 150 IU a day (no previous dose recorded).",
        ),
        (
            # A mild cycle's dose is not a conventional dose to compare with.
            [cycle(1, protocol="mild", daily_dose_iu=75)],
            150,
            "meets",
            "Planned 150 IU a day, not above the usual 150 IU a day (no previous dose recorded).",
        ),
    ],
)
def test_a_high_dose_for_a_predicted_poor_responder_is_shown_with_the_evidence(
    catalogue, previous, planned, status, finding
):
    block = stim(
        catalogue, **POOR, previous_cycles=previous, planned_cycle={"daily_dose_iu": planned}
    )
    found = check(block, "dose_increase_poor_responder")
    assert found["status"] == status
    assert found["finding"] == finding
    assert found["name"] == "Dose for a predicted poor responder"
    assert found["planned"] == {"daily_dose_iu": planned}
    assert found["evidence"].startswith("Predicted poor responder: high gonadotrophin doses")
    assert found["summary"] == f"{finding} {found['evidence']}"
    # The evidence's sources first, then the usual dose's own.
    assert found["sources"] == [
        "broekmans-2019",
        "leijdekkers-2020",
        "oudshoorn-2017",
    ]
    assert found["review"] == "pending_review"


def test_the_usual_dose_for_a_poor_responder_is_a_catalogue_parameter(catalogue):
    changed = with_values(catalogue, standard_dose_iu=225)
    block = stim(changed, **POOR, previous_oocytes=[2], planned_cycle={"daily_dose_iu": 225})
    assert check(block, "dose_increase_poor_responder")["status"] == "meets"


@pytest.mark.parametrize(
    "facts",
    [
        {**NORMAL, "previous_oocytes": [8]},  # normal responder
        {**HIGH, "previous_oocytes": [8]},  # high responder
        {"age": 33},  # unknown
    ],
)
def test_no_dose_increase_check_unless_a_poor_response_is_predicted(catalogue, facts):
    block = stim(catalogue, **facts, planned_cycle={"daily_dose_iu": 450})
    assert check(block, "dose_increase_poor_responder") is None


@pytest.mark.parametrize(
    "grade, freeze_all, status, finding",
    [
        ("moderate", False, "departs", "No freeze-all planned, after moderate OHSS (cycle 1)."),
        ("severe", False, "departs", "No freeze-all planned, after severe OHSS (cycle 1)."),
        ("moderate", True, "meets", "Freeze-all planned, after moderate OHSS (cycle 1)."),
        ("severe", True, "meets", "Freeze-all planned, after severe OHSS (cycle 1)."),
    ],
)
def test_freeze_all_after_a_moderate_or_severe_ohss(catalogue, grade, freeze_all, status, finding):
    block = stim(
        catalogue,
        **NORMAL,
        previous_cycles=[cycle(9, ohss=grade)],
        planned_cycle={"freeze_all": freeze_all},
    )
    found = check(block, "freeze_all_after_ohss")
    assert found["status"] == status
    assert found["finding"] == finding
    assert found["planned"] == {"freeze_all": freeze_all}
    assert found["sources"] == ["hfea-addons"]
    assert found["review"] == "verified"
    assert "green for reducing the risk of OHSS" in found["summary"]


@pytest.mark.parametrize("ohss", ["none", "mild", True, False, None])
def test_no_freeze_all_check_without_a_moderate_or_severe_ohss(catalogue, ohss):
    entry = cycle(9) if ohss is None else cycle(9, ohss=ohss)
    block = stim(catalogue, **NORMAL, previous_cycles=[entry], planned_cycle={"freeze_all": False})
    assert block["plan_checks"] == []


def test_no_freeze_all_check_while_the_plan_leaves_it_open(catalogue):
    block = stim(
        catalogue,
        **NORMAL,
        previous_cycles=[cycle(9, ohss="severe")],
        planned_cycle={"daily_dose_iu": 150},
    )
    assert check(block, "freeze_all_after_ohss") is None


@pytest.mark.parametrize(
    "dose, status, finding",
    [
        (150, "departs", "Planned 150 IU a day, not below the usual 150 IU."),
        (225, "departs", "Planned 225 IU a day, not below the usual 150 IU."),
        (149, "meets", "Planned 149 IU a day, below the usual 150 IU."),
        (100, "meets", "Planned 100 IU a day, below the usual 150 IU."),
    ],
)
def test_the_dose_of_a_predicted_high_responder(catalogue, dose, status, finding):
    block = stim(catalogue, **HIGH, previous_oocytes=[8], planned_cycle={"daily_dose_iu": dose})
    found = check(block, "reduced_dose_high_responder")
    assert (found["status"], found["finding"]) == (status, finding)
    assert found["review"] == "verified"


def test_the_usual_dose_is_a_catalogue_parameter(catalogue):
    changed = with_values(catalogue, standard_dose_iu=125)
    block = stim(changed, **HIGH, previous_oocytes=[8], planned_cycle={"daily_dose_iu": 125})
    found = check(block, "reduced_dose_high_responder")
    assert found["finding"] == "Planned 125 IU a day, not below the usual 125 IU."
    assert "than 125 IU a day" in found["evidence"]


@pytest.mark.parametrize(
    "planned, code, status, finding",
    [
        (
            {"protocol": "antagonist"},
            "antagonist_high_responder",
            "meets",
            "Planned protocol: GnRH antagonist.",
        ),
        (
            {"protocol": "long_agonist"},
            "antagonist_high_responder",
            "departs",
            "Planned protocol: long GnRH agonist.",
        ),
        (
            {"trigger": "agonist"},
            "agonist_trigger_high_responder",
            "meets",
            "Planned trigger: GnRH agonist.",
        ),
        ({"trigger": "hcg"}, "agonist_trigger_high_responder", "departs", "Planned trigger: hCG."),
        (
            {"trigger": "dual"},
            "agonist_trigger_high_responder",
            "departs",
            "Planned trigger: dual (GnRH agonist with hCG).",
        ),
    ],
)
def test_protocol_and_trigger_of_a_predicted_high_responder_are_pending_review(
    catalogue, planned, code, status, finding
):
    block = stim(catalogue, **HIGH, previous_oocytes=[8], planned_cycle=planned)
    found = check(block, code)
    assert (found["status"], found["finding"]) == (status, finding)
    assert found["review"] == "pending_review"  # bosch-2020 is U
    assert found["sources"] == ["bosch-2020"]


def test_protocol_and_trigger_are_not_checked_for_other_responders(catalogue):
    block = stim(
        catalogue,
        **NORMAL,
        previous_oocytes=[8],
        planned_cycle={"protocol": "long_agonist", "trigger": "hcg", "daily_dose_iu": 225},
    )
    assert block["plan_checks"] == []


@pytest.mark.parametrize("freeze_all, status", [(True, "meets"), (False, "departs")])
def test_freeze_all_for_a_predicted_high_responder(catalogue, freeze_all, status):
    block = stim(catalogue, **HIGH, previous_oocytes=[8], planned_cycle={"freeze_all": freeze_all})
    found = check(block, "freeze_all_high_responder")
    assert found["status"] == status
    # After a moderate or severe OHSS the OHSS check says it, once.
    block = stim(
        catalogue,
        **HIGH,
        previous_cycles=[cycle(20, ohss="severe")],
        planned_cycle={"freeze_all": freeze_all},
    )
    assert codes(block["plan_checks"]) == ["freeze_all_after_ohss"]


@pytest.mark.parametrize(
    "code, name", [("growth_hormone", "Growth hormone adjunct"), ("dhea", "DHEA adjunct")]
)
def test_adjuvants_in_the_plan_are_flagged_like_requested_add_ons(catalogue, code, name):
    answer = assess(catalogue, **POOR, previous_oocytes=[2], planned_cycle={"adjuvants": [code]})
    block = answer["stimulation"]
    (flag,) = block["adjuvant_flags"]
    assert flag["code"] == code and flag["flagged"] is True
    assert flag["stance"] == "not_recommended"
    found = check(block, "adjuvant_addon")
    assert found["status"] == "departs"
    assert found["addon"] == code
    assert found["finding"] == f"Planned adjuvant: {name}, an add-on flagged for this patient."
    assert found["evidence"] == "ESHRE (2023) does not recommend it."
    assert found["sources"] == ["eshre-addons-2023"]
    # The plan's adjuvants are not the patient's requests.
    assert answer["addon_flags"] == []


def test_aspirin_as_an_adjuvant_with_confirmed_aps_is_not_flagged(catalogue):
    block = stim(
        catalogue,
        **NORMAL,
        aps="confirmed",
        miscarriages=3,
        planned_cycle={"adjuvants": ["aspirin"]},
    )
    found = check(block, "adjuvant_addon")
    assert found["status"] == "meets"
    assert found["finding"] == "Planned adjuvant: Low-dose aspirin, indicated for this patient."


def test_a_whole_plan_for_a_high_responder_after_ohss(catalogue):
    block = stim(
        catalogue,
        **HIGH,
        previous_cycles=[
            cycle(17, date="2025-05-01", protocol="antagonist", daily_dose_iu=225, ohss="moderate")
        ],
        planned_cycle={
            "protocol": "antagonist",
            "daily_dose_iu": 100,
            "trigger": "agonist",
            "freeze_all": True,
            "adjuvants": ["growth_hormone"],
        },
    )
    assert [(c["code"], c["status"]) for c in block["plan_checks"]] == [
        ("freeze_all_after_ohss", "meets"),
        ("reduced_dose_high_responder", "meets"),
        ("antagonist_high_responder", "meets"),
        ("agonist_trigger_high_responder", "meets"),
        ("adjuvant_addon", "departs"),
    ]
    assert block["planned_cycle"] == {
        "protocol": "antagonist",
        "daily_dose_iu": 100,
        "trigger": "agonist",
        "freeze_all": True,
        "adjuvants": ["growth_hormone"],
    }


def test_every_check_and_consideration_is_sourced_or_says_it_is_not(catalogue):
    block = stim(
        catalogue,
        **POOR,
        previous_cycles=[cycle(2, daily_dose_iu=300, ohss="severe"), cycle(3, ohss=True)],
        planned_cycle={"daily_dose_iu": 450, "freeze_all": False, "adjuvants": ["dhea"]},
    )
    for item in block["considerations"] + block["plan_checks"] + block["notes"]:
        assert item["sources"] or item["source_note"], item["code"]
        assert item["review"] in ("verified", "pending_review")


# --- the stimulation plan step names the predicted response -----------------------------------


@pytest.mark.parametrize(
    "facts, start",
    [
        ({**HIGH, "previous_oocytes": [8]}, "Predicted high response; "),
        ({**POOR, "previous_oocytes": [2]}, "Predicted poor response; "),
        ({**NORMAL, "previous_oocytes": [8]}, "Predicted normal response; "),
        ({"age": 33}, "Predicted response not known yet"),
    ],
)
def test_the_stimulation_plan_step_names_the_predicted_response(catalogue, facts, start):
    plan = step(assess(catalogue, **facts), "stimulation_plan")
    assert plan["trigger"].startswith(start)
    assert plan["sources"] == ["broekmans-2019"]


# --- input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "facts, path, message",
    [
        (
            {"previous_cycles": [cycle(3, mature_oocytes=4)]},
            "previous_cycles.0.mature_oocytes",
            "Cannot exceed the oocytes retrieved (3); mature oocytes are part of them.",
        ),
        (
            {"previous_cycles": [cycle(3, ohss="grade 2")]},
            "previous_cycles.0.ohss",
            'Expected one of none, mild, moderate, severe (or true/false); got the text "grade 2".',
        ),
        (
            {"previous_cycles": [cycle(3, trigger="kisspeptin")]},
            "previous_cycles.0.trigger",
            'Expected one of hcg, agonist, dual; got the text "kisspeptin".',
        ),
        (
            {"previous_cycles": [cycle(3, date="2025-13-01")]},
            "previous_cycles.0.date",
            'Not a valid date (YYYY-MM-DD): the text "2025-13-01".',
        ),
        (
            {"previous_cycles": [cycle(3, daily_dose_iu=601)]},
            "previous_cycles.0.daily_dose_iu",
            "Must be between 0 and 600 IU per day; got 601.",
        ),
        (
            {"planned_cycle": {"daily_dose_iu": 700}},
            "planned_cycle.daily_dose_iu",
            "Must be between 0 and 600 IU per day; got 700.",
        ),
        (
            {"planned_cycle": {"adjuvants": ["growth_hormon"]}},
            "planned_cycle.adjuvants.0",
            "Unknown add-on 'growth_hormon'. Did you mean 'growth_hormone'?",
        ),
        (
            {"planned_cycle": {"dose": 150}},
            "planned_cycle.dose",
            "Unknown field. Known fields here: adjuvants, daily_dose_iu, freeze_all, protocol, "
            "trigger.",
        ),
        (
            {"planned_cycle": {"freeze_all": "yes"}},
            "planned_cycle.freeze_all",
            'Expected true, false or null; got the text "yes".',
        ),
        (
            {"planned_cycle": [150]},
            "planned_cycle",
            "Expected an object with keys protocol, daily_dose_iu, trigger, freeze_all, "
            "adjuvants; got a list.",
        ),
    ],
)
def test_bad_stimulation_input_names_the_field(catalogue, facts, path, message):
    with pytest.raises(FactsError) as caught:
        parse_facts({"age": 36, **facts}, **catalogue.codes_for_facts())
    assert caught.value.errors == {path: [message]}


def test_facts_round_trip_with_the_new_fields(catalogue):
    data = {
        "age": 36,
        "previous_cycles": [
            {
                "date": "2025-05-01",
                "oocytes": 5,
                "mature_oocytes": 4,
                "ohss": "mild",
                "trigger": "hcg",
                "freeze_all": False,
                "protocol": "antagonist",
            }
        ],
        "planned_cycle": {"protocol": "ppos", "adjuvants": ["dhea"]},
    }
    facts = parse_facts(data, **catalogue.codes_for_facts())
    assert facts.to_dict() == data
    assert parse_facts(facts.to_dict(), **catalogue.codes_for_facts()) == facts


def test_an_empty_plan_is_no_plan(catalogue):
    facts = parse_facts({"age": 36, "planned_cycle": {}}, **catalogue.codes_for_facts())
    assert facts.planned_cycle is None


# --- the catalogue holds what these rules read ------------------------------------------------


def test_the_stimulation_rules_read_catalogue_parameters_and_statements(catalogue):
    assert {"standard_dose_iu", "reduced_dose_iu"} <= requirements.required_parameters()
    assert set(all_statements()) <= set(catalogue.statements)
    names = dict(requirements.rules_reading("parameters", "standard_dose_iu"))
    assert "reduced_dose_for_high_responder" in names
