"""Coded overrides at the desk: proceeding against advice needs a coded reason, and the patient
sheet given at that moment is kept: the exact PDF, its SHA-256 and the time."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_workup
from workup.audit.models import DownloadRecord
from workup.clinic.models import AddonRequest
from workup.guardrail.models import KeptPatientSheet
from workup.guardrail.reasons import OverrideReason


@pytest.fixture
def request_row(clinician, loaded_catalogue):
    workup = make_workup(
        clinician=clinician, facts={"age": 37, "failed_transfers": 3, "addons_requested": ["ivig"]}
    )
    return AddonRequest.objects.get(workup=workup, addon_code="ivig")


def _post(client, row, **fields):
    """The counselling form as the page draws it: with the version it was drawn from."""
    fields.setdefault("version", row.version)
    prefix = f"counsel-{row.pk}"
    data = {f"{prefix}-{name}": value for name, value in fields.items()}
    return client.post(reverse("clinic:counsel_addon", args=[row.workup_id, row.pk]), data)


def test_against_advice_without_a_coded_reason_is_refused_and_nothing_kept(
    clinician_client, request_row
):
    response = _post(
        clinician_client,
        request_row,
        outcome="proceeding_against_advice",
        outcome_reason="She has read about it",
    )
    assert response.status_code == 200
    assert "Choose the reason for proceeding against advice." in response.content.decode()
    request_row.refresh_from_db()
    assert request_row.outcome == "not_counselled"
    assert not KeptPatientSheet.objects.exists()


def test_the_form_offers_the_shared_coded_list(clinician_client, request_row):
    page = clinician_client.get(request_row.workup.get_absolute_url()).content.decode()
    for label in OverrideReason.labels:
        assert label.replace("'", "&#x27;") in page


def test_against_advice_keeps_the_reason_and_the_exact_sheet(
    clinician_client, clinician, request_row
):
    response = _post(
        clinician_client,
        request_row,
        outcome="proceeding_against_advice",
        override_reason="clinical_judgement",
        outcome_reason="Indication: recurrent miscarriage with raised NK activity, per immunology",
    )
    assert response.status_code == 302
    request_row.refresh_from_db()
    assert request_row.override_reason == "clinical_judgement"
    sheet = KeptPatientSheet.objects.get()
    pdf = bytes(sheet.pdf)
    assert pdf.startswith(b"%PDF-")
    assert sheet.sha256 == hashlib.sha256(pdf).hexdigest() and sheet.size == len(pdf)
    assert sheet.created_by == clinician and sheet.override_reason == "clinical_judgement"
    assert sheet.reason_text.startswith("Indication:")
    # The page says so, and links to the kept file; the file is the same bytes, with its hash.
    page = clinician_client.get(request_row.workup.get_absolute_url()).content.decode()
    assert "Clinical judgement, with a stated indication" in page
    url = reverse("guardrail:kept_sheet", args=[request_row.pk])
    assert url in page
    download = clinician_client.get(url)
    assert download.status_code == 200 and download.content == pdf
    assert download["X-Content-SHA256"] == sheet.sha256
    record = DownloadRecord.objects.get(detail__kept_sheet=sheet.pk)
    assert record.detail["sha256"] == sheet.sha256


def test_a_later_outcome_clears_the_coded_reason_but_keeps_the_sheet(clinician_client, request_row):
    _post(
        clinician_client,
        request_row,
        outcome="proceeding_against_advice",
        override_reason="informed_choice",
        outcome_reason="Informed, wishes to go ahead",
    )
    request_row.refresh_from_db()  # the page drawn again, at the new version
    _post(clinician_client, request_row, outcome="discussed_declined", override_reason="other")
    request_row.refresh_from_db()
    assert (request_row.outcome, request_row.override_reason) == ("discussed_declined", "")
    assert KeptPatientSheet.objects.count() == 1


def test_kept_sheet_access(client, coordinator, lead, stranger, request_row, clinician_client):
    url = reverse("guardrail:kept_sheet", args=[request_row.pk])
    assert clinician_client.get(url).status_code == 404  # nothing kept yet: a clear 404
    _post(
        clinician_client,
        request_row,
        outcome="proceeding_against_advice",
        override_reason="other",
        outcome_reason="Other: travelling abroad for it",
    )
    for user, status in ((coordinator, 200), (lead, 200), (stranger, 403)):
        visitor = Client()
        visitor.force_login(user)
        assert visitor.get(url).status_code == status
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_the_register_of_overrides_shows_the_kept_sheet_and_its_hash(
    clinician_client, request_row, lead
):
    _post(
        clinician_client,
        request_row,
        outcome="proceeding_against_advice",
        override_reason="informed_choice",
        outcome_reason="Counselled twice; wishes to go ahead",
    )
    sheet = KeptPatientSheet.objects.get()
    visitor = Client()
    visitor.force_login(lead)
    page = visitor.get(reverse("guardrail:overrides")).content.decode()
    assert sheet.sha256 in page
    assert reverse("guardrail:kept_sheet", args=[request_row.pk]) in page
    assert request_row.workup.patient.mrn in page
    assert "Counselled twice; wishes to go ahead" in page
    assert clinician_client.get(reverse("guardrail:overrides")).status_code == 403


def test_a_request_with_a_kept_sheet_stays_on_the_record(clinician_client, request_row):
    """Counselled against advice, then changed to declined: the kept sheet still belongs to the
    request, so the page offers no withdrawal and a forged one is refused with a message (it
    was a 500: the sheet protects its request)."""
    _post(
        clinician_client,
        request_row,
        outcome="proceeding_against_advice",
        override_reason="informed_choice",
        outcome_reason="She wants it after reading the sheet",
    )
    request_row.refresh_from_db()
    assert KeptPatientSheet.objects.filter(addon_request=request_row).exists()
    _post(clinician_client, request_row, outcome="discussed_declined")
    request_row.refresh_from_db()
    assert request_row.outcome == "discussed_declined"
    url = request_row.workup.get_absolute_url()
    page = clinician_client.get(url).content.decode()
    withdraw = reverse("clinic:withdraw_addon", args=[request_row.workup_id, request_row.pk])
    assert withdraw not in page
    assert "This request stays on the record" in page
    assert reverse("guardrail:kept_sheet", args=[request_row.pk]) in page
    response = clinician_client.post(
        withdraw, {f"withdraw-{request_row.pk}-version": request_row.version}
    )
    assert response.status_code == 200
    assert "stays on the record: the patient was counselled on it" in response.content.decode()
    assert AddonRequest.objects.filter(pk=request_row.pk).exists()
    assert KeptPatientSheet.objects.filter(addon_request=request_row).count() == 1


def test_a_request_without_a_kept_sheet_can_still_be_withdrawn(clinician_client, request_row):
    withdraw = reverse("clinic:withdraw_addon", args=[request_row.workup_id, request_row.pk])
    assert withdraw in clinician_client.get(request_row.workup.get_absolute_url()).content.decode()
    response = clinician_client.post(
        withdraw, {f"withdraw-{request_row.pk}-version": request_row.version}
    )
    assert response.status_code == 302
    assert not AddonRequest.objects.filter(pk=request_row.pk).exists()
