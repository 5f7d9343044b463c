"""Synthetic demo data: invented people with plausible, varied facts. No real patient, ever.

``seed(count, ...)`` tops the database up to ``count`` demo work-ups (MRNs DEMO-000001…) with bulk
inserts, history rows included. Facts go through the same validation and engine as everything
else, so the stored checklist matches what the work-up page computes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from workup.audit.chain import HISTORY_AUDIT_COLUMNS, seal_unchained
from workup.evidence import engine, store
from workup.evidence.catalogue import Catalogue
from workup.evidence.facts import parse_facts

from .assessment import assess_workup, cycle_rows, findings_from_facts, plan_row
from .demo_transfers import with_transfer_history
from .models import (
    AddonRequest,
    ChecklistStep,
    Findings,
    Patient,
    PlannedCycle,
    StimulationCycle,
    WorkUp,
)
from .services import plan_step_changes
from .transfer_records import Transfer, transfer_rows

MRN_PREFIX = "DEMO-"
BATCH = 1000

# Invented name parts; combinations are random, so no name points at a real person.
FIRST_NAMES = [
    "Ada",
    "Alba",
    "Alice",
    "Amara",
    "Anna",
    "Aoife",
    "Beatriz",
    "Bella",
    "Carmen",
    "Chloe",
    "Clara",
    "Dana",
    "Delia",
    "Edith",
    "Elena",
    "Elif",
    "Ella",
    "Emma",
    "Esme",
    "Eva",
    "Farah",
    "Flora",
    "Freya",
    "Gemma",
    "Greta",
    "Hana",
    "Hazel",
    "Ida",
    "Ines",
    "Iris",
    "Isla",
    "Jana",
    "Jade",
    "Julia",
    "Kira",
    "Lara",
    "Layla",
    "Lea",
    "Lena",
    "Lila",
    "Lina",
    "Lotte",
    "Lucia",
    "Maya",
    "Mei",
    "Mila",
    "Mira",
    "Nadia",
    "Nina",
    "Noor",
    "Nora",
    "Olga",
    "Petra",
    "Priya",
    "Rana",
    "Rosa",
    "Ruth",
    "Sara",
    "Selin",
    "Sofia",
    "Tara",
    "Thea",
    "Una",
    "Vera",
    "Yara",
    "Zoe",
]
LAST_NAMES = [
    "Abbott",
    "Acorn",
    "Alder",
    "Ashby",
    "Bell",
    "Birch",
    "Brook",
    "Calder",
    "Carden",
    "Cole",
    "Dale",
    "Darrow",
    "Ellery",
    "Elm",
    "Fairley",
    "Fenn",
    "Frost",
    "Garner",
    "Glen",
    "Hale",
    "Harrow",
    "Hollis",
    "Ivers",
    "Jessop",
    "Kestrel",
    "Lark",
    "Lowe",
    "Marsh",
    "Mead",
    "Moss",
    "Nettle",
    "Oakley",
    "Orchard",
    "Pike",
    "Quill",
    "Rowan",
    "Rook",
    "Sedge",
    "Shaw",
    "Sorrel",
    "Stone",
    "Thorne",
    "Tarn",
    "Vale",
    "Wren",
    "Yarrow",
    "Young",
]

IMMUNE_ADDONS = ("intralipids", "ivig", "corticosteroids", "anti_tnf", "tacrolimus", "pbmc", "lit")
OTHER_ADDONS = ("era", "nk_testing", "endometrial_scratching", "heparin", "aspirin", "prp", "g_csf")

DEMO_COLLEAGUES = (("dr_alder", "Maya", "Alder"), ("dr_fenn", "Tara", "Fenn"))


@dataclass
class SeedReport:
    created: int
    existing: int
    seconds: float


HISTORY_OWN = (
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
    *HISTORY_AUDIT_COLUMNS,
)


def insert_rows(model, objs: list) -> list:
    """``bulk_create`` for the seed, with PostgreSQL's COPY where the database is PostgreSQL.

    Django compiles an INSERT value by value (most of the seed's time at 100,000 work-ups);
    COPY streams the rows as they are. The primary keys are taken from the table's sequence
    first, so the objects come back with their ids, as from ``bulk_create``.
    """
    if connection.vendor != "postgresql" or not objs:
        return model.objects.bulk_create(objs, batch_size=BATCH)
    from psycopg.types.json import Jsonb

    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.generated]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        missing = [o for o in objs if o.pk is None]
        if missing:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(missing)],
            )
            for obj, (pk,) in zip(missing, cursor.fetchall(), strict=True):
                obj.pk = pk
        json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
        names = ", ".join(quote(f.column) for f in fields)
        # Table and column names come from the models, never from input.
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({names}) FROM STDIN") as copy:
            for obj in objs:
                row = []
                for f in fields:
                    value = f.pre_save(obj, add=True)
                    row.append(Jsonb(value) if f.attname in json_fields else value)
                copy.write_row(row)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def copy_to_history(model, key: str, ids: list[int], when) -> None:
    """Write the 'created' history rows of freshly inserted rows in one INSERT ... SELECT.

    The same rows simple-history would write one object at a time, at a fraction of the cost:
    the database copies the columns itself. ``key`` is the column that selects the rows.
    """
    if not ids:
        return
    history = model.history.model
    quote = connection.ops.quote_name
    # The row's own columns (a history table may keep a retired one, e.g. a cycle's OHSS yes/no).
    live = {f.column for f in model._meta.concrete_fields}
    columns = [
        f.column
        for f in history._meta.concrete_fields
        if f.name not in HISTORY_OWN and f.column in live
    ]
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join(["%s"] * len(ids))
    # Table and column names come from the models, never from input; values are parameters.
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} "  # noqa: S608  # nosec B608
        f"({names}, history_date, history_type, history_change_reason, history_user_id) "
        f"SELECT {names}, %s, '+', %s, NULL FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(key)} IN ({marks})"
    )
    with connection.cursor() as cursor:
        stamp = connection.ops.adapt_datetimefield_value(when)
        cursor.execute(sql, [stamp, "synthetic demo data", *ids])
    # Rows written by SQL are put on the audit chain (workup.audit.chain), as save() would.
    seal_unchained(history)


PROTOCOL_WEIGHTS = (
    ("antagonist", 60),
    ("long_agonist", 20),
    ("ppos", 8),
    ("mild", 8),
    ("natural", 4),
)


def synthetic_cycles(rng: random.Random, age: int, amh_ng: float, before: date) -> list[dict]:
    """One to three previous cycles, a few months apart, plausible for the reserve: the dose
    rises where the reserve is low, the oocytes follow AMH, OHSS comes with many oocytes."""
    protocols, weights = zip(*PROTOCOL_WEIGHTS, strict=True)
    cycles = []
    day = before - timedelta(days=rng.randint(60, 240))
    for _ in range(rng.randint(1, 3)):
        protocol = rng.choices(protocols, weights=weights)[0]
        if protocol == "natural":
            oocytes, dose = rng.choice((0, 1, 1, 1, 2)), None
        else:
            dose = 150 if amh_ng > 3 else 225 if amh_ng > 1.2 else 300
            if age >= 40 and amh_ng <= 1.2:
                dose = rng.choice((300, 375, 450))
            if protocol == "mild":
                dose = rng.choice((75, 100, 150))
            oocytes = max(0, min(40, int(rng.gauss(2 + amh_ng * 3.2, 3))))
            if protocol == "mild":
                oocytes = min(oocytes, rng.randint(1, 7))
        cycle: dict = {"date": day.isoformat(), "protocol": protocol, "oocytes": oocytes}
        if dose is not None:
            cycle["daily_dose_iu"] = dose
        if protocol != "natural":
            cycle["maximal_stimulation"] = dose is not None and dose >= 300
            hyper = oocytes >= 15
            cycle["trigger"] = rng.choice(("agonist", "dual")) if hyper else "hcg"
            cycle["mature_oocytes"] = round(oocytes * rng.uniform(0.6, 0.9))
            grade = "none"
            if oocytes >= 15 and rng.random() < 0.35:
                grade = rng.choice(("mild", "mild", "moderate", "severe"))
            elif oocytes >= 10 and rng.random() < 0.05:
                grade = "mild"
            cycle["ohss"] = grade
            cycle["freeze_all"] = hyper or grade in ("moderate", "severe") or rng.random() < 0.2
        cycles.append(cycle)
        day -= timedelta(days=rng.randint(90, 300))
    cycles.reverse()  # oldest first, as recorded
    return cycles


def synthetic_plan(rng: random.Random, cycles: list[dict], addon_codes) -> dict:
    """A planned next cycle: some follow the evidence, some depart from it."""
    best = max(c["oocytes"] for c in cycles)
    last_dose = next((c["daily_dose_iu"] for c in reversed(cycles) if "daily_dose_iu" in c), 225)
    plan: dict = {"protocol": rng.choice(("antagonist", "antagonist", "long_agonist", "ppos"))}
    if best >= 15:
        plan["daily_dose_iu"] = rng.choice((100, 125, 150))
        plan["trigger"] = rng.choice(("agonist", "agonist", "hcg"))
        plan["freeze_all"] = rng.random() < 0.8
    elif best <= 3:
        plan["daily_dose_iu"] = min(600, last_dose + rng.choice((0, 75, 150)))
        plan["trigger"] = "hcg"
        adjuvants = [c for c in ("growth_hormone", "dhea") if c in addon_codes]
        if adjuvants and rng.random() < 0.3:
            plan["adjuvants"] = [rng.choice(adjuvants)]
    else:
        plan["daily_dose_iu"] = last_dose
        plan["trigger"] = rng.choice(("hcg", "dual"))
    return plan


def synthetic_facts(
    rng: random.Random, age: int, addon_codes, workup_date: date | None = None
) -> dict:
    """One patient's facts, varied across the catalogue's rules."""
    workup_date = workup_date or date(2026, 6, 1)
    facts: dict = {"age": age}
    failed = rng.choices(range(0, 7), weights=(4, 10, 18, 24, 18, 10, 6))[0]
    facts["failed_transfers"] = failed
    if failed and rng.random() < 0.3:
        facts["euploid_failed_transfers"] = rng.randint(1, failed)
    facts["miscarriages"] = rng.choices((0, 1, 2, 3), weights=(70, 18, 8, 4))[0]

    if rng.random() < 0.8:
        facts["bmi"] = round(min(40.0, max(17.0, rng.gauss(25, 4))), 1)
        facts["smoker"] = rng.random() < 0.12
    if rng.random() < 0.7:
        facts["tsh"] = round(min(9.5, max(0.3, rng.lognormvariate(0.7, 0.45))), 2)
        facts["tpo_positive"] = rng.random() < 0.15
    facts["aps"] = rng.choices(
        ("not_tested", "negative", "single_positive", "confirmed"), weights=(45, 45, 6, 4)
    )[0]
    karyotype = rng.choices((None, "normal", "abnormal"), weights=(60, 38, 2))[0]
    if karyotype:
        facts["karyotype"] = karyotype
    if rng.random() < 0.6:
        facts["embryo_review"] = {"done": True}
    if rng.random() < 0.6:
        done = rng.random() < 0.5
        pgta = {"done": done, "discussed": True}
        if done:
            pgta.update(
                euploid=rng.randint(0, 4),
                aneuploid=rng.randint(0, 4),
                mosaic=rng.choice((0, 0, 0, 1)),
            )
        facts["pgta"] = pgta
    if rng.random() < 0.7:
        facts["uterine_imaging"] = {"done": True}
    if rng.random() < 0.45:
        facts["hysteroscopy"] = {
            "done": True,
            "polyp": rng.random() < 0.15,
            "submucosal_fibroid": rng.random() < 0.05,
            "septum": rng.random() < 0.03,
            "adhesions": rng.random() < 0.04,
            "endometritis_signs": rng.random() < 0.08,
        }
    if rng.random() < 0.35:
        positive = rng.random() < 0.3
        biopsy = {"done": True, "cd138_positive": positive}
        if positive and rng.random() < 0.6:
            biopsy["treated"] = True
            outcome = rng.choices((None, True, False), weights=(40, 50, 10))[0]
            if outcome is not None:
                biopsy["rebiopsy_negative"] = outcome
        facts["ce_biopsy"] = biopsy
    if rng.random() < 0.5:
        facts["hydrosalpinx"] = rng.random() < 0.06
    if rng.random() < 0.5:
        facts["adenomyosis"] = rng.random() < 0.08

    # Ovarian reserve falls with age; AFC follows AMH.
    amh_ng = max(0.05, rng.lognormvariate(math.log(max(0.3, 4.5 - 0.11 * age)), 0.6))
    if rng.random() < 0.85:
        if rng.random() < 0.3:
            facts["amh"] = {"value": round(amh_ng * 7.14, 1), "unit": "pmol/L"}
        else:
            facts["amh"] = {"value": round(amh_ng, 2), "unit": "ng/mL"}
        facts["afc"] = max(0, min(60, int(rng.gauss(4 + amh_ng * 4, 3))))
    if rng.random() < 0.8:
        facts["previous_cycles"] = synthetic_cycles(rng, age, amh_ng, workup_date)
        if rng.random() < 0.3:
            facts["planned_cycle"] = synthetic_plan(rng, facts["previous_cycles"], addon_codes)

    if rng.random() < 0.35:
        pool = [c for c in IMMUNE_ADDONS + OTHER_ADDONS if c in addon_codes]
        weights = [3 if c in IMMUNE_ADDONS else 1 for c in pool]
        chosen = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            code = rng.choices(pool, weights=weights)[0]
            if code not in chosen:
                chosen.append(code)
        facts["addons_requested"] = chosen
    return facts


def demo_users(password: str | None):
    """The three demo logins (and two colleagues who cannot sign in, for variety)."""
    from workup.accounts.roles import assign_role

    User = get_user_model()
    users = {}
    for username, role, first, last in (
        ("clinician", "clinician", "Demo", "Clinician"),
        ("coordinator", "coordinator", "Demo", "Coordinator"),
        ("lead", "lead", "Demo", "Lead"),
    ):
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if password:
            user.set_password(password)
            user.save()
        assign_role(user, role)
        users[role] = user
    colleagues = []
    for username, first, last in DEMO_COLLEAGUES:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_unusable_password()
            user.save()
        assign_role(user, "clinician")
        colleagues.append(user)
    return users, colleagues


def _schedule(rng: random.Random, step: ChecklistStep, today: date, assignees) -> None:
    """Give an open step a plausible due date, booking and owner (some overdue)."""
    if step.status not in ChecklistStep.OPEN_STATUSES:
        return
    roll = rng.random()
    if roll < 0.15:
        return  # not planned yet
    step.due_date = today + timedelta(days=rng.randint(-30, 45))
    step.assignee = rng.choice(assignees)
    if roll > 0.65:
        step.status = ChecklistStep.Status.SCHEDULED
        step.scheduled_for = step.due_date - timedelta(days=rng.randint(0, 5))
    elif roll > 0.58:
        step.status = ChecklistStep.Status.AWAITING_FINDINGS


@transaction.atomic
def demo_language(number: int) -> str:
    """Some demo patients read French or Turkish (their sheets are printed in it); by number,
    so the random draws of the rest of the demo stay as they were."""
    return {3: "fr", 5: "tr"}.get(number % 7, "en")


def seed(count: int, *, password: str | None = None, seed_value: int = 2026) -> SeedReport:
    started = timezone.now()
    store.load_fixture()
    catalogue: Catalogue = store.get_catalogue()
    users, colleagues = demo_users(password)
    clinicians = [users["clinician"], users["clinician"], *colleagues]
    assignees = [users["clinician"], users["coordinator"], *colleagues, None]

    existing = Patient.objects.filter(mrn__startswith=MRN_PREFIX).count()
    # Synthetic data, not security: a seeded generator keeps the demo reproducible.
    rng = random.Random(seed_value + existing)  # nosec B311
    today = timezone.localdate()
    now = timezone.now()
    codes = catalogue.codes_for_facts()
    number = existing
    remaining = max(0, count - existing)
    while remaining:
        size = min(BATCH, remaining)
        remaining -= size
        patients, plans, retrievals = [], [], []
        for _ in range(size):
            number += 1
            age = min(45, max(25, int(rng.gauss(37, 4))))
            workup_date = today - timedelta(days=rng.randint(0, 120))
            birth = workup_date - timedelta(days=int(age * 365.25) + rng.randint(1, 360))
            patients.append(
                Patient(
                    mrn=f"{MRN_PREFIX}{number:06d}",
                    name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    birth_date=birth,
                    language=demo_language(number),
                )
            )
            data = synthetic_facts(rng, age, codes["addon_codes"], workup_date)
            data, retrieved = with_transfer_history(rng, data, birth=birth, workup_date=workup_date)
            retrievals.append(retrieved)
            plans.append((workup_date, parse_facts(data, **codes)))
        patients = insert_rows(Patient, patients)
        copy_to_history(Patient, "id", [p.pk for p in patients], now)

        workups = []
        for patient, (workup_date, facts) in zip(patients, plans, strict=True):
            clinician = rng.choice(clinicians)
            signed = rng.random() < 0.2
            workups.append(
                WorkUp(
                    patient=patient,
                    clinician=clinician,
                    date=workup_date,
                    age_years=facts.age,
                    created_by=clinician,
                    status=WorkUp.Status.SIGNED if signed else WorkUp.Status.OPEN,
                    signed_by=clinician if signed else None,
                    signed_at=now if signed else None,
                    signed_catalogue_version=(
                        f"{catalogue.version} (revision {catalogue.revision})" if signed else ""
                    ),
                )
            )
        workups = insert_rows(WorkUp, workups)
        workup_ids = [w.pk for w in workups]
        copy_to_history(WorkUp, "id", workup_ids, now)

        findings, cycles, plans_rows, transfers, requests, steps = [], [], [], [], [], []
        for workup, (_, facts), retrieved in zip(workups, plans, retrievals, strict=True):
            row = Findings(workup=workup)
            findings_from_facts(facts, row)
            findings.append(row)
            cycles.extend(StimulationCycle(workup=workup, **c) for c in cycle_rows(facts))
            plan = plan_row(facts)
            if plan is not None:
                plans_rows.append(PlannedCycle(workup=workup, updated_by=workup.clinician, **plan))
            for values in transfer_rows(facts):
                when = values["date"].isoformat()
                transfers.append(
                    Transfer(workup=workup, retrieval_date=retrieved.get(when), **values)
                )
            for code in facts.addons_requested:
                request = AddonRequest(workup=workup, addon_code=code, recorded_by=workup.clinician)
                if rng.random() < 0.5:
                    request.outcome = rng.choice(
                        (
                            AddonRequest.Outcome.DECLINED,
                            AddonRequest.Outcome.DECLINED,
                            AddonRequest.Outcome.UNDECIDED,
                            AddonRequest.Outcome.TRIAL,
                        )
                    )
                    request.counselled_by = workup.clinician
                    request.counselled_at = now
                requests.append(request)
            answer = engine.assess(facts, catalogue)
            created, _ = plan_step_changes(workup=workup, steps=[], answer=answer, now=now)
            for step in created:
                _schedule(rng, step, today, assignees)
            steps.extend(created)
        for model, rows in (
            (Findings, findings),
            (StimulationCycle, cycles),
            (PlannedCycle, plans_rows),
            (Transfer, transfers),
            (AddonRequest, requests),
            (ChecklistStep, steps),
        ):
            insert_rows(model, rows)
            copy_to_history(model, "workup_id", workup_ids, now)
        freeze_signed([w.pk for w in workups if w.status == WorkUp.Status.SIGNED], catalogue, now)

    seconds = (timezone.now() - started).total_seconds()
    return SeedReport(created=number - existing, existing=existing, seconds=seconds)


def freeze_signed(ids: list[int], catalogue, now) -> None:
    """Signed demo work-ups keep their signed record, as a real sign-off does
    (``services.sign_workup``), so their pages and documents render as signed, not as a row
    signed before signed records were kept."""
    from django.db.models import Prefetch

    from .signed import freeze

    if not ids:
        return
    rows = (
        WorkUp.objects.filter(pk__in=ids)
        .select_related("patient", "findings", "planned_cycle")
        .prefetch_related(
            "cycles",
            "transfers",
            Prefetch(
                "addon_requests", queryset=AddonRequest.objects.select_related("counselled_by")
            ),
            "steps",
        )
    )
    changed = []
    for workup in rows:
        facts, answer = assess_workup(workup, catalogue)
        workup.signed_assessment = freeze(
            workup=workup, facts=facts, answer=answer, catalogue=catalogue, now=now
        )
        changed.append(workup)
    # A bulk update writes no history row: the sign-off is in the work-up's history already, and
    # the signed record is not a history column (``signed_assessment`` is excluded there).
    WorkUp.objects.bulk_update(changed, ["signed_assessment"], batch_size=500)
