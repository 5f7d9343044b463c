"""The signed-in user's own language, over the cookie and the browser's choice.

Sign-in puts the language kept on the user's profile into the session (``signals``), and
``/i18n/setlang/`` keeps a new choice in both (``views.set_language``), so applying it costs no
query per request. Anonymous visitors (the sign-in page) get Django's ``LocaleMiddleware``
choice: the language cookie, else the browser's Accept-Language.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from . import codes

SESSION_KEY = "workup_language"


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        chosen = session.get(SESSION_KEY) if session is not None else None
        if chosen in codes.codes() and request.user.is_authenticated:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        cookie = getattr(request, "_language_cookie", None)
        if cookie:
            # Sign-in: the cookie follows the profile, so the sign-in page after signing out
            # stays in the user's language.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                cookie,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
