"""A save answers where the clinician is looking: the note at the step, what changed in the advice,
an error summary linked to each field; as regions for the page's script, or a whole page without it.
"""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from tests.factories import make_workup, sign
from workup.clinic.models import ChecklistStep, Findings, WorkUp
from workup.clinic.views.inplace import SAVED_KEY

FETCH = {"X-Requested-With": "fetch"}
RIF_FACTS = {"age": 36, "failed_transfers": 3}
POLYP = {
    "hysteroscopy_done": "true",
    "hysteroscopy_polyp": "true",
    "hysteroscopy_submucosal_fibroid": "false",
    "hysteroscopy_septum": "false",
    "hysteroscopy_adhesions": "false",
    "hysteroscopy_endometritis_signs": "unknown",
}


@pytest.fixture
def workup(clinician, loaded_catalogue):
    return make_workup(clinician=clinician, facts=RIF_FACTS)


def version_of(workup, code):
    if code == "history":
        return WorkUp.objects.get(pk=workup.pk).version
    return ChecklistStep.objects.get(workup=workup, code=code).version


def post_step(client, workup, code, values, *, fetch=False, **extra):
    data = {f"{code}-{k}": v for k, v in values.items()}
    data[f"{code}-version"] = version_of(workup, code)
    data.update(extra)
    url = reverse("clinic:record_step", args=[workup.pk, code])
    return client.post(url, data, headers=FETCH if fetch else None)


def region(html, name):
    """The content of one region of a regions answer."""
    start = html.index(f'data-region="{name}">') + len(f'data-region="{name}">')
    following = html.find('<div data-region="', start)
    return html[start : following if following != -1 else len(html)]


def root_attribute(html, name):
    return re.search(rf'id="workup-regions"[^>]*\b{name}="([^"]*)"', html).group(1)


def element(html, element_id, tag="li"):
    """The markup of the element with this id, up to its first closing tag of that kind."""
    start = html.index(f'id="{element_id}"')
    return html[start : html.index(f"</{tag}>", start)]


# --- a successful save --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_save_by_the_script_answers_with_the_regions_the_note_and_what_changed(
    clinician_client, workup
):
    response = post_step(clinician_client, workup, "hysteroscopy", POLYP, fetch=True)
    assert response.status_code == 200
    assert response["X-Workup-Regions"] == "1"
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert root_attribute(html, "data-outcome") == "saved"
    assert root_attribute(html, "data-focus") == "saved-note"
    assert root_attribute(html, "data-anchor") == "step-hysteroscopy"
    # The note sits in the saved step, in the checklist region, with the value in words.
    step = element(region(html, "checklist-panel"), "step-hysteroscopy")
    assert 'id="saved-note"' in step
    assert "Hysteroscopy saved: Hysteroscopy done: not recorded → Yes; Endometrial polyp" in step
    # What changed, named: the polypectomy is new, the hysteroscopy left the to-do list.
    assert (
        "The advice changed: Hysteroscopic polypectomy (new); Hysteroscopy (no longer listed)"
        in step
    )
    # The advice column marks the new next step, in words as well as colour.
    card = element(region(html, "advice-panel"), "next-polypectomy")
    assert "advice-mark advice-new" in html[: html.index('id="next-polypectomy"') + 30]
    assert ">New</span>" in card
    assert root_attribute(html, "data-advice-changed") == "next-polypectomy"
    changes = region(html, "save-changes-region")
    assert "What your save changed in the advice" in changes
    assert 'href="#next-polypectomy">Hysteroscopic polypectomy</a> <span' in changes
    assert 'Hysteroscopy <span class="text-body-secondary">(investigation)</span>' in changes
    # Stored, and nothing waits in the session for a redirect that will not come.
    assert Findings.objects.get(workup=workup).hysteroscopy_polyp is True
    assert SAVED_KEY not in clinician_client.session
    # No whole page: no navigation, no second copy of the layout.
    assert "<nav" not in html.replace('<nav class="workup-tabs', "") and "<html" not in html


@pytest.mark.django_db
def test_a_save_without_javascript_lands_on_the_step_with_the_note_and_the_changes(
    clinician_client, workup
):
    response = post_step(clinician_client, workup, "hysteroscopy", POLYP)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/workups/{workup.pk}/#step-hysteroscopy")
    html = clinician_client.get(response["Location"]).content.decode()
    step = element(html, "step-hysteroscopy")
    assert "Hysteroscopy saved: Hysteroscopy done: not recorded → Yes" in step
    assert 'id="save-changes"' in html and ">New</span>" in element(html, "next-polypectomy")
    # The note is said once: a reload shows the page without it.
    again = clinician_client.get(workup.get_absolute_url()).content.decode()
    assert 'id="saved-note"' not in again and 'id="save-changes"' not in again


@pytest.mark.django_db
def test_the_note_of_one_work_up_is_not_shown_on_another(clinician_client, clinician, workup):
    other = make_workup(clinician=clinician, facts=RIF_FACTS)
    post_step(clinician_client, workup, "hysteroscopy", POLYP)
    assert 'id="saved-note"' not in clinician_client.get(other.get_absolute_url()).content.decode()
    assert 'id="saved-note"' in clinician_client.get(workup.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_a_changed_rif_label_is_marked_on_the_banner_with_what_it_was(
    clinician_client, clinician, loaded_catalogue
):
    workup = make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 1})
    values = {"failed_transfers": "2", "euploid_failed_transfers": "0", "miscarriages": "0"}
    html = post_step(clinician_client, workup, "history", values, fetch=True).content.decode()
    banner = region(html, "rif-banner-region")
    assert "▲</span> RIF" in banner and ">Changed</span>" in banner
    assert "(was too early to label RIF, 38%)" in banner
    note = element(region(html, "checklist-panel"), "saved-note", "div")
    assert "Transfer history saved" in note and "The advice changed: RIF label;" in note


@pytest.mark.django_db
def test_a_next_step_no_longer_advised_is_named_as_gone(
    clinician_client, clinician, loaded_catalogue
):
    workup = make_workup(
        clinician=clinician, facts={**RIF_FACTS, "hysteroscopy": {"done": True, "polyp": True}}
    )
    html = post_step(
        clinician_client,
        workup,
        "hysteroscopy",
        {**POLYP, "hysteroscopy_polyp": "false"},
        fetch=True,
    ).content.decode()
    changes = region(html, "save-changes-region")
    assert "No longer listed</span> Hysteroscopic polypectomy" in changes
    assert "(next step)" in changes
    assert 'id="next-polypectomy"' not in region(html, "advice-panel")


@pytest.mark.django_db
def test_a_save_that_changes_nothing_says_so(clinician_client, clinician, loaded_catalogue):
    workup = make_workup(clinician=clinician, facts={**RIF_FACTS, "bmi": 24, "smoker": False})
    html = post_step(
        clinician_client, workup, "lifestyle", {"bmi": "24", "smoker": "false"}, fetch=True
    ).content.decode()
    assert "Lifestyle: smoking, BMI, alcohol: nothing changed." in html
    assert root_attribute(html, "data-advice-changed") == ""
    assert 'id="save-changes"' not in html


# --- a refused save -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_refused_save_by_the_script_heads_the_form_with_a_summary_linked_to_the_field(
    clinician_client, workup
):
    values = {"amh_value": "500", "amh_unit": "ng/mL", "afc": "6"}
    response = post_step(clinician_client, workup, "ovarian_reserve", values, fetch=True)
    assert response.status_code == 200 and response["X-Workup-Regions"] == "1"
    html = response.content.decode()
    assert root_attribute(html, "data-outcome") == "refused"
    assert root_attribute(html, "data-focus") == "errors-ovarian_reserve"
    step = element(region(html, "checklist-panel"), "step-ovarian_reserve")
    summary = step[step.index('id="errors-ovarian_reserve"') :]
    assert "Ovarian reserve: AMH and AFC: the findings were not saved" in summary
    assert (
        '<a href="#id_ovarian_reserve-amh_value">AMH</a>: Must be between 0 and 50 ng/mL' in summary
    )
    checklist = region(html, "checklist-panel")
    assert 'id="id_ovarian_reserve-amh_value"' in checklist  # the field the link leads to
    assert checklist.index("errors-ovarian_reserve") < checklist.index('name="ovarian_reserve-afc"')
    assert Findings.objects.get(workup=workup).amh_ng_ml is None


@pytest.mark.django_db
def test_a_refused_save_without_javascript_heads_the_page_with_the_summary(
    clinician_client, workup
):
    values = {"amh_value": "500", "amh_unit": "ng/mL", "afc": "6"}
    response = post_step(clinician_client, workup, "ovarian_reserve", values)
    assert response.status_code == 200 and "X-Workup-Regions" not in response
    html = response.content.decode()
    summary = html[html.index('id="page-errors"') : html.index("Go to the form")]
    assert "autofocus" in summary and 'tabindex="-1"' in summary
    assert '<a href="#id_ovarian_reserve-amh_value">AMH</a>: Must be between 0 and 50' in summary
    # Above the layout, so in view as the page loads; the form keeps the entries further down.
    assert html.index('id="page-errors"') < html.index('class="workup-layout"')
    assert 'href="#step-ovarian_reserve">Go to the form</a>' in html
    assert 'value="500"' in element(html, "step-ovarian_reserve")
    assert html.count("errors-ovarian_reserve") == 0  # one summary, not two


@pytest.mark.django_db
def test_an_antiphospholipid_result_confirmed_too_early_is_refused_with_the_field_named(
    clinician_client, workup
):
    first = date.today() - timedelta(weeks=6)
    values = {
        "aps": "confirmed",
        "aps_first_test_date": first.isoformat(),
        "aps_repeat_test_date": (first + timedelta(weeks=4)).isoformat(),
    }
    html = post_step(clinician_client, workup, "aps_screen", values, fetch=True).content.decode()
    summary = element(region(html, "checklist-panel"), "errors-aps_screen", "ul")
    assert '<a href="#id_aps_screen-aps">Antiphospholipid result</a>' in summary
    assert "at least 12 weeks after the first test; these tests are 4 weeks apart" in summary
    assert Findings.objects.get(workup=workup).aps in (None, "")


@pytest.mark.django_db
def test_a_conflict_shown_in_place_is_the_same_clear_message(
    client, clinician, other_clinician, workup
):
    url = reverse("clinic:decide", args=[workup.pk, "karyotype"])
    seen = version_of(workup, "karyotype")
    data = {
        "decide-karyotype-decision": "not_indicated",
        "decide-karyotype-reason": "Done elsewhere",
        "decide-karyotype-version": seen,
    }
    client.force_login(other_clinician)
    assert client.post(url, data).status_code == 302
    client.force_login(clinician)
    data["decide-karyotype-reason"] = "Normal in 2024"
    full = client.post(url, data).content.decode()
    html = client.post(url, data, headers=FETCH).content.decode()
    assert root_attribute(html, "data-focus") == "errors-decide-karyotype"
    summary = element(html, "errors-decide-karyotype", "ul")
    message = re.search(r"<li>(Not saved:[^<]*)</li>", summary).group(1)
    assert "Bianca Test" in message and message in full
    assert ChecklistStep.objects.get(workup=workup, code="karyotype").not_indicated_reason == (
        "Done elsewhere"
    )


@pytest.mark.django_db
def test_a_change_to_a_signed_work_up_in_place_still_asks_for_the_addendum_reason(
    clinician_client, workup
):
    signed = sign(clinician_client, workup)
    html = post_step(clinician_client, signed, "hysteroscopy", POLYP, fetch=True).content.decode()
    summary = element(html, "errors-hysteroscopy", "ul")
    assert "Reason for this addendum</a>: This work-up is signed: give the reason" in summary
    assert Findings.objects.get(workup=workup).hysteroscopy_polyp is None
    # With the reason it goes through; the page keeps the advice as signed and says so.
    html = post_step(
        clinician_client,
        signed,
        "hysteroscopy",
        POLYP,
        fetch=True,
        **{"hysteroscopy-addendum_reason": "Report arrived after signing"},
    ).content.decode()
    assert root_attribute(html, "data-outcome") == "saved"
    assert "Today’s advice changed: Hysteroscopic polypectomy (new)" in html
    assert "this page keeps the advice as signed" in html
    assert "advice-mark" not in region(html, "advice-panel")


# --- the other writes of the page ---------------------------------------------------------------


@pytest.mark.django_db
def test_counselling_saved_in_place_answers_at_its_flag(
    clinician_client, clinician, loaded_catalogue
):
    workup = make_workup(clinician=clinician, facts={**RIF_FACTS, "addons_requested": ["ivig"]})
    row = workup.addon_requests.get()
    url = reverse("clinic:counsel_addon", args=[workup.pk, row.pk])
    data = {
        f"counsel-{row.pk}-outcome": "discussed_declined",
        f"counsel-{row.pk}-outcome_reason": "",
        f"counsel-{row.pk}-version": row.version,
    }
    html = clinician_client.post(url, data, headers=FETCH).content.decode()
    flag = element(region(html, "addons-panel"), "addon-ivig", "h3")
    assert 'id="saved-note"' in flag and "Counselling outcome recorded." in flag
    assert "The advice did not change" not in flag  # said only of findings
    assert root_attribute(html, "data-anchor") == "addon-ivig"


@pytest.mark.django_db
def test_the_live_preview_answers_with_the_advice_regions(clinician_client, workup):
    url = reverse("clinic:preview_step", args=[workup.pk, "lifestyle"])
    data = {"lifestyle-bmi": "24", "lifestyle-smoker": "true", "lifestyle-version": "1"}
    response = clinician_client.post(url, data, headers=FETCH)
    html = response.content.decode()
    assert response["X-Workup-Regions"] == "1"
    assert root_attribute(html, "data-outcome") == "preview"
    assert "Stop-smoking support" in region(html, "advice-panel")
    assert not ChecklistStep.objects.filter(workup=workup, code="lifestyle", status="done")


@pytest.mark.django_db
def test_a_coordinator_cannot_save_in_place_either(coordinator_client, workup):
    response = post_step(coordinator_client, workup, "hysteroscopy", POLYP, fetch=True)
    assert response.status_code == 403
    assert Findings.objects.get(workup=workup).hysteroscopy_polyp is None


@pytest.mark.django_db
def test_a_refused_add_on_request_says_what_was_not_done_and_where(clinician_client, workup):
    url = reverse("clinic:add_addon", args=[workup.pk])
    data = {"addon-addon_code": "no-such-add-on", "addon-requested_by": "patient"}
    html = clinician_client.post(url, data).content.decode()
    summary = html[html.index('id="page-errors"') : html.index('class="workup-layout"')]
    assert "The add-on request was not recorded" in summary
    assert 'href="#id_addon-addon_code">Add-on requested</a>' in summary
    assert 'href="#addon-request">Go to the form</a>' in summary
    assert '<details class="card card-body py-2 small" open id="addon-request">' in html


@pytest.mark.django_db
def test_the_page_itself_is_always_a_whole_page(clinician_client, workup):
    # A script that followed a redirect gets the page, not regions, and posts the plain way.
    response = clinician_client.get(workup.get_absolute_url(), headers=FETCH)
    assert "X-Workup-Regions" not in response
    assert "<html" in response.content.decode()
