"""Permissions are read in one query, with the same answers as Django's ModelBackend."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from tests.conftest import make_user
from workup.accounts.backends import ModelBackendOneQuery


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["clinician", "coordinator", "lead", None])
def test_the_same_permissions_as_django_in_one_query(role, django_assert_num_queries):
    user = make_user(f"user_{role}", role)
    user.user_permissions.add(Permission.objects.get(codename="view_reviewrecord"))
    expected = ModelBackend().get_all_permissions(type(user).objects.get(pk=user.pk))
    fresh = type(user).objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        got = ModelBackendOneQuery().get_all_permissions(fresh)
        assert fresh.has_perm("evidence.view_reviewrecord")
    assert got == expected


@pytest.mark.django_db
def test_inactive_users_have_no_permissions():
    user = make_user("gone", "clinician")
    user.is_active = False
    assert ModelBackendOneQuery().get_all_permissions(user) == set()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["clinician", "coordinator", "lead", None])
def test_the_signed_in_user_and_their_permissions_come_in_one_query(
    role, django_assert_num_queries
):
    """Every page loads its user; the permission checks that follow cost nothing more."""
    user = make_user(f"user_{role}", role)
    user.user_permissions.add(Permission.objects.get(codename="view_reviewrecord"))
    expected = ModelBackend().get_all_permissions(type(user).objects.get(pk=user.pk))
    with django_assert_num_queries(1):
        loaded = ModelBackendOneQuery().get_user(user.pk)
        assert loaded.has_perm("evidence.view_reviewrecord")
        assert loaded.get_all_permissions() == expected
    assert loaded == user


@pytest.mark.django_db
def test_an_inactive_or_unknown_user_is_not_loaded():
    user = make_user("gone", "clinician")
    user.is_active = False
    user.save()
    assert ModelBackendOneQuery().get_user(user.pk) is None
    assert ModelBackendOneQuery().get_user(99999) is None


@pytest.mark.django_db
def test_a_superuser_still_has_every_permission():
    user = make_user("root", is_superuser=True)
    loaded = ModelBackendOneQuery().get_user(user.pk)
    assert loaded.has_perm("clinic.view_audit") and loaded.has_perm("auth.change_user")
