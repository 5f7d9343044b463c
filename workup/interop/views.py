"""The FHIR export, the two results endpoints for laboratories, and the clinician's decisions.

Thin: authentication and permission (``accounts.api.api_endpoint`` for the API, permission
decorators for the pages), then one call into ``fhir``, ``results``/``hl7v2`` or
``adjudication``. The results endpoints answer in the sender's language: a FHIR
``OperationOutcome``, or an HL7 ``ACK``.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from workup.accounts.api import api_endpoint
from workup.audit.models import DownloadRecord
from workup.audit.services import record_download
from workup.clinic.models import WorkUp
from workup.clinic.services import StaleEdit

from . import fhir
from .adjudication import ResultRefused, accept_result, reject_result
from .hl7v2 import CONTENT_TYPE as HL7_CONTENT_TYPE
from .hl7v2 import Hl7Message
from .models import IncomingResult
from .results import Issue, Refused, candidates_from_fhir, receive

SUBMIT = "interop.submit_results"


@api_endpoint(methods=("GET",), permission="clinic.view_workup")
def workup_fhir(request, user, pk):
    workup = (
        WorkUp.objects.select_related(
            "patient", "clinician", "signed_by", "findings", "planned_cycle"
        )
        .prefetch_related("cycles", "transfers", "steps__assignee")
        .filter(pk=pk)
        .first()
    )
    if workup is None:
        return _outcome([Issue("id", "not-found", f"No work-up {pk}.")], status=404)
    bundle = fhir.workup_bundle(workup)
    response = HttpResponse(json.dumps(bundle, ensure_ascii=False), content_type=fhir.FHIR_JSON)
    name = f"workup-{workup.pk}-{'signed' if workup.is_signed else 'draft'}.fhir.json"
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    record_download(
        user=user,
        kind=DownloadRecord.Kind.FHIR_BUNDLE,
        workup=workup,
        detail={"file_name": name, "signed": workup.is_signed, "type": bundle["type"]},
    )
    return response


OUTCOME_TYPES = {
    "not-found": "not-found",
    "code-invalid": "code-invalid",
    "value": "value",
    "structure": "structure",
    "business-rule": "business-rule",
    "required": "required",
    "unsupported": "not-supported",
    "informational": "informational",
    "security": "security",
}


def _outcome(issues: list[Issue], *, status: int, severity="error") -> HttpResponse:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": severity,
                "code": OUTCOME_TYPES.get(i.kind, "processing"),
                "diagnostics": i.text,
                "expression": [i.location],
            }
            for i in issues
        ],
    }
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=fhir.FHIR_JSON
    )


def _api_problem_as_outcome(response) -> HttpResponse:
    """The API's own refusals (401, 403, 405, 413) in FHIR's words."""
    try:
        errors = json.loads(response.content)["errors"]
    except (ValueError, KeyError):
        errors = {"request": ["Refused."]}
    issues = [
        Issue(k, "security" if response.status_code in (401, 403) else "processing", m)
        for k, v in errors.items()
        for m in v
    ]
    out = _outcome(issues, status=response.status_code)
    for header in ("WWW-Authenticate", "Allow"):
        if header in response:
            out[header] = response[header]
    return out


@api_endpoint(methods=("POST",), permission=SUBMIT)
def _results_fhir(request, user):
    try:
        data = json.loads(request.body)
    except (ValueError, RecursionError):
        return _outcome([Issue("body", "structure", "The body is not JSON.")], status=400)
    try:
        candidates, message_id = candidates_from_fhir(data, fhir.mrn_systems())
        stored, repeats = receive(
            candidates, user=user, source_format=IncomingResult.Format.FHIR, message_id=message_id
        )
    except Refused as refused:
        return _outcome(refused.issues, status=400 if refused.malformed else 422)
    text = f"{len(stored)} result(s) waiting for a clinician's review"
    if repeats:
        text += f"; {repeats} already received before (not stored again)"
    return _outcome(
        [Issue("Bundle", "informational", text + ".")], status=200, severity="information"
    )


@csrf_exempt
@login_not_required
def results_fhir(request):
    response = _results_fhir(request)
    if response.status_code >= 400 and response["Content-Type"].startswith("application/json"):
        return _api_problem_as_outcome(response)
    return response


@api_endpoint(methods=("POST",), permission=SUBMIT)
def _results_hl7(request, user):
    try:
        text = request.body.decode(request.encoding or "utf-8")
    except (UnicodeDecodeError, LookupError):
        text = request.body.decode("latin-1")
    message = Hl7Message(text)
    try:
        candidates = message.parse()
        stored, repeats = receive(
            candidates,
            user=user,
            source_format=IncomingResult.Format.HL7V2,
            message_id=message.control_id,
        )
    except Refused as refused:
        code = "AR" if refused.malformed else "AE"
        return HttpResponse(
            message.ack(code, refused.issues, note="Refused: nothing was saved"),
            status=400 if refused.malformed else 422,
            content_type=HL7_CONTENT_TYPE,
        )
    note = f"{len(stored)} result(s) waiting for review"
    if repeats:
        note += f", {repeats} repeated"
    return HttpResponse(message.ack("AA", note=note), content_type=HL7_CONTENT_TYPE)


@csrf_exempt
@login_not_required
def results_hl7(request):
    response = _results_hl7(request)
    if response.status_code >= 400 and response["Content-Type"].startswith("application/json"):
        try:
            errors = json.loads(response.content)["errors"]
            words = "; ".join(m for v in errors.values() for m in v)
        except (ValueError, KeyError):
            words = "Refused."
        issues = [Issue("MSH", "business-rule", words)]
        out = HttpResponse(
            Hl7Message("").ack("AR", issues, note="Refused: nothing was saved"),
            status=response.status_code,
            content_type=HL7_CONTENT_TYPE,
        )
        for header in ("WWW-Authenticate", "Allow"):
            if header in response:
                out[header] = response[header]
        return out
    return response


# --- the clinician's decisions ------------------------------------------------------------------


def _back(result):
    return redirect(f"{result.workup.get_absolute_url()}#incoming-results")


def _version(request) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return -1


@require_POST
@permission_required("interop.adjudicate_results", raise_exception=True)
def accept(request, pk, result_pk):
    result = get_object_or_404(
        IncomingResult.objects.select_related("workup", "coding"), pk=result_pk, workup_id=pk
    )
    try:
        changes = accept_result(
            result=result,
            user=request.user,
            version=_version(request),
            addendum_reason=request.POST.get("addendum_reason", ""),
        )
    except ResultRefused as refused:
        messages.error(request, f"{result.coding.text} not recorded: " + " ".join(refused.messages))
    except StaleEdit as stale:
        messages.error(request, str(stale))
    else:
        done = "; ".join(changes) if changes else gettext("the same value was already on record")
        messages.success(
            request,
            gettext("%(test)s accepted and recorded: %(done)s.")
            % {"test": result.coding.text, "done": done},
        )
    return _back(result)


@require_POST
@permission_required("interop.adjudicate_results", raise_exception=True)
def reject(request, pk, result_pk):
    result = get_object_or_404(
        IncomingResult.objects.select_related("workup", "coding"), pk=result_pk, workup_id=pk
    )
    try:
        reject_result(
            result=result,
            user=request.user,
            version=_version(request),
            reason=request.POST.get("reason", ""),
        )
    except ResultRefused as refused:
        messages.error(request, " ".join(refused.messages))
    except StaleEdit as stale:
        messages.error(request, str(stale))
    else:
        messages.success(
            request,
            gettext("%(test)s rejected: nothing was recorded.") % {"test": result.coding.text},
        )
    return _back(result)
