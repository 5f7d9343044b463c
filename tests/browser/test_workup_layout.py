"""The work-up page around the clinician, at a laptop's and a tablet's size: the label and the
advice in view beside (or a tab away from) the checklist, a refused save's summary and a saved
step's note where the clinician is looking, what changed in the advice marked and in view; with
and without JavaScript."""

import contextlib
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.conftest import PASSWORD, make_user
from tests.factories import make_workup

from .conftest import axe_violations, log_in, screenshot

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
TABLET = {"width": 820, "height": 1180}
SIZES = [pytest.param(LAPTOP, id="laptop"), pytest.param(TABLET, id="tablet")]


@pytest.fixture
def workup(transactional_db, loaded_catalogue):
    clinician = make_user("clara", "clinician")
    return make_workup(
        clinician=clinician,
        facts={
            "age": 38,
            "failed_transfers": 3,
            "addons_requested": ["intralipids", "ivig"],
            "previous_oocytes": [4],
        },
    )


def name(size):
    return "laptop" if size == LAPTOP else "tablet"


def open_page(page, live_server, workup, size, query=""):
    page.set_viewport_size(size)
    log_in(page, live_server, "clara", PASSWORD)
    page.goto(f"{live_server.url}{workup.get_absolute_url()}{query}")


def box(page, selector):
    """Where an element is in the viewport (top, bottom), and the viewport's height."""
    return page.evaluate(
        """(selector) => {
            const r = document.querySelector(selector).getBoundingClientRect();
            return [r.top, r.bottom, window.innerHeight];
        }""",
        selector,
    )


def assert_in_view(page, selector):
    # The browser scrolls to a page's #fragment a moment after it has loaded.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            """(selector) => {
                const r = document.querySelector(selector).getBoundingClientRect();
                return r.top >= -1 && r.bottom <= window.innerHeight + 1;
            }""",
            arg=selector,
            timeout=3000,
        )
    top, bottom, height = box(page, selector)
    # Within a pixel: a sticky header and a scroll can leave an element half a pixel off.
    assert top >= -1 and bottom <= height + 1, f"{selector} at {top:.0f}..{bottom:.0f} of {height}"


def focused_id(page):
    return page.evaluate("document.activeElement && document.activeElement.id")


def check(page, label):
    screenshot(page, f"workup-layout-{label}")
    assert axe_violations(page) == [], label


def previewed(page, action):
    """Type into a findings form and wait for the live advice to answer, so that the save that
    follows does not race the preview on the test server's in-memory database."""
    with page.expect_response(lambda r: "/preview/" in r.url):
        action()


def record_ovarian_reserve(page, amh, afc="3"):
    page.goto(page.url.split("?")[0].split("#")[0] + "?open=ovarian_reserve#step-ovarian_reserve")
    step = page.locator("#step-ovarian_reserve")
    step.get_by_label("Antral follicle count (AFC)").fill(afc)
    previewed(page, lambda: step.get_by_label("AMH", exact=True).fill(amh))
    step.get_by_role("button", name=re.compile("Save findings for Ovarian reserve")).click()


# --- the layout ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_the_label_advice_and_add_on_flags_are_in_view_beside_the_checklist(
    page, live_server, workup, size, console_errors
):
    open_page(page, live_server, workup, size)
    # The label comes first and is in view as the page opens; so does the first advice.
    assert_in_view(page, "#rif-title")
    assert_in_view(page, "#to-do-title")
    check(page, f"{name(size)}-open")
    if size == LAPTOP:
        # The flags are in the advice column: brought up within it, the page does not move.
        assert page.evaluate("window.scrollY") == 0
        page.evaluate(
            """() => {
                const flag = document.querySelector('#addon-intralipids');
                const column = flag.closest('.workup-side-scroll');
                column.scrollTop += flag.getBoundingClientRect().top
                    - column.getBoundingClientRect().top;
            }"""
        )
        assert page.evaluate("window.scrollY") == 0
        assert_in_view(page, "#addon-intralipids h3")
        # Deep in the checklist, the label and the advice column are still on screen.
        page.locator("#step-response_review").scroll_into_view_if_needed()
        assert page.evaluate("window.scrollY") > 1000
        assert_in_view(page, "#rif-title")
        assert_in_view(page, "#addon-intralipids h3")
    else:
        # Tabs: the advice is the first tab; the flags one tap away, at the top of the page.
        assert page.get_by_role("tab", name="Advice").get_attribute("aria-selected") == "true"
        assert page.locator("#checklist-panel").is_hidden()
        page.get_by_role("tab", name=re.compile("Add-ons")).click()
        assert_in_view(page, "#addon-intralipids h3")
        assert page.evaluate("window.scrollY") == 0
        check(page, "tablet-addons-tab")
        page.get_by_role("tab", name="Checklist").click()
        assert page.locator("#checklist-panel").is_visible()
        assert page.locator("#addons-panel").is_hidden()
        # The top menu is one line, and nothing runs off the side.
        assert page.locator(".app-navbar").bounding_box()["height"] < 70
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    assert console_errors == []


def test_tabs_follow_the_keyboard(page, live_server, workup, console_errors):
    open_page(page, live_server, workup, TABLET)
    page.get_by_role("tab", name="Advice").focus()
    page.keyboard.press("ArrowRight")
    assert page.get_by_role("tab", name=re.compile("Add-ons")).get_attribute("aria-selected") == (
        "true"
    )
    assert focused_id(page) == "tab-addons"
    page.keyboard.press("End")
    assert focused_id(page) == "tab-checklist"
    assert page.locator("#checklist-panel").is_visible()
    assert console_errors == []


def test_a_link_to_a_step_opens_the_checklist_tab(page, live_server, workup, console_errors):
    open_page(page, live_server, workup, TABLET, "?open=thyroid#step-thyroid")
    assert page.get_by_role("tab", name="Checklist").get_attribute("aria-selected") == "true"
    assert_in_view(page, "#step-thyroid h4")
    assert console_errors == []


# --- a refused save -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_a_refused_save_shows_its_summary_in_view_and_focused(
    page, live_server, workup, size, console_errors
):
    open_page(page, live_server, workup, size)
    page.goto(f"{live_server.url}{workup.get_absolute_url()}?open=ovarian_reserve")
    step = page.locator("#step-ovarian_reserve")
    step.get_by_label("AMH", exact=True).fill("500")
    step.get_by_role("button", name=re.compile("Save findings for Ovarian reserve")).click()
    summary = page.locator("#errors-ovarian_reserve")
    summary.wait_for()
    assert_in_view(page, "#errors-ovarian_reserve")
    assert focused_id(page) == "errors-ovarian_reserve"
    assert "Must be between 0 and 50 ng/mL; got 500." in summary.inner_text()
    check(page, f"{name(size)}-refused-amh")
    # The link leads to the field, the entry kept.
    summary.get_by_role("link", name="AMH").click()
    assert focused_id(page) == "id_ovarian_reserve-amh_value"
    assert step.get_by_label("AMH", exact=True).input_value() == "500"
    assert console_errors == []


@pytest.mark.parametrize("size", SIZES)
def test_an_antiphospholipid_result_confirmed_too_early_is_refused_in_view(
    page, live_server, workup, size, console_errors
):
    open_page(page, live_server, workup, size, "?open=aps_screen#step-aps_screen")
    step = page.locator("#step-aps_screen")
    first = date.today() - timedelta(weeks=6)
    step.get_by_label("Antiphospholipid result").select_option(value="confirmed")
    step.get_by_label("Date of the first positive test").fill(first.isoformat())
    step.get_by_label("Date of the repeat test").fill((first + timedelta(weeks=4)).isoformat())
    step.get_by_role("button", name=re.compile("Save findings")).click()
    page.locator("#errors-aps_screen").wait_for()
    assert_in_view(page, "#errors-aps_screen")
    assert focused_id(page) == "errors-aps_screen"
    assert "4 weeks apart" in page.locator("#errors-aps_screen").inner_text()
    assert console_errors == []


# --- a successful save --------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_a_saved_step_shows_its_note_and_what_changed_in_the_advice_in_view(
    page, live_server, workup, size, console_errors
):
    open_page(page, live_server, workup, size)
    record_ovarian_reserve(page, "0.5")
    page.locator("#save-changes").wait_for()
    # Saved in place: no new page was loaded.
    assert page.url.endswith("#step-ovarian_reserve") and "?open" not in page.url
    changed = page.locator(".workup-side-scroll .advice-mark, #classes-panel .advice-mark").first
    assert changed.is_visible()
    changed_id = changed.get_attribute("id")
    assert_in_view(page, f"#{changed_id}")
    changes = page.locator("#save-changes").inner_text()
    assert "Personalised stimulation plan" in changes and "POSEIDON" in changes
    if size == LAPTOP:
        # The note where the clinician pressed Save, focused; the advice column beside it.
        assert_in_view(page, "#saved-note")
        assert focused_id(page) == "saved-note"
        assert "Ovarian reserve: AMH and AFC saved" in page.locator("#saved-note").inner_text()
        assert_in_view(page, "#rif-title")
        assert_in_view(page, "#save-changes")
    else:
        # A tablet shows the advice tab, headed by the label and what the save changed.
        assert page.get_by_role("tab", name="Advice").get_attribute("aria-selected") == "true"
        assert focused_id(page) == "save-changes"
        assert_in_view(page, "#save-changes")
        assert "Ovarian reserve: AMH and AFC saved" in page.locator("#save-changes").inner_text()
        page.get_by_role("link", name=re.compile("Back to Ovarian reserve")).click()
        assert page.get_by_role("tab", name="Checklist").get_attribute("aria-selected") == "true"
        assert_in_view(page, "#saved-note")
    check(page, f"{name(size)}-saved")
    assert console_errors == []


# --- without JavaScript -------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_without_javascript_the_page_still_saves_and_refuses_where_it_can_be_seen(
    browser, live_server, workup, size
):
    context = browser.new_context(java_script_enabled=False, viewport=size)
    page = context.new_page()
    log_in(page, live_server, "clara", PASSWORD)
    url = f"{live_server.url}{workup.get_absolute_url()}"
    # Every part is shown in order; the tabs are links to them.
    page.goto(url)
    assert page.locator("#checklist-panel").is_visible()
    assert page.locator("#addons-panel").is_visible()
    assert page.locator("#addon-intralipids").is_visible()

    page.goto(f"{url}?open=ovarian_reserve#step-ovarian_reserve")
    step = page.locator("#step-ovarian_reserve")
    step.get_by_label("AMH", exact=True).fill("500")
    step.get_by_role("button", name=re.compile("Save findings for Ovarian reserve")).click()
    page.wait_for_load_state()
    # A whole page again: the summary heads it, in view and focused as it loads.
    assert_in_view(page, "#page-errors")
    assert focused_id(page) == "page-errors"
    assert "Must be between 0 and 50 ng/mL" in page.locator("#page-errors").inner_text()
    screenshot(page, f"workup-layout-{name(size)}-refused-no-js")

    step = page.locator("#step-ovarian_reserve")
    step.get_by_label("AMH", exact=True).fill("0.5")
    step.get_by_label("Antral follicle count (AFC)").fill("3")
    step.get_by_role("button", name=re.compile("Save findings for Ovarian reserve")).click()
    page.wait_for_load_state()
    # Post, redirect, get: back at the step, the note there, what changed listed.
    assert page.url.endswith(f"{workup.get_absolute_url()}#step-ovarian_reserve")
    assert_in_view(page, "#saved-note")
    assert "Ovarian reserve: AMH and AFC saved" in page.locator("#saved-note").inner_text()
    assert "The advice changed" in page.locator("#saved-note").inner_text()
    assert page.locator(".advice-mark").count() > 0
    if size == LAPTOP:
        assert_in_view(page, "#save-changes")  # in the column beside the step
    screenshot(page, f"workup-layout-{name(size)}-saved-no-js")
    context.close()
