"""What a save changed in the advice, so the page can point at it.

Before a write, the view keeps a small ``digest`` of the engine's answer (the RIF label, and one
fingerprint per next step, add-on flag and classification); after it, ``compare`` lays the new
answer beside that digest: which next steps and flags are new, changed or gone, and whether the
label moved. Nothing here decides anything clinical: it compares two answers the engine gave.

The digest is plain JSON (a few hundred bytes), so a save without JavaScript can keep it in the
session across its redirect and the page drawn after the redirect can still say what changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from django.utils.translation import gettext, gettext_lazy, ngettext

from workup.evidence.presenting import INVESTIGATION, SAME_ADVICE, step_kind

# What a reader would notice changing in each part of the answer (bookkeeping such as priority
# numbers or the facts a classification used is left out).
STEP_PARTS = ("name", "kind", "trigger", "summary", "stance", "review", "unverified_detail")
FLAG_PARTS = (
    "name",
    "flagged",
    "stance",
    "stance_note",
    "hfea",
    "hfea_note",
    "review",
    "verdict",
    "indicated_reason",
    "risks",
)
CLASS_PARTS = ("value", "subgroup", "reason", "review")


def _fingerprint(item: dict, parts) -> str:
    text = json.dumps([item.get(p) for p in parts], sort_keys=True, default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def digest(answer: dict) -> dict:
    """The parts of an answer a reader would notice changing, small enough for the session."""
    rif = answer.get("rif") or {}
    details = (answer.get("classification") or {}).get("details") or {}
    steps = {}
    codes = {s["code"] for s in answer.get("next_steps", ())}
    for step in answer.get("next_steps", ()):
        if SAME_ADVICE.get(step["code"]) in codes:
            continue  # shown once, as the step it duplicates
        steps[step["code"]] = {
            "name": step.get("name", step["code"]),
            "kind": step_kind(step, answer),
            "print": _fingerprint(step, STEP_PARTS),
        }
    return {
        "rif": {"label": rif.get("label"), "chance": rif.get("cumulative_chance")},
        "steps": steps,
        "flags": {
            f["code"]: {"name": f.get("name", f["code"]), "print": _fingerprint(f, FLAG_PARTS)}
            for f in answer.get("addon_flags", ())
        },
        "classes": {key: _fingerprint(d or {}, CLASS_PARTS) for key, d in details.items()},
    }


@dataclass
class AdviceDelta:
    """The difference between the advice before a save and after it.

    ``steps``, ``flags`` and ``classes`` map a code to "new" or "changed" (for the highlight);
    ``new``, ``changed`` and ``removed`` list them in reading order with their names (for the
    words); ``rif_was`` is the label and chance before, when either moved.
    """

    known: bool = False  # False: no advice from before the save to compare with
    rif_was: dict | None = None
    steps: dict[str, str] = field(default_factory=dict)
    flags: dict[str, str] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)
    new: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.rif_was or self.steps or self.flags or self.classes or self.removed)

    @property
    def summary(self) -> str:
        """In a few words: "RIF label; Hysteroscopic polypectomy (new); POSEIDON, Bologna poor
        responder (changed)", or counts where more than six items moved."""
        parts = [gettext("RIF label")] if self.rif_was else []
        groups = [(w, i) for w, i in (("new", self.new), ("changed", self.changed)) if i]
        groups += [("removed", self.removed)] if self.removed else []
        if sum(len(items) for _, items in groups) <= 6:
            parts += [
                _GROUP_WORDS[w] % {"names": ", ".join(str(i["name"]) for i in items)}
                for w, items in groups
            ]
        else:
            parts.append(", ".join(_group_count(w, len(items)) for w, items in groups))
        return "; ".join(parts)

    @property
    def first_anchor(self) -> str:
        """Where the first highlighted item of the advice column is."""
        for entry in (*self.new, *self.changed):
            return entry["anchor"]
        return ""


_GROUP_WORDS = {
    "new": gettext_lazy("%(names)s (new)"),
    "changed": gettext_lazy("%(names)s (changed)"),
    "removed": gettext_lazy("%(names)s (no longer listed)"),
}


def _group_count(words: str, count: int) -> str:
    if words == "new":
        return ngettext("%(count)d new", "%(count)d new", count) % {"count": count}
    if words == "changed":
        return ngettext("%(count)d changed", "%(count)d changed", count) % {"count": count}
    return ngettext("%(count)d no longer listed", "%(count)d no longer listed", count) % {
        "count": count
    }


CLASS_NAMES = {
    "poseidon_group": "POSEIDON",
    "bologna_poor_responder": gettext_lazy("Bologna poor responder"),
    "hyper_response_risk": gettext_lazy("Hyper-response risk"),
}


def _words(kind: str, entry: dict) -> str:
    """What an item is, as the column heads it: an investigation still to do, a next step (an
    action from findings), or an add-on."""
    if kind == "flags":
        return gettext("add-on")
    return gettext("investigation") if entry.get("kind") == INVESTIGATION else gettext("next step")


def compare(before: dict | None, answer: dict) -> AdviceDelta:
    """What changed from the digest ``before`` to ``answer``; nothing when there is no before."""
    delta = AdviceDelta(known=bool(before))
    if not before:
        return delta
    after = digest(answer)
    if after["rif"] != before.get("rif"):
        delta.rif_was = before.get("rif")
    for kind, anchor in (("steps", "next-"), ("flags", "addon-")):
        old, new = before.get(kind) or {}, after[kind]
        marks = getattr(delta, kind)
        for code, entry in new.items():
            words = _words(kind, entry)
            item = {"code": code, "name": entry["name"], "anchor": f"{anchor}{code}", "what": words}
            if code not in old:
                marks[code] = "new"
                delta.new.append(item)
            elif old[code]["print"] != entry["print"]:
                marks[code] = "changed"
                delta.changed.append(item)
        for code, entry in old.items():
            if code not in new:
                delta.removed.append(
                    {"code": code, "name": entry["name"], "what": _words(kind, entry)}
                )
    old_classes = before.get("classes") or {}
    for key, print_ in after["classes"].items():
        if key in old_classes and old_classes[key] != print_:
            delta.classes[key] = "changed"
            delta.changed.append(
                {
                    "code": key,
                    "name": CLASS_NAMES.get(key, key.replace("_", " ").capitalize()),
                    "anchor": f"class-{key}",
                    "what": gettext("classification"),
                }
            )
    return delta
