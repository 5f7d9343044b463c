"""manage.py restore PATH [--force]: replace the database with a backup made by `backup`."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from workup.audit.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore the database from a backup made by `manage.py backup` (SQLite file or pg_dump "
        "custom format). Stop the app first. A database that holds data is replaced only with "
        "--force. Every session ends: users sign in again."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already holds data"
        )

    def handle(self, *args, path, force, **options):
        try:
            restore(path, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Restored the {connection.vendor} database from {path}. Every session has ended."
        )
