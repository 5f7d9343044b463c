"""What every JSON endpoint shares: authentication, CSRF, methods, body limits, JSON errors.

A request is authenticated by an API token (``Authorization: Bearer rif_…``) or by the logged-in
session; a session request must carry its CSRF token, as a form post would. Anonymous requests
get 401 (never a login redirect), a missing permission 403, a body over the limit 413.
"""

from __future__ import annotations

import functools
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
                request.body  # noqa: B018 - reading it enforces the size limit here
            except RequestDataTooBig:
                return error(413, {"body": ["The request body is too large."]})
            return view(request, user, *args, **kwargs)

        return wrapper

    return decorate
