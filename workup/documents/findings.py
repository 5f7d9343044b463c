"""The stored findings in words, for the printed summary: "polyp found; no septum; ...".

This only puts recorded facts into words; it decides nothing. The words of each finding come
from its description (``evidence.findings``, ``describe_step``); here are only the records a
step holds beside its findings (the previous stimulation cycles) and the transfer history line.
Unknown stays "not recorded", which is not the same as "no".
"""

from __future__ import annotations

from django.utils.translation import gettext, ngettext

from workup.clinic.stimulation import cycle_words
from workup.evidence import findings as spec
from workup.evidence.facts import Facts

# Lazy: in the language of the page or document that prints it.
NOT_RECORDED = spec.NOT_RECORDED


def _join(parts: list[str]) -> str:
    return "; ".join(p for p in parts if p) or str(NOT_RECORDED)


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def transfer_history(facts: Facts) -> str:
    """The facts behind the RIF label, in one line."""
    if facts.failed_transfers is None:
        transfers = gettext("failed transfers not recorded")
    else:
        n = facts.failed_transfers
        transfers = ngettext("%(count)d failed transfer", "%(count)d failed transfers", n) % {
            "count": n
        }
        if facts.euploid_failed_transfers is not None:
            transfers += " " + gettext("(%(count)d euploid)") % {
                "count": facts.euploid_failed_transfers
            }
    if facts.miscarriages is None:
        losses = gettext("miscarriages not recorded")
    else:
        m = facts.miscarriages
        losses = ngettext("%(count)d miscarriage", "%(count)d miscarriages", m) % {"count": m}
    return _sentence_case(_join([transfers, losses]))


def _cycle(number: int, cycle) -> str:
    return gettext("cycle %(number)s: %(words)s") % {"number": number, "words": cycle_words(cycle)}


def _response_review(facts: Facts) -> str:
    cycles = facts.previous_cycles
    if cycles is None:
        return str(NOT_RECORDED)
    if not cycles:
        return gettext("no previous stimulation")
    return _join([_cycle(n, c) for n, c in enumerate(cycles, start=1)])


def describe(code: str, facts: Facts, findings_row=None) -> str:
    """The recorded findings of one investigation, in words; "Not recorded" when none are.

    An investigation the catalogue adds later has no findings of its own yet: "Not recorded".
    """
    if code == "response_review":
        return _sentence_case(_response_review(facts))
    return spec.describe_step(code, facts, findings_row)
