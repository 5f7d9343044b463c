"""What the summary, its PDF and the patient sheet show: the work-up page's context, reshaped.

Everything clinical comes from ``clinic.presenters.workup_context``, the engine's answer for the
stored facts, and from the catalogue entries that answer names. Nothing here decides anything:
it groups, orders and labels what the engine already said, and puts recorded facts into words.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, override

from workup.clinic.models import WorkUp
from workup.clinic.presenters import pillar_groups, workup_context
from workup.clinic.signed import counselling_entry, document_texts
from workup.evidence.presenting import number_sources

from .findings import NOT_RECORDED, describe, transfer_history
from .sheet import english_sheet, sheet_context, sheet_texts


def person_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def identity(workup: WorkUp) -> str:
    """The line on every page: enough to match a loose page to its patient."""
    patient = workup.patient
    born = date_format(patient.birth_date)
    return gettext("%(mrn)s · %(name)s · born %(born)s") % {
        "mrn": patient.mrn,
        "name": patient.name,
        "born": born,
    }


def file_name(kind: str, workup: WorkUp) -> str:
    """``rif-summary-DEMO-000042-2026-11-24.pdf``: MRN (letters, digits, hyphens) and date."""
    return f"rif-{kind}-{workup.patient.mrn}-{workup.date.isoformat()}.pdf"


def status_line(workup: WorkUp, kind: str) -> str:
    """Signed or not, in the words of the document (the patient sheet avoids "DRAFT")."""
    signed_on = ""
    if workup.signed_at:
        signed_on = date_format(timezone.localtime(workup.signed_at))
    who = person_name(workup.signed_by)
    if kind == "handout":
        if workup.is_signed:
            return gettext("Signed off %(date)s by %(who)s") % {"date": signed_on, "who": who}
        return gettext("Draft: not yet signed off")
    if workup.is_signed:
        return gettext("Signed %(date)s by %(who)s") % {"date": signed_on, "who": who}
    return gettext("DRAFT: not signed")


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
    title = gettext("Consultation summary: %(mrn)s %(name)s, work-up %(date)s") % {
        "mrn": workup.patient.mrn,
        "name": workup.patient.name,
        "date": date_format(workup.date),
    }
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


def sheet_language(workup: WorkUp, context: dict) -> str:
    """The sheet's language: as signed for a signed work-up (English for one signed before
    sheets had a language), else the patient's preferred language."""
    record = context["signed"]
    if record is not None and record.texts is not None:
        return (record.texts.get("patient") or {}).get("language", "en")
    if record is not None and record.complete:
        return "en"
    return workup.patient.language or "en"


def kept_sheet_language(workup: WorkUp) -> str:
    """The sheet's language without building the sheet (the print margins' stylesheet)."""
    if workup.is_signed:
        stored = workup.signed_assessment if isinstance(workup.signed_assessment, dict) else {}
        return ((stored.get("texts") or {}).get("patient") or {}).get("language", "en")
    return workup.patient.language or "en"


def handout_context(workup: WorkUp, *, pdf: bool = False, language: str | None = None) -> dict:
    """The patient sheet, in the patient's language (``language`` overrides it: the docs'
    screenshots). A signed work-up's sheet prints the texts kept at sign-off, in the language
    they were signed in."""
    context = workup_context(workup)
    answer = context["answer"]
    sources = context["sources"]
    parts = frozen_parts(workup, context)
    texts = parts["texts"]
    record = context["signed"]
    kept = (record.texts or {}).get("patient") if record is not None and record.texts else None
    if kept is not None and language in (None, kept.get("language")):
        patient_sheet = kept
    elif record is not None and record.complete and language is None:
        patient_sheet = english_sheet(texts)
    else:
        patient_sheet = sheet_texts(
            answer,
            context["catalogue"],
            facts=context["facts"],
            language=language or sheet_language(workup, context),
            age=workup.age_years,
        )
    sheet = sheet_context(
        answer,
        patient_sheet,
        steps=parts["steps"],
        today=parts["today"],
        facts_failed=parts["failed_transfers"],
    )
    numbers = number_sources(
        [k for a in sheet["handout_addons"] for k in a["sources"]]
        + [k for p in sheet["plan"] for s in p["tests"] + p["steps"] for k in s["sources"]],
        known=sources,
    )
    with override(sheet["sheet_language"]):
        if sheet["handout_addons"]:
            title = gettext("Your plan, and the add-ons you asked about: %(name)s")
        else:
            title = gettext("Your plan: %(name)s")
        title = title % {"name": workup.patient.name}
        page = page_context(workup, "handout")
    return {
        **_document(workup, context, kind="handout", title=title, pdf=pdf),
        **page,
        **sheet,
        "patient_sheet": patient_sheet,
        "ref_numbers": numbers,
        "references": [(n, sources[k]) for k, n in numbers.items()],
        "file_name": file_name("patient-sheet", workup),
    }
