"""The RIF label: cumulative predicted chance over the failed transfers passes 60%."""

import json

import pytest

from workup.evidence.catalogue import Catalogue

from .helpers import assess, with_values


@pytest.mark.parametrize(
    "age, failed, euploid, label, chance",
    [
        # The reference's own worked examples.
        (36, 3, 0, "rif", 0.76),
        (41, 2, 0, "not_yet", 0.33),
        # One failed euploid transfer reaches exactly 60%: not past the threshold yet.
        (30, 1, 1, "not_yet", 0.60),
        (30, 2, 2, "rif", 0.84),
        # Mixed: one euploid (0.60) and one untested under 35 (0.45).
        (30, 2, 1, "rif", 0.78),
        (33, 2, 0, "rif", 0.70),
        (38, 3, 0, "rif", 0.63),
        (38, 2, 0, "not_yet", 0.48),
        (43, 6, 0, "not_yet", 0.39),
        (30, 0, 0, "not_yet", 0.0),
    ],
)
def test_it_labels_rif_once_the_cumulative_chance_passes_sixty_percent(
    catalogue, age, failed, euploid, label, chance
):
    rif = assess(catalogue, age=age, failed_transfers=failed, euploid_failed_transfers=euploid)[
        "rif"
    ]
    assert rif["label"] == label
    assert rif["cumulative_chance"] == pytest.approx(chance, abs=0.005)
    assert rif["reason"]
    assert rif["sources"] == ["eshre-rif-2023"]


@pytest.mark.parametrize(
    "age, chance",
    [
        (18, 0.45),
        (34, 0.45),
        (35, 0.38),
        (37, 0.38),
        (38, 0.28),
        (40, 0.28),
        (41, 0.18),
        (42, 0.18),
        (43, 0.08),
        (60, 0.08),
    ],
)
def test_one_untested_transfer_counts_the_chance_of_its_age_band(catalogue, age, chance):
    rif = assess(catalogue, age=age, failed_transfers=1)["rif"]
    assert rif["cumulative_chance"] == pytest.approx(chance, abs=0.005)
    assert rif["transfers"] == [
        {
            "date": None,
            "oocyte_age": None,
            "donor_oocytes": None,
            "stage": None,
            "priced_at_age": age,
            "embryos": [{"pgta": "untested", "chance": chance}],
            "chance": chance,
            "cumulative_after": chance,
        }
    ]


def test_euploid_chance_does_not_fall_with_age(catalogue):
    young = assess(catalogue, age=25, failed_transfers=1, euploid_failed_transfers=1)
    old = assess(catalogue, age=44, failed_transfers=1, euploid_failed_transfers=1)
    assert young["rif"]["cumulative_chance"] == old["rif"]["cumulative_chance"] == 0.6


def test_unknown_number_of_transfers_is_too_early_and_says_why(catalogue):
    answer = assess(catalogue, age=38)
    assert answer["rif"]["label"] == "not_yet"
    assert answer["rif"]["cumulative_chance"] is None
    assert "not recorded" in answer["rif"]["reason"]
    assert (
        "The number of failed transfers is not recorded: the RIF label cannot be assessed yet."
        in answer["warnings"]
    )
    assert not any("failed_transfers" in w for w in answer["warnings"])


def test_the_reason_names_the_percentages_used(catalogue):
    reason = assess(catalogue, age=36, failed_transfers=3)["rif"]["reason"]
    assert "76%" in reason and "60%" in reason and "38%" in reason


def test_an_early_label_carries_the_lugano_caution(catalogue):
    answer = assess(catalogue, age=30, failed_transfers=2)
    assert answer["rif"]["label"] == "rif"
    assert any("Lugano" in w for w in answer["warnings"])
    three = assess(catalogue, age=36, failed_transfers=3)
    assert not any("Lugano" in w for w in three["warnings"])


def test_the_rule_reads_its_threshold_from_the_catalogue(catalogue):
    stricter = with_values(catalogue, rif_threshold=0.8)
    assert assess(stricter, age=36, failed_transfers=3)["rif"]["label"] == "not_yet"


def test_the_rule_reads_per_transfer_chances_from_the_catalogue(catalogue):
    data = json.loads(json.dumps(catalogue.to_dict()))
    for chance in data["implantation_chances"]:
        if chance["code"] == "untested_35_37":
            chance["chance"] = 0.2
    changed = Catalogue.from_dict(data)
    rif = assess(changed, age=36, failed_transfers=3)["rif"]
    assert rif["label"] == "not_yet"
    assert rif["cumulative_chance"] == pytest.approx(1 - 0.8**3, abs=0.005)


def test_the_label_is_pending_review_while_its_chances_are(catalogue):
    assert assess(catalogue, age=36, failed_transfers=3)["rif"]["review"] == "pending_review"
