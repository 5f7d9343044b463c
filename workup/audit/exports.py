"""CSV exports of the audit trail: streamed, spreadsheet-safe, and each one recorded."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable

from django.http import StreamingHttpResponse
from django.utils import timezone

from .models import DownloadRecord
from .services import record_download

# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def local_time(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # so that spreadsheet programs read the file as UTF-8
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_name(what: str) -> str:
    return f"rif-audit-{what}-{timezone.localtime():%Y%m%d-%H%M}.csv"


def record_export(*, user, what: str, filters: dict, rows: int) -> DownloadRecord:
    """Every audit export is itself a download, listed with the others."""
    return record_download(
        user=user,
        kind=DownloadRecord.Kind.AUDIT_CSV,
        detail={"export": what, "filters": filters, "rows": rows},
    )


def detail_text(detail: dict) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else ""
