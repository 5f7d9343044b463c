"""The lead's code table in the admin, in a browser: the add-ons' order names with their tags and
review status (no Add: they come from fixtures/codes.json), the standard codes filtered to
the add-on order codes, and the clinic EMR's order codes, which the lead keeps."""

import pytest

from tests.conftest import PASSWORD, make_user

from .conftest import log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def lead(transactional_db, loaded_catalogue):
    return make_user("lena", "lead")


def test_the_lead_reads_and_reviews_the_order_mapping_in_the_admin(page, live_server, lead):
    log_in(page, live_server, "lena", PASSWORD)
    page.goto(f"{live_server.url}/admin/interop/ordermapping/")
    table = page.locator("#result_list").inner_text()
    assert "intrauterine_hcg" in table and "intrauterine hCG" in table
    assert "names: U" in table and "Pending clinical review" in table
    assert page.get_by_role("link", name="Add order mapping (add-on names)").count() == 0
    screenshot(page, "admin-order-mappings")
    page.goto(f"{live_server.url}/admin/interop/coding/?applies_to__exact=order")
    table = page.locator("#result_list").inner_text()
    assert "B05BA02" in table and "ATC" in table
    screenshot(page, "admin-codes-orders")
    page.goto(f"{live_server.url}/admin/interop/emrordercode/add/")
    page.get_by_label("System").fill("https://ehr.example.org/drugs")
    page.get_by_label("Code").fill("IL-20")
    page.get_by_label("Add-on").select_option("intralipids")
    screenshot(page, "admin-emr-order-code-add")
    page.get_by_role("button", name="Save", exact=True).click()
    table = page.locator("#result_list").inner_text()
    assert "https://ehr.example.org/drugs" in table and "IL-20" in table and "intralipids" in table
