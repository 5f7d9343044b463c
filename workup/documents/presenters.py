"""What the summary, its PDF and the patient sheet show: the work-up page's context, reshaped.

Everything clinical comes from ``clinic.presenters.workup_context``, the engine's answer for the
stored facts, and from the catalogue entries that answer names. Nothing here decides anything:
it groups, orders and labels what the engine already said, and puts recorded facts into words.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format

from workup.clinic.models import WorkUp
from workup.clinic.presenters import workup_context
from workup.clinic.templatetags.workup_tags import HFEA_MEANING
from workup.evidence.catalogue import PENDING

from .findings import describe, transfer_history

# The patient sheet follows the work-up's three pillars, then general health (where the
# antiphospholipid and thyroid steps live), in words a patient uses.
HANDOUT_PILLARS = (
    ("embryo", "Your embryos"),
    ("uterus", "Your womb"),
    ("stimulation", "Your ovaries and the fertility medicines"),
    ("general", "Your general health"),
)


def person_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def identity(workup: WorkUp) -> str:
    """The line on every page: enough to match a loose page to its patient."""
    patient = workup.patient
    born = date_format(patient.birth_date, "j M Y")
    return f"{patient.mrn} · {patient.name} · born {born}"


def file_name(kind: str, workup: WorkUp) -> str:
    """``rif-summary-DEMO-000042-2026-11-24.pdf``: MRN (letters, digits, hyphens) and date."""
    return f"rif-{kind}-{workup.patient.mrn}-{workup.date.isoformat()}.pdf"


def number_sources(keys_in_order) -> tuple[dict[str, int], list[str]]:
    """Numbers sources by first citation, so [1] comes before [2] down the page."""
    ordered: list[str] = []
    for key in keys_in_order:
        if key not in ordered:
            ordered.append(key)
    return {k: n for n, k in enumerate(ordered, start=1)}, ordered


def status_line(workup: WorkUp, kind: str) -> str:
    """Signed or not, in the words of the document (the patient sheet avoids "DRAFT")."""
    signed_on = ""
    if workup.signed_at:
        signed_on = date_format(timezone.localtime(workup.signed_at), "j M Y")
    who = person_name(workup.signed_by)
    if kind == "handout":
        if workup.is_signed:
            return f"Signed off {signed_on} by {who}"
        return "Draft: not yet signed off"
    if workup.is_signed:
        return f"Signed {signed_on} by {who}"
    return "DRAFT: not signed"


def page_context(workup: WorkUp, kind: str) -> dict:
    """What the browser prints in the page margins (the PDF takes it from the page itself)."""
    return {
        "identity_line": identity(workup),
        "status_line": status_line(workup, kind),
        "clinic_name": settings.CLINIC_NAME,
    }


def _document(workup: WorkUp, context: dict, *, kind: str, title: str, pdf: bool) -> dict:
    signed = workup.is_signed
    return {
        **page_context(workup, kind),
        "kind": kind,
        **context,
        "pdf": pdf,
        "draft": not signed,
        "clinic_address": settings.CLINIC_ADDRESS,
        "document_title": title,
        "author": person_name(workup.clinician),
        "clinician_name": person_name(workup.clinician),
        "signed_by_name": person_name(workup.signed_by) if signed else "",
        # The day, not the minute: the exact time of each download is in the audit record. A PDF
        # is dated by its content (the work-up's last change), not by the day it is read, so
        # that it can be rendered ahead and kept by the hash of its content.
        "generated_at": timezone.localtime(workup.updated_at).date()
        if pdf and workup.updated_at
        else timezone.localdate(),
    }


def summary_context(workup: WorkUp, *, pdf: bool = False) -> dict:
    context = workup_context(workup)
    facts = context["facts"]
    answer = context["answer"]
    findings_row = getattr(workup, "findings", None)
    steps = {s.code: s for s in workup.steps.all()}

    pillars = []
    for group in context["pillars"]:
        rows = [
            {
                "item": entry["item"],
                "step": entry["step"],
                "findings": describe(entry["item"]["code"], facts, findings_row),
            }
            for entry in group["items"]
        ]
        pillars.append({**group, "rows": rows})

    next_steps = [{"step": step, "row": steps.get(step["code"])} for step in answer["next_steps"]]
    addon_requests = context["requests"]
    addons = [
        {
            "flag": flag,
            "request": addon_requests.get(flag["code"]),
            "hfea_meaning": HFEA_MEANING.get(flag["hfea"] or ""),
        }
        for flag in answer["addon_flags"]
    ]
    signed_version = workup.signed_catalogue_version
    title = (
        f"Consultation summary: {workup.patient.mrn} {workup.patient.name}, "
        f"work-up {date_format(workup.date, 'j M Y')}"
    )
    return {
        **_document(workup, context, kind="summary", title=title, pdf=pdf),
        "transfer_history": transfer_history(facts),
        "findings_pillars": pillars,
        "next_steps": next_steps,
        "addons": addons,
        "addenda": list(workup.addenda.select_related("author")),
        "catalogue_changed_since_signing": bool(
            workup.is_signed and signed_version and signed_version != answer["catalogue"]["version"]
        ),
        "file_name": file_name("summary", workup),
    }


def _plain_step(step: dict, catalogue, row, today) -> dict:
    """A next step for the patient: the catalogue's plain text, and when it is booked.

    Only dates still ahead are given: a booking or target date already past (an overdue step)
    is the coordinator's to chase, and would only puzzle the patient.
    """
    if step["kind"] == "investigation":
        entry = catalogue.investigations.get(step["code"])
    else:
        entry = catalogue.next_steps.get(step["code"])
    booked_for = planned_by = None
    if row is not None and row.is_open:
        if row.scheduled_for and row.scheduled_for >= today:
            booked_for = row.scheduled_for
        elif row.due_date and row.due_date >= today and not row.scheduled_for:
            planned_by = row.due_date
    return {
        "code": step["code"],
        "name": step["name"],
        "plain": getattr(entry, "plain", "") or "",
        "pending_review": step["review"] == PENDING,
        "sources": step["sources"],
        "booked_for": booked_for,
        "planned_by": planned_by,
    }


def handout_context(workup: WorkUp, *, pdf: bool = False) -> dict:
    context = workup_context(workup)
    answer = context["answer"]
    catalogue = context["catalogue"]
    steps = {s.code: s for s in workup.steps.all()}
    today = timezone.localdate()

    addons = []
    for flag in answer["addon_flags"]:
        entry = catalogue.addons[flag["code"]]
        addons.append(
            {
                "code": flag["code"],
                "name": flag["name"],
                "flagged": flag["flagged"],
                "is_test": entry.kind == "test",
                "plain_what": entry.plain_what,
                "plain_evidence": entry.plain_evidence,
                "plain_risks": entry.plain_risks,
                "pending_review": flag["review"] == PENDING,
                "sources": flag["sources"],
            }
        )

    plan = []
    for pillar, heading in HANDOUT_PILLARS:
        planned = [
            _plain_step(step, catalogue, steps.get(step["code"]), today)
            for step in answer["next_steps"]
            if step["pillar"] == pillar
        ]
        done = [
            catalogue.investigations[item["code"]].plain or item["name"]
            for item in answer["checklist"]
            if item["pillar"] == pillar
            and item["status"] == "done"
            and item["code"] in catalogue.investigations
        ]
        plan.append({"code": pillar, "heading": heading, "steps": planned, "done": done})

    numbers, keys = number_sources(
        [k for a in addons for k in a["sources"]]
        + [k for p in plan for s in p["steps"] for k in s["sources"]]
    )
    title = "Your plan, and the add-ons you asked about" if addons else "Your plan"
    title = f"{title}: {workup.patient.name}"
    return {
        **_document(workup, context, kind="handout", title=title, pdf=pdf),
        "handout_addons": addons,
        "plan": plan,
        "any_pending_review": any(a["pending_review"] for a in addons)
        or any(s["pending_review"] for p in plan for s in p["steps"]),
        "failed_transfers": context["facts"].failed_transfers,
        "ref_numbers": numbers,
        "references": [(numbers[k], catalogue.sources[k]) for k in keys],
        "file_name": file_name("patient-sheet", workup),
    }
