"""Synthetic transfer histories for the demo work-ups: invented, plausible, one by one.

``with_transfer_history`` turns the demo's drawn counts (failed transfers, of which euploid,
miscarriages) into the transfers behind them: dates before the work-up, ages at retrieval from
the patient's birth date (a donor's age for donor oocytes), fresh or frozen, stage, embryos with
PGT-A status and grade, outcomes; now and then a mosaic transfer (listed, not counted) or an
earlier live birth. The counts then come from the transfers, as for any work-up.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from .models import age_on


def _grade(rng: random.Random, stage: str) -> str:
    if stage == "cleavage":
        return f"{rng.choice((6, 7, 8, 8, 8))}-cell grade {rng.choice((1, 1, 2, 2, 3))}"
    return f"{rng.choice('3445556')}{rng.choice('AAABBBC')}{rng.choice('AABBBCC')}"


def with_transfer_history(
    rng: random.Random, data: dict, *, birth: date, workup_date: date
) -> tuple[dict, dict[str, date]]:
    """The facts with ``transfers`` in place of the failed-transfer counts, and the retrieval
    date of each own-oocyte transfer (by transfer date, for the records)."""
    failed = data.pop("failed_transfers", 0) or 0
    euploid = data.pop("euploid_failed_transfers", 0) or 0
    losses = data.get("miscarriages") or 0
    age = data["age"]
    outcomes = ["euploid"] * euploid + ["negative"] * (failed - euploid)
    outcomes += [rng.choice(("biochemical", "biochemical", "miscarriage")) for _ in range(losses)]
    if rng.random() < 0.08 or not outcomes:
        outcomes.append("live_birth")  # an earlier success (and every history has a transfer)
    if failed and rng.random() < 0.04:
        outcomes.append("mosaic")  # a failed mosaic transfer: listed, not counted
    rng.shuffle(outcomes)
    donor_from = len(outcomes)
    if outcomes and rng.random() < (0.3 if age >= 42 else 0.06):
        donor_from = rng.randrange(len(outcomes))  # own oocytes first, then a donor's
    donor_age = rng.randint(21, 33)

    transfers, retrievals = [], {}
    day = workup_date - timedelta(days=rng.randint(20, 150))
    stamps = []
    for _ in outcomes:
        stamps.append(day)
        day -= timedelta(days=rng.randint(60, 240))
    for index, (kind, when) in enumerate(zip(outcomes, reversed(stamps), strict=True)):
        donor = index >= donor_from
        stage = "cleavage" if rng.random() < 0.03 else "blastocyst"
        frozen = rng.random() < (0.75 if stage == "blastocyst" else 0.3)
        if kind in ("euploid", "mosaic"):
            pgta, count, stage, frozen = kind, 1, "blastocyst", True
        else:
            pgta = "untested"
            count = rng.choices((1, 2, 3), weights=(70, 28, 2))[0]
        if donor:
            oocyte_age = donor_age
        else:
            retrieval = when - timedelta(days=rng.randint(40, 400) if frozen else 5)
            oocyte_age = age_on(birth, retrieval)
            retrievals[when.isoformat()] = retrieval
        embryos = []
        for _ in range(count):
            embryo = {"pgta": pgta}
            if rng.random() < 0.85:
                embryo["grade"] = _grade(rng, stage)
            embryos.append(embryo)
        transfers.append(
            {
                "date": when.isoformat(),
                "oocyte_age": oocyte_age,
                "donor_oocytes": donor,
                "frozen": frozen,
                "stage": stage,
                "embryos": embryos,
                "outcome": "negative" if kind in ("euploid", "mosaic") else kind,
            }
        )
    data["transfers"] = transfers
    return data, retrievals
