"""manage.py seed_demo [--workups N] [--password P] [--workers W]: demo users and work-ups."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from workup.clinic import demo


class Command(BaseCommand):
    help = (
        "Create the demo users clinician, coordinator and lead, and top the database up to N "
        "synthetic work-ups (invented people only). Loads the evidence catalogue first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workups", type=int, default=60, help="demo work-ups wanted (60)")
        parser.add_argument(
            "--password",
            help="password for the three demo users; without it one is generated and printed "
            "(existing demo users keep theirs)",
        )
        parser.add_argument("--seed", type=int, default=2026, help="random seed (2026)")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="processes writing batches on PostgreSQL (default: one per core)",
        )

    def handle(self, *args, workups, password, seed, workers, **options):
        if workups < 0:
            raise CommandError("--workups must be 0 or more.")
        User = get_user_model()
        shown = password
        if password is None and not User.objects.filter(username="clinician").exists():
            password = shown = secrets.token_urlsafe(12)
        if password is not None:
            try:
                validate_password(password)
            except ValidationError as exc:
                raise CommandError("Password refused: " + " ".join(exc.messages)) from None
        report = demo.seed(workups, password=password, seed_value=seed, workers=workers)
        # The seed writes the new work-ups' summary rows; the dashboard's buckets from them (and
        # the rows of any work-up that has none).
        call_command("refresh_quality_summary", "--missing", stdout=self.stdout)
        self.stdout.write(
            f"Demo work-ups: {report.created} created, {report.existing} already there "
            f"({report.seconds:.1f} s)."
        )
        if shown:
            self.stdout.write(f"Demo logins: clinician, coordinator, lead; password: {shown}")
        else:
            self.stdout.write("Demo logins: clinician, coordinator, lead (passwords unchanged).")
