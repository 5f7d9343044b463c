"""The queue's counts, kept by the database as steps change.

``QueueCount`` holds how many open checklist steps there are for each (status, pillar, assignee,
due date): a few thousand rows however many work-ups there are (the due dates in use times the
staff), so the queue's counts are a sum over a small table instead of a count of every open step.

The rows are kept by triggers on ``clinic_checkliststep`` (migration ``0001_queue_counts``), not
by Python: every write counts, a ``save()``, a bulk ``update()``, a ``bulk_create`` (the demo
seed), a delete or raw SQL, in the same transaction as the write, so the counts can never go
stale and no app server keeps any of them in memory. ``queries.rebuild_queue_counts`` recomputes
them from the steps (``manage.py rebuild_queue_counts``), for a database restored without them.
"""

from django.db import models

from workup.clinic.models import QUEUE_NO_DUE_DATE


class QueueCount(models.Model):
    NOBODY = 0  # assignee_key of unassigned steps
    NO_DUE_DATE = QUEUE_NO_DUE_DATE  # due of steps without a due date

    status = models.CharField(max_length=20)
    pillar = models.CharField(max_length=20)
    # A user id, or 0 for nobody: a key, not a foreign key (unique keys cannot hold NULL).
    assignee_key = models.BigIntegerField()
    due = models.DateField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = "queue count"
        constraints = [
            models.UniqueConstraint(
                fields=["status", "pillar", "assignee_key", "due"], name="queue_count_key"
            )
        ]

    def __str__(self):
        return f"{self.status}/{self.pillar}/{self.assignee_key}/{self.due}: {self.n}"
