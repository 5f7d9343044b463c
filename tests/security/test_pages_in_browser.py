"""The security pages in a real browser: signing in, tokens, password, audit; axe-core clean."""

from __future__ import annotations

import pytest

from tests.browser.conftest import (  # noqa: F401 - fixtures: Chromium, its window, console errors
    axe_violations,
    browser_context_args,
    browser_type_launch_args,
    console_errors,
    log_in,
    screenshot,
)
from tests.conftest import PASSWORD, make_user
from tests.factories import make_workup
from workup.accounts.models import ApiToken, hash_key

pytestmark = pytest.mark.browser


@pytest.fixture
def people(transactional_db, loaded_catalogue):
    clinician = make_user("clara", "clinician")
    make_workup(clinician=clinician, facts={"age": 38, "failed_transfers": 3})
    return clinician, make_user("leah", "lead")


def test_a_clinician_creates_a_token_sees_it_once_and_revokes_it(
    page,
    live_server,
    people,
    console_errors,  # noqa: F811
):
    log_in(page, live_server, "clara", PASSWORD)
    page.get_by_role("link", name="API tokens").click()
    assert axe_violations(page) == []
    page.get_by_label("What the token is for").fill("lab system")
    page.get_by_role("button", name="Create token").click()
    key = page.get_by_label("API key").input_value()
    assert key.startswith("rif_") and ApiToken.objects.get().key_hash == hash_key(key)
    screenshot(page, "security-token-created")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Back to your tokens").click()
    assert key not in page.content()
    page.get_by_role("button", name="Revoke lab system").click()
    assert "revoked" in page.get_by_role("status").inner_text()
    assert ApiToken.objects.get().revoked_at is not None
    page.get_by_role("link", name="Change your password").click()
    assert axe_violations(page) == []
    assert console_errors == []


def test_the_lead_reads_the_audit_trail(page, live_server, people, console_errors):  # noqa: F811
    log_in(page, live_server, "leah", PASSWORD)
    page.get_by_role("link", name="Audit", exact=True).click()
    assert page.get_by_role("heading", name="Audit trail").is_visible()
    page.get_by_label("Record").select_option("step")
    page.get_by_role("button", name="Filter").click()
    assert "Checklist step" in page.locator("table").inner_text()
    screenshot(page, "security-audit-changes")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Reads and downloads").click()
    assert axe_violations(page) == []
    assert console_errors == []


def test_the_locked_out_page_is_clear_and_accessible(
    page,
    live_server,
    people,
    console_errors,  # noqa: F811
):
    for _ in range(5):
        log_in(page, live_server, "clara", "wrong password")
    assert "Too many failed sign-in attempts" in page.content()
    screenshot(page, "security-locked-out")
    assert axe_violations(page) == []
    # The browser reports the 429 answer itself as a failed resource; nothing else may fail.
    assert [e for e in console_errors if "429" not in e] == []
