"""Backup and restore: a database goes out through `manage.py backup`, comes back through
`manage.py restore` into a fresh database, and every record is found again.

On SQLite in the normal run; on PostgreSQL (pg_dump/pg_restore) when the suite runs there, with
a scratch database named after the configured one, dropped afterwards.
"""

from __future__ import annotations

import io
import secrets
import sqlite3
import stat
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from tests.conftest import make_user
from tests.factories import make_workup
from tests.security.conftest import manage_in_production
from workup.accounts.models import ApiToken
from workup.audit import backup as backup_module
from workup.audit.models import DownloadRecord
from workup.audit.services import record_download
from workup.clinic.models import ChecklistStep

ROOT = Path(__file__).resolve().parents[2]

# What a reader would check after a restore: the people, the findings, the trail.
SAMPLES = {
    "patients": "SELECT mrn, name, birth_date FROM clinic_patient ORDER BY mrn",
    "findings": "SELECT workup_id, failed_transfers, bmi, smoker, amh_ng_ml, afc, aps"
    " FROM clinic_findings ORDER BY workup_id",
    "history": "SELECT history_user_id, history_type, workup_id, bmi"
    " FROM clinic_historicalfindings ORDER BY history_id",
    "steps": "SELECT workup_id, code, status, due_date FROM clinic_checkliststep"
    " ORDER BY workup_id, code",
    "users": "SELECT username, password, is_active FROM auth_user ORDER BY username",
    "tokens": "SELECT name, key_hash, revoked_at IS NULL FROM accounts_apitoken ORDER BY name",
    "downloads": "SELECT kind, workup_id FROM audit_downloadrecord ORDER BY id",
}
# A restore ends every session on purpose.
NOT_COMPARED = {"django_session"}


def plain(value) -> str:
    # SQLite keeps booleans as 0/1; Django's cursor turns them back into bools, sqlite3's not.
    return str(int(value)) if isinstance(value, bool) else str(value)


def picture(cursor, tables) -> dict:
    """Row counts of every table and the sample rows, read through any DB-API cursor."""
    out = {}
    for table in sorted(tables):
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - table names from introspection
        out[table] = cursor.fetchone()[0]
    for name, query in SAMPLES.items():
        cursor.execute(query)
        out[name] = [tuple(map(plain, row)) for row in cursor.fetchall()]
    return out


def live_picture():
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor)) - NOT_COMPARED
        return tables, picture(cursor, tables)


def manage(*args, database_url):
    return manage_in_production(*args, DATABASE_URL=database_url)


@pytest.fixture
def seeded(transactional_db, loaded_catalogue):
    """Demo work-ups, plus what a clinic adds in use: a signed-in change, a token, a download."""
    call_command("seed_demo", workups=5, password="a-long-demo-password-1", stdout=io.StringIO())
    clinician = make_user("alice", "clinician")
    workup = make_workup(clinician=clinician, facts={"age": 37, "failed_transfers": 3})
    client = Client()
    client.force_login(clinician)
    version = ChecklistStep.objects.get(workup=workup, code="lifestyle").version
    client.post(
        f"/workups/{workup.pk}/steps/lifestyle/",
        {"lifestyle-bmi": "27.5", "lifestyle-smoker": "true", "lifestyle-version": version},
    )
    ApiToken.issue(user=clinician, name="lab")
    record_download(user=clinician, kind=DownloadRecord.Kind.SUMMARY_PDF, workup=workup)


def assert_same(restored, expected):
    assert restored.keys() == expected.keys()
    different = {k: (expected[k], restored[k]) for k in expected if expected[k] != restored[k]}
    assert not different, f"differs after restore: {sorted(different)}"
    assert expected["clinic_workup"] >= 6 and expected["clinic_historicalfindings"] >= 7
    assert expected["accounts_apitoken"] == 1 and expected["audit_downloadrecord"] == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite round trip")
def test_an_sqlite_database_survives_backup_and_restore(seeded, tmp_path):
    tables, expected = live_picture()
    target = tmp_path / "rif-backup.sqlite3"
    call_command("backup", str(target), stdout=io.StringIO())
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # a file full of patients
    fresh = tmp_path / "restored.sqlite3"
    result = manage("restore", str(target), database_url=f"sqlite:///{fresh}")
    assert result.returncode == 0, result.stderr
    assert "Every session has ended" in result.stdout
    with sqlite3.connect(fresh) as restored:
        cursor = restored.cursor()
        assert_same(picture(cursor, tables), expected)
        assert cursor.execute("SELECT COUNT(*) FROM django_session").fetchone() == (0,)
    again = manage("restore", str(target), database_url=f"sqlite:///{fresh}")
    assert again.returncode != 0 and "already holds data" in again.stderr
    forced = manage("restore", "--force", str(target), database_url=f"sqlite:///{fresh}")
    assert forced.returncode == 0, forced.stderr


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL round trip")
def test_a_postgresql_database_survives_backup_and_restore(seeded, tmp_path):
    import psycopg

    tables, expected = live_picture()
    target = tmp_path / "rif-backup.dump"
    call_command("backup", str(target), stdout=io.StringIO())
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    conf = connection.settings_dict
    params = {
        k: v
        for k, v in {
            "host": conf["HOST"],
            "port": conf["PORT"],
            "user": conf["USER"],
            "password": conf["PASSWORD"],
        }.items()
        if v
    }
    scratch = f"{conf['NAME'].removeprefix('test_')}_restore_{secrets.token_hex(4)}"
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'CREATE DATABASE "{scratch}"')
    try:
        userinfo = params.get("user", "") + (
            f":{params['password']}" if "password" in params else ""
        )
        url = (
            f"postgresql://{userinfo}@{params.get('host', '')}:{params.get('port', 5432)}/{scratch}"
        )
        result = manage("restore", str(target), database_url=url)
        assert result.returncode == 0, result.stderr
        with psycopg.connect(dbname=scratch, **params) as restored, restored.cursor() as cursor:
            assert_same(picture(cursor, tables), expected)
            cursor.execute("SELECT COUNT(*) FROM django_session")
            assert cursor.fetchone() == (0,)
        again = manage("restore", str(target), database_url=url)
        assert again.returncode != 0 and "already holds data" in again.stderr
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_a_backup_never_overwrites_without_force(tmp_path):
    target = tmp_path / "exists.bak"
    target.write_text("yesterday's backup")
    with pytest.raises(CommandError, match="exists; choose another name or use --force"):
        call_command("backup", str(target), stdout=io.StringIO())
    assert target.read_text() == "yesterday's backup"
    call_command("backup", str(target), force=True, stdout=io.StringIO())
    assert target.stat().st_size > 1000 and not (tmp_path / "exists.bak.partial").exists()


@pytest.mark.django_db
def test_a_backup_into_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("backup", str(tmp_path / "nowhere" / "x.bak"), stdout=io.StringIO())


@pytest.mark.django_db
def test_restoring_something_that_is_not_a_backup_changes_nothing(tmp_path):
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"not a database at all" * 100)
    before = live_picture()
    with pytest.raises(CommandError):
        call_command("restore", str(junk), force=True, stdout=io.StringIO())
    with pytest.raises(CommandError, match="No backup file"):
        call_command("restore", str(tmp_path / "missing.bak"), force=True, stdout=io.StringIO())
    assert live_picture() == before


def test_a_missing_pg_dump_is_named(monkeypatch):
    monkeypatch.setattr(backup_module.shutil, "which", lambda name: None)
    with pytest.raises(backup_module.BackupError, match="pg_dump is not installed"):
        backup_module._pg_tool("pg_dump")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's online backup")
@pytest.mark.django_db
def test_a_backup_inside_an_open_transaction_is_refused_not_hung(tmp_path):
    """The test's own transaction stands for a caller that forgot to commit."""
    with pytest.raises(CommandError, match="outside a database transaction"):
        call_command("backup", str(tmp_path / "x.sqlite3"), stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []
