"""At sign-in, the language kept on the user's profile becomes the session's."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.utils import translation

from . import codes
from .middleware import SESSION_KEY


def apply_profile_language(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    from workup.accounts.models import Profile

    language = Profile.objects.filter(user=user).values_list("language", flat=True).first()
    if language not in codes.codes():
        return
    request.session[SESSION_KEY] = language
    request._language_cookie = language
    translation.activate(language)
    request.LANGUAGE_CODE = language


def connect() -> None:
    user_logged_in.connect(apply_profile_language, dispatch_uid="languages.profile_language")
