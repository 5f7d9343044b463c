"""The coordinator queue, its bulk actions, its CSV export and a clinician's own queue.

Who sees what (permissions, never group names):

- the queue (``clinic.view_workup``): coordinators, clinicians and the lead, read-only for the
  lead: it shows nothing a work-up page does not;
- its actions (``clinic.manage_steps``): coordinators and clinicians;
- its export (``clinic.export_queue``): coordinators;
- "My queue" (``clinic.record_findings``): clinicians.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from workup.audit.models import DownloadRecord
from workup.audit.services import record_download
from workup.evidence import store

from . import export
from .forms import QueueFilterForm, StepActionForm
from .presenters import count_chips, queue_rows
from .queries import (
    clinician_queue,
    count_clinician_queue,
    count_queue,
    due_week_end,
    filter_people,
    filter_queue,
    open_steps,
)
from .services import ChangeRefused

PAGE_SIZE = 50


def _filtered(request, today):
    """The filter form from the query string, the steps it selects, and the staff it named."""
    catalogue = store.get_catalogue()
    people = list(filter_people())
    form = QueueFilterForm(request.GET, people=people, catalogue=catalogue)
    filters = form.filters()
    steps = filter_queue(open_steps(), filters, user=request.user, today=today)
    return form, filters, steps, catalogue, people


def _paginate(steps, request, *, total):
    """The requested page; the row count comes from the counts query, not a second COUNT."""
    paginator = Paginator(steps, PAGE_SIZE)
    paginator.count = total
    return paginator.get_page(request.GET.get("page"))


class QueueView(PermissionRequiredMixin, View):
    """GET: the queue with its filters. POST: one action on the ticked rows, then back."""

    permission_required = "clinic.view_workup"
    raise_exception = True
    template_name = "coordination/queue.html"

    def get(self, request, action_form=None):
        today = timezone.localdate()
        form, filters, steps, catalogue, people = _filtered(request, today)
        counts = count_queue(steps, filters, user=request.user, today=today)
        page = _paginate(steps, request, total=counts["total"])
        can_manage = request.user.has_perm("clinic.manage_steps")
        if can_manage and action_form is None:
            action_form = StepActionForm(takers=[p for p in people if p.is_taker])
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "filter_form": form,
            "filters": filters,
            "filtered": bool(filters.as_record()),
            "query_string": query.urlencode(),
            "page": page,
            "rows": queue_rows(page.object_list, catalogue=catalogue, today=today),
            "counts": counts,
            "chips": count_chips(counts, filters=filters),
            "today": today,
            "week_end": due_week_end(today),
            "can_manage": can_manage,
            "can_export": request.user.has_perm("clinic.export_queue"),
            "action_form": action_form if can_manage else None,
            "selected": set(request.POST.getlist("steps")),
        }
        return render(request, self.template_name, context)

    def post(self, request):
        if not request.user.has_perm("clinic.manage_steps"):
            raise PermissionDenied
        form = StepActionForm(request.POST)
        if not form.is_valid():
            # Drawn again (as Django's form views do) with the errors and the ticked rows kept.
            return self.get(request, action_form=form)
        try:
            report = form.apply(user=request.user)
        except ChangeRefused as refused:
            messages.error(
                request,
                "Nothing was saved. " + "; ".join(refused.problems) + ". The list below shows "
                "the current values: check them and select the rows again if the change is "
                "still wanted.",
            )
        else:
            messages.success(request, form.success_message(report))
        # Back to the same filtered page (path and query string are this request's own).
        return redirect(request.get_full_path())


@require_safe
@never_cache
@permission_required("clinic.export_queue", raise_exception=True)
def export_csv(request):
    """The queue's rows with the same filters, every page; recorded as a download."""
    today = timezone.localdate()
    _, filters, steps, catalogue, _ = _filtered(request, today)
    deidentified = request.GET.get("deidentified") == "1"
    count = count_queue(steps, filters, user=request.user, today=today)["total"]
    filename = export.filename(today=today, deidentified=deidentified)
    record_download(
        user=request.user,
        kind=DownloadRecord.Kind.QUEUE_CSV,
        detail={
            "filters": filters.as_record(),
            "deidentified": deidentified,
            "rows": count,
            "file": filename,
        },
    )
    lines = export.csv_stream(
        steps,
        catalogue=catalogue,
        today=today,
        deidentified=deidentified,
        base_url=request.build_absolute_uri("/"),
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@permission_required("clinic.record_findings", raise_exception=True)
def my_queue(request):
    """A clinician's own queue: results awaiting their findings, and steps given to them."""
    today = timezone.localdate()
    catalogue = store.get_catalogue()
    steps = clinician_queue(request.user)
    # Summed from the step counts the database keeps, whatever the person's caseload.
    counts = count_clinician_queue(request.user, today=today)
    page = _paginate(steps, request, total=counts["total"])
    context = {
        "page": page,
        "rows": queue_rows(page.object_list, catalogue=catalogue, today=today),
        "counts": counts,
        "today": today,
    }
    return render(request, "coordination/my_queue.html", context)
