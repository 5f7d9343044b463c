"""The transfer table of a work-up: rows a clinician fills in, with history, versions, addenda."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from tests.factories import make_patient, make_workup, sign
from workup.clinic.models import Addendum, Findings, WorkUp
from workup.clinic.presenters import load_workup
from workup.clinic.transfer_records import Transfer
from workup.evidence import store

BORN = date(1988, 5, 1)


def page(client, workup, open_step=None):
    url = workup.get_absolute_url() + (f"?open={open_step}" if open_step else "")
    return client.get(url)


def drawn(client, workup, prefix, open_step="transfers"):
    """The hidden fields of a transfer form as the page draws them."""
    table = page(client, workup, open_step).context["transfer_table"]
    forms = [table.get("new"), table.get("import")]
    forms += [r[key] for r in table["rows"] for key in ("form", "remove") if r.get(key)]
    form = next(f for f in forms if f is not None and f.prefix == prefix)
    return {f"{prefix}-{n}": form[n].value() for n in ("table_version", "table")}


def transfer_data(prefix="transfer-new", **values):
    data = {
        "date": "2025-02-10",
        "oocytes": "own",
        "retrieval_date": "2025-02-05",
        "oocyte_age": "",
        "cycle": "frozen",
        "stage": "blastocyst",
        "embryo_1_pgta": "untested",
        "embryo_1_grade": "4aa",
        "outcome": "negative",
        **values,
    }
    return {f"{prefix}-{k}": v for k, v in data.items()}


def add(client, workup, **values):
    data = {**transfer_data(**values), **drawn(client, workup, "transfer-new")}
    return client.post(reverse("clinic:transfer_add", args=[workup.pk]), data)


@pytest.fixture
def workup(clinician, loaded_catalogue):
    patient = make_patient(birth_date=BORN)
    return make_workup(
        clinician=clinician, patient=patient, facts={"age": 38, "failed_transfers": 2}
    )


@pytest.mark.django_db
def test_a_transfer_added_row_by_row_is_priced_at_the_age_worked_out_from_the_birth_date(
    clinician_client, workup
):
    response = add(clinician_client, workup)
    assert response.status_code == 302, response.content.decode()[:3000]
    transfer = Transfer.objects.get(workup=workup)
    # Born 1 May 1988, oocytes retrieved 5 Feb 2025: 36 then.
    assert transfer.oocyte_age == 36
    assert transfer.embryos == [{"pgta": "untested", "grade": "4AA"}]
    assert transfer.frozen is True
    response = clinician_client.get(workup.get_absolute_url())
    html = response.content.decode()
    assert "Transfer added: 10 Feb 2025: 1 untested blastocyst (4AA), own oocytes at 36" in html
    rif = response.context["answer"]["rif"]
    assert rif["transfers"][0]["chance"] == 0.38
    assert "10 Feb 2025: 38%, 1 untested blastocyst, oocytes at 36" in rif["reason"]
    # The counts of the transfer history are the table's now, shown as derived.
    findings = Findings.objects.get(workup=workup)
    assert (findings.failed_transfers, findings.euploid_failed_transfers) == (1, 0)
    assert "worked out from the 1 transfer recorded one by one" in html


@pytest.mark.django_db
def test_the_history_form_shows_derived_counts_read_only(clinician_client, workup):
    add(clinician_client, workup)
    form = page(clinician_client, workup, "history").context["forms"]["findings"]["history"]
    assert form.fields["failed_transfers"].disabled
    assert form.fields["euploid_failed_transfers"].disabled
    assert not form.fields["miscarriages"].disabled
    # Saving the history (miscarriages) keeps the derived counts.
    workup = WorkUp.objects.get(pk=workup.pk)
    data = {
        "history-version": workup.version,
        "history-miscarriages": "1",
        "history-failed_transfers": "9",  # a disabled field: ignored
        "history-original": form["original"].value(),
    }
    response = clinician_client.post(
        reverse("clinic:record_step", args=[workup.pk, "history"]), data
    )
    assert response.status_code == 302
    findings = Findings.objects.get(workup=workup)
    assert (findings.failed_transfers, findings.miscarriages) == (1, 1)


@pytest.mark.django_db
def test_donor_oocytes_take_the_donors_age(clinician_client, workup):
    response = add(clinician_client, workup, oocytes="donor", retrieval_date="", oocyte_age="26")
    assert response.status_code == 302
    assert Transfer.objects.get(workup=workup).oocyte_age == 26
    missing = add(
        clinician_client,
        workup,
        date="2025-06-01",
        oocytes="donor",
        oocyte_age="",
        retrieval_date="",
    )
    assert "Give the donor&#x27;s age at retrieval." in missing.content.decode()


@pytest.mark.parametrize(
    "values, field, message",
    [
        (
            {"date": (date.today() + timedelta(days=3)).isoformat()},
            "date",
            "A transfer cannot be in the future.",
        ),
        (
            {"retrieval_date": "2025-03-01"},
            "retrieval_date",
            "The retrieval cannot be after the transfer.",
        ),
        (
            {"oocyte_age": "30"},
            "oocyte_age",
            "The patient was 36 on 5 Feb 2025 (born 1 May 1988): leave the age empty, or correct "
            "the retrieval date.",
        ),
        (
            {"retrieval_date": ""},
            "oocyte_age",
            "Give the retrieval date (the age is worked out from it) or the age at retrieval.",
        ),
        ({"embryo_1_grade": "7AA"}, "embryo_1_grade", "Not a Gardner grade"),
        (
            {"embryo_1_pgta": ""},
            "embryo_1_pgta",
            "Give the PGT-A status of the embryo transferred.",
        ),
        (
            {"embryo_2_grade": "3BB"},
            "embryo_2_pgta",
            "Give this embryo&#x27;s PGT-A status, or leave its grade empty.",
        ),
    ],
)
@pytest.mark.django_db
def test_a_bad_transfer_is_refused_beside_its_field_and_nothing_is_stored(
    clinician_client, workup, values, field, message
):
    before = WorkUp.objects.get(pk=workup.pk).version
    response = add(clinician_client, workup, **values)
    assert response.status_code == 200
    form = response.context["transfer_table"]["new"]
    assert field in form.errors, form.errors
    assert message in response.content.decode()
    assert not Transfer.objects.filter(workup=workup).exists()
    assert WorkUp.objects.get(pk=workup.pk).version == before


@pytest.mark.django_db
def test_one_transfer_a_day(clinician_client, workup):
    add(clinician_client, workup)
    response = add(clinician_client, workup, retrieval_date="2025-01-20")
    assert "A transfer of 10 Feb 2025 is already on the table: one transfer a day." in (
        response.content.decode()
    )
    assert Transfer.objects.filter(workup=workup).count() == 1


@pytest.mark.django_db
def test_losses_beyond_the_miscarriages_recorded_are_refused_naming_the_history(
    clinician_client, clinician, loaded_catalogue
):
    workup = make_workup(
        clinician=clinician,
        patient=make_patient(birth_date=BORN),
        facts={"age": 38, "failed_transfers": 1, "miscarriages": 0},
    )
    response = add(clinician_client, workup, outcome="biochemical")
    assert response.status_code == 200
    assert (
        "Miscarriages (in the transfer history): At least 1: the transfers record 1 pregnancy "
        "loss after a positive test (10 Feb 2025, biochemical pregnancy); got 0."
    ) in response.content.decode()
    assert not Transfer.objects.exists()


@pytest.mark.django_db
def test_a_stale_table_is_a_clear_conflict_never_an_overwrite(
    clinician_client, client, workup, other_clinician
):
    seen = drawn(clinician_client, workup, "transfer-new")
    client.force_login(other_clinician)
    add(client, workup, date="2025-09-02", retrieval_date="2025-08-28", outcome="biochemical")
    data = {**transfer_data(), **seen}
    response = clinician_client.post(reverse("clinic:transfer_add", args=[workup.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Not saved: the transfer table was changed while you were editing" in html
    assert (
        "added 2 Sep 2025: 1 untested blastocyst (4AA), own oocytes at 37, frozen; "
        "biochemical pregnancy" in html
    )
    assert Transfer.objects.filter(workup=workup).count() == 1
    # The entries are kept against the table as it is now: saving again goes through.
    form = response.context["transfer_table"]["new"]
    assert form["embryo_1_grade"].value() == "4aa"
    again = {f"transfer-new-{n}": form[n].value() or "" for n in form.fields}
    response = clinician_client.post(reverse("clinic:transfer_add", args=[workup.pk]), again)
    assert response.status_code == 302
    assert Transfer.objects.filter(workup=workup).count() == 2


@pytest.mark.django_db
def test_a_transfer_is_changed_and_removed_with_its_history(clinician_client, workup):
    add(clinician_client, workup)
    transfer = Transfer.objects.get(workup=workup)
    prefix = f"transfer-{transfer.pk}"
    data = {
        **transfer_data(prefix, outcome="miscarriage"),
        **drawn(clinician_client, workup, prefix, f"transfer-{transfer.pk}"),
    }
    response = clinician_client.post(
        reverse("clinic:transfer_edit", args=[workup.pk, transfer.pk]), data
    )
    assert response.status_code == 302
    assert Transfer.objects.get(pk=transfer.pk).outcome == "miscarriage"
    remove = drawn(clinician_client, workup, f"remove-{transfer.pk}", f"transfer-{transfer.pk}")
    response = clinician_client.post(
        reverse("clinic:transfer_delete", args=[workup.pk, transfer.pk]), remove
    )
    assert response.status_code == 302
    assert not Transfer.objects.filter(workup=workup).exists()
    # The counts go back to "not recorded": the history is in the table's history.
    assert Findings.objects.get(workup=workup).failed_transfers is None
    history = clinician_client.get(reverse("clinic:workup_history", args=[workup.pk]))
    text = history.content.decode()
    assert "Created transfer of 10 Feb 2025" in text
    assert "Outcome: No positive test → Miscarriage" in text
    assert "Removed transfer of 10 Feb 2025" in text


@pytest.mark.django_db
def test_after_sign_off_a_transfer_needs_an_addendum_reason(clinician_client, workup):
    signed = sign(clinician_client, workup)
    response = add(clinician_client, signed)
    assert response.status_code == 200
    assert "This work-up is signed: give the reason for the addendum." in response.content.decode()
    assert not Transfer.objects.exists()
    response = add(clinician_client, signed, addendum_reason="Transfer from the referring clinic")
    assert response.status_code == 302
    addendum = Addendum.objects.get(workup=workup)
    assert addendum.reason == "Transfer from the referring clinic"
    assert addendum.changes.startswith("Transfer added: 10 Feb 2025")
    # The signed page still shows the signed label; today's answer counts the transfer.
    assert "Added by addendum" not in page(clinician_client, workup).content.decode()


@pytest.mark.django_db
def test_a_corrected_birth_date_corrects_the_age_at_retrieval(clinician_client, workup):
    add(clinician_client, workup)
    patient = workup.patient
    response = clinician_client.post(
        reverse("clinic:patient_edit", args=[patient.pk]),
        {"mrn": patient.mrn, "name": patient.name, "birth_date": "1990-05-01"},
    )
    assert response.status_code == 302
    assert Transfer.objects.get(workup=workup).oocyte_age == 34


@pytest.mark.django_db
def test_the_page_shows_the_chart_and_the_table(clinician_client, clinician, loaded_catalogue):
    workup = make_workup(
        clinician=clinician,
        patient=make_patient(birth_date=BORN),
        facts={
            "age": 38,
            "transfers": [
                {
                    "date": "2025-02-10",
                    "oocyte_age": 34,
                    "stage": "blastocyst",
                    "embryos": [{"pgta": "untested", "grade": "4AA"}],
                    "outcome": "negative",
                },
                {
                    "date": "2025-09-02",
                    "oocyte_age": 35,
                    "stage": "blastocyst",
                    "embryos": [{"pgta": "mosaic"}],
                    "outcome": "negative",
                },
                {
                    "date": "2026-04-20",
                    "oocyte_age": 26,
                    "donor_oocytes": True,
                    "stage": "blastocyst",
                    "embryos": [{"pgta": "untested"}, {"pgta": "untested"}],
                    "outcome": "negative",
                },
            ],
        },
    )
    html = page(clinician_client, workup).content.decode()
    assert '<svg class="rif-chart-svg"' in html
    assert "60% threshold" in html
    assert (
        "Cumulative predicted chance of implantation after each of 2 failed transfers: "
        "45%, 83%; the threshold is 60%." in html
    )
    assert "The catalogue has no implantation chance for a mosaic blastocyst" in html
    assert "Donor oocytes at 26" in html
    assert "(at least one of 2)" in html
    assert Transfer.objects.filter(workup=workup).count() == 3


@pytest.mark.django_db
def test_the_api_stores_transfers_and_gives_them_back(clinician, loaded_catalogue, client):
    client.force_login(clinician)
    body = {
        "patient": {"mrn": "SYN-T1", "name": "Tia Transfer", "birth_date": "1988-05-01"},
        "facts": {
            "transfers": [
                {
                    "date": "2025-02-10",
                    "oocyte_age": 34,
                    "stage": "blastocyst",
                    "embryos": [{"pgta": "untested"}],
                    "outcome": "negative",
                },
                {
                    "date": "2025-02-10",
                    "oocyte_age": 34,
                    "stage": "blastocyst",
                    "embryos": [{"pgta": "untested"}],
                    "outcome": "negative",
                },
            ]
        },
    }
    response = client.post(reverse("api_workups"), body, content_type="application/json")
    assert response.status_code == 400
    assert "facts.transfers.1.date" in response.json()["errors"]
    body["facts"]["transfers"][1]["date"] = "2025-08-01"
    response = client.post(reverse("api_workups"), body, content_type="application/json")
    assert response.status_code == 201
    workup_id = response.json()["id"]
    detail = client.get(reverse("api_workup_detail", args=[workup_id])).json()
    assert [t["date"] for t in detail["facts"]["transfers"]] == ["2025-02-10", "2025-08-01"]
    assert detail["facts"]["failed_transfers"] == 2
    assert detail["assessment"]["contract"] == 2
    assert detail["assessment"]["rif"]["cumulative_chance"] == 0.7


@pytest.mark.django_db
def test_the_page_reads_transfers_in_one_query(clinician_client, clinician, loaded_catalogue):
    workup = make_workup(clinician=clinician, facts={"age": 38})
    loaded = load_workup(workup.pk)
    assert "transfers" in loaded._prefetched_objects_cache
    assert store.get_catalogue()


@pytest.mark.django_db
def test_a_transfer_added_after_the_page_was_drawn_refuses_the_signature(
    clinician_client, client, workup, other_clinician
):
    form = page(clinician_client, workup).context["forms"]["sign"]
    data = {f"sign-{name}": form[name].value() for name in form.fields}
    data["sign-confirm"] = "on"
    client.force_login(other_clinician)
    add(client, workup)
    response = clinician_client.post(reverse("clinic:sign", args=[workup.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Not signed: the work-up changed after you opened it" in html
    assert "created transfer of 10 Feb 2025" in html
    assert not WorkUp.objects.get(pk=workup.pk).is_signed


@pytest.mark.django_db
def test_a_transfer_removed_meanwhile_is_a_clear_conflict_not_an_error(clinician_client, workup):
    add(clinician_client, workup)
    transfer = Transfer.objects.get(workup=workup)
    prefix = f"transfer-{transfer.pk}"
    data = {**transfer_data(prefix), **drawn(clinician_client, workup, prefix, prefix)}
    Transfer.objects.filter(pk=transfer.pk).delete()
    response = clinician_client.post(
        reverse("clinic:transfer_edit", args=[workup.pk, transfer.pk]), data, follow=True
    )
    assert response.status_code == 200
    assert "Not saved: the transfer was removed while you were editing" in (
        response.content.decode()
    )
    assert not Transfer.objects.filter(workup=workup).exists()
