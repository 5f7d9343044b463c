"""The changes of clinical-reference section 8, table by table: fires, does not fire, boundary,
asserting the words a clinician reads."""

import pytest

from workup.evidence import presenting

from .helpers import assess, step, step_codes

RIF = {"age": 36, "failed_transfers": 3}


def ng(value):
    return {"value": value, "unit": "ng/mL"}


def words(item):
    """Everything a reader sees of a step."""
    return " ".join(
        str(item.get(k) or "") for k in ("name", "summary", "rationale", "trigger", "plain")
    )


# --- BMI, smoking and alcohol: separate steps, separate words (nice-cg156) -------------------


@pytest.mark.parametrize(
    "bmi, trigger",
    [
        (18.9, "BMI 18.9 kg/m², below 19."),
        (19.0, None),
        (24.9, None),
        (25.0, None),  # the withdrawn 18.5-25 range made this a recommended step
        (29.9, None),
        (30.0, "BMI 30 kg/m², 30 or over."),
        (41.5, "BMI 41.5 kg/m², 30 or over."),
    ],
)
def test_weight_support_below_19_or_from_30(catalogue, bmi, trigger):
    answer = assess(catalogue, **RIF, bmi=bmi, smoker=False)
    found = step(answer, "weight_support")
    if trigger is None:
        assert found is None
        return
    assert found["trigger"] == trigger
    assert found["name"] == "Weight support"
    assert found["summary"] == "Offer support to reach a healthier weight."
    assert found["rationale"] == (
        "It takes longer to conceive with a BMI under 19 or of 30 and over; a healthy BMI is "
        "about 20-25 (NICE CG156)."
    )
    assert found["sources"] == ["nice-cg156"]


def test_a_non_smoker_whose_issue_is_weight_is_never_told_to_stop_smoking(catalogue):
    answer = assess(catalogue, **RIF, bmi=32, smoker=False)
    assert "weight_support" in step_codes(answer)
    assert "smoking_support" not in step_codes(answer)
    for item in answer["next_steps"]:
        assert "smok" not in words(item).lower(), item["code"]


@pytest.mark.parametrize(
    "facts, smoking, weight",
    [
        ({"smoker": True, "bmi": 22}, True, False),
        ({"smoker": True, "bmi": 32}, True, True),
        ({"smoker": False, "bmi": 32}, False, True),
        ({"smoker": False, "bmi": 22}, False, False),
        ({"smoker": True}, True, False),  # BMI unknown: no weight advice either way
    ],
)
def test_smoking_and_weight_are_separate_steps(catalogue, facts, smoking, weight):
    answer = assess(catalogue, **RIF, **facts)
    smoke = step(answer, "smoking_support")
    assert (smoke is not None) is smoking
    assert (step(answer, "weight_support") is not None) is weight
    if smoke:
        assert smoke["name"] == "Stop-smoking support"
        assert smoke["trigger"] == "Smokes."
        assert "weight" not in words(smoke).lower()
        assert "passive smoking, is likely to reduce fertility" in smoke["rationale"]


@pytest.mark.parametrize("units, fires", [(0, False), (4, False), (5, True), (14, True)])
def test_alcohol_advice_above_1_or_2_units_once_or_twice_a_week(catalogue, units, fires):
    found = step(assess(catalogue, **RIF, alcohol_units_week=units), "alcohol_advice")
    assert (found is not None) is fires
    if fires:
        assert found["trigger"] == f"{units} units of alcohol a week, more than 4."
        assert "no more than 1 or 2 units of alcohol once or twice a week" in found["summary"]
        assert found["review"] == "pending_review"  # the weekly reading of NICE is ours


def test_the_bmi_range_is_nice_s_and_verified(catalogue):
    for code, value in (("bmi_lower", 19), ("bmi_upper", 30)):
        parameter = catalogue.parameters[code]
        assert (parameter.value, parameter.sources, parameter.review) == (
            value,
            ("nice-cg156",),
            "verified",
        )


# --- heparin and aspirin: named for what they are, as strong as the APS step -----------------


@pytest.mark.parametrize(
    "losses, stance, label, text",
    [
        (
            3,
            "recommended",
            "Recommended for this patient",
            "Antiphospholipid syndrome confirmed, with 3 pregnancy losses: low-dose aspirin plus "
            "heparin is recommended (ESHRE RPL 2017: a conditional recommendation on very low "
            "quality evidence).",
        ),
        (
            5,
            "recommended",
            "Recommended for this patient",
            "Antiphospholipid syndrome confirmed, with 5 pregnancy losses: low-dose aspirin plus "
            "heparin is recommended (ESHRE RPL 2017: a conditional recommendation on very low "
            "quality evidence).",
        ),
        (
            2,
            "not_routine",
            "Only within research for this patient",
            "Antiphospholipid syndrome confirmed, with 2 pregnancy losses: aspirin plus heparin "
            "only within research (ESHRE RPL 2017, good practice point); it is recommended from "
            "3 losses.",
        ),
        (
            1,
            None,
            "Discuss with a specialist",
            "Antiphospholipid syndrome confirmed, with 1 pregnancy loss: discuss with a "
            "specialist; no recommendation in the catalogue.",
        ),
        (
            0,
            None,
            "Discuss with a specialist",
            "Antiphospholipid syndrome confirmed, with no pregnancy losses: discuss with a "
            "specialist; no recommendation in the catalogue.",
        ),
        (
            None,
            None,
            "Depends on the pregnancy losses",
            "Antiphospholipid syndrome confirmed; the number of pregnancy losses is not recorded. "
            "Aspirin plus heparin is recommended with 3 or more losses and only within research "
            "with 2 (ESHRE RPL 2017): record the losses.",
        ),
    ],
)
def test_the_flag_and_the_aps_step_say_the_same_thing(catalogue, losses, stance, label, text):
    facts = {**RIF, "aps": "confirmed", "addons_requested": ["heparin", "aspirin"]}
    if losses is not None:
        facts["miscarriages"] = losses
    answer = assess(catalogue, **facts)
    treatment = step(answer, "aps_treatment")
    assert treatment["stance"] == stance
    if stance == "recommended":
        # The regimen is the advice, and the statement says why.
        assert treatment["trigger"] == text
        assert treatment["summary"].startswith("Low-dose aspirin 75-100 mg a day")
    else:
        # Without a recommendation the step says so, in the statement's words, never the
        # regimen as if it were the plan (for the clinician and in the patient's words).
        assert treatment["summary"] == text
        assert "aspirin, and heparin injections once pregnant" not in treatment["plain"]
        assert treatment["plain"].startswith("A blood test confirmed antiphospholipid syndrome")
    for flag in answer["addon_flags"]:
        assert flag["flagged"] is False
        assert flag["verdict"]["text"] == text == flag["indicated_reason"]
        assert flag["verdict"]["name"] == label
        assert flag["verdict"]["stance"] == stance
    if losses is not None and losses < 2:
        assert treatment["review"] == "pending_review"  # "no recommendation" is U


def test_heparin_and_aspirin_are_named_for_what_they_are_with_their_risks(catalogue):
    flags = {
        f["code"]: f
        for f in assess(catalogue, **RIF, addons_requested=["heparin", "aspirin"])["addon_flags"]
    }
    heparin, aspirin = flags["heparin"], flags["aspirin"]
    assert heparin["name"] == "Low-molecular-weight heparin (LMWH)"
    assert aspirin["name"] == "Low-dose aspirin"
    assert heparin["flagged"] and aspirin["flagged"]  # no confirmed APS: unproven add-ons
    assert heparin["verdict"] is None and "indicated_reason" not in heparin
    assert (
        heparin["risks"][0]
        == "Significant bleeding in about 2% of pregnancies (Greer 2005, 2,777 pregnancies)"
    )
    assert "Allergic skin reactions in about 1.8%" in heparin["risks"]
    assert "Heparin-induced thrombocytopenia: very rare" in heparin["risks"]
    assert "Osteoporotic fracture in about 0.04%" in heparin["risks"]
    assert "greer-2005" in heparin["sources"]
    assert aspirin["risks"] == [
        "A possible rise in bleeding after birth has been reported (unverified)"
    ]
    assert "considered safe in pregnancy (NHS)" in aspirin["evidence"]
    assert "nhs-aspirin" in aspirin["sources"]
    assert aspirin["review"] == "pending_review"  # the bleeding after birth is U


# --- embryo glue: both views, never "not advised" in ESHRE's name ----------------------------


def test_embryo_glue_shows_ESHRE_and_the_HFEA_side_by_side(catalogue):
    flag = assess(catalogue, **RIF, addons_requested=["embryo_glue"])["addon_flags"][0]
    assert flag["flagged"] is True
    assert flag["stance"] == "recommended"
    assert flag["hfea"] == "amber"
    assert flag["verdict"]["name"] == "Views differ"
    assert flag["verdict"]["text"] == (
        "Views differ: ESHRE recommends it, while the HFEA rates it amber (conflicting "
        "evidence). Both views are shown; decide with the patient."
    )
    assert flag["verdict"]["plain"].startswith("Experts' views differ")
    assert "not advised" not in str(flag)


@pytest.mark.parametrize("code", ["intralipids", "era", "assisted_hatching", "time_lapse"])
def test_other_add_ons_get_no_views_differ_verdict(catalogue, code):
    flag = assess(catalogue, **RIF, addons_requested=[code])["addon_flags"][0]
    assert flag["verdict"] is None


# --- Bologna: conventional stimulation only; null while a missing fact could decide ----------


NORMAL = {"amh": ng(2.0), "afc": 10}


@pytest.mark.parametrize(
    "facts, expected, says",
    [
        # A natural cycle (1-2 oocytes by design) is not a poor response.
        (
            {"age": 41, **NORMAL, "previous_cycles": [{"oocytes": 1, "protocol": "natural"}]},
            False,
            "Natural cycles are not counted",
        ),
        (
            {"age": 41, **NORMAL, "previous_cycles": [{"oocytes": 2, "protocol": "antagonist"}]},
            True,
            "Poor responder: age 41 (at least 40), previous poor response (2 oocytes).",
        ),
        (
            {"age": 41, **NORMAL, "previous_cycles": [{"oocytes": 2}]},  # protocol not given
            True,
            "previous poor response (2 oocytes)",
        ),
        (
            {"age": 41, **NORMAL, "previous_cycles": [{"oocytes": 2, "protocol": "mild"}]},
            False,
            "Mild-stimulation cycles are not counted as conventional stimulation",
        ),
        # No previous cycles recorded: the previous response alone could still make it "yes".
        ({"age": 41, **NORMAL}, None, "not known: previous response"),
        ({"age": 35, **NORMAL}, None, "not known: previous response"),
        # Two poor cycles, maximal stimulation not recorded: that alone could decide.
        (
            {"age": 35, **NORMAL, "previous_oocytes": [2, 3]},
            None,
            "whether stimulation was maximal",
        ),
        (
            {
                "age": 35,
                **NORMAL,
                "previous_cycles": [
                    {"oocytes": 2, "maximal_stimulation": False},
                    {"oocytes": 3, "maximal_stimulation": False},
                ],
            },
            False,
            "Not a poor responder: one criterion met, previous poor response (2 oocytes); at "
            "least 2 are needed.",
        ),
        (
            {
                "age": 35,
                **NORMAL,
                "previous_cycles": [
                    {"oocytes": 2, "maximal_stimulation": True},
                    {"oocytes": 3, "maximal_stimulation": True},
                ],
            },
            True,
            "Two poor responses after maximal stimulation",
        ),
        # The recorded history is the history: only natural cycles, so that criterion is unmet.
        (
            {"age": 41, "previous_cycles": [{"oocytes": 1, "protocol": "natural"}]},
            None,  # the reserve test, with age, could still decide
            "not known: ovarian reserve test",
        ),
        (
            {"age": 35, "previous_cycles": [{"oocytes": 1, "protocol": "natural"}]},
            False,
            "Not a poor responder",
        ),
        ({"age": 35, "previous_cycles": []}, False, "Not a poor responder"),
    ],
)
def test_bologna_counts_only_conventional_stimulation(catalogue, facts, expected, says):
    detail = assess(catalogue, **facts)["classification"]["details"]["bologna_poor_responder"]
    assert detail["value"] is expected
    assert says in detail["reason"]


def test_a_mild_cycle_left_out_makes_bologna_pending_review(catalogue):
    facts = {"age": 41, **NORMAL, "previous_cycles": [{"oocytes": 2, "protocol": "mild"}]}
    detail = assess(catalogue, **facts)["classification"]["details"]["bologna_poor_responder"]
    assert detail["review"] == "pending_review"


def test_a_natural_cycle_is_not_an_unexpected_poor_response_for_poseidon(catalogue):
    facts = {"age": 36, **NORMAL, "previous_cycles": [{"oocytes": 1, "protocol": "natural"}]}
    answer = assess(catalogue, **facts)
    assert answer["classification"]["poseidon_group"] is None
    assert (
        "only natural or mild-stimulation cycles"
        in answer["classification"]["details"]["poseidon_group"]["reason"]
    )


# --- thyroid: suppressed TSH, the levothyroxine target, the age factor ----------------------


@pytest.mark.parametrize(
    "tsh, fires", [(0.01, True), (0.05, True), (0.39, True), (0.4, False), (2.0, False)]
)
def test_a_suppressed_tsh_leads_to_free_t4_and_t3(catalogue, tsh, fires):
    found = step(assess(catalogue, **RIF, tsh=tsh, tpo_positive=False), "thyroid_suppressed")
    assert (found is not None) is fires
    if fires:
        assert found["trigger"] == f"TSH {tsh:g} mIU/L is below 0.4."
        assert found["summary"] == (
            "Check free T4 and T3. With hyperthyroidism, restore a normal thyroid function and "
            "keep it for several months before ART."
        )
        assert found["sources"] == ["eta-2021"]
        assert found["review"] == "pending_review"  # the 0.4 mIU/L default is U


@pytest.mark.parametrize(
    "facts, stance, trigger",
    [
        (
            {"tsh": 4.01, "tpo_positive": False},
            "recommended",
            "TSH 4.01 mIU/L is above 4: treat hypothyroidism, aiming for a TSH below 2.5 mIU/L "
            "on levothyroxine before ART (ETA 2021).",
        ),
        ({"tsh": 4.0, "tpo_positive": False}, None, None),
        ({"tsh": 2.49, "tpo_positive": True, "age": 40}, None, None),
        ({"tsh": 3.0, "tpo_positive": True, "age": 35}, None, None),  # over 35 is the factor
        (
            {"tsh": 3.0, "tpo_positive": True, "age": 36},
            "consider",
            "TPO-positive with TSH 3 mIU/L and age 36: levothyroxine 25-50 µg a day may be "
            "considered (ETA 2021); on levothyroxine, aim for a TSH below 2.5 mIU/L before ART.",
        ),
        (
            {"tsh": 2.5, "tpo_positive": True, "age": 30, "miscarriages": 2},
            "consider",
            "TPO-positive with TSH 2.5 mIU/L and 2 miscarriages: levothyroxine 25-50 µg a day "
            "may be considered (ETA 2021); on levothyroxine, aim for a TSH below 2.5 mIU/L "
            "before ART.",
        ),
        ({"tsh": 4.0, "tpo_positive": True, "age": 30, "afc": 3}, "consider", None),
        ({"tsh": 3.0, "tpo_positive": False, "age": 40}, None, None),
    ],
)
def test_thyroid_treatment_in_the_eta_s_words(catalogue, facts, stance, trigger):
    found = step(assess(catalogue, **{**RIF, **facts}), "thyroid_treatment")
    if stance is None:
        assert found is None
        return
    assert found["stance"] == stance
    if trigger:
        assert found["trigger"] == trigger
    assert "levothyroxine 25-50 µg" in found["trigger"] or stance == "recommended"


# --- ERA, HFEA meanings, the Lugano caution --------------------------------------------------


def test_era_lists_its_harms_and_keeps_its_efficacy_as_evidence(catalogue):
    flag = assess(catalogue, **RIF, addons_requested=["era"])["addon_flags"][0]
    assert flag["risks"] == [
        "Delays the transfer by a cycle, for the biopsy",
        "The cost of the test",
    ]
    assert "live birth" not in " ".join(flag["risks"]).lower()
    assert "no gain in live births (Doyle 2022" in flag["evidence"]
    assert flag["review"] == "pending_review"


@pytest.mark.parametrize(
    "code, rating, meaning, review",
    [
        ("endometrial_scratching", "amber", "conflicting evidence", "verified"),
        ("assisted_hatching", "grey", "too little evidence", "verified"),
        ("time_lapse", "black", "no effect", "pending_review"),
        ("era", "red", "may reduce effectiveness", "pending_review"),
        ("embryo_glue", "amber", "conflicting evidence", "verified"),
        ("hla_kir_testing", None, None, None),
    ],
)
def test_hfea_colours_mean_what_the_catalogue_says_with_their_review(
    catalogue, code, rating, meaning, review
):
    flag = assess(catalogue, **RIF, addons_requested=[code])["addon_flags"][0]
    assert flag["hfea"] == rating
    if rating is None:
        assert flag["hfea_meaning"] is None
        return
    assert flag["hfea_meaning"]["text"] == meaning
    assert flag["hfea_meaning"]["review"] == review
    assert flag["hfea_meaning"]["sources"] == ["hfea-addons"]


# Counts (contract 1) are priced at the current age, and the answer says so after the Lugano
# caution (``transfers_current_age``).
AGE = "transfers_current_age"


@pytest.mark.parametrize(
    "facts, codes",
    [
        (
            {"age": 30, "failed_transfers": 2, "euploid_failed_transfers": 2},
            ["lugano_caution", "euploid_cumulative", AGE],
        ),
        (
            {"age": 41, "failed_transfers": 2, "euploid_failed_transfers": 1},
            ["lugano_caution", "euploid_cumulative", AGE],
        ),
        ({"age": 44, "failed_transfers": 2}, [AGE]),  # 2 at 44 do not pass 60%: no label
        ({"age": 30, "failed_transfers": 2}, ["lugano_caution", AGE]),
        ({"age": 36, "failed_transfers": 3}, [AGE]),  # 3 failed transfers: the Lugano minimum
    ],
)
def test_the_lugano_caution_is_catalogue_text_with_its_sources(catalogue, facts, codes):
    answer = assess(catalogue, **facts)
    assert [c["code"] for c in answer["cautions"]] == codes
    for caution in answer["cautions"]:
        assert caution["text"] in answer["warnings"]
    if "lugano_caution" in codes:
        lugano = answer["cautions"][0]
        assert lugano["sources"] == ["lugano-2023", "busnelli-2020"]
        assert lugano["text"].startswith(
            f"RIF labelled after {facts['failed_transfers']} failed transfers: the Lugano "
            "consensus advises against labelling RIF before 3 failed euploid blastocyst transfers"
        )
        assert (
            "46% after 2 failed cycles, 25% after 3 and 2% after 6 (Busnelli 2020)"
            in (lugano["text"])
        )
    if "euploid_cumulative" in codes:
        pirtea = answer["cautions"][1]
        assert pirtea["sources"] == ["pirtea-2021"] and pirtea["review"] == "pending_review"
        assert "about 70%, 88% and 95% after 1, 2 and 3 transfers" in pirtea["text"]


# --- PGT-A once; investigations apart from actions --------------------------------------------


@pytest.mark.parametrize(
    "facts, reason",
    [
        (
            {"failed_transfers": 2},
            "2 failed transfers of untested embryos: discuss PGT-A and its limits "
            "(HFEA red for live birth, fewer embryos to transfer, uncertainty over mosaic "
            "results).",
        ),
        (
            {"failed_transfers": 1},
            "1 failed transfer of untested embryos: discuss PGT-A and its limits "
            "(HFEA red for live birth, fewer embryos to transfer, uncertainty over mosaic "
            "results).",
        ),
        (
            {"failed_transfers": 2, "euploid_failed_transfers": 2},
            "Part of every work-up in this checklist.",
        ),
        ({}, "Part of every work-up in this checklist."),
    ],
)
def test_pgta_advice_is_said_once_by_the_checklist(catalogue, facts, reason):
    answer = assess(catalogue, age=36, **facts)
    codes = step_codes(answer)
    assert codes.count("pgta") == 1 and "pgta_discuss" not in codes
    assert step(answer, "pgta")["trigger"] == reason
    assert step(answer, "pgta")["review"] == "pending_review"  # ESHRE's stance is unverified


def test_next_steps_split_into_investigations_to_do_and_actions(catalogue):
    answer = assess(
        catalogue, **RIF, hysteroscopy={"done": True, "polyp": True}, bmi=33, smoker=False
    )
    advice = presenting.advice_lists(answer)
    pending = [i["code"] for i in answer["checklist"] if i["status"] == "pending"]
    assert sorted(s["code"] for s in advice["investigations"]) == sorted(pending)
    assert len({s["code"] for s in advice["investigations"]}) == len(pending)  # each once
    assert [s["code"] for s in advice["actions"]] == [
        "polypectomy",
        "weight_support",
        "stimulation_plan",
    ]
    assert all(s["kind"] == "action" for s in advice["actions"])


def test_an_answer_stored_without_kinds_splits_the_same_way(catalogue):
    answer = assess(catalogue, **RIF, hysteroscopy={"done": True, "polyp": True})
    old = {
        **answer,
        "next_steps": [{k: v for k, v in s.items() if k != "kind"} for s in answer["next_steps"]],
    }
    old["next_steps"].append({"code": "pgta_discuss", "name": "Discuss PGT-A", "pillar": "embryo"})
    split, split_old = presenting.advice_lists(answer), presenting.advice_lists(old)
    assert [s["code"] for s in split_old["investigations"]] == [
        s["code"] for s in split["investigations"]
    ]
    # The older answer said PGT-A twice; it is shown once.
    assert [s["code"] for s in split_old["actions"]] == [s["code"] for s in split["actions"]]


def test_the_catalogue_line_counts_reviews_and_never_claims_a_review_date(catalogue):
    answer = assess(catalogue, **RIF)
    counts = catalogue.review_counts()
    line = presenting.catalogue_line(answer["catalogue"])
    assert line == (
        f"Evidence catalogue {catalogue.version}: {counts['verified']} of {counts['entries']} "
        f"entries verified, 0 of them confirmed by the clinical lead; {counts['pending']} "
        "pending clinical review."
    )
    assert counts["entries"] == counts["verified"] + counts["pending"]
    assert "reviewed" not in line
    old = presenting.catalogue_line({"version": "2026.1", "reviewed_on": "2026-11-20"})
    assert old == "Evidence catalogue 2026.1: review counts not recorded with this answer."


@pytest.mark.parametrize(
    "cycles, group",
    [
        # A mild cycle's few oocytes are expected: no unexpected poor response (pending review).
        ([{"oocytes": 3, "protocol": "mild"}], None),
        ([{"oocytes": 2, "protocol": "natural"}], None),
        ([{"oocytes": 3, "protocol": "antagonist"}], 1),
        ([{"oocytes": 3, "protocol": "mild"}, {"oocytes": 6, "protocol": "antagonist"}], 1),
        ([{"oocytes": 3, "protocol": "mild"}, {"oocytes": 12, "protocol": "antagonist"}], None),
    ],
)
def test_poseidon_counts_only_conventional_stimulation_as_bologna_does(catalogue, cycles, group):
    answer = assess(catalogue, age=30, **NORMAL, previous_cycles=cycles)
    detail = answer["classification"]["details"]["poseidon_group"]
    assert answer["classification"]["poseidon_group"] == group
    if cycles == [{"oocytes": 3, "protocol": "mild"}]:
        assert detail["reason"].startswith("Normal reserve, and only natural or mild-stimulation")
        assert detail["review"] == "pending_review"


def test_the_stimulation_plan_step_is_pending_while_a_classification_it_names_is(catalogue):
    # "POSEIDON group 4" rests on cut-offs pending review: the step that names it is pending.
    answer = assess(catalogue, age=36, amh=ng(0.8), afc=4)
    plan = step(answer, "stimulation_plan")
    assert "POSEIDON group 4" in plan["trigger"]
    assert plan["review"] == "pending_review"
    assert plan["sources"] == ["broekmans-2019"]
