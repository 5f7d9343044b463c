"""The queue as CSV: streamed row by row, safe to open in a spreadsheet.

De-identified export: the patient's name and MRN are left out (the MRN is what links a row to a
person in every other clinic system); each row carries instead a *reference*, a keyed hash of the
work-up (HMAC with the server's secret key). The same work-up gets the same reference in every
export, so the rows of one case can be grouped and followed from one week to the next, but the
reference cannot be turned back into a patient without this server. The work-up link is left out
too, since its number leads straight to the patient for anyone with a login. What remains (step,
pillar, status, dates, staff names) is the clinic's workload, not the patient's identity.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date

from django.db.models import QuerySet
from django.utils.crypto import salted_hmac

from workup.audit.exports import cell

from .presenters import QueueRow, iter_queue_rows

PSEUDONYM_SALT = "workup.coordination.export.reference"

IDENTIFIED_HEADER = ["MRN", "Patient"]
DEIDENTIFIED_HEADER = ["Reference"]
COMMON_HEADER = [
    "Step",
    "Pillar",
    "Status",
    "Due date",
    "Days overdue",
    "Booked for",
    "Assignee",
    "Responsible clinician",
]


def filename(*, today: date, deidentified: bool) -> str:
    kind = "-deidentified" if deidentified else ""
    return f"coordinator-queue{kind}-{today.isoformat()}.csv"


def pseudonym(workup_id: int) -> str:
    """A stable reference for a work-up that does not reveal it without the secret key."""
    digest = salted_hmac(PSEUDONYM_SALT, str(workup_id), algorithm="sha256").hexdigest()
    return f"R-{digest[:12].upper()}"


def safe_cell(value) -> str:
    """Text a spreadsheet shows as text (dates as ISO dates; formulas defused as in the audit
    exports)."""
    return cell(value.isoformat() if isinstance(value, date) else value)


def header(*, deidentified: bool) -> list[str]:
    if deidentified:
        return DEIDENTIFIED_HEADER + COMMON_HEADER
    return IDENTIFIED_HEADER + COMMON_HEADER + ["Work-up"]


def row_cells(row: QueueRow, *, deidentified: bool, base_url: str) -> list:
    step = row.step
    common = [
        row.name,
        row.pillar,
        step.get_status_display(),
        step.due_date,
        row.days_overdue,
        step.scheduled_for,
        row.assignee,
        row.clinician,
    ]
    if deidentified:
        return [pseudonym(step.workup_id), *common]
    return [row.patient.mrn, row.patient.name, *common, base_url.rstrip("/") + row.url]


class _Echo:
    """A file-like object whose write returns the line, for streaming with csv.writer."""

    def write(self, value):
        return value


def csv_lines(
    steps: QuerySet, *, catalogue, today: date, deidentified: bool, base_url: str
) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # The byte-order mark makes spreadsheet programs read the names as UTF-8.
    yield "\ufeff" + writer.writerow(header(deidentified=deidentified))
    rows = iter_queue_rows(steps.iterator(chunk_size=1000), catalogue=catalogue, today=today)
    for row in rows:
        cells = row_cells(row, deidentified=deidentified, base_url=base_url)
        yield writer.writerow([safe_cell(c) for c in cells])
