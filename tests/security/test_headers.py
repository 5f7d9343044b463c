"""Headers on every page, no inline script or style anywhere, and Django's deployment checklist."""

from __future__ import annotations

import re
import secrets
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import make_user
from tests.security.conftest import ROOT, manage_in_production
from tests.security.test_url_matrix import (  # noqa: F401 - sample is a fixture
    MATRIX,
    OK,
    Sample,
    client_for,
    first_actor,
    sample,
)


def policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        if name:
            out[name] = values
    return out


def assert_secure_headers(response, where):
    csp = policy(response)
    assert csp, f"{where}: no Content-Security-Policy"
    for directive in ("script-src", "style-src"):
        sources = csp.get(directive) or csp["default-src"]
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, where
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"], where
    assert response["X-Content-Type-Options"] == "nosniff", where
    assert response["X-Frame-Options"] == "DENY", where
    assert response["Referrer-Policy"] == "same-origin", where
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", where


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, style attributes, on* handlers."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = [name for name, _ in attrs]
        if "style" in names:
            self.found.append(f"<{tag} style=…>")
        self.found += [f"<{tag} {name}=…>" for name in names if name.startswith("on")]
        if tag == "script":
            self._in_script = True
            if "src" not in names and dict(attrs).get("type") != "application/json":
                self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style> element")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline script: {data.strip()[:40]}")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


PAGES = sorted(name for name, rule in MATRIX.items() if first_actor(rule.get, {OK}))


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_every_page_has_the_security_headers_and_no_inline_code(name, sample):  # noqa: F811
    rule = MATRIX[name]
    client = client_for(first_actor(rule.get, {OK}), sample)
    response = client.get(reverse(name, kwargs=rule.kwargs(sample)))
    assert response.status_code == 200
    assert_secure_headers(response, name)
    if response["Content-Type"].startswith("text/html"):
        assert inline_code(response.content.decode()) == [], name


@pytest.mark.django_db
def test_refusals_and_error_pages_carry_the_headers_too(client, loaded_catalogue, settings):
    make_user("sam")  # no role
    pages = {"login": client.get("/accounts/login/")}
    client.force_login(make_user("nobody"))
    pages["403"] = client.get("/patients/")
    pages["404"] = client.get("/no-such-page/")
    csrf = Client(enforce_csrf_checks=True)
    pages["csrf"] = csrf.post("/accounts/login/", {"username": "sam", "password": "x"})
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    pages["413"] = client.post("/patients/new/", {"name": "x" * 200})
    for name, response in pages.items():
        assert_secure_headers(response, name)
        assert inline_code(response.content.decode()) == [], name
    assert (pages["403"].status_code, pages["404"].status_code) == (403, 404)
    assert (pages["413"].status_code, pages["csrf"].status_code) == (413, 403)


@pytest.mark.django_db
def test_the_api_and_the_admin_carry_the_headers(client, loaded_catalogue):
    assert_secure_headers(client.post("/api/assess", "{}", content_type="application/json"), "api")
    client.force_login(make_user("lena", "lead"))
    assert_secure_headers(client.get("/admin/"), "admin")


TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_no_template_has_inline_script_or_style(path):
    source = path.read_text(encoding="utf-8")
    # Template tags would confuse the HTML parser; they never produce code themselves here.
    plain = re.sub(r"{%.*?%}|{{.*?}}|{#.*?#}", "", source, flags=re.S)
    assert inline_code(plain) == []


def test_the_inline_code_finder_finds_inline_code():
    html = '<p style="color:red" onclick="x()">a</p><script>alert(1)</script><style>p{}</style>'
    assert len(inline_code(html)) == 5
    assert inline_code('<script src="/static/js/app.js"></script>') == []


# --- Django's deployment checklist ------------------------------------------------------------


def deploy_check(**env):
    return manage_in_production(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ALLOWED_HOSTS="rif.example.org",
        **env,
    )


def test_the_deployment_checklist_is_clean_with_production_settings():
    result = deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deployment_checklist_is_clean_behind_a_load_balancer_during_a_key_rotation():
    result = deploy_check(
        DJANGO_TRUST_X_FORWARDED_PROTO="1",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://rif.example.org",
        DJANGO_SECRET_KEY_FALLBACKS=secrets.token_urlsafe(50),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deployment_checklist_catches_plain_http():
    """The check is not silenced: switching HTTPS off is reported and fails."""
    result = deploy_check(DJANGO_HTTPS="0")
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout  # SECURE_SSL_REDIRECT


# --- responses made before or beside the views: static files, a bad Host, refusals ------------


@pytest.mark.django_db
def test_static_files_carry_the_security_headers(client):
    for path in ("/static/css/app.css", "/static/js/app.js", "/static/favicon.svg"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_secure_headers(response, path)


@pytest.mark.django_db
@pytest.mark.parametrize("redirect_to_https", [False, True])
def test_a_bad_host_gets_400_with_the_security_headers(settings, redirect_to_https):
    """In production the HTTPS redirect reads the Host first: that 400 carries them too."""
    settings.SECURE_SSL_REDIRECT = redirect_to_https
    response = Client(HTTP_HOST="evil.example.com").get("/patients/")
    assert response.status_code == 400
    assert_secure_headers(response, "bad host")


@pytest.mark.django_db
def test_refusals_to_a_signed_in_user_are_not_stored_by_the_browser(clinician_client, settings):
    nul = clinician_client.get("/patients/", {"q": "a\x00b"})
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    big = clinician_client.post("/patients/new/", {"name": "x" * 200})
    assert (nul.status_code, big.status_code) == (400, 413)
    for response in (nul, big):
        assert "no-store" in response["Cache-Control"], response.status_code
        assert_secure_headers(response, response.status_code)
