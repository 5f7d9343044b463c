"""manage.py bench_documents: the figures the scale benchmark reports for the PDF."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from workup.audit.models import DownloadRecord
from workup.clinic import demo

from .helpers import requires_poppler


@requires_poppler
def test_it_reports_median_p95_and_ratio_for_demo_work_ups(loaded_catalogue):
    demo.seed(2, password=None)
    out = StringIO()
    call_command("bench_documents", "--workups", "2", "--runs", "1", "--json", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["workups"] == 2 and figures["runs"] == 1
    for key in ("html_median_ms", "html_p95_ms", "pdf_median_ms", "pdf_p95_ms"):
        assert figures[key] > 0, key
    assert figures["pdf_p95_ms"] >= figures["pdf_median_ms"]
    assert figures["pdf_html_ratio"] == pytest.approx(
        figures["pdf_median_ms"] / figures["html_median_ms"], rel=0.05
    )
    assert figures["pages_median"] >= 1
    assert not DownloadRecord.objects.exists()  # a benchmark hands nothing out

    out = StringIO()
    call_command("bench_documents", "--workups", "1", "--runs", "1", stdout=out)
    assert "PDF   median" in out.getvalue() and "PDF/HTML ratio" in out.getvalue()


def test_it_asks_for_demo_data_when_there_is_too_little(loaded_catalogue):
    with pytest.raises(CommandError, match="seed_demo --workups 5"):
        call_command("bench_documents", "--workups", "5", stdout=StringIO())
