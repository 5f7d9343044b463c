"""A status and a reference number are each decided in one place, which page and summary share."""

import pytest

from tests.factories import make_workup
from workup.clinic.models import ChecklistStep
from workup.clinic.presenters import shown_status
from workup.evidence.presenting import number_sources


def row(status):
    return ChecklistStep(code="hysteroscopy", status=status)


@pytest.mark.parametrize(
    "engine_status, stored, shown",
    [
        ("pending", None, "pending"),
        ("pending", "scheduled", "scheduled"),
        ("pending", "awaiting_findings", "awaiting_findings"),
        ("pending", "done", "pending"),  # a stored row behind the engine does not win
        ("done", "scheduled", "done"),
        ("not_indicated", "scheduled", "not_indicated"),
    ],
)
def test_the_status_shown_is_the_engines_with_how_far_an_open_step_has_got(
    engine_status, stored, shown
):
    step = row(stored) if stored else None
    assert shown_status({"status": engine_status}, step) == shown


def test_sources_are_numbered_by_first_citation_and_unknown_ones_left_out():
    numbers = number_sources(["b", "a", "b", "c", "x"], known={"a", "b", "c"})
    assert numbers == {"b": 1, "a": 2, "c": 3}
    assert list(numbers.items()) == [("b", 1), ("a", 2), ("c", 3)]


@pytest.mark.django_db
def test_the_summary_shows_a_booked_step_as_the_page_does(
    clinician_client, clinician, loaded_catalogue
):
    workup = make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 3})
    ChecklistStep.objects.filter(workup=workup, code="hysteroscopy").update(status="scheduled")
    page = clinician_client.get(workup.get_absolute_url()).content.decode()
    summary = clinician_client.get(f"/workups/{workup.pk}/summary/").content.decode()
    page_row = page[page.index('id="step-hysteroscopy"') :]
    summary_row = summary[summary.index('data-investigation="hysteroscopy"') :]
    assert "status-scheduled" in page_row[: page_row.index("</li>")]
    assert "status-scheduled" in summary_row[: summary_row.index("</tr>")]
