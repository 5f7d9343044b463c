"""Bulk actions on the queue: schedule, due date, assign, awaiting findings, back to pending."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied

from tests.conftest import make_user
from workup.clinic.models import ChecklistStep
from workup.coordination import services

from .conftest import day

QUEUE = "/coordinator/"
Status = ChecklistStep.Status


def ticks(*steps):
    return [f"{s.pk}:{s.version}" for s in steps]


def fresh(*steps):
    return [ChecklistStep.objects.get(pk=s.pk) for s in steps]


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def two(case):
    """Two open steps on two work-ups."""
    first = case(mrn="SYN-0001", steps={"hysteroscopy": {"due_date": day(-4)}})["hysteroscopy"]
    second = case(mrn="SYN-0002", steps={"hysteroscopy": {"due_date": day(3)}})["hysteroscopy"]
    return first, second


@pytest.mark.django_db
def test_a_coordinator_schedules_several_steps_at_once(coordinator_client, coordinator, two):
    booked = day(10)
    response = coordinator_client.post(
        f"{QUEUE}?step=hysteroscopy&page=1",
        {"action": "schedule", "date": booked.isoformat(), "steps": ticks(*two)},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?step=hysteroscopy&page=1"
    assert messages_of(response) == [f"Scheduled 2 steps for {booked:%-d %b %Y}."]
    for step in fresh(*two):
        assert step.status == Status.SCHEDULED
        assert step.scheduled_for == booked
        assert step.version == 2
        latest = step.history.first()
        assert latest.history_user == coordinator
        assert latest.history_change_reason == f"Scheduled for {booked.isoformat()}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "action, extra, check",
    [
        ("due", {"date": "DATE+5"}, lambda s, ctx: s.due_date == day(5)),
        ("assign", {"assignee": "CLINICIAN"}, lambda s, ctx: s.assignee == ctx["clinician"]),
        ("awaiting", {}, lambda s, ctx: s.status == Status.AWAITING_FINDINGS),
    ],
)
def test_each_action_changes_the_ticked_rows_only(
    coordinator_client, case, clinician, two, action, extra, check
):
    untouched = case(mrn="SYN-0003", steps={"thyroid": {}})["thyroid"]
    data = {"action": action, "steps": ticks(*two)}
    for key, value in extra.items():
        data[key] = {"DATE+5": day(5).isoformat(), "CLINICIAN": clinician.pk}[value]
    response = coordinator_client.post(QUEUE, data)
    assert response.status_code == 302, response.content
    for step in fresh(*two):
        assert check(step, {"clinician": clinician})
        assert step.version == 2
    (after,) = fresh(untouched)
    assert after.version == 1 and after.status == Status.PENDING and after.assignee is None


@pytest.mark.django_db
def test_removing_the_assignee_and_cancelling_a_booking(coordinator_client, case, clinician):
    step = case(
        steps={
            "hysteroscopy": {
                "assignee": clinician,
                "status": Status.SCHEDULED,
                "scheduled_for": day(4),
            }
        }
    )["hysteroscopy"]
    coordinator_client.post(QUEUE, {"action": "unassign", "steps": ticks(step)})
    (step,) = fresh(step)
    assert step.assignee is None and step.version == 2
    coordinator_client.post(QUEUE, {"action": "pending", "steps": ticks(step)})
    (step,) = fresh(step)
    assert step.status == Status.PENDING and step.scheduled_for is None and step.version == 3


@pytest.mark.django_db
def test_a_clinician_may_use_the_actions_too(clinician_client, clinician, two):
    response = clinician_client.post(
        QUEUE, {"action": "assign", "assignee": clinician.pk, "steps": ticks(*two)}
    )
    assert response.status_code == 302
    assert all(s.assignee == clinician for s in fresh(*two))


@pytest.mark.django_db
def test_a_step_that_already_has_the_value_is_left_alone_and_the_message_says_so(
    coordinator_client, case
):
    waiting = case(mrn="SYN-1", steps={"thyroid": {"status": Status.AWAITING_FINDINGS}})["thyroid"]
    pending = case(mrn="SYN-2", steps={"thyroid": {}})["thyroid"]
    response = coordinator_client.post(
        QUEUE, {"action": "awaiting", "steps": ticks(waiting, pending)}
    )
    assert messages_of(response) == [
        "Marked 1 step: result received, awaiting findings. "
        "1 step was already so and was left as it was."
    ]
    waiting, pending = fresh(waiting, pending)
    assert waiting.version == 1 and waiting.history.count() == 1
    assert pending.version == 2


# --- stale edits ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_edit_made_on_an_old_page_is_refused_and_names_what_changed(
    coordinator_client, two, other_clinician, clinician
):
    first, second = two
    seen = ticks(first, second)  # the coordinator's page is drawn now
    # Meanwhile a clinician gives the first step to a colleague.
    services.assign_steps(
        selection={first.pk: first.version}, user=clinician, assignee=other_clinician
    )
    response = coordinator_client.post(f"{QUEUE}?overdue=on", {"action": "awaiting", "steps": seen})
    assert response.status_code == 302 and response["Location"] == f"{QUEUE}?overdue=on"
    (message,) = messages_of(response)
    assert message.startswith("Nothing was saved.")
    assert "SYN-0001 · Hysteroscopy was changed by Alice Test" in message
    assert "assignee none → Bianca Test" in message
    first, second = fresh(first, second)
    assert first.status == Status.PENDING and first.assignee == other_clinician
    assert second.status == Status.PENDING and second.version == 1  # nothing half-done


@pytest.mark.django_db
def test_a_step_the_engine_closed_meanwhile_is_refused(coordinator_client, two):
    first, second = two
    seen = ticks(first, second)
    ChecklistStep.objects.filter(pk=first.pk).update(status=Status.DONE)  # findings recorded
    response = coordinator_client.post(
        QUEUE, {"action": "due", "date": day(9).isoformat(), "steps": seen}
    )
    (message,) = messages_of(response)
    assert "SYN-0001 · Hysteroscopy is now done: only open steps can be changed here" in message
    assert fresh(second)[0].due_date == day(3)


@pytest.mark.django_db
def test_a_step_that_no_longer_exists_is_refused(coordinator_client, two):
    first, second = two
    seen = ticks(first, second)
    ChecklistStep.objects.filter(pk=first.pk).delete()
    response = coordinator_client.post(QUEUE, {"action": "awaiting", "steps": seen})
    assert "1 selected step no longer exists" in messages_of(response)[0]
    assert fresh(second)[0].status == Status.PENDING


@pytest.mark.django_db
def test_scheduling_a_step_whose_result_is_in_is_refused_by_name(coordinator_client, case):
    step = case(mrn="SYN-9", steps={"thyroid": {"status": Status.AWAITING_FINDINGS}})["thyroid"]
    response = coordinator_client.post(
        QUEUE, {"action": "schedule", "date": day(2).isoformat(), "steps": ticks(step)}
    )
    (message,) = messages_of(response)
    assert "SYN-9 · Thyroid: TSH and TPO antibodies: its result is already in" in message
    assert fresh(step)[0].status == Status.AWAITING_FINDINGS


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, expected",
    [
        ({"action": "schedule", "date": day(3).isoformat()}, "Rows: Select at least one row"),
        (
            {"action": "schedule", "date": "20/03/2026", "steps": "TICKS"},
            "Date: Enter the date as YYYY-MM-DD",
        ),
        ({"action": "schedule", "steps": "TICKS"}, "Date: Give the booking date"),
        ({"action": "due", "steps": "TICKS"}, "Date: Give the new due date"),
        ({"action": "schedule", "date": day(-1).isoformat(), "steps": "TICKS"}, "is in the past"),
        ({"action": "due", "date": day(3000).isoformat(), "steps": "TICKS"}, "check the year"),
        ({"action": "assign", "steps": "TICKS"}, "Assignee: Choose who takes the selected steps."),
        (
            {"action": "assign", "assignee": "STRANGER", "steps": "TICKS"},
            "Assignee: Sam Test cannot take checklist steps",
        ),
        (
            {"action": "assign", "assignee": "LEAD", "steps": "TICKS"},
            "Assignee: Lena Test cannot take checklist steps",
        ),
        (
            {"action": "assign", "assignee": "999999", "steps": "TICKS"},
            "Assignee: That person does not exist.",
        ),
        ({"steps": "TICKS"}, "Action: Choose what to do with the selected rows."),
        ({"action": "explode", "steps": "TICKS"}, "Action: Select a valid choice."),
        ({"action": "awaiting", "steps": "12;drop"}, "Rows: The selected rows could not be read"),
    ],
)
def test_bad_input_is_named_by_its_field_and_changes_nothing(
    coordinator_client, two, stranger, lead, data, expected
):
    data = dict(data)
    if data.get("steps") == "TICKS":
        data["steps"] = ticks(*two)
    if data.get("assignee") in ("STRANGER", "LEAD"):
        data["assignee"] = {"STRANGER": stranger, "LEAD": lead}[data["assignee"]].pk
    response = coordinator_client.post(f"{QUEUE}?step=hysteroscopy", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was changed" in html
    assert expected in html
    for before, after in zip(two, fresh(*two), strict=True):
        assert (after.status, after.version, after.due_date, after.assignee_id) == (
            Status.PENDING,
            1,
            before.due_date,
            None,
        )
        assert after.history.count() == 1


@pytest.mark.django_db
def test_a_refused_form_keeps_the_ticked_rows_and_the_filters(coordinator_client, two):
    first, second = two
    response = coordinator_client.post(
        f"{QUEUE}?step=hysteroscopy", {"action": "schedule", "steps": ticks(first)}
    )
    html = response.content.decode()
    assert f'value="{first.pk}:1" id="tick-{first.pk}" checked' in html
    assert f'value="{second.pk}:1" id="tick-{second.pk}">' in html
    assert 'action="/coordinator/?step=hysteroscopy"' in html


# --- the services on their own --------------------------------------------------------------


@pytest.mark.django_db
def test_only_people_who_manage_steps_may_change_them(two, lead):
    first, _ = two
    with pytest.raises(PermissionDenied):
        services.mark_awaiting_findings(selection={first.pk: first.version}, user=lead)


@pytest.mark.django_db
def test_a_step_is_never_given_to_someone_who_cannot_take_it(two, coordinator, stranger):
    first, _ = two
    with pytest.raises(ValueError, match="cannot take checklist steps"):
        services.assign_steps(
            selection={first.pk: first.version}, user=coordinator, assignee=stranger
        )


@pytest.mark.django_db
def test_an_inactive_person_cannot_be_given_steps(coordinator_client, two):
    gone = make_user("gina", "coordinator", is_active=False)
    response = coordinator_client.post(
        QUEUE, {"action": "assign", "assignee": gone.pk, "steps": ticks(*two)}
    )
    assert response.status_code == 200
    assert "Gina Test cannot take checklist steps" in response.content.decode()


@pytest.mark.django_db
def test_the_history_names_who_changed_what(coordinator_client, coordinator, two):
    first, _ = two
    coordinator_client.post(
        QUEUE, {"action": "due", "date": day(12).isoformat(), "steps": ticks(first)}
    )
    new, old = first.history.all()[:2]
    delta = new.diff_against(old)
    assert {c.field for c in delta.changes} == {"due_date", "version"}
    assert new.history_user == coordinator
