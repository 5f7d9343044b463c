"""The lead's dashboard in a real browser: readable, no serious accessibility fault."""

from __future__ import annotations

import contextlib

import pytest

from tests.conftest import PASSWORD, make_user
from tests.guardrail.test_quality import build

from .conftest import axe_violations, log_in, screenshot

pytestmark = pytest.mark.browser


@contextlib.contextmanager
def _committed(execute=True):
    yield  # outside a test transaction, on_commit runs by itself


def test_the_dashboard_draws_its_charts(
    page, live_server, transactional_db, loaded_catalogue, console_errors
):
    lead = make_user("lena", "lead")
    build(
        36, [make_user("alice", "clinician"), make_user("bianca", "clinician")], capture=_committed
    )
    log_in(page, live_server, lead.username, PASSWORD)
    page.goto(f"{live_server.url}/quality/")
    assert page.get_by_role("heading", name="Overrides by reason").is_visible()
    assert page.locator("svg.quality-chart").count() == 8
    assert page.locator("svg.quality-chart rect.bar").count() > 10
    assert axe_violations(page) == []
    assert console_errors == []
    screenshot(page, "quality-dashboard")  # docs/img/quality-dashboard.png is a copy
