"""The printable consultation summary as a clinician reads it on screen or on paper."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_user
from tests.factories import make_patient, make_workup
from workup.clinic.models import Addendum, AddonRequest
from workup.evidence import store

from .helpers import engine_answer, rich_workup, sign, url, visible_text


def summary(client, workup) -> str:
    response = client.get(url("summary", workup))
    assert response.status_code == 200
    return response.content.decode()


def section_text(page: str, title_id: str) -> str:
    start = page.index(f'id="{title_id}"')
    return visible_text(page[start : page.index("</section>", start)])


@pytest.fixture
def workup(clinician, loaded_catalogue):
    return rich_workup(clinician)


@override_settings(CLINIC_NAME="Harbour Fertility Centre", CLINIC_ADDRESS="2 Quay Road, Porthaven")
def test_it_names_the_clinic_from_the_settings(clinician_client, workup):
    text = visible_text(summary(clinician_client, workup))
    assert "Harbour Fertility Centre" in text
    assert "2 Quay Road, Porthaven" in text


def test_the_identity_block_names_patient_work_up_and_clinician(clinician_client, workup):
    text = section_text(summary(clinician_client, workup), "identity-title")
    for expected in (
        "MRN DEMO-000042",
        "Name Ada Example",
        "Birth date 14 Mar 1988",
        "Age at work-up 38 years",
        "Work-up date 24 Nov 2026",
        "Responsible clinician Alice Test",
    ):
        assert expected in text
    counts = store.get_catalogue().review_counts()
    assert (
        f"Evidence catalogue 2026.2 (revision 1): {counts['verified']} of {counts['entries']} "
        f"entries verified, 0 of them confirmed by the clinical lead; {counts['pending']} "
        "pending clinical review."
    ) in text
    assert "reviewed 2026" not in text


def test_the_rif_label_comes_with_its_reason_and_chance(clinician_client, workup):
    answer = engine_answer(workup)
    text = section_text(summary(clinician_client, workup), "rif-title")
    assert answer["rif"]["label"] == "rif"
    assert "RIF: labelling is appropriate" in text
    assert f"cumulative predicted chance {round(answer['rif']['cumulative_chance'] * 100)}%" in text
    assert answer["rif"]["reason"] in text


def test_findings_are_in_words_by_pillar_and_unknown_stays_not_recorded(clinician_client, workup):
    page = summary(clinician_client, workup)

    def row(code):
        start = page.index(f'data-investigation="{code}"')
        return visible_text(page[start : page.index("</tr>", start)])

    assert (
        "Done; polyp found; no submucosal fibroid; no septum; no adhesions; "
        "signs of endometritis not recorded" in row("hysteroscopy")
    )
    assert "Done; CD138 positive" in row("ce_biopsy")
    assert "AMH 0.8 ng/mL; AFC 4" in row("ovarian_reserve")
    assert "Cycle 1: 3 oocytes; cycle 2: 2 oocytes" in row("response_review")
    assert "Non-smoker; BMI 24.5" in row("lifestyle")
    assert "Normal" in row("karyotype")
    assert "Not recorded" in row("embryo_review")
    assert "No hydrosalpinx" in row("hydrosalpinx_check")
    assert "Result not recorded" in row("adenomyosis_imaging")
    text = section_text(page, "findings-title")
    assert "4 failed transfers (1 euploid); 0 miscarriages" in text
    assert [h for h in ("General", "Embryo", "Uterus", "Stimulation") if h in text] == [
        "General",
        "Embryo",
        "Uterus",
        "Stimulation",
    ]


def test_classifications_show_result_and_reason(clinician_client, workup):
    answer = engine_answer(workup)
    text = section_text(summary(clinician_client, workup), "class-title")
    details = answer["classification"]["details"]
    assert "POSEIDON Group 4" in text
    for key in ("poseidon_group", "bologna_poor_responder", "hyper_response_risk"):
        assert details[key]["reason"] in text


def test_next_steps_carry_why_rationale_stance_review_and_numbered_citations(
    clinician_client, workup
):
    page = summary(clinician_client, workup)
    answer = engine_answer(workup)
    step = next(s for s in answer["next_steps"] if s["code"] == "ce_antibiotics")
    start = page.index('data-next-step="ce_antibiotics"')
    block = page[start : page.index("</li>", start)]
    text = visible_text(block)
    assert f"Why now: {step['trigger']}" in text
    assert f"Evidence: {step['rationale']}" in text
    assert step["summary"] in text
    assert "Recommended" in text and "Verified" in text
    assert re.search(r'class="cite" href="#ref-\d+"', block)
    # The detail the lead has not confirmed is marked as such.
    assert f"Pending clinical review {step['unverified_detail']}" in text


def test_add_ons_show_flag_stance_hfea_risks_and_the_counselling_outcome(
    clinician_client, clinician, workup
):
    request = AddonRequest.objects.get(workup=workup, addon_code="intralipids")
    request.outcome = AddonRequest.Outcome.DECLINED
    request.counselled_by = clinician
    request.counselled_at = datetime(2026, 11, 24, 9, 15, tzinfo=UTC)
    request.save()
    page = summary(clinician_client, workup)
    start = page.index('data-addon="intralipids"')
    block = visible_text(page[start : page.index("</table>", start)])
    intralipids = store.get_catalogue().addons["intralipids"]
    assert "Flagged: Intralipid infusion" in block
    assert "ESHRE Not recommended" in block
    assert "HFEA red May reduce effectiveness." in block
    for risk in intralipids.risks:
        assert risk in block
    assert "Discussed; patient declined (Alice Test, 24 Nov 2026 09:15)" in block
    start = page.index('data-addon="corticosteroids"')
    block = visible_text(page[start : page.index("</table>", start)])
    assert "Pending clinical review" in block
    assert "Not yet counselled" in block


def test_an_unsigned_summary_is_a_draft_on_every_page(clinician_client, workup):
    page = summary(clinician_client, workup)
    assert 'class="draft-banner"' in page
    assert 'class="draft-watermark"' in page  # fixed: repeated on every printed page
    text = visible_text(page)
    assert "DRAFT: not signed." in text
    assert "Not signed: this summary is a draft." in text


def test_a_signed_summary_says_who_signed_and_when_and_is_no_draft(
    clinician_client, clinician, workup
):
    sign(workup, clinician)
    page = summary(clinician_client, workup)
    assert "draft-watermark" not in page and "draft-banner" not in page
    text = visible_text(page)
    assert "DRAFT" not in text
    assert "Signed by Alice Test on 25 Nov 2026 at 10:30" in text


def test_a_summary_signed_before_the_signed_advice_was_kept_says_it_shows_todays(
    clinician_client, clinician, workup
):
    sign(workup, clinician)  # an older row: status and signer, no stored answer
    workup.signed_catalogue_version = "2025.9"
    workup.save()
    text = visible_text(summary(clinician_client, workup))
    assert "with catalogue version 2025.9" in text
    assert "signed before the signed advice was kept: this summary shows today’s advice" in text


def test_addenda_to_a_signed_work_up_are_printed(clinician_client, clinician, workup):
    sign(workup, clinician)
    Addendum.objects.create(
        workup=workup, author=clinician, reason="Karyotype result received.", changes="Normal."
    )
    text = section_text(summary(clinician_client, workup), "signoff-title")
    assert "Karyotype result received. Normal." in text


def test_it_ends_with_the_disclaimer_catalogue_review_date_and_references(clinician_client, workup):
    page = summary(clinician_client, workup)
    answer = engine_answer(workup)
    disclaimer = section_text(page, "disclaimer-title")
    assert "Decision support only" in disclaimer
    block = answer["catalogue"]
    assert f"{block['verified']} of {block['entries']} entries verified" in disclaimer
    assert f"{block['pending']} pending clinical review" in disclaimer
    assert "reviewed " + block["reviewed_on"] not in disclaimer
    references = section_text(page, "refs-title")
    catalogue = store.get_catalogue()
    assert "[1] " + catalogue.sources[answer["rif"]["sources"][0]].citation in references


def test_citations_are_numbered_in_reading_order(clinician_client, workup):
    page = summary(clinician_client, workup)
    body = page[: page.index('id="refs-title"')]
    cited = [int(n) for n in re.findall(r'class="cite" href="#ref-(\d+)"', body)]
    first_seen = list(dict.fromkeys(cited))
    assert first_seen == sorted(first_seen)
    # Within one claim, [1][8] rather than [8][1].
    for group in re.findall(r'((?:<a class="cite"[^>]*>\[\d+\]</a>)+)', body):
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", group)]
        assert numbers == sorted(numbers)


def test_the_screen_toolbar_links_back_and_to_the_other_documents(clinician_client, workup):
    page = summary(clinician_client, workup)
    for href in (
        f"/workups/{workup.pk}/",
        url("summary_pdf", workup),
        url("handout", workup),
        url("handout_pdf", workup),
    ):
        assert f'href="{href}"' in page
    # The Print button needs JavaScript, so it stays hidden until print.js shows it.
    assert '<button type="button" class="js-print" hidden>Print</button>' in page


def test_it_obeys_the_content_security_policy(clinician_client, workup):
    page = summary(clinician_client, workup)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # no inline script
    assert " style=" not in page and "<style" not in page
    assert "http://" not in page.replace("http://testserver", "")
    assert "cdn" not in page.lower()


def test_the_browser_print_margins_carry_the_patient_and_the_draft_mark(clinician_client, workup):
    css = clinician_client.get(reverse("documents:page_css", args=[workup.pk, "summary"]))
    assert css["Content-Type"].startswith("text/css")
    body = css.content.decode()
    assert '@top-left { content: "DEMO-000042 · Ada Example · born 14 Mar 1988"; }' in body
    assert '@top-right { content: "DRAFT: not signed"; }' in body


def test_a_name_cannot_break_out_of_the_print_margin_stylesheet(
    clinician_client, clinician, loaded_catalogue
):
    patient = make_patient(name='Eve "}</style> \\ Quote')
    workup = make_workup(clinician=clinician, patient=patient)
    body = clinician_client.get(
        reverse("documents:page_css", args=[workup.pk, "handout"])
    ).content.decode()
    line = next(x for x in body.splitlines() if "@top-left" in x)
    assert line.count('"') == 2
    assert "</style>" not in body and "}<" not in line
    assert "Draft: not yet signed off" in body


def test_the_responsible_clinician_need_not_be_the_reader(coordinator_client, loaded_catalogue):
    doctor = make_user("dora", "clinician")
    workup = make_workup(clinician=doctor, facts={"age": 33})
    text = visible_text(summary(coordinator_client, workup))
    assert "Responsible clinician Dora Test" in text
    assert "by Carol Test" in text  # who produced this copy


def test_due_dates_are_shown_and_overdue_steps_say_so(clinician_client, workup):
    step = workup.steps.get(code="aps_screen")
    step.due_date = timezone.localdate() - timedelta(days=3)
    step.save()
    page = summary(clinician_client, workup)
    start = page.index('data-to-do="aps_screen"')
    assert "3 days overdue" in visible_text(page[start : page.index("</li>", start)])
    start = page.index('data-investigation="aps_screen"')
    assert "3 days overdue" in visible_text(page[start : page.index("</tr>", start)])
