"""The start page per role, the top-bar patient search, the 403 and 404 pages (issue 12)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse

from tests.conftest import make_user
from tests.factories import make_patient, make_workup
from workup.clinic.models import ChecklistStep, WorkUp
from workup.clinic.views.home import PAGE_SIZE, open_workups_of

pytestmark = pytest.mark.django_db

RIF = {"age": 36, "failed_transfers": 3}
EARLY = {"age": 36, "failed_transfers": 1}


def workups_for(clinician, count, facts=RIF):
    start = date(2026, 1, 1)
    return [
        make_workup(clinician=clinician, facts=facts, workup_date=start + timedelta(days=n))
        for n in range(count)
    ]


# --- the clinician ---------------------------------------------------------------------------


def test_a_clinician_sees_their_open_work_ups_with_label_and_progress(
    clinician_client, clinician, other_clinician
):
    rif = make_workup(clinician=clinician, facts=RIF, patient=make_patient(name="Rhea Early"))
    early = make_workup(clinician=clinician, facts=EARLY, patient=make_patient(name="Ivy Late"))
    make_workup(clinician=other_clinician, facts=RIF, patient=make_patient(name="Not Mine"))
    signed = make_workup(clinician=clinician, facts=RIF, patient=make_patient(name="Sig Ned"))
    WorkUp.objects.filter(pk=signed.pk).update(status=WorkUp.Status.SIGNED)
    response = clinician_client.get("/")
    page = response.content.decode()
    assert "Rhea Early" in page and "Ivy Late" in page
    assert "Not Mine" not in page and "Sig Ned" not in page
    rows = {row["workup"].pk: row for row in response.context["rows"]}
    assert rows[rif.pk]["rif"]["label"] == "rif" and rows[early.pk]["rif"]["label"] == "not_yet"
    assert "▲</span> RIF" in page and "Too early to label RIF" in page
    assert rows[rif.pk]["total"] > 0
    assert f"{rows[rif.pk]['done']}/{rows[rif.pk]['total']}" in page


def test_results_awaiting_my_findings_are_shown_and_counted(clinician_client, clinician):
    workup = make_workup(clinician=clinician, facts=RIF)
    ChecklistStep.objects.filter(workup=workup, code="thyroid").update(
        status=ChecklistStep.Status.AWAITING_FINDINGS
    )
    response = clinician_client.get("/")
    assert response.context["awaiting_total"] == 1
    row = response.context["rows"][0]
    assert row["awaiting"] and "hyroid" in row["awaiting"][0]
    assert "Awaiting my findings" in response.content.decode()


def test_the_list_is_newest_first_and_paginated(clinician_client, clinician):
    made = workups_for(clinician, PAGE_SIZE + 3)
    first = clinician_client.get("/")
    shown = [row["workup"].pk for row in first.context["rows"]]
    assert shown == [w.pk for w in reversed(made)][:PAGE_SIZE]
    second = clinician_client.get("/?page=2")
    assert len(second.context["rows"]) == 3
    assert "Page 2 of 2" in second.content.decode()


@pytest.mark.parametrize("count", [3, PAGE_SIZE + 5])
def test_the_home_page_reads_a_fixed_number_of_queries(
    clinician_client, clinician, count, django_assert_max_num_queries
):
    workups = workups_for(clinician, count)
    for workup in workups[-3:]:
        ChecklistStep.objects.filter(workup=workup, code="thyroid").update(
            status=ChecklistStep.Status.AWAITING_FINDINGS
        )
    clinician_client.get("/")  # warm the parsed catalogue, as any running server has
    with django_assert_max_num_queries(11):
        clinician_client.get("/")


def test_the_home_list_is_read_in_index_order(clinician):
    """The page is a walk along workup_home_idx: no sort of all open work-ups."""
    query = open_workups_of(clinician)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
        assert "workup_home_idx" in plan and "Sort" not in plan, plan
    else:
        plan = query.explain()
        assert "workup_home_idx" in plan and "TEMP B-TREE" not in plan, plan


# --- the coordinator and the lead ------------------------------------------------------------


def test_a_coordinator_lands_on_the_queue_with_its_counts(coordinator_client):
    response = coordinator_client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("coordination:queue")
    page = coordinator_client.get("/", follow=True).content.decode()
    assert "Overdue" in page


def test_the_lead_sees_what_awaits_review_and_the_latest_changes(lead_client, clinician):
    make_workup(clinician=clinician, facts=RIF, patient=make_patient(mrn="HOME-0001"))
    response = lead_client.get("/")
    page = response.content.decode()
    assert "Awaiting your review" in page
    assert response.context["review_counts"]["total"] > 0
    assert reverse("evidence:review_queue") in page
    assert "Latest changes" in page and "HOME-0001" in page
    assert reverse("audit:changes") in page


def test_the_lead_home_says_when_the_stored_catalogue_is_broken(lead_client):
    from workup.evidence import store
    from workup.evidence.models import Parameter

    Parameter.objects.filter(code="rif_threshold").delete()
    store.rebuild_snapshot()
    page = lead_client.get("/").content.decode()
    assert "The stored catalogue has a problem" in page and "rif_threshold" in page


# --- search, 403, 404 ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["clinician_client", "coordinator_client", "lead_client"])
def test_the_patient_search_is_in_the_top_bar_of_every_page(request, who):
    client = request.getfixturevalue(who)
    for url in (reverse("clinic:patient_list"), reverse("accounts:tokens")):
        page = client.get(url).content.decode()
        assert 'id="nav-q"' in page and 'action="/patients/"' in page


def test_the_top_bar_search_finds_by_mrn_or_name(clinician_client):
    make_patient(mrn="FIND-0042", name="Orla Search")
    by_mrn = clinician_client.get("/patients/?q=find-0042").content.decode()
    by_name = clinician_client.get("/patients/?q=orla").content.decode()
    assert "Orla Search" in by_mrn and "FIND-0042" in by_name


def test_a_user_without_a_role_gets_a_page_that_says_why(stranger_client):
    response = stranger_client.get("/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "You may not open this page" in page and "has no role yet" in page
    assert "Sign out" in page
    assert "app.css" in page  # the app's page, not Django's bare one


def test_a_forbidden_page_names_the_role_and_leads_back(coordinator_client):
    response = coordinator_client.get(reverse("audit:changes"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Your role (coordinator) does not include this" in page
    assert 'href="/"' in page and "Go to your start page" in page


def test_a_missing_page_says_so_and_offers_the_search(clinician_client):
    response = clinician_client.get("/workups/999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This page does not exist" in page and 'id="notfound-q"' in page
    assert "Nothing is recorded under this number" in page and "WorkUp" not in page
    assert clinician_client.get("/nowhere/").status_code == 404


def test_the_api_keeps_json_errors(clinician, client, loaded_catalogue):
    from workup.accounts.models import ApiToken

    _, key = ApiToken.issue(user=clinician, name="test")
    headers = {"Authorization": f"Bearer {key}"}
    response = client.get("/api/workups/999999", headers=headers)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "errors" in response.json()
    stranger = make_user("nobody-api")
    _, other = ApiToken.issue(user=stranger, name="test")
    response = client.get(
        f"/api/workups/{make_workup(clinician=clinician).pk}",
        headers={"Authorization": f"Bearer {other}"},
    )
    assert response.status_code == 403 and "errors" in response.json()
