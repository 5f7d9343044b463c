"""Pre-aggregated counts of the work-up figures (``QualityCount``), kept exact by the writes.

A bucket is (figure, grain, day, clinician): the work-ups a clinician opened (or signed) that
day, or that month. When summary rows change, only the buckets they left or joined are
recomputed, each by one indexed query over that clinician's summary rows of that day or month;
``rebuild`` recomputes every bucket in grouped passes (after a bulk refresh). Recomputing,
rather than adding and subtracting, means a bucket is right as soon as the last write to it
is, and a missed write is mended by the next one to the same bucket or by the command.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth

from .models import QualityCount, WorkupSummary

# The sign-off figure's buckets: (lowest, highest or None, label); the key is the index.
SIGN_OFF_BUCKETS = (
    (0, 7, "0–7 days"),
    (8, 30, "8–30 days"),
    (31, 90, "31–90 days"),
    (91, 180, "91–180 days"),
    (181, None, "over 180 days"),
)

# Each figure: the summary's date field it is counted by, and its grouping keys.
FIELDS = {QualityCount.Kind.RIF: "opened_on", QualityCount.Kind.SIGNED: "signed_on"}


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


def _replace(kind, grain, day, clinician_id, rows):
    """Make the bucket exactly these rows (and nothing else)."""
    QualityCount.objects.filter(kind=kind, grain=grain, day=day, clinician_id=clinician_id).delete()
    QualityCount.objects.bulk_create(
        QualityCount(
            kind=kind,
            grain=grain,
            day=day,
            clinician_id=clinician_id,
            key_a=a,
            key_b=b,
            n=n,
            total=total,
        )
        for _, a, b, n, total, _ in rows
    )


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
            field = FIELDS[kind]
            high = day + timedelta(days=1) if grain == "d" else next_month(day)
            rows = WorkupSummary.objects.filter(
                **{"clinician_id": clinician_id, f"{field}__gte": day, f"{field}__lt": high}
            )
            _replace(kind, grain, day, clinician_id, _grouped(kind, rows))


def buckets_of(rows) -> set:
    """The buckets these summary rows (or their old values) count in."""
    out = set()
    for clinician_id, opened_on, signed_on in rows:
        out.add((QualityCount.Kind.RIF, clinician_id, opened_on))
        if signed_on:
            out.add((QualityCount.Kind.SIGNED, clinician_id, signed_on))
    return out


def rebuild() -> int:
    """Recompute every bucket from the summary rows, in grouped passes; returns the rows made."""
    made = []
    for kind, field in FIELDS.items():
        rows = WorkupSummary.objects.filter(**{f"{field}__isnull": False})
        for grain, by in (("d", F(field)), ("m", TruncMonth(field))):
            keyed = rows.annotate(bucket_day=by)
            for clinician_id, a, b, n, total, r in _grouped(kind, keyed, by=("bucket_day",)):
                made.append(
                    QualityCount(
                        kind=kind,
                        grain=grain,
                        day=r["bucket_day"],
                        clinician_id=clinician_id,
                        key_a=a,
                        key_b=b,
                        n=n,
                        total=total,
                    )
                )
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
