"""One call to record a download; every view that hands data out of the system uses it."""

from .models import DownloadRecord


def record_download(*, user, kind, workup=None, patient=None, detail=None) -> DownloadRecord:
    return DownloadRecord.objects.create(
        user=user, kind=kind, workup=workup, patient=patient, detail=dict(detail or {})
    )
