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
from workup.clinic.presenters import pillar_groups, workup_context
from workup.clinic.signed import counselling_entry, document_texts
from workup.evidence.catalogue import PENDING
from workup.evidence.presenting import advice_lists, number_sources, step_kind

from .findings import NOT_RECORDED, describe, transfer_history

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


def frozen_parts(workup: WorkUp, context: dict) -> dict:
    """The record the documents print: as signed for a signed work-up, else as it is now.

    Findings in words, checklist rows, counselling outcomes and catalogue texts come from the
    signed record when it holds them (``clinic.signed``); a row signed before the record was kept
    falls back to today's, part by part.
    """
    record = context["signed"]
    catalogue = context["catalogue"]
    answer = context["answer"]
    steps = {s.code: s for s in workup.steps.all()}
    today = timezone.localdate()
    if record is not None and record.complete:
        words = record.findings
        return {
            "steps": record.steps,
            "transfer_history": words.get("transfer_history", ""),
            "failed_transfers": words.get("failed_transfers"),
            "describe": lambda code: words.get("steps", {}).get(code, NOT_RECORDED),
            "counselling": record.counselling or {},
            "texts": record.texts or document_texts(answer, catalogue),
            "today": timezone.localtime(workup.signed_at).date() if workup.signed_at else today,
        }
    facts = context["facts"]
    findings_row = getattr(workup, "findings", None)
    return {
        "steps": steps,
        "transfer_history": transfer_history(facts),
        "failed_transfers": facts.failed_transfers,
        "describe": lambda code: describe(code, facts, findings_row),
        "counselling": {code: counselling_entry(r) for code, r in context["requests"].items()},
        "texts": (record.texts if record and record.texts else None)
        or document_texts(answer, catalogue),
        "today": today,
    }


def signing_note(context: dict) -> dict:
    return {
        "advice_changes": context["advice_changes"],
        "catalogue_updated": context["catalogue_updated"],
        "signed_stamp": context["signed_stamp"],
    }


def summary_context(workup: WorkUp, *, pdf: bool = False) -> dict:
    context = workup_context(workup)
    answer = context["answer"]
    parts = frozen_parts(workup, context)
    steps = parts["steps"]
    groups = pillar_groups(answer["checklist"], steps, parts["texts"].get("step_names", {}))

    pillars = []
    for group in groups:
        rows = [
            {
                "item": entry["item"],
                "step": entry["step"],
                "status": entry["status"],
                "findings": parts["describe"](entry["item"]["code"]),
            }
            for entry in group["items"]
        ]
        pillars.append({**group, "rows": rows})

    next_steps = [{"step": step, "row": steps.get(step["code"])} for step in answer["next_steps"]]
    addons = [
        {"flag": flag, "counselling": parts["counselling"].get(flag["code"])}
        for flag in answer["addon_flags"]
    ]
    title = (
        f"Consultation summary: {workup.patient.mrn} {workup.patient.name}, "
        f"work-up {date_format(workup.date, 'j M Y')}"
    )
    return {
        **_document(workup, context, kind="summary", title=title, pdf=pdf),
        **signing_note(context),
        "transfer_history": parts["transfer_history"],
        "findings_pillars": pillars,
        "next_steps": next_steps,
        "addons": addons,
        "addenda": list(workup.addenda.select_related("author")),
        "file_name": file_name("summary", workup),
    }


def _plain_step(step: dict, answer: dict, plain: dict, row, today) -> dict:
    """A next step for the patient: the catalogue's plain text, and when it is booked.

    Only dates still ahead are given (ahead of the day of signing, for a signed sheet): a
    booking or target date already past (an overdue step) is the coordinator's to chase, and
    would only puzzle the patient.
    """
    kind = step_kind(step, answer)
    booked_for = planned_by = None
    if row is not None and row.is_open:
        if row.scheduled_for and row.scheduled_for >= today:
            booked_for = row.scheduled_for
        elif row.due_date and row.due_date >= today and not row.scheduled_for:
            planned_by = row.due_date
    return {
        "code": step["code"],
        "kind": kind,
        "name": step["name"],
        # The step's own words for this patient where the engine gave them (the APS treatment
        # without a recommendation says so), else the catalogue's plain text as signed.
        "plain": step.get("plain") or plain.get(step["code"], ""),
        "pending_review": step["review"] == PENDING,
        "sources": step["sources"],
        "booked_for": booked_for,
        "planned_by": planned_by,
    }


def handout_context(workup: WorkUp, *, pdf: bool = False) -> dict:
    context = workup_context(workup)
    answer = context["answer"]
    sources = context["sources"]
    parts = frozen_parts(workup, context)
    texts = parts["texts"]
    plain = texts.get("plain", {})
    steps = parts["steps"]
    today = parts["today"]

    addons = []
    for flag in answer["addon_flags"]:
        entry = texts.get("addons", {}).get(flag["code"], {})
        verdict = flag.get("verdict") or {}
        addons.append(
            {
                "code": flag["code"],
                "name": flag["name"],
                "flagged": flag["flagged"],
                "is_test": entry.get("kind") == "test",
                "plain_what": entry.get("plain_what", ""),
                "plain_evidence": entry.get("plain_evidence", ""),
                "plain_risks": entry.get("plain_risks", ""),
                "pending_review": flag["review"] == PENDING,
                "sources": flag["sources"],
                # What this add-on is for this patient, in the catalogue's plain words: the
                # strength of the APS treatment, or both views where ESHRE and the HFEA differ.
                "for_you": verdict.get("plain", ""),
            }
        )

    advice = advice_lists(answer)
    plan = []
    for pillar, heading in HANDOUT_PILLARS:
        planned = [
            _plain_step(step, answer, plain, steps.get(step["code"]), today)
            for step in advice["investigations"] + advice["actions"]
            if step["pillar"] == pillar
        ]
        done = [
            plain.get(item["code"]) or item["name"]
            for item in answer["checklist"]
            if item["pillar"] == pillar and item["status"] == "done"
        ]
        plan.append(
            {
                "code": pillar,
                "heading": heading,
                "tests": [s for s in planned if s["kind"] == "investigation"],
                "steps": [s for s in planned if s["kind"] != "investigation"],
                "done": done,
            }
        )

    numbers = number_sources(
        [k for a in addons for k in a["sources"]]
        + [k for p in plan for s in p["tests"] + p["steps"] for k in s["sources"]],
        known=sources,
    )
    title = "Your plan, and the add-ons you asked about" if addons else "Your plan"
    title = f"{title}: {workup.patient.name}"
    return {
        **_document(workup, context, kind="handout", title=title, pdf=pdf),
        "handout_addons": addons,
        "plan": plan,
        "any_pending_review": any(a["pending_review"] for a in addons)
        or any(s["pending_review"] for p in plan for s in p["tests"] + p["steps"]),
        "failed_transfers": parts["failed_transfers"],
        "ref_numbers": numbers,
        "references": [(n, sources[k]) for k, n in numbers.items()],
        "file_name": file_name("patient-sheet", workup),
    }
