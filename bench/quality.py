"""How fast the lead's dashboard is at scale: bulk-insert N synthetic work-ups with their summary
rows, add-on requests and checklist steps (no engine run: the figures read only these tables),
rebuild the pre-aggregated counts (as ``manage.py refresh_quality_summary`` does after a bulk
import), then time each figure, the dashboard page and one CSV in process and count queries.

    DATABASE_URL=sqlite:////tmp/quality-bench.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/quality-bench.sqlite3 .venv/bin/python bench/quality.py 100000
"""

import os
import random
import statistics
import sys
import time
from datetime import timedelta

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workup.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from workup.accounts.roles import assign_role  # noqa: E402
from workup.clinic.models import AddonRequest, ChecklistStep, Patient, WorkUp  # noqa: E402
from workup.evidence import store  # noqa: E402
from workup.guardrail import counts, quality  # noqa: E402
from workup.guardrail.forms import QualityFilterForm  # noqa: E402
from workup.guardrail.models import QualityCount, WorkupSummary  # noqa: E402

BATCH = 5000
ADDONS = ("intralipids", "ivig", "corticosteroids", "g_csf", "heparin", "era")
STEPS = ("thyroid", "karyotype", "hysteroscopy", "ovarian_reserve", "lifestyle")
OUTCOMES = [o for o, _ in AddonRequest.Outcome.choices]


def fill(count: int) -> None:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    store.load_fixture()
    clinicians = []
    for name in ("benchclin1", "benchclin2", "benchclin3"):
        user, _ = User.objects.get_or_create(username=name, defaults={"first_name": name})
        assign_role(user, "clinician")
        clinicians.append(user)
    lead, _ = User.objects.get_or_create(username="benchlead")
    assign_role(lead, "lead")
    have = WorkUp.objects.count()
    rng = random.Random(15)  # nosec B311 - synthetic data
    today = timezone.localdate()
    now = timezone.now()
    for start in range(have, count, BATCH):
        size = min(BATCH, count - start)
        patients = Patient.objects.bulk_create(
            Patient(mrn=f"QB-{start + i:07d}", name="Bench Patient", birth_date="1988-01-01")
            for i in range(size)
        )
        workups = WorkUp.objects.bulk_create(
            WorkUp(
                patient=p,
                clinician=rng.choice(clinicians),
                date=today - timedelta(days=rng.randint(0, 400)),
                age_years=36,
            )
            for p in patients
        )
        summaries, requests, steps = [], [], []
        for w in workups:
            transfers = rng.randint(0, 6)
            signed = rng.random() < 0.3
            days = rng.randint(0, 120) if signed else None
            summaries.append(
                WorkupSummary(
                    workup=w,
                    clinician=w.clinician,
                    opened_on=w.date,
                    signed_on=w.date + timedelta(days=days) if signed else None,
                    days_to_sign=days,
                    rif_label="rif" if transfers >= 3 else "not_yet",
                    failed_transfers=transfers,
                )
            )
            if rng.random() < 0.3:
                outcome = rng.choice(OUTCOMES)
                against = outcome == AddonRequest.Outcome.AGAINST_ADVICE
                counselled = now - timedelta(days=rng.randint(0, 400))
                requests.append(
                    AddonRequest(
                        workup=w,
                        addon_code=rng.choice(ADDONS),
                        recorded_at=now - timedelta(days=rng.randint(0, 400)),
                        outcome=outcome,
                        override_reason="informed_choice" if against else "",
                        counselled_by=w.clinician if against else None,
                        counselled_at=counselled if against else None,
                    )
                )
            for code in rng.sample(STEPS, 3):
                steps.append(
                    ChecklistStep(
                        workup=w,
                        code=code,
                        pillar="general",
                        due_date=today + timedelta(days=rng.randint(-60, 60)),
                    )
                )
        WorkupSummary.objects.bulk_create(summaries)
        AddonRequest.objects.bulk_create(requests)
        ChecklistStep.objects.bulk_create(steps)
        print(f"{start + size} work-ups", flush=True)


def timed(client, path, runs=7):
    client.get(path)  # warm: the catalogue cache, the session
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    return statistics.median(times), max(times), len(queries.captured_queries)


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    fill(count)
    began = time.perf_counter()
    made = counts.rebuild()
    print(f"rebuilt {made} pre-aggregated rows in {time.perf_counter() - began:.1f} s")
    rows, summaries = QualityCount.objects.count(), WorkupSummary.objects.count()
    print(f"{rows} count rows for {summaries} summaries")
    filters, catalogue = QualityFilterForm(None).filters(), store.get_catalogue()
    for key, build in quality.FIGURES.items():
        times = []
        for _ in range(5):
            began = time.perf_counter()
            build(filters, catalogue, quality.RequestGroups(filters))
            times.append((time.perf_counter() - began) * 1000)
        print(f"figure {key}: median {statistics.median(times):.0f} ms")
    from django.contrib.auth import get_user_model

    setup_test_environment()  # the test client's host ("testserver") is allowed
    client = Client()
    client.force_login(get_user_model().objects.get(username="benchlead"))
    # The clinician with the most work-ups (benchclin1 here; the demo seed's "clinician").
    busiest = WorkUp.objects.values("clinician").annotate(n=Count("pk")).order_by("-n").first()
    clinician = get_user_model().objects.get(pk=busiest["clinician"])
    print(f"busiest clinician: {clinician.username}, {busiest['n']} work-ups")
    print(f"{connection.vendor}, {WorkUp.objects.count()} work-ups")
    for label, path in (
        ("dashboard, default period", "/quality/"),
        ("dashboard, one clinician", f"/quality/?clinician={clinician.pk}"),
        ("dashboard CSV (RIF)", "/quality/rif.csv"),
        ("register of overrides", "/quality/overrides/"),
    ):
        median, worst, queries = timed(client, path)
        print(f"{label}: median {median:.0f} ms, worst {worst:.0f} ms, {queries} queries")


if __name__ == "__main__":
    main()
