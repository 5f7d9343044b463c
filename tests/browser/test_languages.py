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


def test_the_work_up_page_with_transfers_and_a_stimulation_plan_in_french(
    page, live_server, setup, console_errors
):
    """The panels that came after the languages (the transfer table and its chart, the
    stimulation panel, the tabs, the saved note) speak the clinician's language."""
    from tests.clinic.test_stimulation_records import HIGH
    from tests.documents.test_transfers_pdf import TRANSFERS

    clinician, _ = setup
    facts = {
        **HIGH,
        "transfers": TRANSFERS,
        "planned_cycle": {"protocol": "antagonist", "daily_dose_iu": 150, "freeze_all": True},
    }
    facts.pop("failed_transfers")
    workup = make_workup(clinician=clinician, facts=facts)
    log_in(page, live_server, "clara", PASSWORD)
    page.select_option("#language-choice", "fr")
    page.get_by_role("button", name="Change language").click()
    page.goto(f"{live_server.url}{workup.get_absolute_url()}")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", name="Transferts, un par un").is_visible()
    assert page.get_by_text("Les chiffres du graphique").first.is_visible()
    panel = page.locator("#stimulation-panel")
    assert "Prochaine stimulation" in panel.inner_text()
    assert "Vérifications du plan" in panel.inner_text()
    for english in ("Transfers, one by one", "Planned next cycle", "Checks of the plan"):
        assert english not in page.locator("main").inner_text()
    # The chart's coordinates keep their dots in French (a decimal comma scatters the SVG).
    assert page.locator(".rif-chart-svg path.rif-chart-line").get_attribute("d").count(",") >= 2
    screenshot(page, "languages-workup-french")
    assert axe_violations(page) == []
    assert console_errors == []
