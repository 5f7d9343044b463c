"""The coded reasons for going ahead with an add-on against advice: one list, two uses.

The counselling form at the desk offers these choices, and the CDS Hooks cards offer the same
codes to the EMR as ``overrideReasons``; the EMR's feedback names one of them. So the dashboard
counts the desk and the EMR in the same words.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy

# The code system of the override reasons, as FHIR Codings carry it.
SYSTEM = "urn:rif-workup:addon-override-reason"


class OverrideReason(models.TextChoices):
    INFORMED_CHOICE = "informed_choice", gettext_lazy("Patient's informed choice after counselling")
    REGISTERED_TRIAL = "registered_trial", gettext_lazy("Part of a registered trial")
    CLINICAL_JUDGEMENT = (
        "clinical_judgement",
        gettext_lazy("Clinical judgement, with a stated indication"),
    )
    OTHER = "other", gettext_lazy("Other (say what)")


def coding(code: str) -> dict:
    """The FHIR Coding of a reason, as a CDS Hooks card offers it."""
    return {"system": SYSTEM, "code": code, "display": str(OverrideReason(code).label)}


def codings() -> list[dict]:
    return [coding(code) for code in OverrideReason.values]
