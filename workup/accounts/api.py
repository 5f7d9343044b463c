"""What every JSON endpoint shares: authentication, CSRF, methods, body limits, JSON errors.

A request is authenticated by an API token (``Authorization: Bearer rif_…``) or by the logged-in
session; a session request must carry its CSRF token, as a form post would. Anonymous requests
get 401 (never a login redirect), a missing permission 403, a body over the limit 413.
"""

from __future__ import annotations

import functools
import json
import logging

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from .models import ApiToken

log = logging.getLogger(__name__)


def error(status: int, errors: dict, **headers) -> JsonResponse:
    response = JsonResponse({"errors": errors}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _token_from(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "token") and value.strip():
        return value.strip()
    return None


def _nul_in_json(body: bytes) -> str | None:
    """The dotted path of the first text holding a NUL character, if the body is such JSON.

    PostgreSQL cannot store NUL in text, so a name with "\\u0000" would fail with a 500 when
    saved; it is refused here, naming the field. Malformed JSON is left to the view to name.
    """
    if b"\\u0000" not in body.lower():
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    stack = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            return path or "json"
        if isinstance(value, dict):
            for key, item in value.items():
                here = f"{path}.{key}" if path else str(key)
                if "\x00" in key:
                    return here
                stack.append((here, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return None


def _csrf_failure(request):
    check = CsrfViewMiddleware(lambda r: None)
    check.process_request(request)
    return check.process_view(request, None, (), {})


def api_endpoint(*, methods: tuple[str, ...], permission: str):
    """Decorate a view ``view(request, user, *args)`` that returns a JsonResponse."""

    def decorate(view):
        @functools.wraps(view)
        @csrf_exempt
        @login_not_required
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                return error(
                    405,
                    {"method": [f"Use {' or '.join(methods)}."]},
                    Allow=", ".join(methods),
                )
            raw_token = _token_from(request)
            if raw_token is not None:
                user = ApiToken.user_for(raw_token)
                if user is None:
                    return error(
                        401,
                        {"auth": ["The API token is not valid or was revoked."]},
                        WWW_Authenticate='Bearer realm="api"',
                    )
                request.user = user
            elif request.user.is_authenticated:
                if request.method not in ("GET", "HEAD", "OPTIONS") and _csrf_failure(request):
                    return error(403, {"csrf": ["CSRF token missing or incorrect."]})
                user = request.user
            else:
                return error(
                    401,
                    {"auth": ["Sign in, or send an API token as 'Authorization: Bearer …'."]},
                    WWW_Authenticate='Bearer realm="api"',
                )
            if not user.has_perm(permission):
                return error(403, {"permission": ["Your role may not do this."]})
            try:
                body = request.body
            except RequestDataTooBig:
                return error(413, {"body": ["The request body is too large."]})
            nul_at = _nul_in_json(body)
            if nul_at is not None:
                return error(400, {nul_at: ["Text may not contain the NUL character (\\u0000)."]})
            return view(request, user, *args, **kwargs)

        return wrapper

    return decorate
