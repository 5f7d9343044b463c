"""The lead's dashboard: each figure one aggregate query, whatever the number of work-ups.

The work-up figures (time to sign-off, the RIF label by transfers), the add-on figures (by
add-on, by month, outcomes) and the desk's overrides add up pre-aggregated buckets
(``counts``: per clinician and day or month) kept exact by the writes, so nothing is assessed,
no work-up, summary row or add-on request is read here, and the rows read depend on the
period's length, the number of clinicians and the catalogue, not on the number of work-ups.
Overdue steps add up the coordinators' step counts; the EMR's overrides (CDS Hooks feedback,
a table of its own) are grouped straight from their date index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from workup.clinic.models import AddonRequest
from workup.coordination.models import StepCount
from workup.evidence.catalogue import Catalogue

from . import counts as buckets
from .counts import SIGN_OFF_BUCKETS
from .models import CdsFeedback, QualityCount
from .reasons import OverrideReason


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    clinician: object = None  # a User, or None for everyone

    def moments(self):
        """The period as aware datetimes: [start 00:00, the day after end 00:00)."""
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )


@dataclass
class Figure:
    key: str
    title: str
    description: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    chart_column: int = 1  # which column the bars show
    note: str = ""
    empty: str = "Nothing in the period."

    @property
    def total(self):
        return sum(r[self.chart_column] or 0 for r in self.rows)

    def bars(self):
        """One bar per row, laid out for the SVG chart (a 640 × height view box)."""
        values = [r[self.chart_column] or 0 for r in self.rows]
        top = max(values, default=0) or 1
        out = []
        for n, (row, value) in enumerate(zip(self.rows, values, strict=True)):
            label = str(row[0])
            out.append(
                {
                    "label": label if len(label) <= 34 else label[:33] + "…",
                    "value": value,
                    "y": BAR_TOP + n * BAR_STEP,
                    "text_y": BAR_TOP + n * BAR_STEP + 15,
                    "width": round(BAR_WIDTH * value / top, 1),
                    "value_x": BAR_LEFT + round(BAR_WIDTH * value / top, 1) + 6,
                }
            )
        return out

    @property
    def chart_height(self):
        return BAR_TOP + max(1, len(self.rows)) * BAR_STEP + 4

    @property
    def chart_summary(self):
        """The chart in words (its SVG description): the largest and the total."""
        if not self.rows or not self.total:
            return f"{self.title}: {self.empty}"
        top = max(self.rows, key=lambda r: r[self.chart_column] or 0)
        return (
            f"{self.title}: total {self.total}; largest {top[0]} ({top[self.chart_column]}). "
            "The table beside the chart gives every figure."
        )


BAR_TOP, BAR_STEP, BAR_LEFT, BAR_WIDTH = 6, 24, 250, 330


class RequestGroups:
    """The period's add-on requests counted by add-on and outcome (from their buckets, in one
    query), read once for the two figures made from them (by add-on, and what happened)."""

    def __init__(self, filters: Filters):
        self.filters = filters
        self._rows = None

    @property
    def rows(self) -> list[dict]:
        if self._rows is None:
            self._rows = [
                {"addon_code": r["key_a"], "outcome": r["key_b"], "n": r["count"]}
                for r in counted(self.filters, QualityCount.Kind.ADDON)
                .values("key_a", "key_b")
                .annotate(count=Sum("n"))
                .order_by()
            ]
        return self._rows

    def total_by(self, key: str) -> dict:
        totals: dict = {}
        for row in self.rows:
            totals[row[key]] = totals.get(row[key], 0) + row["n"]
        return totals


def by_addon(filters: Filters, catalogue: Catalogue, groups: RequestGroups | None = None) -> Figure:
    counts = (groups or RequestGroups(filters)).total_by("addon_code")
    figure = Figure(
        "addons",
        "Add-on requests by add-on",
        "How many times each add-on was asked for (recorded on a work-up) in the period.",
        ["Add-on", "Requests"],
    )
    for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        addon = catalogue.addons.get(code)
        figure.rows.append([addon.name if addon else code, n])
    return figure


def _months(filters: Filters):
    """The first day of each month of the period."""
    month = filters.start.replace(day=1)
    while month <= filters.end:
        yield month
        month = buckets.next_month(month)


def by_month(filters: Filters) -> Figure:
    # The buckets' days (whole months and the edges' days), summed into their months.
    counts: dict = {}
    for row in (
        counted(filters, QualityCount.Kind.ADDON).values("day").annotate(n=Sum("n")).order_by()
    ):
        month = buckets.month_of(row["day"])
        counts[month] = counts.get(month, 0) + row["n"]
    figure = Figure(
        "months",
        "Add-on requests by month",
        "Requests recorded each month of the period (months without any show 0).",
        ["Month", "Requests"],
    )
    for month in _months(filters):
        figure.rows.append([month.strftime("%Y-%m"), counts.get(month, 0)])
    return figure


def outcomes(filters: Filters, groups: RequestGroups | None = None) -> Figure:
    counts = (groups or RequestGroups(filters)).total_by("outcome")
    figure = Figure(
        "outcomes",
        "What happened to the requests",
        "The counselling outcome of the period's add-on requests, as recorded now.",
        ["Outcome", "Requests", "Share"],
    )
    total = sum(counts.values())
    for value, label in AddonRequest.Outcome.choices:
        n = counts.get(value, 0)
        figure.rows.append([label, n, _share(n, total)])
    return figure


def _share(n, total) -> str:
    return f"{round(100 * n / total)}%" if total else "–"


def _overrides(filters: Filters):
    """(desk rows, EMR rows): grouped counts of overrides in the period."""
    start, end = filters.moments()
    desk = counted(filters, QualityCount.Kind.OVERRIDE)
    emr = CdsFeedback.objects.filter(
        outcome=CdsFeedback.Outcome.OVERRIDDEN, outcome_at__gte=start, outcome_at__lt=end
    )
    if filters.clinician is not None:
        emr = emr.filter(card__clinician=filters.clinician)
    desk_rows = [
        {
            "counselled_by__username": r["clinician__username"],
            "counselled_by__first_name": r["clinician__first_name"],
            "counselled_by__last_name": r["clinician__last_name"],
            "override_reason": r["key_a"],
            "n": r["count"],
        }
        for r in desk.values(
            "clinician__username", "clinician__first_name", "clinician__last_name", "key_a"
        )
        .annotate(count=Sum("n"))
        .order_by()
    ]
    emr_rows = emr.values(
        "card__clinician__username",
        "card__clinician__first_name",
        "card__clinician__last_name",
        "card__emr_user",
        "override_reason",
        "other_reason_code",
    ).annotate(n=Count("pk"))
    return desk_rows, list(emr_rows)


def _person(row, prefix) -> str:
    username = row[f"{prefix}username"]
    if not username:
        return ""
    full = f"{row[f'{prefix}first_name']} {row[f'{prefix}last_name']}".strip()
    return full or username


REASON_LABELS = dict(OverrideReason.choices)
NO_REASON = "No coded reason (recorded before coding, or none sent)"
EMR_OWN = "The EMR's own reason code"


def overrides(filters: Filters) -> tuple[Figure, Figure]:
    desk, emr = _overrides(filters)
    people: dict[str, list[int]] = {}
    reasons: dict[str, list[int]] = {label: [0, 0] for label in REASON_LABELS.values()}
    for row in desk:
        who = _person(row, "counselled_by__") or "unknown"
        people.setdefault(who, [0, 0])[0] += row["n"]
        label = REASON_LABELS.get(row["override_reason"], NO_REASON)
        reasons.setdefault(label, [0, 0])[0] += row["n"]
    for row in emr:
        who = _person(row, "card__clinician__") or f"EMR user {row['card__emr_user']}"
        people.setdefault(who, [0, 0])[1] += row["n"]
        if row["override_reason"]:
            label = REASON_LABELS[row["override_reason"]]
        else:
            label = EMR_OWN if row["other_reason_code"] else NO_REASON
        reasons.setdefault(label, [0, 0])[1] += row["n"]
    by_person = Figure(
        "overrides-clinician",
        "Overrides by clinician",
        "Add-ons going ahead against advice: recorded at the desk (counselling) and reported "
        "by the EMR (an overridden card), by the clinician who decided.",
        ["Clinician", "Total", "At the desk", "In the EMR"],
    )
    for who, (d, e) in sorted(people.items(), key=lambda kv: (-sum(kv[1]), kv[0])):
        by_person.rows.append([who, d + e, d, e])
    by_reason = Figure(
        "overrides-reason",
        "Overrides by reason",
        "The same overrides by their coded reason (one list for the desk and the EMR).",
        ["Reason", "Total", "At the desk", "In the EMR"],
    )
    for label, (d, e) in reasons.items():
        by_reason.rows.append([label, d + e, d, e])
    return by_person, by_reason


def counted(filters: Filters, kind):
    """The pre-aggregated rows of a figure for the period (whole months and edge days)."""
    rows = QualityCount.objects.filter(buckets.period(filters.start, filters.end), kind=kind)
    if filters.clinician is not None:
        rows = rows.filter(clinician=filters.clinician)
    return rows


def sign_off_time(filters: Filters) -> Figure:
    grouped = {
        r["key_a"]: r
        for r in counted(filters, QualityCount.Kind.SIGNED)
        .values("key_a")
        .annotate(count=Sum("n"), days=Sum("total"))
    }
    signed = sum(r["count"] for r in grouped.values())
    days = sum(r["days"] for r in grouped.values())
    figure = Figure(
        "sign-off",
        "Time from opening to sign-off",
        "Work-ups signed in the period, by the days from the work-up date to the signature.",
        ["Days to sign-off", "Work-ups", "Share"],
        note=f"Mean {days / signed:.1f} days." if signed else "No work-up signed in the period.",
    )
    for n, (_, _, label) in enumerate(SIGN_OFF_BUCKETS):
        count = grouped.get(str(n), {}).get("count", 0)
        figure.rows.append([label, count, _share(count, signed)])
    return figure


def overdue(filters: Filters, catalogue: Catalogue, today: date | None = None) -> Figure:
    # Summed from the open steps' counts the database keeps by step, responsible clinician and
    # due date (coordination.StepCount, kept by triggers on every write): a bounded number of
    # rows, however many steps are overdue. "due" before today is a due date before today (no
    # due date is kept as the last day there is).
    today = today or timezone.localdate()
    rows = StepCount.objects.filter(due__lt=today)
    if filters.clinician is not None:
        rows = rows.filter(clinician_key=filters.clinician.pk)
    counts = rows.values("code").annotate(n=Sum("n")).filter(n__gt=0).order_by("-n", "code")
    figure = Figure(
        "overdue",
        "Overdue steps by step",
        "Open checklist steps past their due date today, whatever the period.",
        ["Step", "Overdue"],
        empty="No step is overdue.",
    )
    for row in counts:
        entry = catalogue.investigations.get(row["code"]) or catalogue.next_steps.get(row["code"])
        figure.rows.append([entry.name if entry else row["code"], row["n"]])
    return figure


def rif_by_transfers(filters: Filters) -> Figure:
    counts = (
        counted(filters, QualityCount.Kind.RIF)
        .values("key_b", "key_a")
        .annotate(count=Sum("n"))
        .order_by()
    )
    table: dict = {}
    for row in counts:
        transfers = int(row["key_b"]) if row["key_b"] else None
        entry = table.setdefault(transfers, [0, 0])
        entry[0] += row["count"]
        entry[1] += row["count"] if row["key_a"] == "rif" else 0
    figure = Figure(
        "rif",
        "Work-ups labelled RIF, by failed transfers",
        "Work-ups opened in the period: how many the engine labels RIF, at each number of "
        "failed transfers.",
        ["Failed transfers", "Labelled RIF", "Work-ups", "Share labelled RIF"],
    )
    total = labelled = 0
    for transfers in sorted(table, key=lambda t: (t is None, t or 0)):
        n, rif = table[transfers]
        total += n
        labelled += rif
        name = "not recorded" if transfers is None else str(transfers)
        figure.rows.append([name, rif, n, _share(rif, n)])
    figure.note = (
        f"Overall {labelled} of {total} work-ups labelled RIF ({_share(labelled, total)})."
    )
    return figure


# Each figure by its key (the CSV's name), in the dashboard's order; ``r``: the requests
# grouped once for the figures made from them.
FIGURES = {
    "addons": lambda f, c, r: [by_addon(f, c, r)],
    "months": lambda f, c, r: [by_month(f)],
    "outcomes": lambda f, c, r: [outcomes(f, r)],
    "overrides": lambda f, c, r: list(overrides(f)),  # by clinician and by reason: one query pair
    "sign-off": lambda f, c, r: [sign_off_time(f)],
    "overdue": lambda f, c, r: [overdue(f, c)],
    "rif": lambda f, c, r: [rif_by_transfers(f)],
}
FIGURE_KEYS = (
    "addons",
    "months",
    "outcomes",
    "overrides-clinician",
    "overrides-reason",
    "sign-off",
    "overdue",
    "rif",
)


def dashboard(filters: Filters, catalogue: Catalogue) -> list[Figure]:
    groups = RequestGroups(filters)
    return [figure for build in FIGURES.values() for figure in build(filters, catalogue, groups)]


def figure(key: str, filters: Filters, catalogue: Catalogue) -> Figure:
    """One figure (for its CSV), computed alone."""
    build = FIGURES["overrides" if key.startswith("overrides-") else key]
    return next(f for f in build(filters, catalogue, RequestGroups(filters)) if f.key == key)


# --- the register of overrides: each one, with the sheet the patient was given ---------------


@dataclass(frozen=True)
class OverrideEntry:
    when: datetime
    where: str  # "desk" or "EMR"
    clinician: str
    addon: str
    mrn: str
    workup_id: int | None
    reason: str
    text: str
    request_id: int | None = None
    sheet_at: datetime | None = None
    sheet_sha256: str = ""


def override_register(filters: Filters, catalogue: Catalogue, *, limit: int) -> list[OverrideEntry]:
    """The newest ``limit`` overrides of the period, desk and EMR merged, newest first."""
    from django.db.models import OuterRef, Subquery

    from .models import KeptPatientSheet

    start, end = filters.moments()
    latest_sheet = KeptPatientSheet.objects.filter(addon_request=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    desk = (
        AddonRequest.objects.filter(
            outcome=AddonRequest.Outcome.AGAINST_ADVICE,
            counselled_at__gte=start,
            counselled_at__lt=end,
        )
        .select_related("counselled_by", "workup__patient")
        .annotate(
            sheet_at=Subquery(latest_sheet.values("created_at")[:1]),
            sheet_sha256=Subquery(latest_sheet.values("sha256")[:1]),
        )
        .order_by("-counselled_at", "-pk")
    )
    emr = (
        CdsFeedback.objects.filter(
            outcome=CdsFeedback.Outcome.OVERRIDDEN, outcome_at__gte=start, outcome_at__lt=end
        )
        .select_related("card__clinician", "card__workup")
        .order_by("-outcome_at", "-pk")
    )
    if filters.clinician is not None:
        desk = desk.filter(counselled_by=filters.clinician)
        emr = emr.filter(card__clinician=filters.clinician)

    def name(user):
        return (user.get_full_name() or user.username) if user else ""

    def addon_name(code):
        entry = catalogue.addons.get(code)
        return entry.name if entry else code

    entries = [
        OverrideEntry(
            when=r.counselled_at,
            where="desk",
            clinician=name(r.counselled_by) or "unknown",
            addon=addon_name(r.addon_code),
            mrn=r.workup.patient.mrn,
            workup_id=r.workup_id,
            reason=REASON_LABELS.get(r.override_reason, NO_REASON),
            text=r.outcome_reason,
            request_id=r.pk,
            sheet_at=r.sheet_at,
            sheet_sha256=r.sheet_sha256 or "",
        )
        for r in desk[:limit]
    ]
    for f in emr[:limit]:
        card = f.card
        if f.override_reason:
            reason = REASON_LABELS[f.override_reason]
        elif f.other_reason_code:
            reason = f"{EMR_OWN}: {f.other_reason_display or f.other_reason_code}"
        else:
            reason = NO_REASON
        entries.append(
            OverrideEntry(
                when=f.outcome_at,
                where="EMR",
                clinician=name(card.clinician) or f"EMR user {card.emr_user}",
                addon=addon_name(card.addon_code) if card.addon_code else card.summary,
                mrn=card.mrn,
                workup_id=card.workup_id,
                reason=reason,
                text=f.user_comment,
            )
        )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]
