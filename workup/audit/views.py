"""The audit area for the clinical lead (clinic.view_audit): recent changes across work-ups and
every download, each filterable and exportable as CSV (the export is itself recorded)."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from .changes import change_entries, count_changes, describe, iter_changes
from .exports import csv_response, detail_text, export_name, local_time, record_export
from .forms import ChangeFilterForm, DownloadFilterForm

PAGE_SIZE = 50


def _query_string(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_safe
@permission_required("clinic.view_audit", raise_exception=True)
def changes(request):
    form = ChangeFilterForm(request.GET)
    page = rows = None
    if form.is_valid():
        filters = form.filters()
        paginator = Paginator(change_entries(filters), PAGE_SIZE)
        paginator.count = count_changes(filters)  # one query, from the chains when unfiltered
        page = paginator.get_page(request.GET.get("page"))
        rows = describe(page.object_list)
    context = {"form": form, "page": page, "rows": rows, "query_string": _query_string(request)}
    return render(request, "audit/changes.html", context)


@require_safe
@permission_required("clinic.view_audit", raise_exception=True)
def downloads(request):
    form = DownloadFilterForm(request.GET)
    page = None
    if form.is_valid():
        page = Paginator(form.downloads(), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query_string": _query_string(request)}
    return render(request, "audit/downloads.html", context)


def _bad_filters(form):
    problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
    return HttpResponseBadRequest(f"Check the filters: {problems}", content_type="text/plain")


@require_safe
@permission_required("clinic.view_audit", raise_exception=True)
def changes_csv(request):
    form = ChangeFilterForm(request.GET)
    if not form.is_valid():
        return _bad_filters(form)
    # Changes made while the file streams out are left for the next export.
    filters = form.filters(until=timezone.now())
    record_export(
        user=request.user,
        what="changes",
        filters=form.as_record(),
        rows=change_entries(filters).count(),
    )
    header = [
        "when",
        "who",
        "name",
        "record",
        "action",
        "subject",
        "work-up",
        "MRN",
        "what changed",
    ]
    rows = (
        [local_time(c.when), c.who, c.who_name, c.area, c.action, c.subject, c.workup_id, c.mrn]
        + ["; ".join(c.lines)]
        for c in iter_changes(filters)
    )
    return csv_response(export_name("changes"), header, rows)


@require_safe
@permission_required("clinic.view_audit", raise_exception=True)
def downloads_csv(request):
    form = DownloadFilterForm(request.GET)
    if not form.is_valid():
        return _bad_filters(form)
    records = form.downloads(until=timezone.now())
    record_export(
        user=request.user, what="downloads", filters=form.as_record(), rows=records.count()
    )
    header = ["when", "who", "name", "what", "work-up", "MRN", "detail"]
    rows = (
        [
            local_time(r.created_at),
            r.who,
            r.user_full_name,
            r.get_kind_display(),
            r.workup_id,
            r.mrn,
            detail_text(r.detail),
        ]
        for r in records.iterator(chunk_size=500)
    )
    return csv_response(export_name("downloads"), header, rows)
