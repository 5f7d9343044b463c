"""PDFs rendered ahead: when a work-up changes or is signed, its summary and patient-sheet PDFs
are rendered by the task worker, so that a reader finds them ready.

The queue is django-tasks (the backport of Django's task framework): in the database by default
(django-tasks-db, ``manage.py db_worker``), RQ on Redis with several servers (django-tasks-rq),
see ``settings.TASKS`` and docs/deploy.md. A request never waits for the worker: a PDF asked for
before it is ready is rendered in the request, as it always was, and kept for the next reader.
"""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.template.loader import render_to_string
from django.utils.translation import override
from django_tasks import task

from workup.clinic.models import (
    Addendum,
    AddonRequest,
    ChecklistStep,
    Findings,
    PlannedCycle,
    StimulationCycle,
    WorkUp,
)
from workup.clinic.presenters import load_workup
from workup.clinic.transfer_records import Transfer

from .pdf import cached_pdf, render_pdf
from .presenters import handout_context, summary_context

logger = logging.getLogger(__name__)

# The documents with a PDF: (how their context is built, their template).
DOCUMENTS = {
    "summary": (summary_context, "documents/summary.html"),
    "handout": (handout_context, "documents/handout.html"),
}


def document(
    workup: WorkUp, kind: str, *, pdf: bool, language: str | None = None
) -> tuple[dict, str]:
    """A document's context and its HTML. The PDF's HTML is rendered without the request, so
    it is the same for every reader of one language (and for the worker); the page's with it
    (the reader's name in "Produced by", the navigation).

    The patient sheet is in the patient's language (as signed, once signed); the summary in
    ``language``, the reader's (English by default)."""
    build, template = DOCUMENTS[kind]
    if kind == "handout":
        context = build(workup, pdf=pdf)
        with override(context["sheet_language"]):
            return context, render_to_string(template, context)
    with override(language or settings.LANGUAGE_CODE):
        context = build(workup, pdf=pdf)
        return context, render_to_string(template, context)


def clinician_language(workup: WorkUp) -> str:
    """The responsible clinician's own language: the summary the worker renders ahead."""
    from workup.accounts.models import Profile

    found = Profile.objects.filter(user_id=workup.clinician_id).values_list("language", flat=True)
    return found.first() or settings.LANGUAGE_CODE


@task()
def render_documents(workup_id: int) -> dict:
    """Render the work-up's PDFs that are not kept yet. Returns what it did, per document."""
    try:
        workup = load_workup(workup_id)
    except WorkUp.DoesNotExist:
        return {}
    done = {}
    for kind in DOCUMENTS:
        language = clinician_language(workup) if kind == "summary" else None
        _, html = document(workup, kind, pdf=True, language=language)
        if cached_pdf(html) is not None:
            done[kind] = "ready"
        else:
            render_pdf(html)
            done[kind] = "rendered"
    return done


def _enqueue(workup_id: int) -> None:
    try:
        render_documents.enqueue(workup_id)
    except Exception:  # a queue that is down must not fail the save that was committed
        logger.exception("Could not queue the PDFs of work-up %s; rendered on request.", workup_id)


def render_ahead(workup_id: int) -> None:
    """Queue the work-up's PDFs once the current transaction commits (once per transaction,
    however many of its rows were saved; nothing if it rolls back)."""
    connection = transaction.get_connection()
    for _, pending, _ in connection.run_on_commit:
        if getattr(pending, "render_ahead", None) == workup_id:
            return
    callback = partial(_enqueue, workup_id)
    callback.render_ahead = workup_id
    transaction.on_commit(callback)


# What a document shows: the work-up and the rows that belong to it.
WATCHED = (
    WorkUp,
    Findings,
    StimulationCycle,
    PlannedCycle,
    Transfer,
    ChecklistStep,
    AddonRequest,
    Addendum,
)


def _changed(sender, instance, raw=False, **kwargs):
    if raw:  # loading a fixture
        return
    workup_id = instance.pk if sender is WorkUp else getattr(instance, "workup_id", None)
    if workup_id is not None:
        render_ahead(workup_id)


def connect() -> None:
    for model in WATCHED:
        post_save.connect(_changed, sender=model, dispatch_uid=f"render-ahead-save-{model}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"render-ahead-delete-{model}")
