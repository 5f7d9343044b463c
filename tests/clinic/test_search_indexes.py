"""Patient search uses its trigram indexes on PostgreSQL: EXPLAIN of the page's own queries."""

from datetime import date

import pytest
from django.db import connection

from workup.clinic.models import Patient
from workup.clinic.views.patients import PAGE_SIZE, patient_search

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only"
)


@pytest.fixture
def patients(db):
    Patient.objects.bulk_create(
        Patient(mrn=f"SYN-{n:06d}", name=f"Synthetic Person {n}", birth_date=date(1988, 1, 1))
        for n in range(20000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE clinic_patient")


def explain(rows, *, scans_priced_out=False) -> str:
    """EXPLAIN of exactly the view's query. At 20,000 patients a sequential scan can still be
    the planner's cheapest plan for a rare term (with 100,000 it takes the trigram indexes,
    docs/performance.md); ``scans_priced_out`` shows the indexes fit the query all the same."""
    with connection.cursor() as cursor:
        if scans_priced_out:
            cursor.execute("SET LOCAL enable_seqscan = off")
        try:
            return rows.explain()
        finally:
            cursor.execute("SET LOCAL enable_seqscan = on")


@pytest.mark.django_db
def test_a_search_for_a_rare_term_reads_the_trigram_indexes(patients):
    """The page's own query (its filter, its order, one page and one row), as the view runs
    it: a search for an MRN is answered from the trigram indexes, not by reading every patient."""
    page = patient_search("SYN-004217")[: PAGE_SIZE + 1]  # the view reads one row more
    plan = explain(page, scans_priced_out=True)
    assert "patient_mrn_trgm_idx" in plan and "patient_name_trgm_idx" in plan, plan
    assert "Seq Scan" not in plan, plan
    assert [p.mrn for p in page] == ["SYN-004217"]


@pytest.mark.django_db
def test_a_common_name_walks_the_name_index_and_stops_after_a_page(patients):
    """Half the patients match: reading the name index in order finds a page at once."""
    plan = explain(patient_search("person 1")[: PAGE_SIZE + 1])
    assert "patient_name_idx" in plan and "Seq Scan" not in plan, plan


@pytest.mark.django_db
def test_the_plain_list_walks_the_name_index_and_stops_after_a_page(patients):
    plan = explain(patient_search("")[: PAGE_SIZE + 1])
    assert "patient_name_idx" in plan and "Seq Scan" not in plan, plan
