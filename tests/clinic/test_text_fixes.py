"""Small texts from issue 12: names, one date format, PPOS, plurals."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_workup
from workup.clinic.history import day, day_and_time, workup_history
from workup.clinic.models import AddonRequest, StimulationCycle
from workup.clinic.presenters import cycle_words, load_workup

pytestmark = pytest.mark.django_db


def counsel(request, *, counsellor, author):
    request.outcome = AddonRequest.Outcome.DECLINED
    request.counselled_by = counsellor
    request.counselled_at = timezone.now()
    request._history_user = author
    request.save()


def test_recent_changes_name_the_counsellor(clinician_client, clinician, other_clinician):
    workup = make_workup(clinician=clinician, facts={"age": 36, "addons_requested": ["ivig"]})
    counsel(AddonRequest.objects.get(workup=workup), counsellor=other_clinician, author=clinician)
    page = clinician_client.get(reverse("clinic:workup_detail", args=[workup.pk]))
    text = page.content.decode()
    assert "Counselled by: — → Bianca Test" in text
    assert "a colleague" not in text


def test_the_names_cost_no_query_when_the_page_has_them(
    clinician, other_clinician, loaded_catalogue, django_assert_num_queries
):
    workup = make_workup(clinician=clinician, facts={"age": 36, "addons_requested": ["ivig"]})
    counsel(AddonRequest.objects.get(workup=workup), counsellor=other_clinician, author=clinician)
    loaded = load_workup(workup.pk)
    with django_assert_num_queries(2):  # the findings' and the add-on requests' history
        changes = workup_history(loaded, loaded_catalogue, clinical_only=True)
    assert any("Bianca Test" in line for c in changes for line in c.lines)


def test_the_full_history_names_people_too(clinician, other_clinician, loaded_catalogue):
    workup = make_workup(clinician=clinician, facts={"age": 36, "addons_requested": ["ivig"]})
    counsel(AddonRequest.objects.get(workup=workup), counsellor=other_clinician, author=clinician)
    changes = workup_history(workup, loaded_catalogue)
    lines = [line for c in changes for line in c.lines]
    assert any("Bianca Test" in line for line in lines)
    assert not any("a colleague" in line for line in lines)


def test_history_dates_have_one_format_without_a_leading_zero():
    assert day(date(2026, 10, 1)) == "1 Oct 2026"
    moment = timezone.make_aware(datetime(2026, 10, 1, 9, 5))
    assert day_and_time(moment) == "1 Oct 2026 09:05"


def test_ppos_reads_in_capitals():
    assert dict(StimulationCycle._meta.get_field("protocol").choices)["ppos"] == "PPOS"
    cycle = StimulationCycle(sequence=1, oocytes=4, protocol="ppos")
    assert "PPOS" in cycle_words(cycle) and "Ppos" not in cycle_words(cycle)
    antagonist = StimulationCycle(sequence=1, oocytes=4, protocol="antagonist")
    assert "antagonist" in cycle_words(antagonist)


def test_admin_messages_count_in_words(lead_client):
    from workup.evidence.models import AddOn

    entry = AddOn.objects.get(code="ivig")
    response = lead_client.post(
        reverse("admin:evidence_addon_changelist"),
        {"action": "retire_selected", "_selected_action": [entry.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "Retired 1 entry." in page and "1 entries" not in page
