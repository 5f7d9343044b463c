"""manage.py bench_documents [--workups N] [--runs R] [--json]: how long a summary takes.

Renders the consultation summary of N typical demo work-ups (``seed_demo``) R times, as HTML
(load, engine, template) and as PDF (the same plus WeasyPrint), and prints the median and 95th
percentile of each and the ratio of the medians. Nothing is written and no download is recorded.
The first PDF of a process also pays for importing WeasyPrint; it is timed apart ("cold").
"""

from __future__ import annotations

import json
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string

from workup.clinic.demo import MRN_PREFIX
from workup.clinic.models import WorkUp
from workup.clinic.presenters import load_workup
from workup.documents.pdf import render
from workup.documents.presenters import summary_context
from workup.documents.views import SUMMARY_TEMPLATE

BASE_URL = "http://localhost/"


def render_html(pk: int, *, pdf: bool = False) -> str:
    return render_to_string(SUMMARY_TEMPLATE, summary_context(load_workup(pk), pdf=pdf))


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def percentile(values: list[float], fraction: float) -> float:
    if len(values) == 1:
        return values[0]
    ordered = sorted(values)
    index = fraction * (len(ordered) - 1)
    low = int(index)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


class Command(BaseCommand):
    help = (
        "Time the consultation summary as HTML and as PDF over typical demo work-ups "
        "(median, p95, PDF/HTML ratio). Run seed_demo first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workups", type=int, default=10, help="work-ups to render (10)")
        parser.add_argument("--runs", type=int, default=3, help="renders of each (3)")
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args, workups, runs, json: bool, **options):
        if workups < 1 or runs < 1:
            raise CommandError("--workups and --runs must be at least 1.")
        ids = list(
            WorkUp.objects.filter(patient__mrn__startswith=MRN_PREFIX)
            .order_by("pk")
            .values_list("pk", flat=True)[:workups]
        )
        if len(ids) < workups:
            raise CommandError(
                f"Found {len(ids)} demo work-ups, {workups} wanted: run "
                f"`manage.py seed_demo --workups {workups}` first."
            )
        cold, _ = timed(lambda: render(render_html(ids[0], pdf=True), base_url=BASE_URL))
        html_times, pdf_times, pages = [], [], []
        for _ in range(runs):
            for pk in ids:
                html_times.append(timed(render_html, pk)[0])
                seconds, rendered = timed(
                    lambda pk=pk: render(render_html(pk, pdf=True), base_url=BASE_URL)
                )
                pdf_times.append(seconds)
                pages.append(rendered.pages)
        html_median = statistics.median(html_times)
        pdf_median = statistics.median(pdf_times)
        figures = {
            "workups": workups,
            "runs": runs,
            "html_median_ms": round(html_median * 1000, 1),
            "html_p95_ms": round(percentile(html_times, 0.95) * 1000, 1),
            "pdf_median_ms": round(pdf_median * 1000, 1),
            "pdf_p95_ms": round(percentile(pdf_times, 0.95) * 1000, 1),
            "pdf_cold_ms": round(cold * 1000, 1),
            "pdf_html_ratio": round(pdf_median / html_median, 1),
            "pages_median": statistics.median(pages),
            "pages_max": max(pages),
        }
        if json:
            self.stdout.write(_dumps(figures))
            return
        f = figures
        self.stdout.write(
            f"Consultation summary, {workups} demo work-ups x {runs} runs "
            f"({len(html_times)} renders each)\n"
            f"  HTML  median {f['html_median_ms']:8.1f} ms   p95 {f['html_p95_ms']:8.1f} ms\n"
            f"  PDF   median {f['pdf_median_ms']:8.1f} ms   p95 {f['pdf_p95_ms']:8.1f} ms   "
            f"(first PDF of the process: {f['pdf_cold_ms']:.0f} ms)\n"
            f"  PDF/HTML ratio of medians: {f['pdf_html_ratio']}\n"
            f"  pages: median {f['pages_median']:g}, longest {f['pages_max']}"
        )


def _dumps(figures: dict) -> str:
    return json.dumps(figures)
