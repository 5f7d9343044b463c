"""manage.py worker: the task worker beside the app (renders PDFs ahead, documents.tasks).

Runs the worker of the configured queue (settings.TASKS): ``db_worker`` for the database queue
(the embedded default), ``rqworker`` with django-tasks-rq's job class for RQ on Redis. WeasyPrint
is loaded first, so the first task does not pay for it.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from workup.documents.pdf import preload


class Command(BaseCommand):
    help = "Run the background task worker for the configured queue (TASKS_BACKEND)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="run what is queued, then stop (database queue)"
        )

    def handle(self, *args, batch=False, **options):
        backend = settings.TASKS["default"]["BACKEND"]
        queues = settings.TASKS["default"].get("QUEUES", ["default"])
        preload()
        if backend.startswith("django_tasks_db."):
            self.stdout.write(f"Task worker: database queue {', '.join(queues)}.")
            call_command("db_worker", queue_name=",".join(queues), batch=batch)
        elif backend.startswith("django_tasks_rq."):
            self.stdout.write(f"Task worker: RQ on Redis, queue {', '.join(queues)}.")
            call_command(
                "rqworker",
                *queues,
                job_class="django_tasks_rq.Job",
                burst=batch,
                with_scheduler=False,
            )
        else:
            raise CommandError(
                f"TASKS_BACKEND runs tasks without a worker ({backend}); nothing to run."
            )
