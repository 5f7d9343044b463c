"""Every history table and every written-once record is on an audit chain: the catalogue's
edits, the standard codes and the laboratories' code table, lab results waiting for a
clinician, the lead's reviews and the EMR's feedback on CDS cards. Tampering with any of them by
SQL is named by ``verify_audit`` (exit status 1)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from tests.audit.test_chain import verify_audit
from tests.conftest import make_user
from tests.factories import make_workup
from workup.audit.chain import ChainedRecord
from workup.evidence import store
from workup.evidence.models import (
    AddOn,
    CatalogueVersion,
    ImplantationChance,
    Investigation,
    NextStep,
    Parameter,
    ReviewRecord,
    Source,
    Statement,
)
from workup.guardrail.models import CdsCard, CdsFeedback
from workup.interop.codes import load_codes
from workup.interop.models import Coding, IncomingResult, LabCodeMapping

# Records written once and kept as the record of what happened (not history tables).
WRITTEN_ONCE = {"audit.downloadrecord", "evidence.reviewrecord", "guardrail.cdsfeedback"}


def test_every_history_table_and_every_written_once_record_is_chained():
    history = {
        m._meta.label_lower
        for m in apps.get_models()
        if m.__name__.startswith("Historical") and hasattr(m, "history_id")
    }
    assert history, "no history tables found"
    unchained = sorted(
        label
        for label in history | WRITTEN_ONCE
        if not issubclass(apps.get_model(label), ChainedRecord)
    )
    assert not unchained, f"Not on an audit chain: {unchained} (bases=[ChainedHistory])"


@pytest.fixture
def records(loaded_catalogue):
    """One record in each newly chained table, written as the app writes them."""
    lena = make_user("lena", "lead")
    alice = make_user("alice", "clinician")
    load_codes()
    tsh = Coding.objects.get(key="loinc-tsh")
    LabCodeMapping.objects.create(sender="CITYLAB", local_code="TSH3", coding=tsh)
    store.record_review(entries=[Parameter.objects.get(code="aps_repeat_weeks")], reviewer=lena)
    workup = make_workup(clinician=alice)
    IncomingResult.objects.create(
        workup=workup,
        coding=tsh,
        source_format="hl7v2",
        sender="CITYLAB",
        local_code="TSH3",
        value_sent="2.2",
        unit_sent="mIU/L",
        number=2.2,
        unit="mIU/L",
    )
    card = CdsCard.objects.create(
        service="rif-addon-order-sign",
        hook="order-sign",
        hook_instance="chain",
        indicator="warning",
        summary="A card",
        addon_code="intralipids",
        emr_user="Practitioner/alice",
        emr_patient="chain",
        requested_by=alice,
    )
    CdsFeedback.objects.create(
        card=card, outcome="overridden", outcome_at=timezone.now(), received_by=alice
    )
    assert verify_audit()[0] == 0


TAMPERED = [
    (IncomingResult.history.model, "value_sent"),
    (Coding.history.model, "code"),
    (LabCodeMapping.history.model, "local_code"),
    (CatalogueVersion.history.model, "version"),
    (Source.history.model, "citation"),
    (Investigation.history.model, "summary"),
    (NextStep.history.model, "summary"),
    (AddOn.history.model, "evidence"),
    (ImplantationChance.history.model, "embryo"),
    (Parameter.history.model, "unit"),
    (Statement.history.model, "text"),
    (ReviewRecord, "note"),
    (CdsFeedback, "user_comment"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("model, column", TAMPERED, ids=[m._meta.label_lower for m, _ in TAMPERED])
def test_tampering_with_each_newly_chained_table_is_named(records, model, column):
    target = model._default_manager.order_by("-pk").first()
    assert target is not None, f"no {model._meta.label} record"
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
            ["tampered", target.pk],
        )
    status, output = verify_audit()
    assert status == 1, output
    assert f"{model._meta.label_lower}, record {target.pk}: changed since it was recorded" in (
        output
    )


@pytest.mark.django_db
def test_the_reviewer_is_kept_as_named_at_the_time(records):
    lena = make_user("lena2", "lead")
    store.record_review(entries=[Parameter.objects.get(code="aps_repeat_weeks")], reviewer=lena)
    lena.first_name, lena.last_name = "Renamed", "Lead"
    lena.save()
    review = ReviewRecord.objects.filter(reviewer=lena).get()
    assert (review.reviewer_username, review.reviewer_full_name) == ("lena2", "Lena2 Test")
    assert verify_audit()[0] == 0


@pytest.mark.django_db
def test_the_migration_seals_the_records_written_before_the_chains(records):
    """Records from before (no place, no hash, no actor's name) are named by verify_audit until
    the migration that starts these chains names their actors and chains them."""
    import importlib
    from types import SimpleNamespace

    from workup.audit.models import ChainHead

    migration = importlib.import_module(
        "workup.audit.migrations.0007_seal_catalogue_codes_results_reviews_feedback"
    )
    models = [apps.get_model(a, m) for a, m in migration.HISTORY_MODELS]
    for model in models:
        model.objects.update(
            chain_seq=None,
            chain_prev="",
            chain_hash="",
            chain_fields="",
            history_username="",
            history_user_full_name="",
        )
    ReviewRecord.objects.update(
        chain_seq=None, chain_prev="", chain_hash="", reviewer_username="", reviewer_full_name=""
    )
    CdsFeedback.objects.update(chain_seq=None, chain_prev="", chain_hash="")
    names = [m._meta.label_lower for m in [*models, ReviewRecord, CdsFeedback]]
    ChainHead.objects.filter(name__in=names).update(seq=0, prev_hash="", last_hash="")
    status, output = verify_audit()
    assert status == 1 and "evidence.reviewrecord, record" in output
    assert "inserted outside the chain" in output

    migration.seal(apps, SimpleNamespace(connection=connection))

    status, output = verify_audit()
    assert status == 0, output
    review = ReviewRecord.objects.get()
    assert (review.reviewer_username, review.reviewer_full_name) == ("lena", "Lena Test")
    mapping = LabCodeMapping.history.model.objects.get()
    assert mapping.chain_seq == 1
