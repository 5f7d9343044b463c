"""Shapes queue rows for the pages, the CSV and the digest; no clinical logic here.

Step names come from the evidence catalogue (an investigation's code, or a next step's code for a
tracked action), never from code in this app.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.urls import reverse

from workup.clinic.models import ChecklistStep
from workup.evidence.catalogue import PILLAR_NAMES, Catalogue

from .queries import person_name


def step_name(catalogue: Catalogue, *, code: str, kind: str) -> str:
    entries = (
        catalogue.next_steps if kind == ChecklistStep.Kind.ACTION else catalogue.investigations
    )
    entry = entries.get(code)
    return entry.name if entry is not None else code.replace("_", " ").capitalize()


def step_choices(catalogue: Catalogue) -> list:
    """Grouped choices for a step filter: investigations, then tracked next steps."""
    return [
        ("Investigations", [(code, e.name) for code, e in catalogue.investigations.items()]),
        ("Tracked next steps", [(code, e.name) for code, e in catalogue.next_steps.items()]),
    ]


@dataclass(frozen=True)
class QueueRow:
    step: ChecklistStep
    name: str
    days_overdue: int

    @property
    def patient(self):
        return self.step.workup.patient

    @property
    def pillar(self) -> str:
        return PILLAR_NAMES.get(self.step.pillar, self.step.pillar)

    @property
    def assignee(self) -> str:
        return person_name(self.step.assignee)

    @property
    def clinician(self) -> str:
        return person_name(self.step.workup.clinician)

    @property
    def url(self) -> str:
        """The work-up page, at the step's row where the checklist shows it."""
        investigation = self.step.kind == ChecklistStep.Kind.INVESTIGATION
        anchor = f"#step-{self.step.code}" if investigation else ""
        return reverse("clinic:workup_detail", args=[self.step.workup_id]) + anchor

    @property
    def selection(self) -> str:
        """The value a row's checkbox sends: the step and the version the page was drawn from."""
        return f"{self.step.pk}:{self.step.version}"

    @property
    def label(self) -> str:
        return f"{self.patient.mrn} · {self.name}"


def iter_queue_rows(steps: Iterable[ChecklistStep], *, catalogue: Catalogue, today: date):
    """Rows one at a time, so that a large export never holds the whole list."""
    for step in steps:
        yield QueueRow(
            step=step,
            name=step_name(catalogue, code=step.code, kind=step.kind),
            days_overdue=step.days_overdue(today),
        )


def count_chips(counts: dict, *, filters) -> dict:
    """The counts as labelled chips; ``active`` marks a chip whose filter is on."""
    return {
        "status": [
            {
                "code": code,
                "label": ChecklistStep.Status(code).label,
                "count": n,
                "active": filters.status == code,
            }
            for code, n in counts["by_status"].items()
        ],
        "pillar": [
            {
                "code": code,
                "label": PILLAR_NAMES.get(code, code),
                "count": n,
                "active": filters.pillar == code,
            }
            for code, n in counts["by_pillar"].items()
        ],
    }


def queue_rows(steps, *, catalogue: Catalogue, today: date) -> list[QueueRow]:
    return list(iter_queue_rows(steps, catalogue=catalogue, today=today))
