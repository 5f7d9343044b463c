"""The feedback endpoint: per card, accepted or overridden, the reason and comment, with time."""

from __future__ import annotations

import pytest

from tests.conftest import make_user
from tests.guardrail.conftest import call, medication_request, order_request
from workup.accounts.models import ApiToken
from workup.guardrail import reasons
from workup.guardrail.models import CdsFeedback

SIGN = "/cds-services/rif-addon-order-sign"
FEEDBACK = "/cds-services/rif-addon-order-sign/feedback"

pytestmark = pytest.mark.django_db


def _card(client, key, text="Intralipid 20%"):
    body = order_request("order-sign", [medication_request("m1", text)])
    return call(client, SIGN, body, key).json()["cards"][0]


def test_overridden_with_a_coded_reason_and_comment_is_recorded(client, emr, clinician):
    _, key = emr
    card = _card(client, key)
    body = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {
                    "reason": reasons.coding("registered_trial"),
                    "userComment": "Enrolled in the LIPID-RIF trial, arm B",
                },
                "outcomeTimestamp": "2026-11-30T14:20:00+01:00",
            }
        ]
    }
    response = call(client, FEEDBACK, body, key)
    assert response.status_code == 200
    row = CdsFeedback.objects.get()
    assert row.outcome == "overridden"
    assert row.override_reason == "registered_trial"
    assert row.user_comment == "Enrolled in the LIPID-RIF trial, arm B"
    assert row.outcome_at.isoformat() == "2026-11-30T13:20:00+00:00"
    assert row.card.clinician == clinician  # Practitioner/alice is our user alice
    # A retry of the same feedback is not counted twice.
    assert call(client, FEEDBACK, body, key).status_code == 200
    assert CdsFeedback.objects.count() == 1


def test_accepted_is_recorded_without_a_reason(client, emr):
    _, key = emr
    card = _card(client, key)
    body = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "accepted",
                "outcomeTimestamp": "2026-11-30T09:00:00Z",
            }
        ]
    }
    assert call(client, FEEDBACK, body, key).status_code == 200
    assert CdsFeedback.objects.get().outcome == "accepted"


def test_an_emr_own_reason_code_is_kept_as_sent(client, emr):
    _, key = emr
    card = _card(client, key)
    reason = {"system": "https://ehr.example.org/reasons", "code": "pt-pref", "display": "Patient"}
    body = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {"reason": reason},
                "outcomeTimestamp": "2026-11-30T09:00:00Z",
            }
        ]
    }
    assert call(client, FEEDBACK, body, key).status_code == 200
    row = CdsFeedback.objects.get()
    assert (row.override_reason, row.other_reason_code, row.other_reason_system) == (
        "",
        "pt-pref",
        "https://ehr.example.org/reasons",
    )


@pytest.mark.parametrize(
    "entry, path",
    [
        ({"outcome": "overridden", "outcomeTimestamp": "2026-11-30T09:00:00Z"}, "feedback.0.card"),
        ({"outcome": "ignored", "outcomeTimestamp": "2026-11-30T09:00:00Z"}, "feedback.0.outcome"),
        ({"outcome": "accepted", "outcomeTimestamp": "yesterday"}, "feedback.0.outcomeTimestamp"),
        (
            {"outcome": "accepted", "outcomeTimestamp": "2026-11-30T09:00:00"},
            "feedback.0.outcomeTimestamp",
        ),
        (
            {
                "outcome": "accepted",
                "outcomeTimestamp": "2026-11-30T09:00:00Z",
                "overrideReason": {"reason": reasons.coding("other")},
            },
            "feedback.0.overrideReason",
        ),
        (
            {
                "outcome": "overridden",
                "outcomeTimestamp": "2026-11-30T09:00:00Z",
                "overrideReason": {"reason": {"system": reasons.SYSTEM, "code": "because"}},
            },
            "feedback.0.overrideReason.reason.code",
        ),
    ],
)
def test_bad_feedback_is_400_naming_the_field_and_stores_nothing(client, emr, entry, path):
    _, key = emr
    card = _card(client, key)
    good = {"card": card["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-11-30T09:00:00Z"}
    entry = {"card": card["uuid"], **entry} if path != "feedback.0.card" else entry
    response = call(client, FEEDBACK, {"feedback": [entry, good]}, key)
    assert response.status_code == 400
    assert path in response.json()["errors"]
    assert not CdsFeedback.objects.exists()


def test_feedback_on_a_card_sent_to_someone_else_or_another_service_is_refused(client, emr):
    _, key = emr
    card = _card(client, key)
    other = make_user("emr2", "clinician")
    _, other_key = ApiToken.issue(user=other, name="another EMR")
    entry = {
        "card": card["uuid"],
        "outcome": "accepted",
        "outcomeTimestamp": "2026-11-30T09:00:00Z",
    }
    assert call(client, FEEDBACK, {"feedback": [entry]}, other_key).status_code == 400
    select_feedback = "/cds-services/rif-addon-order-select/feedback"
    assert call(client, select_feedback, {"feedback": [entry]}, key).status_code == 400
    assert call(client, FEEDBACK, {"nothing": []}, key).status_code == 400
    assert call(client, FEEDBACK, {"feedback": [entry]}, None).status_code == 401
    assert not CdsFeedback.objects.exists()
