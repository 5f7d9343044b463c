"""Previous cycles and the planned cycle as records: stored, version-checked, signed, in words.

The stimulation panel on the page works without JavaScript; its live checks come from the plan
preview, which writes nothing.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from tests.factories import make_workup, sign
from workup.clinic.history import workup_history
from workup.clinic.models import Addendum, PlannedCycle, StimulationCycle
from workup.evidence import store

from .test_workup_pages import post_findings, step_version

POOR = {
    "age": 38,
    "failed_transfers": 3,
    "amh": {"value": 0.8, "unit": "ng/mL"},
    "afc": 4,
    "previous_cycles": [
        {"date": "2025-03-02", "protocol": "antagonist", "daily_dose_iu": 225, "oocytes": 3},
    ],
}
HIGH = {
    "age": 32,
    "failed_transfers": 3,
    "amh": {"value": 4.1, "unit": "ng/mL"},
    "afc": 28,
    "previous_cycles": [
        {
            "date": "2025-05-01",
            "protocol": "antagonist",
            "daily_dose_iu": 225,
            "trigger": "hcg",
            "oocytes": 17,
            "mature_oocytes": 13,
            "ohss": "moderate",
            "freeze_all": False,
        }
    ],
}


@pytest.fixture
def poor_workup(clinician, loaded_catalogue):
    return make_workup(clinician=clinician, facts=POOR)


@pytest.fixture
def high_workup(clinician, loaded_catalogue):
    return make_workup(clinician=clinician, facts=HIGH)


def plan_url(workup):
    return reverse("clinic:record_plan", args=[workup.pk])


def preview_url(workup):
    return reverse("clinic:preview_plan", args=[workup.pk])


def plan_version(workup):
    plan = PlannedCycle.objects.filter(workup=workup).first()
    return plan.version if plan else 0


def plan_data(workup, version=None, **values):
    data = {f"plan-{k}": v for k, v in values.items()}
    data["plan-version"] = plan_version(workup) if version is None else version
    return data


def cycles_data(*rows, initial=0):
    data = {"cycles-TOTAL_FORMS": str(len(rows)), "cycles-INITIAL_FORMS": str(initial)}
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"cycles-{index}-{key}"] = value
    return data


# --- previous cycles ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_previous_cycles_are_recorded_with_every_detail(clinician_client, clinician):
    workup = make_workup(clinician=clinician, facts={"age": 36})
    data = cycles_data(
        {
            "date": "2025-02-03",
            "protocol": "long_agonist",
            "daily_dose_iu": "300",
            "maximal_stimulation": "true",
            "trigger": "hcg",
            "oocytes": "2",
            "mature_oocytes": "2",
            "ohss_grade": "none",
            "freeze_all": "false",
        },
        {
            "date": "2025-09-10",
            "protocol": "antagonist",
            "daily_dose_iu": "375",
            "trigger": "dual",
            "oocytes": "3",
            "mature_oocytes": "1",
            "ohss_grade": "",
        },
    )
    response = post_findings(clinician_client, workup, "response_review", {}, **data)
    assert response.status_code == 302
    rows = list(workup.cycles.order_by("sequence"))
    assert [(c.date, c.trigger, c.mature_oocytes, c.ohss_grade, c.freeze_all) for c in rows] == [
        (date(2025, 2, 3), "hcg", 2, "none", False),
        (date(2025, 9, 10), "dual", 1, "", None),
    ]
    page = clinician_client.get(workup.get_absolute_url()).content.decode()
    assert "Cycle 1: <strong>2 oocytes (2 mature), 300 IU/day, long agonist" in page


@pytest.mark.django_db
def test_mature_oocytes_above_the_oocytes_are_refused_beside_the_field(
    clinician_client, poor_workup
):
    before = list(poor_workup.cycles.values_list("oocytes", "mature_oocytes"))
    data = cycles_data(
        {"id": str(poor_workup.cycles.get().pk), "oocytes": "3", "mature_oocytes": "5"}, initial=1
    )
    response = post_findings(clinician_client, poor_workup, "response_review", {}, **data)
    assert response.status_code == 200
    formset = response.context["forms"]["cycles"]
    assert formset.forms[0].errors["mature_oocytes"] == [
        "Cannot exceed the oocytes retrieved (3); mature oocytes are part of them."
    ]
    assert "Check previous cycle 1 below." in response.content.decode()
    assert list(poor_workup.cycles.values_list("oocytes", "mature_oocytes")) == before


@pytest.mark.django_db
def test_a_retrieval_date_in_the_future_is_refused(clinician_client, clinician):
    workup = make_workup(clinician=clinician, facts={"age": 36})
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    data = cycles_data({"date": tomorrow, "oocytes": "4"})
    response = post_findings(clinician_client, workup, "response_review", {}, **data)
    assert response.status_code == 200
    assert response.context["forms"]["cycles"].forms[0].errors["date"] == [
        "The retrieval date cannot be in the future."
    ]
    assert not workup.cycles.exists()


@pytest.mark.django_db
def test_a_changed_cycle_is_kept_in_history_in_words(clinician_client, high_workup):
    row = high_workup.cycles.get()
    data = cycles_data(
        {
            "id": str(row.pk),
            "date": "2025-05-01",
            "protocol": "antagonist",
            "daily_dose_iu": "225",
            "trigger": "hcg",
            "oocytes": "17",
            "mature_oocytes": "13",
            "ohss_grade": "severe",
            "freeze_all": "false",
        },
        initial=1,
    )
    response = post_findings(clinician_client, high_workup, "response_review", {}, **data)
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.ohss_grade == "severe"
    # The note at the step, where the page lands (post/redirect/get without JavaScript).
    html = clinician_client.get(response["Location"]).content.decode()
    message = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Previous cycle 1: 17 oocytes (13 mature)" in message
    assert "moderate OHSS" in message and "severe OHSS" in message
    # The same row was updated, not replaced: its history says what changed.
    history = workup_history(high_workup, store.get_catalogue())
    change = next(c for c in history if c.what == "changed previous cycle 1")
    assert change.lines == ["OHSS: Moderate → Severe"]


@pytest.mark.django_db
def test_a_stale_cycles_form_is_refused_and_says_how_the_cycles_changed(
    client, clinician, other_clinician, poor_workup
):
    seen = step_version(poor_workup, "response_review")
    row = poor_workup.cycles.get()
    page = client.force_login(clinician) or client.get(
        poor_workup.get_absolute_url() + "?open=response_review"
    )
    original = page.context["forms"]["findings"]["response_review"]["original"].value()
    client.force_login(other_clinician)
    theirs = cycles_data({"id": str(row.pk), "oocytes": "2", "daily_dose_iu": "225"}, initial=1)
    assert post_findings(client, poor_workup, "response_review", {}, **theirs).status_code == 302
    client.force_login(clinician)
    mine = cycles_data({"id": str(row.pk), "oocytes": "4", "daily_dose_iu": "225"}, initial=1)
    response = post_findings(
        client,
        poor_workup,
        "response_review",
        {},
        version=seen,
        **{"response_review-original": original, **mine},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Not saved: this step was changed while you were editing" in text
    assert "Previous cycles: cycle 1: 3 oocytes" in text
    assert "→ cycle 1: 2 oocytes" in text
    assert poor_workup.cycles.get().oocytes == 2  # theirs stands; nothing of mine was stored


# --- the planned cycle -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_plan_is_saved_with_its_words_and_its_checks_on_the_page(clinician_client, poor_workup):
    data = plan_data(
        poor_workup,
        protocol="antagonist",
        daily_dose_iu="300",
        trigger="hcg",
        freeze_all="false",
        adjuvants=["growth_hormone"],
    )
    response = clinician_client.post(plan_url(poor_workup), data)
    assert response.status_code == 302
    plan = PlannedCycle.objects.get(workup=poor_workup)
    assert (plan.protocol, plan.daily_dose_iu, plan.adjuvants, plan.version) == (
        "antagonist",
        300,
        ["growth_hormone"],
        1,
    )
    page = clinician_client.get(poor_workup.get_absolute_url()).content.decode()
    assert "Predicted response: <strong>Poor</strong>" in page
    assert (
        "Planned 300 IU a day, above the usual 150 IU a day (up from 225 IU a day before)." in page
    )
    assert "≠ Departs from the evidence" in page
    assert "Planned adjuvant: Growth hormone adjunct, an add-on flagged for this patient." in page


def note_on_page(client, response) -> str:
    """The page the save lands on, as text: the note is shown there once."""
    html = client.get(response["Location"]).content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.django_db
def test_plan_changes_are_kept_in_history_in_words(clinician_client, poor_workup):
    clinician_client.post(plan_url(poor_workup), plan_data(poor_workup, daily_dose_iu="300"))
    response = clinician_client.post(
        plan_url(poor_workup), plan_data(poor_workup, daily_dose_iu="225", freeze_all="true")
    )
    assert "Planned cycle saved: Planned cycle: 300 IU a day → 225 IU a day, freeze-all." in (
        note_on_page(clinician_client, response)
    )
    history = workup_history(poor_workup, store.get_catalogue())
    change = next(c for c in history if c.what == "changed planned cycle")
    assert change.lines == ["Daily dose (IU): 300 → 225", "Freeze-all: — → yes"]
    page = clinician_client.get(reverse("clinic:workup_history", args=[poor_workup.pk]))
    assert "Changed planned cycle<ul" in page.content.decode()


@pytest.mark.django_db
def test_the_same_plan_saved_again_changes_nothing(clinician_client, poor_workup):
    clinician_client.post(plan_url(poor_workup), plan_data(poor_workup, daily_dose_iu="225"))
    response = clinician_client.post(
        plan_url(poor_workup), plan_data(poor_workup, daily_dose_iu="225")
    )
    assert response.status_code == 302
    assert PlannedCycle.objects.get(workup=poor_workup).version == 1
    assert "Planned cycle: nothing changed." in note_on_page(clinician_client, response)


@pytest.mark.django_db
def test_a_stale_plan_is_a_clear_conflict_and_keeps_the_entries(
    client, clinician, other_clinician, poor_workup
):
    client.force_login(other_clinician)
    client.post(plan_url(poor_workup), plan_data(poor_workup, daily_dose_iu="225"))
    seen = plan_version(poor_workup)
    client.post(plan_url(poor_workup), plan_data(poor_workup, daily_dose_iu="150"))
    client.force_login(clinician)
    response = client.post(plan_url(poor_workup), plan_data(poor_workup, seen, daily_dose_iu="450"))
    assert response.status_code == 200
    text = response.content.decode()
    assert (
        "Not saved: the planned cycle was changed while you were editing (Bianca Test at " in text
    )
    assert ": 150 IU a day). Your entries are kept below" in text
    form = response.context["forms"]["plan"]
    assert form["daily_dose_iu"].value() == "450"  # my entries are kept
    assert str(form["version"].value()) == "2"  # against the plan as it is now
    assert PlannedCycle.objects.get(workup=poor_workup).daily_dose_iu == 150


@pytest.mark.django_db
def test_two_first_plans_at_once_the_second_is_refused(
    client, clinician, other_clinician, poor_workup
):
    client.force_login(other_clinician)
    client.post(plan_url(poor_workup), plan_data(poor_workup, 0, daily_dose_iu="225"))
    client.force_login(clinician)
    response = client.post(plan_url(poor_workup), plan_data(poor_workup, 0, daily_dose_iu="300"))
    assert response.status_code == 200
    assert "Not saved: the planned cycle was changed" in response.content.decode()
    assert PlannedCycle.objects.get(workup=poor_workup).daily_dose_iu == 225


@pytest.mark.django_db
def test_bad_plan_input_is_named_beside_the_field_and_nothing_is_stored(
    clinician_client, poor_workup
):
    response = clinician_client.post(
        plan_url(poor_workup), plan_data(poor_workup, daily_dose_iu="700", protocol="bogus")
    )
    assert response.status_code == 200
    errors = response.context["forms"]["plan"].errors
    assert errors["daily_dose_iu"] == ["Ensure this value is less than or equal to 600."]
    assert "protocol" in errors
    assert not PlannedCycle.objects.filter(workup=poor_workup).exists()


@pytest.mark.django_db
def test_after_sign_off_a_plan_needs_an_addendum_reason(clinician_client, poor_workup):
    signed = sign(clinician_client, poor_workup)
    response = clinician_client.post(plan_url(signed), plan_data(signed, daily_dose_iu="225"))
    assert response.status_code == 200
    assert response.context["forms"]["plan"].errors["addendum_reason"] == [
        "This work-up is signed: give the reason for the addendum."
    ]
    assert not PlannedCycle.objects.filter(workup=signed).exists()
    response = clinician_client.post(
        plan_url(signed),
        plan_data(signed, daily_dose_iu="225", addendum_reason="Plan agreed at follow-up"),
    )
    assert response.status_code == 302
    addendum = Addendum.objects.get(workup=signed)
    assert addendum.reason == "Plan agreed at follow-up"
    assert addendum.changes == "Planned cycle: nothing decided yet → 225 IU a day"


@pytest.mark.django_db
def test_the_preview_shows_the_checks_for_the_plan_being_typed_and_writes_nothing(
    clinician_client, high_workup
):
    response = clinician_client.post(
        preview_url(high_workup), plan_data(high_workup, freeze_all="false", trigger="hcg")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "No freeze-all planned, after moderate OHSS (cycle 1)." in html
    assert "Planned trigger: hCG." in html
    assert "≠ Departs from the evidence" in html
    assert "Preview" in html
    assert not PlannedCycle.objects.filter(workup=high_workup).exists()
    response = clinician_client.post(
        preview_url(high_workup), plan_data(high_workup, freeze_all="true", trigger="agonist")
    )
    html = response.content.decode()
    assert "Freeze-all planned, after moderate OHSS (cycle 1)." in html
    assert "Departs" not in html


@pytest.mark.django_db
def test_the_preview_answers_204_while_the_plan_is_not_valid(clinician_client, high_workup):
    response = clinician_client.post(
        preview_url(high_workup), plan_data(high_workup, daily_dose_iu="9000")
    )
    assert response.status_code == 204


# --- the panel, without JavaScript ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_panel_shows_cycles_prediction_considerations_and_plan_form(
    clinician_client, high_workup
):
    html = clinician_client.get(high_workup.get_absolute_url()).content.decode()
    panel = html[html.index('id="stimulation-panel"') :]
    assert '<svg class="cycle-chart"' in panel
    assert "Hyper-response</tspan>" in panel and "(15 or more)" in panel
    assert "Poor response</tspan>" in panel and "(3 or fewer)" in panel
    assert "Previous cycles side by side" in panel
    assert "Predicted response: <strong>High</strong>" in panel
    assert "Risk of hyper-response: AMH 4.1 ng/mL above 3.36" in panel
    assert "Reduced dose for a predicted high responder" in panel
    assert "Pending clinical review" in panel  # the antagonist/trigger statement is U
    assert f'action="/workups/{high_workup.pk}/plan/"' in panel
    assert 'data-preview-target="plan-checks"' in panel
    assert "No plan recorded yet" in panel
    assert 'style="' not in panel


@pytest.mark.django_db
def test_a_coordinator_sees_the_panel_without_the_plan_form(coordinator_client, high_workup):
    html = coordinator_client.get(high_workup.get_absolute_url()).content.decode()
    assert "Predicted response: <strong>High</strong>" in html
    assert "clinic/partials" not in html
    assert f'action="/workups/{high_workup.pk}/plan/"' not in html


# --- the summary prints it ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_summary_prints_the_cycles_prediction_plan_and_checks(clinician_client, high_workup):
    clinician_client.post(
        plan_url(high_workup),
        plan_data(high_workup, daily_dose_iu="100", trigger="agonist", freeze_all="true"),
    )
    html = clinician_client.get(reverse("documents:summary", args=[high_workup.pk]))
    html = html.content.decode()
    section = html[html.index('id="stimulation-title"') :]
    assert "Predicted response: High." in section
    assert "Previous cycles side by side" in section
    assert "<td>17 (13)</td>" in section
    assert "<td>Moderate</td>" in section
    assert "✓ In line with the evidence: Freeze-all after OHSS." in section
    assert "Freeze-all planned, after moderate OHSS (cycle 1)." in section
    assert "Planned 100 IU a day, below the usual 150 IU." in section


# --- the migration: OHSS yes/no becomes a grade, history still verifies ------------------------


@pytest.mark.django_db
def test_the_ohss_migration_fills_grades_and_keeps_the_audit_chain(clinician, loaded_catalogue):
    import importlib

    from workup.audit.chain import verify_chain

    migration = importlib.import_module("workup.clinic.migrations.0011_stimulation_records")
    workup = make_workup(clinician=clinician, facts={"age": 36, "previous_oocytes": [3]})
    history = StimulationCycle.history.model
    record = history.objects.get(workup_id=workup.pk)
    # A record as written before grades: its yes/no and the fields of that time, on the chain.
    from workup.audit.chain import content_of, record_hash

    new_fields = {"ohss_grade", "date", "trigger", "mature_oocytes", "freeze_all"}
    names = [n for n in record.chain_fields.split(",") if n not in new_fields]
    assert "ohss" in names
    history.objects.filter(pk=record.pk).update(ohss=True, ohss_grade="")
    record = history.objects.get(pk=record.pk)
    history.objects.filter(pk=record.pk).update(
        chain_fields=",".join(names),
        chain_hash=record_hash(record.chain_prev, content_of(record, names)),
    )
    assert [p for p in verify_chain(history).problems if p.record == record.pk] == []
    migration.fill_grades(history)
    record = history.objects.get(pk=record.pk)
    assert (record.ohss, record.ohss_grade) == (True, "ungraded")
    assert [p for p in verify_chain(history).problems if p.record == record.pk] == []


# --- the API and the command line give the same block ------------------------------------------


@pytest.mark.django_db
def test_the_api_stores_the_new_cycle_fields_and_the_plan(clinician, loaded_catalogue):
    from django.test import Client

    client = Client()
    client.force_login(clinician)
    facts = {**HIGH, "planned_cycle": {"daily_dose_iu": 150, "freeze_all": False}}
    body = {
        "patient": {"mrn": "STIM-1", "name": "Ada Synthetic", "birth_date": "1993-04-02"},
        "facts": facts,
    }
    response = client.post(
        reverse("api_workups"), json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    workup_id = response.json()["id"]
    assert PlannedCycle.objects.get(workup_id=workup_id).daily_dose_iu == 150
    stored = client.get(reverse("api_workup_detail", args=[workup_id])).json()
    assert stored["facts"]["previous_cycles"] == HIGH["previous_cycles"]
    assert stored["facts"]["planned_cycle"] == {"daily_dose_iu": 150, "freeze_all": False}
    assessed = client.post(
        reverse("api_assess"), json.dumps(stored["facts"]), content_type="application/json"
    ).json()
    assert stored["assessment"]["stimulation"] == assessed["stimulation"]
    codes = [c["code"] for c in assessed["stimulation"]["plan_checks"]]
    assert codes == ["freeze_all_after_ohss", "reduced_dose_high_responder"]


@pytest.mark.django_db
def test_bad_cycle_fields_through_the_api_are_named_and_nothing_is_stored(
    clinician, loaded_catalogue
):
    from django.test import Client

    from workup.clinic.models import WorkUp

    client = Client()
    client.force_login(clinician)
    body = {
        "patient": {"mrn": "STIM-2", "name": "Bea Synthetic", "birth_date": "1990-04-02"},
        "facts": {
            "previous_cycles": [{"oocytes": 2, "mature_oocytes": 3, "ohss": "grade 3"}],
            "planned_cycle": {"adjuvants": ["dhea", "nope"]},
        },
    }
    count = WorkUp.objects.count()
    response = client.post(
        reverse("api_workups"), json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {
        "facts.previous_cycles.0.mature_oocytes",
        "facts.previous_cycles.0.ohss",
        "facts.planned_cycle.adjuvants.1",
    }
    assert WorkUp.objects.count() == count


@pytest.mark.django_db
def test_the_command_line_gives_the_same_stimulation_block(clinician, loaded_catalogue, tmp_path):
    from io import StringIO

    from django.core.management import call_command
    from django.test import Client

    facts = {**POOR, "planned_cycle": {"daily_dose_iu": 300, "adjuvants": ["dhea"]}}
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts))
    out = StringIO()
    call_command("assess", str(path), stdout=out)
    from_cli = json.loads(out.getvalue())
    client = Client()
    client.force_login(clinician)
    from_api = client.post(
        reverse("api_assess"), json.dumps(facts), content_type="application/json"
    ).json()
    assert from_cli["stimulation"] == from_api["stimulation"]
    assert from_cli["stimulation"]["predicted_response"] == "poor"
    assert [c["code"] for c in from_cli["stimulation"]["plan_checks"]] == [
        "dose_increase_poor_responder",
        "adjuvant_addon",
    ]


# --- signing ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_plan_saved_after_the_page_was_drawn_refuses_the_signature(
    client, clinician, other_clinician, poor_workup
):
    client.force_login(clinician)
    form = client.get(poor_workup.get_absolute_url()).context["forms"]["sign"]
    data = {f"sign-{name}": form[name].value() for name in form.fields}
    data["sign-confirm"] = "on"
    client.force_login(other_clinician)
    client.post(plan_url(poor_workup), plan_data(poor_workup, daily_dose_iu="450"))
    client.force_login(clinician)
    response = client.post(reverse("clinic:sign", args=[poor_workup.pk]), data)
    assert response.status_code == 200
    assert "Not signed: the work-up changed after you opened it" in response.content.decode()


@pytest.mark.django_db
def test_a_work_up_signed_before_the_panel_shows_todays_block_marked_as_such(
    clinician_client, high_workup
):
    from workup.clinic.models import WorkUp

    signed = sign(clinician_client, high_workup)
    record = signed.signed_assessment
    record["answer"].pop("stimulation")
    WorkUp.objects.filter(pk=signed.pk).update(signed_assessment=record)
    html = clinician_client.get(signed.get_absolute_url()).content.decode()
    assert "signed before this panel existed" in html
    assert "Predicted response: <strong>High</strong>" in html
    summary = clinician_client.get(reverse("documents:summary", args=[signed.pk]))
    assert summary.status_code == 200
    assert 'id="stimulation-title"' not in summary.content.decode()  # the signed record has none


@pytest.mark.django_db
def test_a_signed_work_up_keeps_its_signed_plan_checks(clinician_client, high_workup):
    clinician_client.post(plan_url(high_workup), plan_data(high_workup, freeze_all="false"))
    signed = sign(clinician_client, high_workup)
    clinician_client.post(
        plan_url(signed),
        plan_data(signed, freeze_all="true", addendum_reason="Agreed freeze-all with the patient"),
    )
    html = clinician_client.get(signed.get_absolute_url()).content.decode()
    panel = html[html.index('id="stimulation-panel"') :]
    # The page shows the advice as signed, and says what today's advice would change.
    assert "No freeze-all planned, after moderate OHSS (cycle 1)." in panel
    assert "Plan check “Freeze-all after OHSS”: status" in html
