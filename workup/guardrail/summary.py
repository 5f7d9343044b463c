"""The dashboard's summary rows, kept current by the writes.

Saving a work-up or its findings refreshes that work-up's row once the transaction commits
(the label is the engine's answer through ``assess_workup``, or the signed answer once signed).
Each refresh also recomputes the dashboard's pre-aggregated buckets (``counts``) that the
work-ups left or joined (and, when a work-up changes hands, its add-on requests' buckets).
Saving or deleting an add-on request recomputes the add-on buckets it left and joined. Bulk
inserts (the demo seeder) send no signals:
``manage.py refresh_quality_summary`` fills the rows in batches, then rebuilds the buckets.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Prefetch
from django.db.models.signals import post_delete, post_init, post_save
from django.utils import timezone

from workup.clinic.assessment import assess_workup
from workup.clinic.models import AddonRequest, ChecklistStep, Findings, WorkUp
from workup.clinic.signed import signed_record
from workup.evidence import store

from . import counts
from .models import WorkupSummary

log = logging.getLogger(__name__)

BATCH = 500


def summary_row(workup: WorkUp, catalogue, *, assess=assess_workup) -> WorkupSummary:
    # A signed work-up counts with the answer it was signed with (the stored record's), never
    # today's engine; a row signed before the record was kept falls back to the engine.
    # ``assess``: how the stored facts are assessed (the demo seed reuses answers it has).
    record = signed_record(workup)
    if record is not None and record.answer:
        answer = record.answer
    else:
        _, answer = assess(workup, catalogue)
    findings = getattr(workup, "findings", None)
    signed_on = timezone.localdate(workup.signed_at) if workup.signed_at else None
    return WorkupSummary(
        workup_id=workup.pk,
        clinician_id=workup.clinician_id,
        opened_on=workup.date,
        signed_on=signed_on,
        days_to_sign=max(0, (signed_on - workup.date).days) if signed_on else None,
        rif_label=answer["rif"]["label"],
        failed_transfers=findings.failed_transfers if findings else None,
    )


def _workups(ids):
    return (
        WorkUp.objects.filter(pk__in=ids)
        .select_related("findings", "planned_cycle")
        .prefetch_related(
            "cycles",
            "transfers",
            Prefetch("addon_requests", queryset=AddonRequest.objects.order_by("pk")),
            Prefetch("steps", queryset=ChecklistStep.objects.order_by("pk")),
        )
    )


BUCKET_FIELDS = ("clinician_id", "opened_on", "signed_on")


def refresh(ids, *, recount: bool = True) -> int:
    """Recompute the summary rows of these work-ups (in batches); returns how many.

    With ``recount`` the buckets the rows leave (old values) and join (new ones) are
    recomputed too; a bulk refresh passes False and calls ``counts.rebuild()`` once after.
    """
    ids = list(ids)
    catalogue = store.get_catalogue()
    done = 0
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        before = (
            {
                r[0]: r[1:]
                for r in WorkupSummary.objects.filter(pk__in=batch).values_list(
                    "workup_id", *BUCKET_FIELDS
                )
            }
            if recount
            else {}
        )
        old = set(before.values())
        workups = list(_workups(batch))
        rows = [summary_row(w, catalogue) for w in workups]
        WorkupSummary.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["workup"],
            update_fields=[
                "clinician",
                "opened_on",
                "signed_on",
                "days_to_sign",
                "rif_label",
                "failed_transfers",
                "updated_at",
            ],
        )
        if recount:
            new = {(r.clinician_id, r.opened_on, r.signed_on) for r in rows}
            moved = set()
            for workup in workups:  # a work-up given to another clinician: its requests move
                was = before.get(workup.pk, (workup.clinician_id,))[0]
                if was != workup.clinician_id:
                    for request in workup.addon_requests.all():
                        origin = (request.recorded_at, None, None)
                        moved |= counts.request_buckets(was, origin)
                        moved |= counts.request_buckets(workup.clinician_id, origin)
            counts.recount(counts.buckets_of(old | new) | moved)
        done += len(rows)
    return done


def _refresh_after_commit(workup_id):
    def run():
        try:
            refresh([workup_id])
        except Exception:  # the write is saved; the nightly refresh will catch up
            log.exception("Could not refresh the quality summary of work-up %s", workup_id)

    transaction.on_commit(run)


def _on_workup_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        _refresh_after_commit(instance.pk)


def _on_findings_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        _refresh_after_commit(instance.workup_id)


def _on_summary_deleted(sender, instance, **kwargs):
    old = {(instance.clinician_id, instance.opened_on, instance.signed_on)}
    # robust: the deletion is saved whatever happens here (the command mends the counts).
    transaction.on_commit(lambda: counts.recount(counts.buckets_of(old)), robust=True)


def _request_origin(instance):
    # What the request's buckets were when it was read (from the loaded values only: a
    # deferred field is not fetched here).
    values = instance.__dict__
    return (values.get("recorded_at"), values.get("counselled_by_id"), values.get("counselled_at"))


def _on_request_loaded(sender, instance, **kwargs):
    instance._quality_origin = _request_origin(instance)


def _recount_requests(clinician_id, requests):
    buckets = set()
    for request in requests:
        buckets |= counts.request_buckets(clinician_id, request)
    # robust: the write is saved whatever happens here (refresh_quality_summary mends).
    transaction.on_commit(lambda: counts.recount(buckets), robust=True)


def _clinician_of(request):
    workup = request._state.fields_cache.get("workup")
    if workup is not None:
        return workup.clinician_id
    return (
        WorkUp.objects.filter(pk=request.workup_id).values_list("clinician_id", flat=True).first()
    )


def _on_request_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    was = getattr(instance, "_quality_origin", None)
    now = _request_origin(instance)
    _recount_requests(_clinician_of(instance), {now} | ({was} if was else set()))
    instance._quality_origin = now


def _on_request_deleted(sender, instance, **kwargs):
    # Sent before a deleted work-up's own row goes (the collector deletes requests first).
    was = getattr(instance, "_quality_origin", None) or _request_origin(instance)
    _recount_requests(_clinician_of(instance), {was, _request_origin(instance)})


def connect():
    post_init.connect(
        _on_request_loaded, sender=AddonRequest, dispatch_uid="guardrail-request-loaded"
    )
    post_save.connect(
        _on_request_saved, sender=AddonRequest, dispatch_uid="guardrail-request-saved"
    )
    post_delete.connect(
        _on_request_deleted, sender=AddonRequest, dispatch_uid="guardrail-request-deleted"
    )
    post_delete.connect(
        _on_summary_deleted, sender=WorkupSummary, dispatch_uid="guardrail-summary-deleted"
    )
    post_save.connect(_on_workup_saved, sender=WorkUp, dispatch_uid="guardrail-summary-workup")
    post_save.connect(
        _on_findings_saved, sender=Findings, dispatch_uid="guardrail-summary-findings"
    )
