"""Signing in and staying signed in: lockout, passwords, idle timeout, sign-out, CSRF."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, make_user
from tests.security.conftest import stored_rows
from tests.security.test_url_matrix import (  # noqa: F401 - sample is a fixture
    CREATED,
    DONE,
    MATRIX,
    OK,
    Sample,
    client_for,
    first_actor,
    sample,
    send,
)

LOGIN = "/accounts/login/"


def sign_in(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


# --- lockout (django-axes) ----------------------------------------------------------------------


@pytest.mark.django_db
def test_five_failures_lock_the_account_even_against_the_right_password(client, settings):
    make_user("alice", "clinician")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        refused = sign_in(client, "alice", "wrong password")
        assert refused.status_code == 200
        assert "Please enter a correct username and password" in refused.content.decode()
    locked = sign_in(client, "alice", "wrong again")
    assert locked.status_code == 429
    sixth = sign_in(client, "alice", PASSWORD)
    assert sixth.status_code == 429
    page = sixth.content.decode()
    assert "Too many failed sign-in attempts" in page
    assert "locked for 15 minutes" in page and "Even the right password is refused" in page
    assert not signed_in(client)


@pytest.mark.django_db
def test_the_lock_covers_an_address_trying_many_usernames(client, settings):
    """Guessing many usernames from one computer locks that computer, at a much higher count
    than one username's limit (behind a load balancer everyone may share one address)."""
    make_user("alice", "clinician")
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT):
        sign_in(client, f"nobody{n}", "guess")
    assert sign_in(client, "alice", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_the_lock_lifts_after_the_cool_off(client, settings):
    make_user("alice", "clinician")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "alice", "wrong")
    assert sign_in(client, "alice", PASSWORD).status_code == 429
    # Sixteen minutes later (the attempts' clock moved back).
    past = AccessAttempt.objects.get(username="alice").attempt_time - timedelta(minutes=16)
    AccessAttempt.objects.update(attempt_time=past)
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 302 and signed_in(client)


@pytest.mark.django_db
def test_axes_reset_unlocks_at_once(client, settings):
    make_user("alice", "clinician")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "alice", "wrong")
    call_command("axes_reset", stdout=io.StringIO())
    assert sign_in(client, "alice", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_failed_attempt_keeps_no_search_from_the_next_address(client):
    """The login form carries ?next=, which may hold a search by a patient's name."""
    make_user("alice", "clinician")
    client.post(
        f"{LOGIN}?next=/patients/%3Fq%3DJoanna%2BSynthetic",
        {"username": "alice", "password": "wrong", "next": "/patients/?q=Joanna+Synthetic"},
    )
    attempt = AccessAttempt.objects.get()
    assert "Joanna" not in attempt.get_data + attempt.post_data
    assert "wrong" not in attempt.post_data


@pytest.mark.django_db
def test_a_successful_sign_in_follows_next_and_resets_the_count(client):
    make_user("alice", "clinician")
    sign_in(client, "alice", "wrong")
    response = sign_in(client, "alice", PASSWORD, next="/patients/")
    assert response.status_code == 302 and response["Location"] == "/patients/"
    assert not AccessAttempt.objects.filter(username="alice", failures_since_start__gt=0).exists()


# --- passwords ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_user_changes_their_password_and_weak_ones_are_refused(client):
    user = make_user("alice", "clinician")
    client.force_login(user)
    url = reverse("accounts:password_change")
    assert client.get(url).status_code == 200
    weak = client.post(
        url, {"old_password": PASSWORD, "new_password1": "password1", "new_password2": "password1"}
    )
    assert weak.status_code == 200
    assert "This password is too common." in weak.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    new = "mauve-otter-quietly-sings-42"
    done = client.post(url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done["Location"] == reverse("accounts:password_change_done")
    user.refresh_from_db()
    assert user.check_password(new)
    assert signed_in(client)  # this session goes on; the user's other sessions end
    assert "Password changed" in client.get(done["Location"]).content.decode()


@pytest.mark.django_db
def test_a_password_change_ends_the_users_other_sessions():
    user = make_user("alice", "clinician")
    other, this = Client(), Client()
    other.force_login(user)
    this.force_login(user)
    new = "mauve-otter-quietly-sings-42"
    this.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert other.get("/")["Location"].startswith(LOGIN)


# --- idle timeout and sign-out ------------------------------------------------------------------


def idle_for(client, minutes):
    session = client.session
    session["last_seen"] = int(time.time()) - minutes * 60
    session.save()


@pytest.mark.django_db
def test_thirty_idle_minutes_sign_a_user_out(clinician_client):
    idle_for(clinician_client, 29)
    assert clinician_client.get("/patients/").status_code == 200
    idle_for(clinician_client, 31)
    response = clinician_client.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not signed_in(clinician_client)
    login_page = clinician_client.get(response["Location"]).content.decode()
    assert "signed out after 30 minutes without activity" in login_page


@pytest.mark.django_db
def test_the_idle_timeout_is_configurable(clinician_client, settings):
    settings.SESSION_IDLE_MINUTES = 5
    idle_for(clinician_client, 6)
    assert clinician_client.get("/patients/")["Location"].startswith(LOGIN)


@pytest.mark.django_db
def test_sign_out_is_a_post_and_says_so(clinician_client):
    assert clinician_client.get("/accounts/logout/").status_code == 405
    assert signed_in(clinician_client)
    response = clinician_client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert not signed_in(clinician_client)
    assert "You have signed out." in clinician_client.get(LOGIN).content.decode()
    assert clinician_client.get("/patients/")["Location"].startswith(LOGIN)


@pytest.mark.django_db
def test_the_session_cookie_is_http_only_and_ends_with_the_browser(client):
    make_user("alice", "clinician")
    response = sign_in(client, "alice", PASSWORD)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["max-age"] and not cookie["expires"]


@pytest.mark.django_db
def test_pages_with_patient_data_are_not_kept_by_the_browser(clinician_client):
    """Back, after signing out on a shared computer, must not show the last patient."""
    cache = clinician_client.get("/patients/")["Cache-Control"]
    assert "no-store" in cache and "private" in cache


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_login_form_needs_its_csrf_token():
    make_user("alice", "clinician")
    client = Client(enforce_csrf_checks=True)
    refused = sign_in(client, "alice", PASSWORD)
    assert refused.status_code == 403
    assert "nothing was saved" in refused.content.decode()
    assert not signed_in(client)
    client.get(LOGIN)  # the form sets the token cookie
    token = client.cookies["csrftoken"].value
    assert sign_in(client, "alice", PASSWORD, csrfmiddlewaretoken=token).status_code == 302


# Outcomes of a write made.
WRITTEN = {OK, CREATED, DONE}
WRITES = sorted(name for name, rule in MATRIX.items() if first_actor(rule.post, WRITTEN))


@pytest.mark.django_db
@pytest.mark.parametrize("name", WRITES)
def test_every_post_is_refused_without_its_csrf_token(name, sample):  # noqa: F811
    """The user who may make the write, from a page on another site (no CSRF token)."""
    rule = MATRIX[name]
    writer = first_actor(rule.post, WRITTEN)
    client = client_for(writer, sample, enforce_csrf_checks=True)
    before = stored_rows()
    response = send(client, "post", reverse(name, kwargs=rule.kwargs(sample)), sample, rule)
    assert response.status_code == 403, response.content[:300]
    assert stored_rows() == before
    if not rule.json:
        assert "nothing was saved" in response.content.decode()
