"""Small helpers that make synthetic records for tests."""

from __future__ import annotations

import itertools
from datetime import date

from workup.clinic.models import Patient
from workup.clinic.services import create_workup
from workup.evidence import store
from workup.evidence.facts import parse_facts

_numbers = itertools.count(1)

# The contract's example ("Contract 2: transfers" in the assessment contract): a failed untested
# blastocyst from a retrieval at 34, then a biochemical pregnancy from a euploid one at 35.
CONTRACT_TRANSFERS = (
    {
        "date": "2025-02-10",
        "oocyte_age": 34,
        "donor_oocytes": False,
        "frozen": True,
        "stage": "blastocyst",
        "embryos": [{"pgta": "untested", "grade": "4AA"}],
        "outcome": "negative",
    },
    {
        "date": "2025-09-02",
        "oocyte_age": 35,
        "donor_oocytes": False,
        "frozen": True,
        "stage": "blastocyst",
        "embryos": [{"pgta": "euploid", "grade": "5AB"}],
        "outcome": "biochemical",
    },
)


def contract_transfers(*more) -> list[dict]:
    """The contract's two transfers (fresh copies), then ``more``."""
    copies = [{**t, "embryos": [dict(e) for e in t["embryos"]]} for t in CONTRACT_TRANSFERS]
    return copies + list(more)


def make_patient(
    *, mrn=None, name="Test Patient", birth_date=date(1988, 5, 1), language="en"
) -> Patient:
    return Patient.objects.create(
        mrn=mrn or f"TEST-{next(_numbers):05d}",
        name=name,
        birth_date=birth_date,
        language=language,
    )


def make_workup(*, clinician, facts=None, patient=None, workup_date=None):
    """A work-up created through the same service as the API, from contract-shaped facts."""
    catalogue = store.get_catalogue()
    patient = patient or make_patient()
    parsed = parse_facts(facts or {"age": 37}, **catalogue.codes_for_facts())
    return create_workup(
        patient=patient,
        clinician=clinician,
        user=clinician,
        workup_date=workup_date,
        age_years=parsed.age,
        facts=parsed,
        catalogue=catalogue,
    )


def sign(client, workup):
    """Sign through the page, as a clinician would: the form as drawn, the box ticked."""
    from django.urls import reverse

    from workup.clinic.models import WorkUp

    form = client.get(workup.get_absolute_url()).context["forms"]["sign"]
    data = {f"sign-{name}": form[name].value() for name in form.fields}
    data["sign-confirm"] = "on"
    response = client.post(reverse("clinic:sign", args=[workup.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return WorkUp.objects.get(pk=workup.pk)


def sign_as_seen(workup, user):
    """Sign through the service with the fingerprint of the work-up as it stands now."""
    from workup.clinic.assessment import assess_workup
    from workup.clinic.models import WorkUp
    from workup.clinic.presenters import load_workup
    from workup.clinic.services import sign_workup
    from workup.clinic.signed import fingerprint
    from workup.evidence import store

    fresh = load_workup(workup.pk)
    _, answer = assess_workup(fresh, store.get_catalogue())
    sign_workup(workup=fresh, user=user, version=fresh.version, seen=fingerprint(fresh, answer))
    return WorkUp.objects.get(pk=workup.pk)
