"""The start pages, the top-bar search, the review screen and the error pages in a browser, at
laptop (1366x768) and tablet (820x1180) sizes: axe clean, no console errors, no wrapped menu."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, make_user
from tests.factories import make_patient, make_workup
from workup.clinic.models import ChecklistStep
from workup.evidence.models import ReviewRecord

from .conftest import axe_violations, log_in, screenshot

pytestmark = pytest.mark.browser

SIZES = {"laptop": (1366, 768), "tablet": (820, 1180)}


@pytest.fixture
def clinic(transactional_db, loaded_catalogue):
    clinician = make_user("clara", "clinician")
    lead = make_user("leah", "lead")
    first = make_workup(
        clinician=clinician,
        facts={"age": 38, "failed_transfers": 3, "addons_requested": ["intralipids"]},
        patient=make_patient(mrn="DEMO-0042", name="Dora Example"),
    )
    make_workup(
        clinician=clinician,
        facts={"age": 33, "failed_transfers": 1},
        patient=make_patient(mrn="DEMO-0043", name="Edith Sample"),
    )
    ChecklistStep.objects.filter(workup=first, code="thyroid").update(
        status=ChecklistStep.Status.AWAITING_FINDINGS
    )
    return clinician, lead


def menu_is_one_line(page) -> bool:
    """Every item of the top bar sits on one line, and nothing runs off the screen."""
    tops = page.eval_on_selector_all(
        ".app-navbar .nav-link, .app-navbar .nav-search, .app-navbar form button",
        "els => els.filter(e => e.offsetParent !== null).map(e => {"
        " const box = e.getBoundingClientRect(); return Math.round(box.top + box.height / 2); })",
    )
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return fits and bool(tops) and max(tops) - min(tops) <= 8


def look(page, name):
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"{name}-{size}")
        assert menu_is_one_line(page), f"the menu wraps on {name} at {width}px"
        assert axe_violations(page) == [], f"{name} at {width}px"
    page.set_viewport_size({"width": 1366, "height": 768})


def test_a_clinician_lands_on_their_work_ups_and_finds_a_patient(
    page, live_server, clinic, console_errors
):
    log_in(page, live_server, "clara", PASSWORD)
    table = page.locator("table.home-table")
    assert "Dora Example" in table.inner_text() and "Edith Sample" in table.inner_text()
    assert "RIF" in table.inner_text() and "Too early to label RIF" in table.inner_text()
    assert "Thyroid" in table.inner_text()  # awaiting my findings
    look(page, "home-clinician")
    page.get_by_label("Find a patient by MRN or name").fill("DEMO-0043")
    page.get_by_role("button", name="Find").first.click()
    page.wait_for_url("**/patients/?q=DEMO-0043")
    assert "Edith Sample" in page.locator("main").inner_text()
    assert "Dora Example" not in page.locator("main").inner_text()
    page.goto(f"{live_server.url}/workups/999999/")
    assert "This page does not exist" in page.locator("h1").inner_text()
    look(page, "error-404")
    page.goto(f"{live_server.url}/audit/")
    assert "You may not open this page" in page.locator("h1").inner_text()
    look(page, "error-403")
    # The two refusals above are what was asked for; anything else is an error.
    assert [e for e in console_errors if "404" not in e and "403" not in e] == []


def test_the_lead_reviews_one_entry_at_a_time(page, live_server, clinic, console_errors):
    log_in(page, live_server, "leah", PASSWORD)
    assert "Awaiting your review" in page.locator("main").inner_text()
    look(page, "home-lead")
    page.get_by_role("link", name="Open the review queue").click()
    page.wait_for_url("**/review/")
    look(page, "review-queue")
    page.get_by_role("link", name="Start with the first entry").click()
    heading = page.locator("h1").inner_text()
    assert "What it changes for patients" in page.locator("main").inner_text()
    look(page, "review-entry")
    page.get_by_label("Note (optional)").fill("Read against the source.")
    page.get_by_role("button", name="Confirm: verified").click()
    page.wait_for_load_state()
    assert "Confirmed as verified" in page.get_by_role("status").inner_text()
    assert page.locator("h1").inner_text() != heading  # on to the next one
    assert "Entry 1 of" in page.locator("main").inner_text()  # one fewer awaits review
    record = ReviewRecord.objects.get()
    assert record.note == "Read against the source." and record.reviewer.username == "leah"
    assert console_errors == []
