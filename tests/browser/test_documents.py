"""The summary and the patient sheet in Chromium: accessible, quiet console, and on paper."""

import pytest

from tests.conftest import PASSWORD, make_user
from tests.documents.helpers import RICH_FACTS, pdf_pages, requires_poppler
from tests.factories import make_patient, make_workup

from .conftest import SCREENSHOTS, axe_violations, log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def setup(transactional_db, loaded_catalogue):
    clinician = make_user("clara", "clinician")
    patient = make_patient(mrn="DEMO-000042", name="Ada Example")
    workup = make_workup(clinician=clinician, facts=RICH_FACTS, patient=patient)
    return clinician, workup


@pytest.mark.parametrize("document", ["summary", "handout"])
def test_a_clinician_opens_the_document_accessibly_and_quietly(
    page, live_server, setup, console_errors, document
):
    _, workup = setup
    log_in(page, live_server, "clara", PASSWORD)
    page.goto(f"{live_server.url}/workups/{workup.pk}/{document}/")
    assert page.locator("h1").first.is_visible()
    assert "DEMO-000042" in page.locator(".doc-identity").inner_text()
    screenshot(page, f"documents-{document}")
    assert axe_violations(page) == []
    assert console_errors == []


def test_the_print_button_prints(page, live_server, setup, console_errors):
    _, workup = setup
    log_in(page, live_server, "clara", PASSWORD)
    page.goto(f"{live_server.url}/workups/{workup.pk}/summary/")
    page.evaluate("window.print = () => { document.body.dataset.printed = 'yes'; }")
    button = page.get_by_role("button", name="Print")
    assert button.is_visible()  # print.js shows it; without JavaScript it stays hidden
    button.click()
    assert page.locator("body").get_attribute("data-printed") == "yes"
    assert console_errors == []


def test_the_toolbar_leads_from_the_summary_to_the_patient_sheet(page, live_server, setup):
    _, workup = setup
    log_in(page, live_server, "clara", PASSWORD)
    page.goto(f"{live_server.url}/workups/{workup.pk}/summary/")
    page.get_by_role("link", name="Patient sheet", exact=True).click()
    assert page.url.endswith(f"/workups/{workup.pk}/handout/")
    assert "Intralipid infusion" in page.locator(".asked").inner_text()


@requires_poppler
def test_printing_the_page_from_the_browser_keeps_the_patient_on_every_page(
    page, live_server, setup, console_errors
):
    """What a clinician gets from the Print button: A4, the patient and page x of y on every
    page (from the work-up's margin stylesheet), DRAFT while unsigned."""
    _, workup = setup
    log_in(page, live_server, "clara", PASSWORD)
    page.goto(f"{live_server.url}/workups/{workup.pk}/summary/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    content = page.pdf(prefer_css_page_size=True)
    (SCREENSHOTS / "documents-summary-browser-print.pdf").write_bytes(content)
    pages = pdf_pages(content)
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert "DEMO-000042" in text and "Ada Example" in text, number
        assert f"Page {number} of {len(pages)}" in text, number
        assert "DRAFT: not signed" in text, number
        assert "Back to the work-up" not in text, number  # no navigation on paper
    assert console_errors == []
