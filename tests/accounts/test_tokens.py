"""API tokens: created by their owner only, shown once, stored hashed, revocable (by the owner,
or by the lead in the admin)."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.conftest import make_user
from workup.accounts.models import ApiToken, hash_key

TOKENS = "/accounts/tokens/"


def everything_stored() -> str:
    """Every value of every table, and every session decoded, as one text."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            parts.extend(map(repr, cursor.fetchall()))
    parts.extend(repr(s.get_decoded()) for s in Session.objects.all())
    return "\n".join(parts)


def create(client, name="lab system"):
    return client.post(reverse("accounts:token_create"), {"name": name})


def raw_key_of(response) -> str:
    return response.context["raw"]


def assess(client, key):
    return client.post(
        "/api/assess",
        json.dumps({"age": 38}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


@pytest.mark.django_db
def test_a_token_is_shown_once_and_only_its_hash_is_kept(clinician_client, clinician):
    response = create(clinician_client)
    assert response.status_code == 200
    key = raw_key_of(response)
    assert key.startswith("rif_") and key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=clinician)
    assert token.key_hash == hash_key(key) and key.startswith(token.prefix)
    assert key not in everything_stored()
    assert all(key not in morsel.value for morsel in clinician_client.cookies.values())
    for page in (TOKENS, "/", TOKENS):
        assert key not in clinician_client.get(page).content.decode()


@pytest.mark.django_db
def test_the_list_shows_each_token_with_its_use(clinician_client, loaded_catalogue):
    key = raw_key_of(create(clinician_client, "lab system"))
    create(clinician_client, "spare")
    assess(clinician_client, key)
    html = clinician_client.get(TOKENS).content.decode()
    lab = ApiToken.objects.get(name="lab system")
    assert "lab system" in html and "spare" in html
    assert f"{lab.prefix}…" in html and lab.last_used_at is not None
    assert html.count("never") == 1  # the spare one was never used
    assert html.count("Active") == 2


@pytest.mark.django_db
def test_a_revoked_token_gets_401_from_the_api(clinician_client, loaded_catalogue):
    key = raw_key_of(create(clinician_client))
    assert assess(clinician_client, key).status_code == 200
    token = ApiToken.objects.get()
    response = clinician_client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    refused = assess(clinician_client, key)
    assert refused.status_code == 401
    assert refused.json()["errors"]["auth"] == ["The API token is not valid or was revoked."]
    assert "Revoked" in clinician_client.get(TOKENS).content.decode()


@pytest.mark.django_db
def test_nobody_else_can_revoke_a_users_token(client, clinician, loaded_catalogue):
    token, key = ApiToken.issue(user=clinician, name="lab")
    client.force_login(make_user("bianca", "clinician"))
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    assert client.get(TOKENS).context["tokens"].count() == 0  # and cannot see it either
    token.refresh_from_db()
    assert token.is_active and assess(client, key).status_code == 200


@pytest.mark.django_db
def test_a_token_needs_a_name(clinician_client, clinician):
    response = create(clinician_client, "")
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_deactivated_users_tokens_stop_working(client, clinician, loaded_catalogue):
    _, key = ApiToken.issue(user=clinician, name="lab")
    clinician.is_active = False
    clinician.save()
    assert assess(client, key).status_code == 401


# --- the lead, in the admin -----------------------------------------------------------------


def api_workup(client, key):
    """POST /api/workups with a token: a write made in the token's user's name."""
    body = {
        "patient": {"mrn": "TOK-1", "name": "Tia Token", "birth_date": "1990-02-03"},
        "facts": {"failed_transfers": 2},
    }
    return client.post(
        "/api/workups",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


ADD = "/admin/accounts/apitoken/add/"


@pytest.mark.django_db
def test_the_lead_cannot_issue_a_token_for_a_clinician_and_write_in_their_name(
    lead_client, clinician
):
    """The escalation: a key for a colleague's account, then a work-up written as them."""
    assert lead_client.get(ADD).status_code == 403
    response = lead_client.post(ADD, {"user": clinician.pk, "name": "lab system"})
    assert response.status_code == 403
    assert "rif_" not in response.content.decode()
    assert not ApiToken.objects.exists()
    assert (
        'href="/admin/accounts/apitoken/add/"'
        not in lead_client.get("/admin/accounts/apitoken/").content.decode()
    )


@pytest.mark.django_db
def test_the_lead_cannot_issue_a_token_for_a_superuser_nor_for_themself(lead_client, lead):
    root = make_user("root", is_superuser=True, is_staff=True)
    for user in (root, lead):
        assert lead_client.post(ADD, {"user": user.pk, "name": "mine"}).status_code == 403
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_superuser_cannot_issue_tokens_in_the_admin_either(client, clinician):
    """Support accounts included: a credential is made by the person who will hold it."""
    root = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(root)
    for user in (clinician, root):
        assert client.post(ADD, {"user": user.pk, "name": "support"}).status_code == 403
    assert not ApiToken.objects.exists()
    # Their own tokens are made on the app's page, like everyone's.
    assert create(client, "support laptop").status_code == 200
    assert ApiToken.objects.get().user == root


@pytest.mark.django_db
def test_a_token_cannot_be_moved_to_another_user_in_the_admin(lead_client, clinician):
    bianca = make_user("bianca", "clinician")
    token, key = ApiToken.issue(user=bianca, name="lab")
    lead_client.post(
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
        {"user": clinician.pk, "name": "lab"},
    )
    token.refresh_from_db()
    assert token.user == bianca


@pytest.mark.django_db
def test_a_token_made_by_its_owner_writes_in_the_owners_name(clinician_client, clinician):
    key = raw_key_of(create(clinician_client))
    response = api_workup(Client(), key)
    assert response.status_code == 201
    from workup.clinic.models import WorkUp

    workup = WorkUp.objects.get(pk=response.json()["id"])
    assert workup.history.earliest().history_user == clinician


@pytest.mark.django_db
def test_the_lead_revokes_any_token_in_the_admin_but_never_deletes_one(lead_client, clinician):
    token, key = ApiToken.issue(user=clinician, name="lab")
    changelist = reverse("admin:accounts_apitoken_changelist")
    response = lead_client.post(
        changelist, {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert "1 token(s) revoked." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert LogEntry.objects.filter(object_id=str(token.pk), change_message__contains="Revoked")
    delete = reverse("admin:accounts_apitoken_delete", args=[token.pk])
    assert lead_client.post(delete, {"post": "yes"}).status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()


@pytest.mark.django_db
def test_the_hash_cannot_be_set_through_the_admin(lead_client, clinician):
    token, key = ApiToken.issue(user=clinician, name="lab")
    lead_client.post(
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
        {"name": "renamed", "key_hash": hash_key("rif_chosen"), "user": clinician.pk},
    )
    token.refresh_from_db()
    assert token.key_hash == hash_key(key) and token.name == "lab"
