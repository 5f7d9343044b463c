"""manage.py verify_audit: check every audit chain; exit status 1 if any record was changed,
inserted or removed since it was written."""

from django.core.management.base import BaseCommand

from workup.audit.chain import verify_all


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chains (the history of every clinical record, the access "
        "records). Names every record changed, inserted or removed since it was written; exits "
        "with status 1 when there is any."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, database, **options):
        reports = verify_all(using=database)
        problems = [p for report in reports for p in report.problems]
        for report in reports:
            state = "intact" if not report.problems else f"{len(report.problems)} problem(s)"
            self.stdout.write(f"{report.chain}: {report.records} records, {state}")
        total = sum(r.records for r in reports)
        if not problems:
            self.stdout.write(
                self.style.SUCCESS(f"Audit trail intact: {total} records in {len(reports)} chains.")
            )
            return
        for problem in problems:
            self.stderr.write(str(problem))
        self.stderr.write(
            self.style.ERROR(
                f"Audit trail NOT intact: {len(problems)} problem(s) in {total} records."
            )
        )
        raise SystemExit(1)
