"""Reading the documents back as a reader would: PDF text (poppler), page facts, plain prose."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from tests.evidence.test_facts import EXAMPLE
from tests.factories import make_patient, make_workup
from workup.clinic.assessment import assess_workup
from workup.clinic.presenters import load_workup

# Without poppler-utils the PDF checks are skipped on a developer's machine, never in CI.
requires_poppler = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdfinfo"))
    and os.environ.get("CI", "").lower() != "true",
    reason="PDF CHECKS SKIPPED: poppler-utils (pdftotext, pdfinfo) not installed",
)

# The contract's example, made to exercise every part of the summary: RIF labelled, a polyp,
# endometritis, low reserve, two flagged add-ons (one verified, one pending clinical review).
RICH_FACTS = {
    **EXAMPLE,
    "failed_transfers": 4,
    "euploid_failed_transfers": 1,
    "hysteroscopy": {**EXAMPLE["hysteroscopy"], "polyp": True},
    "addons_requested": ["intralipids", "corticosteroids"],
}


def rich_workup(clinician, **patient):
    patient = make_patient(
        mrn=patient.get("mrn", "DEMO-000042"),
        name=patient.get("name", "Ada Example"),
        birth_date=patient.get("birth_date", date(1988, 3, 14)),
    )
    return make_workup(
        clinician=clinician, facts=RICH_FACTS, patient=patient, workup_date=date(2026, 11, 24)
    )


def sign(workup, user, when=datetime(2026, 11, 25, 10, 30, tzinfo=UTC)):
    """Signs directly: the sign-off form belongs to another issue."""
    workup.status = workup.Status.SIGNED
    workup.signed_by = user
    workup.signed_at = when
    workup.save()
    return workup


def engine_answer(workup) -> dict:
    """What the engine says for the stored facts, read fresh from the database."""
    return assess_workup(load_workup(workup.pk))[1]


def url(name, workup) -> str:
    return reverse(f"documents:{name}", args=[workup.pk])


# --- PDF ------------------------------------------------------------------------------------


def _poppler(tool, pdf: bytes, *args) -> str:
    result = subprocess.run(
        [tool, *args, "-", "-"] if tool == "pdftotext" else [tool, "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return result.stdout.decode("utf-8")


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as ``pdftotext -layout`` reads it; pages end with a form feed."""
    return _poppler("pdftotext", pdf, "-layout")


def pdf_pages(pdf: bytes) -> list[str]:
    pages = pdf_text(pdf).split("\f")
    return [p for p in pages if p.strip()]


@dataclass
class PdfInfo:
    pages: int
    page_size: str
    title: str
    author: str
    raw: str


def pdf_info(pdf: bytes) -> PdfInfo:
    raw = _poppler("pdfinfo", pdf)
    fields = {}
    for line in raw.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return PdfInfo(
        pages=int(fields["Pages"]),
        page_size=fields["Page size"],
        title=fields.get("Title", ""),
        author=fields.get("Author", ""),
        raw=raw,
    )


def squash(text: str) -> str:
    """Whitespace collapsed, so a phrase wrapped over two lines still reads as one."""
    return re.sub(r"\s+", " ", text).strip()


def section(text: str, start: str, end: str) -> str:
    """The text between two headings (the first ``start``, the next ``end`` after it)."""
    begin = text.index(start)
    return text[begin : text.index(end, begin)]


# --- HTML -----------------------------------------------------------------------------------


def attr_values(page: str, attribute: str) -> list[str]:
    return re.findall(rf'{attribute}="([^"]+)"', page)


def visible_text(fragment: str) -> str:
    fragment = re.sub(r"<(script|style)\b.*?</\1>", " ", fragment, flags=re.S)
    return squash(html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


def handout_prose(page: str) -> str:
    """The patient sheet's own words, one block per line: what the patient reads as sentences.

    Left out: the header (clinic, MRN), headings and labels (short, they would flatter the
    score), the labelled medical names (jargon on purpose, next to its explanation), the
    citation numbers and the list of sources.
    """
    body = squash(page[page.index("</header>") : page.index('<section class="references"')])
    body = re.sub(r"<h([23])\b.*?</h\1>", " ", body)
    body = re.sub(r'<p class="plan-label">.*?</p>', " ", body)
    body = re.sub(r'<span class="medical-name">.*?</span>', " ", body)
    body = re.sub(r'<a class="cite"[^>]*>.*?</a>', " ", body)
    body = re.sub(r"</(p|li)>", "\n", body)
    lines = (squash(html.unescape(re.sub(r"<[^>]+>", " ", line))) for line in body.split("\n"))
    return "\n".join(line for line in lines if line)


# --- page layout (pdftotext -bbox) -----------------------------------------------------------

MM = 72 / 25.4
# The @page margins of summary.css: the margin boxes (running header, footer) lie outside.
TOP_MARGIN, BOTTOM_MARGIN = 22 * MM, 18 * MM


@dataclass
class PageLayout:
    body_lines: int  # lines of text in the page's body (margin boxes left out)
    fill: float  # how far down the body the text reaches, 0 to 1


def pdf_layout(pdf: bytes) -> list[PageLayout]:
    """Each page's body lines and how full it is, from the words' boxes (``pdftotext -bbox``)."""
    xml = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
    ).stdout.decode("utf-8")
    pages = []
    for page in re.findall(r"<page width=\"[\d.]+\" height=\"([\d.]+)\">(.*?)</page>", xml, re.S):
        height, words = float(page[0]), page[1]
        top, bottom = TOP_MARGIN, height - BOTTOM_MARGIN
        boxes = [
            (float(y0), float(y1))
            for y0, y1 in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', words)
        ]
        body = [(y0, y1) for y0, y1 in boxes if y0 >= top - 1 and y1 <= bottom + 1]
        lines = {round(y0 / 4) for y0, _ in body}
        lowest = max((y1 for _, y1 in body), default=top)
        pages.append(PageLayout(body_lines=len(lines), fill=(lowest - top) / (bottom - top)))
    return pages
