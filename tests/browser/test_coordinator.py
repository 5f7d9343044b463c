"""The coordinator queue in a real browser: filter, schedule, assign, export what is on screen."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD, make_user
from tests.coordination.conftest import make_case
from workup.audit.models import DownloadRecord
from workup.clinic.models import ChecklistStep

from .conftest import axe_violations, log_in, screenshot

pytestmark = pytest.mark.browser

Status = ChecklistStep.Status


def day(offset):
    return timezone.localdate() + timedelta(days=offset)


@pytest.fixture
def queue(transactional_db, loaded_catalogue):
    clinician = make_user("alice", "clinician")
    colleague = make_user("bianca", "clinician")
    coordinator = make_user("carol", "coordinator")
    make_case(
        clinician=clinician,
        mrn="SYN-0001",
        name="Ada Synthetic",
        steps={
            "hysteroscopy": {"due_date": day(-6)},
            "thyroid": {"due_date": day(5), "assignee": coordinator},
        },
    )
    make_case(
        clinician=colleague,
        mrn="SYN-0002",
        name="Bea Synthetic",
        steps={
            "ovarian_reserve": {"due_date": day(-2), "status": Status.SCHEDULED},
            "karyotype": {"due_date": None},
        },
    )
    make_case(
        clinician=clinician,
        mrn="SYN-0003",
        name="Cleo Synthetic",
        steps={
            "pgta": {"due_date": day(-15), "status": Status.AWAITING_FINDINGS},
            "uterine_imaging": {"due_date": day(20)},
        },
    )
    return {"clinician": clinician, "coordinator": coordinator}


def table_rows(page) -> list[tuple[str, str]]:
    """(MRN, step name) of every row on screen."""
    rows = page.locator("table.queue-table tbody tr")
    return [
        (
            rows.nth(i).locator(".queue-mrn").inner_text().strip(),
            rows.nth(i).locator(".queue-step-name").inner_text().strip(),
        )
        for i in range(rows.count())
    ]


def test_a_coordinator_filters_schedules_assigns_and_exports(
    page, live_server, queue, console_errors
):
    page.goto(f"{live_server.url}/coordinator/")  # sent to sign in first
    assert "/accounts/login/" in page.url
    assert axe_violations(page) == []
    log_in(page, live_server, "carol", PASSWORD)
    page.get_by_role("link", name="Coordinator queue").click()
    page.wait_for_url("**/coordinator/")
    assert page.locator("table.queue-table tbody tr").count() == 6
    screenshot(page, "coordinator-queue")
    assert axe_violations(page) == []

    # Overdue only: the most overdue first.
    page.get_by_label("Overdue only").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/coordinator/?overdue=on")
    assert [mrn for mrn, _ in table_rows(page)] == ["SYN-0003", "SYN-0001", "SYN-0002"]
    assert "15 days" in page.locator("table.queue-table tbody tr").first.inner_text()
    screenshot(page, "coordinator-overdue")
    assert axe_violations(page) == []

    # Applying an action with no row ticked says so and changes nothing.
    booked = day(4)
    actions = page.locator("#queue-actions")
    actions.get_by_label("Action").select_option(label="Schedule (booking date)")
    actions.get_by_label("Date").fill(booked.isoformat())
    actions.get_by_role("button", name="Apply to ticked rows").click()
    alert = page.get_by_role("alert")
    assert "Rows: Select at least one row" in alert.inner_text()
    assert axe_violations(page) == []

    # Schedule the hysteroscopy.
    page.get_by_label("Tick SYN-0001 · Hysteroscopy").check()
    actions.get_by_label("Action").select_option(label="Schedule (booking date)")
    assert actions.get_by_label("Assignee").is_hidden()
    actions.get_by_label("Date").fill(booked.isoformat())
    actions.get_by_role("button", name="Apply to ticked rows").click()
    page.wait_for_url("**/coordinator/?overdue=on")
    assert f"Scheduled 1 step for {booked:%-d %b %Y}." in page.locator(".messages").inner_text()
    row = page.locator("tr", has=page.get_by_label("Tick SYN-0001 · Hysteroscopy"))
    assert "Scheduled" in row.inner_text() and f"booked {booked:%a %-d %b}" in row.inner_text()
    screenshot(page, "coordinator-scheduled")
    assert axe_violations(page) == []

    # Assign it to the responsible clinician.
    page.get_by_label("Tick SYN-0001 · Hysteroscopy").check()
    actions.get_by_label("Action").select_option(label="Assign to a person")
    assert actions.get_by_label("Date").is_hidden()
    actions.get_by_label("Assignee").select_option(label="Alice Test")
    actions.get_by_role("button", name="Apply to ticked rows (1)").click()
    page.wait_for_url("**/coordinator/?overdue=on")
    assert "Assigned 1 step to Alice Test." in page.locator(".messages").inner_text()
    row = page.locator("tr", has=page.get_by_label("Tick SYN-0001 · Hysteroscopy"))
    assert "Alice Test" in row.locator(".queue-assignee").inner_text()
    step = ChecklistStep.objects.get(workup__patient__mrn="SYN-0001", code="hysteroscopy")
    assert (step.status, step.scheduled_for, step.assignee.username, step.version) == (
        Status.SCHEDULED,
        booked,
        "alice",
        3,
    )

    # Export: the file has the rows on screen.
    on_screen = table_rows(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV", exact=True).click()
    download = info.value
    assert download.suggested_filename == f"coordinator-queue-{day(0).isoformat()}.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    exported = list(csv.DictReader(io.StringIO(text)))
    assert [(r["MRN"], r["Step"]) for r in exported] == on_screen
    assert DownloadRecord.objects.get().detail["filters"] == {"overdue": True}
    assert console_errors == []


def test_the_queue_reads_well_at_tablet_width(page, live_server, queue, console_errors):
    page.set_viewport_size({"width": 820, "height": 1180})
    log_in(page, live_server, "carol", PASSWORD)
    page.goto(f"{live_server.url}/coordinator/")
    # Nothing sticks out sideways except, where needed, inside the table's own scroller.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 820
    screenshot(page, "coordinator-queue-tablet")
    assert axe_violations(page) == []
    assert console_errors == []


def test_a_clinician_finds_what_waits_for_them(page, live_server, queue, console_errors):
    ChecklistStep.objects.filter(code="hysteroscopy").update(assignee=queue["clinician"])
    log_in(page, live_server, "alice", PASSWORD)
    page.get_by_role("link", name="My queue").click()
    page.wait_for_url("**/my-queue/")
    assert [mrn for mrn, _ in table_rows(page)] == ["SYN-0003", "SYN-0001"]
    text = page.locator("table.queue-table").inner_text()
    assert "Awaiting your findings" in text and "Assigned to you" in text
    screenshot(page, "coordinator-my-queue")
    assert axe_violations(page) == []
    assert console_errors == []
