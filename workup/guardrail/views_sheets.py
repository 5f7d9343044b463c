"""The patient sheet kept with an override: the exact bytes, with their hash, never re-rendered."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from workup.audit.models import DownloadRecord
from workup.audit.services import record_download

from .models import KeptPatientSheet


@never_cache
@require_safe
@permission_required("clinic.view_workup", raise_exception=True)
def kept_sheet(request, pk):
    """The latest sheet kept for add-on request ``pk`` (``?sheet=<id>`` for an earlier one)."""
    sheets = KeptPatientSheet.objects.filter(addon_request_id=pk).order_by("-created_at", "-pk")
    wanted = request.GET.get("sheet", "")
    if wanted:
        if not wanted.isdigit():
            raise Http404(gettext_lazy("No such sheet."))
        sheets = sheets.filter(pk=int(wanted))
    sheet = sheets.first()
    if sheet is None:
        raise Http404(gettext_lazy("No patient sheet was kept for this add-on request."))
    record_download(
        user=request.user,
        kind=DownloadRecord.Kind.HANDOUT_PDF,
        workup=sheet.workup,
        detail={"file_name": sheet.file_name, "kept_sheet": sheet.pk, "sha256": sheet.sha256},
    )
    response = HttpResponse(bytes(sheet.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{sheet.file_name}"'
    response["X-Content-SHA256"] = sheet.sha256
    return response
