"""Synthetic demo data: invented people with plausible, varied facts. No real patient, ever.

``seed(count, ...)`` tops the database up to ``count`` demo work-ups (MRNs DEMO-000001…) with bulk
inserts, history rows on the audit chain included. Facts go through the same validation and
engine as everything else, so the stored checklist matches what the work-up page computes.

How the rows are made and written (docs/performance.md, "Seeding"): ``seed_batch`` builds the
model objects of a batch of work-ups, kind after kind, each kind handed to ``Batch.add``;
``Batch.write`` computes what derives from them in memory (sign-off records, the dashboard's
summary rows, the history records' chain text), then writes every row with COPY on PostgreSQL.
On PostgreSQL the batches are written by one process per core, each batch in its own transaction.
A new kind of demo row: build its objects in ``seed_batch`` after the rows they refer to and
``batch.add(Model, objs)`` them; nothing else to change.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import random
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.db.models import Field, QuerySet
from django.utils import timezone

from workup.evidence import engine, store
from workup.evidence.catalogue import Catalogue
from workup.evidence.facts import parse_facts

from .assessment import assess_workup, cycle_rows, findings_from_facts, plan_row, workup_facts
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


HISTORY_REASON = "synthetic demo data"


def assign_ids(model, objs: list) -> None:
    """Primary keys for objects not yet written, so that rows referring to them can be built
    (and their sign-off records and summaries computed) before anything is written.

    PostgreSQL: from the table's sequence (parallel writers never collide). SQLite (one writer
    at a time, the whole seed in one transaction): after the highest id the table has used.
    """
    missing = [o for o in objs if o.pk is None]
    if not missing:
        return
    meta = model._meta
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(missing)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
        else:
            quote = connection.ops.quote_name
            # Table and column names come from the models, never from input.
            cursor.execute(
                f"SELECT MAX({quote(meta.pk.column)}) FROM {quote(meta.db_table)}"  # noqa: S608  # nosec B608
            )
            last = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [meta.db_table])
            used = cursor.fetchone()
            start = max(last, used[0] if used else 0) + 1
            ids = range(start, start + len(missing))
    for obj, pk in zip(missing, ids, strict=True):
        obj.pk = pk


def stamp(model, objs: list) -> None:
    """Set the values a save would set (``auto_now`` dates) on objects not yet written."""
    stamped = [f for f in model._meta.concrete_fields if type(f).pre_save is not Field.pre_save]
    for obj in objs:
        for field in stamped:
            field.pre_save(obj, add=True)


def insert_rows(model, objs: list, *, stamped: bool = False) -> list:
    """``bulk_create`` for the seed: COPY on PostgreSQL (Django compiles an INSERT value by
    value, most of the seed's time at 100,000 work-ups), one ``executemany`` on SQLite.

    Objects without a primary key get one first (``assign_ids``), as from ``bulk_create``; the
    values a save would set are set (``stamp``) unless the caller did so already.
    """
    from workup.audit.bulk import write_rows

    if not objs:
        return objs
    assign_ids(model, objs)
    if not stamped:
        stamp(model, objs)
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    attnames = [f.attname for f in fields]
    write_rows(model, fields, [[getattr(obj, a) for a in attnames] for obj in objs])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


@contextmanager
def no_queries(what: str):
    """Fail loudly if anything reads the database while ``what`` runs on unwritten rows."""

    def refuse(execute, sql, params, many, context):
        raise RuntimeError(
            f"{what} read the database ({sql[:120]}...): the rows it needs are not written yet. "
            "Add the rows of every kind to the batch (Batch.add), so that they are cached on "
            "their work-up before this runs."
        )

    with connection.execute_wrapper(refuse):
        yield


class Batch:
    """The rows of a batch of demo work-ups, of every kind, in the order they are written.

    ``add`` gives new objects their primary keys at once (so the next kind can refer to them);
    ``write`` computes what is derived from the rows (sign-off records, the dashboard's summary
    rows, the history records with their audit-chain text) before writing anything, then writes
    every row with COPY and puts the history on the audit chains: the locks that writing takes
    (the queue counts' rows, the chains' heads) are held only while rows are written.
    """

    def __init__(self):
        self.rows: dict[type, list] = {}
        # The facts each work-up was built from and the engine's answer for them, by work-up.
        self.answers: dict[int, tuple] = {}

    def assess(self, workup: WorkUp, catalogue) -> tuple:
        """``assess_workup`` from the rows as stored; the engine (pure) is not run again when
        the stored facts equal those the work-up was built from."""
        facts = workup_facts(workup, catalogue)
        built = self.answers.get(workup.pk)
        if built is not None and built[0] == facts:
            return facts, built[1]
        return facts, engine.assess(facts, catalogue)

    def add(self, model, objs: list) -> list:
        assign_ids(model, objs)
        stamp(model, objs)
        self.rows.setdefault(model, []).extend(objs)
        return objs

    def cache_on_workups(self) -> list[WorkUp]:
        """Every row of the batch that refers to a work-up, cached on it as
        ``prefetch_related`` / ``select_related`` would (in the order written, i.e. by primary
        key), so the work-up is assessed without reading back what was just built."""
        workups = {w.pk: w for w in self.rows.get(WorkUp, ())}
        for model, objs in self.rows.items():
            for field in model._meta.concrete_fields:
                if not (field.is_relation and field.related_model is WorkUp):
                    continue
                reverse = field.remote_field
                if reverse.hidden:
                    continue
                if field.one_to_one:
                    for workup in workups.values():
                        reverse.set_cached_value(workup, None)
                    for obj in objs:
                        reverse.set_cached_value(workups[getattr(obj, field.attname)], obj)
                    continue
                grouped = {pk: [] for pk in workups}
                for obj in objs:
                    grouped[getattr(obj, field.attname)].append(obj)
                for pk, related in grouped.items():
                    # A bare queryset holding the rows (a filtered one would query: refused
                    # while the batch is computed, see ``no_queries``).
                    queryset = QuerySet(model=model)
                    queryset._result_cache, queryset._prefetch_done = related, True
                    cache = workups[pk].__dict__.setdefault("_prefetched_objects_cache", {})
                    cache[reverse.cache_name] = queryset
        return list(workups.values())

    def write(self, *, catalogue, now) -> None:
        from workup.audit import bulk
        from workup.guardrail.models import WorkupSummary
        from workup.guardrail.summary import summary_row

        with no_queries("Computing the demo batch's sign-off records and summaries"):
            workups = self.cache_on_workups()
            freeze_signed([w for w in workups if w.is_signed], catalogue, now, assess=self.assess)
            summaries = [summary_row(w, catalogue, assess=self.assess) for w in workups]
            histories = [
                bulk.history_of(model, objs, when=now, reason=HISTORY_REASON)
                for model, objs in self.rows.items()
                if hasattr(model, "history")
            ]
        for model, objs in self.rows.items():
            insert_rows(model, objs, stamped=True)
        insert_rows(WorkupSummary, summaries)
        bulk.append(histories)


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


def demo_language(number: int) -> str:
    """Some demo patients read French or Turkish (their sheets are printed in it); by number,
    so the random draws of the rest of the demo stay as they were."""
    return {3: "fr", 5: "tr"}.get(number % 7, "en")


@dataclass
class SeedContext:
    """What every batch needs, worked out once (and inherited by the parallel writers)."""

    catalogue: Catalogue
    codes: dict
    clinicians: list
    assignees: list
    today: date
    now: object
    seed_value: int


def seed(
    count: int, *, password: str | None = None, seed_value: int = 2026, workers: int | None = None
) -> SeedReport:
    """Top the database up to ``count`` demo work-ups (MRNs DEMO-000001...).

    Idempotent: the numbers already taken are skipped, and a second run with the same count
    creates nothing. Batches of ``BATCH`` work-ups; on PostgreSQL, when there are several
    batches and no transaction is open around the call, each batch is written by one of
    ``workers`` processes (one per core by default), in its own transaction: an interrupted seed
    leaves whole batches, and running it again fills the numbers still missing. Otherwise (SQLite,
    tests) every batch is written here, in one transaction.
    """
    started = timezone.now()
    parallel = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        store.load_fixture()
        catalogue: Catalogue = store.get_catalogue()
        users, colleagues = demo_users(password)
        context = SeedContext(
            catalogue=catalogue,
            codes=catalogue.codes_for_facts(),
            clinicians=[users["clinician"], users["clinician"], *colleagues],
            assignees=[users["clinician"], users["coordinator"], *colleagues, None],
            today=timezone.localdate(),
            now=timezone.now(),
            seed_value=seed_value,
        )
        taken = Patient.objects.filter(mrn__startswith=MRN_PREFIX).values_list("mrn", flat=True)
        taken = {int(m[len(MRN_PREFIX) :]) for m in taken if m[len(MRN_PREFIX) :].isdigit()}
        numbers = list(itertools.islice(_free_numbers(taken), max(0, count - len(taken))))
        batches = [numbers[i : i + BATCH] for i in range(0, len(numbers), BATCH)]
        workers = min(workers or os.cpu_count() or 1, len(batches)) if parallel else 1
        if workers <= 1:
            for numbers_ in batches:
                seed_batch(numbers_, context)
    if workers > 1:
        _in_parallel(batches, context, workers)
    seconds = (timezone.now() - started).total_seconds()
    return SeedReport(created=len(numbers), existing=len(taken), seconds=seconds)


def _free_numbers(taken: set[int]):
    number = 0
    while True:
        number += 1
        if number not in taken:
            yield number


_CONTEXT: SeedContext | None = None  # set before the writers are forked; they inherit it


def _in_parallel(batches: list[list[int]], context: SeedContext, workers: int) -> None:
    global _CONTEXT
    _CONTEXT = context
    connections.close_all()  # each writer opens its own connection
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for _ in pool.imap_unordered(_write_batch, batches):
                pass
    finally:
        _CONTEXT = None


def _write_batch(numbers: list[int]) -> int:
    try:
        with transaction.atomic():
            return seed_batch(numbers, _CONTEXT)
    except Exception as error:  # sent back to the parent as text: not every error pickles
        raise RuntimeError(
            f"Demo batch from {MRN_PREFIX}{numbers[0]:06d} failed:\n{traceback.format_exc()}"
        ) from error


def seed_batch(numbers: list[int], context: SeedContext) -> int:
    """The demo work-ups with these MRN numbers, with everything that belongs to them.

    Rows of a new kind are built here as model objects and given to ``batch.add`` (after the
    rows they refer to): they are then written with COPY, cached on their work-up for the
    sign-off record and the summary row, and their history records put on the audit chain.
    """
    # Synthetic data, not security: a generator seeded per batch keeps the demo reproducible,
    # whichever process writes the batch.
    rng = random.Random(context.seed_value * 1_000_003 + numbers[0])  # nosec B311
    catalogue, codes = context.catalogue, context.codes
    clinicians, assignees = context.clinicians, context.assignees
    today, now = context.today, context.now
    batch = Batch()
    patients, plans, retrievals = [], [], []
    for number in numbers:
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
    batch.add(Patient, patients)

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
    batch.add(WorkUp, workups)

    findings, cycles, planned, transfers, requests, steps = [], [], [], [], [], []
    for workup, (_, facts), retrieved in zip(workups, plans, retrievals, strict=True):
        row = Findings(workup=workup)
        findings_from_facts(facts, row)
        findings.append(row)
        cycles.extend(StimulationCycle(workup=workup, **c) for c in cycle_rows(facts))
        plan = plan_row(facts)
        if plan is not None:
            planned.append(PlannedCycle(workup=workup, updated_by=workup.clinician, **plan))
        for values in transfer_rows(facts):
            when = values["date"].isoformat()
            transfers.append(Transfer(workup=workup, retrieval_date=retrieved.get(when), **values))
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
        batch.answers[workup.pk] = (facts, answer)
        created, _ = plan_step_changes(workup=workup, steps=[], answer=answer, now=now)
        for step in created:
            _schedule(rng, step, today, assignees)
        steps.extend(created)
    for model, rows in (
        (Findings, findings),
        (StimulationCycle, cycles),
        (PlannedCycle, planned),
        (Transfer, transfers),
        (AddonRequest, requests),
        (ChecklistStep, steps),
    ):
        batch.add(model, rows)
    batch.write(catalogue=catalogue, now=now)
    return len(numbers)


def freeze_signed(workups: list[WorkUp], catalogue, now, *, assess=assess_workup) -> None:
    """Signed demo work-ups keep their signed record, as a real sign-off does
    (``services.sign_workup``), so their pages and documents render as signed, not as a row
    signed before signed records were kept. The work-ups carry their rows (``Batch``)."""
    from .signed import freeze

    for workup in workups:
        facts, answer = assess(workup, catalogue)
        # Not a history column (``signed_assessment`` is excluded there): the sign-off is in
        # the work-up's history already.
        workup.signed_assessment = freeze(
            workup=workup, facts=facts, answer=answer, catalogue=catalogue, now=now
        )
