"""The clinical lead's review screen (issue 12): one entry at a time, never in bulk."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_workup
from workup.evidence import store
from workup.evidence.models import ENTRY_MODELS, AddOn, NextStep, Parameter, ReviewRecord

pytestmark = pytest.mark.django_db


def entry_url(kind, code, **query):
    url = reverse("evidence:review_entry", args=[kind, code])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def seen(entry):
    entry.refresh_from_db()
    return entry.updated_at.isoformat()


def test_the_queue_lists_the_entries_awaiting_review(lead_client):
    response = lead_client.get(reverse("evidence:review_queue"))
    page = response.content.decode()
    listed = response.context["page"].object_list
    assert listed and all(item.review_status == "pending_review" for item in listed)
    assert listed[0].name in page
    verified = NextStep.objects.filter(review_status="verified").first()
    assert verified.name not in page
    assert "Awaiting review (" in page


def test_the_queue_is_paginated_in_constant_queries(lead_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = lead_client.get(reverse("evidence:review_queue") + "?show=all")
    assert len(response.context["page"].object_list) == 25
    assert response.context["page"].paginator.num_pages > 1


def test_an_entry_shows_its_text_sources_tags_and_what_reads_it(lead_client, clinician):
    make_workup(clinician=clinician, facts={"age": 36, "addons_requested": ["intralipids"]})
    response = lead_client.get(entry_url("addons", "intralipids"))
    page = response.content.decode()
    entry = AddOn.objects.get(code="intralipids")
    assert entry.name in page and entry.what[:40] in page
    for source in entry.sources.all():
        assert source.citation[:40] in page
    for part in entry.tags:
        assert part in page
    assert "addon_flags" in page
    assert "1 open work-up has it" in page


def test_a_parameter_names_the_rule_that_reads_it(lead_client):
    page = lead_client.get(entry_url("parameters", "rif_threshold")).content.decode()
    assert "rif_label" in page
    assert "cannot work without it" in page


def test_confirming_records_who_when_and_the_note_and_moves_on(lead_client, lead):
    entry = Parameter.objects.get(code="aps_repeat_weeks")
    assert entry.review_status == "pending_review"
    response = lead_client.post(
        entry_url("parameters", "aps_repeat_weeks"),
        {"status": "verified", "note": "Checked against ESHRE 2023.", "seen": seen(entry)},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.review_status == "verified" and entry.reviewed_by == lead
    record = ReviewRecord.objects.get(code="aps_repeat_weeks")
    assert record.note == "Checked against ESHRE 2023." and record.reviewer == lead
    assert store.get_catalogue().parameters["aps_repeat_weeks"].review == "verified"
    # On to the next entry awaiting review, with the confirmation said.
    assert "/review/" in response["Location"] and "aps_repeat_weeks" not in response["Location"]
    page = lead_client.get(response["Location"]).content.decode()
    assert "Confirmed as verified" in page
    history = lead_client.get(
        entry_url("parameters", "aps_repeat_weeks", show="all")
    ).content.decode()
    assert "Checked against ESHRE 2023." in history


def test_the_note_is_optional(lead_client):
    entry = Parameter.objects.get(code="aps_repeat_weeks")
    lead_client.post(
        entry_url("parameters", "aps_repeat_weeks"), {"status": "verified", "seen": seen(entry)}
    )
    entry.refresh_from_db()
    assert entry.review_status == "verified"


def test_a_review_of_text_changed_meanwhile_is_refused(lead_client, lead):
    entry = Parameter.objects.get(code="aps_repeat_weeks")
    opened = seen(entry)
    entry.description = "Changed by a colleague."
    entry.save()
    response = lead_client.post(
        entry_url("parameters", "aps_repeat_weeks"),
        {"status": "verified", "seen": opened},
        follow=True,
    )
    assert "changed this entry after you opened it" in response.content.decode()
    entry.refresh_from_db()
    assert entry.review_status == "pending_review"
    assert not ReviewRecord.objects.filter(code="aps_repeat_weeks").exists()


def test_previous_and_next_walk_the_queue(lead_client):
    response = lead_client.get(reverse("evidence:review_queue"))
    first, second = response.context["page"].object_list[:2]
    page = lead_client.get(entry_url(first.kind, first.code))
    assert page.context["previous"] is None
    assert page.context["next"] == entry_url(second.kind, second.code)
    back = lead_client.get(entry_url(second.kind, second.code))
    assert back.context["previous"] == entry_url(first.kind, first.code)
    assert "Entry 2 of" in back.content.decode()


def test_an_unknown_entry_is_not_found(lead_client):
    assert lead_client.get(entry_url("parameters", "nothing")).status_code == 404
    assert lead_client.get(entry_url("potions", "rif_threshold")).status_code == 404


@pytest.mark.parametrize("who", ["clinician_client", "coordinator_client", "stranger_client"])
def test_only_the_lead_reviews(request, who):
    client = request.getfixturevalue(who)
    entry = Parameter.objects.get(code="aps_repeat_weeks")
    assert client.get(reverse("evidence:review_queue")).status_code == 403
    response = client.post(
        entry_url("parameters", "aps_repeat_weeks"), {"status": "verified", "seen": seen(entry)}
    )
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.review_status == "pending_review"


def test_anonymous_visitors_are_sent_to_sign_in(client, loaded_catalogue):
    response = client.get(reverse("evidence:review_queue"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_admin_links_to_the_review_screen(lead_client):
    entry = Parameter.objects.get(code="aps_repeat_weeks")
    page = lead_client.get(
        reverse("admin:evidence_parameter_change", args=[entry.pk])
    ).content.decode()
    assert entry_url("parameters", "aps_repeat_weeks") in page


def test_the_admin_index_links_to_the_review_screen(lead_client):
    page = lead_client.get(reverse("admin:index")).content.decode()
    assert reverse("evidence:review_queue") in page


@pytest.mark.parametrize("kind", sorted(ENTRY_MODELS))
def test_every_kind_of_catalogue_entry_opens_on_the_review_screen(lead_client, kind):
    entry = ENTRY_MODELS[kind].objects.filter(retired=False).first()
    response = lead_client.get(entry_url(kind, entry.code))
    assert response.status_code == 200
    assert entry.name in response.content.decode()


def test_a_statement_the_engine_says_is_marked_as_needed(lead_client):
    page = lead_client.get(entry_url("statements", "lugano_caution")).content.decode()
    assert "cannot work without it" in page
