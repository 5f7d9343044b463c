"""``/i18n/setlang/``: Django's ``set_language`` view, with the choice kept on the profile."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from . import codes
from .middleware import SESSION_KEY


@login_not_required  # the sign-in page offers the choice too (kept in the cookie only)
@require_POST
def set_language(request):
    response = django_set_language(request)
    language = codes.normalise(request.POST.get("language"))
    if language and request.user.is_authenticated:
        from workup.accounts.models import Profile

        Profile.objects.update_or_create(user=request.user, defaults={"language": language})
        request.session[SESSION_KEY] = language
    return response
