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
import hashlib
import hmac
import io
from collections.abc import Iterator
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes

from workup.audit.exports import cell
from workup.clinic.models import ChecklistStep
from workup.evidence.catalogue import PILLAR_NAMES

from .presenters import step_name
from .queries import person_name

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


def _pseudonyms():
    """``pseudonym`` for many work-ups: the key derived once (as ``salted_hmac`` derives it),
    each reference computed once per work-up."""
    key = hashlib.sha256(force_bytes(PSEUDONYM_SALT) + force_bytes(settings.SECRET_KEY)).digest()
    base = hmac.new(key, digestmod=hashlib.sha256)
    known: dict[int, str] = {}

    def reference(workup_id: int) -> str:
        found = known.get(workup_id)
        if found is None:
            mac = base.copy()
            mac.update(str(workup_id).encode())
            found = known[workup_id] = f"R-{mac.hexdigest()[:12].upper()}"
        return found

    return reference


def safe_cell(value) -> str:
    """Text a spreadsheet shows as text (dates as ISO dates; formulas defused as in the audit
    exports)."""
    return cell(value.isoformat() if isinstance(value, date) else value)


def header(*, deidentified: bool) -> list[str]:
    if deidentified:
        return DEIDENTIFIED_HEADER + COMMON_HEADER
    return IDENTIFIED_HEADER + COMMON_HEADER + ["Work-up"]


# The columns an exported row is made of: plain values, no model objects.
COLUMNS = (
    "workup_id",
    "code",
    "kind",
    "pillar",
    "status",
    "due_date",
    "scheduled_for",
    "assignee_id",
    "workup__clinician_id",
    "workup__patient__mrn",
    "workup__patient__name",
)

# Rows are written to the response this many at a time (one write per row would be one
# system call per row under gunicorn).
ROWS_PER_CHUNK = 1000


def csv_lines(
    steps: QuerySet, *, catalogue, today: date, deidentified: bool, base_url: str
) -> Iterator[str]:
    """The CSV, streamed in chunks: the rows are read as tuples of values through the queue's
    index, and everything that repeats (step names, staff names, the link's address, each
    work-up's reference) is worked out once, not once a row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # The byte-order mark makes spreadsheet programs read the names as UTF-8.
    buffer.write("\ufeff")
    writer.writerow(header(deidentified=deidentified))

    people = {
        pk: cell(person_name(user))
        for pk, user in get_user_model().objects.in_bulk().items()  # the staff: a small table
    }
    people[None] = ""
    names = {}
    pillars = {code: cell(name) for code, name in PILLAR_NAMES.items()}
    statuses = {code: cell(label) for code, label in ChecklistStep.Status.choices}
    marker = 987654321
    link = base_url.rstrip("/") + reverse("clinic:workup_detail", args=[marker])
    link_prefix, link_suffix = link.split(str(marker))
    reference = _pseudonyms()
    investigation = ChecklistStep.Kind.INVESTIGATION

    rows = steps.values_list(*COLUMNS).iterator(chunk_size=2000)
    for number, values in enumerate(rows, start=1):
        workup, code, kind, pillar, status, due, booked, assignee, clinician, mrn, name = values
        step = names.get((kind, code))
        if step is None:
            step = names[(kind, code)] = cell(step_name(catalogue, code=code, kind=kind))
        overdue = (today - due).days if due is not None and due < today else 0
        common = [
            step,
            pillars.get(pillar) or cell(pillar),
            statuses.get(status) or cell(status),
            due.isoformat() if due else "",
            overdue,
            booked.isoformat() if booked else "",
            people.get(assignee, ""),
            people.get(clinician, ""),
        ]
        if deidentified:
            writer.writerow([reference(workup), *common])
        else:
            anchor = f"#step-{code}" if kind == investigation else ""
            url = f"{link_prefix}{workup}{link_suffix}{anchor}"
            writer.writerow([cell(mrn), cell(name), *common, url])
        if number % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
