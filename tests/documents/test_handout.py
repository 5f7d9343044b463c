"""The patient sheet: plain words, one section per add-on asked about, and the plan instead."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from tests.factories import make_workup
from workup.clinic.models import ChecklistStep
from workup.evidence import store

from .helpers import (
    RICH_FACTS,
    attr_values,
    engine_answer,
    handout_prose,
    rich_workup,
    sign,
    url,
    visible_text,
)
from .readability import measure

# Words a clinician uses that a patient sheet must not use (outside the labelled "medical
# name" next to a plain explanation, and the list of sources).
JARGON = [
    "RIF",
    "POSEIDON",
    "Bologna",
    "cumulative",
    "euploid",
    "CD138",
    "OHSS",
    "hyper-response",
    "stance",
    "not_recommended",
    "pending_review",
    "Pending clinical review",
    "Flagged",
    "work-up",
]


def handout(client, workup) -> str:
    response = client.get(url("handout", workup))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def everything_asked(clinician, loaded_catalogue):
    """The longest sheet: every add-on of the catalogue asked about, many findings."""
    catalogue = store.get_catalogue()
    facts = {
        **RICH_FACTS,
        "aps": "confirmed",
        "miscarriages": 3,
        "tsh": 5.0,
        "tpo_positive": True,
        "smoker": True,
        "bmi": 33.0,
        "karyotype": "abnormal",
        "hydrosalpinx": True,
        "adenomyosis": True,
        "addons_requested": list(catalogue.addon_codes),
    }
    return make_workup(clinician=clinician, facts=facts)


def test_each_add_on_asked_about_has_its_own_section_in_catalogue_words(
    clinician_client, clinician
):
    workup = rich_workup(clinician)
    page = handout(clinician_client, workup)
    catalogue = store.get_catalogue()
    assert attr_values(page, "data-addon") == ["intralipids", "corticosteroids"]
    for code in ("intralipids", "corticosteroids"):
        addon = catalogue.addons[code]
        block = page[page.index(f'data-addon="{code}"') :]
        block = visible_text(block[: block.index("</div>")])
        assert addon.name in block
        assert f"What it is. {addon.plain_what}" in block
        assert f"What research shows. {addon.plain_evidence}" in block
        assert f"Known harms. {addon.plain_risks}" in block
        assert "For you. This is not part of your plan." in block


def test_an_add_on_indicated_for_this_patient_is_said_to_be_part_of_the_plan(
    clinician_client, clinician, loaded_catalogue
):
    workup = make_workup(
        clinician=clinician,
        facts={"age": 35, "aps": "confirmed", "miscarriages": 3, "addons_requested": ["heparin"]},
    )
    text = visible_text(handout(clinician_client, workup))
    assert (
        "For you. A blood test confirmed antiphospholipid syndrome and you have had 3 pregnancy "
        "losses: guidelines recommend low-dose aspirin with heparin injections. It is part of "
        "your plan."
    ) in text
    plain = store.get_catalogue().next_steps["aps_treatment"].plain
    assert plain in text


def test_an_add_on_without_documented_harms_says_so_instead_of_inventing_any(
    clinician_client, clinician, loaded_catalogue
):
    assert store.get_catalogue().addons["g_csf"].plain_risks == ""
    workup = make_workup(clinician=clinician, facts={"age": 35, "addons_requested": ["g_csf"]})
    text = visible_text(handout(clinician_client, workup))
    assert "Known harms. We have no details of its harms on file." in text


def test_without_add_ons_the_sheet_still_explains_the_plan(
    clinician_client, clinician, loaded_catalogue
):
    workup = make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 3})
    page = handout(clinician_client, workup)
    text = visible_text(page)
    assert "Your plan for the next steps" in text
    assert "add-ons you asked about" not in text
    assert 'data-addon="' not in page
    answer = engine_answer(workup)
    assert answer["next_steps"]
    assert sorted(attr_values(page, "data-plan-step")) == sorted(
        s["code"] for s in answer["next_steps"]
    )
    for heading in ("Your embryos", "Your womb", "Your ovaries and the fertility medicines"):
        assert heading in text
    assert "Our records show 3 embryo transfers that did not lead to a pregnancy." in text


def test_plan_steps_use_the_catalogues_plain_words_with_the_medical_name_beside(
    clinician_client, clinician
):
    workup = rich_workup(clinician)
    text = visible_text(handout(clinician_client, workup))
    catalogue = store.get_catalogue()
    polypectomy = catalogue.next_steps["polypectomy"]
    assert f"{polypectomy.plain} Medical name: {polypectomy.name}." in text
    antibiotics = catalogue.next_steps["ce_antibiotics"]
    assert antibiotics.plain in text
    # What is already done is listed in plain words too.
    assert catalogue.investigations["hysteroscopy"].plain in text


def test_a_booked_step_shows_its_date_and_a_date_gone_by_is_left_out(
    clinician_client, clinician, loaded_catalogue
):
    workup = make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 3})
    today = timezone.localdate()
    booked = workup.steps.get(code="hysteroscopy")
    booked.status = ChecklistStep.Status.SCHEDULED
    booked.scheduled_for = today + timedelta(days=9)
    booked.save()
    planned = workup.steps.get(code="karyotype")
    planned.due_date = today + timedelta(days=20)
    planned.save()
    late = workup.steps.get(code="ovarian_reserve")
    late.due_date = today - timedelta(days=4)
    late.save()
    page = handout(clinician_client, workup)

    def item(code):
        start = page.index(f'data-plan-step="{code}"')
        return visible_text(page[start : page.index("</li>", start)])

    assert f"Booked for {date_format(booked.scheduled_for, 'j F Y')}." in item("hysteroscopy")
    assert f"Planned by {date_format(planned.due_date, 'j F Y')}." in item("karyotype")
    assert "Planned by" not in item("ovarian_reserve")
    assert "overdue" not in visible_text(page)


def test_claims_pending_clinical_review_are_marked_and_the_key_says_it_in_plain_words(
    clinician_client, clinician
):
    workup = rich_workup(clinician)
    page = handout(clinician_client, workup)
    catalogue = store.get_catalogue()
    assert catalogue.addons["corticosteroids"].review == "pending_review"
    assert catalogue.addons["intralipids"].review == "verified"

    def heading(code):
        start = page.index(f'data-addon="{code}"')
        return page[start : page.index("</h3>", start)]

    assert 'class="pending-mark"' in heading("corticosteroids")
    assert "pending-mark" not in heading("intralipids")
    pending_steps = [s for s in engine_answer(workup)["next_steps"] if s["review"] != "verified"]
    assert pending_steps
    for step in pending_steps:
        start = page.index(f'data-plan-step="{step["code"]}"')
        assert 'class="pending-mark"' in page[start : page.index("</li>", start)], step["code"]
    # The mark is explained once, in words a patient understands.
    assert visible_text(page).count("our clinical lead has not yet checked this information") == 1


def test_the_sheet_avoids_clinical_jargon(clinician_client, everything_asked):
    prose = handout_prose(handout(clinician_client, everything_asked))
    for term in JARGON:
        assert not re.search(rf"\b{re.escape(term)}\b", prose), term


def test_the_sheet_reads_at_a_general_reading_level(clinician_client, clinician, everything_asked):
    """Flesch reading ease of at least 60 ("plain English"), sentences of 15 words on average
    and none over 35: checked on the longest sheet (every add-on) and a typical one."""
    for workup in (everything_asked, rich_workup(clinician)):
        score = measure(handout_prose(handout(clinician_client, workup)))
        assert score.flesch_reading_ease >= 60, score
        assert score.words_per_sentence <= 15, score
        assert len(score.longest_sentence.split()) <= 35, score.longest_sentence


def test_the_readability_measure_tells_clinical_prose_from_plain_words(clinician_client, clinician):
    """The same steps in the clinician's words (the summary) fail the bar the sheet passes."""
    workup = rich_workup(clinician)
    summary = clinician_client.get(url("summary", workup)).content.decode()
    start = summary.index('id="next-title"')
    clinical = summary[start : summary.index('id="addons-title"')]
    clinical = "\n".join(visible_text(p) for p in re.findall(r"<p>(.*?)</p>", clinical, flags=re.S))
    assert measure(clinical).flesch_reading_ease < 60


def test_sources_are_numbered_in_the_order_the_sheet_cites_them(clinician_client, clinician):
    workup = rich_workup(clinician)
    page = handout(clinician_client, workup)
    body, sources = page.split('<section class="references"')
    cited = [int(n) for n in re.findall(r'class="cite" href="#ref-(\d+)"', body)]
    first_seen = list(dict.fromkeys(cited))
    listed = [int(n) for n in re.findall(r'<li id="ref-(\d+)"', sources)]
    assert first_seen == list(range(1, len(first_seen) + 1))
    assert listed == first_seen  # every source listed is cited, every citation is listed
    catalogue = store.get_catalogue()
    assert catalogue.sources["eshre-addons-2023"].citation in visible_text(sources)


def test_a_draft_sheet_says_the_plan_may_change_and_a_signed_one_does_not(
    clinician_client, clinician
):
    workup = rich_workup(clinician)
    assert "This plan is not final yet." in visible_text(handout(clinician_client, workup))
    sign(workup, clinician)
    text = visible_text(handout(clinician_client, workup))
    assert "This plan is not final yet." not in text
    assert "Signed off 25 Nov 2026 by Alice Test" in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "losses, says, never",
    [
        (0, "There is no clear advice on aspirin and heparin", "heparin injections once pregnant"),
        (2, "only as part of a research study", "heparin injections once pregnant"),
        (3, "guidelines recommend low-dose aspirin with heparin injections", "no clear advice"),
    ],
)
def test_the_sheet_says_the_aps_treatment_with_the_strength_the_engine_gives(
    clinician_client, clinician, losses, says, never
):
    workup = make_workup(
        clinician=clinician,
        facts={
            "age": 36,
            "aps": "confirmed",
            "miscarriages": losses,
            "addons_requested": ["heparin"],
        },
    )
    text = " ".join(visible_text(handout(clinician_client, workup)).split())
    assert says in text
    assert never not in text
