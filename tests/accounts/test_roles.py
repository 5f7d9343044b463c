"""Roles are groups with permissions; users are created with a role; API tokens are hashed."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from workup.accounts.models import ApiToken, hash_key
from workup.accounts.roles import role_of


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, allowed, refused",
    [
        (
            "clinician",
            ["clinic.record_findings", "clinic.sign_workup", "clinic.counsel_addon"],
            ["evidence.review_catalogue", "clinic.export_queue", "accounts.manage_users"],
        ),
        (
            "coordinator",
            ["clinic.manage_steps", "clinic.export_queue", "clinic.view_workup"],
            ["clinic.record_findings", "clinic.sign_workup", "clinic.counsel_addon"],
        ),
        (
            "lead",
            ["evidence.review_catalogue", "evidence.change_parameter", "accounts.manage_users"],
            # Users are managed on the users page, never with Django's user permissions.
            ["clinic.record_findings", "clinic.sign_workup", "auth.add_user", "auth.change_user"],
        ),
    ],
)
def test_each_role_has_its_permissions_only(role, allowed, refused):
    call_command(
        "create_user",
        f"user_{role}",
        role=role,
        password="long-enough-pass-1",
        stdout=io.StringIO(),
    )
    user = get_user_model().objects.get(username=f"user_{role}")
    assert role_of(user) == role
    for perm in allowed:
        assert user.has_perm(perm), perm
    for perm in refused:
        assert not user.has_perm(perm), perm
    assert user.is_staff is (role == "lead")


@pytest.mark.django_db
def test_create_user_generates_and_shows_a_password_once():
    out = io.StringIO()
    call_command("create_user", "newdoc", role="clinician", stdout=out)
    password = out.getvalue().split("shown once): ")[1].strip()
    assert get_user_model().objects.get(username="newdoc").check_password(password)


@pytest.mark.django_db
def test_create_user_refuses_a_weak_password_and_an_existing_user():
    with pytest.raises(CommandError, match="Password refused"):
        call_command(
            "create_user", "weak", role="clinician", password="12345", stdout=io.StringIO()
        )
    assert not get_user_model().objects.filter(username="weak").exists()
    call_command(
        "create_user", "dup", role="clinician", password="long-enough-pass-1", stdout=io.StringIO()
    )
    with pytest.raises(CommandError, match="exists"):
        call_command("create_user", "dup", role="lead", stdout=io.StringIO())
    call_command("create_user", "dup", role="lead", update=True, stdout=io.StringIO())
    assert role_of(get_user_model().objects.get(username="dup")) == "lead"


@pytest.mark.django_db
def test_api_tokens_are_stored_hashed_and_shown_once(clinician):
    out = io.StringIO()
    call_command("create_api_token", clinician.username, name="lab", stdout=out)
    raw = out.getvalue().split("shown once: ")[1].strip()
    token = ApiToken.objects.get(user=clinician)
    assert raw not in (token.key_hash, token.prefix) and token.key_hash == hash_key(raw)
    assert ApiToken.user_for(raw) == clinician
    token.revoke()
    assert ApiToken.user_for(raw) is None


@pytest.mark.django_db
def test_no_role_may_issue_api_tokens_for_others_and_migrate_takes_it_back():
    """Tokens are made by their owner on the app's page; no role holds ``add_apitoken``. A
    database whose lead group still has it (from before) loses it at the next migrate."""
    from django.contrib.auth.models import Group, Permission
    from django.core.management import call_command

    from workup.accounts.roles import ROLE_PERMISSIONS

    assert all("accounts.add_apitoken" not in perms for perms in ROLE_PERMISSIONS.values())
    lead = Group.objects.get(name="lead")
    lead.permissions.add(Permission.objects.get(codename="add_apitoken"))
    call_command("migrate", verbosity=0)
    assert not lead.permissions.filter(codename="add_apitoken").exists()
    assert lead.permissions.filter(codename="change_apitoken").exists()  # revoking stays
