"""Contract 2 over the command line, over HTTP and on the page: the same answer every way."""

import json
from datetime import date, timedelta

import pytest

from tests.factories import contract_transfers, make_patient, make_workup

from .test_assess_contract import post, run_cli

CONTRACT_EXAMPLE = {
    "age": 38,
    "transfers": contract_transfers(
        {
            "date": "2026-04-20",
            "oocyte_age": 26,
            "donor_oocytes": True,
            "frozen": False,
            "stage": "blastocyst",
            "embryos": [{"pgta": "untested"}, {"pgta": "untested"}],
            "outcome": "negative",
        },
    ),
}

BAD = [
    ("counts that disagree", {**CONTRACT_EXAMPLE, "failed_transfers": 3}, "failed_transfers"),
    ("fewer miscarriages than losses", {**CONTRACT_EXAMPLE, "miscarriages": 0}, "miscarriages"),
    (
        "a transfer in the future",
        {
            "age": 38,
            "transfers": [
                {
                    **CONTRACT_EXAMPLE["transfers"][0],
                    "date": (date.today() + timedelta(days=2)).isoformat(),
                }
            ],
        },
        "transfers.0.date",
    ),
    (
        "no age at retrieval",
        {"age": 38, "transfers": [{"embryos": [{"pgta": "untested"}], "outcome": "negative"}]},
        "transfers.0.oocyte_age",
    ),
]


@pytest.mark.django_db
def test_the_contract_example_answers_the_same_over_http_and_the_command_line(
    clinician_client, monkeypatch, tmp_path
):
    status, out, _ = run_cli(json.dumps(CONTRACT_EXAMPLE).encode(), monkeypatch, tmp_path)
    response = post(clinician_client, CONTRACT_EXAMPLE)
    assert status == 0 and response.status_code == 200
    answer = response.json()
    assert answer == json.loads(out)
    assert answer["contract"] == 2
    rif = answer["rif"]
    assert rif["label"] == "rif"
    assert rif["cumulative_chance"] == 0.83
    assert [(t["date"], t["chance"], t["cumulative_after"]) for t in rif["transfers"]] == [
        ("2025-02-10", 0.45, 0.45),
        ("2026-04-20", 0.7, 0.83),
    ]
    assert rif["transfers"][1]["embryos"] == [
        {"pgta": "untested", "chance": 0.45},
        {"pgta": "untested", "chance": 0.45},
    ]
    assert rif["not_counted"] == []


@pytest.mark.django_db
def test_the_page_shows_the_answer_the_api_gives(clinician_client, clinician):
    workup = make_workup(
        clinician=clinician,
        patient=make_patient(birth_date=date(1988, 3, 14)),
        facts=CONTRACT_EXAMPLE,
    )
    page = clinician_client.get(workup.get_absolute_url())
    api = post(clinician_client, CONTRACT_EXAMPLE).json()
    assert page.context["answer"]["rif"] == api["rif"]
    assert api["rif"]["reason"] in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("name, body, path", BAD)
def test_bad_transfers_are_refused_the_same_way_both_ways(
    clinician_client, monkeypatch, tmp_path, name, body, path
):
    status, out, err = run_cli(json.dumps(body).encode(), monkeypatch, tmp_path)
    response = post(clinician_client, body)
    assert status == 2 and out == "", name
    assert response.status_code == 400, name
    assert response.json() == json.loads(err)
    assert path in response.json()["errors"], response.json()
