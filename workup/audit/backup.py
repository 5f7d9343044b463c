"""Back up and restore the whole database: SQLite's online backup API, or pg_dump/pg_restore.

A backup holds every patient's record: it is written readable by its owner only (mode 600), and
first under a temporary name, so a failed backup never leaves a half file under the real name.
A restore replaces the database and then ends every session (a restored session table would
hold sessions from the backup's day). ``docs/security.md`` describes the procedure.

``subprocess`` runs pg_dump and pg_restore only, with a fixed argument list and no shell (the
reason for bandit's B404/B603 exemptions below).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404
import time
from pathlib import Path

from django.contrib.sessions.models import Session
from django.db import connections

SQLITE_MARKER_TABLE = "django_migrations"
LOCK_WAIT_SECONDS = 60


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


def _fresh_file(path: Path) -> None:
    """Create an empty file readable by its owner only."""
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _partial(path: Path) -> Path:
    return path.with_name(path.name + ".partial")


def _check_target(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise BackupError(f"{path} exists; choose another name or use --force to overwrite it.")
    if not path.parent.is_dir():
        raise BackupError(f"The folder {path.parent} does not exist.")


def backup(path, *, force: bool = False, using: str = "default") -> Path:
    """Write a backup of the database to ``path``; returns the path."""
    path = Path(path)
    _check_target(path, force)
    connection = connections[using]
    if connection.vendor == "sqlite":
        _backup_sqlite(connection, path)
    elif connection.vendor == "postgresql":
        _backup_postgresql(connection, path)
    else:
        raise BackupError(
            f"No backup method for {connection.vendor}; use the database's own tools."
        )
    return path


def restore(path, *, force: bool = False, using: str = "default") -> None:
    """Replace the database with the backup at ``path``, then end every session."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    connection = connections[using]
    if _has_data(connection) and not force:
        raise BackupError(
            "The database already holds data. Restoring replaces all of it: stop the app, make "
            "a backup of the current state, then run the restore again with --force."
        )
    if connection.vendor == "sqlite":
        _restore_sqlite(connection, path)
    elif connection.vendor == "postgresql":
        _restore_postgresql(connection, path)
    else:
        raise BackupError(f"No restore method for {connection.vendor}.")
    Session.objects.using(using).all().delete()


def _has_data(connection) -> bool:
    with connection.cursor() as cursor:
        return SQLITE_MARKER_TABLE in connection.introspection.table_names(cursor)


# --- SQLite ---------------------------------------------------------------------------------


def _backup_sqlite(connection, path: Path) -> None:
    if connection.in_atomic_block:
        # Our own open write transaction would lock the copy out for ever.
        raise BackupError("Run the backup outside a database transaction.")
    partial = _partial(path)
    _fresh_file(partial)
    connection.ensure_connection()
    target = sqlite3.connect(partial)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS

    def give_up_when_locked_too_long(status, remaining, total):
        if time.monotonic() > deadline:
            raise BackupError(
                f"The database stayed locked for {LOCK_WAIT_SECONDS} s; nothing was kept. "
                "Try again when the app is quieter."
            )

    try:
        # One step: a consistent copy while the app keeps reading (WAL) and waits to write.
        connection.connection.backup(target, progress=give_up_when_locked_too_long)
        verdict = target.execute("PRAGMA quick_check").fetchone()[0]
    except BaseException:
        target.close()
        partial.unlink(missing_ok=True)
        raise
    target.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"The copy failed its integrity check ({verdict}); nothing was kept.")
    os.replace(partial, path)


def _open_backup_sqlite(path: Path) -> sqlite3.Connection:
    try:
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        verdict = source.execute("PRAGMA quick_check").fetchone()[0]
        tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an SQLite backup ({exc}).") from None
    if verdict != "ok" or SQLITE_MARKER_TABLE not in tables:
        source.close()
        raise BackupError(f"{path} is not a backup of this app's database, or it is damaged.")
    return source


def _restore_sqlite(connection, path: Path) -> None:
    source = _open_backup_sqlite(path)
    connection.ensure_connection()
    try:
        source.backup(connection.connection)
    finally:
        source.close()


# --- PostgreSQL -----------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed or not on PATH. Install the PostgreSQL client tools of "
            f"the server's major version or newer (Debian: apt-get install postgresql-client)."
        )
    return found


def _pg_env(connection) -> dict:
    """Connection settings for libpq's tools, through the environment (never the command line,
    where other users of the machine could read the password)."""
    conf = connection.settings_dict
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", conf.get("HOST")),
        ("PGPORT", conf.get("PORT")),
        ("PGUSER", conf.get("USER")),
        ("PGPASSWORD", conf.get("PASSWORD")),
        ("PGDATABASE", conf.get("NAME")),
        ("PGSSLMODE", (conf.get("OPTIONS") or {}).get("sslmode")),
    ):
        if value:
            env[key] = str(value)
    return env


def _run(command: list[str], env: dict, what: str) -> None:
    # A fixed argument list (tool path from shutil.which, options, a file name); no shell.
    result = subprocess.run(  # noqa: S603  # nosec B603
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.returncode}")


def _backup_postgresql(connection, path: Path) -> None:
    pg_dump = _pg_tool("pg_dump")
    partial = _partial(path)
    _fresh_file(partial)
    try:
        # Custom format: compressed, restorable table by table with pg_restore.
        _run([pg_dump, "--format=custom", f"--file={partial}"], _pg_env(connection), "pg_dump")
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)


def _restore_postgresql(connection, path: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    env = _pg_env(connection)
    # Read the archive's table of contents first: a file that is not a pg_dump archive is
    # refused before anything is dropped.
    _run([pg_restore, "--list", str(path)], env, f"Reading {path} as a pg_dump archive")
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={env['PGDATABASE']}",
            str(path),
        ],
        env,
        "pg_restore",
    )
