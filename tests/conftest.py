"""Shared fixtures: the catalogue, a user per role (as healthchecks' hc/test.py does), clients."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from workup.accounts.roles import assign_role
from workup.evidence import store
from workup.evidence.catalogue import Catalogue
from workup.evidence.models import CatalogueVersion
from workup.interop.codes import load_codes

PASSWORD = "correct-horse-battery-staple-9"


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The fixture catalogue as plain data: for engine tests that need no database."""
    return Catalogue.from_fixture()


@pytest.fixture(autouse=True)
def _fresh_caches():
    # Caches keyed by database rows (the catalogue snapshot, the queue counts) must not outlive
    # a test's rolled-back rows.
    store._parsed.clear()
    cache.clear()
    yield
    store._parsed.clear()


@pytest.fixture(autouse=True)
def _english_between_tests():
    # A request in another language leaves it active on the thread; each test starts in English.
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the catalogue (and its code table, as ``manage.py load_catalogue`` does) once into
    the test database; each test's transaction rolls back to it."""
    with django_db_blocker.unblock():
        store.load_fixture()
        load_codes()


@pytest.fixture
def loaded_catalogue(db) -> Catalogue:
    # Transactional tests (the browser tests' live server) flush the tables: load again then.
    if not CatalogueVersion.objects.exists():
        store.load_fixture()
        load_codes()
    return store.get_catalogue()


def make_user(username, role=None, **extra):
    user = get_user_model().objects.create_user(
        username=username,
        password=PASSWORD,
        first_name=username.capitalize(),
        last_name="Test",
        **extra,
    )
    if role:
        assign_role(user, role)
    return user


@pytest.fixture
def clinician(db):
    return make_user("alice", "clinician")


@pytest.fixture
def other_clinician(db):
    return make_user("bianca", "clinician")


@pytest.fixture
def coordinator(db):
    return make_user("carol", "coordinator")


@pytest.fixture
def lead(db):
    return make_user("lena", "lead")


@pytest.fixture
def stranger(db):
    """Signed in, but with no role."""
    return make_user("sam")


def _client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def clinician_client(client, clinician, loaded_catalogue):
    return _client_for(client, clinician)


@pytest.fixture
def coordinator_client(client, coordinator, loaded_catalogue):
    return _client_for(client, coordinator)


@pytest.fixture
def lead_client(client, lead, loaded_catalogue):
    return _client_for(client, lead)


@pytest.fixture
def stranger_client(client, stranger, loaded_catalogue):
    return _client_for(client, stranger)
