"""How an engine answer is split and labelled for reading: one place, used by every template.

The work-up page, the consultation summary and the patient sheet all show the answer the same
way: "investigations still to do" (the pending checklist, each once) apart from "actions from
findings", review status and citations beside every claim, and the catalogue's review count.
Signed work-ups show a frozen answer that may predate some fields; every function here reads
such an answer too (a documented fallback, never a second rule elsewhere).
"""

from __future__ import annotations

from collections.abc import Container, Iterable

from django.utils.translation import gettext

from .catalogue import PENDING, VERIFIED

INVESTIGATION = "investigation"
ACTION = "action"

# pgta (the checklist step) and pgta_discuss (the older action) are one piece of advice.
SAME_ADVICE = {"pgta_discuss": "pgta"}


def step_kind(step: dict, answer: dict | None = None) -> str:
    """``investigation`` or ``action``. Answers carry ``kind``; for one without it, a step whose
    code is on the answer's checklist is an investigation, anything else an action."""
    kind = step.get("kind")
    if kind in (INVESTIGATION, ACTION):
        return kind
    checklist = {item["code"] for item in (answer or {}).get("checklist", ())}
    return INVESTIGATION if step.get("code") in checklist else ACTION


def advice_lists(answer: dict, steps: list | None = None) -> dict[str, list]:
    """The answer's next steps as two lists, in priority order, each piece of advice once.

    ``steps`` may be the caller's own wrapping of the next steps (dicts with the step under
    ``"step"``, as the summary has them); by default the answer's next steps themselves.
    """
    items = steps if steps is not None else list(answer.get("next_steps", ()))

    def step_of(item):
        return item["step"] if isinstance(item, dict) and "step" in item else item

    codes = {step_of(i)["code"] for i in items}
    out: dict[str, list] = {"investigations": [], "actions": []}
    for item in items:
        step = step_of(item)
        if SAME_ADVICE.get(step["code"]) in codes:
            continue  # said once, by the step it duplicates
        kind = step_kind(step, answer)
        out["investigations" if kind == INVESTIGATION else "actions"].append(item)
    return out


def catalogue_line(block: dict | None) -> str:
    """ "Evidence catalogue 2026.2 (revision 3): 40 of 108 entries verified, 2 of them confirmed
    by the clinical lead; 68 pending clinical review." Counted from the catalogue the answer was
    drawn from, never a date that would read as if every entry were reviewed. In the active
    language (the page's or the document's)."""
    if not block:
        return ""
    if block.get("revision"):
        line = gettext("Evidence catalogue %(version)s (revision %(revision)s)") % {
            "version": block.get("version", ""),
            "revision": block["revision"],
        }
    else:
        line = gettext("Evidence catalogue %(version)s") % {"version": block.get("version", "")}
    if "entries" not in block:
        # An answer stored before the counts existed: say what is known, no more.
        return gettext("%(line)s: review counts not recorded with this answer.") % {"line": line}
    return gettext(
        "%(line)s: %(verified)s of %(entries)s entries verified, %(confirmed)s of them confirmed "
        "by the clinical lead; %(pending)s pending clinical review."
    ) % {
        "line": line,
        "verified": block["verified"],
        "entries": block["entries"],
        "confirmed": block["confirmed_by_lead"],
        "pending": block["pending"],
    }


def warning_items(answer: dict) -> list[dict]:
    """The warnings to show, each with its review status and sources where it is a catalogue
    statement (``cautions``); a warning about missing facts has neither."""
    cautions = list(answer.get("cautions", ()))
    texts = {c["text"] for c in cautions}
    plain = [
        {"text": w, "review": None, "sources": []}
        for w in answer.get("warnings", ())
        if w not in texts
    ]
    return plain + cautions


def is_pending(item: dict) -> bool:
    return item.get("review") == PENDING


def step_entry(step: dict, catalogue):
    """The catalogue entry a next step of the answer is (an investigation or an action)."""
    book = catalogue.investigations if step_kind(step) == INVESTIGATION else catalogue.next_steps
    return book.get(step.get("code"))


def lead_confirmation(entry) -> str:
    """The day (ISO) the clinical lead confirmed this entry in the app, or "" if they have not."""
    if entry is None or entry.review != VERIFIED or not entry.reviewed_by:
        return ""
    return entry.reviewed_on or "?"


def review_words(review: str | None, *, confirmed_on: str | None = None) -> str:
    """A review status in words, as the catalogue line counts it: *verified* means every part
    was read in a primary source (the reference's V tags); the clinical lead's confirmation in
    the app is counted apart and said only when it happened.

    ``confirmed_on``: the day the lead confirmed the entry (``lead_confirmation``), "" when
    they have not, None when it is not known (a status drawn from several entries, or a record
    that did not keep it): then no more than "verified" is said.
    """
    if review != VERIFIED:
        return "Pending clinical review"
    if confirmed_on is None:
        return "verified"
    if not confirmed_on:
        return (
            "verified against the primary source in the clinical reference; "
            "not yet confirmed by the clinical lead"
        )
    return f"verified; confirmed by the clinical lead on {_day(confirmed_on)}"


def _day(iso: str) -> str:
    from django.utils.dateparse import parse_date
    from django.utils.formats import date_format

    try:
        day = parse_date(iso)
    except ValueError:
        day = None
    return date_format(day, "j M Y") if day else "a date not recorded"


def number_sources(keys_in_order: Iterable[str], known: Container[str] | None = None) -> dict:
    """The one numbering of references, for every page and document: each source numbered by
    its first citation, so [1] comes before [2] down the page. ``keys_in_order`` is the reading
    order of that page (``engine.cited_sources`` for the work-up page and the summary, the
    sheet's own order for the patient sheet); keys not in ``known`` (a source a signed record
    did not keep) are left unnumbered. The mapping is in number order: ``numbers.items()``
    reads as the reference list."""
    numbers: dict[str, int] = {}
    for key in keys_in_order:
        if key not in numbers and (known is None or key in known):
            numbers[key] = len(numbers) + 1
    return numbers
