"""Requested add-ons are flagged with stance, rating, risks and sources; APS is the exception."""

import pytest

from .helpers import assess


def flags(answer):
    return {f["code"]: f for f in answer["addon_flags"]}


def test_it_flags_intralipids_with_their_risks(catalogue):
    flag = flags(assess(catalogue, age=38, addons_requested=["intralipids"]))["intralipids"]
    assert flag["flagged"] is True
    assert flag["stance"] == "not_recommended"
    assert flag["hfea"] == "red"
    assert any("fat overload" in r.lower() for r in flag["risks"])
    assert any("thrombocytopenia" in r.lower() for r in flag["risks"])
    assert {"eshre-addons-2023", "hfea-addons"} <= set(flag["sources"])
    assert flag["review"] == "verified"


def test_one_flag_per_requested_add_on_in_the_order_asked(catalogue):
    answer = assess(catalogue, age=38, addons_requested=["ivig", "intralipids", "ivig"])
    assert [f["code"] for f in answer["addon_flags"]] == ["ivig", "intralipids"]


@pytest.mark.parametrize("code", ["heparin", "aspirin"])
def test_heparin_and_aspirin_are_part_of_aps_treatment_when_aps_is_confirmed(catalogue, code):
    flag = flags(assess(catalogue, age=38, aps="confirmed", addons_requested=[code]))[code]
    assert flag["flagged"] is False
    assert "Antiphospholipid syndrome confirmed" in flag["indicated_reason"]


@pytest.mark.parametrize("aps", ["negative", "single_positive", "not_tested", None])
@pytest.mark.parametrize("code", ["heparin", "aspirin"])
def test_heparin_and_aspirin_are_flagged_without_confirmed_aps(catalogue, code, aps):
    facts = {"age": 38, "addons_requested": [code]}
    if aps:
        facts["aps"] = aps
    assert flags(assess(catalogue, **facts))[code]["flagged"] is True


@pytest.mark.parametrize(
    "code",
    [
        "intralipids",
        "ivig",
        "corticosteroids",
        "anti_tnf",
        "tacrolimus",
        "pbmc",
        "rlif",
        "lit",
        "g_csf",
    ],
)
def test_immune_add_ons_stay_flagged_even_with_confirmed_aps(catalogue, code):
    answer = assess(catalogue, age=38, aps="confirmed", miscarriages=3, addons_requested=[code])
    assert flags(answer)[code]["flagged"] is True


def test_every_add_on_of_the_catalogue_can_be_flagged_with_cited_sources(catalogue):
    answer = assess(catalogue, age=38, addons_requested=list(catalogue.addons))
    assert len(answer["addon_flags"]) == len(catalogue.addons)
    for flag in answer["addon_flags"]:
        assert flag["sources"] and set(flag["sources"]) <= set(catalogue.sources)
        assert flag["review"] in ("verified", "pending_review")
        assert flag["hfea"] in (None, "green", "amber", "grey", "black", "red")


def test_unverified_stances_are_shown_as_pending_not_guessed(catalogue):
    flag = flags(assess(catalogue, age=38, addons_requested=["corticosteroids"]))["corticosteroids"]
    assert flag["stance"] is None  # the reference has no verified ESHRE stance
    assert "pending" in flag["stance_note"]
    assert flag["hfea"] == "red"
    assert flag["review"] == "pending_review"


def test_embryo_glue_shows_both_views(catalogue):
    flag = flags(assess(catalogue, age=38, addons_requested=["embryo_glue"]))["embryo_glue"]
    assert flag["stance"] == "recommended" and flag["hfea"] == "amber"
    assert flag["verdict"]["text"].startswith("Views differ: ESHRE recommends it")
    assert "amber (conflicting evidence)" in flag["verdict"]["text"]
    assert "not advised" not in str(flag).lower()
