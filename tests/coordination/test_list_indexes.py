"""The lists that grew with the data are read along indexes in their own order, their counts
from summary tables: EXPLAIN of the queries the pages really run (captured from the request),
on PostgreSQL, as tests/clinic/test_search_indexes.py does for the patient search.

At 20,000 steps a sequential scan and a sort can still be the planner's cheapest plan; with
scans and sorts priced out (``enable_seqscan``/``enable_sort`` off) the plan shows that an index
serves the query in its order (100,000 work-ups: docs/performance.md has the plans).
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import make_user
from workup.audit import bulk
from workup.clinic.models import ChecklistStep, Patient, WorkUp

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the plans are PostgreSQL's"
)

CODES = ("hysteroscopy", "thyroid", "karyotype", "pgta", "ovarian_reserve", "aps_screen")
OPEN = ChecklistStep.OPEN_STATUSES


@pytest.fixture
def many(clinician, other_clinician, coordinator, lead, loaded_catalogue):
    """3,000 work-ups of three clinicians, 18,000 steps (two thirds open), written in bulk."""
    rng = random.Random(17)  # nosec B311
    third = make_user("cora", "clinician")
    clinicians = [clinician, other_clinician, third]
    today = timezone.localdate()
    # A few patients with many work-ups each: the patient search's own test (its trigram
    # indexes) is left as it finds them.
    patients = Patient.objects.bulk_create(
        Patient(mrn=f"IDX-{n:05d}", name=f"Index Person {n}", birth_date=date(1988, 1, 1))
        for n in range(30)
    )
    workups = WorkUp.objects.bulk_create(
        WorkUp(
            patient=patients[n % len(patients)],
            clinician=clinicians[n % 3],
            date=today - timedelta(days=n % 200),
            age_years=37,
            status=WorkUp.Status.SIGNED if n % 5 == 0 else WorkUp.Status.OPEN,
        )
        for n in range(3000)
    )
    statuses = [*OPEN, ChecklistStep.Status.DONE, ChecklistStep.Status.DONE]
    steps = ChecklistStep.objects.bulk_create(
        ChecklistStep(
            workup=w,
            code=code,
            pillar="uterus",
            status=rng.choice(statuses),
            due_date=today + timedelta(days=rng.randint(-30, 45)) if rng.random() < 0.9 else None,
            assignee=rng.choice([clinician, coordinator, None]),
        )
        for w in workups
        for code in CODES
    )
    # Their history records, on the audit chains, as the demo seed writes them.
    now = timezone.now()
    bulk.append(
        [
            bulk.history_of(model, rows, when=now, reason="test rows")
            for model, rows in ((Patient, patients), (WorkUp, workups), (ChecklistStep, steps))
        ]
    )
    # A few changes, the newest records of the trail (each described with the one before it).
    for step in ChecklistStep.objects.filter(workup__in=workups[:3], code="thyroid"):
        step.assignee = coordinator
        step.save()
    # Statistics for the tables these plans read (the patients' are left as the patient
    # search's own test sets them).
    with connection.cursor() as cursor:
        for model in (WorkUp, ChecklistStep):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
            cursor.execute(f"ANALYZE {model.history.model._meta.db_table}")
        cursor.execute(f"ANALYZE {Patient.history.model._meta.db_table}")
    return {"clinician": clinician, "coordinator": coordinator, "lead": lead}


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        try:
            cursor.execute("EXPLAIN " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("SET LOCAL enable_seqscan = on")
            cursor.execute("SET LOCAL enable_sort = on")


def sorts(plan: str) -> bool:
    """Whether the plan has a Sort node (a Merge Append's "Sort Key" is not one)."""
    node = re.compile(r"(->\s+)?(Incremental )?Sort\s+\(cost")
    return any(node.match(line.strip()) for line in plan.splitlines())


def page_queries(client, user, url) -> list[str]:
    """The SQL of every query the page runs (the second request: the first settles the
    session)."""
    client.force_login(user)
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def reading(queries, table) -> list[str]:
    return [sql for sql in queries if f'"{table}"' in sql]


@pytest.mark.django_db
def test_the_queue_of_one_step_walks_the_step_index_and_counts_from_the_summary(client, many):
    queries = page_queries(client, many["coordinator"], "/coordinator/?step=hysteroscopy")
    (rows,) = reading(queries, "clinic_checkliststep")  # the page's rows; no count over steps
    assert "LIMIT 50" in rows
    plan = explain(rows)
    assert "step_code_queue_idx" in plan and not sorts(plan), plan
    (counts,) = reading(queries, "coordination_stepcount")
    assert "clinic_checkliststep" not in counts


@pytest.mark.django_db
def test_my_queue_walks_the_queue_index_and_counts_from_the_summary(client, many):
    queries = page_queries(client, many["clinician"], "/my-queue/")
    (rows,) = reading(queries, "clinic_checkliststep")
    plan = explain(rows)
    assert "step_queue_idx" in plan and not sorts(plan), plan
    (counts,) = reading(queries, "coordination_stepcount")
    assert "clinic_checkliststep" not in counts and "clinic_workup" not in counts


@pytest.mark.django_db
def test_the_clinician_start_page_reads_a_page_of_its_index_and_counts_from_the_summaries(
    client, many
):
    queries = page_queries(client, many["clinician"], "/")
    (listed,) = [sql for sql in queries if sql.startswith('SELECT "clinic_workup"."id"')]
    plan = explain(listed)
    assert "workup_home_idx" in plan and not sorts(plan), plan
    assert not any("COUNT(" in sql for sql in queries), "a count over the rows"
    assert reading(queries, "coordination_workupcount")
    assert reading(queries, "coordination_stepcount")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/audit/", "/"])
def test_the_audit_trail_merges_the_history_tables_along_their_order_indexes(client, many, url):
    """The lead's start page and the audit page: every history table read backwards along its
    (history_date, history_id) index and merged, stopping after a page; no count of the trail."""
    queries = page_queries(client, many["lead"], url)
    (union,) = [sql for sql in queries if "UNION ALL" in sql and '"e_area"' in sql]
    plan = explain(union)
    assert "Merge Append" in plan and not sorts(plan) and "Seq Scan" not in plan, plan
    for table in ("checkliststep", "workup", "findings", "patient"):
        assert f"on clinic_historical{table} " in plan, plan
    assert plan.count("Index Scan Backward using clinic_hist_history") >= 7, plan
    assert not any("COUNT(" in sql and "UNION" in sql for sql in queries)
    # The changed steps on the page: their rows' history, read by the rows' index.
    (changed,) = [
        sql for sql in queries if sql.startswith('SELECT "clinic_historicalcheckliststep"')
    ]
    plan = explain(changed)
    assert "clinic_historicalcheckliststep_id_" in plan and "Seq Scan on clinic_hist" not in plan
