"""The patient sheet as a decision aid (issue 16): the first page answers what we found, what we
recommend next and what we do not recommend and why; numbers as pictures; questions to ask and
where to read more; the "not yet confirmed" notes in one key; the patient's language."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import make_patient, make_workup
from workup.clinic.models import Patient
from workup.documents.sheet import qr_path
from workup.evidence import store
from workup.evidence.catalogue import VERIFIED
from workup.evidence.models import CatalogueTranslation, ReviewStatus

from .helpers import attr_values, pdf_pages, requires_poppler, sign, squash, url, visible_text

THREE_ADDONS = {
    "age": 36,
    "failed_transfers": 3,
    "euploid_failed_transfers": 0,
    "miscarriages": 0,
    "hysteroscopy": {"done": True, "polyp": True},
    "addons_requested": ["intralipids", "assisted_hatching", "era"],
}


def sheet(client, workup) -> str:
    response = client.get(url("handout", workup))
    assert response.status_code == 200
    return response.content.decode()


def first_page_part(page: str) -> str:
    """The part of the sheet that is its first page: the three answers and the key."""
    start = page.index('<section class="glance"')
    return page[start : page.index("</section>", start)]


@pytest.fixture
def three_addons(clinician, loaded_catalogue):
    return make_workup(clinician=clinician, facts=THREE_ADDONS)


def in_language(clinician, language, facts=THREE_ADDONS):
    return make_workup(clinician=clinician, facts=facts, patient=make_patient(language=language))


# --- the first page ------------------------------------------------------------------------


def test_the_first_page_answers_what_we_found_what_we_recommend_and_what_we_do_not(
    clinician_client, three_addons
):
    page = first_page_part(sheet(clinician_client, three_addons))
    text = visible_text(page)
    assert text.index("What we found") < text.index("What we recommend next")
    assert text.index("What we recommend next") < text.index("What we do not recommend, and why")
    catalogue = store.get_catalogue()
    # What we found: the record, the label in plain words, and what the tests found.
    assert "Our records show 3 embryo transfers that did not lead to a pregnancy." in text
    assert catalogue.statement("sheet_label_rif").plain in text
    assert catalogue.next_steps["polypectomy"].plain_found in text
    # What we recommend next: the plan's plain words.
    assert catalogue.next_steps["polypectomy"].plain in text
    # Each requested add-on in one line.
    assert attr_values(page, "data-verdict") == ["intralipids", "assisted_hatching", "era"]


def test_possible_harm_is_worded_differently_from_no_benefit_shown(clinician_client, three_addons):
    page = first_page_part(sheet(clinician_client, three_addons))
    catalogue = store.get_catalogue()

    def line(code):
        start = page.index(f'data-verdict="{code}"')
        return visible_text(page[start : page.index("</li>", start)])

    assert catalogue.addons["intralipids"].patient_verdict == "possible_harm"
    assert catalogue.addons["assisted_hatching"].patient_verdict == "no_benefit_shown"
    harm, none = line("intralipids"), line("assisted_hatching")
    assert "Possible harm." in harm and catalogue.statement("verdict_possible_harm").plain in harm
    assert "No benefit shown." in none
    assert catalogue.statement("verdict_no_benefit_shown").plain in none
    assert "harm" not in none.lower()
    # A test says "the test", and its drawbacks (ERA: a delay, a cost).
    assert catalogue.statement("verdict_possible_harm_test").plain in line("era")


def test_an_indicated_add_on_is_not_listed_as_not_recommended(clinician_client, clinician):
    workup = make_workup(
        clinician=clinician,
        facts={"age": 35, "aps": "confirmed", "miscarriages": 3, "addons_requested": ["heparin"]},
    )
    page = first_page_part(sheet(clinician_client, workup))
    assert 'data-verdict="' not in page
    other = page[page.index('data-other-addon="heparin"') :]
    assert "guidelines recommend low-dose aspirin with heparin injections" in visible_text(
        other[: other.index("</li>")]
    )


def test_the_not_yet_confirmed_notes_are_one_key_and_a_mark(clinician_client, three_addons):
    page = sheet(clinician_client, three_addons)
    text = visible_text(page)
    # The explanation is said once, in the key on the first page; the claims carry a mark.
    assert text.count("Not yet confirmed:") == 1
    assert "our clinical lead has not yet checked this information" in visible_text(
        first_page_part(page)
    )
    assert page.count('class="pending-mark"') > 3
    # A verified add-on carries no mark in its own section.
    block = page[page.index('data-addon="intralipids"') :]
    assert "pending-mark" not in block[: block.index("</h3>")]


# --- numbers as pictures ---------------------------------------------------------------------


def test_the_chance_per_transfer_is_an_icon_array_of_100_with_the_number_in_words(
    clinician_client, three_addons
):
    page = sheet(clinician_client, three_addons)
    chance = store.get_catalogue().chance_for("untested", 36)
    in_100 = round(chance.chance * 100)
    figure = page[page.index('data-chance="') : page.index("</figure>")]
    assert figure.count("<circle") == 100
    assert figure.count('fill="#1b1f24"') == in_100  # filled, black
    assert figure.count('fill="#fff" stroke="#1b1f24"') == 100 - in_100  # outlined, white
    text = visible_text(figure)
    assert f"About {in_100} in 100" in text
    assert f"For women aged 35 to 37, about {in_100} in 100 transfers" in text
    assert f'aria-label="About {in_100} in 100' in figure
    # The per-transfer chances are pending clinical review: marked.
    assert chance.review != VERIFIED and "pending-mark" in figure


def test_euploid_failures_show_the_euploid_chance(clinician_client, clinician):
    workup = make_workup(
        clinician=clinician,
        facts={"age": 33, "failed_transfers": 3, "euploid_failed_transfers": 3},
    )
    page = sheet(clinician_client, workup)
    assert attr_values(page, "data-chance") == ["euploid_any_age"]
    assert "tested and found to have the usual number of chromosomes" in visible_text(page)


def test_a_chance_row_for_every_age_says_so(clinician_client, clinician):
    workup = make_workup(
        clinician=clinician,
        facts={"age": 33, "failed_transfers": 3, "euploid_failed_transfers": 3},
    )
    text = visible_text(sheet(clinician_client, workup))
    assert "For women of any age, about 60 in 100 transfers" in text
    assert "under 61" not in text


def test_untested_and_euploid_failures_show_both_chances_and_keep_page_one(
    clinician_client, clinician
):
    facts = {**THREE_ADDONS, "failed_transfers": 4, "euploid_failed_transfers": 1}
    page = sheet(clinician_client, make_workup(clinician=clinician, facts=facts))
    assert attr_values(page, "data-chance") == ["untested_35_37", "euploid_any_age"]
    # Side by side under what we found, and the steps on page one make room for them.
    assert '<div class="chances chances-2">' in page
    first = first_page_part(page)
    assert len(attr_values(first, "data-first-step")) <= 3
    assert attr_values(first, "data-verdict") == ["intralipids", "assisted_hatching", "era"]


APS_NO_ADVICE = {"age": 36, "failed_transfers": 3, "aps": "confirmed", "miscarriages": 0}


@pytest.mark.parametrize(
    "language, says, statement_language",
    [
        ("en", "There is no clear advice on aspirin and heparin", "en"),
        ("fr", "Il n'y a pas de conseil clair", "fr"),
        ("tr", "net bir öneri yok", "tr"),
    ],
)
def test_the_aps_step_without_advice_says_its_statement_in_the_patients_language(
    clinician_client, clinician, language, says, statement_language
):
    """The engine gives the APS treatment its own words when there is no recommendation for
    this patient (``next_steps[].plain``): the sheet says that statement, translated, never
    the regimen, on page one and in the plan."""
    catalogue = store.get_catalogue()
    regimen = catalogue.next_steps["aps_treatment"].plain
    workup = in_language(clinician, language, facts=APS_NO_ADVICE)
    page = sheet(clinician_client, workup)
    first = first_page_part(page)
    step = first[first.index('data-first-step="aps_treatment"') :]
    step = visible_text(step[: step.index("</li>")])
    assert says in step
    assert regimen not in visible_text(page)
    if statement_language != "en":
        translated = catalogue.translation(language, "statements", "aps_strength_none")
        assert translated.texts["plain"] in visible_text(page)


def test_the_aps_step_with_a_recommendation_keeps_the_catalogue_text(clinician_client, clinician):
    facts = {**APS_NO_ADVICE, "miscarriages": 3}
    page = sheet(clinician_client, make_workup(clinician=clinician, facts=facts))
    plain = store.get_catalogue().next_steps["aps_treatment"].plain
    assert plain in visible_text(first_page_part(page))


def test_a_signed_sheet_keeps_the_aps_steps_own_words(clinician_client, clinician):
    from tests.factories import sign_as_seen

    workup = in_language(clinician, "fr", facts=APS_NO_ADVICE)
    sign_as_seen(workup, clinician)
    kept = workup.__class__.objects.get(pk=workup.pk).signed_assessment["texts"]["patient"]
    said = kept["steps"]["aps_treatment"]["plain"]
    assert said["language"] == "fr" and "Il n'y a pas de conseil clair" in said["text"]


# --- questions and where to read more -----------------------------------------------------


def test_questions_to_ask_and_where_to_read_more_come_from_the_catalogue(
    clinician_client, three_addons
):
    page = sheet(clinician_client, three_addons)
    catalogue = store.get_catalogue()
    questions = page[page.index('<ul class="question-list">') :]
    questions = questions[: questions.index("</ul>")]
    lines = [q for q in catalogue.statement("sheet_questions").plain.splitlines() if q]
    assert re.findall(r"<li>(.*?)</li>", questions) == [q.replace("'", "&#x27;") for q in lines]
    read_more = page[page.index('<section class="read-more"') :]
    assert attr_values(read_more, "data-read-more") == ["read_more_hfea", "read_more_eshre"]
    text = visible_text(read_more)
    assert "www.hfea.gov.uk/treatments/treatment-add-ons" in text
    assert "doi.org/10.1093/humrep/dead184" in text
    # Each address as a QR code drawn on the server (inline SVG), from the same address.
    size, path = qr_path("https://www.hfea.gov.uk/treatments/treatment-add-ons/")
    assert f'viewBox="0 0 {size} {size}"' in read_more and path in read_more
    assert "<img" not in read_more  # nothing fetched


# --- languages ---------------------------------------------------------------------------------


def test_the_sheet_is_in_the_patients_language_and_the_page_around_it_in_the_readers(
    clinician_client, clinician
):
    workup = in_language(clinician, "fr")
    page = sheet(clinician_client, workup)
    assert '<html lang="fr"' in page
    text = visible_text(page)
    translated = CatalogueTranslation.objects.get(language="fr", kind="addons", code="intralipids")
    assert translated.texts["plain_what"] in text
    assert "Ce que nous avons trouvé" in text and "What we found" not in text
    assert "Votre dossier montre 3 transferts d'embryon" in text
    # The reader (an English-speaking clinician) gets the toolbar and the notice in English.
    assert "Back to the work-up" in text
    assert "Before you print: this sheet is in Français." in text


def test_each_patient_gets_their_own_language(clinician_client, clinician):
    answers = (("en", "What we found"), ("fr", "Ce que nous avons trouvé"), ("tr", "Ne bulduk"))
    for language, words in answers:
        page = sheet(clinician_client, in_language(clinician, language))
        assert words in visible_text(first_page_part(page)), language


def test_an_unreviewed_translation_is_shown_to_the_clinician_and_named_in_the_footer(
    clinician_client, clinician
):
    workup = in_language(clinician, "tr")
    page = sheet(clinician_client, workup)
    notice = page[page.index('<aside class="handout-notice"') : page.index("</aside>")]
    assert "translations that no reviewer has confirmed yet" in visible_text(notice)
    footer = visible_text(page[page.index('<p class="sheet-language"') :].split("</p>")[0])
    assert footer.startswith("Türkçe · çeviri henüz gözden geçirilmedi · katalog 2026.2")


def test_a_reviewed_translation_says_so_in_the_footer(clinician_client, clinician, lead):
    CatalogueTranslation.objects.filter(language="fr").update(
        review_status=ReviewStatus.VERIFIED, reviewed_by=lead
    )
    store.rebuild_snapshot()
    page = sheet(clinician_client, in_language(clinician, "fr"))
    footer = visible_text(page[page.index('<p class="sheet-language"') :].split("</p>")[0])
    assert "Français · traduction relue" in footer
    assert "Its translation has been reviewed." in visible_text(page)


def test_a_missing_translation_falls_back_to_english_with_a_note(clinician_client, clinician):
    CatalogueTranslation.objects.filter(language="fr", kind="addons", code="era").delete()
    store.rebuild_snapshot()
    page = sheet(clinician_client, in_language(clinician, "fr"))
    era = store.get_catalogue().addons["era"]
    block = page[page.index('data-addon="era"') :]
    block = block[: block.index("</div>")]
    assert f'<span lang="en">{era.plain_what}</span> <span class="lang-tag"' in block
    # The key on the first page says what the "EN" tag means, in the patient's language.
    assert "En anglais : ce texte n'a pas encore été traduit." in visible_text(
        first_page_part(page)
    )
    footer = visible_text(page[page.index('<p class="sheet-language"') :].split("</p>")[0])
    assert "textes en anglais" in footer


def test_an_english_text_changed_since_translation_is_printed_in_english(
    clinician_client, clinician
):
    from workup.evidence.models import AddOn

    addon = AddOn.objects.get(code="intralipids")
    addon.plain_what = "A drip of fat, given in the hope of calming the immune system."
    addon.save()
    store.rebuild_snapshot()
    page = sheet(clinician_client, in_language(clinician, "fr"))
    block = page[page.index('data-addon="intralipids"') :]
    english = "A drip of fat, given in the hope of calming the immune system."
    assert f'<span lang="en">{english}</span>' in block


def test_a_signed_sheet_keeps_the_language_it_was_signed_in(clinician_client, clinician):
    from tests.factories import sign_as_seen

    workup = in_language(clinician, "fr")
    sign_as_seen(workup, clinician)
    Patient.objects.filter(pk=workup.patient_id).update(language="tr")
    page = sheet(clinician_client, workup)
    assert '<html lang="fr"' in page
    assert "Ce que nous avons trouvé" in page
    assert "It was signed in Français; the patient's language is now Türkçe." in visible_text(page)


def test_dates_on_the_sheet_are_in_the_patients_language(clinician_client, clinician):
    from datetime import date

    workup = make_workup(
        clinician=clinician,
        facts=THREE_ADDONS,
        patient=make_patient(language="fr"),
        workup_date=date(2026, 8, 27),
    )
    text = visible_text(sheet(clinician_client, workup))
    assert "le 27 août 2026" in text
    workup_tr = make_workup(
        clinician=clinician,
        facts=THREE_ADDONS,
        patient=make_patient(language="tr"),
        workup_date=date(2026, 8, 27),
    )
    assert "27 Ağustos 2026" in visible_text(sheet(clinician_client, workup_tr))


# --- the PDF -------------------------------------------------------------------------------------


@requires_poppler
@pytest.mark.parametrize(
    "language, found, footer",
    [
        ("en", "What we found", "English (original text)"),
        ("fr", "Ce que nous avons trouvé", "Français · traduction pas encore relue"),
        ("tr", "Ne bulduk", "Türkçe · çeviri henüz gözden geçirilmedi"),
    ],
)
def test_the_pdf_is_in_the_patients_language_with_its_footer_on_every_page(
    clinician_client, clinician, language, found, footer
):
    workup = in_language(clinician, language)
    pages = pdf_pages(clinician_client.get(url("handout_pdf", workup)).content)
    assert found in squash(pages[0])
    for number, page in enumerate(pages, start=1):
        assert footer in squash(page), (language, number)
        assert "2026.2" in squash(page)


@requires_poppler
def test_the_summary_pdf_is_in_the_readers_language(clinician_client, clinician, three_addons):
    from workup.accounts.models import Profile

    Profile.objects.create(user=clinician, language="fr")
    clinician_client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    text = squash(pdf_pages(clinician_client.get(url("summary_pdf", three_addons)).content)[0])
    assert "Synthèse de consultation" in text and "En bref" in text


@requires_poppler
def test_the_kept_sheet_of_an_override_is_in_the_patients_language(clinician, loaded_catalogue):
    from workup.clinic.models import AddonRequest
    from workup.guardrail.sheets import keep_patient_sheet

    from .helpers import pdf_text

    workup = in_language(clinician, "tr")
    request = AddonRequest.objects.get(workup=workup, addon_code="intralipids")
    kept = keep_patient_sheet(request=request, user=clinician)
    assert "Ne bulduk" in squash(pdf_text(bytes(kept.pdf)))


def test_interface_language_does_not_leak_into_the_sheet(clinician_client, clinician):
    """A French-speaking clinician printing an English patient's sheet gets an English sheet."""
    clinician_client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    page = sheet(clinician_client, in_language(clinician, "en"))
    assert "What we found" in visible_text(first_page_part(page))
    assert "Retour au bilan" in visible_text(page)  # the toolbar in the reader's French
    translation.activate("en")


def test_signed_off_date_on_a_french_sheet(clinician_client, clinician):
    workup = in_language(clinician, "fr")
    sign(workup, clinician, when=datetime(2026, 11, 25, 10, 30, tzinfo=UTC))
    text = visible_text(sheet(clinician_client, workup))
    assert "Validé le 25 novembre 2026 par Alice Test" in text
