"""The summary, the patient sheet and their PDFs. Thin: permission, load, template, record.

Who may open them: anyone who may see the work-up (``clinic.view_workup``: clinicians,
coordinators, the clinical lead). Each one handed out is recorded (who, which, when) with
``audit.services.record_download``, and none is cached by the browser or a proxy.
"""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.translation import get_language, gettext_lazy, override
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from workup.audit.models import DownloadRecord
from workup.audit.services import record_download
from workup.clinic.models import WorkUp
from workup.clinic.presenters import load_workup
from workup.languages.codes import native_name

from .pdf import render_pdf
from .presenters import handout_context, kept_sheet_language, page_context, summary_context
from .tasks import document

Kind = DownloadRecord.Kind


def document_view(view):
    """GET (or HEAD) only, never cached, for those who may see work-ups."""
    view = permission_required("clinic.view_workup", raise_exception=True)(view)
    return never_cache(require_safe(view))


SUMMARY_TEMPLATE = "documents/summary.html"
HANDOUT_TEMPLATE = "documents/handout.html"


def _record(request, kind, workup, context):
    record_download(
        user=request.user,
        kind=kind,
        workup=workup,
        detail={
            "file_name": context["file_name"],
            "signed": not context["draft"],
            "catalogue_version": context["answer"]["catalogue"]["version"],
        },
    )


def _page(request, pk, build, template, kind):
    workup = load_workup(pk)
    context = build(workup)
    _record(request, kind, workup, context)
    return render(request, template, context)


def _pdf(request, pk, document_kind, kind):
    """The PDF kept under the hash of its HTML (rendered ahead by the task worker), else
    rendered now; the same bytes for every reader of one language, the download recorded under
    the reader. The summary is in the reader's language, the patient sheet in the patient's."""
    workup = load_workup(pk)
    context, html = document(workup, document_kind, pdf=True, language=get_language())
    pdf = render_pdf(html)
    _record(request, kind, workup, context)
    disposition = "attachment" if request.GET.get("download") else "inline"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'{disposition}; filename="{context["file_name"]}"'
    return response


@document_view
def summary(request, pk):
    return _page(request, pk, summary_context, SUMMARY_TEMPLATE, Kind.SUMMARY_PRINT)


@document_view
def summary_pdf(request, pk):
    return _pdf(request, pk, "summary", Kind.SUMMARY_PDF)


@document_view
def handout(request, pk):
    """The sheet in the patient's language; above it, in the reader's own language and never
    printed, the toolbar and what the reader should know before printing (a translation not
    yet reviewed, texts still in English, a signed sheet in another language)."""
    workup = load_workup(pk)
    context = handout_context(workup)
    _record(request, Kind.HANDOUT, workup, context)
    notice = {
        **context["translation"],
        "language_name": native_name(context["sheet_language"]),
        "patient_language_name": native_name(workup.patient.language),
        "signed_in_other_language": workup.is_signed
        and context["sheet_language"] != workup.patient.language,
    }
    context["toolbar_html"] = render_to_string(
        "documents/partials/handout_toolbar.html",
        {**context, "notice": notice},
        request=request,
    )
    with override(context["sheet_language"]):
        return render(request, HANDOUT_TEMPLATE, context)


@document_view
def handout_pdf(request, pk):
    return _pdf(request, pk, "handout", Kind.HANDOUT_PDF)


@document_view
def page_css(request, pk, kind):
    """The patient's line in the page margins when a browser prints the summary or the sheet."""
    if kind not in ("summary", "handout"):
        raise Http404(gettext_lazy("No such document."))
    workup = get_object_or_404(WorkUp.objects.select_related("patient", "signed_by"), pk=pk)
    language = kept_sheet_language(workup) if kind == "handout" else get_language()
    with override(language):
        return render(
            request, "documents/page.css", page_context(workup, kind), content_type="text/css"
        )
