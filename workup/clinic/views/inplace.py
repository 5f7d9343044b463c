"""How a write on the work-up page answers: where the result is shown, and in which form.

A write answers in one of two ways, from the same templates:

- **Without JavaScript** (a plain form post): a refused save re-renders the whole page with an
  error summary at its top that links to each field; a successful one redirects to the spot of
  the page it came from (post/redirect/get), and the page drawn after the redirect shows the
  "saved" note there, with what changed in the advice. The note crosses the redirect in the
  session (``remember`` / ``recall``), with a digest of the advice as it was before.
- **With JavaScript** (``static/js/app.js`` posts the form with ``X-Requested-With: fetch``):
  the answer is the page's regions (the step, the banner, the advice column, sign-off, history,
  references) rendered by the server, which the script swaps in place. The script never
  computes advice; it moves the server's HTML and the focus.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext, gettext_lazy

from workup.evidence import store

from ..advice_delta import compare, digest
from ..assessment import assess_workup
from ..steps import HISTORY

SAVED_KEY = "workup_saved"
REGIONS_HEADER = "X-Workup-Regions"


def wants_regions(request) -> bool:
    """The page's script asked: answer with the regions to swap, not a whole page."""
    return request.headers.get("X-Requested-With") == "fetch"


def advice_before(workup, catalogue=None) -> dict:
    """A digest of today's advice for the work-up as loaded, taken before a write."""
    _, answer = assess_workup(workup, catalogue or store.get_catalogue())
    return digest(answer)


@dataclass
class Note:
    """The "saved" note of one write: where it is shown, its words, and the advice before."""

    anchor: str
    message: str
    level: str = "success"
    before: dict | None = None
    place: str = ""  # what the anchor is, for "Back to ..." ("Hysteroscopy")
    findings: bool = False  # a findings save: say so when the advice did not change

    def as_session(self, workup_pk: int) -> dict:
        return {
            "workup": workup_pk,
            "anchor": self.anchor,
            "message": self.message,
            "level": self.level,
            "before": self.before,
            "place": self.place,
            "findings": self.findings,
        }


def remember(request, workup, note: Note) -> None:
    request.session[SAVED_KEY] = note.as_session(workup.pk)


def recall(request, workup) -> Note | None:
    """The note a redirect brought for this work-up (shown once), or None."""
    stored = request.session.get(SAVED_KEY)
    if not isinstance(stored, dict) or stored.get("workup") != workup.pk:
        return None
    request.session.pop(SAVED_KEY)
    return Note(
        anchor=str(stored.get("anchor", "")),
        message=str(stored.get("message", "")),
        level=str(stored.get("level", "success")),
        before=stored.get("before"),
        place=str(stored.get("place", "")),
        findings=bool(stored.get("findings")),
    )


def note_context(note: Note | None, answer: dict) -> dict | None:
    """The note as the templates read it, with what changed from ``note.before`` to ``answer``."""
    if note is None:
        return None
    return {
        "anchor": note.anchor,
        "message": note.message,
        "level": note.level,
        "place": note.place,
        "findings": note.findings,
        "delta": compare(note.before, answer),
    }


# --- a refused save -----------------------------------------------------------------------------

# Where each form of the page lives, and what was not done, for the error summary's title.
REFUSED_WORDS = {
    "findings": ("step-", gettext_lazy("%(name)s: the findings were not saved")),
    "decisions": ("step-", gettext_lazy("%(name)s: the checklist decision was not saved")),
    "complete": ("step-", gettext_lazy("%(name)s: not marked done")),
    "track": ("next-", gettext_lazy("%(name)s: not tracked")),
    "addon": ("addon-request", gettext_lazy("The add-on request was not recorded")),
    "counselling": ("addon-", gettext_lazy("%(name)s: the counselling outcome was not saved")),
    "withdraw": ("addon-", gettext_lazy("%(name)s: the request was not withdrawn")),
    "sign": ("sign-off", gettext_lazy("The work-up was not signed")),
}


def _title(words, name: str) -> str:
    words = str(words)
    return words % {"name": name} if "%(name)s" in words else words


def _name(group: str, code: str, catalogue) -> str:
    if group in ("findings", "decisions") and code == HISTORY:
        return gettext("Transfer history")
    for book in (catalogue.investigations, catalogue.next_steps, catalogue.addons):
        if code in book:
            return book[code].name
    return code


def refusal(bound: dict | None, catalogue) -> dict | None:
    """The refused form of this answer, for the error summary: its title, where it is, its id.

    ``bound`` is the page's ``{"group:code": form}`` of POSTed forms (``cycles`` rides with the
    findings form of its step).
    """
    for key, form in (bound or {}).items():
        if key == "cycles" or not form.errors:
            continue
        group, _, code = key.partition(":")
        where, title = REFUSED_WORDS.get(group, ("", gettext_lazy("Not saved")))
        anchor = where + code if where.endswith("-") else where
        return {
            "form": form,
            "formset": bound.get("cycles") if group == "findings" else None,
            "title": _title(title, _name(group, code, catalogue)),
            "anchor": anchor,
            "summary_id": f"errors-{form.prefix or group}",
        }
    cycles = (bound or {}).get("cycles")
    if cycles is not None and (cycles.non_form_errors() or any(f.errors for f in cycles)):
        form = next(v for k, v in bound.items() if k.startswith("findings:"))
        code = form.prefix
        return {
            "form": form,
            "formset": cycles,
            "title": _title(REFUSED_WORDS["findings"][1], _name("findings", code, catalogue)),
            "anchor": f"step-{code}",
            "summary_id": f"errors-{form.prefix}",
        }
    return None
