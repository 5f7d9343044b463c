"""Queue fixtures: work-ups whose open steps are planned exactly as a test needs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_patient, make_workup
from workup.clinic.models import ChecklistStep

# Past the RIF threshold: every investigation of the catalogue is indicated and pending.
RIF_FACTS = {"age": 36, "failed_transfers": 3}


def day(offset: int):
    """Today plus ``offset`` days (negative: in the past)."""
    return timezone.localdate() + timedelta(days=offset)


def make_case(*, clinician, mrn=None, name="Test Patient", steps=None, facts=None):
    """A work-up with only the given steps left open, each planned as given.

    ``steps`` maps a step code to its plan (``due_date``, ``status``, ``assignee``,
    ``scheduled_for``). The work-up's other steps are closed as if their findings had been
    recorded, so that a test sees exactly the rows it made. Returns the open steps by code.
    """
    steps = steps if steps is not None else {"hysteroscopy": {}}
    patient = make_patient(mrn=mrn, name=name)
    workup = make_workup(clinician=clinician, patient=patient, facts=facts or RIF_FACTS)
    rows = workup.steps.all()
    rows.open().exclude(code__in=list(steps)).update(status=ChecklistStep.Status.DONE)
    for code, plan in steps.items():
        rows.filter(code=code).update(**plan)
    return {s.code: s for s in workup.steps.filter(code__in=list(steps))}


@pytest.fixture
def case(clinician, loaded_catalogue):
    """``case(mrn=..., steps={...})``: a work-up for the clinician fixture unless told."""

    def make(**kwargs):
        kwargs.setdefault("clinician", clinician)
        return make_case(**kwargs)

    return make
