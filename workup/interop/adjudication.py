"""A clinician accepts or rejects an incoming result.

Accepting records the result through the findings form of its checklist step and the clinic's
own service (``clinic.services.record_findings``): the same validation, the same refusal
messages, the same history, the addendum on a signed work-up, and the checklist step closes as a
typed finding closes it. The other findings of the step are those on record, unchanged.
"""

from __future__ import annotations

import json
from datetime import date

from django.db import transaction
from django.utils import timezone

from workup.clinic.forms import findings_form_class, quantity_fields
from workup.clinic.models import WorkUp
from workup.clinic.services import StaleEdit, record_findings
from workup.evidence import findings as spec
from workup.evidence import store

from .models import IncomingResult


class ResultRefused(Exception):
    """The result cannot be recorded; ``messages`` say why (the form's own words)."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages))
        self.messages = messages


def _as_post(value) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def proposed_values(result: IncomingResult, findings) -> dict:
    """The form fields the result changes, from the result and the findings on record."""
    target = result.coding.target
    finding = spec.BY_COLUMN.get(target)
    if finding is not None and finding.kind == spec.QUANTITY:
        # As the laboratory sent it: the form converts and keeps the value as entered.
        value_field, unit_field = quantity_fields(finding)
        unit = finding.unit_for(result.unit_sent)
        return {value_field: result.value_sent, unit_field: unit.symbol}
    if target == "tsh":
        return {"tsh": result.number}
    if target == "tpo_positive":
        return {"tpo_positive": result.positive}
    if target == "aps":
        current = findings.aps
        if result.positive:
            if current in (None, "", "not_tested", "negative"):
                return {"aps": "single_positive", "aps_first_test_date": result.observed_on}
            if current == "single_positive":
                # The repeat test: the clinician decides in the form whether it confirms.
                return {"aps_repeat_test_date": result.observed_on}
            return {}
        if current in ("single_positive", "confirmed"):
            raise ResultRefused(
                [
                    "A positive antiphospholipid result is on record; a negative test does not "
                    "undo it. Record your interpretation in the antiphospholipid form."
                ]
            )
        return {"aps": "negative"}
    raise ResultRefused([f"{result.coding.text} is not a result the work-up records."])


def bound_form(result: IncomingResult, workup: WorkUp, *, addendum_reason: str = ""):
    """The step's findings form, bound to the findings on record with the result's values."""
    catalogue = store.get_catalogue()
    code = spec.step_of(result.coding.target)
    step = workup.steps.filter(code=code).first()
    if step is None:
        raise ResultRefused([f"{code} is not on this work-up's checklist."])
    unbound = findings_form_class(code)(
        prefix=code, workup=workup, catalogue=catalogue, code=code, version=step.version
    )
    values = {}
    for name, field in unbound.fields.items():
        initial = unbound.initial.get(name, field.initial)
        values[name] = initial() if callable(initial) else initial
    values.update(proposed_values(result, workup.findings))
    values["version"] = step.version
    values["original"] = json.dumps(unbound.snapshot())
    if addendum_reason:
        values["addendum_reason"] = addendum_reason
    data = {unbound.add_prefix(name): _as_post(value) for name, value in values.items()}
    form = findings_form_class(code)(
        data, prefix=code, workup=workup, catalogue=catalogue, code=code, version=step.version
    )
    return code, form


def _lock(result: IncomingResult, version: int) -> IncomingResult:
    locked = IncomingResult.objects.select_for_update().select_related("coding").get(pk=result.pk)
    if not locked.is_waiting:
        raise StaleEdit(
            f"This result was already {locked.get_status_display().lower()}; nothing changed.", []
        )
    if locked.version != version:
        raise StaleEdit("This result changed while you were reading it; look again.", [])
    return locked


@transaction.atomic
def accept_result(*, result: IncomingResult, user, version: int, addendum_reason: str = ""):
    """Record the result as a finding; returns the changes. ResultRefused says why not."""
    locked = _lock(result, version)
    workup = WorkUp.objects.select_related("patient", "findings").get(pk=locked.workup_id)
    code, form = bound_form(locked, workup, addendum_reason=addendum_reason)
    if workup.is_signed and not addendum_reason.strip():
        raise ResultRefused(["This work-up is signed: give the reason for the addendum."])
    if not form.is_valid():
        messages = []
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            messages.extend(f"{label}: {e}" if label else e for e in errors)
        raise ResultRefused(messages)
    changes = record_findings(workup=workup, code=code, form=form, user=user)
    locked.status = IncomingResult.Status.ACCEPTED
    locked.decided_by = user
    locked.decided_at = timezone.now()
    locked.version += 1
    locked.save()
    return changes


@transaction.atomic
def reject_result(*, result: IncomingResult, user, version: int, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ResultRefused(["Give the reason for rejecting this result."])
    locked = _lock(result, version)
    locked.status = IncomingResult.Status.REJECTED
    locked.reject_reason = reason[:500]
    locked.decided_by = user
    locked.decided_at = timezone.now()
    locked.version += 1
    locked.save()


def waiting_count(workup=None) -> int:
    qs = IncomingResult.objects.filter(status=IncomingResult.Status.WAITING)
    return qs.filter(workup=workup).count() if workup is not None else qs.count()
