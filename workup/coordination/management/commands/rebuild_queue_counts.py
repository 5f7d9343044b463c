"""manage.py rebuild_queue_counts: recompute the queue's summary tables from the steps.

The database keeps the tables itself (triggers on the steps and work-ups); this repairs them in
a database restored from a backup taken without them, or after a manual change to the triggers.
"""

from django.core.management.base import BaseCommand

from workup.coordination.queries import rebuild_queue_counts


class Command(BaseCommand):
    help = (
        "Recompute the queue's counts (coordination.QueueCount, StepCount, WorkupCount) from the "
        "steps and work-ups."
    )

    def handle(self, *args, **options):
        total = rebuild_queue_counts()
        self.stdout.write(f"Queue counts rebuilt: {total} open steps.")
