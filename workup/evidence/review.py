"""The clinical lead's review screen: the queue of entries awaiting review, one entry with what
it says and what it changes for patients, and the confirmation (``store.record_review``).

The catalogue is small (about a hundred entries): the queue is read in one query (every kind
at once), whatever the number of work-ups.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import IntegerField, Value
from django.http import Http404
from django.utils.translation import gettext_lazy

from . import engine, requirements
from .catalogue import PILLAR_NAMES, STANCE_NAMES
from .models import ENTRY_MODELS, ReviewRecord, ReviewStatus, Source

KIND_NAMES = {
    "investigations": "Investigation",
    "next_steps": "Next step",
    "addons": "Add-on",
    "implantation_chances": "Implantation chance",
    "parameters": "Rule threshold",
    "statements": "Clinical statement",
}

# Columns shown elsewhere on the screen (or bookkeeping), not in "What it says".
NOT_CONTENT = {
    "id",
    "code",
    "name",
    "rank",
    "sources",
    "tags",
    "retired",
    "fixture_hash",
    "updated_at",
    *ENTRY_MODELS["parameters"].REVIEW_FIELDS,
}


@dataclass(frozen=True)
class QueueItem:
    kind: str
    code: str
    name: str
    review_status: str

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]


def in_use() -> list[QueueItem]:
    """Every entry in use (not retired), kind by kind, in list order: one query."""
    kinds = list(ENTRY_MODELS)
    first, *rest = [
        model.objects.filter(retired=False)
        .order_by()
        .annotate(kind_order=Value(n, IntegerField()))
        .values_list("kind_order", "rank", "code", "name", "review_status")
        for n, model in enumerate(ENTRY_MODELS.values())
    ]
    rows = first.union(*rest, all=True).order_by("kind_order", "rank", "code")
    return [QueueItem(kinds[k], code, name, review) for k, _rank, code, name, review in rows]


def queue(items: list[QueueItem], status: str | None = ReviewStatus.PENDING) -> list[QueueItem]:
    """The entries with this review status (None: all)."""
    return [i for i in items if status is None or i.review_status == status]


def counts(items: list[QueueItem]) -> dict[str, int]:
    """Entries awaiting review, by kind, and in all."""
    out = dict.fromkeys(ENTRY_MODELS, 0)
    for item in items:
        if item.review_status == ReviewStatus.PENDING:
            out[item.kind] += 1
    out["total"] = sum(out.values())
    return out


def get_entry(kind: str, code: str):
    model = ENTRY_MODELS.get(kind)
    if model is None:
        raise Http404(gettext_lazy("No such kind of catalogue entry."))
    try:
        return (
            model.objects.prefetch_related("sources").select_related("reviewed_by").get(code=code)
        )
    except model.DoesNotExist:
        raise Http404(gettext_lazy("No such catalogue entry.")) from None


def _words(field, value) -> str:
    if value in (None, "", [], {}):
        return "none"
    if field.name in ("stance", "eshre_stance"):
        return STANCE_NAMES.get(value, value)
    if field.name == "pillar":
        return PILLAR_NAMES.get(value, value)
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if field.name == "chance":
        return f"{value:.0%} ({value:g})"
    return str(value)


def content(entry) -> list[tuple[str, str]]:
    """What the entry says, field by field, in the model's order, in words."""
    out = []
    for field in entry._meta.concrete_fields:
        if field.name in NOT_CONTENT or field.name.endswith("_id"):
            continue
        label = str(field.verbose_name)
        out.append((label[:1].upper() + label[1:], _words(field, getattr(entry, field.name))))
    return out


def cited(entry) -> list[Source]:
    return list(entry.sources.all())


def tag_lines(entry) -> list[tuple[str, str]]:
    meaning = {"V": "read in a primary source", "S": "secondary source", "U": "unverified"}
    return [(part, f"{tag} ({meaning.get(tag, tag)})") for part, tag in sorted(entry.tags.items())]


def all_tags_verified(entry) -> bool:
    return bool(entry.tags) and all(t == "V" for t in entry.tags.values())


def open_workups_reached(kind: str, code: str) -> int | None:
    """How many open work-ups this entry reaches today (None: every assessment reads it)."""
    from workup.clinic.models import AddonRequest, ChecklistStep, WorkUp

    open_ = WorkUp.Status.OPEN
    if kind in ("investigations", "next_steps"):
        steps = ChecklistStep.objects.filter(code=code, workup__status=open_)
        return steps.values("workup").distinct().count()
    if kind == "addons":
        requests = AddonRequest.objects.filter(addon_code=code, workup__status=open_)
        return requests.values("workup").distinct().count()
    return None


def history(entry, limit: int = 20):
    records = ReviewRecord.objects.filter(kind=entry._meta.model_name, code=entry.code)
    return list(records[:limit])


def neighbours(items: list[QueueItem], kind: str, code: str):
    """(previous, next, position from 1 or None) of this entry in the queue."""
    keys = [(i.kind, i.code) for i in items]
    if (kind, code) not in keys:
        return None, (items[0] if items else None), None
    index = keys.index((kind, code))
    previous = items[index - 1] if index > 0 else None
    following = items[index + 1] if index + 1 < len(items) else None
    return previous, following, index + 1


def changed_since(entry, seen: str) -> str | None:
    """Who changed the entry since the lead opened it (``seen`` = its updated_at then)."""
    if entry.updated_at.isoformat() == seen:
        return None
    last = entry.history.first()
    # The actor as named when the change was made (the history keeps it).
    if last is None:
        return "someone"
    return last.history_user_full_name or last.history_username or "someone"


def readers(kind: str, code: str):
    return requirements.rules_reading(kind, code)


def needed_by_engine(kind: str, code: str) -> bool:
    if kind == "statements":
        return code in engine.all_statements()
    return kind == "parameters" and code in requirements.required_parameters()
