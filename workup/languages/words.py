"""Words the pages show for codes (roles, statuses, stances, pillars, review states), marked
for translation once, here; templates read them through ``workup_tags``' filters.

The codes and their English names stay where they are defined (``evidence.catalogue``, which
the pure engine reads without Django); these are the same names as the interface shows them.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ROLES = {
    "clinician": _("clinician"),
    "coordinator": _("coordinator"),
    "lead": _("lead"),
    "lab_interface": _("lab interface"),
}

PILLARS = {
    "general": pgettext_lazy("pillar", "General"),
    "embryo": pgettext_lazy("pillar", "Embryo"),
    "uterus": pgettext_lazy("pillar", "Uterus"),
    "stimulation": pgettext_lazy("pillar", "Stimulation"),
}

STANCES = {
    "recommended": _("Recommended"),
    "consider": _("Consider"),
    "not_routine": _("Not routine"),
    "not_recommended": _("Not recommended"),
    None: _("Stance pending review"),
}

STATUSES = {
    "pending": _("Pending"),
    "scheduled": _("Scheduled"),
    "awaiting_findings": _("Result received, awaiting findings"),
    "done": _("Done"),
    "not_indicated": _("Not indicated"),
}
