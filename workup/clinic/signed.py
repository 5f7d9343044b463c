"""What a signature stores, how a signed work-up is read back, and what the signer saw.

Sign-off stores the signed record (``freeze``) in ``WorkUp.signed_assessment``: the engine's
answer, the catalogue's version and revision, the sources it cites (their citations as they
were), the catalogue texts the documents quote, the findings in words, the checklist rows and
the counselling outcomes of that moment. The page, the summary, its PDF and the patient sheet of
a signed work-up render from it (``signed_record``), so a later catalogue edit, review or
addendum never changes what was signed; ``differences`` says what today's answer would change.

Rows signed before the record was kept hold the bare answer (or nothing): what is missing is
taken from today's catalogue and record, and the page says so.

``fingerprint`` is a digest of everything the signer saw (findings, cycles, checklist decisions,
add-on requests and counselling, the answer with its catalogue revision): the sign form carries
it, and sign-off refuses a work-up whose fingerprint has moved since.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from workup.evidence.catalogue import STANCE_NAMES, Source
from workup.evidence.engine import cited_sources
from workup.evidence.presenting import lead_confirmation, step_entry

from .models import CYCLE_COLUMNS, AddonRequest, ChecklistStep, WorkUp
from .transfer_records import paper_rows

FORMAT = 2


# --- pieces shared by the live documents and the stored record ----------------------------------


def catalogue_stamp(catalogue) -> dict:
    return {
        "version": catalogue.version,
        "revision": catalogue.revision,
        "reviewed_on": catalogue.reviewed_on,
    }


def stamp_words(stamp: Mapping | None) -> str:
    """``2026.1 (revision 3)``: the catalogue a work-up was signed with."""
    if not stamp:
        return ""
    words = str(stamp.get("version") or "")
    if stamp.get("revision"):
        words += f" (revision {stamp['revision']})"
    return words


def source_table(keys, sources: Mapping[str, Source]) -> dict[str, dict]:
    return {
        k: {"key": k, "citation": s.citation, "doi": s.doi, "url": s.url}
        for k in keys
        if (s := sources.get(k)) is not None
    }


def document_texts(answer: dict, catalogue) -> dict:
    """The catalogue texts the summary and patient sheet quote beside the answer."""
    plain: dict[str, str] = {}
    for item in answer.get("checklist", ()):
        entry = catalogue.investigations.get(item["code"])
        plain[item["code"]] = getattr(entry, "plain", "") or ""
    for step in answer.get("next_steps", ()):
        book = catalogue.investigations if step["kind"] == "investigation" else catalogue.next_steps
        entry = book.get(step["code"])
        plain[step["code"]] = getattr(entry, "plain", "") or ""
    addons = {}
    for flag in answer.get("addon_flags", ()):
        entry = catalogue.addons.get(flag["code"])
        addons[flag["code"]] = {
            "kind": getattr(entry, "kind", "treatment"),
            "plain_what": getattr(entry, "plain_what", ""),
            "plain_evidence": getattr(entry, "plain_evidence", ""),
            "plain_risks": getattr(entry, "plain_risks", ""),
        }
    names = {code: entry.name for code, entry in catalogue.next_steps.items()}
    # The day the clinical lead confirmed each next step's entry ("" if not): "verified" alone is
    # the reference's primary-source check (presenting.review_words).
    confirmed = {
        step["code"]: lead_confirmation(step_entry(step, catalogue))
        for step in answer.get("next_steps", ())
    }
    return {"plain": plain, "addons": addons, "step_names": names, "confirmed_on": confirmed}


def counselling_entry(request_row: AddonRequest) -> dict:
    """A counselling outcome as the documents print it."""
    by = request_row.counselled_by
    return {
        "outcome": request_row.get_outcome_display(),
        "reason": request_row.outcome_reason,
        "by": (by.get_full_name() or by.get_username()) if by else "",
        "at": request_row.counselled_at,
        "requested_by": request_row.get_requested_by_display(),
    }


STEP_FIELDS = (
    "code",
    "kind",
    "pillar",
    "status",
    "due_date",
    "scheduled_for",
    "completed_manually",
)


def _step_json(step: ChecklistStep, today: date) -> dict:
    out = {name: getattr(step, name) for name in STEP_FIELDS}
    for name in ("due_date", "scheduled_for"):
        out[name] = out[name].isoformat() if out[name] else None
    out["days_overdue"] = step.days_overdue(today)
    return out


def _step_row(data: dict) -> ChecklistStep:
    """A checklist row as signed (unsaved): overdue as it was on the day of signing."""
    step = ChecklistStep(**{name: data.get(name) for name in STEP_FIELDS})
    step.due_date = parse_date(data["due_date"]) if data.get("due_date") else None
    step.scheduled_for = parse_date(data["scheduled_for"]) if data.get("scheduled_for") else None
    overdue = int(data.get("days_overdue") or 0)
    step.days_overdue = lambda today=None: overdue
    return step


# --- sign-off ------------------------------------------------------------------------------------


def freeze(*, workup: WorkUp, facts, answer: dict, catalogue, now: datetime) -> dict:
    """The signed record: everything the signed documents show, as it is at this moment (the
    patient sheet's texts in the patient's language of that moment, too)."""
    from workup.documents.findings import describe, transfer_history
    from workup.documents.sheet import sheet_texts

    today = timezone.localtime(now).date()
    findings_row = getattr(workup, "findings", None)
    texts = document_texts(answer, catalogue)
    texts["patient"] = sheet_texts(
        answer,
        catalogue,
        facts=facts,
        language=workup.patient.language,
        age=workup.age_years,
    )
    return {
        "format": FORMAT,
        "answer": answer,
        "catalogue": catalogue_stamp(catalogue),
        "sources": source_table(cited_sources(answer), catalogue.sources),
        "texts": texts,
        "findings": {
            "transfer_history": transfer_history(facts),
            "failed_transfers": facts.failed_transfers,
            "transfers": paper_rows(workup.transfers.all()),
            "steps": {
                item["code"]: describe(item["code"], facts, findings_row)
                for item in answer["checklist"]
            },
        },
        "steps": [_step_json(s, today) for s in workup.steps.all()],
        "counselling": {
            r.addon_code: {
                **counselling_entry(r),
                "at": r.counselled_at.isoformat() if r.counselled_at else None,
            }
            for r in workup.addon_requests.all()
        },
    }


_REVISION = re.compile(r"\(revision (\d+)\)")


@dataclass
class SignedRecord:
    """A signed work-up's stored record; parts an older row lacks are None."""

    answer: dict | None
    stamp: dict | None
    sources: dict[str, Source] | None = None
    texts: dict | None = None
    findings: dict | None = None
    steps: dict[str, ChecklistStep] | None = None
    counselling: dict[str, dict] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.steps is not None and self.findings is not None


def signed_record(workup: WorkUp) -> SignedRecord | None:
    """The record stored at sign-off, or None when the work-up is not signed."""
    if not workup.is_signed:
        return None
    stored = workup.signed_assessment
    stamp = None
    match = _REVISION.search(workup.signed_catalogue_version or "")
    if workup.signed_catalogue_version:
        version = workup.signed_catalogue_version.split(" (")[0]
        stamp = {"version": version, "revision": int(match.group(1)) if match else None}
    if not isinstance(stored, dict) or not stored:
        return SignedRecord(answer=None, stamp=stamp)
    if stored.get("format") != FORMAT:  # an older row: the bare answer
        stamp = stamp or dict(stored.get("catalogue") or {})
        return SignedRecord(answer=stored, stamp=stamp)
    sources = {
        k: Source(key=k, citation=s["citation"], doi=s.get("doi", ""), url=s.get("url", ""))
        for k, s in (stored.get("sources") or {}).items()
    }
    counselling = {}
    for code, entry in (stored.get("counselling") or {}).items():
        at = parse_datetime(entry["at"]) if entry.get("at") else None
        counselling[code] = {**entry, "at": at}
    steps = None
    if stored.get("steps") is not None:
        steps = {s["code"]: _step_row(s) for s in stored["steps"]}
    return SignedRecord(
        answer=stored.get("answer"),
        stamp=stored.get("catalogue") or stamp,
        sources=sources,
        texts=stored.get("texts"),
        findings=stored.get("findings"),
        steps=steps,
        counselling=counselling,
    )


# --- what today's answer would change ------------------------------------------------------------

REVIEW_WORDS = {"verified": "Verified", "pending_review": "Pending clinical review"}
STATUS_WORDS = dict(ChecklistStep.Status.choices)
FIELD_WORDS = {
    "status": "status",
    "stance": "stance",
    "review": "review",
    "reason": "reason",
    "flagged": "flag",
    "hfea": "HFEA rating",
    "risks": "documented risks",
    "evidence": "evidence",
    "sources": "sources",
    "summary": "summary",
    "trigger": "why now",
    "rationale": "evidence",
    "label": "label",
    "cumulative_chance": "cumulative chance",
    "unverified_detail": "detail pending review",
    "stance_note": "ESHRE note",
    "hfea_note": "HFEA note",
    "indicated_reason": "why indicated",
    "value": "result",
}
# Bookkeeping that says nothing a reader would act on.
# The transfers' chances, what is not counted and the notes are said by the reason already.
SKIP = {
    "priority",
    "facts_used",
    "transfers",
    "not_counted",
    "notes",
    "threshold",
    "code",
    "pillar",
    "kind",
    "gated",
}


@dataclass(frozen=True)
class Difference:
    what: str
    signed: str
    today: str


def _words(name: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if name == "review":
        return REVIEW_WORDS.get(value, str(value))
    if name == "stance":
        return STANCE_NAMES.get(value, str(value))
    if name == "status":
        return STATUS_WORDS.get(value, str(value))
    if name == "flagged":
        return "flagged: not advised" if value else "indicated for this patient"
    if name == "cumulative_chance" and isinstance(value, (int, float)):
        return f"{value:.0%}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


# Catalogue statements inside an item (an add-on's strength for this patient, what its HFEA
# colour means): each compared by its words, review status, stance and sources.
CLAIM_WORDS = {"verdict": "strength for this patient", "hfea_meaning": "what the HFEA rating means"}
CLAIM_PARTS = (
    ("text", ""),
    ("review", ", review"),
    ("stance", ", stance"),
    ("sources", ", sources"),
)


def _compare_claim(what: str, signed: Mapping, today: Mapping, out: list[Difference]) -> None:
    for part, suffix in CLAIM_PARTS:
        if signed.get(part) != today.get(part):
            out.append(
                Difference(
                    f"{what}{suffix}", _words(part, signed.get(part)), _words(part, today.get(part))
                )
            )


def _compare_item(what: str, signed: Mapping, today: Mapping, out: list[Difference]) -> None:
    for name in dict.fromkeys([*signed, *today]):
        if name in SKIP or name == "name":
            continue
        if isinstance(signed.get(name), dict) or isinstance(today.get(name), dict):
            label = CLAIM_WORDS.get(name, name.replace("_", " "))
            _compare_claim(f"{what}: {label}", signed.get(name) or {}, today.get(name) or {}, out)
            continue
        if signed.get(name) != today.get(name):
            label = FIELD_WORDS.get(name, name.replace("_", " "))
            out.append(
                Difference(
                    f"{what}: {label}",
                    _words(name, signed.get(name)),
                    _words(name, today.get(name)),
                )
            )


SECTIONS = {
    "checklist": "Checklist",
    "next_steps": "Next step",
    "addon_flags": "Add-on",
}


STIMULATION_LISTS = {
    "considerations": "Stimulation consideration",
    "plan_checks": "Plan check",
    "adjuvant_flags": "Planned adjuvant",
}


def _compare_stimulation(signed: dict | None, today: dict | None, out: list) -> None:
    """The stimulation block: the predicted response, then its lists by code. A work-up
    signed before the block existed says so once, not field by field."""
    if signed is None and today is None:
        return
    if signed is None:
        out.append(Difference("Stimulation plan", "not part of the signed advice", "shown"))
        return
    today = today or {}
    _compare_item(
        "Predicted response",
        {"value": signed.get("predicted_response"), "reason": signed.get("reason")},
        {"value": today.get("predicted_response"), "reason": today.get("reason")},
        out,
    )
    for key, section in STIMULATION_LISTS.items():
        old = {_stimulation_key(i): i for i in signed.get(key) or ()}
        new = {_stimulation_key(i): i for i in today.get(key) or ()}
        for code in dict.fromkeys([*old, *new]):
            name = (old.get(code) or new.get(code)).get("name") or code
            what = f"{section} “{name}”"
            if code not in new:
                out.append(Difference(what, "listed", "no longer listed"))
            elif code not in old:
                out.append(Difference(what, "not listed", "listed"))
            else:
                _compare_item(what, _shown(old[code]), _shown(new[code]), out)


# What a stimulation item shows a reader (its finding and evidence are inside its summary).
STIMULATION_SHOWN = ("status", "summary", "trigger", "flagged", "stance", "review", "sources")


def _shown(item: dict) -> dict:
    return {k: item.get(k) for k in STIMULATION_SHOWN if k in item}


def _stimulation_key(item: dict) -> str:
    return f"{item.get('code')}:{item.get('addon', '')}"


def differences(signed: dict, today: dict) -> list[Difference]:
    """Where today's answer for this record differs from the signed one, in words.

    The catalogue stamp itself is left out: a new revision that changes nothing the reader
    sees is no difference.
    """
    out: list[Difference] = []
    _compare_item("RIF label", signed.get("rif") or {}, today.get("rif") or {}, out)
    signed_details = (signed.get("classification") or {}).get("details") or {}
    today_details = (today.get("classification") or {}).get("details") or {}
    for key in dict.fromkeys([*signed_details, *today_details]):
        what = key.replace("_", " ").capitalize()
        _compare_item(what, signed_details.get(key) or {}, today_details.get(key) or {}, out)
    _compare_stimulation(signed.get("stimulation"), today.get("stimulation"), out)
    for key in dict.fromkeys([*signed, *today]):
        if key in ("catalogue", "contract", "rif", "classification", "stimulation"):
            continue
        before, after = signed.get(key), today.get(key)
        listed = [v for v in (before, after) if isinstance(v, list)]
        if not listed or not all(isinstance(i, dict) and "code" in i for v in listed for i in v):
            if before != after and key != "warnings":
                label = key.replace("_", " ").capitalize()
                out.append(Difference(label, _words(key, before), _words(key, after)))
            elif key == "warnings" and before != after:
                out.append(Difference("Cautions", _words(key, before), _words(key, after)))
            continue
        section = SECTIONS.get(key, key.replace("_", " ").capitalize())
        old = {i["code"]: i for i in before or ()}
        new = {i["code"]: i for i in after or ()}
        for code in dict.fromkeys([*old, *new]):
            name = (old.get(code) or new.get(code)).get("name") or code
            what = f"{section} “{name}”"
            if code not in new:
                out.append(Difference(what, "listed", "no longer listed"))
            elif code not in old:
                out.append(Difference(what, "not listed", "listed"))
            else:
                _compare_item(what, old[code], new[code], out)
    return out


# --- what the signer saw -------------------------------------------------------------------------


def _findings_values(findings) -> dict:
    if findings is None:
        return {}
    skip = {"workup", "updated_at"}
    return {
        f.attname: getattr(findings, f.attname)
        for f in findings._meta.concrete_fields
        if f.name not in skip
    }


def _plan_values(plan) -> list | None:
    if plan is None:
        return None
    return [plan.protocol, plan.daily_dose_iu, plan.trigger, plan.freeze_all, plan.adjuvants]


def fingerprint(workup: WorkUp, answer: dict) -> str:
    """A digest of everything the signer is shown: any change by anyone moves it.

    Reads only what ``load_workup`` prefetched. Scheduling and assigning (the coordinator's
    work) are left out: they change no finding, decision or advice.
    """
    seen = {
        "workup": [workup.date, workup.age_years, workup.clinician_id, workup.status],
        "findings": _findings_values(getattr(workup, "findings", None)),
        "cycles": [
            [c.sequence, *(getattr(c, name) for name in CYCLE_COLUMNS)]
            for c in sorted(workup.cycles.all(), key=lambda c: c.sequence)
        ],
        "plan": _plan_values(getattr(workup, "planned_cycle", None)),
        "transfers": [[t.retrieval_date, *t.as_facts().items()] for t in workup.transfers.all()],
        "steps": sorted(
            [
                s.code,
                s.kind,
                s.clinician_decision,
                s.not_indicated_reason,
                s.completed_manually,
                s.is_open,
            ]
            for s in workup.steps.all()
        ),
        "addons": sorted(
            [r.addon_code, r.requested_by, r.outcome, r.outcome_reason, r.counselled_by_id]
            for r in workup.addon_requests.all()
        ),
        "answer": answer,
    }
    text = json.dumps(seen, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
