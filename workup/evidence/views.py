"""The clinical lead's review screen (``evidence.review_catalogue``): the queue, one entry."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_safe

from . import review, store
from .forms import ReviewForm
from .models import ReviewStatus

PAGE_SIZE = 25
SCOPES = {"pending": ReviewStatus.PENDING, "verified": ReviewStatus.VERIFIED, "all": None}


def _scope(request) -> str:
    scope = request.GET.get("show", "pending")
    return scope if scope in SCOPES else "pending"


@require_safe
@permission_required("evidence.review_catalogue", raise_exception=True)
def review_queue(request):
    scope = _scope(request)
    every = review.in_use()
    items = review.queue(every, SCOPES[scope])
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "scope": scope,
        "counts": review.counts(every),
        "query_string": f"show={scope}",
    }
    return render(request, "evidence/review_queue.html", context)


def _entry_url(item, scope) -> str:
    url = reverse("evidence:review_entry", args=[item.kind, item.code])
    return url if scope == "pending" else f"{url}?show={scope}"


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required("evidence.review_catalogue", raise_exception=True)
def review_entry(request, kind, code):
    scope = _scope(request)
    entry = review.get_entry(kind, code)
    items = review.queue(review.in_use(), SCOPES[scope])
    previous, following, position = review.neighbours(items, kind, code)
    form = ReviewForm(initial={"seen": entry.updated_at.isoformat()})
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if form.is_valid():
            with transaction.atomic():
                entry = review.get_entry(kind, code)
                who = review.changed_since(entry, form.cleaned_data["seen"])
                if who is None:
                    store.record_review(
                        entries=[entry],
                        reviewer=request.user,
                        status=form.cleaned_data["status"],
                        note=form.cleaned_data["note"],
                    )
            if who is not None:
                messages.error(
                    request,
                    gettext(
                        "Not recorded: %(who)s changed this entry after you opened it. Read it "
                        "again below, then confirm."
                    )
                    % {"who": who},
                )
                return redirect(request.get_full_path())
            verb = (
                gettext("Confirmed as verified: %(name)s.")
                if form.cleaned_data["status"] == ReviewStatus.VERIFIED
                else gettext("Returned to pending review: %(name)s.")
            )
            messages.success(request, verb % {"name": entry.name})
            if following is not None:
                return redirect(_entry_url(following, scope))
            return redirect(f"{reverse('evidence:review_queue')}?show={scope}")
    context = {
        "entry": entry,
        "kind": kind,
        "kind_name": review.KIND_NAMES[kind],
        "content": review.content(entry),
        "sources": review.cited(entry),
        "tags": review.tag_lines(entry),
        "all_v": review.all_tags_verified(entry),
        "readers": review.readers(kind, code),
        "reached": review.open_workups_reached(kind, code),
        "needed": review.needed_by_engine(kind, code),
        "history": review.history(entry),
        "form": form,
        "scope": scope,
        "previous": previous and _entry_url(previous, scope),
        "next": following and _entry_url(following, scope),
        "position": position,
        "queue_size": len(items),
        "admin_url": reverse(f"admin:evidence_{entry._meta.model_name}_change", args=[entry.pk]),
    }
    return render(request, "evidence/review_entry.html", context)
