"""/coordinator/: who sees it, what it lists, in which order, with which filters and counts."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import make_user
from workup.clinic.models import ChecklistStep

from .conftest import day, make_case

QUEUE = "/coordinator/"
Status = ChecklistStep.Status


def mrns(response):
    return [row.patient.mrn for row in response.context["rows"]]


def codes(response):
    return [(row.patient.mrn, row.step.code) for row in response.context["rows"]]


# --- who may see what ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", [QUEUE, "/coordinator/export.csv", "/my-queue/"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/accounts/login/?next={url}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, url, status",
    [
        ("coordinator", QUEUE, 200),
        ("coordinator", "/coordinator/export.csv", 200),
        ("coordinator", "/my-queue/", 403),
        ("clinician", QUEUE, 200),
        ("clinician", "/coordinator/export.csv", 403),
        ("clinician", "/my-queue/", 200),
        ("lead", QUEUE, 200),
        ("lead", "/coordinator/export.csv", 403),
        ("lead", "/my-queue/", 403),
        (None, QUEUE, 403),
        (None, "/coordinator/export.csv", 403),
        (None, "/my-queue/", 403),
    ],
)
def test_each_role_reaches_only_its_pages(client, loaded_catalogue, role, url, status):
    client.force_login(make_user("someone", role))
    assert client.get(url).status_code == status


@pytest.mark.django_db
@pytest.mark.parametrize("role, status", [("lead", 403), (None, 403)])
def test_a_role_without_step_management_cannot_post_actions(
    client, case, coordinator, role, status
):
    step = case(steps={"hysteroscopy": {}})["hysteroscopy"]
    client.force_login(make_user("someone", role))
    response = client.post(QUEUE, {"action": "awaiting", "steps": f"{step.pk}:{step.version}"})
    assert response.status_code == status
    step.refresh_from_db()
    assert step.status == Status.PENDING


@pytest.mark.django_db
def test_an_anonymous_post_is_sent_to_the_login_page_and_changes_nothing(client, case):
    step = case(steps={"hysteroscopy": {}})["hysteroscopy"]
    response = client.post(QUEUE, {"action": "awaiting", "steps": f"{step.pk}:{step.version}"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    step.refresh_from_db()
    assert step.status == Status.PENDING


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who, sees_actions, sees_export",
    [("coordinator", True, True), ("clinician", True, False), ("lead", False, False)],
)
def test_the_page_offers_only_what_the_role_may_do(
    client, case, request, who, sees_actions, sees_export
):
    case(steps={"hysteroscopy": {}})
    client.force_login(request.getfixturevalue(who))
    html = client.get(QUEUE).content.decode()
    assert ('name="steps"' in html) is sees_actions
    assert ("Change the ticked rows" in html) is sees_actions
    assert ("Export CSV" in html) is sees_export
    assert ("/coordinator/export.csv" in html) is sees_export


@pytest.mark.django_db
def test_a_coordinator_gets_no_finding_sign_or_counselling_controls(coordinator_client, case):
    case(steps={"hysteroscopy": {}})
    html = coordinator_client.get(QUEUE).content.decode()
    post_targets = re.findall(r'<form[^>]*method="post"[^>]*action="([^"]*)"', html)
    # The only forms that write: this queue's action bar, signing out and the user's language.
    assert sorted(t.split("?")[0] for t in post_targets) == [
        "/accounts/logout/",
        QUEUE,
        "/i18n/setlang/",
    ]
    for word in ("Record findings", "Sign the work-up", "Counselling"):
        assert word not in html


@pytest.mark.django_db
def test_a_coordinator_cannot_create_a_work_up_through_the_api(coordinator_client):
    body = {"patient": {"mrn": "SYN-1", "name": "A B", "birth_date": "1990-01-01"}, "facts": {}}
    response = coordinator_client.post(
        "/api/workups", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 403


# --- what it lists --------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_shows_one_row_per_open_step_with_what_a_coordinator_needs(
    coordinator_client, case, coordinator, loaded_catalogue
):
    steps = case(
        mrn="SYN-0042",
        name="Ada Synthetic",
        steps={
            "hysteroscopy": {
                "due_date": day(-3),
                "status": Status.SCHEDULED,
                "scheduled_for": day(2),
                "assignee": coordinator,
            },
            "thyroid": {},
        },
    )
    response = coordinator_client.get(QUEUE)
    assert sorted(codes(response)) == [("SYN-0042", "hysteroscopy"), ("SYN-0042", "thyroid")]
    html = response.content.decode()
    workup_id = steps["hysteroscopy"].workup_id
    assert f'href="/workups/{workup_id}/#step-hysteroscopy"' in html
    assert "Ada Synthetic" in html
    assert loaded_catalogue.investigations["hysteroscopy"].name in html
    assert loaded_catalogue.investigations["thyroid"].name in html
    assert "Uterus" in html and "General" in html
    assert "Scheduled" in html and "booked" in html
    assert "<strong>3 days</strong>" in html
    assert "Carol Test" in html  # the assignee
    assert "Alice Test" in html  # the responsible clinician


@pytest.mark.django_db
def test_steps_that_are_done_or_not_indicated_are_not_listed(coordinator_client, case):
    steps = case(steps={"hysteroscopy": {}, "thyroid": {}, "karyotype": {}})
    ChecklistStep.objects.filter(pk=steps["thyroid"].pk).update(status=Status.DONE)
    ChecklistStep.objects.filter(pk=steps["karyotype"].pk).update(status=Status.NOT_INDICATED)
    response = coordinator_client.get(QUEUE)
    assert [code for _, code in codes(response)] == ["hysteroscopy"]


@pytest.mark.django_db
def test_it_lists_overdue_steps_first_most_overdue_first_then_by_due_date(coordinator_client, case):
    case(mrn="NO-DATE", steps={"hysteroscopy": {"due_date": None}})
    case(mrn="LATER", steps={"hysteroscopy": {"due_date": day(20)}})
    case(mrn="LATE-2", steps={"hysteroscopy": {"due_date": day(-2)}})
    case(mrn="TODAY", steps={"hysteroscopy": {"due_date": day(0)}})
    case(mrn="LATE-30", steps={"hysteroscopy": {"due_date": day(-30)}})
    case(mrn="SOON", steps={"hysteroscopy": {"due_date": day(3)}})
    response = coordinator_client.get(QUEUE)
    assert mrns(response) == ["LATE-30", "LATE-2", "TODAY", "SOON", "LATER", "NO-DATE"]
    days = [row.days_overdue for row in response.context["rows"]]
    assert days == [30, 2, 0, 0, 0, 0]


# --- filters --------------------------------------------------------------------------------


@pytest.fixture
def varied(case, clinician, other_clinician, coordinator):
    """Five rows that differ in one filterable respect each."""
    case(
        mrn="A-HYST",
        name="Ada Alder",
        steps={"hysteroscopy": {"due_date": day(-5), "assignee": coordinator}},
    )
    case(
        mrn="B-THYR",
        name="Bea Birch",
        steps={"thyroid": {"due_date": day(2), "status": Status.SCHEDULED}},
    )
    case(
        mrn="C-KARY",
        name="Cleo Crane",
        clinician=other_clinician,
        steps={"karyotype": {"due_date": day(6), "assignee": clinician}},
    )
    case(
        mrn="D-AMH",
        name="Dora Dale",
        steps={"ovarian_reserve": {"due_date": day(7), "status": Status.AWAITING_FINDINGS}},
    )
    case(mrn="E-PGTA", name="Eve Elm", steps={"pgta": {"due_date": None}})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, expected",
    [
        ("", ["A-HYST", "B-THYR", "C-KARY", "D-AMH", "E-PGTA"]),
        ("status=scheduled", ["B-THYR"]),
        ("status=awaiting_findings", ["D-AMH"]),
        ("status=pending", ["A-HYST", "C-KARY", "E-PGTA"]),
        ("pillar=uterus", ["A-HYST"]),
        ("pillar=general", ["B-THYR", "C-KARY"]),
        ("pillar=embryo", ["E-PGTA"]),
        ("step=karyotype", ["C-KARY"]),
        ("step=ovarian_reserve", ["D-AMH"]),
        ("assignee=me", ["A-HYST"]),
        ("assignee=unassigned", ["B-THYR", "D-AMH", "E-PGTA"]),
        ("overdue=on", ["A-HYST"]),
        ("overdue=1", ["A-HYST"]),
        # Seven days from today: today + 6 is in, today + 7 is not.
        ("due_week=on", ["B-THYR", "C-KARY"]),
        ("q=b-thyr", ["B-THYR"]),
        ("q=CLEO", ["C-KARY"]),
        ("q=dale", ["D-AMH"]),
        ("q=nobody-called-this", []),
        ("step=hysteroscopy&overdue=on&assignee=me", ["A-HYST"]),
        ("pillar=general&status=pending", ["C-KARY"]),
    ],
)
def test_each_filter_narrows_the_list(coordinator_client, varied, query, expected):
    response = coordinator_client.get(f"{QUEUE}?{query}")
    assert response.status_code == 200
    assert mrns(response) == expected


@pytest.mark.django_db
def test_the_clinician_and_assignee_filters_take_a_person(
    coordinator_client, varied, clinician, other_clinician
):
    assert mrns(coordinator_client.get(f"{QUEUE}?clinician={other_clinician.pk}")) == ["C-KARY"]
    assert mrns(coordinator_client.get(f"{QUEUE}?assignee={clinician.pk}")) == ["C-KARY"]
    assert len(mrns(coordinator_client.get(f"{QUEUE}?clinician={clinician.pk}"))) == 4


@pytest.mark.django_db
def test_assignee_me_means_the_person_signed_in(client, varied, clinician):
    client.force_login(clinician)
    assert mrns(client.get(f"{QUEUE}?assignee=me")) == ["C-KARY"]


@pytest.mark.django_db
def test_the_filter_bar_keeps_the_chosen_filters(coordinator_client, varied):
    html = coordinator_client.get(f"{QUEUE}?step=hysteroscopy&overdue=on&q=ada").content.decode()
    assert re.search(r'<option value="hysteroscopy" selected>', html)
    assert re.search(r'name="overdue"[^>]*checked', html)
    assert 'value="ada"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, field",
    [("status=done", "Status"), ("assignee=999999", "Assignee"), ("pillar=liver", "Pillar")],
)
def test_a_filter_it_does_not_understand_is_named_and_left_out(
    coordinator_client, varied, query, field
):
    response = coordinator_client.get(f"{QUEUE}?{query}&step=hysteroscopy")
    html = response.content.decode()
    assert "These filters were not understood" in html
    assert f"{field}: Select a valid choice" in html
    assert mrns(response) == ["A-HYST"]  # the filters that were understood still apply


@pytest.mark.django_db
def test_every_control_of_the_filter_bar_has_a_label(coordinator_client, varied):
    html = coordinator_client.get(QUEUE).content.decode()
    form = html.split('id="queue-filters"')[1].split("</form>")[0]
    ids = re.findall(r'<(?:input|select)[^>]*id="([^"]+)"', form)
    assert ids
    for control in ids:
        assert f'for="{control}"' in form, control


# --- counts ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_counts_cover_every_open_step_without_filters(coordinator_client, varied):
    counts = coordinator_client.get(QUEUE).context["counts"]
    assert counts["total"] == 5
    assert counts["overdue"] == 1
    assert counts["due_week"] == 2
    assert counts["no_due_date"] == 1
    assert counts["unassigned"] == 3
    assert counts["by_status"] == {"pending": 3, "scheduled": 1, "awaiting_findings": 1}
    assert counts["by_pillar"] == {"general": 2, "embryo": 1, "uterus": 1, "stimulation": 1}


@pytest.mark.django_db
def test_the_counts_follow_the_filters_and_say_so(coordinator_client, varied):
    response = coordinator_client.get(f"{QUEUE}?pillar=general")
    counts = response.context["counts"]
    assert counts["total"] == 2
    assert counts["by_status"] == {"pending": 1, "scheduled": 1, "awaiting_findings": 0}
    assert counts["by_pillar"]["uterus"] == 0
    assert "match the filters" in response.content.decode()


@pytest.mark.django_db
def test_a_count_chip_narrows_the_list_and_keeps_the_other_filters(coordinator_client, varied):
    html = coordinator_client.get(f"{QUEUE}?pillar=general&page=1").content.decode()
    assert 'href="?pillar=general&amp;status=scheduled"' in html
    assert 'href="?pillar=general&amp;overdue=1"' in html
    # The active chip takes its filter off again.
    active = re.search(r'<a class="chip active" href="([^"]*)" aria-current="true">General', html)
    assert active and active.group(1) == "?"


# --- pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_shows_fifty_rows_a_page_and_keeps_the_filters_in_the_page_links(
    coordinator_client, case, loaded_catalogue
):
    codes_ = list(loaded_catalogue.investigations)[:12]
    for n in range(5):  # 60 open steps, all overdue by one day or more
        case(mrn=f"P-{n}", steps={c: {"due_date": day(-1 - n)} for c in codes_})
    first = coordinator_client.get(f"{QUEUE}?overdue=on")
    assert len(first.context["rows"]) == 50
    html = first.content.decode()
    assert "Page 1 of 2" in html
    assert 'href="?overdue=on&amp;page=2"' in html
    second = coordinator_client.get(f"{QUEUE}?overdue=on&page=2")
    assert len(second.context["rows"]) == 10
    assert "Rows 51–60 of 60" in second.content.decode()
    seen = {r.step.pk for r in first.context["rows"]} | {r.step.pk for r in second.context["rows"]}
    assert len(seen) == 60


# --- speed ----------------------------------------------------------------------------------


def _make_open_steps(clinician, coordinator, count):
    workups = 0
    while ChecklistStep.objects.open().count() < count:
        steps = make_case(
            clinician=clinician,
            mrn=f"Q-{workups:04d}",
            steps={
                c: {"due_date": day(workups - 8), "assignee": coordinator if workups % 2 else None}
                for c in ("hysteroscopy", "thyroid", "karyotype", "pgta", "ovarian_reserve")
            },
        )
        assert len(steps) == 5
        workups += 1
    assert ChecklistStep.objects.open().count() == count


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [10, 200])
def test_the_number_of_queries_does_not_grow_with_the_rows(
    coordinator_client, clinician, coordinator, django_assert_max_num_queries, rows
):
    _make_open_steps(clinician, coordinator, rows)
    for query in ("", "?overdue=on&pillar=uterus", "?q=Q-00&assignee=me&status=pending"):
        with django_assert_max_num_queries(12):
            response = coordinator_client.get(QUEUE + query)
        assert response.status_code == 200
        assert response.context["rows"], query
    assert len(coordinator_client.get(QUEUE).context["rows"]) == min(rows, 50)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["coordinator", "clinician", "lead"])
def test_no_two_controls_share_an_id_so_every_label_finds_its_control(client, varied, request, who):
    client.force_login(request.getfixturevalue(who))
    html = client.get(QUEUE).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.django_db
def test_every_described_control_points_at_text_on_the_page(coordinator_client, varied):
    html = coordinator_client.get(QUEUE).content.decode()
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    for refs in re.findall(r'aria-(?:describedby|labelledby|controls)="([^"]+)"', html):
        assert set(refs.split()) <= ids, refs
