"""Security tests: hypothesis profile, and a snapshot of every stored row to prove nothing moved."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[2]

# Bounded so the whole suite stays fast on two cores; HYPOTHESIS_PROFILE=thorough for a deep run.
settings.register_profile(
    "rif",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "rif"))

# Bookkeeping every request may touch: the session (last seen), sign-in attempts.
NOT_RECORDS = {"sessions", "axes"}


# Signing in sets it; not a change to the user's record.
NOT_FIELDS = {"last_login"}


def stored_rows() -> dict:
    """Every row of every table the app keeps records in, as plain values."""
    return {
        model._meta.label: sorted(
            repr({k: v for k, v in row.items() if k not in NOT_FIELDS})
            for row in model._default_manager.values()
        )
        for model in apps.get_models()
        if model._meta.app_label not in NOT_RECORDS
    }


@pytest.fixture
def unchanged():
    """``with unchanged(): ...`` fails when a row of any table was added, changed or removed."""

    class Guard:
        def __enter__(self):
            self.before = stored_rows()

        def __exit__(self, *exc):
            if exc[0] is None:
                after = stored_rows()
                moved = [label for label in after if after[label] != self.before.get(label)]
                assert not moved, f"stored rows changed in {moved}"
            return False

    return Guard


def manage_in_production(*args, **env) -> subprocess.CompletedProcess:
    """``manage.py ARGS`` in a fresh process with production settings: debug off, a random
    secret key, and nothing from this environment or a developer's .env unless given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.update(
        DJANGO_ENV_FILE="/nonexistent",
        DJANGO_SETTINGS_MODULE="workup.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        **env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
    )
