"""The same rule and the same words wherever the engine is reached: the form, the API, the
command line, the work-up page, the summary and the patient sheet."""

import json

import pytest
from django.urls import reverse

from tests.api.test_assess_contract import post, run_cli
from tests.clinic.test_workup_pages import post_findings
from tests.documents.helpers import visible_text
from tests.factories import make_workup
from workup.clinic.models import Findings
from workup.evidence import store
from workup.evidence.facts import FactsError, parse_facts
from workup.evidence.models import Parameter

SIX_WEEKS = (
    "Confirmed needs a persistent result at least 12 weeks after the first test; these tests "
    "are 6 weeks apart. Record a single positive result until the repeat is due."
)


@pytest.mark.parametrize(
    "facts, path, message",
    [
        (
            {
                "aps": "confirmed",
                "aps_first_test_date": "2026-06-01",
                "aps_repeat_test_date": "2026-07-13",
            },
            "aps",
            SIX_WEEKS,
        ),
        (
            {
                "aps": "confirmed",
                "aps_first_test_date": "2026-06-01",
                "aps_repeat_test_date": "2026-05-01",
            },
            "aps_repeat_test_date",
            "The repeat test cannot be before the first.",
        ),
        (
            {
                "aps": "confirmed",
                "aps_first_test_date": "2026-06-01",
                "aps_repeat_test_date": "2026-31-01",
            },
            "aps_repeat_test_date",
            'Not a valid date (YYYY-MM-DD): the text "2026-31-01".',
        ),
    ],
)
def test_the_aps_interval_is_a_facts_rule(catalogue, facts, path, message):
    with pytest.raises(FactsError) as caught:
        parse_facts({"age": 36, **facts}, **catalogue.codes_for_facts())
    assert caught.value.errors == {path: [message]}


@pytest.mark.parametrize(
    "aps, first, repeat",
    [
        ("confirmed", "2026-01-05", "2026-03-30"),  # exactly 12 weeks
        ("confirmed", "2026-01-05", "2026-04-06"),
        ("single_positive", "2026-06-01", "2026-07-13"),  # not confirmed: no interval to meet
        ("confirmed", "2026-06-01", None),  # the repeat date not recorded
    ],
)
def test_an_interval_long_enough_or_not_claimed_passes(catalogue, aps, first, repeat):
    facts = {"age": 36, "aps": aps, "aps_first_test_date": first}
    if repeat:
        facts["aps_repeat_test_date"] = repeat
    parsed = parse_facts(facts, **catalogue.codes_for_facts())
    assert parsed.to_dict()["aps_first_test_date"] == first


def test_the_interval_is_the_catalogue_s_value(catalogue):
    facts = {
        "age": 36,
        "aps": "confirmed",
        "aps_first_test_date": "2026-01-05",
        "aps_repeat_test_date": "2026-03-30",
    }
    codes = {**catalogue.codes_for_facts(), "aps_repeat_weeks": 16}
    with pytest.raises(FactsError) as caught:
        parse_facts(facts, **codes)
    assert "at least 16 weeks" in caught.value.errors["aps"][0]


@pytest.mark.django_db
def test_form_api_and_command_line_refuse_a_short_interval_alike(
    clinician_client, workup, monkeypatch, tmp_path
):
    values = {
        "aps": "confirmed",
        "aps_first_test_date": "2026-06-01",
        "aps_repeat_test_date": "2026-07-13",
    }
    form = post_findings(clinician_client, workup, "aps_screen", values)
    assert form.context["forms"]["findings"]["aps_screen"].errors["aps"] == [SIX_WEEKS]
    assert Findings.objects.get(workup=workup).aps is None
    body = {"age": 36, **values}
    api = post(clinician_client, body)
    assert api.status_code == 400 and api.json() == {"errors": {"aps": [SIX_WEEKS]}}
    status, out, err = run_cli(json.dumps(body).encode(), monkeypatch, tmp_path)
    assert status == 2 and out == "" and json.loads(err) == api.json()
    created = clinician_client.post(
        "/api/workups",
        data=json.dumps(
            {
                "patient": {"mrn": "SYN-1", "name": "Syn Patient", "birth_date": "1990-02-03"},
                "facts": body,
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 400
    assert created.json() == {"errors": {"facts.aps": [SIX_WEEKS]}}


@pytest.fixture
def workup(clinician, loaded_catalogue):
    return make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 3})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw, path",
    [
        (b'{"age": 30, "tsh": 1e400}', "tsh"),
        (b'{"age": 30, "tsh": NaN}', "tsh"),
        (b'{"age": 30, "bmi": Infinity}', "bmi"),
        (b'{"age": 30, "bmi": -Infinity}', "bmi"),
        (b'{"age": 1e400}', "age"),
        (b'{"age": 30, "tsh": 1' + b"0" * 400 + b"}", "tsh"),
        (b'{"age": 30, "amh": {"value": 1e999, "unit": "ng/mL"}}', "amh.value"),
        (b'{"age": 30, "previous_oocytes": [NaN]}', "previous_oocytes.0"),
    ],
)
def test_numbers_a_float_cannot_hold_are_named_never_a_500(
    clinician_client, monkeypatch, tmp_path, raw, path
):
    response = post(clinician_client, raw)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [path]
    message = errors[path][0]
    assert "too large" in message or "not a number" in message or "whole number" in message
    assert len(message) < 200  # a 400-digit number is not echoed back
    status, _, err = run_cli(raw, monkeypatch, tmp_path)
    assert status == 2 and json.loads(err) == response.json()


@pytest.mark.django_db
def test_a_stored_work_up_stays_readable_after_the_interval_changes(clinician_client, clinician):
    workup = make_workup(
        clinician=clinician,
        facts={
            "age": 36,
            "aps": "confirmed",
            "aps_first_test_date": "2026-01-05",
            "aps_repeat_test_date": "2026-04-06",
        },
    )
    Parameter.objects.filter(code="aps_repeat_weeks").update(value=20)
    store.rebuild_snapshot()
    assert clinician_client.get(workup.get_absolute_url()).status_code == 200


# --- the page, the summary and the patient sheet ----------------------------------------------


def count(html, text):
    return html.count(text)


@pytest.mark.django_db
def test_the_page_lists_investigations_once_apart_from_actions(clinician_client, clinician):
    workup = make_workup(
        clinician=clinician,
        facts={
            "age": 36,
            "failed_transfers": 3,
            "bmi": 32,
            "smoker": False,
            "hysteroscopy": {"done": True, "polyp": True},
        },
    )
    html = clinician_client.get(workup.get_absolute_url()).content.decode()
    to_do = html[html.index('id="to-do-title"') : html.index('id="next-steps-title"')]
    actions = html[html.index('id="next-steps-title"') : html.index('id="addons-title"')]
    assert count(to_do, 'id="next-pgta"') == 1 and "pgta_discuss" not in html
    assert "3 failed transfers of untested embryos: discuss PGT-A and its limits" in to_do
    for code in ("polypectomy", "weight_support", "stimulation_plan"):
        assert f'id="next-{code}"' in actions and f'id="next-{code}"' not in to_do
    assert "+ Track" in actions and "+ Track" not in to_do
    assert "Hysteroscopic polypectomy" in actions
    assert "standard practice; no source in the catalogue yet" in actions
    assert "Stop-smoking" not in html
    checklist = html[html.index('id="checklist-title"') :]  # after the advice column
    row = checklist[checklist.index('id="step-hydrosalpinx_check"') :]
    row = row[: row.index("</li>")]
    assert "Pending clinical review" in row
    assert "standard practice; no source in the catalogue yet" in row
    counts = store.get_catalogue().review_counts()
    assert f"{counts['verified']} of {counts['entries']} entries verified" in html
    assert "reviewed 2026-11-20" not in html


@pytest.mark.django_db
def test_the_page_says_how_strong_heparin_is_for_this_patient(clinician_client, clinician):
    workup = make_workup(
        clinician=clinician,
        facts={"age": 36, "aps": "confirmed", "miscarriages": 2, "addons_requested": ["heparin"]},
    )
    html = clinician_client.get(workup.get_absolute_url()).content.decode()
    card = html[html.index('id="addon-heparin"') :]
    card = visible_text(
        card[: card.index('id="addon-request"') if 'id="addon-request"' in card else None]
    )
    heading = "Low-molecular-weight heparin (LMWH) · with confirmed APS: only within research"
    assert f"{heading} for this patient" in card
    assert "indicated for this patient" not in card
    assert "Significant bleeding in about 2% of pregnancies" in card
    step = html[html.index('id="next-aps_treatment"') :]
    assert "aspirin plus heparin only within research" in step[: step.index("</li>")]


@pytest.mark.django_db
def test_embryo_glue_shows_both_views_on_page_summary_and_sheet(clinician_client, clinician):
    workup = make_workup(
        clinician=clinician, facts={"age": 36, "addons_requested": ["embryo_glue"]}
    )
    page = visible_text(clinician_client.get(workup.get_absolute_url()).content.decode())
    summary = visible_text(
        clinician_client.get(reverse("documents:summary", args=[workup.pk])).content.decode()
    )
    sheet = visible_text(
        clinician_client.get(reverse("documents:handout", args=[workup.pk])).content.decode()
    )
    for text in (page, summary, sheet):
        assert "not advised" not in text
    assert "Views differ: ESHRE recommends it, while the HFEA rates it amber" in page
    assert "Views differ: ESHRE recommends it, while the HFEA rates it amber" in summary
    assert "For you. Experts' views differ: experts in Europe (ESHRE) recommend it" in sheet
    assert "This is not part of your plan" not in sheet


@pytest.mark.django_db
def test_the_summary_and_sheet_keep_the_two_lists(clinician_client, clinician):
    workup = make_workup(
        clinician=clinician,
        facts={"age": 36, "failed_transfers": 3, "hysteroscopy": {"done": True, "polyp": True}},
    )
    summary = clinician_client.get(reverse("documents:summary", args=[workup.pk])).content.decode()
    to_do = summary[summary.index('id="to-do-title"') : summary.index('id="next-title"')]
    actions = summary[summary.index('id="next-title"') : summary.index('id="addons-title"')]
    assert 'data-to-do="pgta"' in to_do and 'data-next-step="pgta' not in summary
    assert 'data-next-step="polypectomy"' in actions
    assert "standard practice; no source in the catalogue yet" in actions
    findings = summary[summary.index('id="findings-title"') : summary.index('id="class-title"')]
    assert "Pending clinical review" in findings  # checklist rows carry their review
    sheet = visible_text(
        clinician_client.get(reverse("documents:handout", args=[workup.pk])).content.decode()
    )
    womb = sheet[sheet.index("Your womb") :]
    assert womb.index("Tests still to do:") < womb.index("Next, from the results:")
