"""The clinician's work-up: findings, decisions, add-ons, tracking, sign-off, history, roles."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from tests.factories import make_patient, make_workup, sign
from workup.clinic.models import Addendum, AddonRequest, ChecklistStep, Findings, Patient, WorkUp

RIF_FACTS = {"age": 36, "failed_transfers": 3}


@pytest.fixture
def workup(clinician, loaded_catalogue):
    return make_workup(clinician=clinician, facts=RIF_FACTS)


def step_url(workup, code):
    return reverse("clinic:record_step", args=[workup.pk, code])


def step_version(workup, code):
    if code == "history":
        return WorkUp.objects.get(pk=workup.pk).version
    return ChecklistStep.objects.get(workup=workup, code=code).version


def post_findings(client, workup, code, values, version=None, **extra):
    data = {f"{code}-{k}": v for k, v in values.items()}
    data[f"{code}-version"] = version if version is not None else step_version(workup, code)
    data.update(extra)
    return client.post(step_url(workup, code), data)


HYSTEROSCOPY_POLYP = {
    "hysteroscopy_done": "true",
    "hysteroscopy_polyp": "true",
    "hysteroscopy_submucosal_fibroid": "false",
    "hysteroscopy_septum": "false",
    "hysteroscopy_adhesions": "false",
    "hysteroscopy_endometritis_signs": "unknown",
}


# --- the page -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_reads_the_label_first_then_the_advice_then_the_checklist(
    clinician_client, workup
):
    response = clinician_client.get(workup.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    # The label, then the advice column (to do, actions, add-ons), then the checklist: what a
    # screen reader reads and what a tablet shows first; a laptop shows the column beside it.
    order = ["rif-title", "to-do-title", "next-steps-title", "addons-title", "checklist-title"]
    positions = [html.index(f'id="{anchor}"') for anchor in order]
    assert positions == sorted(positions)
    assert "cumulative predicted chance 76%" in html
    assert "Record findings" in html
    assert "Pending clinical review" in html


FULL_FACTS = {
    "age": 36,
    "transfers": [
        {
            "date": f"2025-0{month}-10",
            "oocyte_age": 34,
            "stage": "blastocyst",
            "embryos": [{"pgta": "untested", "grade": "4AA"}],
            "outcome": "negative",
        }
        for month in (2, 5, 8)
    ],
    "addons_requested": ["intralipids", "ivig", "heparin"],
    "previous_cycles": [
        {"oocytes": 3, "daily_dose_iu": 300, "protocol": "antagonist"},
        {"oocytes": 5, "daily_dose_iu": 375, "protocol": "antagonist"},
    ],
    "planned_cycle": {"protocol": "antagonist", "daily_dose_iu": 300},
    "hysteroscopy": {"done": True, "polyp": True},
}


@pytest.mark.django_db
def test_the_page_needs_a_fixed_number_of_queries(
    clinician_client, clinician, loaded_catalogue, django_assert_max_num_queries
):
    workup = make_workup(clinician=clinician, facts=FULL_FACTS)
    for code in ("polypectomy", "stimulation_plan"):
        clinician_client.post(
            reverse("clinic:track", args=[workup.pk]),
            {"code": code, f"track-{code}-code": code, f"track-{code}-version": 0},
        )
    sign(clinician_client, workup)
    clinician_client.get(workup.get_absolute_url())  # the session is touched once a minute
    # Signed, with transfers, cycles, a plan, add-ons and tracked steps: 12 (the session, the
    # user, the work-up with its catalogue revision and whether it has addenda or lab results,
    # its add-on requests, steps, transfers and cycles, the staff a step can be given to, three
    # kinds of recent changes, and the record of this read).
    with django_assert_max_num_queries(12):
        assert clinician_client.get(workup.get_absolute_url()).status_code == 200
    # An addendum and a laboratory result add their own panels: one query each.
    Addendum.objects.create(workup=workup, author=clinician, reason="Synthetic addendum.")
    with django_assert_max_num_queries(13):
        assert clinician_client.get(workup.get_absolute_url()).status_code == 200


# --- findings -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_clinician_records_a_hysteroscopy_with_a_polyp(clinician_client, clinician, workup):
    response = post_findings(clinician_client, workup, "hysteroscopy", HYSTEROSCOPY_POLYP)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/workups/{workup.pk}/#step-hysteroscopy")
    findings = Findings.objects.get(workup=workup)
    assert findings.hysteroscopy_polyp is True and findings.hysteroscopy_endometritis_signs is None
    assert ChecklistStep.objects.get(workup=workup, code="hysteroscopy").status == "done"
    assert findings.history.latest().history_user == clinician
    page = clinician_client.get(workup.get_absolute_url()).content.decode()
    assert "Hysteroscopic polypectomy" in page
    assert "Endometrial polyp: <strong>Found</strong>" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code, values, field, message",
    [
        ("lifestyle", {"bmi": "abc", "smoker": "false"}, "bmi", "Enter a number."),
        ("lifestyle", {"bmi": "5", "smoker": "false"}, "bmi", "Must be between 12 and 80"),
        ("thyroid", {"tsh": "150", "tpo_positive": "unknown"}, "tsh", "Must be between 0 and 100"),
        (
            "ovarian_reserve",
            {"amh_value": "60", "amh_unit": "ng/mL", "afc": "4"},
            "amh_value",
            "Must be between 0 and 50 ng/mL",
        ),
        (
            "ovarian_reserve",
            {"amh_value": "2", "amh_unit": "ng/mL", "afc": "150"},
            "afc",
            "Must be between 0 and 100",
        ),
        (
            "ce_biopsy",
            {"ce_biopsy_done": "true", "ce_cd138_positive": "false", "ce_treated": "true"},
            "ce_treated",
            "Only meaningful after",
        ),
        (
            "hysteroscopy",
            {"hysteroscopy_done": "false", "hysteroscopy_polyp": "true"},
            "hysteroscopy_polyp",
            "Recorded as found, but done is false.",
        ),
        (
            "history",
            {"failed_transfers": "2", "euploid_failed_transfers": "3"},
            "euploid_failed_transfers",
            "Cannot exceed failed_transfers",
        ),
    ],
)
def test_bad_findings_get_a_message_beside_the_field_and_store_nothing(
    clinician_client, workup, code, values, field, message
):
    before = Findings.history.filter(workup_id=workup.pk).count()
    response = post_findings(clinician_client, workup, code, values)
    assert response.status_code == 200
    form = response.context["forms"]["findings"][code]
    assert message in " ".join(form.errors[field]), form.errors
    html = response.content.decode()
    assert f'id="error_1_id_{code}-{field}"' in html  # rendered beside the field
    assert Findings.history.filter(workup_id=workup.pk).count() == before
    assert response.context["open_step"] == code


@pytest.mark.django_db
def test_amh_entered_in_pmol_per_litre_is_stored_once_and_shown_as_entered(
    clinician_client, workup
):
    values = {"amh_value": "7.14", "amh_unit": "pmol/L", "afc": "9"}
    assert post_findings(clinician_client, workup, "ovarian_reserve", values).status_code == 302
    findings = Findings.objects.get(workup=workup)
    assert (findings.amh_ng_ml, findings.amh_entered, findings.amh_unit, findings.afc) == (
        1.0,
        7.14,
        "pmol/L",
        9,
    )
    page = clinician_client.get(workup.get_absolute_url()).content.decode()
    assert "AMH: <strong>7.14 pmol/L (1 ng/mL)</strong>" in page


@pytest.mark.django_db
def test_previous_cycles_are_recorded_with_their_doses(clinician_client, workup):
    data = {
        "cycles-TOTAL_FORMS": "2",
        "cycles-INITIAL_FORMS": "0",
        "cycles-0-oocytes": "3",
        "cycles-0-daily_dose_iu": "300",
        "cycles-0-maximal_stimulation": "true",
        "cycles-0-ohss": "unknown",
        "cycles-0-protocol": "antagonist",
        "cycles-1-oocytes": "2",
        "cycles-1-daily_dose_iu": "450",
        "cycles-1-maximal_stimulation": "true",
        "cycles-1-ohss": "false",
        "cycles-1-protocol": "",
    }
    response = post_findings(clinician_client, workup, "response_review", {}, **data)
    assert response.status_code == 302, (
        response.context and response.context["forms"]["cycles"].errors
    )
    assert list(workup.cycles.values_list("sequence", "oocytes", "daily_dose_iu")) == [
        (1, 3, 300),
        (2, 2, 450),
    ]
    from workup.clinic.assessment import assess_workup
    from workup.clinic.presenters import load_workup

    facts, answer = assess_workup(load_workup(workup.pk))
    assert facts.previous_oocytes == (3, 2)
    assert answer["classification"]["details"]["bologna_poor_responder"]["value"] is True


@pytest.mark.django_db
def test_no_previous_stimulation_is_a_recorded_answer(clinician_client, workup):
    data = {"cycles-TOTAL_FORMS": "1", "cycles-INITIAL_FORMS": "0"}
    post_findings(
        clinician_client, workup, "response_review", {"no_previous_stimulation": "on"}, **data
    )
    assert ChecklistStep.objects.get(workup=workup, code="response_review").status == "done"


# --- no lost edits ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_save_on_stale_data_is_refused_and_says_what_changed(
    client, clinician, other_clinician, workup
):
    seen_version = step_version(workup, "hysteroscopy")
    client.force_login(other_clinician)
    assert post_findings(client, workup, "hysteroscopy", HYSTEROSCOPY_POLYP).status_code == 302
    client.force_login(clinician)
    mine = {**HYSTEROSCOPY_POLYP, "hysteroscopy_polyp": "false", "hysteroscopy_septum": "true"}
    original = '{"hysteroscopy_polyp": "not recorded", "hysteroscopy_done": "not recorded"}'
    response = post_findings(
        client,
        workup,
        "hysteroscopy",
        mine,
        version=seen_version,
        **{"hysteroscopy-original": original},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not saved" in html
    assert "Bianca Test" in html
    assert "Endometrial polyp: not recorded → Found" in html
    form = response.context["forms"]["findings"]["hysteroscopy"]
    assert form["hysteroscopy_septum"].value() is True  # my entries are kept
    findings = Findings.objects.get(workup=workup)
    assert findings.hysteroscopy_polyp is True and findings.hysteroscopy_septum is False
    # Saving again, now on fresh data, goes through.
    again = post_findings(client, workup, "hysteroscopy", mine)
    assert again.status_code == 302
    assert Findings.objects.get(workup=workup).hysteroscopy_septum is True


# --- decisions and tracking ---------------------------------------------------------------------


@pytest.mark.django_db
def test_ruling_out_an_investigation_needs_a_reason(clinician_client, workup):
    url = reverse("clinic:decide", args=[workup.pk, "karyotype"])
    version = step_version(workup, "karyotype")
    response = clinician_client.post(
        url, {"decide-karyotype-decision": "not_indicated", "decide-karyotype-version": version}
    )
    assert response.status_code == 200
    assert "Give the reason" in response.content.decode()
    response = clinician_client.post(
        url,
        {
            "decide-karyotype-decision": "not_indicated",
            "decide-karyotype-reason": "Done in 2024, normal",
            "decide-karyotype-version": version,
        },
    )
    assert response.status_code == 302
    step = ChecklistStep.objects.get(workup=workup, code="karyotype")
    assert (step.status, step.not_indicated_reason) == ("not_indicated", "Done in 2024, normal")


@pytest.mark.django_db
def test_a_clinician_adds_a_gated_investigation_before_the_label(
    clinician_client, clinician, loaded_catalogue
):
    workup = make_workup(clinician=clinician, facts={"age": 41, "failed_transfers": 2})
    assert ChecklistStep.objects.get(workup=workup, code="hysteroscopy").status == "not_indicated"
    clinician_client.post(
        reverse("clinic:decide", args=[workup.pk, "hysteroscopy"]),
        {
            "decide-hysteroscopy-decision": "indicated",
            "decide-hysteroscopy-version": step_version(workup, "hysteroscopy"),
        },
    )
    assert ChecklistStep.objects.get(workup=workup, code="hysteroscopy").status == "pending"


@pytest.mark.django_db
def test_a_suggested_next_step_becomes_a_tracked_step_in_one_click(
    clinician_client, clinician, loaded_catalogue
):
    workup = make_workup(
        clinician=clinician,
        facts={**RIF_FACTS, "ce_biopsy": {"done": True, "cd138_positive": True, "treated": True}},
    )
    due = (date.today() + timedelta(days=21)).isoformat()
    response = clinician_client.post(
        reverse("clinic:track", args=[workup.pk]),
        {
            "code": "ce_rebiopsy",
            "track-ce_rebiopsy-code": "ce_rebiopsy",
            "track-ce_rebiopsy-due_date": due,
            "track-ce_rebiopsy-assignee": clinician.pk,
            "track-ce_rebiopsy-version": 0,
        },
    )
    assert response.status_code == 302
    # Back to the suggestion the clinician tracked, in the advice column, with the note there.
    assert response["Location"].endswith("#next-ce_rebiopsy")
    step = ChecklistStep.objects.get(workup=workup, code="ce_rebiopsy")
    assert (step.kind, step.status, step.due_date.isoformat(), step.assignee) == (
        "action",
        "pending",
        due,
        clinician,
    )
    page = clinician_client.get(workup.get_absolute_url()).content.decode()
    assert "Tracked next step" in page and "Tracked on the checklist" in page
    card = page[page.index('id="next-ce_rebiopsy"') :]
    assert card.index('id="saved-note"') < card.index("</li>")
    assert "is now a tracked step on the checklist" in card[: card.index("</li>")]


@pytest.mark.django_db
def test_marking_a_tracked_step_done_removes_the_suggestion(
    clinician_client, clinician, loaded_catalogue
):
    workup = make_workup(
        clinician=clinician, facts={**RIF_FACTS, "hysteroscopy": {"done": True, "polyp": True}}
    )
    clinician_client.post(
        reverse("clinic:track", args=[workup.pk]),
        {
            "code": "polypectomy",
            "track-polypectomy-code": "polypectomy",
            "track-polypectomy-version": 0,
        },
    )
    version = step_version(workup, "polypectomy")
    clinician_client.post(
        reverse("clinic:complete_step", args=[workup.pk, "polypectomy"]),
        {"complete-polypectomy-version": version},
    )
    response = clinician_client.get(workup.get_absolute_url())
    codes = [s["code"] for s in response.context["answer"]["next_steps"]]
    assert "polypectomy" not in codes
    assert ChecklistStep.objects.get(workup=workup, code="polypectomy").completed_manually


# --- add-ons ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_requested_intralipid_is_flagged_and_counselled(clinician_client, clinician, workup):
    response = clinician_client.post(
        reverse("clinic:add_addon", args=[workup.pk]),
        {"addon-addon_code": "intralipids", "addon-requested_by": "patient"},
    )
    assert response.status_code == 302
    page = clinician_client.get(workup.get_absolute_url()).content.decode()
    assert "Intralipid infusion" in page and "Fat overload syndrome" in page
    request_row = AddonRequest.objects.get(workup=workup)
    url = reverse("clinic:counsel_addon", args=[workup.pk, request_row.pk])
    prefix = f"counsel-{request_row.pk}"
    refused = clinician_client.post(
        url, {f"{prefix}-outcome": "proceeding_against_advice", f"{prefix}-version": 1}
    )
    assert "Give the reason for proceeding against advice." in refused.content.decode()
    clinician_client.post(
        url,
        {
            f"{prefix}-outcome": "discussed_declined",
            f"{prefix}-outcome_reason": "Prefers to wait for the biopsy",
            f"{prefix}-version": 1,
        },
    )
    request_row.refresh_from_db()
    assert request_row.outcome == "discussed_declined"
    assert request_row.counselled_by == clinician and request_row.counselled_at is not None


@pytest.mark.django_db
def test_an_add_on_cannot_be_requested_twice(clinician_client, workup):
    url = reverse("clinic:add_addon", args=[workup.pk])
    clinician_client.post(url, {"addon-addon_code": "ivig", "addon-requested_by": "patient"})
    response = clinician_client.post(
        url, {"addon-addon_code": "ivig", "addon-requested_by": "patient"}
    )
    assert response.status_code == 200
    assert (
        "a request for Intravenous immunoglobulin (IVIG) was already recorded by Alice Test"
        in response.content.decode()
    )
    assert AddonRequest.objects.filter(workup=workup).count() == 1


# --- sign-off -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_signing_locks_findings_and_later_changes_are_addenda(clinician_client, clinician, workup):
    workup = sign(clinician_client, workup)
    assert workup.is_signed and workup.signed_by == clinician
    assert workup.signed_assessment["answer"]["rif"]["label"] == "rif"
    without_reason = post_findings(clinician_client, workup, "hysteroscopy", HYSTEROSCOPY_POLYP)
    assert without_reason.status_code == 200
    assert "give the reason for the addendum" in " ".join(
        without_reason.context["forms"]["findings"]["hysteroscopy"].errors["addendum_reason"]
    )
    assert Findings.objects.get(workup=workup).hysteroscopy_polyp is None
    with_reason = post_findings(
        clinician_client,
        workup,
        "hysteroscopy",
        HYSTEROSCOPY_POLYP,
        **{"hysteroscopy-addendum_reason": "Report arrived after signing"},
    )
    assert with_reason.status_code == 302
    addendum = Addendum.objects.get(workup=workup)
    assert addendum.reason == "Report arrived after signing"
    assert "Endometrial polyp: not recorded → Found" in addendum.changes
    assert WorkUp.objects.get(pk=workup.pk).is_signed


@pytest.mark.django_db
def test_signing_needs_the_confirmation(clinician_client, workup):
    response = clinician_client.post(reverse("clinic:sign", args=[workup.pk]), {"sign-version": 1})
    assert response.status_code == 200
    assert not WorkUp.objects.get(pk=workup.pk).is_signed


# --- history ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_history_says_who_changed_what_and_when(clinician_client, workup):
    post_findings(clinician_client, workup, "hysteroscopy", HYSTEROSCOPY_POLYP)
    page = clinician_client.get(reverse("clinic:workup_history", args=[workup.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Alice Test" in html
    assert "Endometrial polyp: not recorded → Found" in html
    assert "Status: Pending → Done" in html


# --- roles --------------------------------------------------------------------------------------

WRITES = [
    ("clinic:record_step", ["hysteroscopy"]),
    ("clinic:decide", ["karyotype"]),
    ("clinic:add_addon", []),
    ("clinic:sign", []),
    ("clinic:complete_step", ["polypectomy"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize("name, args", WRITES + [("clinic:counsel_addon", [1])])
def test_anonymous_users_are_sent_to_login(client, workup, name, args):
    response = client.post(reverse(name, args=[workup.pk, *args]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get(workup.get_absolute_url())["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("name, args", WRITES)
def test_a_coordinator_cannot_write_findings(coordinator_client, workup, name, args):
    response = coordinator_client.post(
        reverse(name, args=[workup.pk, *args]), {"hysteroscopy-hysteroscopy_polyp": "true"}
    )
    assert response.status_code == 403
    assert Findings.objects.get(workup=workup).hysteroscopy_polyp is None


@pytest.mark.django_db
def test_a_coordinator_cannot_record_counselling(coordinator_client, workup):
    request_row = AddonRequest.objects.create(workup=workup, addon_code="ivig")
    url = reverse("clinic:counsel_addon", args=[workup.pk, request_row.pk])
    response = coordinator_client.post(url, {f"counsel-{request_row.pk}-outcome": "referred_trial"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_coordinator_sees_the_work_up_without_finding_forms(coordinator_client, workup):
    html = coordinator_client.get(workup.get_absolute_url()).content.decode()
    assert "Investigations still to do" in html and "Actions from findings" in html
    assert "Record findings" not in html and "Sign work-up" not in html
    assert "+ Track" in html  # coordinators schedule and track steps


@pytest.mark.django_db
def test_a_user_without_a_role_is_refused(stranger_client, workup):
    assert stranger_client.get(workup.get_absolute_url()).status_code == 403


# --- patients -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_patients_are_found_by_mrn_or_name(clinician_client):
    make_patient(mrn="SYN-1001", name="Ada Lovelock")
    make_patient(mrn="SYN-2002", name="Bea Marsh")
    for query, expected in (
        ("1001", ["SYN-1001"]),
        ("marsh", ["SYN-2002"]),
        ("SYN", ["SYN-1001", "SYN-2002"]),
        ("zzz", []),
    ):
        response = clinician_client.get(reverse("clinic:patient_list"), {"q": query})
        assert [p.mrn for p in response.context["page"].object_list] == expected


@pytest.mark.django_db
def test_the_patient_list_is_paginated(clinician_client, django_assert_max_num_queries):
    for n in range(30):
        make_patient(mrn=f"SYN-{n:04d}", name=f"Patient {n:02d}")
    with django_assert_max_num_queries(10):  # session, user, permissions, count, page
        response = clinician_client.get(reverse("clinic:patient_list"))
    assert len(response.context["page"].object_list) == 25
    assert "Page 1" in response.content.decode() and "page=2" in response.content.decode()


@pytest.mark.django_db
def test_a_duplicate_mrn_gets_a_clear_message(clinician_client):
    make_patient(mrn="SYN-3003", name="Cleo Fenn")
    response = clinician_client.post(
        reverse("clinic:patient_create"),
        {"mrn": "syn-3003", "name": "Someone Else", "birth_date": "1990-01-01"},
    )
    assert response.status_code == 200
    assert "MRN SYN-3003 is already on record (for Cleo Fenn" in response.content.decode()


@pytest.mark.django_db
def test_a_clinician_creates_a_patient_and_a_work_up(clinician_client, clinician):
    response = clinician_client.post(
        reverse("clinic:patient_create"),
        {"mrn": "SYN-4004", "name": " Dora   Vale ", "birth_date": "1989-06-15"},
    )
    assert response.status_code == 302
    patient = Patient.objects.get(mrn="SYN-4004")
    assert patient.name == "Dora Vale"
    response = clinician_client.post(
        reverse("clinic:workup_create", args=[patient.pk]),
        {
            "date": "2026-11-01",
            "clinician": clinician.pk,
            "failed_transfers": "3",
            "euploid_failed_transfers": "0",
            "miscarriages": "1",
        },
    )
    assert response.status_code == 302
    workup = WorkUp.objects.get(patient=patient)
    assert workup.age_years == 37 and workup.findings.failed_transfers == 3


@pytest.mark.django_db
def test_a_work_up_outside_the_age_range_is_refused(clinician_client, clinician):
    patient = make_patient(birth_date=date(1950, 1, 1))
    response = clinician_client.post(
        reverse("clinic:workup_create", args=[patient.pk]),
        {"date": "2026-11-01", "clinician": clinician.pk},
    )
    assert response.status_code == 200
    assert "the assessment covers ages 18 to 60" in response.content.decode()
    assert not WorkUp.objects.exists()


@pytest.mark.django_db
def test_correcting_a_birth_date_corrects_open_work_ups(
    clinician_client, clinician, loaded_catalogue
):
    patient = make_patient(birth_date=date(1990, 1, 1))
    workup = make_workup(
        clinician=clinician, patient=patient, facts={"age": 36}, workup_date=date(2026, 6, 1)
    )
    clinician_client.post(
        reverse("clinic:patient_edit", args=[patient.pk]),
        {"mrn": patient.mrn, "name": patient.name, "birth_date": "1985-01-01"},
    )
    assert WorkUp.objects.get(pk=workup.pk).age_years == 41


@pytest.mark.django_db
def test_coordinators_cannot_create_patients(coordinator_client):
    assert coordinator_client.get(reverse("clinic:patient_create")).status_code == 403
    assert coordinator_client.get(reverse("clinic:patient_list")).status_code == 200


# --- the live advice panel ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_preview_shows_the_advice_for_unsaved_entries_and_saves_nothing(
    clinician_client, workup
):
    url = reverse("clinic:preview_step", args=[workup.pk, "lifestyle"])
    before = Findings.history.filter(workup_id=workup.pk).count()
    response = clinician_client.post(
        url,
        {
            "lifestyle-smoker": "true",
            "lifestyle-bmi": "",
            "lifestyle-version": step_version(workup, "lifestyle"),
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stop-smoking support" in html and "Preview" in html
    assert Findings.objects.get(workup=workup).smoker is None
    assert Findings.history.filter(workup_id=workup.pk).count() == before
    invalid = clinician_client.post(url, {"lifestyle-bmi": "3", "lifestyle-version": 1})
    assert invalid.status_code == 204


@pytest.mark.django_db
def test_coordinators_get_no_preview(coordinator_client, workup):
    url = reverse("clinic:preview_step", args=[workup.pk, "lifestyle"])
    assert coordinator_client.post(url, {"lifestyle-smoker": "true"}).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    "first, repeat, field, message",
    [
        ("2026-06-01", "2026-07-13", "aps", "these tests are 6 weeks apart"),
        ("2026-06-01", "2026-05-01", "aps_repeat_test_date", "cannot be before the first"),
    ],
)
def test_a_confirmed_aps_result_needs_a_repeat_far_enough_apart(
    clinician_client, workup, first, repeat, field, message
):
    response = post_findings(
        clinician_client,
        workup,
        "aps_screen",
        {"aps": "confirmed", "aps_first_test_date": first, "aps_repeat_test_date": repeat},
    )
    assert message in " ".join(response.context["forms"]["findings"]["aps_screen"].errors[field])
    assert Findings.objects.get(workup=workup).aps is None
    ok = post_findings(
        clinician_client,
        workup,
        "aps_screen",
        {
            "aps": "confirmed",
            "aps_first_test_date": "2026-01-05",
            "aps_repeat_test_date": "2026-04-06",
        },
    )
    assert ok.status_code == 302
    assert Findings.objects.get(workup=workup).aps == "confirmed"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "asked, shown, count, total",
    [("2", 2, 5, 30), ("99", 2, 5, 30), ("x", 1, 25, None), ("0", 1, 25, None)],
)
def test_a_page_past_the_end_shows_the_last_one(clinician_client, asked, shown, count, total):
    """The number of matches is known on the last page, not counted on the others."""
    for n in range(30):
        make_patient(mrn=f"SYN-{n:04d}", name=f"Patient {n:02d}")
    page = clinician_client.get(reverse("clinic:patient_list"), {"page": asked}).context["page"]
    assert (page.number, len(page.object_list), page.paginator.count) == (shown, count, total)
