"""Findings lead to their next steps; steps are ordered, cited, and never an add-on."""

import pytest

from .helpers import assess, step, step_codes

RIF = {"age": 36, "failed_transfers": 3}


@pytest.mark.parametrize(
    "facts, code",
    [
        ({"hysteroscopy": {"done": True, "polyp": True}}, "polypectomy"),
        ({"hysteroscopy": {"done": True, "submucosal_fibroid": True}}, "fibroid_resection"),
        ({"hysteroscopy": {"done": True, "adhesions": True}}, "adhesiolysis"),
        ({"hysteroscopy": {"done": True, "septum": True}}, "septum_review"),
        ({"ce_biopsy": {"done": True, "cd138_positive": True}}, "ce_antibiotics"),
        ({"ce_biopsy": {"done": True, "cd138_positive": True, "treated": True}}, "ce_rebiopsy"),
        (
            {"ce_biopsy": {"cd138_positive": True, "treated": True, "rebiopsy_negative": False}},
            "ce_second_line",
        ),
        (
            {
                "ce_biopsy": {
                    "cd138_positive": True,
                    "treated": True,
                    "rebiopsy_negative": False,
                    "second_line_treated": True,
                }
            },
            "ce_rebiopsy",
        ),
        ({"hydrosalpinx": True}, "hydrosalpinx_surgery"),
        ({"adenomyosis": True}, "adenomyosis_plan"),
        ({"aps": "confirmed", "miscarriages": 3}, "aps_treatment"),
        ({"aps": "single_positive"}, "aps_confirm"),
        ({"tsh": 4.1, "tpo_positive": False}, "thyroid_treatment"),
        ({"tsh": 0.05}, "thyroid_suppressed"),
        ({"smoker": True}, "smoking_support"),
        ({"bmi": 30.0}, "weight_support"),
        ({"bmi": 18.9}, "weight_support"),
        ({"alcohol_units_week": 5}, "alcohol_advice"),
        ({"karyotype": "abnormal"}, "genetic_counselling"),
    ],
)
def test_a_finding_leads_to_its_next_step(catalogue, facts, code):
    answer = assess(catalogue, **{**RIF, **facts})
    found = step(answer, code)
    assert found is not None, step_codes(answer)
    assert found["kind"] == "action"
    assert found["trigger"]
    # A source key, or the catalogue's words for "no source yet": never a borrowed key.
    assert found["sources"] or found["source_note"]


@pytest.mark.parametrize(
    "facts, code",
    [
        ({"hysteroscopy": {"done": True, "polyp": False}}, "polypectomy"),
        ({"hysteroscopy": {"done": True}}, "polypectomy"),
        ({"ce_biopsy": {"done": True, "cd138_positive": False}}, "ce_antibiotics"),
        ({"ce_biopsy": {"done": True, "cd138_positive": True, "treated": True}}, "ce_antibiotics"),
        (
            {"ce_biopsy": {"cd138_positive": True, "treated": True, "rebiopsy_negative": True}},
            "ce_rebiopsy",
        ),
        (
            {"ce_biopsy": {"cd138_positive": True, "treated": True, "rebiopsy_negative": True}},
            "ce_second_line",
        ),
        ({"hydrosalpinx": False}, "hydrosalpinx_surgery"),
        ({"adenomyosis": None}, "adenomyosis_plan"),
        ({"aps": "negative"}, "aps_treatment"),
        ({"aps": "not_tested"}, "aps_confirm"),
        ({"aps": "confirmed"}, "aps_confirm"),
        ({"tsh": 4.0, "tpo_positive": False}, "thyroid_treatment"),
        ({"tsh": 3.0, "tpo_positive": True, "age": 30}, "thyroid_treatment"),
        ({"tsh": 2.4, "tpo_positive": True, "age": 40}, "thyroid_treatment"),
        ({"smoker": False, "bmi": 29.9}, "weight_support"),
        ({"smoker": False, "bmi": 25.0}, "weight_support"),
        ({"bmi": 19.0}, "weight_support"),
        ({"smoker": False, "bmi": 35.0}, "smoking_support"),
        ({"alcohol_units_week": 4}, "alcohol_advice"),
        ({"tsh": 0.4}, "thyroid_suppressed"),
        ({"karyotype": "normal"}, "genetic_counselling"),
        # pgta_discuss is the pgta checklist step's advice, said once there.
        ({"failed_transfers": 2}, "pgta_discuss"),
        ({"failed_transfers": 0}, "pgta_discuss"),
    ],
)
def test_a_step_does_not_fire_without_its_finding(catalogue, facts, code):
    assert code not in step_codes(assess(catalogue, **{**RIF, **facts}))


def test_antibiotics_count_as_given_once_the_clinician_marks_them_done(catalogue):
    answer = assess(
        catalogue,
        **RIF,
        ce_biopsy={"done": True, "cd138_positive": True},
        completed_actions=["ce_antibiotics"],
    )
    assert "ce_antibiotics" not in step_codes(answer)
    assert "ce_rebiopsy" in step_codes(answer)


def test_a_completed_action_is_no_longer_suggested(catalogue):
    answer = assess(
        catalogue,
        **RIF,
        hysteroscopy={"done": True, "polyp": True},
        completed_actions=["polypectomy"],
    )
    assert "polypectomy" not in step_codes(answer)


@pytest.mark.parametrize(
    "miscarriages, stance",
    [(3, "recommended"), (4, "recommended"), (2, "not_routine"), (1, None), (None, None)],
)
def test_aps_treatment_is_recommended_from_three_losses(catalogue, miscarriages, stance):
    facts = {**RIF, "aps": "confirmed"}
    if miscarriages is not None:
        facts["miscarriages"] = miscarriages
    assert step(assess(catalogue, **facts), "aps_treatment")["stance"] == stance


@pytest.mark.parametrize(
    "facts, stance",
    [
        ({"tsh": 5.5, "tpo_positive": False}, "recommended"),
        ({"tsh": 3.0, "tpo_positive": True, "age": 36}, "consider"),
        ({"tsh": 2.5, "tpo_positive": True, "age": 30, "miscarriages": 2}, "consider"),
        ({"tsh": 4.0, "tpo_positive": True, "age": 30, "afc": 3}, "consider"),
    ],
)
def test_thyroid_treatment_stance_follows_the_eta_guideline(catalogue, facts, stance):
    found = step(assess(catalogue, **{**RIF, **facts}), "thyroid_treatment")
    assert found["stance"] == stance


def test_every_work_up_gets_a_stimulation_plan_naming_its_classifications(catalogue):
    answer = assess(
        catalogue, age=38, amh={"value": 0.8, "unit": "ng/mL"}, afc=4, previous_oocytes=[3, 2]
    )
    plan = step(answer, "stimulation_plan")
    assert plan["trigger"] == (
        "Predicted poor response; POSEIDON group 4; Bologna poor responder; "
        "no hyper-response marker."
    )
    assert plan["sources"] == ["broekmans-2019"]


def test_pending_investigations_are_next_steps_by_their_checklist_code(catalogue):
    answer = assess(catalogue, **RIF)
    pending = {i["code"] for i in answer["checklist"] if i["status"] == "pending"}
    investigations = {s["code"] for s in answer["next_steps"] if s["kind"] == "investigation"}
    assert investigations == pending
    assert "hysteroscopy" in investigations


def test_next_steps_are_ordered_by_priority(catalogue):
    answer = assess(
        catalogue,
        **RIF,
        aps="confirmed",
        miscarriages=3,
        ce_biopsy={"done": True, "cd138_positive": True},
        hysteroscopy={"done": True, "polyp": True},
    )
    codes = step_codes(answer)
    assert [s["priority"] for s in answer["next_steps"]] == list(range(1, len(codes) + 1))
    assert codes[:3] == ["aps_treatment", "ce_antibiotics", "polypectomy"]
    assert codes[-1] == "stimulation_plan"
    assert codes.index("polypectomy") < codes.index("karyotype")


def test_every_next_step_cites_a_source_of_the_catalogue(catalogue):
    answer = assess(
        catalogue,
        **RIF,
        smoker=True,
        aps="single_positive",
        tsh=6.0,
        tpo_positive=True,
        karyotype="abnormal",
        hydrosalpinx=True,
        adenomyosis=True,
        hysteroscopy={
            "done": True,
            "polyp": True,
            "septum": True,
            "adhesions": True,
            "submucosal_fibroid": True,
        },
        ce_biopsy={"done": True, "cd138_positive": True},
    )
    assert len(answer["next_steps"]) >= 14
    for found in answer["next_steps"]:
        if not found["sources"]:
            assert found["review"] == "pending_review", found["code"]
            assert found["source_note"] == "standard practice; no source in the catalogue yet"
        assert set(found["sources"]) <= set(catalogue.sources), found["code"]
        assert found["review"] in ("verified", "pending_review")
        assert found["summary"] and found["name"]


def test_an_add_on_is_never_a_next_step(catalogue):
    everything = list(catalogue.addons)
    for aps in ("confirmed", "negative"):
        answer = assess(catalogue, **RIF, aps=aps, miscarriages=3, addons_requested=everything)
        assert not set(step_codes(answer)) & set(catalogue.addons)


def test_steps_pending_review_say_so(catalogue):
    answer = assess(
        catalogue,
        **RIF,
        hysteroscopy={"done": True, "polyp": True},
        ce_biopsy={"done": True, "cd138_positive": True},
    )
    assert step(answer, "polypectomy")["review"] == "pending_review"
    assert step(answer, "ce_antibiotics")["review"] == "verified"
    assert "doxycycline" in step(answer, "ce_antibiotics")["summary"]
    assert "pending" in step(answer, "ce_antibiotics")["unverified_detail"]


def test_a_step_that_reads_a_pending_parameter_is_pending_review(catalogue):
    # thyroid_suppressed is verified itself, but its TSH cut-off (0.4 mIU/L) is U.
    assert catalogue.next_steps["thyroid_suppressed"].review == "verified"
    assert step(assess(catalogue, **RIF, tsh=0.1), "thyroid_suppressed")["review"] == (
        "pending_review"
    )


def test_persistent_endometritis_after_second_line_warns(catalogue):
    answer = assess(
        catalogue,
        **RIF,
        ce_biopsy={
            "cd138_positive": True,
            "treated": True,
            "rebiopsy_negative": False,
            "second_line_treated": True,
            "second_line_rebiopsy_negative": False,
        },
    )
    assert any("second-line" in w for w in answer["warnings"])
    assert not {"ce_antibiotics", "ce_second_line", "ce_rebiopsy"} & set(step_codes(answer))
