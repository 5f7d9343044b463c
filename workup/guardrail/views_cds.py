"""The CDS Hooks endpoints: discovery, the services, and their feedback. Thin: auth, JSON, out.

Authentication is the API's (``accounts.api.api_endpoint``): an API token as
``Authorization: Bearer rif_…`` of a user who may call the services (``guardrail.use_cds_hooks``).
The JWT a CDS client may send instead is not accepted (it answers 401); see docs/cds-hooks.md.
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse

from workup.accounts.api import api_endpoint, error
from workup.evidence import service as evidence_service
from workup.evidence import store
from workup.evidence.facts import FactsError

from . import cds

PERMISSION = "guardrail.use_cds_hooks"


def _json(data, status=200):
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _body(request):
    try:
        return evidence_service.decode_json(request.body), None
    except FactsError as exc:
        return None, error(400, exc.errors)


def _base(request) -> str:
    return settings.SITE_URL or request.build_absolute_uri("/").rstrip("/")


@api_endpoint(methods=("GET",), permission=PERMISSION)
def discovery(request, user):
    return _json(cds.discovery())


@api_endpoint(methods=("POST",), permission=PERMISSION)
def call_service(request, user, service_id):
    service = cds.SERVICES.get(service_id)
    if service is None:
        return error(404, {"service": [f"No CDS service {service_id[:64]!r} here."]})
    data, problem = _body(request)
    if problem:
        return problem
    try:
        catalogue = store.get_catalogue()
    except store.CatalogueMissing as exc:
        return error(503, {"catalogue": [str(exc)]})
    try:
        return _json(cds.answer(service, data, catalogue, user, _base(request)))
    except cds.CdsError as exc:
        return error(exc.status, exc.errors)


@api_endpoint(methods=("POST",), permission=PERMISSION)
def feedback(request, user, service_id):
    service = cds.SERVICES.get(service_id)
    if service is None:
        return error(404, {"service": [f"No CDS service {service_id[:64]!r} here."]})
    data, problem = _body(request)
    if problem:
        return problem
    try:
        cds.record_feedback(service, data, user)
    except cds.CdsError as exc:
        return error(exc.status, exc.errors)
    return _json({})
