"""Two people save the same step at the same moment: one wins, the other is told, nothing lost."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

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


def _run_together(count, target):
    """``count`` threads, each on its own database connection, released at the same moment."""
    barrier = threading.Barrier(count)
    outcomes: dict[int, str] = {}

    def run(i):
        try:
            barrier.wait(timeout=20)
            outcomes[i] = target(i)
        except Exception as exc:  # noqa: BLE001 - any other failure is what the test looks for
            outcomes[i] = f"error: {type(exc).__name__}: {exc}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_counselling_saves_store_one_and_refuse_the_rest(
    clinician, loaded_catalogue
):
    from workup.clinic.forms import CounsellingForm
    from workup.clinic.models import AddonRequest
    from workup.clinic.services import record_counselling

    workup = make_workup(
        clinician=clinician, facts={"age": 36, "failed_transfers": 3, "addons_requested": ["ivig"]}
    )
    row = AddonRequest.objects.get(workup=workup)
    outcomes_words = ["discussed_declined", "discussed_undecided", "referred_trial"]

    def save(i):
        prefix = f"counsel-{row.pk}"
        fresh = load_workup(workup.pk)
        data = {
            f"{prefix}-outcome": outcomes_words[i % 3],
            f"{prefix}-outcome_reason": f"note {i}",
            f"{prefix}-version": str(row.version),
        }
        form = CounsellingForm(data, prefix=prefix, instance=row, workup=fresh)
        assert form.is_valid(), form.errors
        try:
            record_counselling(
                request=row,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["outcome_reason"],
                version=form.cleaned_data["version"],
                user=clinician,
            )
        except StaleEdit as stale:
            return str(stale)
        return f"saved note {i}"

    outcomes = _run_together(20, save)
    saved = [v for v in outcomes.values() if v.startswith("saved")]
    refused = [v for v in outcomes.values() if v.startswith("Not saved:")]
    assert len(saved) == 1 and len(refused) == 19, outcomes
    stored = AddonRequest.objects.get(pk=row.pk)
    assert saved[0] == f"saved {stored.outcome_reason}"  # the one that said "saved" is stored
    assert stored.version == row.version + 1
    assert stored.history.count() == 2  # created, then one counselling: nothing overwritten


@pytest.mark.django_db(transaction=True)
def test_twenty_identical_add_on_requests_store_one_and_never_fail(clinician, loaded_catalogue):
    from workup.clinic.models import AddonRequest
    from workup.clinic.services import add_addon_request

    workup = make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 3})

    def request(i):
        try:
            add_addon_request(
                workup=load_workup(workup.pk), code="ivig", requested_by="patient", user=clinician
            )
        except StaleEdit as stale:
            return str(stale)
        return "saved"

    outcomes = _run_together(20, request)
    assert list(outcomes.values()).count("saved") == 1, outcomes
    assert all(v == "saved" or v.startswith("Not recorded:") for v in outcomes.values()), outcomes
    assert AddonRequest.objects.filter(workup=workup, addon_code="ivig").count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_on_one_day_are_all_counted_on_the_dashboard(
    clinician, loaded_catalogue
):
    """Ten add-on requests on ten work-ups of one clinician, at once: each write recounts the
    same day's and month's buckets after it commits; the recounts wait for each other, so the
    lead's figure says ten (without the lock, two recounts inserting one bucket collided)."""
    from workup.clinic.models import AddonRequest
    from workup.clinic.services import add_addon_request
    from workup.guardrail import quality

    workups = [
        make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 3})
        for _ in range(10)
    ]

    def request(i):
        add_addon_request(
            workup=load_workup(workups[i].pk), code="ivig", requested_by="patient", user=clinician
        )
        return "saved"

    outcomes = _run_together(10, request)
    assert list(outcomes.values()) == ["saved"] * 10, outcomes
    assert AddonRequest.objects.filter(addon_code="ivig").count() == 10
    today = timezone.localdate()
    for who in (None, clinician):
        rows = quality.RequestGroups(quality.Filters(today, today, who)).rows
        assert rows == [{"addon_code": "ivig", "outcome": "not_counselled", "n": 10}]
