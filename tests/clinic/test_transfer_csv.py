"""Transfers from a CSV file: a good file adds every row; a refused file names row and column and
stores nothing."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import make_patient, make_workup
from workup.clinic.models import WorkUp
from workup.clinic.transfer_csv import COLUMNS, template_csv
from workup.clinic.transfer_records import Transfer
from workup.evidence.transfers import OUTCOMES

HEADER = "transfer_date,oocytes,retrieval_date,oocyte_age,cycle,stage,pgta,grade,outcome"


@pytest.fixture
def workup(clinician, loaded_catalogue):
    patient = make_patient(birth_date=date(1986, 3, 14))
    return make_workup(clinician=clinician, patient=patient, facts={"age": 40})


def upload(client, workup, text, name="transfers.csv", encoding="utf-8", **extra):
    fresh = WorkUp.objects.get(pk=workup.pk)
    data = {
        "import-file": SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv"),
        "import-table_version": fresh.version,
        **extra,
    }
    return client.post(reverse("clinic:transfers_import", args=[workup.pk]), data)


def report(response) -> list[str]:
    form = response.context["transfer_table"]["import"]
    return getattr(form, "report", [])


@pytest.mark.django_db
def test_the_template_is_the_header_row_of_the_columns(clinician_client):
    response = clinician_client.get(reverse("clinic:transfers_template"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode() == template_csv() == HEADER + "\r\n"
    assert [c.name for c in COLUMNS] == HEADER.split(",")


@pytest.mark.django_db
def test_a_good_file_adds_every_transfer(clinician_client, workup):
    text = "\n".join(
        [
            HEADER,
            "2024-06-03,own,2024-05-29,,frozen,blastocyst,untested,4aa,negative",
            "20/11/2024,Donor oocytes,,29,fresh,Blastocyst,untested/untested,4AB/3BB,"
            "No positive test",
            "2025-06-11,own,,39,frozen,cleavage,untested,8-cell grade 1,live birth",
            "",
        ]
    )
    response = upload(clinician_client, workup, text)
    assert response.status_code == 302, report(response)
    rows = list(Transfer.objects.filter(workup=workup).order_by("date"))
    assert [(t.date.isoformat(), t.oocyte_age, t.donor_oocytes) for t in rows] == [
        ("2024-06-03", 38, False),
        ("2024-11-20", 29, True),
        ("2025-06-11", 39, False),
    ]
    assert rows[0].embryos == [{"pgta": "untested", "grade": "4AA"}]
    assert rows[1].embryos == [
        {"pgta": "untested", "grade": "4AB"},
        {"pgta": "untested", "grade": "3BB"},
    ]
    assert (rows[2].stage, rows[2].outcome) == ("cleavage", "live_birth")
    page = clinician_client.get(workup.get_absolute_url())
    assert "Imported 3 transfers" in page.content.decode()


@pytest.mark.django_db
def test_a_spreadsheet_saved_with_semicolons_and_a_bom_is_read(clinician_client, workup):
    text = (
        HEADER.replace(",", ";")
        + "\n2024-06-03;own;2024-05-29;;frozen;blastocyst;euploid;;negative\n"
    )
    response = upload(clinician_client, workup, "\ufeff" + text)
    assert response.status_code == 302, report(response)
    assert Transfer.objects.get(workup=workup).embryos == [{"pgta": "euploid"}]


@pytest.mark.parametrize(
    "rows, problems",
    [
        (
            ["2024-11-20,own,,,frozen,blastocyst,untested,4AA,failed"],
            ["Row 2, column outcome: 'failed' is not one of " + ", ".join(OUTCOMES) + "."],
        ),
        (
            ["2024-31-20,own,,38,frozen,blastocyst,untested,,negative"],
            [
                "Row 2, column transfer_date: not a date: '2024-31-20'. Use YYYY-MM-DD (or "
                "DD/MM/YYYY)."
            ],
        ),
        (
            ["2024-11-20,own,,,frozen,blastocyst,untested,,negative"],
            [
                "Row 2, column oocyte_age: Give the retrieval date (the age is worked out from it) "
                "or the age at retrieval."
            ],
        ),
        (
            ["2024-11-20,own,,38,frozen,blastocyst,untested/untested,9ZZ/4AA,negative"],
            [
                'Row 2, column grade: embryo 1: Not a Gardner grade: the text "9ZZ". A '
                "blastocyst's grade is its expansion (1 to 6), then the inner cell mass and the "
                "trophectoderm (A, B or C), e.g. 4AA."
            ],
        ),
        (
            ["2024-11-20,own,,38,frozen,blastocyst,untested/untested,4AA,negative"],
            [
                "Row 2, column grade: 1 grades for 2 embryos: give one grade an embryo, separated "
                "by '/', or none."
            ],
        ),
        (
            ["2024-11-20,own,,38,frozen,blastocyst,a/b/c/d/e,,negative"],
            ["Row 2, column pgta: at most 4 embryos a transfer; got 5."],
        ),
        (
            [
                "2024-06-03,own,2024-05-29,,frozen,blastocyst,untested,4AA,negative",
                "2024-06-03,own,,38,frozen,blastocyst,untested,,negative",
            ],
            ["Row 3, column transfer_date: the same day as row 2 (one transfer a day)."],
        ),
        (
            [
                "2024-06-03,own,2024-05-29,,frozen,blastocyst,untested,4AA,negative",
                f"{date.today().replace(year=date.today().year + 1).isoformat()},own,,38,frozen,"
                "blastocyst,untested,,negative",
            ],
            ["Row 3, column transfer_date: A transfer cannot be in the future."],
        ),
    ],
)
@pytest.mark.django_db
def test_a_refused_file_names_row_and_column_and_stores_nothing(
    clinician_client, workup, rows, problems
):
    before = WorkUp.objects.get(pk=workup.pk).version
    response = upload(clinician_client, workup, "\n".join([HEADER, *rows]) + "\n")
    assert response.status_code == 200
    assert report(response) == problems
    html = response.content.decode()
    assert "Nothing was imported" in html
    assert not Transfer.objects.filter(workup=workup).exists()
    assert WorkUp.objects.get(pk=workup.pk).version == before


@pytest.mark.parametrize(
    "text, problem",
    [
        ("\n", "The file is empty: it needs the template's header row."),
        (HEADER + "\n", "The file has a header row but no transfers."),
        (
            "date,pgta\n2024-01-01,untested\n",
            "Row 1: the column 'date' is not one of the "
            "template's: " + ", ".join(c.name for c in COLUMNS) + ".",
        ),
    ],
)
@pytest.mark.django_db
def test_a_file_that_is_not_a_transfer_table_is_refused(clinician_client, workup, text, problem):
    response = upload(clinician_client, workup, text)
    assert problem in report(response)
    assert not Transfer.objects.exists()


@pytest.mark.django_db
def test_an_empty_file_is_refused_by_the_form(clinician_client, workup):
    response = upload(clinician_client, workup, "")
    assert "The submitted file is empty." in response.content.decode()
    assert not Transfer.objects.exists()


@pytest.mark.django_db
def test_a_file_in_another_encoding_is_refused(clinician_client, workup):
    text = HEADER + "\n2024-06-03,own,,38,frozen,blastocyst,untested,,négatif\n"
    response = upload(clinician_client, workup, text, encoding="latin-1")
    assert report(response) == [
        "The file is not UTF-8 text: save it from the spreadsheet as CSV (UTF-8)."
    ]


@pytest.mark.django_db
def test_a_file_beside_the_table_refuses_a_day_already_on_it_and_the_losses_beyond_the_count(
    clinician_client, clinician, loaded_catalogue
):
    workup = make_workup(
        clinician=clinician,
        patient=make_patient(birth_date=date(1986, 3, 14)),
        facts={
            "age": 40,
            "miscarriages": 0,
            "transfers": [
                {
                    "date": "2024-06-03",
                    "oocyte_age": 38,
                    "stage": "blastocyst",
                    "embryos": [{"pgta": "untested"}],
                    "outcome": "negative",
                }
            ],
        },
    )
    again = upload(
        clinician_client, workup, HEADER + "\n2024-06-03,own,,38,,blastocyst,untested,,negative\n"
    )
    assert report(again) == [
        "Row 2, column transfer_date: a transfer of 3 Jun 2024 is already on the table (one "
        "transfer a day)."
    ]
    loss = upload(
        clinician_client,
        workup,
        HEADER + "\n2024-12-03,own,,38,,blastocyst,untested,,miscarriage\n",
    )
    assert report(loss) == [
        "Miscarriages (in the transfer history): At least 1: the transfers record 1 pregnancy "
        "loss after a positive test (3 Dec 2024, miscarriage); got 0."
    ]
    assert Transfer.objects.filter(workup=workup).count() == 1


@pytest.mark.django_db
def test_an_import_on_a_stale_table_is_a_conflict(clinician_client, workup):
    text = HEADER + "\n2024-06-03,own,,38,,blastocyst,untested,,negative\n"
    stale = WorkUp.objects.get(pk=workup.pk).version - 1
    data = {
        "import-file": SimpleUploadedFile("t.csv", text.encode(), content_type="text/csv"),
        "import-table_version": stale,
    }
    response = clinician_client.post(reverse("clinic:transfers_import", args=[workup.pk]), data)
    assert "Not saved: the transfer table was changed while you were editing" in (
        response.content.decode()
    )
    assert "Choose the file again." in response.content.decode()
    assert not Transfer.objects.exists()
