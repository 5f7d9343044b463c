"""A signed work-up in the browser: the advice as signed, and what differs today beside it."""

import re

import pytest

from tests.conftest import PASSWORD, make_user
from tests.factories import make_workup
from workup.evidence import store
from workup.evidence.models import AddOn

from .conftest import axe_violations, log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def people(transactional_db, loaded_catalogue):
    return make_user("clara", "clinician"), make_user("lena", "lead")


def test_a_signed_work_up_keeps_its_advice_and_shows_what_differs_today(
    page, live_server, people, console_errors
):
    clinician, lead = people
    workup = make_workup(
        clinician=clinician,
        facts={"age": 36, "failed_transfers": 3, "addons_requested": ["corticosteroids"]},
    )
    log_in(page, live_server, "clara", PASSWORD)
    page.goto(f"{live_server.url}{workup.get_absolute_url()}")
    page.get_by_label(re.compile("I have reviewed the findings")).check()
    page.get_by_role("button", name="Sign work-up").click()
    assert "✓ Signed by Clara Test" in page.locator("#sign-off").inner_text()

    # The lead verifies the add-on's entry after the signature.
    store.record_review(entries=[AddOn.objects.get(code="corticosteroids")], reviewer=lead)
    page.reload()
    flag = page.locator("#addon-corticosteroids")
    assert "Pending clinical review" in flag.inner_text()
    note = page.locator(".signed-advice")
    assert "differs from the signed advice" in note.inner_text()
    note.get_by_text("What differs, side by side").click()
    table = page.locator("#advice-changes table")
    assert "Verified" in table.inner_text() and "Pending clinical review" in table.inner_text()
    screenshot(page, "signed-workup-advice-differs")
    assert axe_violations(page) == []
    assert console_errors == []
