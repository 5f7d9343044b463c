"""The transfers on paper: the chart of the cumulative chance read back as text (pdftotext) and
as an image (pdftoppm), and the transfer table as signed."""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from tests.factories import contract_transfers, make_patient, make_workup, sign
from workup.clinic.models import WorkUp
from workup.clinic.transfer_records import Transfer

from .helpers import pdf_pages, requires_poppler, squash, url

# The crop of the chart is kept for a person to look at (git-ignored).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

TRANSFERS = contract_transfers(
    {
        "date": "2025-11-12",
        "oocyte_age": 35,
        "frozen": True,
        "stage": "blastocyst",
        "embryos": [{"pgta": "mosaic", "grade": "4BB"}],
        "outcome": "negative",
    },
    {
        "date": "2026-04-20",
        "oocyte_age": 26,
        "donor_oocytes": True,
        "frozen": False,
        "stage": "blastocyst",
        "embryos": [{"pgta": "untested", "grade": "4AB"}, {"pgta": "untested", "grade": "3BB"}],
        "outcome": "negative",
    },
)


@pytest.fixture
def workup(clinician, loaded_catalogue):
    patient = make_patient(mrn="SYN-0138", name="Ada Synthetic", birth_date=date(1988, 3, 14))
    return make_workup(
        clinician=clinician, patient=patient, facts={"age": 38, "transfers": TRANSFERS}
    )


@pytest.fixture
def summary_pdf(clinician_client, workup) -> bytes:
    response = clinician_client.get(url("summary_pdf", workup))
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def chart_page(pdf: bytes) -> int:
    """The page (from 1) that carries the chart."""
    return next(i for i, p in enumerate(pdf_pages(pdf), 1) if "The chart's numbers" in p)


@requires_poppler
def test_the_chart_and_its_numbers_read_as_text(summary_pdf):
    pages = pdf_pages(summary_pdf)
    number = chart_page(summary_pdf)
    # The table follows the chart, on the same page or the next (the label's cautions come
    # first on page two).
    page = squash(" ".join(pages[number - 1 : number + 1]))
    assert "Transfers and the cumulative chance" in page
    assert (
        "Cumulative predicted chance after each failed transfer; RIF is labelled once it "
        "passes the 60% threshold." in page
    )
    for label in ("100%", "80%", "60% threshold", "45%", "83%", "Feb 2025", "Apr 2026"):
        assert label in page
    assert "1. 10 Feb 2025 45% 45%" in page
    assert "2. 20 Apr 2026 70% 83%" in page
    # The transfer table, every transfer with its chance or why it is not counted.
    assert "Embryo transfers, oldest first" in page
    # (cells wrap over lines in the layout, so words are checked, not whole cells)
    for word in ("Donor", "Mosaic, 4BB", "Biochemical", "4AB", "implantation", "70% (at least"):
        assert word in page
    assert "Counted as pregnancy losses: 2 Sep 2025, biochemical pregnancy." in page


def _words(pdf: bytes, page: int) -> list[tuple[str, float, float, float, float]]:
    """(word, xMin, yMin, xMax, yMax) in PDF points, from pdftotext -bbox."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    words = []
    for m in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        out,
    ):
        words.append((html.unescape(m.group(5)), *map(float, m.group(1, 2, 3, 4))))
    return words


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="PDF IMAGE CHECK SKIPPED: no pdftoppm")
def test_the_chart_is_drawn_in_black_and_white_with_a_dashed_threshold(summary_pdf):
    page = chart_page(summary_pdf)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    words = _words(summary_pdf, page)
    top = next(w for w in words if w[0] == "100%")
    bottom = next(w for w in words if w[0] == "0%")
    threshold = next(w for w in words if w[0] == "threshold")
    sixty = next(w for w in words if w[0] == "60%" and w[3] < threshold[1])
    scale = 2  # 144 dpi: two pixels a point
    png = subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "144",
            "-f",
            str(page),
            "-l",
            str(page),
            "-",
        ],
        input=summary_pdf,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    image = Image.open(io.BytesIO(png)).convert("RGB")
    box = (
        int(top[3] * scale) + 4,  # right of the axis labels
        int(top[2] * scale),
        int(threshold[1] * scale) - 4,  # left of the threshold's label
        int(bottom[4] * scale),
    )
    chart = image.crop(box)
    chart.save(SCREENSHOTS / "transfers-pdf-chart-crop.png")
    pixels = list(chart.get_flattened_data())
    dark = [p for p in pixels if sum(p) < 200]
    assert len(dark) > 500, "the chart's line and markers are drawn"
    # Black and white: nothing in the plot carries colour (the draft watermark is behind it,
    # pale; the chart's own strokes are black or grey).
    coloured_dark = [p for p in dark if max(p) - min(p) > 40]
    assert not coloured_dark
    # The threshold: a dashed line across the plot at the height of its 60% label.
    y = round((sixty[2] + sixty[4]) / 2 * scale) - box[1]
    runs = 0
    for row in range(y - 3, y + 4):
        line = [sum(chart.getpixel((x, row))) < 300 for x in range(chart.width)]
        runs = max(runs, sum(1 for a, b in zip(line, line[1:], strict=False) if a and not b))
    assert runs >= 15, f"a dashed threshold line ({runs} dashes)"


@pytest.mark.django_db
def test_the_signed_summary_keeps_the_transfer_table_as_signed(clinician_client, workup):
    signed = sign(clinician_client, workup)
    data = {
        "transfer-new-date": "2026-06-30",
        "transfer-new-oocytes": "donor",
        "transfer-new-oocyte_age": "27",
        "transfer-new-stage": "blastocyst",
        "transfer-new-embryo_1_pgta": "untested",
        "transfer-new-outcome": "negative",
        "transfer-new-table_version": WorkUp.objects.get(pk=signed.pk).version,
        "transfer-new-addendum_reason": "Transfer done since the consultation",
    }
    response = clinician_client.post(reverse("clinic:transfer_add", args=[signed.pk]), data)
    assert response.status_code == 302
    assert Transfer.objects.filter(workup=workup).count() == 5
    summary = clinician_client.get(url("summary", workup)).content.decode()
    assert summary.count('<th scope="row">') >= 4
    assert "30 Jun 2026" not in summary.split("Findings by pillar")[0]
    assert "Transfer done since the consultation" in summary  # the addendum, beside it


@requires_poppler
@pytest.mark.parametrize(
    "language, labels",
    [
        ("fr", ("100 %", "45 %", "83 %", "seuil de 60 %", "Les chiffres du graphique")),
        ("tr", ("%100", "%45", "%83", "%60 eşiği", "Grafiğin rakamları")),
    ],
)
def test_the_chart_reads_in_the_readers_language_with_its_geometry_intact(
    clinician_client, clinician, workup, language, labels
):
    """The numbers a reader sees follow the language (76 %, %76); the SVG's coordinates do
    not (a decimal comma in x="115,1" would scatter the chart)."""
    clinician_client.post(reverse("set_language"), {"language": language, "next": "/"})
    page = clinician_client.get(url("summary", workup)).content.decode()
    svg = page[page.index('<svg class="rif-chart-svg"') : page.index("</svg>")]
    assert not re.search(r'\b(?:x|y|x1|x2|y1|y2|cx|cy)="-?\d+,\d', svg), svg[:400]
    response = clinician_client.get(url("summary_pdf", workup))
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    text = squash(pdf_pages(pdf)[chart_page_of(pdf, labels[-1]) - 1])
    for label in labels:
        assert label in text


def chart_page_of(pdf: bytes, caption: str) -> int:
    return next(i for i, p in enumerate(pdf_pages(pdf), 1) if caption in p)
