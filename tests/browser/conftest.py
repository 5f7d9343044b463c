"""Browser tests: Playwright driving Debian's Chromium against the live test server.

Where Chromium is missing the tests are skipped with a loud message; with CI=true they fail
instead. Screenshots go to test-artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = ROOT / "tests" / "vendor" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
_MISSING = not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM))


def pytest_collection_modifyitems(config, items):
    if not _MISSING:
        return
    browser_items = [i for i in items if "browser" in i.keywords]
    if not browser_items:
        return
    if os.environ.get("CI", "").lower() == "true":
        for item in browser_items:
            item.add_marker(pytest.mark.usefixtures("_chromium_required"))
        return
    skip = pytest.mark.skip(reason=f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM}")
    for item in browser_items:
        item.add_marker(skip)


@pytest.fixture
def _chromium_required():
    pytest.fail(f"CI=true and no Chromium at {CHROMIUM}: browser tests must run in CI.")


def pytest_terminal_summary(terminalreporter):
    if _MISSING:
        terminalreporter.write_line("")
        terminalreporter.write_line(
            f"!!! BROWSER TESTS DID NOT RUN: Chromium not found at {CHROMIUM}. "
            "Install it (apt-get install chromium) or run `make test` as root.",
            red=True,
            bold=True,
        )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1366, "height": 900}}


@pytest.fixture
def console_errors(page):
    """Collects console errors (CSP violations included); the test asserts it stays empty."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda r: errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
    )
    return errors


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (vendored) in the page; the serious and critical violations."""
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def log_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
