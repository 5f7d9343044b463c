"""The 403 and 404 pages: say why, and lead back. The API answers JSON instead."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import Resolver404

from workup.accounts.roles import role_of


def _reason(exception) -> str:
    """The message a view gave (``PermissionDenied("...")``, ``Http404("...")``), if any."""
    if exception is None or isinstance(exception, Resolver404) or not exception.args:
        return ""
    message = exception.args[0]
    if not isinstance(message, str):
        return ""
    if message.endswith("matches the given query."):
        # get_object_or_404's wording names the model class ("No WorkUp matches ..."): not ours.
        return "Nothing is recorded under this number."
    return message


def _api(request) -> bool:
    return request.path.startswith("/api/")


def permission_denied(request, exception=None):
    reason = _reason(exception)
    if _api(request):
        message = reason or "Your account may not do this."
        return JsonResponse({"errors": {"permission": [message]}}, status=403)
    user = request.user
    role = role_of(user) if user.is_authenticated else None
    context = {"reason": reason, "role": role}
    return render(request, "403.html", context, status=403)


def page_not_found(request, exception=None):
    reason = _reason(exception)
    if _api(request):
        return JsonResponse({"errors": {"path": [reason or "No such resource."]}}, status=404)
    return render(request, "404.html", {"reason": reason}, status=404)
