"""Which checklist steps have a findings form: those whose findings are described in
``evidence.findings`` (each finding once, with its step), plus ``response_review``, whose form
edits the records of previous stimulation cycles.

``HISTORY`` is the transfer history that drives the RIF label: not a checklist step, but recorded
the same way.
"""

from __future__ import annotations

from workup.evidence.findings import HISTORY, steps

# Steps whose form also edits the list of previous stimulation cycles.
WITH_CYCLES = {"response_review"}

# Every step with a findings form, in order.
FORM_STEPS: tuple[str, ...] = (*steps(), *sorted(WITH_CYCLES - set(steps())))

__all__ = ["FORM_STEPS", "HISTORY", "WITH_CYCLES"]
