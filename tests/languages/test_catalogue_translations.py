"""Translations of the catalogue's patient texts are data, with their own review status."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from workup.evidence import store, translations
from workup.evidence.catalogue import PATIENT_FIELDS, Catalogue, text_digest
from workup.evidence.models import AddOn, CatalogueTranslation, ReviewRecord, ReviewStatus

LANGUAGES = ("fr", "tr")


def fixture(language):
    path = translations.DIRECTORY / f"{language}.json"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_patient_text_of_the_catalogue_has_a_translation_of_its_current_english(language):
    english = Catalogue.from_fixture()
    data = fixture(language)
    assert translations.check(data, english.to_dict(), ["en", "fr", "tr"]) == []
    by_entry = {(e["kind"], e["code"]): e for e in data["entries"]}
    missing = []
    for kind, fields in PATIENT_FIELDS.items():
        for code, entry in getattr(english, kind).items():
            for field in fields:
                text = getattr(entry, field, "") or ""
                if not text:
                    continue
                row = by_entry.get((kind, code), {})
                if row.get("translates", {}).get(field) != text_digest(text):
                    missing.append(f"{kind}/{code}.{field}")
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_our_translations_are_not_marked_reviewed(language):
    """Written by the developers, not by a medical translator: pending until confirmed."""
    assert {e["review"] for e in fixture(language)["entries"]} == {"pending_review"}


@pytest.mark.django_db
def test_translations_load_with_the_catalogue_and_keep_their_review(loaded_catalogue, lead):
    assert CatalogueTranslation.objects.filter(language="fr").count() == len(
        fixture("fr")["entries"]
    )
    row = CatalogueTranslation.objects.get(language="fr", kind="addons", code="ivig")
    translations.record_review(translation=row, reviewer=lead, note="Read beside the English")
    report = store.load_fixture()  # unchanged fixture: the review stays
    assert report.translations == 0
    row.refresh_from_db()
    assert row.review_status == ReviewStatus.VERIFIED and row.reviewed_by == lead
    assert ReviewRecord.objects.filter(kind="translation-fr", code="addons/ivig").exists()
    said = translations.patient_text(store.get_catalogue(), "fr", "addons", "ivig", "plain_what")
    assert said.state == translations.REVIEWED


def test_a_translation_file_with_problems_is_refused_naming_them():
    english = Catalogue.from_fixture().to_dict()
    data = {
        "language": "fr",
        "entries": [
            {"kind": "addons", "code": "nope", "texts": {"plain_what": "x"}},
            {"kind": "addons", "code": "ivig", "texts": {"evidence": "x"}},
            {"kind": "statements", "code": "aps_strength_recommended", "texts": {"plain": "x"}},
            {"kind": "addons", "code": "lit", "texts": {}, "review": "verified"},
        ],
    }
    problems = translations.check(data, english, ["en", "fr", "tr"])
    assert "translations/fr/addons/nope: no such entry in the catalogue" in problems
    assert "translations/fr/addons/ivig: evidence is not a patient text" in problems
    assert any("must keep the placeholders ['losses_words']" in p for p in problems)
    assert "translations/fr/addons/lit: a reviewed translation names its reviewer" in problems
    assert translations.check({"language": "de"}, english, ["en", "fr", "tr"])


@pytest.mark.django_db
def test_the_lead_confirms_a_translation_entry_by_entry(lead_client, lead):
    page = lead_client.get(reverse("evidence:review_translations_language", args=["tr"]))
    assert page.status_code == 200
    text = page.content.decode()
    row = CatalogueTranslation.objects.get(language="tr", kind="addons", code="intralipids")
    assert row.texts["plain_what"] in text and "A drip of fat, the kind used to feed people" in text
    url = reverse("evidence:confirm_translation", args=["tr", "addons", "intralipids"])
    response = lead_client.post(url, {"seen": row.updated_at.isoformat(), "note": "ok"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.review_status == ReviewStatus.VERIFIED and row.reviewed_by == lead
    assert store.get_catalogue().translation("tr", "addons", "intralipids").review == "verified"


@pytest.mark.django_db
def test_a_confirmation_of_a_changed_translation_is_refused(lead_client):
    row = CatalogueTranslation.objects.get(language="fr", kind="addons", code="ivig")
    seen = row.updated_at.isoformat()
    row.texts = {**row.texts, "plain_what": "Autre texte."}
    row.save()
    url = reverse("evidence:confirm_translation", args=["fr", "addons", "ivig"])
    response = lead_client.post(url, {"seen": seen}, follow=True)
    assert "this translation changed after you opened it" in response.content.decode()
    row.refresh_from_db()
    assert row.review_status == ReviewStatus.PENDING


@pytest.mark.django_db
def test_a_translation_of_english_that_changed_is_not_used_nor_confirmable(lead_client):
    addon = AddOn.objects.get(code="ivig")
    addon.plain_what = "New English words."
    addon.save()
    store.rebuild_snapshot()
    catalogue = store.get_catalogue()
    said = translations.patient_text(catalogue, "fr", "addons", "ivig", "plain_what")
    assert said == translations.Said("New English words.", translations.STALE, "en")
    row = CatalogueTranslation.objects.get(language="fr", kind="addons", code="ivig")
    url = reverse("evidence:confirm_translation", args=["fr", "addons", "ivig"])
    response = lead_client.post(url, {"seen": row.updated_at.isoformat()}, follow=True)
    assert "changed since it was translated" in response.content.decode()


@pytest.mark.django_db
def test_editing_a_translation_in_the_admin_puts_it_back_to_unreviewed(lead_client, lead):
    row = CatalogueTranslation.objects.get(language="fr", kind="addons", code="lit")
    translations.record_review(translation=row, reviewer=lead)
    url = reverse("admin:evidence_cataloguetranslation_change", args=[row.pk])
    texts = {**row.texts, "plain_what": "Des piqûres de globules blancs."}
    response = lead_client.post(url, {"texts": json.dumps(texts), "retired": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    row.refresh_from_db()
    assert row.review_status == ReviewStatus.PENDING and row.reviewed_by is None
    assert row.texts["plain_what"] == "Des piqûres de globules blancs."
    said = translations.patient_text(store.get_catalogue(), "fr", "addons", "lit", "plain_what")
    assert said.text == "Des piqûres de globules blancs."
    assert said.state == translations.UNREVIEWED


@pytest.mark.django_db
@pytest.mark.parametrize("client_name", ["clinician_client", "coordinator_client"])
def test_only_those_with_the_permission_review_translations(request, client_name):
    client = request.getfixturevalue(client_name)
    assert client.get(reverse("evidence:review_translations")).status_code == 403
