"""Contract 2: every transfer on record, priced by its own embryos, stage and age at retrieval."""

import json
from datetime import date

import pytest

from tests.factories import contract_transfers
from workup.evidence.catalogue import Catalogue
from workup.evidence.facts import FactsError, parse_facts

from .helpers import assess, status, with_values


def transfer(oocyte_age, *pgta, outcome="negative", stage="blastocyst", day=None, **more):
    """One transfer as the contract spells it: embryos by PGT-A status."""
    out = {
        "oocyte_age": oocyte_age,
        "stage": stage,
        "embryos": [{"pgta": p} for p in pgta or ("untested",)],
        "outcome": outcome,
        **more,
    }
    if day:
        out["date"] = day
    return out


def errors_of(catalogue, **facts):
    facts.setdefault("age", 38)
    with pytest.raises(FactsError) as caught:
        parse_facts(facts, **catalogue.codes_for_facts(), today=date(2026, 12, 1))
    return caught.value.errors


# --- the label, transfer by transfer -------------------------------------------------------------


@pytest.mark.parametrize(
    "age, transfers, label, chance, words",
    [
        # The patient: 38 now, embryos from retrievals at 34 and 35: 45% and 38%, not 28%.
        (
            38,
            [transfer(34, day="2025-02-10"), transfer(35, day="2025-09-02")],
            "rif",
            0.66,
            [
                "10 Feb 2025: 45%, 1 untested blastocyst, oocytes at 34",
                "2 Sep 2025: 38%, 1 untested blastocyst, oocytes at 35",
                "66%",
                "above the 60%",
            ],
        ),
        # Donor oocytes: the donor's age (26), not the recipient's (44).
        (
            44,
            [
                transfer(26, day="2025-03-01", donor_oocytes=True),
                transfer(26, day="2025-08-01", donor_oocytes=True),
            ],
            "rif",
            0.70,
            ["1 Mar 2025: 45%, 1 untested blastocyst, donor oocytes at 26", "70%"],
        ),
        # A double-embryo transfer: 1 - (1 - 0.45)^2 = 70% for that one transfer.
        (
            30,
            [transfer(30, "untested", "untested", day="2025-05-05")],
            "rif",
            0.70,
            ["over 1 failed transfer is 70%", "5 May 2025: 70%, 2 untested blastocysts"],
        ),
        # Mixed embryos in one transfer: 1 - 0.4 x 0.72 = 71%.
        (
            39,
            [transfer(39, "euploid", "untested", day="2025-05-05")],
            "rif",
            0.71,
            ["71%, 1 euploid and 1 untested blastocyst, oocytes at 39"],
        ),
        # Three untested at 41-42 stay below the threshold: 1 - 0.82^3 = 45%.
        (
            42,
            [
                transfer(41, day="2025-01-01"),
                transfer(41, day="2025-04-01"),
                transfer(42, day="2025-09-01"),
            ],
            "not_yet",
            0.45,
            ["not above the 60% threshold: too early to label RIF", "1 Jan 2025: 18%"],
        ),
    ],
)
def test_each_failed_transfer_counts_the_chance_of_its_own_embryos_and_age_at_retrieval(
    catalogue, age, transfers, label, chance, words
):
    rif = assess(catalogue, age=age, transfers=transfers)["rif"]
    assert rif["label"] == label
    assert rif["cumulative_chance"] == pytest.approx(chance, abs=0.005)
    for phrase in words:
        assert phrase in rif["reason"]
    assert rif["transfers"][-1]["cumulative_after"] == rif["cumulative_chance"]


def test_the_same_history_as_counts_is_priced_at_the_current_age_and_labelled_later(catalogue):
    as_counts = assess(catalogue, age=38, failed_transfers=2)
    one_by_one = assess(catalogue, age=38, transfers=[transfer(34), transfer(35)])
    assert as_counts["rif"]["label"] == "not_yet"
    assert as_counts["rif"]["cumulative_chance"] == pytest.approx(0.48, abs=0.005)
    assert "2 untested at 28% each; age 38" in as_counts["rif"]["reason"]
    assert one_by_one["rif"]["label"] == "rif"


def test_the_answer_lists_the_cumulative_chance_after_each_failed_transfer_in_date_order(
    catalogue,
):
    rif = assess(
        catalogue,
        age=37,
        transfers=[
            transfer(36, day="2026-01-20"),
            transfer(33, "euploid", day="2025-03-02", frozen=True, donor_oocytes=False),
            transfer(35, outcome="ongoing", day="2025-10-10"),
            transfer(35, day="2025-07-07"),
        ],
    )["rif"]
    assert [(t["date"], t["chance"], t["cumulative_after"]) for t in rif["transfers"]] == [
        ("2025-03-02", 0.6, 0.6),
        ("2025-07-07", 0.38, 0.75),
        ("2026-01-20", 0.38, 0.85),
    ]
    first = rif["transfers"][0]
    assert first["oocyte_age"] == 33 and first["donor_oocytes"] is False
    assert first["embryos"] == [{"pgta": "euploid", "chance": 0.6}]


# --- the 60% boundary ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "transfers, values, label",
    [
        # One failed euploid transfer is exactly 60%: not past the threshold.
        ([transfer(30, "euploid")], {}, "not_yet"),
        ([transfer(30, "euploid"), transfer(30, "euploid")], {}, "rif"),
        # A double-embryo transfer at exactly the threshold (1 - 0.55^2 = 0.6975): not past it,
        # though the product in floating point lands a hair above.
        ([transfer(30, "untested", "untested")], {"rif_threshold": 0.6975}, "not_yet"),
        ([transfer(30, "untested", "untested")], {"rif_threshold": 0.6974}, "rif"),
        # Two transfers whose product is the threshold: 1 - 0.55 x 0.62 = 0.659.
        ([transfer(34), transfer(35)], {"rif_threshold": 0.659}, "not_yet"),
    ],
)
def test_the_label_needs_the_chance_to_pass_the_threshold_not_reach_it(
    catalogue, transfers, values, label
):
    changed = with_values(catalogue, **values) if values else catalogue
    assert assess(changed, age=30, transfers=transfers)["rif"]["label"] == label


# --- outcomes: only no positive test is a failure -----------------------------------------------


@pytest.mark.parametrize(
    "outcome, failed, losses, words",
    [
        ("negative", 1, 0, None),
        (
            "biochemical",
            0,
            1,
            "Counted as pregnancy losses: 3 Mar 2025, biochemical pregnancy. A biochemical "
            "pregnancy or a miscarriage follows a positive test, so it is a pregnancy loss rather "
            "than an implantation failure (1 pregnancy loss in all).",
        ),
        (
            "miscarriage",
            0,
            1,
            "Counted as pregnancy losses: 3 Mar 2025, miscarriage.",
        ),
        (
            "ectopic",
            0,
            0,
            "Not implantation failures, as each gave a positive pregnancy test: 3 Mar 2025, "
            "ectopic pregnancy.",
        ),
        ("live_birth", 0, 0, "3 Mar 2025, live birth"),
        ("ongoing", 0, 0, "3 Mar 2025, ongoing pregnancy"),
        (None, 0, 0, None),  # the result is not known yet: not a failure, not a loss
    ],
)
def test_only_a_transfer_with_no_positive_test_is_a_failure_and_losses_count_as_miscarriages(
    catalogue, outcome, failed, losses, words
):
    item = transfer(34, day="2025-03-03")
    if outcome is None:
        del item["outcome"]
    else:
        item["outcome"] = outcome
    facts = parse_facts({"age": 36, "transfers": [item]}, **catalogue.codes_for_facts())
    assert facts.failed_transfers == failed
    assert facts.miscarriages == losses
    answer = assess(catalogue, age=36, transfers=[item])
    notes = " ".join(n["text"] for n in answer["rif"]["notes"])
    if words:
        assert words in notes
    if failed:
        assert answer["rif"]["cumulative_chance"] == 0.45
    else:
        assert answer["rif"]["reason"] == "No failed transfers recorded: too early to label RIF."


def test_the_positive_test_note_cites_the_eshre_framing_and_the_losses_note_is_pending(catalogue):
    notes = assess(catalogue, transfers=[transfer(34, outcome="biochemical")])["rif"]["notes"]
    assert [(n["code"], n["review"], n["sources"]) for n in notes] == [
        ("transfers_positive_tests", "verified", ["eshre-rif-2023"]),
        ("transfer_losses", "pending_review", ["eshre-rpl-2022"]),
    ]


def test_losses_after_transfer_count_towards_the_aps_screen(catalogue):
    two_losses = [transfer(34, outcome="biochemical"), transfer(35, outcome="miscarriage")]
    answer = assess(catalogue, age=36, transfers=two_losses)
    assert answer["rif"]["label"] == "not_yet"
    assert status(answer, "aps_screen") == "pending"


# --- what the catalogue cannot price is listed, not counted -------------------------------------


@pytest.mark.parametrize(
    "item, reason, listed",
    [
        (
            transfer(33, "mosaic", day="2025-05-01"),
            "The catalogue has no implantation chance for a mosaic blastocyst: listed, not "
            "counted.",
            "1 May 2025 (1 mosaic blastocyst)",
        ),
        (
            transfer(33, "aneuploid", day="2025-05-01"),
            "The catalogue has no implantation chance for an aneuploid blastocyst: listed, not "
            "counted.",
            "1 May 2025 (1 aneuploid blastocyst)",
        ),
        (
            transfer(33, "untested", stage="cleavage", day="2025-05-01"),
            "The catalogue has no implantation chance for an untested cleavage-stage embryo: "
            "listed, not counted.",
            "1 May 2025 (1 untested cleavage-stage embryo)",
        ),
        (
            transfer(33, "untested", "mosaic", day="2025-05-01"),
            "The catalogue has no implantation chance for a mosaic blastocyst: listed, not "
            "counted.",
            "1 May 2025 (1 untested and 1 mosaic blastocyst)",
        ),
        (
            {
                "oocyte_age": 33,
                "embryos": [{"pgta": "untested"}],
                "outcome": "negative",
                "date": "2025-05-01",
            },
            "The embryo stage is not recorded, and the catalogue's chances are for one stage: "
            "listed, not counted until the stage is recorded.",
            "1 May 2025 (1 untested embryo, stage not recorded)",
        ),
    ],
)
def test_a_failed_transfer_the_catalogue_has_no_chance_for_is_listed_not_counted(
    catalogue, item, reason, listed
):
    answer = assess(catalogue, age=34, transfers=[transfer(33, day="2025-01-10"), item])
    rif = answer["rif"]
    assert [t["date"] for t in rif["transfers"]] == ["2025-01-10"]
    assert rif["cumulative_chance"] == 0.45
    assert rif["not_counted"][0]["date"] == "2025-05-01"
    assert rif["not_counted"][0]["reason"] == reason
    assert f"not counted: {listed}" in rif["reason"]
    warning = (
        f"Not counted in the cumulative chance: {listed}. The catalogue has no implantation "
        "chance for these embryos, so the chance shown leaves these failed transfers out until "
        "the clinical lead adds one."
    )
    assert warning in answer["warnings"]
    caution = next(c for c in answer["cautions"] if c["code"] == "transfers_not_counted")
    assert caution["review"] == "pending_review"
    assert caution["source_note"] == "standard practice; no source in the catalogue yet"


def test_with_nothing_counted_the_reason_says_why(catalogue):
    rif = assess(catalogue, age=34, transfers=[transfer(33, "mosaic", day="2025-05-01")])["rif"]
    assert rif["label"] == "not_yet"
    assert rif["cumulative_chance"] == 0.0
    assert rif["reason"] == (
        "None of the 1 failed transfer can be counted, so the cumulative predicted chance of "
        "implantation is 0%: too early to label RIF (not counted: 1 May 2025 (1 mosaic "
        "blastocyst))."
    )


def test_a_chance_the_lead_adds_for_cleavage_embryos_is_used_and_pending_review(catalogue):
    data = json.loads(json.dumps(catalogue.to_dict()))
    data["implantation_chances"].append(
        {
            "code": "untested_cleavage",
            "name": "Untested cleavage-stage embryo, any age",
            "embryo": "untested",
            "stage": "cleavage",
            "age_min": 18,
            "age_max": 60,
            "chance": 0.2,
            "sources": [],
            "tags": {"value": "U"},
            "review": "pending_review",
        }
    )
    changed = Catalogue.from_dict(data)
    rif = assess(changed, age=34, transfers=[transfer(33, stage="cleavage", day="2025-05-01")])[
        "rif"
    ]
    assert rif["not_counted"] == []
    assert rif["cumulative_chance"] == 0.2
    assert "1 May 2025: 20%, 1 untested cleavage-stage embryo, oocytes at 33" in rif["reason"]
    assert rif["review"] == "pending_review"


def test_several_embryos_in_one_transfer_say_the_independence_assumption(catalogue):
    notes = assess(
        catalogue, age=30, transfers=[transfer(30, "untested", "untested", day="2025-05-05")]
    )["rif"]["notes"]
    assert notes[0]["text"] == (
        "More than one embryo was transferred on 5 May 2025: the chance that at least one "
        "implants is taken as 1 − (1 − p) multiplied over the embryos, which assumes that they "
        "implant independently."
    )
    assert notes[0]["review"] == "pending_review"


# --- contract 1 beside contract 2 ---------------------------------------------------------------


def test_contract_1_counts_are_still_answered_with_the_current_age_warning(catalogue):
    answer = assess(catalogue, age=36, failed_transfers=3)
    assert answer["contract"] == 2
    assert answer["rif"]["label"] == "rif"
    assert answer["rif"]["cumulative_chance"] == 0.76
    assert [t["cumulative_after"] for t in answer["rif"]["transfers"]] == [0.38, 0.62, 0.76]
    assert (
        "The age at each transfer is not recorded, so the current age (36) was used for 3 failed "
        "transfers. An untested embryo's chance follows the age of the woman whose oocytes made "
        "it, at retrieval (the donor's age for donor oocytes): priced at today's age, the label "
        "may come later than it should. Record the transfers one by one to price each at its own "
        "age."
    ) in answer["warnings"]


@pytest.mark.parametrize(
    "facts, warned",
    [
        ({"failed_transfers": 0}, False),
        ({}, False),
        ({"failed_transfers": 1}, True),
        ({"transfers": [transfer(30)]}, False),
    ],
)
def test_the_current_age_warning_only_when_counts_are_priced(catalogue, facts, warned):
    answer = assess(catalogue, age=36, **facts)
    assert any("current age" in w for w in answer["warnings"]) is warned


@pytest.mark.parametrize(
    "given, field, words",
    [
        (
            {"failed_transfers": 2},
            "failed_transfers",
            "failed_transfers is 2, the transfers hold 1",
        ),
        (
            {"euploid_failed_transfers": 1},
            "failed_transfers",
            "euploid_failed_transfers is 1, the transfers hold 0",
        ),
        (
            {"miscarriages": 0},
            "miscarriages",
            "At least 1: the transfers record 1 pregnancy loss after a positive test "
            "(1 Mar 2025, biochemical pregnancy); got 0.",
        ),
    ],
)
def test_counts_given_beside_the_transfers_must_agree(catalogue, given, field, words):
    transfers = [
        transfer(34, day="2025-02-01"),
        transfer(34, outcome="biochemical", day="2025-03-01"),
    ]
    errors = errors_of(catalogue, transfers=transfers, **given)
    assert list(errors) == [field]
    assert words in errors[field][0]


def test_counts_that_agree_with_the_transfers_are_accepted(catalogue):
    transfers = [transfer(34, "euploid"), transfer(34), transfer(34, outcome="miscarriage")]
    answer = assess(
        catalogue,
        transfers=transfers,
        failed_transfers=2,
        euploid_failed_transfers=1,
        miscarriages=3,
    )
    assert answer["rif"]["cumulative_chance"] == pytest.approx(0.78, abs=0.005)


def test_failed_transfers_of_untested_embryos_lead_to_the_pgta_discussion(catalogue):
    answer = assess(
        catalogue, transfers=[transfer(34), transfer(34, "euploid"), transfer(34, "mosaic")]
    )
    pgta = next(i for i in answer["checklist"] if i["code"] == "pgta")
    assert pgta["reason"].startswith(
        "1 failed transfer of untested embryos: discuss PGT-A and its limits"
    )


# --- bad transfers are named field by field -----------------------------------------------------


@pytest.mark.parametrize(
    "item, path, words",
    [
        (
            {"stage": "blastocyst", "embryos": [{"pgta": "untested"}], "outcome": "negative"},
            "transfers.0.oocyte_age",
            "Give the age at oocyte retrieval",
        ),
        (transfer(15), "transfers.0.oocyte_age", "Must be between 16 and 60 years; got 15."),
        (transfer(34, day="2027-01-01"), "transfers.0.date", "cannot be in the future"),
        (transfer(34, day="10/02/2025"), "transfers.0.date", "Not a valid date (YYYY-MM-DD)"),
        (transfer(34, stage="morula"), "transfers.0.stage", "Expected one of blastocyst, cleavage"),
        (
            transfer(34, outcome="failed"),
            "transfers.0.outcome",
            "Expected one of negative, biochemical, miscarriage, ectopic, ongoing, live_birth",
        ),
        ({**transfer(34), "embryos": []}, "transfers.0.embryos", "Give 1 to 4 embryos; got 0."),
        (
            {**transfer(34), "embryos": [{"pgta": "untested"}] * 5},
            "transfers.0.embryos",
            "Give 1 to 4 embryos; got 5.",
        ),
        (
            {**transfer(34), "embryos": [{"grade": "4AA"}]},
            "transfers.0.embryos.0.pgta",
            "Give the PGT-A status",
        ),
        (
            {**transfer(34), "embryos": [{"pgta": "normal"}]},
            "transfers.0.embryos.0.pgta",
            "Expected one of euploid, untested, mosaic, aneuploid",
        ),
        (
            {**transfer(34), "embryos": [{"pgta": "untested", "grade": "7AA"}]},
            "transfers.0.embryos.0.grade",
            "Not a Gardner grade",
        ),
        (
            {**transfer(34), "embryos": [{"pgta": "untested", "grade": "4AD"}]},
            "transfers.0.embryos.0.grade",
            "Not a Gardner grade",
        ),
        (
            {
                **transfer(34, stage="cleavage"),
                "embryos": [{"pgta": "untested", "grade": "x" * 21}],
            },
            "transfers.0.embryos.0.grade",
            "At most 20 characters; got 21.",
        ),
        (
            {**transfer(34), "donor_oocyte": True},
            "transfers.0.donor_oocyte",
            "Did you mean 'donor_oocytes'?",
        ),
        ({**transfer(34), "frozen": "yes"}, "transfers.0.frozen", "Expected true, false or null"),
        ("2025-01-01", "transfers.0", "Expected an object"),
    ],
)
def test_a_bad_transfer_is_refused_naming_the_field(catalogue, item, path, words):
    errors = errors_of(catalogue, transfers=[item])
    assert path in errors, errors
    assert words in " ".join(errors[path])


@pytest.mark.parametrize(
    "grade, stage, stored",
    [
        ("4AA", "blastocyst", "4AA"),
        ("5ab", "blastocyst", "5AB"),
        ("6CC", "blastocyst", "6CC"),
        ("8-cell, grade 1", "cleavage", "8-cell, grade 1"),
    ],
)
def test_good_grades_are_kept(catalogue, grade, stage, stored):
    item = {**transfer(34, stage=stage), "embryos": [{"pgta": "untested", "grade": grade}]}
    facts = parse_facts({"age": 36, "transfers": [item]}, **catalogue.codes_for_facts())
    assert facts.transfers[0].embryos[0].grade == stored


def test_transfers_round_trip_through_the_canonical_form(catalogue):
    data = {
        "age": 38,
        "transfers": contract_transfers(),
    }
    codes = catalogue.codes_for_facts()
    facts = parse_facts(data, **codes)
    out = facts.to_dict()
    assert out["transfers"] == data["transfers"]
    assert (out["failed_transfers"], out["euploid_failed_transfers"], out["miscarriages"]) == (
        1,
        0,
        1,
    )
    assert parse_facts(out, **codes) == facts
