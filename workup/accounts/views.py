"""The user's own API tokens, signing out, the page a refused form (CSRF) shows, and the lead's
users page (role, active status, contact details; never a password or a superuser flag).

A token's raw key is shown once, in the answer to the POST that created it (with no-store, so
it is neither cached nor kept anywhere); only its hash is stored.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import roles
from .forms import ColleagueForm, TokenForm
from .models import ApiToken, Colleague


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
    messages.success(
        request,
        gettext("Token “%(name)s” (%(prefix)s…) revoked.")
        % {"name": token.name, "prefix": token.prefix},
    )
    return redirect("accounts:tokens")


class SignOutView(auth_views.LogoutView):
    """Django's logout (POST only), then the sign-in page saying it happened."""

    def post(self, request, *args, **kwargs):
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            messages.success(request, gettext_lazy("You have signed out."))
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


# --- users, for the clinical lead (accounts.manage_users) -----------------------------------

USERS_PAGE_SIZE = 50


def _colleagues():
    # Superusers are support accounts, managed on the server: not listed, not editable here.
    return Colleague.objects.filter(is_superuser=False).prefetch_related("groups")


def send_password_link(request, user, *, new_account):
    """Email the user a link to set their own password (Django's password reset)."""
    form = PasswordResetForm({"email": user.email})
    if not user.email or not form.is_valid():
        return False
    form.save(
        request=request,
        use_https=request.is_secure(),
        subject_template_name=(
            "registration/account_created_subject.txt"
            if new_account
            else "registration/password_reset_subject.txt"
        ),
        email_template_name=(
            "registration/account_created_email.txt"
            if new_account
            else "registration/password_reset_email.html"
        ),
    )
    return True


@require_safe
@permission_required("accounts.manage_users", raise_exception=True)
def user_list(request):
    query = request.GET.get("q", "").strip()
    people = _colleagues().order_by("-is_active", "last_name", "first_name", "username")
    if query:
        people = people.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
        )
    page = Paginator(people, USERS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(person, roles.role_of(person)) for person in page.object_list]
    context = {"page": page, "rows": rows, "q": query, "query_string": urlencode({"q": query})}
    return render(request, "accounts/users.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("accounts.manage_users", raise_exception=True)
def user_create(request):
    form = ColleagueForm(request.POST or None, by=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        if send_password_link(request, user, new_account=True):
            messages.success(
                request,
                gettext(
                    "%(username)s created. An email to %(email)s carries a link to set their "
                    "password."
                )
                % {"username": user.get_username(), "email": user.email},
            )
        else:
            messages.warning(
                request,
                gettext("%(username)s created, but no email was sent.")
                % {"username": user.get_username()},
            )
        return redirect("accounts:users")
    return render(request, "accounts/user_form.html", {"form": form, "person": None})


@require_http_methods(["GET", "POST"])
@permission_required("accounts.manage_users", raise_exception=True)
def user_edit(request, pk):
    person = get_object_or_404(_colleagues(), pk=pk)
    form = ColleagueForm(request.POST or None, instance=person, by=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request, gettext("%(username)s saved.") % {"username": person.get_username()}
        )
        return redirect("accounts:users")
    return render(request, "accounts/user_form.html", {"form": form, "person": person})
