"""The transfer table on the work-up page: each transfer with the chance the engine gave it (or
why it is not counted), and the forms the user may use. No clinical logic: the chances are the
answer's (``rif.transfers``, ``rif.not_counted``)."""

from __future__ import annotations

from workup.evidence import store

from .transfer_csv import COLUMNS, SEPARATOR
from .transfer_forms import ImportForm, RemoveTransferForm, TransferForm, table_lines

NEW = "transfers"  # ?open=transfers opens the form of a new transfer


def transfer_page(
    request, workup, answer, bound_forms: dict, open_step: str | None, catalogue=None
) -> dict:
    """The transfer table for the work-up page: each row with the chance the answer gave it
    (or why it is not counted), and the forms the user may use."""
    catalogue = catalogue or store.get_catalogue()
    rif = answer["rif"]
    counted = {e.get("date"): e for e in rif.get("transfers", ()) if e.get("date")}
    skipped = {e.get("date"): e for e in rif.get("not_counted", ()) if e.get("date")}
    can_edit = request.user.has_perm("clinic.record_findings")
    rows = []
    for transfer in workup.transfers.all():
        key = transfer.date.isoformat()
        row = {
            "transfer": transfer,
            "counted": counted.get(key),
            "not_counted": skipped.get(key),
            "open": open_step == f"transfer-{transfer.pk}",
        }
        if can_edit and row["open"]:
            row["form"] = bound_forms.get(f"transfer_edit_{transfer.pk}") or TransferForm(
                prefix=f"transfer-{transfer.pk}",
                workup=workup,
                catalogue=catalogue,
                transfer=transfer,
            )
            row["remove"] = bound_forms.get(f"transfer_remove_{transfer.pk}") or RemoveTransferForm(
                prefix=f"remove-{transfer.pk}", workup=workup
            )
        rows.append(row)
    out = {
        "rows": rows,
        "can_edit": can_edit,
        "open": open_step == NEW,
        "columns": COLUMNS,
        "separator": SEPARATOR,
        "lines": table_lines(workup.transfers.all()),
    }
    if can_edit:
        out["new"] = bound_forms.get("transfer_new") or TransferForm(
            prefix="transfer-new", workup=workup, catalogue=catalogue
        )
        out["import"] = bound_forms.get("transfer_import") or ImportForm(
            prefix="import", workup=workup
        )
    return out
