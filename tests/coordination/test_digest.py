"""manage.py overdue_digest: assignees get their overdue steps, coordinators the full list."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from tests.conftest import make_user

from .conftest import day


def run(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("overdue_digest", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def mail_to(address):
    (message,) = [m for m in mail.outbox if m.to == [address]]
    return message


@pytest.fixture
def overdue(case, clinician, other_clinician, coordinator):
    clinician.email = "alice@example.org"
    clinician.save()
    coordinator.email = "carol@example.org"
    coordinator.save()
    case(
        mrn="SYN-0001",
        name="Ada Synthetic",
        steps={
            "hysteroscopy": {"due_date": day(-3), "assignee": clinician},
            "thyroid": {"due_date": day(-1), "assignee": other_clinician},  # no email
            "karyotype": {"due_date": day(2), "assignee": clinician},  # not overdue yet
        },
    )
    case(mrn="SYN-0002", name="Bea Synthetic", steps={"pgta": {"due_date": day(-10)}})


@pytest.mark.django_db
def test_each_assignee_gets_their_own_overdue_steps(overdue):
    run("--base-url", "https://rif.example.org")
    message = mail_to("alice@example.org")
    assert message.subject == "RIF Work-up: 1 overdue step assigned to you"
    assert "SYN-0001 · Hysteroscopy · due" in message.body
    assert "3 days overdue" in message.body
    assert "https://rif.example.org/workups/" in message.body
    assert "SYN-0002" not in message.body and "Karyotype" not in message.body


@pytest.mark.django_db
def test_a_coordinator_gets_every_overdue_step_most_overdue_first(overdue):
    run()
    message = mail_to("carol@example.org")
    assert message.subject == "RIF Work-up: 3 overdue steps (0 assigned to you)"
    body = message.body
    assert body.index("SYN-0002 · PGT-A") < body.index("SYN-0001 · Hysteroscopy")
    assert body.index("SYN-0001 · Hysteroscopy") < body.index("SYN-0001 · Thyroid")
    assert "assignee nobody" in body and "assignee Bianca Test" in body
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_no_email_carries_a_patient_name(overdue):
    run()
    assert mail.outbox
    for message in mail.outbox:
        for name in ("Ada Synthetic", "Bea Synthetic"):
            assert name not in message.subject and name not in message.body


@pytest.mark.django_db
def test_people_without_an_email_address_are_skipped_and_named(overdue):
    output = run()
    assert "Skipped bianca: no email address (1 overdue steps)." in output
    assert all(m.to != [""] for m in mail.outbox)


@pytest.mark.django_db
def test_a_dry_run_says_what_it_would_send_and_sends_nothing(overdue):
    output = run("--dry-run")
    assert "Would send to alice <alice@example.org>" in output
    assert "Would send to carol <carol@example.org>" in output
    assert mail.outbox == []


@pytest.mark.django_db
def test_today_can_be_given_for_testing(overdue):
    run("--today", (day(0) + timedelta(days=5)).isoformat())
    # Five days on, the karyotype is overdue too.
    assert "Karyotype" in mail_to("alice@example.org").body


@pytest.mark.django_db
def test_nothing_is_sent_when_nothing_is_overdue(overdue):
    output = run("--today", day(-30).isoformat())
    assert "No overdue steps" in output
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_bad_date_is_refused_with_a_clear_message(loaded_catalogue):
    with pytest.raises(CommandError, match="--today must be a date as YYYY-MM-DD"):
        run("--today", "24/11/2026")


@pytest.mark.django_db
def test_a_person_who_left_gets_no_email_and_the_coordinator_still_sees_their_steps(
    overdue, clinician
):
    clinician.is_active = False
    clinician.save()
    output = run()
    assert "Skipped alice: no longer active" in output
    assert "SYN-0001 · Hysteroscopy" in mail_to("carol@example.org").body
    assert [m.to for m in mail.outbox] == [["carol@example.org"]]


@pytest.mark.django_db
def test_a_coordinator_with_overdue_steps_of_their_own_gets_one_email(overdue, coordinator, case):
    case(mrn="SYN-0003", steps={"thyroid": {"due_date": day(-2), "assignee": coordinator}})
    make_user("lena", "lead", email="lena@example.org")  # a lead gets no digest
    run()
    message = mail_to("carol@example.org")
    assert message.subject == "RIF Work-up: 4 overdue steps (1 assigned to you)"
    assert message.body.index("Assigned to you (1)") < message.body.index("All overdue steps (4)")
    assert not [m for m in mail.outbox if m.to == ["lena@example.org"]]
