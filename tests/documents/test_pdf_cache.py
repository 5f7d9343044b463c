"""PDFs are reused while their HTML is the same, and never once anything in it changed."""

from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.documents.helpers import pdf_text
from tests.factories import make_workup
from workup.audit.models import DownloadRecord
from workup.clinic.models import Findings
from workup.documents.models import RenderedPdf


@pytest.fixture
def workup(clinician, loaded_catalogue):
    return make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 3})


def pdf(client, workup):
    response = client.get(reverse("documents:summary_pdf", args=[workup.pk]))
    assert response.status_code == 200
    return response.content


@pytest.mark.django_db
def test_the_same_document_is_rendered_once_and_recorded_each_time(clinician_client, workup):
    first = pdf(clinician_client, workup)
    assert RenderedPdf.objects.count() == 1
    second = pdf(clinician_client, workup)
    assert second == first
    assert RenderedPdf.objects.count() == 1
    assert DownloadRecord.objects.filter(kind="summary_pdf", workup=workup).count() == 2


@pytest.mark.django_db
def test_a_changed_finding_gives_a_new_pdf(clinician_client, workup):
    before = pdf(clinician_client, workup)
    findings = Findings.objects.get(workup=workup)
    findings.tsh = 6.2
    findings.tpo_positive = False
    findings.save()
    after = pdf(clinician_client, workup)
    assert after != before
    assert RenderedPdf.objects.count() == 2


@pytest.mark.django_db
def test_every_reader_gets_the_same_pdf_and_each_download_is_recorded_under_the_reader(
    client, clinician, other_clinician, workup
):
    client.force_login(clinician)
    mine = pdf(client, workup)
    client.force_login(other_clinician)
    theirs = pdf(client, workup)
    assert mine == theirs  # nobody's name and not the day of reading in the kept bytes
    assert RenderedPdf.objects.count() == 1
    text = pdf_text(mine)
    assert "Alice Test" in text  # the responsible clinician, as in the document
    assert "Produced" not in text and "Bianca Test" not in text
    readers = DownloadRecord.objects.filter(kind="summary_pdf").values_list("user", flat=True)
    assert sorted(readers) == sorted([clinician.pk, other_clinician.pk])


@pytest.mark.django_db
def test_the_pdf_is_the_same_the_next_day(clinician_client, workup):
    first = pdf(clinician_client, workup)
    tomorrow = timezone.localdate() + timedelta(days=1)
    with mock.patch("django.utils.timezone.localdate", return_value=tomorrow):
        assert pdf(clinician_client, workup) == first
    assert RenderedPdf.objects.count() == 1
