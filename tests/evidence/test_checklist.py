"""Checklist statuses: what the RIF label gates, what counts as done, clinician decisions."""

import pytest

from .helpers import assess, status

GATED = ("hysteroscopy", "ce_biopsy", "karyotype", "aps_screen")
FOR_EVERYONE = (
    "lifestyle",
    "thyroid",
    "embryo_review",
    "pgta",
    "uterine_imaging",
    "hydrosalpinx_check",
    "adenomyosis_imaging",
    "ovarian_reserve",
    "response_review",
)

TOO_EARLY = {"age": 41, "failed_transfers": 2}
RIF = {"age": 36, "failed_transfers": 3}


def test_every_investigation_of_the_reference_is_on_the_checklist(catalogue):
    codes = [i["code"] for i in assess(catalogue, **TOO_EARLY)["checklist"]]
    assert set(codes) == set(GATED + FOR_EVERYONE)


def test_checklist_is_ordered_by_pillar(catalogue):
    pillars = [i["pillar"] for i in assess(catalogue, **TOO_EARLY)["checklist"]]
    order = ["general", "embryo", "uterus", "stimulation"]
    assert pillars == sorted(pillars, key=order.index)


@pytest.mark.parametrize("code", GATED)
def test_rif_gated_investigations_wait_for_the_label(catalogue, code):
    early = assess(catalogue, **TOO_EARLY)
    assert status(early, code) == "not_indicated"
    item = next(i for i in early["checklist"] if i["code"] == code)
    assert "once RIF is labelled" in item["reason"]
    assert status(assess(catalogue, **RIF), code) == "pending"


@pytest.mark.parametrize("code", FOR_EVERYONE)
def test_other_investigations_are_indicated_at_any_label(catalogue, code):
    assert status(assess(catalogue, **TOO_EARLY), code) == "pending"


@pytest.mark.parametrize("miscarriages, expected", [(1, "not_indicated"), (2, "pending")])
def test_aps_screen_is_indicated_after_recurrent_miscarriage(catalogue, miscarriages, expected):
    answer = assess(catalogue, **TOO_EARLY, miscarriages=miscarriages)
    assert status(answer, "aps_screen") == expected
    assert status(answer, "karyotype") == "not_indicated"


def test_signs_of_endometritis_at_hysteroscopy_indicate_the_biopsy(catalogue):
    answer = assess(catalogue, **TOO_EARLY, hysteroscopy={"done": True, "endometritis_signs": True})
    assert status(answer, "ce_biopsy") == "pending"


def test_a_clinician_can_add_a_gated_investigation(catalogue):
    answer = assess(catalogue, **TOO_EARLY, indicated_by_clinician=["karyotype"])
    assert status(answer, "karyotype") == "pending"
    assert "karyotype" in [s["code"] for s in answer["next_steps"]]


def test_a_clinician_can_mark_an_investigation_not_indicated_with_a_reason(catalogue):
    answer = assess(
        catalogue, **RIF, not_indicated_by_clinician={"hysteroscopy": "Done last month elsewhere"}
    )
    item = next(i for i in answer["checklist"] if i["code"] == "hysteroscopy")
    assert item["status"] == "not_indicated"
    assert item["reason"] == "Done last month elsewhere"
    assert "hysteroscopy" not in [s["code"] for s in answer["next_steps"]]


@pytest.mark.parametrize(
    "code, facts",
    [
        ("lifestyle", {"smoker": False, "bmi": 23.0}),
        ("thyroid", {"tsh": 1.8, "tpo_positive": False}),
        ("aps_screen", {"aps": "negative"}),
        ("karyotype", {"karyotype": "normal"}),
        ("embryo_review", {"embryo_review": {"done": True}}),
        ("pgta", {"pgta": {"done": False, "discussed": True}}),
        ("pgta", {"pgta": {"euploid": 2}}),
        ("uterine_imaging", {"uterine_imaging": {"done": True}}),
        ("hysteroscopy", {"hysteroscopy": {"done": True}}),
        ("ce_biopsy", {"ce_biopsy": {"done": True, "cd138_positive": False}}),
        ("hydrosalpinx_check", {"hydrosalpinx": False}),
        ("adenomyosis_imaging", {"adenomyosis": False}),
        ("ovarian_reserve", {"amh": {"value": 2.0, "unit": "ng/mL"}, "afc": 10}),
        ("response_review", {"previous_oocytes": [8]}),
    ],
)
def test_an_investigation_is_done_once_its_findings_are_recorded(catalogue, code, facts):
    answer = assess(catalogue, **RIF, **facts)
    assert status(answer, code) == "done"
    assert code not in [s["code"] for s in answer["next_steps"]]


@pytest.mark.parametrize(
    "code, facts",
    [
        ("lifestyle", {"smoker": False}),  # BMI still unknown
        ("thyroid", {"tsh": 1.8}),  # TPO still unknown
        ("aps_screen", {"aps": "not_tested"}),
        ("pgta", {"pgta": {"done": False}}),
        ("hysteroscopy", {"hysteroscopy": {"done": False}}),
        ("ovarian_reserve", {"afc": 10}),
        ("karyotype", {"karyotype": None}),
    ],
)
def test_an_investigation_with_unknown_findings_stays_pending(catalogue, code, facts):
    assert status(assess(catalogue, **RIF, **facts), code) == "pending"


def test_done_wins_over_the_label(catalogue):
    answer = assess(catalogue, **TOO_EARLY, hysteroscopy={"done": True, "polyp": False})
    assert status(answer, "hysteroscopy") == "done"
