"""Who may open the summary, the patient sheet and their PDFs; and every one is recorded."""

import pytest
from django.urls import reverse

from tests.factories import make_workup
from workup.audit.models import DownloadRecord

from .helpers import requires_poppler, url

PAGES = ["summary", "handout"]
PDFS = ["summary_pdf", "handout_pdf"]
ALL = PAGES + PDFS
KINDS = {
    "summary": DownloadRecord.Kind.SUMMARY_PRINT,
    "summary_pdf": DownloadRecord.Kind.SUMMARY_PDF,
    "handout": DownloadRecord.Kind.HANDOUT,
    "handout_pdf": DownloadRecord.Kind.HANDOUT_PDF,
}


@pytest.fixture
def workup(clinician, loaded_catalogue):
    return make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 3})


@pytest.mark.parametrize("name", ALL)
def test_anonymous_visitors_are_sent_to_the_login_page(client, workup, name):
    response = client.get(url(name, workup))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not DownloadRecord.objects.exists()


@pytest.mark.parametrize("name", ALL)
def test_a_signed_in_user_without_a_role_is_refused(stranger_client, workup, name):
    assert stranger_client.get(url(name, workup)).status_code == 403
    assert not DownloadRecord.objects.exists()


@pytest.mark.parametrize("role_client", ["clinician_client", "coordinator_client", "lead_client"])
@pytest.mark.parametrize("name", PAGES)
def test_every_role_that_sees_work_ups_opens_the_pages(request, role_client, name, workup):
    response = request.getfixturevalue(role_client).get(url(name, workup))
    assert response.status_code == 200
    assert workup.patient.mrn in response.content.decode()


@requires_poppler
@pytest.mark.parametrize("role_client", ["clinician_client", "coordinator_client", "lead_client"])
def test_every_role_that_sees_work_ups_gets_the_pdfs(request, role_client, workup):
    client = request.getfixturevalue(role_client)
    for name in PDFS:
        response = client.get(url(name, workup))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")


@pytest.mark.parametrize("name", ALL)
def test_each_document_handed_out_is_recorded_with_who_what_and_which_work_up(
    clinician_client, clinician, workup, name
):
    clinician_client.get(url(name, workup))
    record = DownloadRecord.objects.get()
    assert record.user == clinician
    assert record.kind == KINDS[name]
    assert record.workup == workup
    assert record.detail["signed"] is False
    assert record.detail["file_name"].startswith("rif-")
    assert record.created_at is not None


def test_two_views_make_two_records(coordinator_client, coordinator, workup):
    coordinator_client.get(url("summary", workup))
    coordinator_client.get(url("handout", workup))
    kinds = sorted(DownloadRecord.objects.filter(user=coordinator).values_list("kind", flat=True))
    assert kinds == [DownloadRecord.Kind.HANDOUT, DownloadRecord.Kind.SUMMARY_PRINT]


@pytest.mark.parametrize("name", ALL)
def test_documents_with_patient_data_are_never_cached(clinician_client, workup, name):
    cache_control = clinician_client.get(url(name, workup))["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control


@pytest.mark.parametrize("name", ALL)
def test_a_missing_work_up_is_not_found_and_nothing_is_recorded(clinician_client, name):
    response = clinician_client.get(reverse(f"documents:{name}", args=[999999]))
    assert response.status_code == 404
    assert not DownloadRecord.objects.exists()


@pytest.mark.parametrize("name", ALL)
def test_documents_are_read_only(clinician_client, workup, name):
    assert clinician_client.post(url(name, workup)).status_code == 405


def margin_css(workup, kind="summary"):
    return reverse("documents:page_css", args=[workup.pk, kind])


def test_the_print_margin_stylesheet_needs_a_login(client, workup):
    assert client.get(margin_css(workup)).status_code == 302


def test_the_print_margin_stylesheet_needs_the_permission(stranger_client, workup):
    assert stranger_client.get(margin_css(workup)).status_code == 403


def test_the_print_margin_stylesheet_knows_only_two_documents(clinician_client, workup):
    assert clinician_client.get(margin_css(workup, "other")).status_code == 404
