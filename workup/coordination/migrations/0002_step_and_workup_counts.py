"""The counts by step and responsible clinician (coordination.models.StepCount) and of work-ups
per clinician (WorkupCount), kept by triggers on the steps and the work-ups, as 0001's QueueCount.

PostgreSQL: statement-level triggers with transition tables (a bulk write is one upsert of a few
rows). SQLite: row-level triggers. A work-up given to another clinician moves the counts of its
open steps from the old clinician to the new one. Both backfill from the rows already there.
"""

from django.db import migrations, models

# As they were when these triggers were written (ChecklistStep.OPEN_STATUSES,
# clinic.models.QUEUE_NO_DUE_DATE). Every piece of SQL below is built from this module's
# constants, never from input.
OPEN = "('pending', 'scheduled', 'awaiting_findings')"
NO_DUE = "9999-12-31"
STEP_KEY = "code, clinician_key, assignee_key, status, pillar, due"
WORKUP_KEY = "clinician_key, status"

STEP_BACKFILL = f"""
INSERT INTO coordination_stepcount ({STEP_KEY}, n)
SELECT s.code, w.clinician_id, COALESCE(s.assignee_id, 0), s.status, s.pillar,
       COALESCE(s.due_date, '{NO_DUE}'), COUNT(*)
FROM clinic_checkliststep s JOIN clinic_workup w ON w.id = s.workup_id
WHERE s.status IN {OPEN} GROUP BY 1, 2, 3, 4, 5, 6
"""  # nosec B608
WORKUP_BACKFILL = f"""
INSERT INTO coordination_workupcount ({WORKUP_KEY}, n)
SELECT clinician_id, status, COUNT(*) FROM clinic_workup GROUP BY 1, 2
"""  # nosec B608


# --- PostgreSQL ----------------------------------------------------------------------------------


def _pg_steps(table: str, sign: int) -> str:
    """Changed steps as key rows, each with the work-up's clinician as it is now."""
    return (
        f"SELECT s.code, w.clinician_id AS k, COALESCE(s.assignee_id, 0) AS a, s.status, "  # nosec B608
        f"s.pillar, COALESCE(s.due_date, DATE '{NO_DUE}') AS d, {sign} AS delta "
        f"FROM {table} s JOIN clinic_workup w ON w.id = s.workup_id WHERE s.status IN {OPEN}"
    )


def _pg_moved(side: str, sign: int) -> str:
    """The open steps of work-ups whose clinician changed, under the old or the new one."""
    return (
        f"SELECT s.code, {side}.clinician_id AS k, COALESCE(s.assignee_id, 0) AS a, s.status, "  # nosec B608
        f"s.pillar, COALESCE(s.due_date, DATE '{NO_DUE}') AS d, {sign} AS delta "
        "FROM old_rows o JOIN new_rows nw ON nw.id = o.id AND nw.clinician_id <> o.clinician_id "
        f"JOIN clinic_checkliststep s ON s.workup_id = o.id WHERE s.status IN {OPEN}"
    )


def _pg_upsert_steps(rows: str) -> str:
    # Sorted by key so that two transactions take the row locks in the same order.
    return f"""
  INSERT INTO coordination_stepcount AS c ({STEP_KEY}, n)
  SELECT code, k, a, status, pillar, d, SUM(delta) FROM ({rows}) AS changed
  GROUP BY 1, 2, 3, 4, 5, 6 HAVING SUM(delta) <> 0 ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT ({STEP_KEY}) DO UPDATE SET n = c.n + EXCLUDED.n;"""  # nosec B608


def _pg_workups(table: str, sign: int) -> str:
    return f"SELECT clinician_id AS k, status, {sign} AS delta FROM {table}"  # nosec B608


def _pg_upsert_workups(rows: str) -> str:
    return f"""
  INSERT INTO coordination_workupcount AS c ({WORKUP_KEY}, n)
  SELECT k, status, SUM(delta) FROM ({rows}) AS changed
  GROUP BY 1, 2 HAVING SUM(delta) <> 0 ORDER BY 1, 2
  ON CONFLICT ({WORKUP_KEY}) DO UPDATE SET n = c.n + EXCLUDED.n;"""  # nosec B608


def _pg_function(name: str, body: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{body}
  RETURN NULL;
END $$;
"""


STEP_TABLE, WORKUP_TABLE = "clinic_checkliststep", "clinic_workup"
POSTGRESQL = [
    _pg_function("coordination_stepcount_ins", _pg_upsert_steps(_pg_steps("new_rows", 1))),
    _pg_function("coordination_stepcount_del", _pg_upsert_steps(_pg_steps("old_rows", -1))),
    _pg_function(
        "coordination_stepcount_upd",
        _pg_upsert_steps(_pg_steps("old_rows", -1) + " UNION ALL " + _pg_steps("new_rows", 1)),
    ),
    """
CREATE OR REPLACE FUNCTION coordination_stepcount_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN DELETE FROM coordination_stepcount; RETURN NULL; END $$;
""",
    _pg_function("coordination_workupcount_ins", _pg_upsert_workups(_pg_workups("new_rows", 1))),
    _pg_function("coordination_workupcount_del", _pg_upsert_workups(_pg_workups("old_rows", -1))),
    # A work-up's update: its own count (status or clinician changed), and its open steps'
    # counts when its clinician changed.
    _pg_function(
        "coordination_workupcount_upd",
        _pg_upsert_workups(_pg_workups("old_rows", -1) + " UNION ALL " + _pg_workups("new_rows", 1))
        + _pg_upsert_steps(_pg_moved("o", -1) + " UNION ALL " + _pg_moved("nw", 1)),
    ),
    """
CREATE OR REPLACE FUNCTION coordination_workupcount_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN DELETE FROM coordination_workupcount; RETURN NULL; END $$;
""",
]
for _table, _prefix in (
    (STEP_TABLE, "coordination_stepcount"),
    (WORKUP_TABLE, "coordination_workupcount"),
):
    POSTGRESQL += [
        f"CREATE TRIGGER {_prefix}_ins AFTER INSERT ON {_table} "
        f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {_prefix}_ins()",
        f"CREATE TRIGGER {_prefix}_del AFTER DELETE ON {_table} "
        f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {_prefix}_del()",
        f"CREATE TRIGGER {_prefix}_upd AFTER UPDATE ON {_table} "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {_prefix}_upd()",
        f"CREATE TRIGGER {_prefix}_truncate AFTER TRUNCATE ON {_table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {_prefix}_truncate()",
    ]
POSTGRESQL_DROP = [
    f"DROP TRIGGER IF EXISTS {prefix}_{op} ON {table}"
    for table, prefix in (
        (STEP_TABLE, "coordination_stepcount"),
        (WORKUP_TABLE, "coordination_workupcount"),
    )
    for op in ("ins", "del", "upd", "truncate")
] + [
    f"DROP FUNCTION IF EXISTS {prefix}_{op}()"
    for prefix in ("coordination_stepcount", "coordination_workupcount")
    for op in ("ins", "del", "upd", "truncate")
]


# --- SQLite (row triggers) -----------------------------------------------------------------------


def _sqlite_step(row: str, sign: int) -> str:
    return f"""
INSERT INTO coordination_stepcount ({STEP_KEY}, n)
SELECT {row}.code, w.clinician_id, COALESCE({row}.assignee_id, 0), {row}.status, {row}.pillar,
       COALESCE({row}.due_date, '{NO_DUE}'), {sign}
FROM clinic_workup AS w WHERE w.id = {row}.workup_id AND {row}.status IN {OPEN}
ON CONFLICT ({STEP_KEY}) DO UPDATE SET n = n + excluded.n;
"""  # nosec B608


def _sqlite_moved(clinician: str, sign: str) -> str:
    return f"""
INSERT INTO coordination_stepcount ({STEP_KEY}, n)
SELECT code, {clinician}, COALESCE(assignee_id, 0), status, pillar,
       COALESCE(due_date, '{NO_DUE}'), {sign}COUNT(*)
FROM clinic_checkliststep WHERE workup_id = NEW.id AND status IN {OPEN}
GROUP BY 1, 2, 3, 4, 5, 6
ON CONFLICT ({STEP_KEY}) DO UPDATE SET n = n + excluded.n;
"""  # nosec B608


def _sqlite_workup(row: str, sign: int) -> str:
    return f"""
INSERT INTO coordination_workupcount ({WORKUP_KEY}, n)
SELECT {row}.clinician_id, {row}.status, {sign} WHERE true
ON CONFLICT ({WORKUP_KEY}) DO UPDATE SET n = n + excluded.n;
"""  # nosec B608


SQLITE = [
    "CREATE TRIGGER coordination_stepcount_ins AFTER INSERT ON clinic_checkliststep "
    f"BEGIN {_sqlite_step('NEW', 1)} END",
    "CREATE TRIGGER coordination_stepcount_del AFTER DELETE ON clinic_checkliststep "
    f"BEGIN {_sqlite_step('OLD', -1)} END",
    "CREATE TRIGGER coordination_stepcount_upd "
    "AFTER UPDATE OF status, pillar, code, assignee_id, due_date, workup_id "
    f"ON clinic_checkliststep BEGIN {_sqlite_step('OLD', -1)} {_sqlite_step('NEW', 1)} END",
    "CREATE TRIGGER coordination_workupcount_ins AFTER INSERT ON clinic_workup "
    f"BEGIN {_sqlite_workup('NEW', 1)} END",
    "CREATE TRIGGER coordination_workupcount_del AFTER DELETE ON clinic_workup "
    f"BEGIN {_sqlite_workup('OLD', -1)} END",
    "CREATE TRIGGER coordination_workupcount_upd AFTER UPDATE OF status, clinician_id "
    f"ON clinic_workup BEGIN {_sqlite_workup('OLD', -1)} {_sqlite_workup('NEW', 1)} END",
    "CREATE TRIGGER coordination_stepcount_moved AFTER UPDATE OF clinician_id ON clinic_workup "
    "WHEN OLD.clinician_id <> NEW.clinician_id "
    f"BEGIN {_sqlite_moved('OLD.clinician_id', '-')} {_sqlite_moved('NEW.clinician_id', '')} END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "coordination_stepcount_ins",
        "coordination_stepcount_del",
        "coordination_stepcount_upd",
        "coordination_workupcount_ins",
        "coordination_workupcount_del",
        "coordination_workupcount_upd",
        "coordination_stepcount_moved",
    )
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(vendor)
    if statements is None:
        raise RuntimeError(f"No step/work-up count triggers for {vendor}.")
    for statement in statements:
        schema_editor.execute(statement)
    schema_editor.execute(STEP_BACKFILL)
    schema_editor.execute(WORKUP_BACKFILL)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}.get(vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0004_queue_order_columns"),
        ("coordination", "0001_queue_counts"),
    ]

    operations = [
        migrations.CreateModel(
            name="StepCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("status", models.CharField(max_length=20)),
                ("pillar", models.CharField(max_length=20)),
                ("code", models.CharField(max_length=64)),
                ("clinician_key", models.BigIntegerField()),
                ("assignee_key", models.BigIntegerField()),
                ("due", models.DateField()),
                ("n", models.IntegerField(default=0)),
            ],
            options={
                "verbose_name": "step count",
                "indexes": [
                    models.Index(
                        fields=["clinician_key", "status"], name="step_count_clinician_idx"
                    ),
                    models.Index(fields=["assignee_key"], name="step_count_assignee_idx"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("code", "clinician_key", "assignee_key", "status", "pillar", "due"),
                        name="step_count_key",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="WorkupCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("clinician_key", models.BigIntegerField()),
                ("status", models.CharField(max_length=10)),
                ("n", models.IntegerField(default=0)),
            ],
            options={
                "verbose_name": "work-up count",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("clinician_key", "status"), name="workup_count_key"
                    )
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
