"""Two people save the same step at the same moment: one wins, the other is told, nothing lost."""

import threading

import pytest
from django.db import connection, connections

from tests.factories import make_workup
from workup.clinic.models import ChecklistStep, Findings
from workup.clinic.presenters import load_workup
from workup.clinic.services import StaleEdit, record_findings
from workup.clinic.views.workups import findings_form
from workup.evidence import store

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"
)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_give_one_success_and_one_conflict(
    clinician, other_clinician, loaded_catalogue
):
    workup = make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 3})
    version = ChecklistStep.objects.get(workup=workup, code="hysteroscopy").version
    barrier = threading.Barrier(2)
    outcomes = {}

    def save(user, polyp):
        try:
            catalogue = store.get_catalogue()
            fresh = load_workup(workup.pk)
            data = {
                "hysteroscopy-version": str(version),
                "hysteroscopy-hysteroscopy_done": "true",
                "hysteroscopy-hysteroscopy_polyp": polyp,
            }
            form, _ = findings_form(fresh, catalogue, "hysteroscopy", data=data)
            assert form.is_valid(), form.errors
            barrier.wait(timeout=10)
            record_findings(workup=fresh, code="hysteroscopy", form=form, user=user)
            outcomes[user.username] = "saved"
        except StaleEdit as stale:
            outcomes[user.username] = str(stale)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=save, args=(clinician, "true")),
        threading.Thread(target=save, args=(other_clinician, "false")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(v == "saved" for v in outcomes.values()) == [False, True], outcomes
    winner = next(name for name, v in outcomes.items() if v == "saved")
    loser_message = next(v for v in outcomes.values() if v != "saved")
    assert loser_message.startswith("Not saved:")
    stored = Findings.objects.get(workup=workup).hysteroscopy_polyp
    assert stored is (winner == clinician.username)  # the winner's value, not a mix
    step = ChecklistStep.objects.get(workup=workup, code="hysteroscopy")
    assert step.version == version + 1
