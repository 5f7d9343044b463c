"""Email each assignee their overdue steps, and each coordinator the full overdue list.

Meant for a nightly cron (see the README); ``--dry-run`` shows what would be sent.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from workup.coordination.digest import plan_digest


def iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be a date as YYYY-MM-DD (got {value!r}).") from None


class Command(BaseCommand):
    help = "Email each assignee their overdue checklist steps, and coordinators the full list."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Show, do not send.")
        parser.add_argument(
            "--today", type=str, help="Count overdue as on this date (YYYY-MM-DD); for testing."
        )
        parser.add_argument(
            "--base-url",
            default=getattr(settings, "SITE_URL", ""),
            help="The app's address for the links, e.g. https://rif.example.org",
        )

    def handle(self, *args, dry_run=False, today=None, base_url="", **options):
        day = iso_date(today) if today else timezone.localdate()
        base_url = (base_url or "").rstrip("/")
        if not base_url:
            self.stderr.write("No --base-url given: the links in the emails are paths only.")
        plan = plan_digest(today=day, base_url=base_url)
        if not plan.overdue:
            self.stdout.write(f"No overdue steps on {day.isoformat()}: nothing to send.")
            return
        for user, why in plan.skipped:
            self.stdout.write(f"Skipped {user.get_username()}: {why}.")
        verb = "Would send" if dry_run else "Sending"
        for digest in plan.digests:
            self.stdout.write(
                f"{verb} to {digest.user.get_username()} <{digest.user.email}>: {digest.subject}"
            )
        if dry_run:
            self.stdout.write(f"Dry run: {len(plan.digests)} email(s) not sent.")
            return
        messages = [
            EmailMessage(subject=d.subject, body=d.body, to=[d.user.email]) for d in plan.digests
        ]
        sent = get_connection().send_messages(messages) or 0
        self.stdout.write(
            self.style.SUCCESS(
                f"Sent {sent} email(s) about {plan.overdue} overdue step(s) on {day.isoformat()}."
            )
        )
