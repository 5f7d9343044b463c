"""Transfers from a CSV file: one row a transfer, the template's columns, all rows or none.

``COLUMNS`` describes the file once: the template (``template_csv``), the page's help and the
checks all read it. Every row goes through the transfer form (``transfer_forms.TransferForm``),
then the whole table with the file's rows through the engine's rules, so a row is refused for
the same reasons as a form. The report names the row (as a spreadsheet numbers it: the header is
row 1) and the column of each problem; a file with any refused row stores nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from workup.evidence.catalogue import PGTA_KINDS, STAGES
from workup.evidence.transfers import MAX_EMBRYOS, OUTCOMES

from .transfer_forms import TransferForm, facts_errors, field_for_path
from .transfer_records import Transfer, day_words

MAX_BYTES = 200_000
MAX_ROWS = 50
SEPARATOR = "/"  # between the embryos of one transfer, in the pgta and grade columns


@dataclass(frozen=True)
class Column:
    name: str
    field: str  # the transfer form's field (embryo columns fill embryo_<n>_<field>)
    help: str  # lazily translated
    values: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()
    required: bool = False


COLUMNS = (
    Column(
        "transfer_date",
        "date",
        gettext_lazy("the day of the transfer: YYYY-MM-DD (or DD/MM/YYYY)"),
        required=True,
    ),
    Column(
        "oocytes",
        "oocytes",
        gettext_lazy("own or donor (own when empty)"),
        ("own", "donor"),
        (("own oocytes", "own"), ("donor oocytes", "donor")),
    ),
    Column(
        "retrieval_date",
        "retrieval_date",
        gettext_lazy(
            "the oocyte retrieval: YYYY-MM-DD; with own oocytes the age is worked out from it"
        ),
    ),
    Column(
        "oocyte_age",
        "oocyte_age",
        gettext_lazy(
            "the age at retrieval, in years: the donor's for donor oocytes; with own oocytes, "
            "needed when the retrieval date is empty"
        ),
    ),
    Column(
        "cycle",
        "cycle",
        gettext_lazy("fresh or frozen"),
        ("fresh", "frozen"),
        (("frozen-thawed", "frozen"), ("fet", "frozen")),
    ),
    Column(
        "stage",
        "stage",
        gettext_lazy("blastocyst or cleavage"),
        STAGES,
        (
            ("cleavage stage", "cleavage"),
            ("cleavage-stage", "cleavage"),
            ("day 5", "blastocyst"),
            ("day 3", "cleavage"),
        ),
    ),
    Column(
        "pgta",
        "pgta",
        format_lazy(
            gettext_lazy(
                "each embryo's PGT-A status, separated by '{separator}': {kinds} (untested when "
                "not tested)"
            ),
            separator=SEPARATOR,
            kinds=", ".join(PGTA_KINDS),
        ),
        PGTA_KINDS,
        (("not tested", "untested"), ("normal", "euploid"), ("abnormal", "aneuploid")),
        required=True,
    ),
    Column(
        "grade",
        "grade",
        format_lazy(
            gettext_lazy(
                "each embryo's grade, separated by '{separator}', or empty: Gardner for a "
                "blastocyst (4AA)"
            ),
            separator=SEPARATOR,
        ),
    ),
    Column(
        "outcome",
        "outcome",
        gettext_lazy(
            "negative (no positive test), biochemical, miscarriage, ectopic, ongoing, "
            "live_birth; empty while not known"
        ),
        OUTCOMES,
        (
            ("no positive test", "negative"),
            ("live birth", "live_birth"),
            ("biochemical pregnancy", "biochemical"),
            ("ectopic pregnancy", "ectopic"),
            ("ongoing pregnancy", "ongoing"),
        ),
    ),
)
BY_NAME = {c.name: c for c in COLUMNS}
# The form field behind each column (embryo fields: embryo_<n>_pgta, embryo_<n>_grade).
COLUMN_OF_FIELD = {c.field: c.name for c in COLUMNS}


def template_csv() -> str:
    """The template: the header row, in the order of ``COLUMNS``."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([c.name for c in COLUMNS])
    return out.getvalue()


@dataclass
class Report:
    """What the file holds: the transfers to add, or the problems (then nothing is stored)."""

    rows: int = 0
    values: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.problems)


def _row_words(line: int, column: str | None = None) -> str:
    if column:
        return gettext("Row %(line)s, column %(column)s") % {"line": line, "column": column}
    return gettext("Row %(line)s") % {"line": line}


def _decode(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _delimiter(header: str) -> str:
    """Comma, semicolon (a spreadsheet set to a European locale) or tab: whichever splits the
    header into the template's column names."""
    best, found = ",", 0
    for delimiter in (",", ";", "\t"):
        names = [n.strip().lower() for n in header.split(delimiter)]
        hits = sum(1 for n in names if n in BY_NAME)
        if hits > found:
            best, found = delimiter, hits
    return best


def _day(text: str) -> str | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d %b %Y", "%d %B %Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _code(column: Column, text: str) -> str | None:
    word = " ".join(text.strip().lower().split())
    for alias, code in column.aliases:
        if word == alias:
            return code
    word = word.replace(" ", "_")
    return word if word in column.values else None


def _cell(column: Column, text: str, line: int, problems: list[str]):
    """One cell as the form takes it; a problem names the row and column."""
    text = text.strip()
    if not text:
        return ""
    if column.field in ("date", "retrieval_date"):
        day = _day(text)
        if day is None:
            problems.append(
                gettext("%(where)s: not a date: %(text)s. Use YYYY-MM-DD (or DD/MM/YYYY).")
                % {"where": _row_words(line, column.name), "text": repr(text)}
            )
        return day or ""
    if column.values:
        code = _code(column, text)
        if code is None:
            problems.append(
                gettext("%(where)s: %(text)s is not one of %(values)s.")
                % {
                    "where": _row_words(line, column.name),
                    "text": repr(text),
                    "values": ", ".join(column.values),
                }
            )
        return code or ""
    return text


def _form_data(cells: dict[str, str], line: int, problems: list[str]) -> dict | None:
    """The transfer form's data from one row's cells (None when a cell is refused)."""
    before = len(problems)
    data: dict[str, str] = {}
    for name, column in BY_NAME.items():
        if column.field in ("pgta", "grade"):
            continue
        data[column.field] = _cell(column, cells.get(name, ""), line, problems)
    pgta_text = cells.get("pgta", "").strip()
    kinds = [p for p in (p.strip() for p in pgta_text.split(SEPARATOR)) if p] if pgta_text else []
    grades = [g.strip() for g in cells.get("grade", "").split(SEPARATOR)]
    grades = grades if any(grades) else []
    if not kinds:
        problems.append(
            gettext("%(where)s: give each embryo's PGT-A status.")
            % {"where": _row_words(line, "pgta")}
        )
    elif len(kinds) > MAX_EMBRYOS:
        problems.append(
            gettext("%(where)s: at most %(most)s embryos a transfer; got %(count)s.")
            % {"where": _row_words(line, "pgta"), "most": MAX_EMBRYOS, "count": len(kinds)}
        )
    elif grades and len(grades) != len(kinds):
        problems.append(
            gettext(
                "%(where)s: %(grades)s grades for %(embryos)s embryos: give one grade an embryo, "
                "separated by '%(separator)s', or none."
            )
            % {
                "where": _row_words(line, "grade"),
                "grades": len(grades),
                "embryos": len(kinds),
                "separator": SEPARATOR,
            }
        )
    else:
        for slot, kind in enumerate(kinds, start=1):
            code = _cell(BY_NAME["pgta"], kind, line, problems)
            data[f"embryo_{slot}_pgta"] = code
            if grades:
                data[f"embryo_{slot}_grade"] = grades[slot - 1]
    if not data.get("oocytes"):
        data["oocytes"] = "own"
    return data if len(problems) == before else None


def _column_of(field_name: str, embryos: int) -> tuple[str, str]:
    """(column, prefix for the message) of a form field."""
    if field_name.startswith("embryo_"):
        _, slot, part = field_name.split("_", 2)
        prefix = gettext("embryo %(number)s: ") % {"number": slot} if embryos > 1 else ""
        return part, prefix
    return COLUMN_OF_FIELD.get(field_name, field_name), ""


def check_file(upload, *, workup, catalogue) -> Report:
    """Read and check a CSV file of transfers for this work-up; nothing is written."""
    report = Report()
    raw = upload.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        report.problems.append(
            gettext("The file is larger than %(size)s kB.") % {"size": MAX_BYTES // 1000}
        )
        return report
    text = _decode(raw)
    if text is None:
        report.problems.append(
            gettext("The file is not UTF-8 text: save it from the spreadsheet as CSV (UTF-8).")
        )
        return report
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        report.problems.append(gettext("The file is empty: it needs the template's header row."))
        return report
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(lines[0]))
    header = [h.strip().lower() for h in next(reader)]
    unknown = [h for h in header if h and h not in BY_NAME]
    for name in unknown:
        report.problems.append(
            gettext("Row 1: the column %(name)s is not one of the template's: %(names)s.")
            % {"name": repr(name), "names": ", ".join(BY_NAME)}
        )
    for column in COLUMNS:
        if column.required and column.name not in header:
            report.problems.append(
                gettext("Row 1: the column %(name)s is missing.") % {"name": column.name}
            )
    if report.problems:
        return report

    forms_by_line: list[tuple[int, TransferForm]] = []
    for cells_list in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells_list):
            continue
        report.rows += 1
        if report.rows > MAX_ROWS:
            report.problems.append(
                gettext("At most %(most)s transfers a file.") % {"most": MAX_ROWS}
            )
            return report
        if len(cells_list) > len(header):
            report.problems.append(
                gettext("%(where)s: %(cells)s cells for %(columns)s columns.")
                % {"where": _row_words(line), "cells": len(cells_list), "columns": len(header)}
            )
            continue
        cells = dict(zip(header, cells_list, strict=False))
        data = _form_data(cells, line, report.problems)
        if data is None:
            continue
        # The file's version check is the import form's; each row is checked as a new row.
        data["table_version"] = str(workup.version)
        form = TransferForm(data, workup=workup, catalogue=catalogue, check_facts=False)
        embryos = sum(1 for k in data if k.endswith("_pgta") and data[k])
        if not form.is_valid():
            for name, messages in form.errors.items():
                for message in messages:
                    if name == "__all__":
                        report.problems.append(f"{_row_words(line)}: {message}")
                    else:
                        column, prefix = _column_of(name, embryos)
                        report.problems.append(f"{_row_words(line, column)}: {prefix}{message}")
            continue
        forms_by_line.append((line, form))
    if report.rows == 0 and not report.problems:
        report.problems.append(gettext("The file has a header row but no transfers."))
    if report.problems:
        return report
    _check_together(report, forms_by_line, workup=workup, catalogue=catalogue)
    return report


def _check_together(report: Report, forms_by_line, *, workup, catalogue) -> None:
    """The file's rows with the table: one transfer a day, and the engine's rules."""
    existing = list(workup.transfers.all())
    on_table = {t.date: t for t in existing}
    first_line: dict[date, int] = {}
    new: list[tuple[int, Transfer]] = []
    for line, form in forms_by_line:
        transfer = form.unsaved()
        if transfer.date in on_table:
            report.problems.append(
                gettext(
                    "%(where)s: a transfer of %(date)s is already on the table (one transfer a "
                    "day)."
                )
                % {"where": _row_words(line, "transfer_date"), "date": day_words(transfer.date)}
            )
        elif transfer.date in first_line:
            report.problems.append(
                gettext("%(where)s: the same day as row %(row)s (one transfer a day).")
                % {"where": _row_words(line, "transfer_date"), "row": first_line[transfer.date]}
            )
        else:
            first_line[transfer.date] = line
            new.append((line, transfer))
    if report.problems:
        return
    table = sorted(existing + [t for _, t in new], key=lambda t: t.date)
    line_of = {id(t): line for line, t in new}
    for path, messages in facts_errors(workup, table, catalogue).items():
        parts = path.split(".")
        where = gettext("The transfer history")
        if parts[0] == "transfers" and len(parts) > 1 and parts[1].isdigit():
            index = int(parts[1])
            transfer = table[index]
            if id(transfer) in line_of:
                field_name = field_for_path(path, index)
                column, prefix = _column_of(field_name or "", len(transfer.embryos))
                where = _row_words(line_of[id(transfer)], column if field_name else None)
                messages = [prefix + m for m in messages]
            else:
                where = gettext("The transfer of %(date)s on the table") % {
                    "date": day_words(transfer.date)
                }
        elif parts[0] == "miscarriages":
            where = gettext("Miscarriages (in the transfer history)")
        for message in messages:
            report.problems.append(f"{where}: {message}")
    if not report.problems:
        report.values = [form.values for _, form in forms_by_line]
