"""A clinician enters transfers one by one and watches the label and its chart follow."""

import re
from datetime import date

import pytest

from tests.conftest import PASSWORD, make_user
from tests.factories import make_patient, make_workup

from .conftest import axe_violations, log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def workup(transactional_db, loaded_catalogue):
    clinician = make_user("clara", "clinician")
    # 40 now; her oocytes were retrieved at 38 and 39: 28% a transfer.
    patient = make_patient(mrn="SYN-0013", name="Ada Synthetic", birth_date=date(1986, 3, 14))
    return make_workup(clinician=clinician, patient=patient, facts={"age": 40})


def add_transfer(page, day, retrieval, grade):
    table = page.locator("#transfers")
    table.get_by_text("Add a transfer", exact=True).click()
    form = table.locator("form[action$='/transfers/#transfers']")
    form.get_by_label("Transfer date").fill(day)
    form.get_by_label("Retrieval date").fill(retrieval)
    form.get_by_label("Fresh or frozen").select_option(label="Frozen")
    form.get_by_label("Stage").select_option(label="Blastocyst")
    form.get_by_label("Embryo 1: PGT-A").select_option(label="Untested")
    form.get_by_label("Embryo 1: grade").fill(grade)
    form.get_by_label("Outcome").select_option(label="No positive test")
    form.get_by_role("button", name="Save transfer").click()
    assert "Transfer added" in page.locator(".messages").inner_text()


def chart_title(page) -> str:
    return page.locator(".rif-chart-svg title").text_content()


def test_three_transfers_entered_row_by_row_move_the_label_and_its_chart(
    page, live_server, workup, console_errors
):
    log_in(page, live_server, "clara", PASSWORD)
    page.goto(f"{live_server.url}{workup.get_absolute_url()}")
    banner = page.locator(".rif-banner")
    assert "Too early to label RIF" in banner.inner_text()
    assert page.locator(".rif-chart-svg").count() == 0  # nothing counted, nothing drawn

    add_transfer(page, "2024-06-03", "2024-05-29", "4AA")
    assert "Too early to label RIF" in banner.inner_text()
    assert "cumulative predicted chance 28%" in banner.inner_text()
    assert chart_title(page).endswith("after each of 1 failed transfer: 28%; the threshold is 60%.")
    screenshot(page, "transfers-01-one")

    add_transfer(page, "2024-11-20", "2024-10-02", "3bb")
    assert "cumulative predicted chance 48%" in banner.inner_text()
    assert "28%, 48%" in chart_title(page)

    add_transfer(page, "2025-06-11", "2025-06-06", "4AB")
    text = banner.inner_text()
    assert text.startswith("▲ RIF")
    assert "cumulative predicted chance 63%" in text
    assert "11 Jun 2025: 28%, 1 untested blastocyst, oocytes at 39" in text
    assert "28%, 48%, 63%" in chart_title(page)
    # The chart's table says the same, the third row past the threshold.
    rows = page.locator(".rif-chart-table tbody tr")
    assert rows.count() == 3
    assert "63%" in rows.nth(2).inner_text()
    # The transfer table: grades as entered, Gardner in capitals; the history counts derived.
    table = page.locator("#transfers table").inner_text()
    assert "Untested, 3BB" in table
    assert "worked out from the 3 transfers recorded one by one" in (
        page.locator("#step-history").inner_text()
    )
    page.locator("#step-history").scroll_into_view_if_needed()
    screenshot(page, "transfers-02-three")
    page.locator("#transfers").screenshot(path=str(screenshot_path("transfers-03-table")))
    page.locator("#step-history").screenshot(path=str(screenshot_path("transfers-04-chart")))
    assert axe_violations(page) == []
    # On a tablet nothing runs off the side: the table scrolls in its own box, the chart shrinks.
    page.set_viewport_size({"width": 820, "height": 1180})
    page.goto(f"{live_server.url}{workup.get_absolute_url()}?open=transfers#transfers")
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    screenshot(page, "transfers-06-tablet")
    assert console_errors == []


def test_a_refused_csv_file_says_which_row_and_column_and_stores_nothing(
    page, live_server, workup, tmp_path, console_errors
):
    bad = tmp_path / "transfers.csv"
    bad.write_text(
        "transfer_date,oocytes,retrieval_date,oocyte_age,cycle,stage,pgta,grade,outcome\n"
        "2024-06-03,own,2024-05-29,,frozen,blastocyst,untested,4AA,negative\n"
        "2024-11-20,own,,,frozen,blastocyst,untested,9ZZ,failed\n",
        encoding="utf-8",
    )
    log_in(page, live_server, "clara", PASSWORD)
    page.goto(f"{live_server.url}{workup.get_absolute_url()}")
    table = page.locator("#transfers")
    table.get_by_text("Import transfers from a CSV file").click()
    table.get_by_label("CSV file of transfers").set_input_files(str(bad))
    table.get_by_role("button", name="Import").click()
    report = page.locator(".import-report").inner_text()
    assert "Row 3, column outcome: 'failed' is not one of negative" in report
    assert "Nothing was imported" in page.locator("#transfers").inner_text()
    assert page.locator("#transfers table").count() == 0
    screenshot(page, "transfers-05-import-refused")

    good = tmp_path / "good.csv"
    good.write_text(
        "transfer_date,oocytes,retrieval_date,oocyte_age,cycle,stage,pgta,grade,outcome\n"
        "2024-06-03,own,2024-05-29,,frozen,blastocyst,untested,4AA,negative\n"
        "2024-11-20,donor,,29,fresh,blastocyst,untested/untested,4AB/3BB,negative\n",
        encoding="utf-8",
    )
    table.get_by_label("CSV file of transfers").set_input_files(str(good))
    table.get_by_role("button", name="Import").click()
    assert "Imported 2 transfers" in page.locator(".messages").inner_text()
    assert re.search(r"▲ RIF", page.locator(".rif-banner").inner_text())
    assert console_errors == []


def screenshot_path(name):
    from .conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
