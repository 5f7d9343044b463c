"""Trigram indexes for patient search on PostgreSQL (a no-op on SQLite).

Patient search is a case-insensitive substring match on MRN and name, which Django writes as
UPPER(col::text) LIKE UPPER('%q%'). A GIN trigram index on exactly that expression lets
PostgreSQL answer it without reading every patient. pg_trgm is a trusted extension (PostgreSQL
13+), so the database owner may create it.
"""

from django.db import migrations

INDEXES = {
    "patient_name_trgm_idx": "name",
    "patient_mrn_trgm_idx": "mrn",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON clinic_patient "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("clinic", "0002_alcohol_units")]

    operations = [migrations.RunPython(create, drop)]
