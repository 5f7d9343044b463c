"""/coordinator/export.csv: the rows on screen, every page, de-identified on request, recorded."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.db import connection

from tests.conftest import make_user
from workup.audit.models import DownloadRecord
from workup.clinic.models import ChecklistStep

from .conftest import day
from .test_queue_page import _make_open_steps

EXPORT = "/coordinator/export.csv"
Status = ChecklistStep.Status


def read_csv(response) -> list[dict]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def rows(case, coordinator, other_clinician):
    case(
        mrn="SYN-0001",
        name="Ada Synthetic",
        steps={
            "hysteroscopy": {"due_date": day(-6), "assignee": coordinator},
            "thyroid": {"due_date": day(1), "status": Status.SCHEDULED, "scheduled_for": day(1)},
        },
    )
    case(
        mrn="SYN-0002",
        name="Bea Synthetic",
        clinician=other_clinician,
        steps={"hysteroscopy": {"due_date": day(-1)}, "pgta": {}},
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["", "step=hysteroscopy", "overdue=on", "q=bea", "status=scheduled", "pillar=embryo"]
)
def test_the_csv_has_the_rows_of_the_screen_with_the_same_filters(coordinator_client, rows, query):
    screen = coordinator_client.get(f"/coordinator/?{query}").context["rows"]
    exported = read_csv(coordinator_client.get(f"{EXPORT}?{query}"))
    assert [(r["MRN"], r["Step"]) for r in exported] == [(r.patient.mrn, r.name) for r in screen]


@pytest.mark.django_db
def test_a_row_carries_what_the_screen_shows(coordinator_client, rows, loaded_catalogue):
    (row,) = read_csv(coordinator_client.get(f"{EXPORT}?q=SYN-0001&step=hysteroscopy"))
    workup_id = ChecklistStep.objects.get(workup__patient__mrn="SYN-0001", code="thyroid").workup_id
    assert row == {
        "MRN": "SYN-0001",
        "Patient": "Ada Synthetic",
        "Step": loaded_catalogue.investigations["hysteroscopy"].name,
        "Pillar": "Uterus",
        "Status": "Pending",
        "Due date": day(-6).isoformat(),
        "Days overdue": "6",
        "Booked for": "",
        "Assignee": "Carol Test",
        "Responsible clinician": "Alice Test",
        "Work-up": f"http://testserver/workups/{workup_id}/#step-hysteroscopy",
    }


@pytest.mark.django_db
def test_it_exports_every_page_not_only_the_first(coordinator_client, clinician, coordinator):
    _make_open_steps(clinician, coordinator, 60)
    assert len(coordinator_client.get("/coordinator/").context["rows"]) == 50
    assert len(read_csv(coordinator_client.get(EXPORT))) == 60


@pytest.mark.django_db
def test_it_is_a_named_attachment_that_is_not_cached(coordinator_client, rows):
    response = coordinator_client.get(EXPORT)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="coordinator-queue-{day(0).isoformat()}.csv"'
    )
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_deidentified_export_has_no_name_no_mrn_and_no_link(coordinator_client, rows):
    response = coordinator_client.get(f"{EXPORT}?deidentified=1")
    assert "deidentified" in response["Content-Disposition"]
    exported = read_csv(response)
    text = repr(exported)
    for secret in ("Ada Synthetic", "Bea Synthetic", "SYN-0001", "SYN-0002", "/workups/"):
        assert secret not in text
    assert list(exported[0]) == [
        "Reference",
        "Step",
        "Pillar",
        "Status",
        "Due date",
        "Days overdue",
        "Booked for",
        "Assignee",
        "Responsible clinician",
    ]
    assert len(exported) == 4


@pytest.mark.django_db
def test_a_reference_is_the_same_for_one_work_up_in_every_export_and_differs_between_them(
    coordinator_client, rows
):
    first = read_csv(coordinator_client.get(f"{EXPORT}?deidentified=1&q=SYN-0001"))
    again = read_csv(coordinator_client.get(f"{EXPORT}?deidentified=1&step=thyroid"))
    other = read_csv(coordinator_client.get(f"{EXPORT}?deidentified=1&q=SYN-0002"))
    assert {r["Reference"] for r in first} == {again[0]["Reference"]}
    assert first[0]["Reference"].startswith("R-") and len(first[0]["Reference"]) == 14
    assert {r["Reference"] for r in other}.isdisjoint({r["Reference"] for r in first})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://evil.example","x")', "+1+2", "-2+3", "@SUM(A1:A2)", "\t=1"]
)
def test_a_cell_that_would_run_as_a_formula_is_made_plain_text(
    coordinator_client, case, clinician, name
):
    clinician.first_name = name
    clinician.save()
    case(mrn="SYN-7", name=name, steps={"thyroid": {}})
    (row,) = read_csv(coordinator_client.get(EXPORT))
    assert row["Patient"] == "'" + name
    assert row["Responsible clinician"].startswith("'")


@pytest.mark.django_db
@pytest.mark.parametrize("deidentified", [False, True])
def test_every_export_is_recorded_with_its_filters(
    coordinator_client, coordinator, rows, deidentified
):
    query = "step=hysteroscopy&overdue=on&q=syn" + ("&deidentified=1" if deidentified else "")
    read_csv(coordinator_client.get(f"{EXPORT}?{query}"))
    record = DownloadRecord.objects.get()
    assert record.user == coordinator
    assert record.kind == DownloadRecord.Kind.QUEUE_CSV
    assert record.detail["filters"] == {"step": "hysteroscopy", "overdue": True, "q": "syn"}
    assert record.detail["deidentified"] is deidentified
    assert record.detail["rows"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["clinician", "lead"])
def test_only_a_role_that_may_export_gets_a_file_and_nothing_is_recorded_otherwise(
    client, rows, request, who
):
    client.force_login(request.getfixturevalue(who))
    assert client.get(EXPORT).status_code == 403
    assert not DownloadRecord.objects.exists()


@pytest.mark.django_db
def test_posting_to_the_export_is_refused(coordinator_client):
    assert coordinator_client.post(EXPORT).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("count", [10, 200])
def test_the_export_needs_the_same_number_of_queries_at_any_size(
    coordinator_client, clinician, coordinator, django_assert_max_num_queries, count
):
    _make_open_steps(clinician, coordinator, count)
    with django_assert_max_num_queries(12):
        exported = read_csv(coordinator_client.get(EXPORT))
    assert len(exported) == count


@pytest.mark.django_db
def test_seeing_the_queue_is_not_enough_to_export_it(client, rows):
    # Permissions, not group names: a user given only the view permission cannot export.
    user = make_user("viewer")
    user.user_permissions.add(Permission.objects.get(codename="view_workup"))
    client.force_login(user)
    assert client.get("/coordinator/").status_code == 200
    assert client.get(EXPORT).status_code == 403


@pytest.mark.django_db
def test_the_reference_in_the_file_is_the_work_up_s_keyed_hash(coordinator_client, rows):
    from workup.coordination.export import pseudonym

    exported = read_csv(coordinator_client.get(f"{EXPORT}?deidentified=1&q=SYN-0001"))
    workup_id = ChecklistStep.objects.filter(workup__patient__mrn="SYN-0001").first().workup_id
    assert {r["Reference"] for r in exported} == {pseudonym(workup_id)}


@pytest.mark.django_db
def test_a_long_export_is_streamed_in_chunks_of_rows_not_row_by_row(
    coordinator_client, clinician, coordinator, monkeypatch
):
    from workup.coordination import export

    monkeypatch.setattr(export, "ROWS_PER_CHUNK", 10)
    monkeypatch.setattr(export, "COPY_CHUNK_BYTES", 1200)  # PostgreSQL: about ten rows
    _make_open_steps(clinician, coordinator, 25)
    response = coordinator_client.get(EXPORT)
    chunks = list(response.streaming_content)
    if connection.vendor == "postgresql":
        assert 3 <= len(chunks) <= 5
    else:
        assert len(chunks) == 3  # header and rows 1-10, rows 11-20, rows 21-25
    text = b"".join(chunks).decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(text)))) == 25


@pytest.mark.django_db
@pytest.mark.parametrize("deidentified", [False, True])
@pytest.mark.parametrize("query", ["", "step=hysteroscopy&overdue=on", "q=syn", "assignee=me"])
def test_postgresql_writes_the_same_bytes_as_python(
    coordinator, clinician, other_clinician, case, deidentified, query, loaded_catalogue
):
    """On PostgreSQL the file is written by the database (COPY ... TO STDOUT WITH CSV), with
    the defusing in SQL; it is byte for byte the file Python writes for the same filters:
    formulas, commas, quotes, a line break and accents in values, empty cells, tracked next
    steps and steps the catalogue no longer has."""
    from django.test import RequestFactory
    from django.utils import timezone

    from workup.coordination import export
    from workup.coordination.forms import QueueFilterForm
    from workup.coordination.queries import filter_people, filter_queue, open_steps

    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    clinician.first_name = "=cmd|' /C calc'!A0"
    clinician.save()
    other_clinician.first_name, other_clinician.last_name = "Zoë", 'Quote "Q", Comma'
    other_clinician.save()
    case(
        mrn="SYN-0001",
        name='Ada "Ace", Synthetic',
        steps={
            "hysteroscopy": {"due_date": day(-6), "assignee": coordinator},
            "thyroid": {"due_date": day(1), "status": Status.SCHEDULED, "scheduled_for": day(1)},
        },
    )
    case(
        mrn="SYN-0002",
        name="-Bea\nSynthétique",
        clinician=other_clinician,
        steps={"hysteroscopy": {"due_date": day(-1)}, "pgta": {}},
    )
    case(mrn="SYN-0003", name="@Cleo", steps={"karyotype": {"due_date": day(3)}})
    ChecklistStep.objects.filter(code="karyotype").update(code="retired_step_x")
    ChecklistStep.objects.filter(code="pgta").update(kind=ChecklistStep.Kind.ACTION)
    request = RequestFactory().get(f"/coordinator/export.csv?{query}")
    request.user = coordinator
    catalogue = loaded_catalogue
    today = timezone.localdate()
    form = QueueFilterForm(request.GET, people=list(filter_people()), catalogue=catalogue)
    steps = filter_queue(open_steps(), form.filters(), user=coordinator, today=today)
    kwargs = {
        "catalogue": catalogue,
        "today": today,
        "deidentified": deidentified,
        "base_url": "https://rif.example.org/",
    }

    def as_bytes(chunks):
        return b"".join(c.encode() if isinstance(c, str) else c for c in chunks)

    by_python = as_bytes(export.csv_lines(steps, **kwargs))
    by_database = as_bytes(export.copy_lines(steps, **kwargs))
    assert by_database == by_python
    assert by_python.count(b"\r\n") >= 2  # the header and at least one row
