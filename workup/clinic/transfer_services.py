"""Writes to a work-up's transfer table: keyword-only, verb-first, one transaction each.

Every write carries the version of the table it was drawn from (``WorkUp.version``, shared with
the transfer history counts): a save on a stale table is refused with what changed and who
changed it, never an overwrite. On a signed work-up a change needs an addendum reason. After
each write the work-up's failed-transfer counts are theirs (``Findings``, for the lists and
documents that read them) and the checklist follows the engine.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from .models import Findings, WorkUp, age_on
from .services import StaleEdit, _addendum_if_signed, _who_last_changed, sync_steps
from .transfer_records import Transfer, day_words


def last_changer(workup_id: int) -> str:
    """Who last changed the transfer history: a transfer, or the counts beside them."""
    records = [
        Transfer.history.filter(workup_id=workup_id).order_by("-history_date").first(),
        Findings.history.filter(workup_id=workup_id).order_by("-history_date").first(),
    ]
    records = [r for r in records if r is not None]
    if not records:
        return gettext("Someone")
    newest = max(records, key=lambda r: r.history_date)
    model = Transfer if isinstance(newest, Transfer.history.model) else Findings
    return _who_last_changed(model.history.filter(pk=newest.pk))


def _lock_table(*, workup: WorkUp, seen_version: int, seen_lines: list[str]) -> WorkUp:
    """Lock the work-up and refuse a write drawn from a table that has changed since."""
    from .transfer_forms import table_lines

    locked = WorkUp.objects.select_for_update().get(pk=workup.pk)
    if locked.version == seen_version:
        return locked
    now = table_lines(Transfer.objects.filter(workup=workup))
    changes = [gettext("added %(line)s") % {"line": line} for line in now if line not in seen_lines]
    changes += [
        gettext("removed %(line)s") % {"line": line} for line in seen_lines if line not in now
    ]
    if not changes:
        changes = [gettext("the counts of the transfer history changed")]
    who = last_changer(workup.pk)
    raise StaleEdit(
        gettext(
            "Not saved: the transfer table was changed while you were editing (%(who)s: "
            "%(changes)s). Your entries are kept below: check them against the table and save "
            "again."
        )
        % {"who": who, "changes": "; ".join(changes)},
        [f"{who}: {c}" for c in changes],
    )


def derived_counts(transfers) -> tuple[int | None, int | None]:
    """(failed transfers, of which euploid) of these transfers; (None, None) without any."""
    transfers = list(transfers)
    if not transfers:
        return None, None
    failed = [t for t in transfers if t.failed]
    euploid = [t for t in failed if all(e.get("pgta") == "euploid" for e in t.embryos)]
    return len(failed), len(euploid)


def _finish(*, locked: WorkUp) -> None:
    """The counts follow the transfers; the table's version moves on; the checklist follows."""
    findings = Findings.objects.select_for_update().get(workup=locked)
    counts = derived_counts(Transfer.objects.filter(workup=locked))
    if (findings.failed_transfers, findings.euploid_failed_transfers) != counts:
        findings.failed_transfers, findings.euploid_failed_transfers = counts
        findings.save()
    locked.version += 1
    locked.save(update_fields=["version", "updated_at"])
    sync_steps(workup=WorkUp.objects.get(pk=locked.pk))


@transaction.atomic
def add_transfer(
    *,
    workup: WorkUp,
    user,
    values: dict,
    table_version: int,
    seen_lines: list[str],
    addendum_reason: str | None = None,
) -> Transfer:
    """Add one transfer to the table (values as ``TransferForm.values``)."""
    locked = _lock_table(workup=workup, seen_version=table_version, seen_lines=seen_lines)
    transfer = Transfer(workup=locked, **values)
    _addendum_if_signed(
        workup=locked,
        user=user,
        reason=addendum_reason,
        changes=[gettext("Transfer added: %(line)s") % {"line": transfer.line()}],
    )
    transfer.save()
    _finish(locked=locked)
    return transfer


@transaction.atomic
def change_transfer(
    *,
    transfer: Transfer,
    user,
    values: dict,
    table_version: int,
    seen_lines: list[str],
    addendum_reason: str | None = None,
) -> list[str]:
    """Change one transfer of the table; returns what changed, in words."""
    locked = _lock_table(workup=transfer.workup, seen_version=table_version, seen_lines=seen_lines)
    row = Transfer.objects.select_for_update().get(pk=transfer.pk)
    changed = {name for name, value in values.items() if getattr(row, name) != value}
    if not changed:
        return []
    before, old_retrieval = row.line(), row.retrieval_date
    for name, value in values.items():
        setattr(row, name, value)
    changes = []
    if row.line() != before:
        changes.append(
            gettext("Transfer %(before)s → %(after)s") % {"before": before, "after": row.line()}
        )
    if "retrieval_date" in changed:
        old = day_words(old_retrieval) if old_retrieval else gettext("not recorded")
        new = day_words(row.retrieval_date) if row.retrieval_date else gettext("not recorded")
        changes.append(
            gettext("Transfer of %(date)s: retrieval date %(old)s → %(new)s")
            % {"date": day_words(row.date), "old": old, "new": new}
        )
    _addendum_if_signed(workup=locked, user=user, reason=addendum_reason, changes=changes)
    row.save()
    _finish(locked=locked)
    return changes


@transaction.atomic
def remove_transfer(
    *,
    transfer: Transfer,
    user,
    table_version: int,
    seen_lines: list[str],
    addendum_reason: str | None = None,
) -> str:
    """Remove a transfer recorded by mistake (its history stays); returns it in words."""
    locked = _lock_table(workup=transfer.workup, seen_version=table_version, seen_lines=seen_lines)
    line = transfer.line()
    _addendum_if_signed(
        workup=locked,
        user=user,
        reason=addendum_reason,
        changes=[gettext("Transfer removed: %(line)s") % {"line": line}],
    )
    Transfer.objects.filter(pk=transfer.pk).delete()
    _finish(locked=locked)
    return line


@transaction.atomic
def import_transfers(
    *,
    workup: WorkUp,
    user,
    rows: list[dict],
    table_version: int,
    seen_lines: list[str],
    addendum_reason: str | None = None,
) -> list[Transfer]:
    """Add every transfer of a checked file, or none (values as ``TransferForm.values``)."""
    locked = _lock_table(workup=workup, seen_version=table_version, seen_lines=seen_lines)
    transfers = [Transfer(workup=locked, **values) for values in rows]
    _addendum_if_signed(
        workup=locked,
        user=user,
        reason=addendum_reason,
        changes=[
            gettext("Transfers imported: %(lines)s")
            % {"lines": "; ".join(t.line() for t in transfers)}
        ],
    )
    for transfer in transfers:
        transfer.save()
    _finish(locked=locked)
    return transfers


@transaction.atomic
def correct_oocyte_ages(*, workup: WorkUp, birth_date) -> list[str]:
    """A corrected birth date corrects the age at retrieval of the patient's own oocytes
    where the retrieval date is recorded (open work-ups; a signed one keeps what was signed)."""
    changes = []
    rows = Transfer.objects.select_for_update().filter(
        workup=workup, donor_oocytes=False, retrieval_date__isnull=False
    )
    for row in rows:
        age = age_on(birth_date, row.retrieval_date)
        if age != row.oocyte_age and 16 <= age <= 60:
            changes.append(
                gettext("Transfer of %(date)s: age at retrieval %(old)s → %(new)s")
                % {"date": day_words(row.date), "old": row.oocyte_age, "new": age}
            )
            row.oocyte_age = age
            row.save()
    return changes
