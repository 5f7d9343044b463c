"""The queue's counts, kept by the database as steps and work-ups change.

``QueueCount`` holds how many open checklist steps there are for each (status, pillar, assignee,
due date): a few thousand rows however many work-ups there are (the due dates in use times the
staff), so the queue's counts are a sum over a small table instead of a count of every open step.

The rows are kept by triggers on ``clinic_checkliststep`` (migration ``0001_queue_counts``), not
by Python: every write counts, a ``save()``, a bulk ``update()``, a ``bulk_create`` (the demo
seed), a delete or raw SQL, in the same transaction as the write, so the counts can never go
stale and no app server keeps any of them in memory. ``queries.rebuild_queue_counts`` recomputes
them from the steps (``manage.py rebuild_queue_counts``), for a database restored without them.

``StepCount`` is the same count keyed by the step and the responsible clinician too (the filters
by step and by clinician, "my queue", the start page), and ``WorkupCount`` counts work-ups per
clinician and status; both are kept the same way.
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


class StepCount(models.Model):
    """Open steps per (status, pillar, step, responsible clinician, assignee, due date).

    ``QueueCount`` keyed by the step's code and the work-up's responsible clinician too (tens
    of thousands of rows at most: the catalogue's steps times the staff times the due dates in
    use), so that the counts of one step, of one clinician's work-ups, of a clinician's own queue
    ("my queue") and of what awaits their findings (the start page) are sums over a bounded
    number of rows, however many work-ups there are. Kept by triggers on the steps and on the
    work-ups (a work-up given to another clinician moves its open steps' counts), in the writing
    transaction (migration ``0002_step_and_workup_counts``).
    """

    NOBODY = QueueCount.NOBODY
    NO_DUE_DATE = QueueCount.NO_DUE_DATE

    status = models.CharField(max_length=20)
    pillar = models.CharField(max_length=20)
    code = models.CharField(max_length=64)
    clinician_key = models.BigIntegerField()  # the work-up's responsible clinician
    assignee_key = models.BigIntegerField()
    due = models.DateField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = "step count"
        constraints = [
            # Its first column serves the "one step" filter.
            models.UniqueConstraint(
                fields=["code", "clinician_key", "assignee_key", "status", "pillar", "due"],
                name="step_count_key",
            )
        ]
        indexes = [
            models.Index(fields=["clinician_key", "status"], name="step_count_clinician_idx"),
            models.Index(fields=["assignee_key"], name="step_count_assignee_idx"),
        ]

    def __str__(self):
        return (
            f"{self.code}/{self.status}/{self.clinician_key}/{self.assignee_key}/{self.due}: "
            f"{self.n}"
        )


class WorkupCount(models.Model):
    """Work-ups per (responsible clinician, status): a clinician's start page counts their
    open work-ups from here. Kept by triggers on the work-ups, like the step counts."""

    clinician_key = models.BigIntegerField()
    status = models.CharField(max_length=10)
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = "work-up count"
        constraints = [
            models.UniqueConstraint(fields=["clinician_key", "status"], name="workup_count_key")
        ]

    def __str__(self):
        return f"{self.clinician_key}/{self.status}: {self.n}"
