"""A signature freezes what was signed; signing checks everything the signer saw."""

import re

import pytest
from django.urls import reverse

from tests.clinic.test_workup_pages import RIF_FACTS, post_findings
from tests.factories import make_workup, sign
from workup.clinic.models import Addendum, ChecklistStep, WorkUp
from workup.evidence import store
from workup.evidence.models import AddOn, Source

FACTS = {**RIF_FACTS, "addons_requested": ["corticosteroids"]}


@pytest.fixture
def workup(clinician, loaded_catalogue):
    return make_workup(clinician=clinician, facts=FACTS)


def sign_form(client, workup):
    """The sign-off form's fields as the page drew them."""
    page = client.get(workup.get_absolute_url())
    form = page.context["forms"]["sign"]
    data = {f"sign-{name}": form[name].value() for name in form.fields}
    data["sign-confirm"] = "on"
    return data


def card(html, element_id):
    """The HTML of one card of the page, from its id to the end of its section."""
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</section>", start)]


def verify_corticosteroids(lead):
    store.record_review(entries=[AddOn.objects.get(code="corticosteroids")], reviewer=lead)


# --- signed means frozen ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_review_after_signing_does_not_change_the_signed_page(clinician_client, workup, lead):
    sign(clinician_client, workup)
    assert "Pending clinical review" in card(
        clinician_client.get(workup.get_absolute_url()).content.decode(), "addon-corticosteroids"
    )
    verify_corticosteroids(lead)
    html = clinician_client.get(workup.get_absolute_url()).content.decode()
    signed_card = card(html, "addon-corticosteroids")
    assert "Pending clinical review" in signed_card and "Verified" not in signed_card
    # One line says the advice differs today, and what differs is there to open.
    assert "Today’s advice for this record differs from the signed advice" in html
    differences = html[html.index('id="advice-changes"') :]
    differences = differences[: differences.index("</details>")]
    assert "Corticosteroids" in differences
    assert "Pending clinical review" in differences and "Verified" in differences


@pytest.mark.django_db
def test_a_freshly_signed_work_up_says_nothing_changed(clinician_client, workup):
    signed = sign(clinician_client, workup)
    catalogue = store.get_catalogue()
    html = clinician_client.get(workup.get_absolute_url()).content.decode()
    assert "differs from the signed advice" not in html
    assert f"revision {catalogue.revision}" in html
    summary = clinician_client.get(reverse("documents:summary", args=[workup.pk]))
    text = summary.content.decode()
    assert "has changed since signing" not in text
    assert "differs from the signed advice" not in text
    assert signed.signed_assessment["catalogue"]["revision"] == catalogue.revision


@pytest.mark.django_db
def test_the_signed_summary_and_patient_sheet_keep_the_texts_of_signing(
    clinician_client, workup, lead
):
    sign(clinician_client, workup)
    old_citation = store.get_catalogue().sources["eshre-rif-2023"].citation
    summary_before = clinician_client.get(reverse("documents:summary", args=[workup.pk]))
    assert old_citation in summary_before.content.decode()
    # The lead rewords a source and an add-on's patient text, and verifies the add-on.
    Source.objects.filter(key="eshre-rif-2023").update(citation="A reworded citation.")
    AddOn.objects.filter(code="corticosteroids").update(plain_what="A reworded patient text.")
    verify_corticosteroids(lead)  # rebuilds the snapshot: the catalogue is now newer

    summary = clinician_client.get(reverse("documents:summary", args=[workup.pk])).content
    summary = summary.decode()
    assert old_citation in summary and "A reworded citation." not in summary
    addon = summary[summary.index('data-addon="corticosteroids"') :]
    addon = addon[: addon.index("</div>")]
    assert "Pending clinical review" in addon and "Verified" not in addon
    assert "Today’s advice for this record differs from the signed advice" in summary

    sheet = clinician_client.get(reverse("documents:handout", args=[workup.pk])).content.decode()
    assert "A reworded patient text." not in sheet
    assert "Not yet confirmed" in sheet[sheet.index('data-addon="corticosteroids"') :]


@pytest.mark.django_db
def test_counselling_after_signing_is_an_addendum_below_the_signed_summary(
    clinician_client, clinician, workup
):
    sign(clinician_client, workup)
    request_row = workup.addon_requests.get()
    prefix = f"counsel-{request_row.pk}"
    page = clinician_client.get(workup.get_absolute_url())
    form = page.context["forms"]["counselling"]["corticosteroids"]
    clinician_client.post(
        reverse("clinic:counsel_addon", args=[workup.pk, request_row.pk]),
        {
            f"{prefix}-outcome": "discussed_declined",
            f"{prefix}-version": form["version"].value(),
            f"{prefix}-addendum_reason": "Counselled by phone after the consultation",
        },
    )
    summary = clinician_client.get(reverse("documents:summary", args=[workup.pk])).content
    summary = summary.decode()
    addon = summary[summary.index('data-addon="corticosteroids"') :]
    addon = addon[: addon.index("</table>")]
    assert "Not yet counselled" in addon  # as signed
    signoff = summary[summary.index('id="signoff-title"') :]
    assert "Counselled by phone after the consultation" in signoff
    assert "Alice Test" in signoff


@pytest.mark.django_db
@pytest.mark.parametrize("stored", [None, "bare answer"])
def test_older_signed_rows_still_render(clinician_client, clinician, workup, stored):
    from workup.clinic.assessment import assess_workup

    _, answer = assess_workup(workup)
    WorkUp.objects.filter(pk=workup.pk).update(
        status="signed",
        signed_by=clinician,
        signed_at=workup.created_at,
        signed_catalogue_version="2026.1",
        signed_assessment=None if stored is None else answer,
    )
    for url in (
        workup.get_absolute_url(),
        reverse("documents:summary", args=[workup.pk]),
        reverse("documents:handout", args=[workup.pk]),
    ):
        response = clinician_client.get(url)
        assert response.status_code == 200, url
    html = clinician_client.get(workup.get_absolute_url()).content.decode()
    if stored is None:
        assert "signed before the signed advice was kept" in html
    assert "Corticosteroids" in html


# --- signing checks the whole work-up -----------------------------------------------------------


@pytest.mark.django_db
def test_signing_over_a_colleagues_change_is_refused_and_says_who_changed_what(
    client, clinician, other_clinician, workup
):
    client.force_login(clinician)
    seen = sign_form(client, workup)
    # A colleague rules out the karyotype after the signer loaded the page.
    client.force_login(other_clinician)
    step = ChecklistStep.objects.get(workup=workup, code="karyotype")
    response = client.post(
        reverse("clinic:decide", args=[workup.pk, "karyotype"]),
        {
            "decide-karyotype-decision": "not_indicated",
            "decide-karyotype-reason": "Done at the referring clinic",
            "decide-karyotype-version": step.version,
        },
    )
    assert response.status_code == 302
    client.force_login(clinician)
    refused = client.post(reverse("clinic:sign", args=[workup.pk]), seen)
    assert refused.status_code == 200
    message = " ".join(refused.context["forms"]["sign"].non_field_errors())
    assert "Not signed" in message and "Bianca Test" in message and "Karyotype" in message
    assert not WorkUp.objects.get(pk=workup.pk).is_signed
    # Signing again from the fresh page goes through.
    assert sign(client, workup).is_signed


@pytest.mark.django_db
def test_signing_after_a_catalogue_review_the_signer_did_not_see_is_refused(
    clinician_client, workup, lead
):
    seen = sign_form(clinician_client, workup)
    verify_corticosteroids(lead)
    refused = clinician_client.post(reverse("clinic:sign", args=[workup.pk]), seen)
    assert refused.status_code == 200
    message = " ".join(refused.context["forms"]["sign"].non_field_errors())
    assert "Not signed" in message and "evidence catalogue" in message
    assert not WorkUp.objects.get(pk=workup.pk).is_signed


@pytest.mark.django_db
def test_signing_over_a_changed_finding_is_refused(client, clinician, other_clinician, workup):
    client.force_login(clinician)
    seen = sign_form(client, workup)
    client.force_login(other_clinician)
    post_findings(client, workup, "thyroid", {"tsh": "3.1"})
    client.force_login(clinician)
    refused = client.post(reverse("clinic:sign", args=[workup.pk]), seen)
    message = " ".join(refused.context["forms"]["sign"].non_field_errors())
    assert "Not signed" in message and "Bianca Test" in message and "TSH" in message
    assert not WorkUp.objects.get(pk=workup.pk).is_signed


@pytest.mark.django_db
def test_addenda_are_listed_with_their_date_and_signer(clinician_client, clinician, workup):
    sign(clinician_client, workup)
    Addendum.objects.create(
        workup=workup, author=clinician, reason="Report arrived", changes="TSH: 3.1 mIU/L"
    )
    html = clinician_client.get(workup.get_absolute_url()).content.decode()
    signoff = html[html.index('id="sign-off"') :]
    assert re.search(r"\d{1,2} \w{3} \d{4} \d{2}:\d{2} · Alice Test: TSH: 3.1 mIU/L", signoff)


# --- what today's answer would change: the statements inside an add-on -------------------------


def advice_changes(client, workup) -> list:
    return client.get(workup.get_absolute_url()).context["advice_changes"]


def reword_statement(code, text):
    from workup.evidence.models import Statement

    statement = Statement.objects.get(code=code)
    statement.text = text
    statement.save()
    store.rebuild_snapshot()


@pytest.mark.django_db
def test_a_later_change_to_what_an_hfea_colour_means_is_listed_on_the_signed_work_up(
    clinician_client, workup
):
    sign(clinician_client, workup)  # corticosteroids: HFEA red
    assert advice_changes(clinician_client, workup) == []
    name = store.get_catalogue().addons["corticosteroids"].name
    reword_statement("hfea_red", "may lower the chance of a birth")
    changes = [(c.what, c.signed, c.today) for c in advice_changes(clinician_client, workup)]
    assert (
        f"Add-on “{name}”: what the HFEA rating means",
        "may reduce effectiveness",
        "may lower the chance of a birth",
    ) in changes


@pytest.mark.django_db
def test_a_later_review_of_the_aps_strength_statement_is_listed_on_the_signed_work_up(
    clinician_client, clinician, lead
):
    from workup.evidence.models import Statement

    facts = {**RIF_FACTS, "aps": "confirmed", "miscarriages": 0, "addons_requested": ["heparin"]}
    workup = make_workup(clinician=clinician, facts=facts)
    sign(clinician_client, workup)
    heparin = store.get_catalogue().addons["heparin"].name
    # The strength for this patient is the catalogue's "discuss with a specialist", pending.
    store.record_review(entries=[Statement.objects.get(code="aps_strength_none")], reviewer=lead)
    changes = [(c.what, c.signed, c.today) for c in advice_changes(clinician_client, workup)]
    assert (
        f"Add-on “{heparin}”: strength for this patient, review",
        "Pending clinical review",
        "Verified",
    ) in changes
    html = clinician_client.get(workup.get_absolute_url()).content.decode()
    table = html[html.index('id="advice-changes"') :]
    assert "strength for this patient, review" in table[: table.index("</details>")]
