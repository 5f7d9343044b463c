"""Fixtures for the interop tests: the standard codes, a lab interface with its token."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import make_user
from workup.accounts.models import ApiToken
from workup.interop.codes import load_codes


@pytest.fixture
def codes(loaded_catalogue):
    report = load_codes()
    assert not report.problems, report.problems
    return report


@pytest.fixture
def lab_user(db):
    return make_user("citylab", "lab_interface")


@pytest.fixture
def lab_token(lab_user):
    _, raw = ApiToken.issue(user=lab_user, name="City lab bridge")
    return raw


@pytest.fixture
def lab(lab_token):
    """A client that posts as the laboratory's bridge."""

    class Lab:
        client = Client()

        def fhir(self, body, **extra):
            import json

            return self.client.post(
                "/api/results",
                json.dumps(body) if not isinstance(body, (str, bytes)) else body,
                content_type="application/fhir+json",
                HTTP_AUTHORIZATION=f"Bearer {lab_token}",
                **extra,
            )

        def hl7(self, text, **extra):
            return self.client.post(
                "/api/results/hl7",
                text,
                content_type="application/hl7-v2",
                HTTP_AUTHORIZATION=f"Bearer {lab_token}",
                **extra,
            )

    return Lab()
