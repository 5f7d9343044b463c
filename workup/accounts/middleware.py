"""Session and request guards: idle sign-out, body size limit, no caching of signed-in pages."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.middleware.security import SecurityMiddleware
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext

# Refresh the session's last-seen time at most once a minute, to spare a write per request.
TOUCH_EVERY = 60


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != "/healthz" and request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get("last_seen")
            idle = settings.SESSION_IDLE_MINUTES * 60
            if last is not None and now - last > idle:
                logout(request)
                messages.info(
                    request,
                    gettext(
                        "You were signed out after %(minutes)s minutes without activity. Sign in "
                        "again to continue."
                    )
                    % {"minutes": settings.SESSION_IDLE_MINUTES},
                )
            elif last is None or now - last >= TOUCH_EVERY:
                request.session["last_seen"] = now
        return self.get_response(request)


class RequestBodyLimitMiddleware:
    """Refuse a body over DATA_UPLOAD_MAX_MEMORY_SIZE with 413 before anything reads it.

    Django would raise RequestDataTooBig when a form or the CSRF check first reads the body and
    answer 400; a clear 413 says what went wrong. The app takes no file uploads, so the limit is
    on the whole body. The API answers in its JSON error shape.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return refuse(
                request,
                413,
                "body",
                "Too much data in one request",
                f"The request is too large (over {limit // 1024} KB). Nothing was saved.",
            )
        return self.get_response(request)


class NulCharacterMiddleware:
    """Refuse a query string holding a NUL character with 400.

    PostgreSQL cannot store or compare text with NUL in it: a search for "\\x00" would fail
    with a 500. No one types it; a scanner does. Forms refuse it already (every CharField has
    Django's null-character validator) and the API checks its JSON (accounts.api).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return refuse(
                    request,
                    400,
                    "query",
                    "Request refused",
                    "The address holds a character that is not allowed (NUL). Nothing was done.",
                )
        return self.get_response(request)


def refuse(request, status, field, title, message):
    """A refusal before any view: JSON for the API, the app's page otherwise."""
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": {field: [message]}}, status=status)
    context = {"title": title, "message": message}
    return render(request, "accounts/refused.html", context, status=status)


class NoStoreMiddleware:
    """Pages shown to a signed-in user carry ``Cache-Control: no-store``.

    On a shared workstation, Back after signing out must not bring a patient's page out of the
    browser's cache. Static files (served before this by whitenoise) keep their long caching.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


class SecurityHeadersMiddleware(SecurityMiddleware):
    """Django's security headers (nosniff, Referrer-Policy, COOP, HSTS) on the way out only.

    The outermost middleware: a response made by a layer further in (whitenoise's static files,
    the 400 that SecurityMiddleware's own HTTPS redirect raises for a bad Host) still passes
    here. The redirect itself stays with SecurityMiddleware, further in. Headers already set
    are left alone.
    """

    def process_request(self, request):
        return None
