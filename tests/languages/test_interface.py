"""The interface in English, French and Turkish: the user's choice, kept on their profile and
applied at sign-in; dates and numbers in the language's format; the patient's language."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from tests.conftest import PASSWORD
from tests.factories import make_patient, make_workup
from workup.accounts.models import Profile
from workup.clinic.models import Patient
from workup.clinic.templatetags.workup_tags import percent
from workup.languages.codes import choices, codes, normalise

SET_LANGUAGE = "/i18n/setlang/"


def test_the_app_speaks_english_french_and_turkish():
    assert codes() == ("en", "fr", "tr")
    assert choices() == [("en", "English"), ("fr", "Français"), ("tr", "Türkçe")]
    assert normalise("fr-FR") == "fr" and normalise("TR") == "tr" and normalise("de") is None
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


@pytest.mark.django_db
def test_set_language_is_djangos_view_at_i18n_setlang_and_keeps_the_choice_on_the_profile(
    clinician_client, clinician
):
    assert reverse("set_language") == SET_LANGUAGE
    response = clinician_client.post(SET_LANGUAGE, {"language": "tr", "next": "/patients/"})
    assert response.status_code == 302 and response["Location"] == "/patients/"
    assert Profile.objects.get(user=clinician).language == "tr"
    page = clinician_client.get("/patients/").content.decode()
    assert '<html lang="tr">' in page and "Hastalar" in page
    # A GET changes nothing.
    assert clinician_client.get(SET_LANGUAGE + "?language=fr").status_code == 405


@pytest.mark.django_db
def test_the_profile_language_is_applied_at_sign_in(clinician, loaded_catalogue):
    Profile.objects.create(user=clinician, language="fr")
    client = Client()
    response = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert '<html lang="fr">' in response.content.decode()
    assert "Mes bilans ouverts" in response.content.decode()
    # The cookie follows, so the sign-in page after signing out stays in French.
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    client.post(reverse("logout"))
    assert "Se connecter" in client.get(reverse("login")).content.decode()


@pytest.mark.django_db
def test_a_user_without_a_choice_gets_the_browsers_language(clinician, loaded_catalogue):
    client = Client(HTTP_ACCEPT_LANGUAGE="tr-TR,tr;q=0.9")
    assert '<html lang="tr">' in client.get(reverse("login")).content.decode()
    client.force_login(clinician)
    assert "Açık değerlendirmelerim" in client.get("/").content.decode()


@pytest.mark.django_db
def test_one_users_language_is_not_anothers(clinician, other_clinician, loaded_catalogue):
    Profile.objects.create(user=clinician, language="fr")
    french, english = Client(), Client()
    french.force_login(clinician)
    english.force_login(other_clinician)
    assert "Mes bilans ouverts" in french.get("/").content.decode()
    assert "My open work-ups" in english.get("/").content.decode()


@pytest.mark.parametrize(
    "language, day, fraction, expected_day, expected_percent",
    [
        ("en", date(2026, 10, 1), 0.76, "1 Oct 2026", "76%"),
        ("fr", date(2026, 10, 1), 0.76, "1 octobre 2026", "76\u202f%"),
        ("tr", date(2026, 10, 1), 0.76, "01 Ekim 2026", "%76"),
    ],
)
def test_dates_and_numbers_are_in_the_languages_format(
    language, day, fraction, expected_day, expected_percent
):
    with translation.override(language):
        assert date_format(day) == expected_day
        assert percent(fraction) == expected_percent


@pytest.mark.django_db
def test_the_patient_form_records_the_patients_language(clinician_client):
    response = clinician_client.post(
        reverse("clinic:patient_create"),
        {"mrn": "LANG-1", "name": "Elif Synthetic", "birth_date": "1990-01-02", "language": "tr"},
    )
    assert response.status_code == 302
    patient = Patient.objects.get(mrn="LANG-1")
    assert patient.language == "tr"
    page = clinician_client.get(patient.get_absolute_url()).content.decode()
    assert "Patient sheet in Türkçe" in page
    form = clinician_client.get(reverse("clinic:patient_edit", args=[patient.pk])).content.decode()
    assert 'name="language"' in form and "Language for the patient sheet" in form


@pytest.mark.django_db
def test_a_language_the_app_does_not_speak_is_refused_on_the_form(clinician_client):
    response = clinician_client.post(
        reverse("clinic:patient_create"),
        {"mrn": "LANG-2", "name": "Ana Synthetic", "birth_date": "1990-01-02", "language": "de"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["language"]
    assert not Patient.objects.filter(mrn="LANG-2").exists()


@pytest.mark.django_db
def test_the_work_up_page_names_the_sheets_language_and_its_review(clinician_client, clinician):
    workup = make_workup(clinician=clinician, patient=make_patient(language="fr"))
    page = clinician_client.get(workup.get_absolute_url()).content.decode()
    assert "(Français: translation not yet reviewed)" in page


@pytest.mark.django_db
def test_messages_are_in_the_users_language(clinician_client):
    clinician_client.post(SET_LANGUAGE, {"language": "fr", "next": "/"})
    response = clinician_client.post(
        reverse("clinic:patient_create"),
        {"mrn": "LANG-3", "name": "Zoé Synthetic", "birth_date": "1990-01-02"},
        follow=True,
    )
    assert "Patiente LANG-3 créée." in response.content.decode()
    response = clinician_client.post(
        reverse("clinic:patient_create"),
        {"mrn": "lang-3", "name": "Zoé Synthetic", "birth_date": "1990-01-02"},
    )
    assert "existe déjà" in response.content.decode()
