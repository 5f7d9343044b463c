"""Many history records appended to their audit chains at once (the demo seed).

For trusted server-side writers that create rows in bulk and send no signals: ``history_of``
builds the "created" history records of freshly inserted objects as plain rows, with the text
each record's hash covers (``chain.content_of``'s, through the same ``canonical_form`` of each
field); ``append`` then puts them on their chains. Everything costly (reading the objects'
values, the canonical text) is done before the chains are locked; under the lock only the HMACs
are chained and the rows written (PostgreSQL's COPY, or one ``executemany``).

Appending locks each chain's head row (in name order, as every writer takes several) until the
writing transaction ends, so parallel seeders write their records one after the other, each in
one piece, while their other work goes on at once. ``manage.py verify_audit`` verifies the
records as any others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connections, transaction

from . import chain


@dataclass
class Records:
    """History records of one model, ready for their chain: values in ``columns`` order."""

    model: type  # the history model
    columns: list = field(default_factory=list)  # the fields written, chain columns excluded
    rows: list = field(default_factory=list)
    contents: list = field(default_factory=list)


def history_of(model, objs, *, when, reason: str) -> Records:
    """The "created" history records of ``objs`` (inserted, with their primary keys)."""
    history = model.history.model
    covered = chain.covered_fields(history)
    own = {
        "history_date": when,
        "history_change_reason": reason,
        "history_type": "+",
        "history_user": None,
        "history_username": "",
        "history_user_full_name": "",
    }
    live = {f.name: f.attname for f in model._meta.concrete_fields}
    # Each value from the object's attribute, or a constant: the record's own columns, and
    # NULL for a column the history table keeps though its model has retired it.
    plan = [(None, own[f.name]) if f.name in own else (live.get(f.name), None) for f in covered]
    forms = [chain.canonical_form(f) for f in covered]
    names = [f.name for f in covered]
    content_text = chain.content_text
    records = Records(model=history, columns=covered)
    for obj in objs:
        values = [getattr(obj, attname) if attname else constant for attname, constant in plan]
        records.rows.append(values)
        records.contents.append(
            content_text({n: form(v) for n, form, v in zip(names, forms, values, strict=True)})
        )
    return records


def append(batches: list[Records], using: str = "default") -> int:
    """Chain and write every record, each model's on its own chain; returns how many.

    Must run in a transaction (the head rows stay locked until it ends)."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("audit.bulk.append needs a transaction")
    batches = [b for b in batches if b.rows]
    Head = chain._head_model()
    names = sorted({chain.chain_name(b.model) for b in batches})
    for name in names:
        chain.ensure_head(name, using)
    locked = Head.objects.using(using).select_for_update().filter(name__in=names)
    heads = {h.name: h for h in locked.order_by("name")}
    hash_ = chain.record_hasher()
    written = 0
    for batch in batches:
        head = heads[chain.chain_name(batch.model)]
        fields_text = ",".join(f.name for f in batch.columns)
        seq, prev = head.seq, head.last_hash
        rows = []
        for values, content in zip(batch.rows, batch.contents, strict=True):
            seq += 1
            digest = hash_(prev, content)
            rows.append([*values, seq, prev, digest, fields_text])
            head.prev_hash, prev = prev, digest
        head.seq, head.last_hash = seq, prev
        chain_fields = [batch.model._meta.get_field(n) for n in chain.CHAIN_COLUMNS]
        write_rows(batch.model, [*batch.columns, *chain_fields], rows, using)
        written += len(rows)
    for head in heads.values():
        head.save(using=using, update_fields=["seq", "prev_hash", "last_hash"])
    return written


def write_rows(model, fields: list, rows: list[list], using: str = "default") -> None:
    """Insert rows of values (in ``fields`` order) as they are: COPY on PostgreSQL, one
    ``executemany`` elsewhere. No signals, no ``pre_save``: the values are final."""
    connection = connections[using]
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    table = quote(model._meta.db_table)
    # Table and column names come from the models, never from input; values are data.
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        json_at = [i for i, f in enumerate(fields) if f.get_internal_type() == "JSONField"]
        sql = f"COPY {table} ({names}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                for i in json_at:
                    row[i] = Jsonb(row[i])
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608  # nosec B608
            [
                [f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)]
                for row in rows
            ],
        )
