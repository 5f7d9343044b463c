"""A tamper-evident audit trail: every record is chained to the one before it.

Each chained table (the history table of every clinical model, the access records) is one
chain. A record carries its place in the chain (``chain_seq``), the hash of the record before it
(``chain_prev``) and its own hash (``chain_hash``): an HMAC-SHA256, keyed with
``settings.AUDIT_CHAIN_KEY`` (never stored in the database), of the previous hash and the
record's content (the names and values of the fields it covers, ``chain_fields``). A head row per
chain (``audit.ChainHead``) keeps the last place and hash, so removing the newest records shows too.

``manage.py verify_audit`` walks every chain and names each record changed, inserted or removed
since it was written.

Appending costs one statement and holds a lock only on the chain's head row, for the rest of
the writing transaction: on PostgreSQL an upsert of the head (``ON CONFLICT DO UPDATE`` waits
for a concurrent writer and then reads its new head) feeds the insert in the same statement,
and the database computes the HMAC with its built-in ``sha256`` from the key's inner and outer
pads, sent as parameters. On SQLite (one writer at a time) the insert reads the head and a
trigger moves it on, with the HMAC from a Python function registered on each connection.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import connections, models, router, transaction
from django.db.models.expressions import DatabaseDefault
from django.db.models.signals import class_prepared

CHAIN_COLUMNS = ("chain_seq", "chain_prev", "chain_hash", "chain_fields")
# The columns a chained history record adds to simple-history's (for bulk copies to skip).
HISTORY_AUDIT_COLUMNS = (*CHAIN_COLUMNS, "history_username", "history_user_full_name")
HEAD_TABLE = "audit_chainhead"
SQLITE_FUNCTION = "rif_chain_hmac"


class ImmutableRecord(Exception):
    """An audit record is written once; changing it is refused."""


# --- the key and the hash ----------------------------------------------------------------------


def chain_key() -> bytes:
    return settings.AUDIT_CHAIN_KEY.encode("utf-8")


def record_hash(prev: str, content: str) -> str:
    return record_hasher()(prev, content)


def record_hasher():
    """``record_hash`` with the key prepared once, for hashing many records in a row."""
    keyed = hmac.new(chain_key(), digestmod=hashlib.sha256)

    def hash_(prev: str, content: str) -> str:
        h = keyed.copy()
        h.update((prev + content).encode("utf-8"))
        return h.hexdigest()

    return hash_


def _pads() -> tuple[bytes, bytes]:
    return hmac_pads(chain_key())


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC-SHA256's inner and outer keys (RFC 2104), so that SQL's sha256 can compute an HMAC:
    sha256(outer || sha256(inner || message))."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def register_sqlite_function(sender, connection, **kwargs):
    """connection_created: the HMAC for SQLite's chained inserts."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            SQLITE_FUNCTION,
            2,
            lambda prev, content: record_hash(prev or "", content),
            deterministic=True,
        )


# --- what a record's hash covers ---------------------------------------------------------------


def _datetime(field):
    def canonical(value):
        if isinstance(value, str):
            value = field.to_python(value)
        if isinstance(value, datetime.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(datetime.UTC)
            return value.isoformat()
        return field.to_python(value).isoformat()

    return canonical


def _date(field):
    def canonical(value):
        if type(value) is not datetime.date:
            value = field.to_python(value)
        return value.isoformat()

    return canonical


def _decimal(field):
    places = decimal.Decimal(1).scaleb(-field.decimal_places)
    return lambda value: str(field.to_python(value).quantize(places))


def _json(field):
    return lambda value: json.loads(json.dumps(value, cls=field.encoder))


def canonical_form(field):
    """How a field's value is written into a record's hashed content (None stays None).

    One function per field, chosen once: ``content_of`` applies it to a record, and a bulk
    writer (``audit.bulk``) to many rows' values, so both hash exactly the same text.
    """
    if isinstance(field, models.DateTimeField):
        convert = _datetime(field)
    elif isinstance(field, models.DateField):
        convert = _date(field)
    elif isinstance(field, models.DecimalField):
        convert = _decimal(field)
    elif isinstance(field, models.FloatField):
        convert = lambda value: repr(float(value))  # noqa: E731
    elif isinstance(field, models.BooleanField):
        convert = bool
    elif isinstance(field, (models.IntegerField, models.AutoField)):
        convert = int
    elif isinstance(field, models.JSONField):
        convert = _json(field)
    else:
        convert = str
    return lambda value: None if value is None else convert(value)


def _canonical_value(field, value):
    return canonical_form(field)(value)


def content_text(data: dict) -> str:
    """The hashed content: the fields' names and canonical values as sorted, compact JSON."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def covered_fields(model) -> list:
    """Every concrete field except the primary key and the chain's own columns."""
    return [
        f for f in model._meta.concrete_fields if not f.primary_key and f.name not in CHAIN_COLUMNS
    ]


def content_of(record, names: Iterable[str]) -> str:
    fields = {f.name: f for f in record._meta.concrete_fields}
    data = {}
    for name in names:
        field = fields.get(name)
        data[name] = (
            _canonical_value(field, getattr(record, field.attname)) if field else "<no such field>"
        )
    return content_text(data)


def chain_name(model) -> str:
    return model._meta.label_lower


# --- appending ---------------------------------------------------------------------------------


def _hmac_sql(prev_sql: str) -> str:
    return (
        "encode(sha256(%s::bytea || sha256(%s::bytea || "
        f"convert_to({prev_sql} || %s, 'UTF8'))), 'hex')"
    )


def resolve_database_defaults(record) -> None:
    """Fields left to their database default hold a marker until saved: use the value."""
    for field in record._meta.concrete_fields:
        if isinstance(getattr(record, field.attname, None), DatabaseDefault):
            default = field.db_default
            setattr(record, field.attname, getattr(default, "value", default))


def append(record, using: str | None = None) -> None:
    """Insert a new record at the end of its chain, in one statement."""
    model = type(record)
    using = using or router.db_for_write(model)
    connection = connections[using]
    quote = connection.ops.quote_name
    fields = covered_fields(model)
    resolve_database_defaults(record)
    values = [f.pre_save(record, True) for f in fields]  # auto_now_add and friends, as saved
    record.chain_fields = ",".join(f.name for f in fields)
    content = content_of(record, [f.name for f in fields])
    db_values = [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
    db_values.append(record.chain_fields)
    columns = [quote(f.column) for f in fields] + [quote("chain_fields")]
    chain_columns = ", ".join(quote(c) for c in ("chain_seq", "chain_prev", "chain_hash"))
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)
    name = chain_name(model)
    returning = f"RETURNING {pk}, {chain_columns}"
    marks = ", ".join(["%s"] * len(db_values))
    # Table and column names come from the models, never from input; values are parameters.
    if connection.vendor == "postgresql":
        inner, outer = _pads()
        sql = (
            f"WITH head AS (INSERT INTO {HEAD_TABLE} (name, seq, prev_hash, last_hash) "  # noqa: S608  # nosec B608
            f"VALUES (%s, 1, '', {_hmac_sql(repr(''))}) "
            f"ON CONFLICT (name) DO UPDATE SET seq = {HEAD_TABLE}.seq + 1, "
            f"prev_hash = {HEAD_TABLE}.last_hash, "
            f"last_hash = {_hmac_sql(f'{HEAD_TABLE}.last_hash')} "
            "RETURNING seq, prev_hash, last_hash) "
            f"INSERT INTO {table} ({', '.join(columns)}, {chain_columns}) VALUES ({marks}, "
            "(SELECT seq FROM head), (SELECT prev_hash FROM head), (SELECT last_hash FROM head)) "
            f"{returning}"
        )
        params = [name, outer, inner, content, outer, inner, content, *db_values]
        attempts = 1
    else:
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}, {chain_columns}) "  # noqa: S608  # nosec B608
            f"SELECT {marks}, h.seq + 1, h.last_hash, {SQLITE_FUNCTION}(h.last_hash, %s) "
            f"FROM {HEAD_TABLE} AS h WHERE h.name = %s {returning}"
        )
        params = [*db_values, content, name]
        attempts = 2
    with connection.cursor() as cursor:
        for _ in range(attempts):
            cursor.execute(sql, params)
            row = cursor.fetchone()
            if row is not None:
                break
            # A chain's first record on SQLite (or after a flush): start its head, then again.
            ensure_head(name, using)
    if row is None:
        raise RuntimeError(f"Could not append to the audit chain {name}.")
    record.pk, record.chain_seq, record.chain_prev, record.chain_hash = row
    record._state.adding = False
    record._state.db = using


def ensure_head(name: str, using: str) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {HEAD_TABLE} (name, seq, prev_hash, last_hash) "  # noqa: S608  # nosec B608
            "VALUES (%s, 0, '', '') ON CONFLICT (name) DO NOTHING",
            [name],
        )


def seal_unchained(model, using: str = "default") -> int:
    """Put records written outside ``append`` (a bulk INSERT ... SELECT) on the chain, in order.

    For trusted server-side writers only (the demo seed, the migration that started the chain):
    whatever is unchained when this runs becomes part of the trail.
    """
    name = chain_name(model)
    with transaction.atomic(using=using):
        ensure_head(name, using)
        head = _head_model().objects.using(using).select_for_update().get(name=name)
        pending = model._default_manager.using(using).filter(chain_seq__isnull=True).order_by("pk")
        names = [f.name for f in covered_fields(model)]
        sealed = []
        for record in pending.iterator(chunk_size=1000):
            record.chain_fields = ",".join(names)
            head.seq += 1
            record.chain_seq = head.seq
            record.chain_prev = head.last_hash
            record.chain_hash = record_hash(head.last_hash, content_of(record, names))
            head.prev_hash, head.last_hash = record.chain_prev, record.chain_hash
            sealed.append(record)
        if sealed:
            # One parameterised UPDATE by primary key, sent as a batch: bulk_update's CASE
            # expressions cost more to compile in Python than the rest of the demo seed.
            quote = connections[using].ops.quote_name
            columns = ", ".join(f"{quote(c)} = %s" for c in CHAIN_COLUMNS)
            sql = (
                f"UPDATE {quote(model._meta.db_table)} SET {columns} "  # noqa: S608  # nosec B608
                f"WHERE {quote(model._meta.pk.column)} = %s"
            )
            with connections[using].cursor() as cursor:
                cursor.executemany(
                    sql, [[*(getattr(r, c) for c in CHAIN_COLUMNS), r.pk] for r in sealed]
                )
            head.save(using=using)
    return len(sealed)


# --- the records -------------------------------------------------------------------------------


class ChainedRecord(models.Model):
    """An abstract base: records written once, on their chain, never changed."""

    chain_seq = models.BigIntegerField(null=True, editable=False, db_index=True)
    # Database defaults too, so that a bulk INSERT ... SELECT (the demo seed) can leave them out.
    chain_prev = models.CharField(max_length=64, blank=True, db_default="", editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, db_default="", editable=False)
    chain_fields = models.TextField(blank=True, db_default="", editable=False)

    class Meta:
        abstract = True

    def save(self, *args, using=None, **kwargs):
        if not self._state.adding or self.pk is not None:
            raise ImmutableRecord(f"{self._meta.label} records are never changed.")
        resolve_database_defaults(self)
        self.snapshot_actor()
        append(self, using=using)

    def snapshot_actor(self):
        """Fill the actor's name fields, as they are now (subclasses)."""


def full_name(user) -> str:
    return user.get_full_name().strip() if user is not None else ""


class ChainedHistory(ChainedRecord):
    """The base of every clinical model's history table (``HistoricalRecords(bases=...)``):
    the actor's username and full name as they were when the change was made."""

    history_username = models.CharField(max_length=150, blank=True, db_default="", editable=False)
    history_user_full_name = models.CharField(
        max_length=300, blank=True, db_default="", editable=False
    )

    class Meta:
        abstract = True

    def snapshot_actor(self):
        if self.history_user_id is not None and not self.history_username:
            user = self.history_user
            self.history_username = user.get_username()
            self.history_user_full_name = full_name(user)


def add_history_order_index(sender, **kwargs):
    """class_prepared: every clinical history table gets an index on (history_date,
    history_id), the order the audit reads it in (newest first, ``audit.changes``), so that a
    page of the trail is read along the indexes however long the trail, even where many
    records share one moment (a bulk import)."""
    if issubclass(sender, ChainedHistory) and not sender._meta.abstract:
        index = models.Index(fields=["history_date", "history_id"])
        index.set_name_with_model(sender)
        sender._meta.indexes = [*sender._meta.indexes, index]
        sender._meta.original_attrs["indexes"] = sender._meta.indexes  # seen by migrations


class_prepared.connect(add_history_order_index, dispatch_uid="audit-history-order-index")


def _head_model():
    return apps.get_model("audit", "ChainHead")


def chained_models() -> list:
    return [m for m in apps.get_models() if issubclass(m, ChainedRecord)]


# --- SQLite: the trigger that moves the head on ------------------------------------------------


def sqlite_trigger_name(model) -> str:
    return f"rif_chain_{model._meta.db_table}"


def install_sqlite_triggers(using: str = "default", **kwargs) -> None:
    """After every migrate (a table rebuilt by a migration loses its triggers) and flush."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if HEAD_TABLE not in tables:
            return
        for model in chained_models():
            table = model._meta.db_table
            if table not in tables:
                continue
            # Names from the models, never from input.
            cursor.execute(
                f'CREATE TRIGGER IF NOT EXISTS "{sqlite_trigger_name(model)}" '  # noqa: S608  # nosec B608
                f'AFTER INSERT ON "{table}" WHEN NEW.chain_seq IS NOT NULL BEGIN '
                f"UPDATE {HEAD_TABLE} SET seq = NEW.chain_seq, prev_hash = NEW.chain_prev, "
                f"last_hash = NEW.chain_hash WHERE name = '{chain_name(model)}'; END"
            )


def after_migrate(sender, using="default", **kwargs):
    install_sqlite_triggers(using)
    for model in chained_models():
        ensure_head(chain_name(model), using)


# --- verifying ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    chain: str
    record: int | None
    what: str

    def __str__(self):
        where = f"record {self.record}" if self.record is not None else "the chain"
        return f"{self.chain}, {where}: {self.what}"


@dataclass
class ChainReport:
    chain: str
    records: int
    problems: list[Problem]


def _seqs(first: int, last: int) -> str:
    return f"place {first}" if first == last else f"places {first} to {last}"


def verify_chain(model, using: str = "default") -> ChainReport:
    name = chain_name(model)
    problems: list[Problem] = []
    manager = model._default_manager.using(using)
    unchained = list(manager.filter(chain_seq__isnull=True).values_list("pk", flat=True))
    for pk in unchained:
        problems.append(Problem(name, pk, "inserted outside the chain (no place, no hash)"))
    expected, prev_hash, count = 1, "", len(unchained)
    chained = manager.filter(chain_seq__isnull=False).order_by("chain_seq", "pk")
    for record in chained.iterator(chunk_size=2000):
        count += 1
        names = record.chain_fields.split(",") if record.chain_fields else []
        if record_hash(record.chain_prev, content_of(record, names)) != record.chain_hash:
            problems.append(Problem(name, record.pk, "changed since it was recorded"))
        if record.chain_seq < expected:
            problems.append(
                Problem(name, record.pk, f"inserted: a second record at place {record.chain_seq}")
            )
            continue
        if record.chain_seq > expected:
            gap = _seqs(expected, record.chain_seq - 1)
            problems.append(Problem(name, record.pk, f"removed before it: the records at {gap}"))
        elif record.chain_prev != prev_hash:
            problems.append(
                Problem(name, record.pk, "the record before it was changed or replaced")
            )
        prev_hash, expected = record.chain_hash, record.chain_seq + 1
    head = _head_model().objects.using(using).filter(name=name).first()
    last = expected - 1
    if head is None:
        if last:
            problems.append(Problem(name, None, "its head is missing"))
    elif head.seq > last:
        problems.append(
            Problem(name, None, f"removed at the end: the records at {_seqs(last + 1, head.seq)}")
        )
    elif head.seq < last:
        problems.append(Problem(name, None, f"inserted at the end: records past place {head.seq}"))
    elif head.last_hash != prev_hash:
        problems.append(Problem(name, None, "the newest record was changed or replaced"))
    connection = connections[using]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = %s",
                [sqlite_trigger_name(model)],
            )
            if cursor.fetchone() is None:
                problems.append(Problem(name, None, "its trigger is missing (run migrate)"))
    return ChainReport(name, count, problems)


def verify_all(using: str = "default") -> list[ChainReport]:
    return [verify_chain(model, using) for model in chained_models()]
