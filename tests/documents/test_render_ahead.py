"""PDFs rendered ahead in the task queue: queued when a work-up changes, found ready by a reader."""

from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse
from django_tasks import default_task_backend

from tests.factories import make_workup
from workup.clinic.models import Findings
from workup.documents import pdf as pdf_module
from workup.documents import tasks
from workup.documents.models import RenderedPdf

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def workup(clinician, loaded_catalogue):
    made = make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 3})
    # As if the fixture's transaction had committed: its render is not the test's to see.
    connection.run_on_commit.clear()
    return made


def queued_workups() -> list[int]:
    renders = tasks.render_documents.func
    return [r.args[0] for r in default_task_backend.results if r.task.func is renders]


def change_findings(workup, tsh=6.2):
    findings = Findings.objects.get(workup=workup)
    findings.tsh = tsh
    findings.save()


@pytest.mark.django_db
def test_a_change_queues_the_pdfs_once_after_commit_and_a_rollback_queues_nothing(
    workup, django_capture_on_commit_callbacks
):
    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        change_findings(workup)
        workup.save()
        assert queued_workups() == []  # not before the commit
    assert queued_workups() == [workup.pk]  # two saves, one task

    default_task_backend.clear()
    capture = django_capture_on_commit_callbacks(execute=True)
    with capture, pytest.raises(RuntimeError), transaction.atomic():
        change_findings(workup, tsh=2.0)
        raise RuntimeError("refused")
    assert queued_workups() == []


@pytest.mark.django_db
@override_settings(TASKS=IMMEDIATE)
def test_a_reader_finds_the_pdf_rendered_ahead(
    clinician_client, workup, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change_findings(workup)
    assert RenderedPdf.objects.count() == 2  # the summary and the patient sheet
    with mock.patch.object(pdf_module, "render", side_effect=AssertionError("rendered again")):
        for name in ("documents:summary_pdf", "documents:handout_pdf"):
            response = clinician_client.get(reverse(name, args=[workup.pk]))
            assert response.status_code == 200 and response.content.startswith(b"%PDF-")


@pytest.mark.django_db
def test_a_pdf_asked_for_before_the_worker_ran_is_rendered_in_the_request(clinician_client, workup):
    assert not RenderedPdf.objects.exists()  # queued (dummy backend), not run
    response = clinician_client.get(reverse("documents:summary_pdf", args=[workup.pk]))
    assert response.content.startswith(b"%PDF-")
    assert RenderedPdf.objects.count() == 1
    assert tasks.render_documents.call(workup.pk) == {"summary": "ready", "handout": "rendered"}


@pytest.mark.django_db
def test_a_queue_that_is_down_does_not_fail_the_save(workup, django_capture_on_commit_callbacks):
    down = mock.Mock(enqueue=mock.Mock(side_effect=ConnectionError("queue down")))
    capture = django_capture_on_commit_callbacks(execute=True)
    with mock.patch.object(tasks, "render_documents", down), capture:
        change_findings(workup)
    assert Findings.objects.get(workup=workup).tsh == 6.2


@pytest.mark.django_db(transaction=True)
def test_the_database_queue_keeps_the_task_until_a_worker_runs_it(clinician, loaded_catalogue):
    from django_tasks_db.models import DBTaskResult

    with override_settings(TASKS=DATABASE):
        workup = make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 3})
        DBTaskResult.objects.all().delete()
        RenderedPdf.objects.all().delete()
        change_findings(workup)  # autocommit: queued at once
        (queued,) = DBTaskResult.objects.all()
        assert queued.status == "READY" and queued.args_kwargs["args"] == [workup.pk]
        assert not RenderedPdf.objects.exists()

        call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)

        queued.refresh_from_db()
        assert queued.status == "SUCCESSFUL", queued.exception_class_path
        assert RenderedPdf.objects.count() == 2
