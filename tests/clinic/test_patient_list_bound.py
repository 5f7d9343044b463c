"""The patient list never counts every match: one query for a page, whatever the matches."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_patient


@pytest.fixture
def many(db):
    for n in range(40):
        make_patient(mrn=f"SYN-{n:04d}", name=f"Patient {n:02d}")


def patient_queries(client, **query) -> tuple:
    client.get(reverse("clinic:patient_list"))  # settle the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("clinic:patient_list"), query)
    return response, [q["sql"] for q in queries if 'FROM "clinic_patient"' in q["sql"]]


@pytest.mark.django_db
def test_a_full_page_with_more_after_it_is_one_query_and_offers_the_next_page(
    clinician_client, many
):
    response, queries = patient_queries(clinician_client, q="SYN")
    assert len(queries) == 1 and "COUNT(" not in queries[0]
    text = response.content.decode()
    assert "Patients 1–25 matching “SYN”, by name; more on the next page" in text
    assert "page=2" in text and "Page 1" in text
    page = response.context["page"]
    assert page.has_next() and page.paginator.count is None


@pytest.mark.django_db
def test_the_last_page_knows_the_number_of_matches(clinician_client, many):
    response, queries = patient_queries(clinician_client, q="SYN", page="2")
    assert len(queries) == 1
    assert "40 patients matching “SYN”" in response.content.decode()
    assert "Previous" in response.content.decode()


@pytest.mark.django_db
def test_a_search_with_one_page_of_matches_is_read_in_one_query(clinician_client, many):
    response, queries = patient_queries(clinician_client, q="Patient 1")
    assert [p.mrn for p in response.context["page"].object_list][:2] == ["SYN-0010", "SYN-0011"]
    assert len(queries) == 1
    assert "10 patients matching “Patient 1”" in response.content.decode()
