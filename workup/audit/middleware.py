"""Record every read of a patient's record: who, what, when, one access record per view.

Keyed on URL names, so the views themselves stay as they are. Views that hand a document out
(the summary, the patient sheet, their PDFs) record their download themselves
(``services.record_download``); they are not listed here. A record costs one INSERT
(``chain.append``), made only for a successful read by a signed-in user.
"""

from __future__ import annotations

from .models import DownloadRecord

Kind = DownloadRecord.Kind

READS = {
    "clinic:workup_detail": Kind.WORKUP_PAGE,
    "clinic:workup_history": Kind.WORKUP_HISTORY,
    "api_workup_detail": Kind.API_RECORD,
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
                DownloadRecord(
                    user=user,
                    kind=READS[match.view_name],
                    workup_id=match.kwargs.get("pk"),
                    detail=detail,
                ).save()
        return response
