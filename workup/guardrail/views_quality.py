"""The lead's dashboard, ``/quality/``: figures as SVG charts, tables and CSV. Thin views."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from workup.coordination.export import safe_cell
from workup.evidence import store

from . import quality
from .forms import QualityFilterForm

PERMISSION = "guardrail.view_quality"


def _figures(request):
    form = QualityFilterForm(request.GET or None)
    filters = form.filters()
    return form, filters, quality.dashboard(filters, store.get_catalogue())


@require_safe
@permission_required(PERMISSION, raise_exception=True)
def dashboard(request):
    form, filters, figures = _figures(request)
    query = request.GET.urlencode()
    return render(
        request,
        "guardrail/quality.html",
        {"form": form, "filters": filters, "figures": figures, "query": query},
    )


@require_safe
@permission_required(PERMISSION, raise_exception=True)
def figure_csv(request, key):
    if key not in quality.FIGURE_KEYS:
        raise Http404(gettext_lazy("No such figure."))
    filters = QualityFilterForm(request.GET or None).filters()
    figure = quality.figure(key, filters, store.get_catalogue())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"quality-{key}-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow([safe_cell(c) for c in figure.columns])
    for row in figure.rows:
        writer.writerow([safe_cell(c) for c in row])
    return response


PAGE_SIZE = 50


@require_safe
@permission_required(PERMISSION, raise_exception=True)
def overrides(request):
    """Every override of the period, newest first, with the patient sheet kept at the desk."""
    form = QualityFilterForm(request.GET or None)
    filters = form.filters()
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    number = min(number, 200)  # 10,000 rows back is the CSV's job, not a page's
    entries = quality.override_register(filters, store.get_catalogue(), limit=number * PAGE_SIZE)
    rows = entries[(number - 1) * PAGE_SIZE :]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "guardrail/overrides.html",
        {
            "form": form,
            "filters": filters,
            "rows": rows,
            "number": number,
            "has_next": len(entries) == number * PAGE_SIZE,
            "query": query.urlencode(),
        },
    )
