"""manage.py rebuild_queue_counts: recompute the queue's summary table from the steps.

The database keeps the table itself (triggers on the steps); this repairs one restored from a
backup taken without it, or checked after a manual change to the triggers.
"""

from django.core.management.base import BaseCommand

from workup.coordination.queries import rebuild_queue_counts


class Command(BaseCommand):
    help = "Recompute the coordinator queue's counts (coordination.QueueCount) from the steps."

    def handle(self, *args, **options):
        total = rebuild_queue_counts()
        self.stdout.write(f"Queue counts rebuilt: {total} open steps.")
