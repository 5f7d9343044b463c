"""Sign-in throttling behind a load balancer: one address must not lock the whole clinic out.

Every request below arrives as it would behind the load balancer of docs/deploy.md: from the
balancer's address (REMOTE_ADDR), with the client's address in X-Forwarded-For.
"""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from tests.conftest import PASSWORD, make_user
from workup.accounts.throttle import client_ip

LOGIN = "/accounts/login/"
BALANCER = "10.0.0.2"


def sign_in(client, username, password, forwarded=None):
    extra = {"REMOTE_ADDR": BALANCER}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    return settings


@pytest.mark.django_db
def test_five_failures_on_made_up_names_do_not_lock_the_shared_address(settings):
    """Behind a balancer that does not forward addresses, every user shares one address."""
    make_user("alice", "clinician")
    for n in range(settings.AXES_FAILURE_LIMIT + 2):
        assert sign_in(Client(), f"nobody{n}", "guess").status_code == 200
    assert sign_in(Client(), "alice", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_an_address_alone_locks_only_at_the_much_higher_count(settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 12
    make_user("alice", "clinician")
    for n in range(11):
        sign_in(Client(), f"nobody{n}", "guess")
    assert sign_in(Client(), "alice", PASSWORD).status_code == 302
    Client().post("/accounts/logout/")
    for n in range(12):
        sign_in(Client(), f"other{n}", "guess")
    assert sign_in(Client(), "alice", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_the_username_still_locks_from_any_address(settings, behind_one_proxy):
    make_user("alice", "clinician")
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), "alice", "wrong", forwarded=f"203.0.113.{n + 1}")
    assert sign_in(Client(), "alice", PASSWORD, forwarded="198.51.100.7").status_code == 429
    # A colleague on the same network is not affected.
    make_user("bianca", "clinician")
    assert sign_in(Client(), "bianca", PASSWORD, forwarded="203.0.113.1").status_code == 302


@pytest.mark.django_db
def test_the_pair_username_and_address_locks(settings, behind_one_proxy):
    """With the username's own limit raised, the pair still locks the guessing machine."""
    settings.AXES_USERNAME_FAILURE_LIMIT = 50
    make_user("alice", "clinician")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), "alice", "wrong", forwarded="203.0.113.9")
    assert sign_in(Client(), "alice", PASSWORD, forwarded="203.0.113.9").status_code == 429
    assert sign_in(Client(), "alice", PASSWORD, forwarded="198.51.100.7").status_code == 302


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_counted(
    settings, behind_one_proxy
):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 6
    make_user("alice", "clinician")
    for n in range(6):
        sign_in(Client(), f"nobody{n}", "guess", forwarded="203.0.113.66")
    # The guessing machine is locked out ...
    assert sign_in(Client(), "alice", PASSWORD, forwarded="203.0.113.66").status_code == 429
    # ... the rest of the clinic, behind the same balancer, is not.
    assert sign_in(Client(), "alice", PASSWORD, forwarded="203.0.113.10").status_code == 302


@pytest.mark.django_db
def test_a_client_cannot_dodge_the_count_by_forging_the_header(settings, behind_one_proxy):
    """The balancer appends the real address; what the client wrote to the left is ignored."""
    settings.AXES_ADDRESS_FAILURE_LIMIT = 6
    make_user("alice", "clinician")
    for n in range(6):
        sign_in(Client(), f"nobody{n}", "guess", forwarded=f"192.0.2.{n}, 203.0.113.66")
    assert (
        sign_in(Client(), "alice", PASSWORD, forwarded="192.0.2.200, 203.0.113.66").status_code
        == 429
    )


def request(remote="10.0.0.2", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_never_read(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request(forwarded="203.0.113.5")) == "10.0.0.2"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the client's own entry is ignored
        (2, "6.6.6.6, 203.0.113.5, 10.1.1.1", "203.0.113.5"),  # CDN, then balancer
        (2, "203.0.113.5", "203.0.113.5"),  # a shorter chain: the leftmost entry
        (1, "not-an-address", "10.0.0.2"),  # garbage: the connection's address
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address_is_read_from_the_right_of_the_chain(
    settings, count, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(request(forwarded=forwarded)) == expected


def test_without_the_header_the_connection_address_is_used(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request()) == "10.0.0.2"
