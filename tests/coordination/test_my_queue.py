"""/my-queue/: what waits for a clinician: results awaiting their findings, steps given to them."""

from __future__ import annotations

import pytest

from workup.clinic.models import ChecklistStep

from .conftest import day

MY_QUEUE = "/my-queue/"
Status = ChecklistStep.Status


def listed(response):
    return [(row.patient.mrn, row.step.code) for row in response.context["rows"]]


@pytest.fixture
def mixed(case, clinician, other_clinician, coordinator):
    waiting = {"status": Status.AWAITING_FINDINGS}
    case(mrn="MINE-WAITING", steps={"thyroid": {**waiting, "due_date": day(2)}})
    case(mrn="MINE-PENDING", steps={"thyroid": {"due_date": day(-9)}})
    case(mrn="MINE-GIVEN-AWAY", steps={"thyroid": {**waiting, "assignee": coordinator}})
    case(
        mrn="THEIRS-WAITING",
        clinician=other_clinician,
        steps={"thyroid": {**waiting, "due_date": day(-1)}},
    )
    case(
        mrn="THEIRS-ASSIGNED-TO-ME",
        clinician=other_clinician,
        steps={"hysteroscopy": {"assignee": clinician, "due_date": day(-4)}},
    )
    mine_done = case(mrn="MINE-DONE", steps={"thyroid": waiting})["thyroid"]
    ChecklistStep.objects.filter(pk=mine_done.pk).update(status=Status.DONE)


@pytest.mark.django_db
def test_it_lists_results_awaiting_my_findings_and_steps_assigned_to_me_overdue_first(
    clinician_client, mixed
):
    response = clinician_client.get(MY_QUEUE)
    assert listed(response) == [
        ("THEIRS-ASSIGNED-TO-ME", "hysteroscopy"),
        ("MINE-WAITING", "thyroid"),
        ("MINE-GIVEN-AWAY", "thyroid"),
    ]
    html = response.content.decode()
    assert "Awaiting your findings" in html and "Assigned to you" in html
    counts = response.context["counts"]
    assert (counts["total"], counts["overdue"], counts["by_status"]["awaiting_findings"]) == (
        3,
        1,
        2,
    )


@pytest.mark.django_db
def test_another_clinician_sees_their_own_queue(client, mixed, other_clinician):
    client.force_login(other_clinician)
    assert listed(client.get(MY_QUEUE)) == [("THEIRS-WAITING", "thyroid")]


@pytest.mark.django_db
def test_an_empty_queue_says_so(clinician_client, loaded_catalogue):
    response = clinician_client.get(MY_QUEUE)
    assert "Nothing is waiting for you." in response.content.decode()


@pytest.mark.django_db
def test_the_navigation_links_each_role_to_its_queue(clinician_client, coordinator, client):
    assert 'href="/my-queue/"' in clinician_client.get("/").content.decode()
    client.force_login(coordinator)
    html = client.get("/", follow=True).content.decode()  # a coordinator lands on the queue
    assert 'href="/coordinator/"' in html and 'href="/my-queue/"' not in html


@pytest.mark.django_db
@pytest.mark.parametrize("count", [10, 200])
def test_my_queue_needs_the_same_number_of_queries_at_any_size(
    clinician_client, case, clinician, django_assert_max_num_queries, count
):
    codes = ["thyroid", "hysteroscopy", "karyotype", "pgta", "ovarian_reserve"]
    for n in range(count // 5):
        case(steps={c: {"assignee": clinician, "due_date": day(n - 10)} for c in codes})
    with django_assert_max_num_queries(10):
        response = clinician_client.get(MY_QUEUE)
    assert response.context["counts"]["total"] == count
