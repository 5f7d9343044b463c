"""Many app servers writing at once: the chain stays one unbroken line (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.conftest import make_user
from workup.audit.chain import verify_all
from workup.audit.models import DownloadRecord

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
)

WRITERS, EACH = 8, 15


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_make_one_unbroken_chain():
    user = make_user("alice", "clinician")
    start = threading.Barrier(WRITERS)
    errors = []

    def write():
        try:
            start.wait()
            for n in range(EACH):
                DownloadRecord(user=user, kind="workup_page", detail={"n": n}).save()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    seqs = sorted(DownloadRecord.objects.values_list("chain_seq", flat=True))
    assert seqs == list(range(1, WRITERS * EACH + 1))
    assert all(not report.problems for report in verify_all())
