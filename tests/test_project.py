"""Project-wide behaviour: configuration, health check, login everywhere."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_check(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.update(env)
    clean["DJANGO_ENV_FILE"] = "/nonexistent"  # ignore a developer's .env
    clean["DJANGO_SETTINGS_MODULE"] = "workup.settings"
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_missing_secret_key_is_a_clear_error_when_debug_is_off():
    result = run_check(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
    assert run_check(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50).returncode == 0


def test_debug_needs_no_secret_key():
    assert run_check(DJANGO_DEBUG="1").returncode == 0


def test_a_malformed_flag_is_named():
    result = run_check(DJANGO_DEBUG="maybe")
    assert result.returncode != 0 and "DJANGO_DEBUG must be 1 or 0" in result.stderr


@pytest.mark.django_db
def test_healthz_answers_without_login_or_write(client, django_assert_num_queries):
    with django_assert_num_queries(1):  # SELECT 1, no session, no write
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "sessionid" not in response.cookies


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/workups/1/", "/patients/1/", "/admin/"])
def test_pages_send_anonymous_users_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert (
        response["Location"].startswith("/accounts/login/")
        or "/admin/login/" in response["Location"]
    )


@pytest.mark.django_db
def test_the_login_page_is_public(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content and b'name="password"' in response.content
