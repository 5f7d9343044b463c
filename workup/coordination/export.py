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
import json
from collections.abc import Iterator
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes

from workup.audit.chain import hmac_pads
from workup.audit.exports import FORMULA_START, cell
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


def _pseudonym_key() -> bytes:
    """The key of ``pseudonym``'s HMAC, derived as ``salted_hmac`` derives it."""
    return hashlib.sha256(force_bytes(PSEUDONYM_SALT) + force_bytes(settings.SECRET_KEY)).digest()


def _pseudonyms():
    """``pseudonym`` for many work-ups: the key derived once, each reference computed once per
    work-up."""
    base = hmac.new(_pseudonym_key(), digestmod=hashlib.sha256)
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


def csv_stream(
    steps: QuerySet, *, catalogue, today: date, deidentified: bool, base_url: str
) -> Iterator[str | bytes]:
    """The CSV of these steps: written by PostgreSQL itself (``copy_lines``) where the database
    is PostgreSQL, by Python (``csv_lines``) elsewhere; the same bytes either way."""
    lines = copy_lines if connections[steps.db].vendor == "postgresql" else csv_lines
    return lines(
        steps, catalogue=catalogue, today=today, deidentified=deidentified, base_url=base_url
    )


def _first_line(*, deidentified: bool) -> str:
    buffer = io.StringIO()
    # The byte-order mark makes spreadsheet programs read the names as UTF-8.
    buffer.write("\ufeff")
    csv.writer(buffer).writerow(header(deidentified=deidentified))
    return buffer.getvalue()


def _people() -> dict:
    """Each user's name as a cell (the staff: a small table)."""
    return {pk: cell(person_name(user)) for pk, user in get_user_model().objects.in_bulk().items()}


def _link_parts(base_url: str) -> tuple[str, str]:
    """A work-up link's address before and after the work-up's number."""
    marker = 987654321
    link = base_url.rstrip("/") + reverse("clinic:workup_detail", args=[marker])
    prefix, suffix = link.split(str(marker))
    return prefix, suffix


def csv_lines(
    steps: QuerySet, *, catalogue, today: date, deidentified: bool, base_url: str
) -> Iterator[str]:
    """The CSV, streamed in chunks: the rows are read as tuples of values through the queue's
    index, and everything that repeats (step names, staff names, the link's address, each
    work-up's reference) is worked out once, not once a row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(_first_line(deidentified=deidentified))

    people = _people()
    people[None] = ""
    names = {}
    pillars = {code: cell(name) for code, name in PILLAR_NAMES.items()}
    statuses = {code: cell(label) for code, label in ChecklistStep.Status.choices}
    link_prefix, link_suffix = _link_parts(base_url)
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


# --- PostgreSQL: the rows written by the database (COPY ... TO STDOUT WITH CSV) ---------------

# The filtered steps' values, named for the outer SELECT (and its order: the queue's).
COPY_NAMES = (*COLUMNS, "queue_due", "id")
COPY_ALIASES = (
    "workup_id, code, kind, pillar, status, due, booked, assignee, clinician, mrn, name, "
    "queue_due, id"
)


def _defused(sql: str) -> str:
    """SQL for ``audit.exports.cell``: text that starts like a formula gets a quote in front.
    The starting characters are a parameter (``FORMULA_START``), said once."""
    return f"(CASE WHEN left({sql}, 1) = ANY(%(formula)s) THEN '''' || {sql} ELSE {sql} END)"


def _copy_sql(inner: str, *, deidentified: bool) -> str:
    """The COPY statement: every column as ``csv_lines`` writes it, computed in SQL. Empty
    values are written as NULL (an unquoted empty field, as Python's csv writes ''); names
    come from maps made in Python (steps, pillars, statuses, staff), as JSON parameters."""
    capitalized = (
        "(upper(left(replace(s.code, '_', ' '), 1)) || lower(substr(replace(s.code, '_', ' '), 2)))"
    )
    common = [
        f"COALESCE(%(steps)s::jsonb ->> (s.kind || ':' || s.code), {_defused(capitalized)})",
        f"COALESCE(%(pillars)s::jsonb ->> s.pillar, {_defused('s.pillar')})",
        f"COALESCE(%(statuses)s::jsonb ->> s.status, {_defused('s.status')})",
        "to_char(s.due, 'YYYY-MM-DD')",
        "CASE WHEN s.due < %(today)s THEN %(today)s - s.due ELSE 0 END",
        "to_char(s.booked, 'YYYY-MM-DD')",
        "NULLIF(%(people)s::jsonb ->> s.assignee::text, '')",
        "NULLIF(%(people)s::jsonb ->> s.clinician::text, '')",
    ]
    if deidentified:
        # pseudonym(): 'R-' and the first 12 hex digits of HMAC-SHA256(key, the work-up's id).
        digest = (
            "encode(sha256(%(outer)s::bytea || sha256(%(inner)s::bytea || "
            "convert_to(s.workup_id::text, 'UTF8'))), 'hex')"
        )
        columns = [f"'R-' || upper(left({digest}, 12))", *common]
    else:
        anchor = "CASE WHEN s.kind = %(investigation)s THEN '#step-' || s.code ELSE '' END"
        columns = [
            f"NULLIF({_defused('s.mrn')}, '')",
            f"NULLIF({_defused('s.name')}, '')",
            *common,
            f"%(link_prefix)s || s.workup_id || %(link_suffix)s || {anchor}",
        ]
    # The inner query is Django's own (the queue's filters); the rest comes from this module.
    return (
        f"COPY (SELECT {', '.join(columns)} FROM ({inner}) AS s({COPY_ALIASES}) "  # noqa: S608  # nosec B608
        "ORDER BY s.queue_due, s.workup_id, s.id) TO STDOUT WITH (FORMAT csv)"
    )


class _RowEnds:
    """PostgreSQL ends each CSV row with LF, Python's csv writer with CRLF: the row ends (a LF
    outside quotes) become CRLF; a line break inside a quoted value stays as it is."""

    def __init__(self):
        self.quoted = False
        self.rest = b""

    def __call__(self, data: bytes) -> bytes:
        lines = (self.rest + data).split(b"\n")
        self.rest = lines.pop()
        out = []
        for line in lines:
            if line.count(b'"') % 2:
                self.quoted = not self.quoted
            out.append(line + (b"\n" if self.quoted else b"\r\n"))
        return b"".join(out)


# Bytes sent to the response at a time (the database sends one message a row).
COPY_CHUNK_BYTES = 256 * 1024


def copy_lines(
    steps: QuerySet, *, catalogue, today: date, deidentified: bool, base_url: str
) -> Iterator[str | bytes]:
    """The CSV written by PostgreSQL: ``COPY (SELECT ...) TO STDOUT WITH CSV`` over the same
    filtered steps, in the queue's order, through psycopg's copy; the same columns and bytes as
    ``csv_lines`` (a test compares them), at the database's speed rather than Python's."""
    names = {}
    for entries, kind in (
        (catalogue.investigations, ChecklistStep.Kind.INVESTIGATION),
        (catalogue.next_steps, ChecklistStep.Kind.ACTION),
    ):
        for code in entries:
            names[f"{kind}:{code}"] = cell(step_name(catalogue, code=code, kind=kind))
    inner_pad, outer_pad = hmac_pads(_pseudonym_key())
    link_prefix, link_suffix = _link_parts(base_url)
    values = {
        "formula": list(FORMULA_START),
        "steps": json.dumps(names),
        "pillars": json.dumps({code: cell(name) for code, name in PILLAR_NAMES.items()}),
        "statuses": json.dumps({c: cell(label) for c, label in ChecklistStep.Status.choices}),
        "people": json.dumps({str(pk): name for pk, name in _people().items()}),
        "today": today,
        "inner": inner_pad,
        "outer": outer_pad,
        "investigation": str(ChecklistStep.Kind.INVESTIGATION),
        "link_prefix": link_prefix,
        "link_suffix": link_suffix,
    }
    connection = connections[steps.db]
    inner, inner_params = steps.order_by().values_list(*COPY_NAMES).query.sql_with_params()
    row_ends = _RowEnds()
    with connection.cursor() as cursor:
        # COPY takes no server-side parameters: psycopg binds them client-side, Django's
        # (positional) into its own query first, then the statement's (by name).
        bound = cursor.cursor.mogrify(inner, inner_params).replace("%", "%%")
        with cursor.cursor.copy(_copy_sql(bound, deidentified=deidentified), values) as copy:
            first = _first_line(deidentified=deidentified).encode()
            buffer, size = [first], len(first)
            for data in copy:
                converted = row_ends(bytes(data))
                buffer.append(converted)
                size += len(converted)
                if size >= COPY_CHUNK_BYTES:
                    yield b"".join(buffer)
                    buffer, size = [], 0
            yield b"".join(buffer) + row_ends.rest
