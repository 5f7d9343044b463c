"""The foundation's pages in a real browser: login, the read-only work-up, no console errors."""

import pytest

from tests.conftest import PASSWORD, make_user
from tests.evidence.test_facts import EXAMPLE
from tests.factories import make_workup

from .conftest import axe_violations, log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def setup(transactional_db, loaded_catalogue):
    clinician = make_user("clara", "clinician")
    workup = make_workup(clinician=clinician, facts={**EXAMPLE, "age": 38})
    return clinician, workup


def test_a_clinician_signs_in_and_reads_the_advice(page, live_server, setup, console_errors):
    clinician, workup = setup
    log_in(page, live_server, "clara", PASSWORD)
    page.get_by_role("link", name=workup.patient.name).first.click()
    banner = page.locator(".rif-banner")
    assert "RIF" in banner.inner_text() and "63%" in banner.inner_text()
    steps = page.locator("#advice-panel .next-step")
    assert "Antibiotics for chronic endometritis" in steps.first.inner_text()
    flag = page.locator("#addon-intralipids")
    assert "Fat overload syndrome" in flag.inner_text()
    screenshot(page, "foundation-workup")
    assert axe_violations(page) == []
    assert console_errors == []


def test_the_login_page_is_accessible(page, live_server, transactional_db, console_errors):
    page.goto(f"{live_server.url}/accounts/login/")
    screenshot(page, "foundation-login")
    assert axe_violations(page) == []
    assert console_errors == []
