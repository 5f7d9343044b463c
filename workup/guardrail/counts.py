"""Pre-aggregated counts of the dashboard's figures (``QualityCount``), kept exact by the writes.

A bucket is (figure, grain, day, clinician): the work-ups a clinician opened (or signed) that
day, or that month; the add-on requests recorded on a clinician's work-ups that day or month
(by add-on and outcome); the desk's overrides a clinician counselled (by reason). When summary
rows or add-on requests change, only the buckets they left or joined are recomputed, each by
one indexed query over that clinician's rows of that day or month; ``rebuild`` recomputes every
bucket in grouped passes (after a bulk refresh). Recomputing, rather than adding and
subtracting, means a bucket is right as soon as the last write to it is, and a missed write (a
bulk ``update()`` sends no signal) is mended by the next one to the same bucket or by
``manage.py refresh_quality_summary``. Recounts of one bucket are serialised on PostgreSQL (a
transaction-scoped advisory lock), so concurrent writes cannot leave a bucket half counted.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from workup.clinic.models import AddonRequest

from .models import QualityCount, WorkupSummary

# The sign-off figure's buckets: (lowest, highest or None, label); the key is the index.
SIGN_OFF_BUCKETS = (
    (0, 7, "0–7 days"),
    (8, 30, "8–30 days"),
    (31, 90, "31–90 days"),
    (91, 180, "91–180 days"),
    (181, None, "over 180 days"),
)

# The work-up figures: the summary's date field each is counted by.
FIELDS = {QualityCount.Kind.RIF: "opened_on", QualityCount.Kind.SIGNED: "signed_on"}
# The add-on figures: the request's moment each is counted by (its local day), whose it is, and
# its keys. An override at the desk is a request going ahead against advice, counted on the
# day it was counselled, under the clinician who counselled.
REQUEST_FIGURES = {
    QualityCount.Kind.ADDON: ("recorded_at", "workup__clinician", ("addon_code", "outcome")),
    QualityCount.Kind.OVERRIDE: ("counselled_at", "counselled_by", ("override_reason",)),
}


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _sign_bucket():
    """The sign-off bucket's index as a database expression (a CASE on days_to_sign)."""
    from django.db.models import Case, CharField, Value, When

    whens = [
        When(
            Q(days_to_sign__gte=low) & (Q(days_to_sign__lte=high) if high else Q()),
            then=Value(str(n)),
        )
        for n, (low, high, _) in enumerate(SIGN_OFF_BUCKETS)
    ]
    return Case(*whens, default=Value(""), output_field=CharField())


def _grouped(kind, rows, by=()):
    """The summary rows grouped by ``by`` and (clinician, key_a, key_b): n and total."""
    if kind == QualityCount.Kind.RIF:
        grouped = rows.values(*by, "clinician", "rif_label", "failed_transfers").annotate(
            n=Count("pk")
        )
        return [
            (
                r["clinician"],
                r["rif_label"],
                "" if r["failed_transfers"] is None else str(r["failed_transfers"]),
                r["n"],
                0,
                r,
            )
            for r in grouped
        ]
    grouped = (
        rows.filter(days_to_sign__isnull=False)
        .annotate(bucket=_sign_bucket())
        .values(*by, "clinician", "bucket")
        .annotate(n=Count("pk"), total=Sum("days_to_sign"))
    )
    return [(r["clinician"], r["bucket"], "", r["n"], r["total"] or 0, r) for r in grouped]


def _made(kind, grain, rows, *, day=None, model=QualityCount) -> list:
    """Count rows from grouped (clinician, key_a, key_b, n, total, row) tuples: of ``day``, or
    of each row's ``bucket_day``."""
    return [
        model(
            kind=kind,
            grain=grain,
            day=day or r["bucket_day"],
            clinician_id=clinician_id,
            key_a=a,
            key_b=b,
            n=n,
            total=total,
        )
        for clinician_id, a, b, n, total, r in rows
    ]


def _replace(kind, grain, day, clinician_id, rows):
    """Make the bucket exactly these rows (and nothing else)."""
    QualityCount.objects.filter(kind=kind, grain=grain, day=day, clinician_id=clinician_id).delete()
    QualityCount.objects.bulk_create(_made(kind, grain, rows, day=day))


def _requests(kind, model=AddonRequest):
    rows = model.objects.all()
    if kind == QualityCount.Kind.OVERRIDE:
        rows = rows.filter(
            outcome=AddonRequest.Outcome.AGAINST_ADVICE.value,
            counselled_at__isnull=False,
            counselled_by__isnull=False,
        )
    return rows


def _grouped_requests(kind, rows, by=()):
    """Add-on requests grouped by ``by`` and (clinician, key_a, key_b), as ``_grouped``."""
    _, who, keys = REQUEST_FIGURES[kind]
    grouped = rows.values(*by, who, *keys).annotate(n=Count("pk")).order_by()
    return [
        (r[who], r[keys[0]], r[keys[1]] if len(keys) > 1 else "", r["n"], 0, r) for r in grouped
    ]


def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _lock(kind, grain, day, clinician_id) -> None:
    """Serialise recounts of one bucket until the transaction ends (PostgreSQL; SQLite
    serialises writers already)."""
    if connection.vendor == "postgresql":
        key = zlib.crc32(f"quality:{kind}:{grain}:{day}:{clinician_id}".encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key - 2**31])


def recount(buckets) -> None:
    """Recompute these (kind, clinician id, day) buckets: the day's and its month's rows."""
    days = set()
    for kind, clinician_id, day in buckets:
        if day is None or clinician_id is None:
            continue
        days.add((kind, "d", day, clinician_id))
        days.add((kind, "m", month_of(day), clinician_id))
    with transaction.atomic():
        for kind, grain, day, clinician_id in sorted(days):
            _lock(kind, grain, day, clinician_id)
            high = day + timedelta(days=1) if grain == "d" else next_month(day)
            if kind in REQUEST_FIGURES:
                moment, who, _ = REQUEST_FIGURES[kind]
                rows = _requests(kind).filter(
                    **{
                        who: clinician_id,
                        f"{moment}__gte": _moment(day),
                        f"{moment}__lt": _moment(high),
                    }
                )
                grouped = _grouped_requests(kind, rows)
            else:
                field = FIELDS[kind]
                rows = WorkupSummary.objects.filter(
                    **{"clinician_id": clinician_id, f"{field}__gte": day, f"{field}__lt": high}
                )
                grouped = _grouped(kind, rows)
            _replace(kind, grain, day, clinician_id, grouped)


def buckets_of(rows) -> set:
    """The buckets these summary rows (or their old values) count in."""
    out = set()
    for clinician_id, opened_on, signed_on in rows:
        out.add((QualityCount.Kind.RIF, clinician_id, opened_on))
        if signed_on:
            out.add((QualityCount.Kind.SIGNED, clinician_id, signed_on))
    return out


def request_buckets(clinician_id, request) -> set:
    """The buckets an add-on request counts in, for the given work-up clinician: its
    ``request`` is (recorded_at, counselled_by id, counselled_at), any of them None."""
    recorded_at, counselled_by_id, counselled_at = request
    out = set()
    if recorded_at is not None:
        out.add((QualityCount.Kind.ADDON, clinician_id, timezone.localdate(recorded_at)))
    if counselled_at is not None:
        out.add((QualityCount.Kind.OVERRIDE, counselled_by_id, timezone.localdate(counselled_at)))
    return out


def _request_rows(request_model=AddonRequest, count_model=QualityCount) -> list:
    """Every add-on bucket: the day rows in one grouped pass each, the months summed from them
    (a request's local day is its bucket; truncating to the day uses the current time zone)."""
    made = []
    for kind, (moment, _, _) in REQUEST_FIGURES.items():
        days = _requests(kind, request_model).annotate(bucket_day=TruncDate(moment))
        grouped = _grouped_requests(kind, days, by=("bucket_day",))
        made += _made(kind, "d", grouped, model=count_model)
        months: dict = {}
        for clinician_id, a, b, n, _, r in grouped:
            key = (month_of(r["bucket_day"]), clinician_id, a, b)
            months[key] = months.get(key, 0) + n
        monthly = [(c, a, b, n, 0, {"bucket_day": m}) for (m, c, a, b), n in months.items()]
        made += _made(kind, "m", monthly, model=count_model)
    return made


def rebuild_requests(request_model, count_model) -> int:
    """Recompute the add-on buckets alone (the migration that introduced them passes its
    historical models)."""
    made = _request_rows(request_model, count_model)
    with transaction.atomic():
        count_model.objects.filter(kind__in=list(REQUEST_FIGURES)).delete()
        count_model.objects.bulk_create(made, batch_size=2000)
    return len(made)


def rebuild() -> int:
    """Recompute every bucket from the summary rows and the add-on requests, in grouped
    passes; returns the rows made."""
    made = _request_rows()
    for kind, field in FIELDS.items():
        rows = WorkupSummary.objects.filter(**{f"{field}__isnull": False})
        for grain, by in (("d", F(field)), ("m", TruncMonth(field))):
            keyed = rows.annotate(bucket_day=by)
            made += _made(kind, grain, _grouped(kind, keyed, by=("bucket_day",)))
    with transaction.atomic():
        QualityCount.objects.all().delete()
        QualityCount.objects.bulk_create(made, batch_size=2000)
    return len(made)


def period(start: date, end: date) -> Q:
    """The rows covering [start, end]: whole months from "m" rows, the edges from "d" rows."""
    first_full = start if start.day == 1 else next_month(start)
    after_last_full = month_of(end + timedelta(days=1))
    if after_last_full <= first_full:  # no whole month inside: days only
        return Q(grain="d", day__gte=start, day__lte=end)
    return (
        Q(grain="m", day__gte=first_full, day__lt=after_last_full)
        | Q(grain="d", day__gte=start, day__lt=first_full)
        | Q(grain="d", day__gte=after_last_full, day__lte=end)
    )
