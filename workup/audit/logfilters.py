"""Keep patient data out of log lines and error reports.

A name or MRN reaches a log by three roads: a query string (``/patients/?q=<name>`` in a request
line), an exception message (a database error quoting a value, a ``ValueError`` with the input),
and an error report's request data (POST fields, frame variables). The logging filter closes the
first two; the reporter and its filter close the third. ``docs/security.md`` says what is logged.
"""

from __future__ import annotations

import logging
import re
import traceback

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

WITHHELD = "[message withheld: it may quote patient data]"
MASK = "*"

# A path followed by a query string, as in a request line or a logged URL.
_QUERY = re.compile(r"(/[^\s?\"']*)\?([^\s\"']*)")


def mask_query_strings(text: str) -> str:
    """Keep each parameter's name and hide its value: ``/patients/?q=*&page=*``."""

    def mask(match):
        names = [part.split("=", 1)[0] for part in match.group(2).split("&") if part]
        return match.group(1) + "?" + "&".join(f"{name}={MASK}" for name in names)

    return _QUERY.sub(mask, text)


def exception_without_message(exc_info) -> str:
    """The traceback (files, lines, code) and the exception's type, without its message."""
    _, exc, _ = exc_info
    chain = []
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        chain.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    parts = []
    for index, error in enumerate(reversed(chain)):
        if index:
            parts.append("\nThe above exception led to the following exception:\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(error.__traceback__))
        kind = type(error)
        parts.append(f"{kind.__module__}.{kind.__qualname__}: {WITHHELD}\n")
    return "".join(parts).rstrip("\n")


class NoPatientData(logging.Filter):
    """Masks query strings in the message and withholds exception messages; never drops a record.

    Idempotent: a record may pass here twice (logger, then handler).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "patient_data_removed", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: keep the bare format string, never its arguments
            message = str(record.msg)
        record.msg = mask_query_strings(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = exception_without_message(record.exc_info)
            record.exc_info = None
        record.patient_data_removed = True
        return True


class NoPatientDataReporterFilter(SafeExceptionReporterFilter):
    """With debug off: no POST value, no frame variable, no query string, no credentials."""

    hidden_meta = ("QUERY_STRING", "HTTP_REFERER", "HTTP_AUTHORIZATION", "HTTP_COOKIE")

    def get_post_parameters(self, request):
        if request is None:
            return {}
        if not self.is_active(request):
            return request.POST
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_traceback_frame_variables(self, request, tb_frame):
        if not self.is_active(request):
            return super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        if self.is_active(request):
            for key in self.hidden_meta:
                if key in meta:
                    meta[key] = self.cleansed_substitute
        return meta


class NoPatientDataReporter(ExceptionReporter):
    """Also hides what the filter cannot: GET values, the URL's query and the exception message."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if self.request is not None and self.filter.is_active(self.request):
            cleansed = self.filter.cleansed_substitute
            data["request_GET_items"] = [(name, cleansed) for name in self.request.GET]
            data["request_insecure_uri"] = mask_query_strings(self._get_raw_insecure_uri())
            data["exception_value"] = WITHHELD
        return data
