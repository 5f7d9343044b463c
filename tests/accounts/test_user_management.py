"""No back door for the lead: users are managed on the app's page (role, status, contact),
never through the stock user admin; a forgotten password is reset by its owner.

The first tests are the escalation paths an attacker with the lead's account would try."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group, User
from django.core import mail
from django.test import Client

from tests.conftest import PASSWORD, make_user
from workup.accounts.models import ApiToken

NEW_PASSWORD = "mauve-otter-quietly-sings-42"


def signed_in_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def lena(db):
    return make_user("lena", "lead")


@pytest.fixture
def alice(db):
    return make_user("alice", "clinician", email="alice@clinic.example")


def admin_change_form(user) -> dict:
    """What the stock admin's user form posts for this user, unchanged."""
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on" if user.is_staff else "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        "groups": [g.pk for g in user.groups.all()],
    }


# --- the escalation paths ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_lead_cannot_make_themself_superuser_in_the_admin(lena):
    client = signed_in_as(lena)
    response = client.post(
        f"/admin/auth/user/{lena.pk}/change/", {**admin_change_form(lena), "is_superuser": "on"}
    )
    assert response.status_code == 403
    lena.refresh_from_db()
    assert not lena.is_superuser


@pytest.mark.django_db
def test_the_lead_cannot_add_groups_to_their_own_account(lena):
    clinician = Group.objects.get(name="clinician")
    form = admin_change_form(lena)
    form["groups"] = [*form["groups"], clinician.pk]
    response = signed_in_as(lena).post(f"/admin/auth/user/{lena.pk}/change/", form)
    assert response.status_code == 403
    assert not lena.groups.filter(name="clinician").exists()


@pytest.mark.django_db
def test_the_lead_cannot_set_another_users_password_nor_sign_in_as_them(lena, alice):
    client = signed_in_as(lena)
    response = client.post(
        f"/admin/auth/user/{alice.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD) and not alice.check_password(NEW_PASSWORD)
    intruder = Client()
    intruder.post("/accounts/login/", {"username": "alice", "password": NEW_PASSWORD})
    assert SESSION_KEY not in intruder.session


@pytest.mark.django_db
def test_the_lead_does_not_see_the_user_or_group_admin(lena):
    client = signed_in_as(lena)
    for url in ("/admin/auth/user/", "/admin/auth/group/", "/admin/auth/user/add/"):
        assert client.get(url).status_code == 403, url
    assert "/admin/auth/user/" not in client.get("/admin/").content.decode()


@pytest.mark.django_db
def test_a_superuser_still_has_the_user_admin(alice):
    root = make_user("root", is_superuser=True, is_staff=True)
    client = signed_in_as(root)
    assert client.get("/admin/auth/user/").status_code == 200
    assert client.get(f"/admin/auth/user/{alice.pk}/password/").status_code == 200


@pytest.mark.django_db
def test_the_users_page_sets_nothing_but_role_status_and_contact(lena, alice):
    """Extra fields posted to the lead's page (superuser, staff, groups, password) are ignored."""
    response = signed_in_as(lena).post(
        f"/accounts/users/{alice.pk}/",
        {
            "first_name": "Alice",
            "last_name": "Renamed",
            "email": "alice@clinic.example",
            "role": "coordinator",
            "is_active": "on",
            "is_superuser": "on",
            "is_staff": "on",
            "groups": [Group.objects.get(name="lead").pk],
            "password": "pbkdf2_sha256$1$x$y",
            "password1": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.last_name == "Renamed"
    assert [g.name for g in alice.groups.all()] == ["coordinator"]
    assert not alice.is_superuser and not alice.is_staff
    assert alice.check_password(PASSWORD)


@pytest.mark.django_db
def test_the_lead_cannot_change_their_own_role_or_status(lena):
    response = signed_in_as(lena).post(
        f"/accounts/users/{lena.pk}/",
        {"first_name": "Lena", "last_name": "Test", "role": "clinician", "is_active": ""},
    )
    assert response.status_code == 302
    lena.refresh_from_db()
    assert lena.is_active and [g.name for g in lena.groups.all()] == ["lead"]


@pytest.mark.django_db
def test_the_lead_cannot_redirect_a_signed_in_users_email(lena, alice):
    """Else: change the address to one's own, ask for a reset, sign in as them."""
    alice.last_login = alice.date_joined
    alice.save()
    client = signed_in_as(lena)
    client.post(
        f"/accounts/users/{alice.pk}/",
        {
            "first_name": "Alice",
            "last_name": "Test",
            "email": "lena@elsewhere.example",
            "role": "clinician",
            "is_active": "on",
        },
    )
    alice.refresh_from_db()
    assert alice.email == "alice@clinic.example"
    page = client.get(f"/accounts/users/{alice.pk}/").content.decode()
    assert "no one else can redirect their password resets" in page


@pytest.mark.django_db
def test_superusers_are_neither_listed_nor_editable_on_the_users_page(lena):
    root = make_user("root", is_superuser=True, is_staff=True)
    client = signed_in_as(lena)
    assert "root" not in client.get("/accounts/users/").content.decode()
    assert client.get(f"/accounts/users/{root.pk}/").status_code == 404
    client.post(f"/accounts/users/{root.pk}/", {"role": "clinician", "is_active": ""})
    root.refresh_from_db()
    assert root.is_active and root.is_superuser


@pytest.mark.django_db
def test_the_users_page_never_shows_a_password(lena, alice):
    client = signed_in_as(lena)
    for url in ("/accounts/users/", f"/accounts/users/{alice.pk}/", "/accounts/users/new/"):
        page = client.get(url).content.decode()
        assert alice.password not in page and 'type="password"' not in page, url


# --- the users page ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_lead_adds_a_user_who_sets_their_own_password(lena):
    client = signed_in_as(lena)
    response = client.post(
        "/accounts/users/new/",
        {
            "username": "dora",
            "first_name": "Dora",
            "last_name": "New",
            "email": "dora@clinic.example",
            "role": "coordinator",
        },
    )
    assert response.status_code == 302
    dora = User.objects.get(username="dora")
    assert [g.name for g in dora.groups.all()] == ["coordinator"] and dora.is_active
    assert "An email to dora@clinic.example" in client.get("/accounts/users/").content.decode()
    (email,) = mail.outbox
    assert email.to == ["dora@clinic.example"] and "dora" in email.body
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", email.body).group(0)
    # Dora opens the link herself and chooses a password.
    own = Client()
    form = own.get(link, follow=True)
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    done = own.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    dora.refresh_from_db()
    assert dora.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_a_new_user_needs_names_an_email_and_a_role(lena):
    response = signed_in_as(lena).post("/accounts/users/new/", {"username": "x"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"first_name", "last_name", "email", "role"} <= errors.keys()
    assert not User.objects.filter(username="x").exists()


@pytest.mark.django_db
def test_a_forgotten_password_is_reset_from_the_sign_in_page(alice):
    client = Client()
    assert "Forgotten your password?" in client.get("/accounts/login/").content.decode()
    response = client.post("/accounts/password/reset/", {"email": "alice@clinic.example"})
    assert response.status_code == 302
    (email,) = mail.outbox
    assert email.to == ["alice@clinic.example"]
    # An unknown address says the same, and sends nothing.
    client.post("/accounts/password/reset/", {"email": "nobody@clinic.example"})
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_deactivating_a_user_ends_their_sessions_and_tokens(lena, alice):
    _, raw = ApiToken.issue(user=alice, name="lab")
    session = signed_in_as(alice)
    signed_in_as(lena).post(
        f"/accounts/users/{alice.pk}/",
        {"first_name": "Alice", "last_name": "Test", "role": "clinician", "is_active": ""},
    )
    alice.refresh_from_db()
    assert not alice.is_active
    assert session.get("/patients/").status_code == 302
    assert not ApiToken.objects.filter(user=alice, revoked_at__isnull=True).exists()
    alice.is_active = True
    alice.save()
    api = Client().get("/api/workups/1", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.status_code == 401  # reactivated, but the old token stays revoked


@pytest.mark.django_db
def test_a_password_change_revokes_the_users_api_tokens(alice):
    token, raw = ApiToken.issue(user=alice, name="lab")
    response = signed_in_as(alice).post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/workups/1", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


@pytest.mark.django_db
def test_signing_in_does_not_revoke_tokens(client, alice):
    token, _ = ApiToken.issue(user=alice, name="lab")
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert SESSION_KEY in client.session
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.django_db
def test_who_gave_whom_which_role_is_on_the_audit_trail(lena, alice):
    from workup.audit.chain import verify_all
    from workup.audit.models import DownloadRecord

    client = signed_in_as(lena)
    client.post(
        f"/accounts/users/{alice.pk}/",
        {
            "first_name": "Alice",
            "last_name": "Test",
            "email": "alice@clinic.example",
            "role": "lead",
            "is_active": "on",
        },
    )
    client.post(
        "/accounts/users/new/",
        {
            "username": "dora",
            "first_name": "D",
            "last_name": "N",
            "email": "d@x.example",
            "role": "coordinator",
        },
    )
    records = DownloadRecord.objects.filter(kind="user_change").order_by("chain_seq")
    assert [(r.username, r.detail) for r in records] == [
        ("lena", {"account": "alice", "changes": ["Role: clinician → lead"]}),
        ("lena", {"account": "dora", "changes": ["created with role coordinator"]}),
    ]
    listed = client.get("/audit/downloads/", {"kind": "user_change"}).content.decode()
    assert "Role: clinician → lead" in listed
    assert all(not report.problems for report in verify_all())
