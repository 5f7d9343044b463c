"""The user's own API tokens, signing out, and the page a refused form (CSRF) shows.

A token's raw key is shown once, in the answer to the POST that created it (with no-store, so
it is neither cached nor kept anywhere); only its hash is stored.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from .forms import TokenForm
from .models import ApiToken


def _token_page(request, form, status=200):
    tokens = ApiToken.objects.filter(user=request.user)
    return render(request, "accounts/tokens.html", {"form": form, "tokens": tokens}, status=status)


@require_safe
def token_list(request):
    return _token_page(request, TokenForm())


@require_POST
@never_cache
def token_create(request):
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _token_page(request, form)
    token, raw = ApiToken.issue(user=request.user, name=form.cleaned_data["name"])
    return render(request, "accounts/token_created.html", {"token": token, "raw": raw})


@require_POST
def token_revoke(request, pk):
    # Only one's own tokens; the lead revokes anyone's in the admin.
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.revoke()
    messages.success(request, f"Token “{token.name}” ({token.prefix}…) revoked.")
    return redirect("accounts:tokens")


class SignOutView(auth_views.LogoutView):
    """Django's logout (POST only), then the sign-in page saying it happened."""

    def post(self, request, *args, **kwargs):
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            messages.success(request, "You have signed out.")
        return response


def csrf_failure(request, reason=""):
    """A form sent without its security token (an expired page, or another site's form)."""
    return render(request, "accounts/csrf_failure.html", status=403)


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer while a username or an address is locked (AXES_LOCKOUT_CALLABLE)."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "registration/locked_out.html", context, status=429)
