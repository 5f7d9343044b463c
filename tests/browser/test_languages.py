"""Languages in Chromium: a clinician chooses French in the footer; a Turkish patient's sheet,
with the notice before printing in the clinician's language; accessible in each language."""

import pytest

from tests.conftest import PASSWORD, make_user
from tests.documents.test_sheet import THREE_ADDONS
from tests.factories import make_patient, make_workup

from .conftest import axe_violations, log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def setup(transactional_db, loaded_catalogue):
    clinician = make_user("clara", "clinician")
    patient = make_patient(mrn="DEMO-000077", name="Elif Örnek", language="tr")
    workup = make_workup(clinician=clinician, facts=THREE_ADDONS, patient=patient)
    return clinician, workup


def test_a_clinician_works_in_french_and_prints_a_turkish_sheet(
    page, live_server, setup, console_errors
):
    _, workup = setup
    log_in(page, live_server, "clara", PASSWORD)
    page.select_option("#language-choice", "fr")
    page.get_by_role("button", name="Change language").click()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", name="Mes bilans ouverts").is_visible()
    page.goto(f"{live_server.url}/workups/{workup.pk}/handout/")
    assert page.locator("html").get_attribute("lang") == "tr"
    assert page.get_by_role("heading", name="Ne bulduk").is_visible()
    notice = page.locator(".handout-notice").inner_text()
    assert "Avant d'imprimer" in notice and "cette fiche est en Türkçe" in notice
    assert page.get_by_role("link", name="Retour au bilan").is_visible()
    screenshot(page, "languages-turkish-sheet-french-clinician")
    assert axe_violations(page) == []
    assert console_errors == []


def test_the_choice_survives_signing_out_and_in(page, live_server, setup):
    log_in(page, live_server, "clara", PASSWORD)
    page.select_option("#language-choice", "tr")
    page.get_by_role("button", name="Change language").click()
    page.get_by_role("button", name="Çıkış yap").click()
    # The sign-in page stays in Turkish (the cookie follows the profile); sign in there.
    page.get_by_label("Kullanıcı adı").fill("clara")
    page.get_by_label("Parola").fill(PASSWORD)
    page.get_by_role("button", name="Giriş yap").click()
    assert page.get_by_role("heading", name="Açık değerlendirmelerim").is_visible()
