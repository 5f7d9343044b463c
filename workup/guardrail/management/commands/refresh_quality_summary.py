from django.core.management.base import BaseCommand

from workup.clinic.models import WorkUp
from workup.guardrail import counts, summary


class Command(BaseCommand):
    help = (
        "Recompute the dashboard's summary row of every work-up (or only of those without "
        "one, --missing), then rebuild the dashboard's pre-aggregated "
        "counts. Run after bulk imports; safe to run at any time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--missing", action="store_true", help="only work-ups that have no summary row yet"
        )

    def handle(self, *args, missing, **options):
        ids = WorkUp.objects.order_by("pk").values_list("pk", flat=True)
        if missing:
            from workup.guardrail.models import WorkupSummary

            have = WorkupSummary.objects.values_list("workup_id", flat=True)
            ids = ids.exclude(pk__in=have)
        count = summary.refresh(ids.iterator(), recount=False)
        buckets = counts.rebuild()
        self.stdout.write(
            f"Quality summary: {count} work-ups refreshed; {buckets} dashboard counts rebuilt."
        )
