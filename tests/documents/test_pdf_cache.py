"""PDFs are reused while their HTML is the same, and never once anything in it changed."""

import pytest
from django.urls import reverse

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
def test_each_reader_gets_their_own_document(client, clinician, other_clinician, workup):
    client.force_login(clinician)
    mine = pdf(client, workup)
    client.force_login(other_clinician)
    theirs = pdf(client, workup)
    assert mine != theirs  # "Produced ... by" names who produced it
    assert RenderedPdf.objects.count() == 2
