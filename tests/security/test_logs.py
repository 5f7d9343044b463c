"""No patient data in logs: real requests that log, and nothing identifying in any record.

A synthetic patient with a distinctive name, MRN and finding goes through sign-in, a search by
name, refused and malformed writes, a crash, and a request through Django's own HTTP server.
Every log record, and the lines the configured console handler writes, must be free of them.
"""

from __future__ import annotations

import http.client
import json
import logging
import sys
import threading
from unittest import mock

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from tests.conftest import PASSWORD, make_user
from tests.factories import make_patient, make_workup
from workup.audit.logfilters import (
    WITHHELD,
    NoPatientData,
    NoPatientDataReporter,
    mask_query_strings,
)
from workup.clinic.models import ChecklistStep

NAME, MRN, BMI = "Joanna Quillfeather", "LOGTEST-4242", "43.21"
SECRETS = (NAME, "Joanna", "Quillfeather", MRN, BMI)
API_KEY = "rif_secret_key_value"  # a constant: the report shows source lines, not the values


def console_handler():
    return next(h for h in logging.getLogger().handlers if h.get_name() == "console")


def everything_logged(records) -> str:
    """Each record as our console handler prints it, and every text it carries."""
    formatter = console_handler().formatter
    parts = []
    for record in records:
        parts.append(formatter.format(record))
        parts.extend(str(v) for v in vars(record).values() if isinstance(v, str))
    return "\n".join(parts)


def lifestyle_data(workup):
    version = ChecklistStep.objects.get(workup=workup, code="lifestyle").version
    return {"lifestyle-bmi": BMI, "lifestyle-smoker": "true", "lifestyle-version": version}


def request_through_django_server(path):
    """One request through runserver's handler, which logs a line per request."""
    server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(WSGIHandler())  # not get_wsgi_application(): it would set up logging again
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        connection.request("GET", path)
        status = connection.getresponse().status
        connection.close()
    finally:
        thread.join(10)
        server.server_close()
    return status


@pytest.mark.django_db
def test_no_name_mrn_or_finding_reaches_a_log_line(caplog, loaded_catalogue):
    caplog.set_level(logging.INFO)
    clinician = make_user("alice", "clinician")
    coordinator = make_user("carol", "coordinator")
    patient = make_patient(mrn=MRN, name=NAME)
    workup = make_workup(clinician=clinician, patient=patient, facts={"age": 36})
    step = reverse("clinic:record_step", args=[workup.pk, "lifestyle"])
    search = f"/patients/?q={NAME.replace(' ', '+')}"

    # Through Django's HTTP server: an anonymous search is sent to sign in, and logged.
    assert request_through_django_server(search) == 302
    # Sign-in: a name typed as the username, the search in "next", then the real sign-in.
    client = Client()
    client.post(f"/accounts/login/?next={search}", {"username": NAME, "password": "x"})
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD, "next": search})
    assert client.get(search).status_code == 200
    # Refused writes: wrong role (403), no CSRF token (403), bad JSON naming the patient (400).
    other = Client()
    other.force_login(coordinator)
    assert other.post(step, lifestyle_data(workup)).status_code == 403
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(clinician)
    assert forged.post(step, lifestyle_data(workup)).status_code == 403
    bad = {"patient": {"mrn": MRN, "name": NAME, "birth_date": "someday"}, "facts": {"bmi": BMI}}
    api = client.post("/api/workups", json.dumps(bad), content_type="application/json")
    assert api.status_code == 400
    # A finding out of range (a message beside the field), then a crash that quotes everything.
    assert client.post(step, {**lifestyle_data(workup), "lifestyle-bmi": "4321"}).status_code == 200
    crash = ValueError(f"cannot store bmi={BMI} for {NAME} ({MRN})")
    with mock.patch("workup.clinic.views.workups.record_findings", side_effect=crash):
        client.raise_request_exception = False
        assert client.post(step, lifestyle_data(workup)).status_code == 500

    logged = everything_logged(caplog.records)
    leaks = [secret for secret in SECRETS if secret in logged]
    assert not leaks, f"patient data in the logs: {leaks}"
    # The logs still say what happened, where, and with which exception.
    assert '"GET /patients/?q=* HTTP/1.1" 302' in logged
    assert f"Forbidden (Permission denied): {step}" in logged
    assert f"Internal Server Error: {step}" in logged
    assert f"builtins.ValueError: {WITHHELD}" in logged and "in record_step" in logged
    assert "Bad Request: /api/workups" in logged


def test_the_console_handler_and_the_request_loggers_carry_the_filter():
    assert any(isinstance(f, NoPatientData) for f in console_handler().filters)
    for name in ("django.request", "django.server", "django.security.csrf"):
        logger = logging.getLogger(name)
        assert any(isinstance(f, NoPatientData) for f in logger.filters), name
        # Through to the console handler (Django's default stops runserver's lines short).
        assert logger.propagate and not logger.handlers, name


@pytest.mark.parametrize(
    "line, masked",
    [
        ('"GET /patients/?q=Ann+Lee HTTP/1.1" 200', '"GET /patients/?q=* HTTP/1.1" 200'),
        ("/coordinator/?q=Ann&status=pending&page=2", "/coordinator/?q=*&status=*&page=*"),
        ("Not Found: /favicon.ico", "Not Found: /favicon.ico"),
        ("/a/?", "/a/?"),
    ],
)
def test_query_values_are_masked_and_their_names_kept(line, masked):
    assert mask_query_strings(line) == masked


def test_a_chained_exception_keeps_its_trace_but_no_message():
    def fail():
        try:
            int(NAME)
        except ValueError as first:
            raise RuntimeError(f"while storing {MRN}") from first

    try:
        fail()
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    NoPatientData().filter(record)
    text = logging.Formatter().format(record)
    assert NAME not in text and MRN not in text
    assert "builtins.ValueError" in text and "builtins.RuntimeError" in text and "in fail" in text
    assert record.exc_info is None


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_an_error_report_holds_no_post_data_variables_or_query():
    request = RequestFactory().post(
        f"/workups/1/steps/lifestyle/?q={NAME}",
        {"lifestyle-bmi": BMI, "name": NAME},
        HTTP_AUTHORIZATION=f"Bearer {API_KEY}",
    )
    request.user = None

    def store(name, mrn):
        raise ValueError(f"{name} {mrn}")

    try:
        store(NAME, MRN)
    except ValueError:
        report = NoPatientDataReporter(request, *sys.exc_info())
    text = report.get_traceback_text() + report.get_traceback_html()
    leaks = [s for s in (*SECRETS, API_KEY) if s in text]
    assert not leaks, leaks
    assert "lifestyle-bmi" in text  # the field names stay, for whoever debugs
