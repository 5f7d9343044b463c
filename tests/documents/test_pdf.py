"""The PDFs read back with poppler, as a printer, a records system or a reader would see them."""

import re
import socket

import pytest

from workup.clinic.models import AddonRequest
from workup.documents import pdf as pdf_module
from workup.evidence import store
from workup.evidence.engine import cited_sources
from workup.evidence.presenting import advice_lists, number_sources

from .helpers import (
    engine_answer,
    pdf_info,
    pdf_pages,
    pdf_text,
    requires_poppler,
    rich_workup,
    section,
    sign,
    squash,
    url,
)

pytestmark = requires_poppler


@pytest.fixture
def workup(clinician, loaded_catalogue):
    return rich_workup(clinician)


@pytest.fixture
def summary_pdf(clinician_client, workup):
    response = clinician_client.get(url("summary_pdf", workup))
    assert response.status_code == 200
    return response


def test_the_file_is_named_with_mrn_and_date(summary_pdf, clinician_client, workup):
    assert summary_pdf["Content-Disposition"] == (
        'inline; filename="rif-summary-DEMO-000042-2026-11-24.pdf"'
    )
    download = clinician_client.get(url("summary_pdf", workup) + "?download=1")
    assert download["Content-Disposition"].startswith("attachment;")
    sheet = clinician_client.get(url("handout_pdf", workup))
    assert "rif-patient-sheet-DEMO-000042-2026-11-24.pdf" in sheet["Content-Disposition"]


def test_it_is_a_multi_page_a4_document_with_title_metadata(summary_pdf):
    info = pdf_info(summary_pdf.content)
    width, height = (float(x) for x in re.findall(r"[\d.]+", info.page_size)[:2])
    assert (round(width, 1), round(height, 1)) == (595.3, 841.9)
    assert "(A4)" in info.page_size
    assert 2 <= info.pages <= 8
    assert info.title == ("Consultation summary: DEMO-000042 Ada Example, work-up 24 Nov 2026")
    assert info.author == "Alice Test"


def test_the_identity_block_is_on_the_first_page(summary_pdf):
    first = squash(pdf_pages(summary_pdf.content)[0])
    assert "Demo Fertility Clinic" in first
    assert "MRN DEMO-000042" in first
    assert "Name Ada Example" in first
    assert "Birth date 14 Mar 1988" in first
    assert "Work-up date 24 Nov 2026" in first


def test_every_page_names_the_patient_and_counts_the_pages(summary_pdf):
    pages = pdf_pages(summary_pdf.content)
    assert len(pages) == pdf_info(summary_pdf.content).pages
    for number, page in enumerate(pages, start=1):
        assert "DEMO-000042" in page, number
        assert "Ada Example" in page, number
        assert f"Page {number} of {len(pages)}" in page, number


def test_an_unsigned_summary_says_draft_on_every_page(summary_pdf):
    for number, page in enumerate(pdf_pages(summary_pdf.content), start=1):
        assert "DRAFT: not signed" in page, number


def test_a_signed_summary_has_no_draft_mark_and_names_who_signed(
    clinician_client, clinician, workup
):
    sign(workup, clinician)
    pages = pdf_pages(clinician_client.get(url("summary_pdf", workup)).content)
    assert not any("DRAFT" in page for page in pages)
    assert "Signed by Alice Test on 25 Nov 2026 at 10:30" in squash("".join(pages))
    for page in pages[1:]:
        assert "Signed 25 Nov 2026 by Alice Test" in page


def test_the_findings_are_printed_in_words(summary_pdf):
    text = pdf_text(summary_pdf.content)
    findings = squash(section(text, "Findings by pillar", "Investigations still to do"))
    for phrase in (
        "4 failed transfers (1 euploid); 0 miscarriages",
        "polyp found",
        "no submucosal",
        "CD138 positive",
        "AMH 0.8 ng/mL; AFC 4",
        "Non-smoker; BMI 24.5",
        "POSEIDON Group 4",
    ):
        assert phrase in findings, phrase


def test_flagged_add_ons_are_printed_with_their_risks_and_counselling(
    clinician_client, clinician, workup
):
    request = AddonRequest.objects.get(workup=workup, addon_code="intralipids")
    request.outcome = AddonRequest.Outcome.AGAINST_ADVICE
    request.outcome_reason = "Patient wishes to proceed after discussion."
    request.counselled_by = clinician
    request.save()
    text = pdf_text(clinician_client.get(url("summary_pdf", workup)).content)
    addons = squash(section(text, "Requested add-ons", "Sign-off"))
    assert "⚑ Flagged: Intralipid infusion" in addons
    assert "⚑ Flagged: Corticosteroids" in addons
    for risk in store.get_catalogue().addons["intralipids"].risks:
        assert squash(risk) in addons, risk
    assert "HFEA red" in addons
    assert "Proceeding against advice: Patient wishes to proceed after discussion." in addons


def test_next_steps_and_references_are_printed(summary_pdf, workup):
    text = pdf_text(summary_pdf.content)
    answer = engine_answer(workup)
    to_do = squash(section(text, "Investigations still to do", "Actions from findings"))
    steps = squash(section(text, "Actions from findings", "Requested add-ons"))
    advice = advice_lists(answer)
    for step in advice["investigations"]:
        assert step["name"] in to_do
    for number, step in enumerate(advice["actions"], start=1):
        assert f"{number}. {step['name']}" in steps
    # Compared without spaces: a citation may wrap anywhere, even after "117(6):".
    references = re.sub(r"\s+", "", text[text.rindex("References") :])
    catalogue = store.get_catalogue()
    for key, number in number_sources(cited_sources(answer)).items():
        citation = re.sub(r"\s+", "", catalogue.sources[key].citation)
        assert f"[{number}]{citation}" in references, key


def test_citation_numbers_first_appear_in_order(summary_pdf):
    text = pdf_text(summary_pdf.content)
    body = text[: text.rindex("References")]
    first_seen = list(dict.fromkeys(int(n) for n in re.findall(r"\[(\d+)\]", body)))
    assert first_seen == sorted(first_seen)
    assert first_seen[0] == 1


def test_the_patient_sheet_pdf_is_a4_with_the_patient_on_every_page(clinician_client, workup):
    content = clinician_client.get(url("handout_pdf", workup)).content
    info = pdf_info(content)
    assert "(A4)" in info.page_size
    assert info.title == "Your plan, and the add-ons you asked about: Ada Example"
    pages = pdf_pages(content)
    for number, page in enumerate(pages, start=1):
        assert "DEMO-000042" in page and "Ada Example" in page, number
        assert f"Page {number} of {len(pages)}" in page, number
    text = squash(pdf_text(content))
    assert "Intralipid infusion" in text and "Corticosteroids" in text
    assert "Where this information comes from" in text


def test_rendering_never_reaches_the_network(monkeypatch, workup):
    """Static files come from disk; any other address is refused before a socket opens."""

    def no_network(*args, **kwargs):
        raise AssertionError("the PDF renderer tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    html = (
        '<html><head><link rel="stylesheet" href="/static/css/summary.css">'
        '<link rel="stylesheet" href="https://cdn.example.org/x.css"></head>'
        '<body><p class="doc-identity">DEMO-1 · Test</p>'
        '<img src="http://example.org/pixel.png" alt=""></body></html>'
    )
    content = pdf_module.render_pdf(html)
    assert content.startswith(b"%PDF-")
    assert "DEMO-1" in pdf_text(content)


def test_the_fetcher_serves_static_files_and_refuses_the_rest():
    css = pdf_module.static_file("http://testserver/static/css/summary.css")
    assert css is not None and css.name == "summary.css"
    assert pdf_module.static_file("http://testserver/static/../settings.py") is None
    assert pdf_module.static_file("http://testserver/media/secret.pdf") is None
    assert pdf_module.static_file("file:///etc/passwd") is None
    _, _, fetcher = pdf_module._weasyprint()
    with pytest.raises(ValueError):
        fetcher().fetch("https://example.org/logo.png")
    response = fetcher().fetch("http://testserver/static/css/summary.css")
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


def test_weasyprint_understands_every_style_rule(caplog, clinician_client, workup):
    """WeasyPrint skips what it cannot read with only a warning; the layout would then drift
    from the one checked here and in the PNGs."""
    with caplog.at_level("WARNING", logger="weasyprint"):
        for name in ("summary_pdf", "handout_pdf"):
            assert clinician_client.get(url(name, workup)).status_code == 200
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []
