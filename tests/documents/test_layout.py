"""The paper as a reader holds it: no half-empty first page, no one-line last page; the patient
sheet's first page answers its three questions; the summary's "at a glance" fits page one.

Checked on the PDFs of demo work-ups (``seed_demo``'s synthetic data), in each patient's
language, with poppler (pdfinfo, pdftotext), as docs/documents.md describes.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from workup.clinic.demo import seed
from workup.clinic.models import Patient, WorkUp
from workup.documents.pdf import render
from workup.documents.presenters import kept_sheet_language
from workup.documents.tasks import document

from .helpers import pdf_info, pdf_layout, pdf_pages, requires_poppler, squash

FIRST_PAGE_FULL = 0.75  # a first page of a longer document reaches three quarters down
LAST_PAGE_LINES = 4  # a last page holds more than a stray line or two

ANSWERS = {
    "en": ("What we found", "What we recommend next", "What we do not recommend, and why"),
    "fr": (
        "Ce que nous avons trouvé",
        "Ce que nous conseillons ensuite",
        "Ce que nous ne conseillons pas, et pourquoi",
    ),
    "tr": ("Ne bulduk", "Bundan sonra ne öneriyoruz", "Neyi önermiyoruz ve neden"),
}


@pytest.fixture
def demo_workups(db):
    """Demo work-ups (seed_demo's synthetic data) with add-ons asked about, each patient in a
    language; made in the test's own transaction, so nothing outlives the test."""
    seed(24, password=None)
    workups = [
        w
        for w in WorkUp.objects.filter(patient__mrn__startswith="DEMO-").order_by("pk")
        if w.addon_requests.exists()
    ][:6]
    for number, workup in enumerate(workups):
        language = ("en", "fr", "tr")[number % 3]
        Patient.objects.filter(pk=workup.patient_id).update(language=language)
    return [WorkUp.objects.select_related("patient").get(pk=w.pk) for w in workups]


def pdf_of(workup, kind, language=None):
    from workup.clinic.presenters import load_workup

    _, html = document(load_workup(workup.pk), kind, pdf=True, language=language)
    return render(html).content


@requires_poppler
@pytest.mark.django_db
def test_the_sheet_of_each_demo_work_up_opens_with_its_three_answers(demo_workups):
    assert len(demo_workups) >= 3
    for workup in demo_workups:
        pdf = pdf_of(workup, "handout")
        first = squash(pdf_pages(pdf)[0])
        # A signed work-up's sheet keeps the language it was signed in.
        found, recommend, not_recommended = ANSWERS[kept_sheet_language(workup)]
        assert found in first and recommend in first, workup.patient.mrn
        # Every requested add-on is answered on page one (not advised, or part of the plan).
        assert not_recommended in first or "heparin" in {
            r.addon_code for r in workup.addon_requests.all()
        }, workup.patient.mrn


@requires_poppler
@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["handout", "summary"])
def test_no_half_empty_first_page_and_no_one_line_last_page(demo_workups, kind):
    for workup in demo_workups:
        pdf = pdf_of(workup, kind, language=workup.patient.language)
        pages = pdf_layout(pdf)
        assert pdf_info(pdf).pages == len(pages)
        label = (
            kind,
            workup.patient.mrn,
            workup.patient.language,
            [round(p.fill, 2) for p in pages],
        )
        if len(pages) > 1:
            assert pages[0].fill >= FIRST_PAGE_FULL or kind == "summary", label
            assert pages[-1].body_lines >= LAST_PAGE_LINES, label


@requires_poppler
@pytest.mark.django_db
def test_the_summarys_at_a_glance_is_one_page_and_the_details_start_on_page_two(demo_workups):
    for workup in demo_workups:
        with translation.override("en"):
            pages = pdf_pages(pdf_of(workup, "summary"))
        assert "At a glance" in squash(pages[0]), workup.patient.mrn
        assert "Findings by pillar" not in squash(pages[0])
        assert "Transfers and the cumulative chance" not in squash(pages[0])
        # The details start on page two: the transfers behind the label, then the findings.
        details = squash(pages[1])
        assert "Transfers and the cumulative chance" in details, workup.patient.mrn
        # Page one is the glance, well filled: not a few lines on an empty page.
        layout = pdf_layout(pdf_of(workup, "summary"))
        assert layout[0].fill >= 0.5, (workup.patient.mrn, layout[0])


@requires_poppler
@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr", "tr"])
def test_a_sheet_with_three_add_ons_in_each_language(clinician, loaded_catalogue, language):
    from tests.factories import make_patient, make_workup

    from .test_sheet import THREE_ADDONS

    workup = make_workup(
        clinician=clinician, facts=THREE_ADDONS, patient=make_patient(language=language)
    )
    pdf = pdf_of(workup, "handout")
    pages, layout = pdf_pages(pdf), pdf_layout(pdf)
    first = squash(pages[0])
    for answer in ANSWERS[language]:
        assert answer in first, (language, answer)
    assert layout[0].fill >= FIRST_PAGE_FULL, (language, layout[0])
    assert layout[-1].body_lines >= LAST_PAGE_LINES, (language, layout[-1])
    assert 3 <= len(pages) <= 6, (language, len(pages))
