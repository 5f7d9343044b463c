"""manage.py backup PATH [--force]: a consistent copy of the whole database, safe while running."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from workup.audit.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database to PATH: SQLite's online backup (a database file), or pg_dump's "
        "custom format for PostgreSQL. The file is readable by its owner only."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--force", action="store_true", help="overwrite an existing file")

    def handle(self, *args, path, force, **options):
        try:
            written = backup(path, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        size = written.stat().st_size
        self.stdout.write(
            f"Backed up the {connection.vendor} database to {written} ({size} bytes)."
        )
