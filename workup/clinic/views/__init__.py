"""Pages of the clinical record. Thin: permission, form, service call, redirect."""

from .health import healthz
from .home import home
from .patients import patient_create, patient_detail, patient_edit, patient_list, workup_create
from .stimulation import preview_plan, record_plan
from .workups import (
    add_addon,
    complete_step,
    counsel_addon,
    decide,
    preview_step,
    record_step,
    sign,
    track,
    withdraw_addon,
    workup_detail,
    workup_history,
)

__all__ = [
    "add_addon",
    "complete_step",
    "counsel_addon",
    "decide",
    "healthz",
    "home",
    "patient_create",
    "patient_detail",
    "patient_edit",
    "patient_list",
    "preview_plan",
    "preview_step",
    "record_plan",
    "record_step",
    "sign",
    "track",
    "withdraw_addon",
    "workup_create",
    "workup_detail",
    "workup_history",
]
