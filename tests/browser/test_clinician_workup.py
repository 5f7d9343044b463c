"""A clinician's whole work-up in the browser, as the issue describes it, page by page."""

import re

import pytest

from tests.conftest import PASSWORD, make_user

from .conftest import axe_violations, log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def clinician(transactional_db, loaded_catalogue):
    make_user("coordinator_cora", "coordinator")
    return make_user("clara", "clinician")


def check(page, name):
    """Screenshot the page and scan it with axe: no serious or critical violation."""
    screenshot(page, name)
    assert axe_violations(page) == [], name


def in_step(page, code):
    return page.locator(f"#step-{code}")


def test_a_clinician_works_up_a_patient_from_start_to_sign_off(
    page, live_server, clinician, console_errors
):
    log_in(page, live_server, "clara", PASSWORD)

    # A new patient.
    page.get_by_role("link", name="Patients", exact=True).click()
    check(page, "clinician-01-patients")
    page.get_by_role("link", name="New patient").click()
    page.get_by_role("textbox", name="MRN").fill("SYN-0042")
    page.get_by_label("Full name").fill("Ada Synthetic")
    page.get_by_label("Date of birth").fill("1988-03-14")
    check(page, "clinician-02-patient-form")
    page.get_by_role("button", name="Create patient").click()
    assert page.get_by_role("heading", name=re.compile("Ada Synthetic")).is_visible()
    check(page, "clinician-03-patient")

    # A new work-up with three failed untested transfers: past the 60% threshold.
    page.get_by_role("link", name="New work-up").click()
    page.get_by_label("Failed transfers (no positive test)").fill("3")
    page.get_by_label("Of which euploid").fill("0")
    page.get_by_label("Miscarriages").fill("0")
    check(page, "clinician-04-workup-form")
    page.get_by_role("button", name="Create work-up").click()
    banner = page.locator(".rif-banner")
    assert banner.inner_text().startswith("▲ RIF")

    # Hysteroscopy with a polyp.
    hysteroscopy = in_step(page, "hysteroscopy")
    hysteroscopy.get_by_text("Record findings").click()
    hysteroscopy.get_by_label("Hysteroscopy done").select_option(label="Yes")
    hysteroscopy.get_by_label("Endometrial polyp").select_option(label="Found")
    for finding in ("Submucosal fibroid", "Uterine septum", "Intrauterine adhesions"):
        hysteroscopy.get_by_label(finding).select_option(label="Not found")
    # As a person would: the live advice shows the polypectomy before the save is pressed (the
    # in-memory test database cannot serve that preview while the save writes).
    page.locator("#advice-panel #next-polypectomy").wait_for()
    hysteroscopy.get_by_role("button", name="Save findings for Hysteroscopy").click()
    # Saved in place: the note at the step, what changed marked in the advice column.
    assert "Hysteroscopy saved" in in_step(page, "hysteroscopy").locator("#saved-note").inner_text()
    assert "Endometrial polyp: Found" in in_step(page, "hysteroscopy").inner_text()
    assert "New" in page.locator("#next-polypectomy .change-badge").inner_text()

    # A CD138-positive biopsy.
    biopsy = in_step(page, "ce_biopsy")
    biopsy.get_by_text("Record findings").click()
    biopsy.get_by_label("Biopsy done").select_option(label="Yes")
    biopsy.get_by_label("CD138 (plasma cells)").select_option(label="Positive")
    # As a person would: the live advice shows the antibiotics before the save is pressed (and
    # the test database, in memory, cannot serve that preview while the save writes).
    page.locator("#advice-panel #next-ce_antibiotics").wait_for()
    biopsy.get_by_role("button", name=re.compile("Save findings for Endometrial biopsy")).click()

    # The patient asked for an intralipid infusion.
    page.get_by_text("Record a requested add-on").click()
    page.get_by_label("Add-on requested").select_option(label="Intralipid infusion")
    page.get_by_role("button", name="Record request").click()

    advice = page.locator("#advice-panel")
    steps = advice.locator(".next-step h3").all_inner_texts()
    assert any("Hysteroscopic polypectomy" in s for s in steps)
    assert any("Antibiotics for chronic endometritis" in s for s in steps)
    flag = page.locator("#addon-intralipids")
    assert "flagged: counsel with the evidence" in flag.inner_text()
    assert "Fat overload syndrome" in flag.inner_text()
    assert "HFEA red" in flag.inner_text()
    check(page, "clinician-05-workup-advice")

    # Counselling outcome.
    flag.get_by_text("Record the counselling outcome").click()
    flag.get_by_label("Counselling outcome").select_option(label="Discussed; patient declined")
    flag.get_by_label("Reason or note").fill("Prefers to treat the endometritis first.")
    flag.get_by_role("button", name=re.compile("Save counselling")).click()
    assert "Discussed; patient declined" in page.locator("#addon-intralipids").inner_text()

    # Antibiotics given: the re-biopsy is now suggested; track it in one click.
    biopsy = in_step(page, "ce_biopsy")
    biopsy.get_by_text("Edit findings").click()
    biopsy.get_by_label("Antibiotics given", exact=True).select_option(label="Yes")
    biopsy.get_by_role("button", name=re.compile("Save findings for Endometrial biopsy")).click()
    rebiopsy = page.locator("#next-ce_rebiopsy")
    rebiopsy.get_by_role("button", name=re.compile("Track")).click()
    tracked = in_step(page, "ce_rebiopsy")
    assert "Tracked next step" in tracked.inner_text()
    assert "due " in tracked.inner_text()

    # Sign, then see the history.
    page.get_by_label(re.compile("I have reviewed the findings")).check()
    page.get_by_role("button", name="Sign work-up").click()
    assert "✓ Signed by Clara Test" in page.locator("#sign-off").inner_text()
    assert "Endometrial polyp: not recorded → Found" in page.locator("#history").inner_text()
    check(page, "clinician-06-workup-signed")
    page.get_by_role("link", name="all changes").click()
    history = page.locator("table").inner_text()
    assert "Clara Test" in history and "CD138 (plasma cells): not recorded → Positive" in history
    check(page, "clinician-07-history")

    assert console_errors == []


def test_the_work_up_page_reads_at_tablet_width(page, live_server, clinician, console_errors):
    from tests.factories import make_workup

    workup = make_workup(
        clinician=clinician,
        facts={
            "age": 36,
            "failed_transfers": 3,
            "addons_requested": ["ivig"],
            "hysteroscopy": {"done": True, "polyp": True},
        },
    )
    page.set_viewport_size({"width": 820, "height": 1180})
    log_in(page, live_server, "clara", PASSWORD)
    page.goto(f"{live_server.url}{workup.get_absolute_url()}?open=thyroid#step-thyroid")
    assert page.locator("#step-thyroid details").get_attribute("open") is not None
    check(page, "clinician-08-workup-tablet")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 820  # nothing runs off the side
    assert console_errors == []


def test_a_bad_value_is_shown_beside_its_field_without_javascript(browser, live_server, clinician):
    from tests.factories import make_workup

    workup = make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 3})
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server, "clara", PASSWORD)
    page.goto(f"{live_server.url}{workup.get_absolute_url()}?open=lifestyle")
    lifestyle = in_step(page, "lifestyle")
    lifestyle.get_by_label("BMI (kg/m²)").fill("8")
    lifestyle.get_by_role("button", name=re.compile("Save findings for Lifestyle")).click()
    error = in_step(page, "lifestyle").locator(".invalid-feedback")
    assert "Must be between 12 and 80 kg/m²; got 8." in error.inner_text()
    screenshot(page, "clinician-09-field-error-no-js")
    context.close()


def test_the_advice_panel_follows_the_findings_as_they_are_typed(
    page, live_server, clinician, console_errors
):
    from tests.factories import make_workup

    workup = make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 3})
    log_in(page, live_server, "clara", PASSWORD)
    page.goto(f"{live_server.url}{workup.get_absolute_url()}?open=lifestyle#step-lifestyle")
    advice = page.locator("#advice-panel")
    assert "Stop-smoking support" not in advice.inner_text()
    in_step(page, "lifestyle").get_by_label("Smokes").select_option(label="Yes")
    advice.get_by_text("Stop-smoking support").wait_for()
    assert "Preview" in advice.inner_text()
    screenshot(page, "clinician-10-live-advice")
    assert console_errors == []
