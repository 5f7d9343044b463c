"""Record every read of a patient's record: who, what, when, one access record per view (the
patient's page, the work-up page, its history, the API record).

Keyed on URL names, so the views themselves stay as they are. Views that hand a document out
(the summary, the patient sheet, their PDFs) record their download themselves
(``services.record_download``); they are not listed here. A record costs one INSERT
(``chain.append``), made only for a successful read by a signed-in user.
"""

from __future__ import annotations

from .models import DownloadRecord

Kind = DownloadRecord.Kind

# URL name: (what was read, which record the URL's ``pk`` names).
READS = {
    "clinic:patient_detail": (Kind.PATIENT_PAGE, "patient_id"),
    "clinic:workup_detail": (Kind.WORKUP_PAGE, "workup_id"),
    "clinic:workup_history": (Kind.WORKUP_HISTORY, "workup_id"),
    "api_workup_detail": (Kind.API_RECORD, "workup_id"),
}


class ReadRecordMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if (
            match is not None
            and match.view_name in READS
            and request.method in ("GET", "HEAD")
            and response.status_code == 200
        ):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                detail = {"via": "API token"} if request.headers.get("Authorization") else {}
                kind, record = READS[match.view_name]
                DownloadRecord(
                    user=user, kind=kind, detail=detail, **{record: match.kwargs.get("pk")}
                ).save()
        return response
