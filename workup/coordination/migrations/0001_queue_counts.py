"""The queue's counts (coordination.models.QueueCount), kept by triggers on the steps.

PostgreSQL: statement-level triggers with transition tables, so a bulk update of many steps is
one small upsert. SQLite: row-level triggers. Both in the writing transaction; both backfill the
counts from the steps already there.
"""

from django.db import migrations, models

# The open statuses (ChecklistStep.OPEN_STATUSES) and the stand-in for "no due date"
# (clinic.models.QUEUE_NO_DUE_DATE), as they were when these triggers were written.
OPEN = "('pending', 'scheduled', 'awaiting_findings')"
NO_DUE = "9999-12-31"
KEY = "status, pillar, assignee_key, due"

# Every piece of SQL below is built from this module's constants, never from input.
BACKFILL = f"""
INSERT INTO coordination_queuecount ({KEY}, n)
SELECT status, pillar, COALESCE(assignee_id, 0), COALESCE(due_date, '{NO_DUE}'), COUNT(*)
FROM clinic_checkliststep WHERE status IN {OPEN} GROUP BY 1, 2, 3, 4
"""  # nosec B608


def _pg_rows(table: str, sign: int) -> str:
    return (
        f"SELECT status, pillar, COALESCE(assignee_id, 0) AS a, "  # nosec B608
        f"COALESCE(due_date, DATE '{NO_DUE}') AS d, {sign} AS delta "
        f"FROM {table} WHERE status IN {OPEN}"
    )


def _pg_function(name: str, rows: str) -> str:
    # One statement per SQL statement (a bulk update of 10,000 steps is one upsert of a few
    # rows), sorted by key so that two transactions take the row locks in the same order.
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO coordination_queuecount AS c ({KEY}, n)
  SELECT status, pillar, a, d, SUM(delta) FROM ({rows}) AS changed
  GROUP BY 1, 2, 3, 4 HAVING SUM(delta) <> 0 ORDER BY 1, 2, 3, 4
  ON CONFLICT ({KEY}) DO UPDATE SET n = c.n + EXCLUDED.n;
  RETURN NULL;
END $$;
"""  # nosec B608


POSTGRESQL = [
    _pg_function("coordination_queuecount_ins", _pg_rows("new_rows", 1)),
    _pg_function("coordination_queuecount_del", _pg_rows("old_rows", -1)),
    _pg_function(
        "coordination_queuecount_upd",
        _pg_rows("old_rows", -1) + " UNION ALL " + _pg_rows("new_rows", 1),
    ),
    """
CREATE OR REPLACE FUNCTION coordination_queuecount_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN DELETE FROM coordination_queuecount; RETURN NULL; END $$;
""",
    "CREATE TRIGGER coordination_queuecount_ins AFTER INSERT ON clinic_checkliststep "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION coordination_queuecount_ins()",
    "CREATE TRIGGER coordination_queuecount_del AFTER DELETE ON clinic_checkliststep "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION coordination_queuecount_del()",
    "CREATE TRIGGER coordination_queuecount_upd AFTER UPDATE ON clinic_checkliststep "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION coordination_queuecount_upd()",
    "CREATE TRIGGER coordination_queuecount_truncate AFTER TRUNCATE ON clinic_checkliststep "
    "FOR EACH STATEMENT EXECUTE FUNCTION coordination_queuecount_truncate()",
]
POSTGRESQL_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS coordination_queuecount_{op} ON clinic_checkliststep"
        for op in ("ins", "del", "upd", "truncate")
    ),
    *(
        f"DROP FUNCTION IF EXISTS coordination_queuecount_{op}()"
        for op in ("ins", "del", "upd", "truncate")
    ),
]


def _sqlite_add(row: str) -> str:
    return f"""
INSERT INTO coordination_queuecount ({KEY}, n)
SELECT {row}.status, {row}.pillar, COALESCE({row}.assignee_id, 0),
       COALESCE({row}.due_date, '{NO_DUE}'), 1
WHERE {row}.status IN {OPEN}
ON CONFLICT ({KEY}) DO UPDATE SET n = n + 1;
"""  # nosec B608


def _sqlite_remove(row: str) -> str:
    return f"""
UPDATE coordination_queuecount SET n = n - 1
WHERE {row}.status IN {OPEN} AND status = {row}.status AND pillar = {row}.pillar
  AND assignee_key = COALESCE({row}.assignee_id, 0)
  AND due = COALESCE({row}.due_date, '{NO_DUE}');
"""  # nosec B608


SQLITE = [
    "CREATE TRIGGER coordination_queuecount_ins AFTER INSERT ON clinic_checkliststep "
    f"BEGIN {_sqlite_add('NEW')} END",
    "CREATE TRIGGER coordination_queuecount_del AFTER DELETE ON clinic_checkliststep "
    f"BEGIN {_sqlite_remove('OLD')} END",
    "CREATE TRIGGER coordination_queuecount_upd "
    "AFTER UPDATE OF status, pillar, assignee_id, due_date ON clinic_checkliststep "
    f"BEGIN {_sqlite_remove('OLD')} {_sqlite_add('NEW')} END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS coordination_queuecount_{op}" for op in ("ins", "del", "upd")
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(vendor)
    if statements is None:
        raise RuntimeError(f"No queue-count triggers for {vendor}.")
    for statement in statements:
        schema_editor.execute(statement)
    schema_editor.execute(BACKFILL)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}.get(vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    initial = True

    dependencies = [("clinic", "0004_queue_order_columns")]

    operations = [
        migrations.CreateModel(
            name='QueueCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(max_length=20)),
                ('pillar', models.CharField(max_length=20)),
                ('assignee_key', models.BigIntegerField()),
                ('due', models.DateField()),
                ('n', models.IntegerField(default=0)),
            ],
            options={
                'verbose_name': 'queue count',
                'constraints': [models.UniqueConstraint(fields=('status', 'pillar', 'assignee_key', 'due'), name='queue_count_key')],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
