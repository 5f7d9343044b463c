"""The FHIR export of transfers recorded one by one: one Procedure each (issue 14), valid R4."""

from __future__ import annotations

import pytest

from tests.factories import contract_transfers, make_workup, sign_as_seen

from .test_fhir_export import assert_valid_r4, export, resources

TRANSFERS = {
    "age": 38,
    "transfers": contract_transfers(
        {
            "date": "2026-04-20",
            "oocyte_age": 26,
            "donor_oocytes": True,
            "frozen": False,
            "stage": "blastocyst",
            "embryos": [{"pgta": "untested"}, {"pgta": "mosaic"}],
        },
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("signed", [False, True])
def test_each_transfer_is_a_procedure_with_its_date_embryos_and_outcome(
    signed, clinician, clinician_client, codes
):
    workup = make_workup(clinician=clinician, facts=TRANSFERS)
    if signed:
        sign_as_seen(workup, clinician)
    bundle = export(clinician_client, workup)
    assert_valid_r4(bundle)
    transfers = [
        p for p in resources(bundle, "Procedure") if p["code"]["text"] == "Embryo transfer"
    ]
    assert [(p["performedDateTime"], p["outcome"]["text"]) for p in transfers] == [
        ("2025-02-10", "No positive test"),
        ("2025-09-02", "Biochemical pregnancy"),
        ("2026-04-20", "Outcome not recorded"),
    ]
    assert transfers[0]["note"][0]["text"] == (
        "1 untested blastocyst (4AA); own oocytes at 34; frozen."
    )
    assert transfers[2]["note"][0]["text"] == (
        "1 untested and 1 mosaic blastocyst; donor oocytes at 26; fresh."
    )
    # The counted transfers are these records, not "Embryo transfer 1 of 1" made from a count.
    assert not any("of" in p["code"]["text"] for p in transfers)
    if signed:
        composition = bundle["entry"][0]["resource"]
        section = next(s for s in composition["section"] if s["title"] == "Procedures")
        assert len(section["entry"]) == 3
