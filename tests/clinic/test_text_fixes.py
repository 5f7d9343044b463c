"""Small texts from issue 12: names, one date format, PPOS, plurals."""

from __future__ import annotations

import re
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_patient, make_workup, sign_as_seen
from workup.clinic.forms import PatientForm
from workup.clinic.history import day, day_and_time, workup_history
from workup.clinic.models import AddonRequest, Findings, StimulationCycle
from workup.clinic.presenters import cycle_words, load_workup
from workup.coordination.forms import StepActionForm
from workup.coordination.services import ChangeReport
from workup.documents.findings import describe
from workup.evidence import findings as spec
from workup.evidence.engine import assess
from workup.evidence.facts import parse_facts

pytestmark = pytest.mark.django_db


def counsel(request, *, counsellor, author):
    request.outcome = AddonRequest.Outcome.DECLINED
    request.counselled_by = counsellor
    request.counselled_at = timezone.now()
    request._history_user = author
    request.save()


def test_recent_changes_name_the_counsellor(clinician_client, clinician, other_clinician):
    workup = make_workup(clinician=clinician, facts={"age": 36, "addons_requested": ["ivig"]})
    counsel(AddonRequest.objects.get(workup=workup), counsellor=other_clinician, author=clinician)
    page = clinician_client.get(reverse("clinic:workup_detail", args=[workup.pk]))
    text = page.content.decode()
    assert "Counselled by: — → Bianca Test" in text
    assert "a colleague" not in text


def test_the_names_cost_no_query_when_the_page_has_them(
    clinician, other_clinician, loaded_catalogue, django_assert_num_queries
):
    workup = make_workup(clinician=clinician, facts={"age": 36, "addons_requested": ["ivig"]})
    counsel(AddonRequest.objects.get(workup=workup), counsellor=other_clinician, author=clinician)
    loaded = load_workup(workup.pk)
    # The findings' and add-on requests' history (no transfer was ever recorded: no query).
    with django_assert_num_queries(2):
        changes = workup_history(loaded, loaded_catalogue, clinical_only=True)
    assert any("Bianca Test" in line for c in changes for line in c.lines)


def test_the_full_history_names_people_too(clinician, other_clinician, loaded_catalogue):
    workup = make_workup(clinician=clinician, facts={"age": 36, "addons_requested": ["ivig"]})
    counsel(AddonRequest.objects.get(workup=workup), counsellor=other_clinician, author=clinician)
    changes = workup_history(workup, loaded_catalogue)
    lines = [line for c in changes for line in c.lines]
    assert any("Bianca Test" in line for line in lines)
    assert not any("a colleague" in line for line in lines)


def test_history_dates_have_one_format_without_a_leading_zero():
    assert day(date(2026, 10, 1)) == "1 Oct 2026"
    moment = timezone.make_aware(datetime(2026, 10, 1, 9, 5))
    assert day_and_time(moment) == "1 Oct 2026 09:05"


def test_ppos_reads_in_capitals():
    assert dict(StimulationCycle._meta.get_field("protocol").choices)["ppos"] == "PPOS"
    cycle = StimulationCycle(sequence=1, oocytes=4, protocol="ppos")
    assert "PPOS" in cycle_words(cycle) and "Ppos" not in cycle_words(cycle)
    antagonist = StimulationCycle(sequence=1, oocytes=4, protocol="antagonist")
    assert "antagonist" in cycle_words(antagonist)


def test_admin_messages_count_in_words(lead_client):
    from workup.evidence.models import AddOn

    entry = AddOn.objects.get(code="ivig")
    response = lead_client.post(
        reverse("admin:evidence_addon_changelist"),
        {"action": "retire_selected", "_selected_action": [entry.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "Retired 1 entry." in page and "1 entries" not in page


def page_of(client, workup, **query):
    url = reverse("clinic:workup_detail", args=[workup.pk])
    return client.get(url, query).content.decode()


def test_bologna_says_undecided_once(clinician_client, clinician):
    # Low AMH, previous cycles not recorded: the previous response could still decide.
    workup = make_workup(
        clinician=clinician, facts={"age": 36, "amh": {"value": 4.5, "unit": "pmol/L"}, "afc": 9}
    )
    text = page_of(clinician_client, workup)
    assert "Undecided: abnormal reserve test (AMH 0.63 ng/mL below 1.1) met; not known:" in text
    assert "Undecided: Undecided" not in text
    assert "Yes: Poor responder" not in text and "No: Not a poor responder" not in text


def test_the_missing_transfers_warning_names_no_internal_field(catalogue):
    facts = parse_facts({"age": 38}, **catalogue.codes_for_facts())
    warnings = assess(facts, catalogue)["warnings"]
    assert warnings[0] == (
        "The number of failed transfers is not recorded: the RIF label cannot be assessed yet."
    )
    assert not any("failed_transfers" in w for w in warnings)


def test_amh_reads_with_at_most_two_decimals(clinician_client, clinician, catalogue):
    # 15.25 pmol/L is stored as 2.1359 ng/mL: no line shows the four decimals.
    workup = make_workup(
        clinician=clinician, facts={"age": 36, "amh": {"value": 15.25, "unit": "pmol/L"}, "afc": 9}
    )
    text = page_of(clinician_client, workup)
    assert "AMH (ng/mL) 2.14" in text
    assert "2.1359" not in text
    findings = Findings.objects.get(workup=workup)
    amh = spec.BY_PATH["amh"]
    assert spec.display_stored(amh, findings) == "15.25 pmol/L (2.14 ng/mL)"
    assert spec.display_stored(amh, Findings(amh_ng_ml=2.1, amh_unit="ng/mL")) == "2.1 ng/mL"
    facts = parse_facts(
        {"age": 36, "amh": {"value": 15.25, "unit": "pmol/L"}, "afc": 9},
        **catalogue.codes_for_facts(),
    )
    assert describe("ovarian_reserve", facts, findings) == ("AMH 15.25 pmol/L (2.14 ng/mL); AFC 9")


def test_the_engine_reasons_round_amh_too(clinician_client, clinician):
    workup = make_workup(
        clinician=clinician, facts={"age": 36, "amh": {"value": 25, "unit": "pmol/L"}, "afc": 9}
    )
    text = page_of(clinician_client, workup)
    assert "AMH 3.5 ng/mL above 3.36" in text and "3.5014" not in text
    # The reason carries its verdict: no "Yes: Risk of ..." before it.
    assert "Risk of hyper-response: AMH 3.5" in text and "Yes: Risk" not in text


def visible(html: str) -> str:
    """The markup a person sees: closed <details> show their summary only."""
    return re.sub(
        r"<details(?![^>]*\bopen\b)[^>]*>\s*<summary[^>]*>.*?</summary>.*?</details>",
        "",
        html,
        flags=re.S,
    )


def step_markup(page: str, code: str) -> str:
    found = re.search(rf'<li[^>]*id="step-{code}".*?</li>', page, re.S)
    assert found, code
    return found.group(0)


def test_a_signed_step_shows_one_addendum_reason(clinician_client, clinician):
    workup = sign_as_seen(make_workup(clinician=clinician, facts={"age": 36}), clinician)
    step = step_markup(page_of(clinician_client, workup, open="thyroid"), "thyroid")
    assert step.count("Reason for this addendum") == 2  # one per form: findings, decision
    assert visible(step).count("Reason for this addendum") == 1
    assert "Addendum: change the checklist decision" in step


def test_an_unsigned_step_shows_its_decision_as_before(clinician_client, clinician):
    workup = make_workup(clinician=clinician, facts={"age": 36})
    step = step_markup(page_of(clinician_client, workup, open="thyroid"), "thyroid")
    assert "Checklist decision" in visible(step)
    assert "Reason for this addendum" not in step


def test_dates_in_forms_read_like_the_history():
    findings = Findings(aps_first_test_date=date(2026, 10, 1))
    assert spec.display_stored(spec.BY_PATH["aps_first_test_date"], findings) == "1 Oct 2026"
    make_patient(mrn="SYN-TEXT-1", name="Dana Test", birth_date=date(1988, 10, 1))
    form = PatientForm({"mrn": "syn-text-1", "name": "Other", "birth_date": "1990-01-01"})
    assert not form.is_valid()
    assert "(for Dana Test, born 1 Oct 1988)" in form.errors["mrn"][0]


def test_the_pdf_names_ppos_in_capitals(catalogue):
    facts = parse_facts(
        {
            "age": 36,
            "previous_cycles": [
                {"oocytes": 4, "protocol": "ppos"},
                {"oocytes": 5, "protocol": "antagonist"},
            ],
        },
        **catalogue.codes_for_facts(),
    )
    assert describe("response_review", facts, None) == (
        "Cycle 1: 4 oocytes, PPOS; cycle 2: 5 oocytes, antagonist"
    )


@pytest.mark.parametrize(
    "same, tail",
    [
        (1, " 1 step was already so and was left as it was."),
        (2, " 2 steps were already so and were left as they were."),
    ],
)
def test_the_queue_message_counts_unchanged_steps_in_words(same, tail):
    form = SimpleNamespace(cleaned_data={"action": "pending"})
    report = ChangeReport(changed=[object()], unchanged=[object()] * same)
    assert StepActionForm.success_message(form, report) == ("Set 1 step back to pending." + tail)


@pytest.mark.parametrize(
    "losses, words",
    [(1, "with 1 pregnancy loss:"), (2, "with 2 pregnancy losses:"), (0, "with no pregnancy")],
)
def test_aps_statements_count_losses_in_words(clinician_client, clinician, losses, words):
    facts = {"age": 36, "failed_transfers": 3, "aps": "confirmed", "miscarriages": losses}
    text = page_of(clinician_client, make_workup(clinician=clinician, facts=facts))
    assert f"Antiphospholipid syndrome confirmed, {words}" in text
    assert "1 pregnancy losses" not in text and "0 pregnancy losses" not in text
