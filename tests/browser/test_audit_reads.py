"""The lead's reads page in a browser: a patient-page read and an EMR's CDS Hooks read, each
with who, what and the patient's MRN; and the API tokens admin, which lists and revokes only."""

import pytest
from django.test import Client

from tests.conftest import PASSWORD, make_user
from tests.factories import make_patient, make_workup
from tests.guardrail.conftest import call, patient_resource, patient_view_request
from workup.accounts.models import ApiToken

from .conftest import axe_violations, log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def reads(transactional_db, loaded_catalogue):
    clinician = make_user("clara", "clinician")
    make_user("lena", "lead")
    workup = make_workup(clinician=clinician, patient=make_patient(mrn="AUD-7"))
    client = Client()
    client.force_login(clinician)
    assert client.get(f"/patients/{workup.patient.pk}/").status_code == 200
    emr = make_user("emr", "clinician")
    _, key = ApiToken.issue(user=emr, name="EMR CDS Hooks")
    ApiToken.issue(user=clinician, name="lab bridge")
    body = patient_view_request(patient=patient_resource(mrn="AUD-7"))
    assert call(Client(), "/cds-services/rif-patient-view", body, key).status_code == 200
    return workup


def test_the_lead_sees_patient_page_and_cds_reads_by_mrn(page, live_server, reads, console_errors):
    log_in(page, live_server, "lena", PASSWORD)
    page.goto(f"{live_server.url}/audit/downloads/?mrn=AUD-7")
    table = page.locator("table").inner_text()
    assert "Patient page (read)" in table and "Work-up through CDS Hooks (EMR, read)" in table
    assert "Practitioner/alice" in table and table.count("AUD-7") == 2
    screenshot(page, "audit-reads-patient-and-cds")
    assert axe_violations(page) == []
    assert console_errors == []
    # The admin's pages ask the browser for /favicon.ico, which the app does not serve (404).
    page.goto(f"{live_server.url}/admin/accounts/apitoken/")
    assert page.get_by_role("link", name="Add API token").count() == 0
    assert "lab bridge" in page.locator("#result_list").inner_text()
    screenshot(page, "admin-api-tokens-no-add")
