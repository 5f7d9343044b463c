"""The transfer table of a work-up: add, change or remove a transfer, import a CSV file.

Thin views: permission, form, service, redirect back to the table (``#transfers``). A refused
form or file re-renders the work-up page with the entries kept and the messages beside them; a
stale table says what changed and keeps the entries against the new table. Nothing is stored on
error. ``transfer_presenters.transfer_page`` gives the page its part.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST, require_safe

from workup.evidence import store

from ..presenters import load_workup
from ..services import SignedWorkUp, StaleEdit
from ..transfer_csv import check_file, template_csv
from ..transfer_forms import ImportForm, RemoveTransferForm, TransferForm
from ..transfer_presenters import NEW
from ..transfer_records import Transfer, day_words
from ..transfer_services import (
    add_transfer,
    change_transfer,
    import_transfers,
    last_changer,
    remove_transfer,
)
from .workups import render_workup


def _back(workup):
    return redirect(f"{workup.get_absolute_url()}#transfers")


def _gone(request, workup):
    """A transfer removed by someone else while this one was editing it: a clear conflict."""
    who = last_changer(workup.pk)
    messages.warning(
        request,
        gettext(
            "Not saved: the transfer was removed while you were editing (%(who)s). Nothing was "
            "changed: see the table as it is now."
        )
        % {"who": who},
    )
    return _back(workup)


def _refresh_table_fields(form, workup):
    """After a conflict: the entries stay, drawn against the table as it is now, so saving
    them again goes through once the user has checked them."""
    data = form.data.copy()
    data[form.add_prefix("table_version")] = workup.version
    data[form.add_prefix("table")] = form.fields["table"].initial
    return data


def _seen(form) -> dict:
    return {
        "table_version": form.cleaned_data["table_version"],
        "seen_lines": form.seen_lines(),
        "addendum_reason": form.cleaned_data.get("addendum_reason"),
    }


def _explain(form, error) -> None:
    if isinstance(error, SignedWorkUp):
        form.add_error("addendum_reason" if "addendum_reason" in form.fields else None, str(error))
    else:
        form.add_error(None, str(error))


def _save_row(request, pk, workup, build, *, write, done, key, open_step):
    """The tail the table's row writes share: validate, write, say ``done`` and go back to the
    table. A stale table redraws the form on the work-up as it is now, the entries kept; a
    signed work-up without a reason asks for one. Nothing is stored on either."""
    form = build(request.POST, workup)
    if form.is_valid():
        try:
            result = write(form)
        except (StaleEdit, SignedWorkUp) as error:
            if isinstance(error, StaleEdit):
                workup = load_workup(pk)
                form = build(_refresh_table_fields(build(request.POST, workup), workup), workup)
                form.is_valid()
            _explain(form, error)
        else:
            done(result)
            return _back(workup)
    return render_workup(request, workup, bound={key: form}, open_step=open_step)


@require_POST
@permission_required("clinic.record_findings", raise_exception=True)
def transfer_add(request, pk):
    workup = load_workup(pk)
    catalogue = store.get_catalogue()

    def build(data, on):
        return TransferForm(data, prefix="transfer-new", workup=on, catalogue=catalogue)

    return _save_row(
        request,
        pk,
        workup,
        build,
        write=lambda form: add_transfer(
            workup=workup, user=request.user, values=form.values, **_seen(form)
        ),
        done=lambda transfer: messages.success(
            request, gettext("Transfer added: %(line)s.") % {"line": transfer.line()}
        ),
        key="transfer_new",
        open_step=NEW,
    )


@require_POST
@permission_required("clinic.record_findings", raise_exception=True)
def transfer_edit(request, pk, transfer_pk):
    workup = load_workup(pk)
    transfer = Transfer.objects.filter(pk=transfer_pk, workup=workup).first()
    if transfer is None:
        return _gone(request, workup)
    catalogue = store.get_catalogue()

    def build(data, on):
        return TransferForm(
            data,
            prefix=f"transfer-{transfer.pk}",
            workup=on,
            catalogue=catalogue,
            transfer=transfer,
        )

    def done(changes):
        if changes:
            messages.success(
                request, gettext("Saved: %(changes)s.") % {"changes": "; ".join(changes)}
            )
        else:
            messages.info(
                request,
                gettext("Transfer of %(date)s: nothing changed.")
                % {"date": day_words(transfer.date)},
            )

    return _save_row(
        request,
        pk,
        workup,
        build,
        write=lambda form: change_transfer(
            transfer=transfer, user=request.user, values=form.values, **_seen(form)
        ),
        done=done,
        key=f"transfer_edit_{transfer.pk}",
        open_step=f"transfer-{transfer.pk}",
    )


@require_POST
@permission_required("clinic.record_findings", raise_exception=True)
def transfer_delete(request, pk, transfer_pk):
    workup = load_workup(pk)
    transfer = Transfer.objects.filter(pk=transfer_pk, workup=workup).first()
    if transfer is None:
        return _gone(request, workup)

    def build(data, on):
        return RemoveTransferForm(data, prefix=f"remove-{transfer.pk}", workup=on)

    return _save_row(
        request,
        pk,
        workup,
        build,
        write=lambda form: remove_transfer(transfer=transfer, user=request.user, **_seen(form)),
        done=lambda line: messages.success(
            request, gettext("Transfer removed: %(line)s.") % {"line": line}
        ),
        key=f"transfer_remove_{transfer.pk}",
        open_step=f"transfer-{transfer.pk}",
    )


@require_POST
@permission_required("clinic.record_findings", raise_exception=True)
def transfers_import(request, pk):
    workup = load_workup(pk)
    catalogue = store.get_catalogue()
    form = ImportForm(request.POST, request.FILES, prefix="import", workup=workup)
    if form.is_valid():
        report = check_file(form.cleaned_data["file"], workup=workup, catalogue=catalogue)
        if report.refused:
            form.report = report.problems
            count = len(report.problems)
            form.add_error(
                "file",
                ngettext(
                    "Nothing was imported: the file has %(count)d problem, listed below.",
                    "Nothing was imported: the file has %(count)d problems, listed below.",
                    count,
                )
                % {"count": count},
            )
        else:
            try:
                added = import_transfers(
                    workup=workup, user=request.user, rows=report.values, **_seen(form)
                )
            except (StaleEdit, SignedWorkUp) as error:
                if isinstance(error, StaleEdit):
                    workup = load_workup(pk)
                    form = ImportForm(
                        _refresh_table_fields(
                            ImportForm(request.POST, prefix="import", workup=workup), workup
                        ),
                        prefix="import",
                        workup=workup,
                    )
                    form.is_valid()
                    error = StaleEdit(
                        str(error) + " " + gettext("Choose the file again."), error.changes
                    )
                _explain(form, error)
            else:
                messages.success(
                    request,
                    ngettext(
                        "Imported %(count)d transfer: %(lines)s.",
                        "Imported %(count)d transfers: %(lines)s.",
                        len(added),
                    )
                    % {"count": len(added), "lines": "; ".join(t.line() for t in added)},
                )
                return _back(workup)
    return render_workup(request, workup, bound={"transfer_import": form}, open_step=NEW)


@require_safe
@permission_required("clinic.record_findings", raise_exception=True)
def transfers_template(request):
    """The CSV template: the header row of ``transfer_csv.COLUMNS``."""
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="rif-transfers-template.csv"'
    return response
