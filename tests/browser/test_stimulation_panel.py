"""The stimulation panel in the browser: two previous cycles, then a plan whose checks change
as it is typed (the preview), at a laptop's 1366 x 768."""

import re

import pytest

from tests.conftest import PASSWORD, make_user

from .conftest import axe_violations, log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def clinician(transactional_db, loaded_catalogue):
    return make_user("clara", "clinician")


def test_two_previous_cycles_and_a_plan_whose_checks_change_as_it_is_typed(
    page, live_server, clinician, console_errors
):
    from tests.factories import make_workup

    workup = make_workup(
        clinician=clinician,
        facts={"age": 32, "failed_transfers": 3, "amh": {"value": 4.1, "unit": "ng/mL"}, "afc": 28},
    )
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server, "clara", PASSWORD)
    page.goto(f"{live_server.url}{workup.get_absolute_url()}")

    # Two previous cycles, entered in the table of the response review (one column each).
    review = page.locator("#step-response_review")
    review.get_by_text("Record findings").click()
    cycles = [
        {
            "Retrieval date": "2025-05-01",
            "Protocol": "Antagonist",
            "Daily dose (IU)": "225",
            "Trigger": "hCG",
            "Oocytes retrieved": "17",
            "Mature (MII)": "13",
            "OHSS": "Moderate",
            "Freeze-all": "No",
        },
        {
            "Retrieval date": "2025-11-20",
            "Protocol": "Antagonist",
            "Daily dose (IU)": "150",
            "Trigger": "GnRH agonist",
            "Oocytes retrieved": "12",
            "Mature (MII)": "10",
            "OHSS": "None",
            "Freeze-all": "Yes",
        },
    ]
    for number, cycle in enumerate(cycles, start=1):
        for label, value in cycle.items():
            field = review.get_by_label(f"Cycle {number}: {label}", exact=True)
            if field.evaluate("e => e.tagName") == "SELECT":
                field.select_option(label=value)
            else:
                field.fill(value)
    # As a person would: the live advice has caught up before Save is pressed (the in-memory
    # test database cannot serve that preview while the save writes).
    page.locator("#advice-panel .preview-note").wait_for()
    review.get_by_role("button", name=re.compile("Save findings for Review of previous")).click()
    assert "Review of previous stimulation saved" in page.locator("#saved-note").inner_text()

    panel = page.locator("#stimulation-panel")
    assert "Predicted response: High" in panel.inner_text()
    table = panel.locator("table.cycles-table").inner_text()
    assert "Moderate" in table and "Hyper-response" in table
    assert panel.locator("svg.cycle-chart .point").count() == 2

    # A plan: each choice refreshes the checks (the preview), nothing saved yet.
    plan = panel.locator("form.plan-form")
    checks = panel.locator("#plan-checks")
    plan.get_by_label("Protocol", exact=True).select_option(label="Long agonist")
    plan.get_by_label("Daily dose (IU)", exact=True).fill("225")
    plan.get_by_label("Trigger", exact=True).select_option(label="hCG")
    plan.get_by_label("Elective freeze-all", exact=True).select_option(label="No")
    checks.get_by_text("No freeze-all planned, after moderate OHSS (cycle 1).").wait_for()
    departing = checks.locator("li.check-departs").count()
    assert departing == 4  # freeze-all, dose, protocol, trigger
    assert "Planned 225 IU a day, not below the usual 150 IU." in checks.inner_text()
    screenshot(page, "stimulation-01-plan-departs")

    plan.get_by_label("Elective freeze-all", exact=True).select_option(label="Yes")
    plan.get_by_label("Daily dose (IU)", exact=True).fill("100")
    plan.get_by_label("Protocol", exact=True).select_option(label="Antagonist")
    plan.get_by_label("Trigger", exact=True).select_option(label="GnRH agonist")
    checks.get_by_text("Planned trigger: GnRH agonist.").wait_for()
    text = checks.inner_text()
    assert "Freeze-all planned, after moderate OHSS (cycle 1)." in text
    assert "Planned 100 IU a day, below the usual 150 IU." in text
    assert checks.locator("li.check-departs").count() == 0
    assert checks.locator("li.check-meets").count() == 4

    plan.get_by_role("button", name="Save plan").click()
    assert "Planned cycle saved" in page.locator("#saved-note").inner_text()
    panel = page.locator("#stimulation-panel")
    panel.scroll_into_view_if_needed()
    assert panel.locator("#plan-checks li.check-meets").count() == 4
    panel.screenshot(
        path=str(screenshot(page, "stimulation-02-page")).replace("02-page", "03-panel")
    )
    assert axe_violations(page) == []
    assert console_errors == []
