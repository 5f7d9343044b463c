"""Every clinical write carries the version it was drawn from: a stale form is refused, says who
changed what, and keeps what was typed. After sign-off every clinical change is an addendum."""

import pytest
from django.urls import reverse

from tests.clinic.test_workup_pages import RIF_FACTS
from tests.factories import make_workup
from workup.clinic.models import Addendum, AddonRequest, ChecklistStep, WorkUp
from workup.clinic.services import StaleEdit, add_addon_request


@pytest.fixture
def workup(clinician, loaded_catalogue):
    return make_workup(
        clinician=clinician,
        facts={
            **RIF_FACTS,
            "addons_requested": ["intralipids"],
            "hysteroscopy": {"done": True, "polyp": True},
        },
    )


def form_data(client, workup, group, code=None, prefix=None):
    """The named form's fields as the page drew them (what a browser would send back)."""
    forms = client.get(workup.get_absolute_url()).context["forms"]
    form = forms[group][code] if code else forms[group]
    return {form.add_prefix(name): form[name].value() or "" for name in form.fields}


def counselling_url(workup):
    request_row = AddonRequest.objects.get(workup=workup, addon_code="intralipids")
    return reverse("clinic:counsel_addon", args=[workup.pk, request_row.pk]), request_row


# --- counselling ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_stale_counselling_form_is_refused_and_says_who_changed_what(
    client, clinician, other_clinician, workup
):
    url, request_row = counselling_url(workup)
    prefix = f"counsel-{request_row.pk}"
    client.force_login(clinician)
    mine = form_data(client, workup, "counselling", "intralipids")
    client.force_login(other_clinician)
    theirs = form_data(client, workup, "counselling", "intralipids")
    theirs[f"{prefix}-outcome"] = "discussed_undecided"
    assert client.post(url, theirs).status_code == 302

    client.force_login(clinician)
    mine[f"{prefix}-outcome"] = "discussed_declined"
    mine[f"{prefix}-outcome_reason"] = "Prefers to wait"
    response = client.post(url, mine)
    assert response.status_code == 200
    form = response.context["forms"]["counselling"]["intralipids"]
    message = " ".join(form.non_field_errors())
    assert "Not saved" in message and "Bianca Test" in message
    assert "Discussed; patient undecided" in message
    assert form["outcome_reason"].value() == "Prefers to wait"  # my entries are kept
    request_row.refresh_from_db()
    assert request_row.outcome == "discussed_undecided"
    # Saved again from the refused form (now at the new version), it goes through.
    again = {form.add_prefix(n): form[n].value() or "" for n in form.fields}
    assert client.post(url, again).status_code == 302
    request_row.refresh_from_db()
    assert request_row.outcome == "discussed_declined"


@pytest.mark.django_db
def test_a_counselling_form_without_its_version_is_refused(clinician_client, workup):
    url, request_row = counselling_url(workup)
    response = clinician_client.post(
        url, {f"counsel-{request_row.pk}-outcome": "discussed_declined"}
    )
    assert response.status_code == 200
    request_row.refresh_from_db()
    assert request_row.outcome == "not_counselled"


# --- add-on requests -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_add_on_requested_twice_is_a_clear_conflict_naming_who(
    client, clinician, other_clinician, workup
):
    client.force_login(clinician)
    mine = form_data(client, workup, "addon")
    client.force_login(other_clinician)
    url = reverse("clinic:add_addon", args=[workup.pk])
    data = {"addon-addon_code": "ivig", "addon-requested_by": "patient"}
    assert client.post(url, data).status_code == 302
    client.force_login(clinician)
    response = client.post(url, {**mine, **data})
    assert response.status_code == 200
    message = " ".join(response.context["forms"]["addon"].non_field_errors())
    assert "Not recorded" in message and "Bianca Test" in message
    assert AddonRequest.objects.filter(workup=workup, addon_code="ivig").count() == 1


@pytest.mark.django_db
def test_the_service_turns_a_duplicate_add_on_into_a_conflict(clinician, workup):
    with pytest.raises(StaleEdit, match="already recorded"):
        add_addon_request(workup=workup, code="intralipids", requested_by="patient", user=clinician)


# --- checklist decisions -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_stale_decision_is_refused_says_who_changed_what_and_keeps_the_entries(
    client, clinician, other_clinician, workup
):
    url = reverse("clinic:decide", args=[workup.pk, "karyotype"])
    step = ChecklistStep.objects.get(workup=workup, code="karyotype")
    client.force_login(other_clinician)
    client.post(
        url,
        {
            "decide-karyotype-decision": "not_indicated",
            "decide-karyotype-reason": "Done elsewhere",
            "decide-karyotype-version": step.version,
        },
    )
    client.force_login(clinician)
    response = client.post(
        url,
        {
            "decide-karyotype-decision": "not_indicated",
            "decide-karyotype-reason": "Normal in 2024",
            "decide-karyotype-version": step.version,
        },
    )
    assert response.status_code == 200
    form = response.context["forms"]["decisions"]["karyotype"]
    message = " ".join(form.non_field_errors())
    assert "Not saved" in message and "Bianca Test" in message and "Done elsewhere" in message
    assert form["reason"].value() == "Normal in 2024"
    step.refresh_from_db()
    assert step.not_indicated_reason == "Done elsewhere"


# --- tracking and completing ---------------------------------------------------------------------


def track_data(code, **extra):
    return {"code": code, f"track-{code}-code": code, f"track-{code}-version": "0", **extra}


@pytest.mark.django_db
def test_tracking_a_step_someone_tracked_meanwhile_is_a_conflict(
    client, clinician, other_clinician, coordinator, workup
):
    url = reverse("clinic:track", args=[workup.pk])
    client.force_login(other_clinician)
    assert client.post(url, track_data("polypectomy")).status_code == 302
    client.force_login(coordinator)
    response = client.post(
        url,
        track_data("polypectomy", **{"track-polypectomy-due_date": "2030-01-01"}),
        follow=True,
    )
    # Said at the next step the coordinator tried to track, where the page lands.
    assert response.redirect_chain[-1][0].endswith("#next-polypectomy")
    notes = response.context["saved"]["message"]
    assert "Not saved" in notes and "Bianca Test" in notes and "1 Jan 2030" in notes
    assert notes in response.content.decode()
    step = ChecklistStep.objects.get(workup=workup, code="polypectomy")
    assert step.due_date is None or step.due_date.year != 2030


@pytest.mark.django_db
def test_completing_a_step_from_a_stale_page_is_refused(client, clinician, other_clinician, workup):
    client.force_login(clinician)
    client.post(reverse("clinic:track", args=[workup.pk]), track_data("polypectomy"))
    step = ChecklistStep.objects.get(workup=workup, code="polypectomy")
    seen = step.version
    # A colleague reassigns it; the old page's "Mark done" is then out of date.
    step.due_date = None
    step.version += 1
    step.save()
    url = reverse("clinic:complete_step", args=[workup.pk, "polypectomy"])
    response = client.post(url, {"complete-polypectomy-version": seen})
    assert response.status_code == 200
    assert "Not saved" in response.content.decode()
    assert ChecklistStep.objects.get(pk=step.pk).is_open
    assert client.post(url, {"complete-polypectomy-version": seen + 1}).status_code == 302
    assert not ChecklistStep.objects.get(pk=step.pk).is_open


@pytest.mark.django_db
def test_after_signing_tracking_and_completing_need_an_addendum_reason(
    clinician_client, clinician, workup
):
    clinician_client.post(reverse("clinic:track", args=[workup.pk]), track_data("polypectomy"))
    sign_form = form_data(clinician_client, workup, "sign")
    sign_form["sign-confirm"] = "on"
    assert (
        clinician_client.post(reverse("clinic:sign", args=[workup.pk]), sign_form).status_code
        == 302
    )

    step = ChecklistStep.objects.get(workup=workup, code="polypectomy")
    url = reverse("clinic:complete_step", args=[workup.pk, "polypectomy"])
    refused = clinician_client.post(url, {"complete-polypectomy-version": step.version})
    assert refused.status_code == 200
    assert "give the reason for the addendum" in refused.content.decode()
    assert ChecklistStep.objects.get(pk=step.pk).is_open
    done = clinician_client.post(
        url,
        {
            "complete-polypectomy-version": step.version,
            "complete-polypectomy-addendum_reason": "Polypectomy done on 2 Dec",
        },
    )
    assert done.status_code == 302
    assert not ChecklistStep.objects.get(pk=step.pk).is_open
    assert Addendum.objects.filter(workup=workup, reason="Polypectomy done on 2 Dec").exists()

    track_url = reverse("clinic:track", args=[workup.pk])
    code = "stimulation_plan"
    refused = clinician_client.post(track_url, track_data(code))
    assert refused.status_code == 200
    assert not ChecklistStep.objects.filter(workup=workup, code=code).exists()
    clinician_client.post(
        track_url, track_data(code, **{f"track-{code}-addendum_reason": "Plan agreed later"})
    )
    assert ChecklistStep.objects.filter(workup=workup, code=code).exists()
    assert WorkUp.objects.get(pk=workup.pk).is_signed


# --- withdrawing an add-on request ---------------------------------------------------------------


def withdraw_url(workup, request_row):
    return reverse("clinic:withdraw_addon", args=[workup.pk, request_row.pk])


@pytest.mark.django_db
def test_a_withdrawn_add_on_request_leaves_the_flags_and_its_history_stays(
    clinician_client, workup
):
    request_row = AddonRequest.objects.get(workup=workup, addon_code="intralipids")
    data = form_data(clinician_client, workup, "withdraw", "intralipids")
    response = clinician_client.post(withdraw_url(workup, request_row), data)
    assert response.status_code == 302
    assert not AddonRequest.objects.filter(pk=request_row.pk).exists()
    page = clinician_client.get(workup.get_absolute_url())
    assert "intralipids" not in [f["code"] for f in page.context["answer"]["addon_flags"]]
    assert AddonRequest.history.filter(id=request_row.pk, history_type="-").exists()


@pytest.mark.django_db
def test_withdrawing_from_a_stale_page_is_refused_and_says_who(
    client, clinician, other_clinician, workup
):
    url, request_row = counselling_url(workup)
    client.force_login(clinician)
    stale = form_data(client, workup, "withdraw", "intralipids")
    client.force_login(other_clinician)
    counsel = form_data(client, workup, "counselling", "intralipids")
    counsel[f"counsel-{request_row.pk}-outcome"] = "referred_trial"
    assert client.post(url, counsel).status_code == 302
    client.force_login(clinician)
    response = client.post(withdraw_url(workup, request_row), stale)
    assert response.status_code == 200
    message = " ".join(response.context["forms"]["withdraw"]["intralipids"].non_field_errors())
    assert "Not saved" in message and "Bianca Test" in message and "clinical trial" in message
    assert AddonRequest.objects.filter(pk=request_row.pk).exists()


@pytest.mark.django_db
def test_counselling_a_request_withdrawn_meanwhile_is_a_clear_refusal(
    clinician, other_clinician, workup
):
    from workup.clinic.services import record_counselling, withdraw_addon_request

    request_row = AddonRequest.objects.get(workup=workup, addon_code="intralipids")
    withdraw_addon_request(request=request_row, version=1, user=other_clinician)
    with pytest.raises(StaleEdit, match="removed while you were editing"):
        record_counselling(
            request=request_row,
            outcome="discussed_declined",
            reason="",
            version=1,
            user=clinician,
        )


@pytest.mark.django_db
def test_withdrawing_after_signing_needs_an_addendum_reason(clinician_client, workup):
    from tests.factories import sign

    sign(clinician_client, workup)
    request_row = AddonRequest.objects.get(workup=workup, addon_code="intralipids")
    data = form_data(clinician_client, workup, "withdraw", "intralipids")
    refused = clinician_client.post(withdraw_url(workup, request_row), data)
    assert refused.status_code == 200
    assert AddonRequest.objects.filter(pk=request_row.pk).exists()
    data[f"withdraw-{request_row.pk}-addendum_reason"] = "Patient changed her mind"
    assert clinician_client.post(withdraw_url(workup, request_row), data).status_code == 302
    assert Addendum.objects.get(workup=workup).changes == "Add-on withdrawn: Intralipid infusion"
