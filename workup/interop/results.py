"""Lab results in: FHIR Observations and HL7 v2 ORU^R01 messages, matched and normalised.

Both formats become :class:`Candidate` rows; :func:`receive` matches each to a patient (by MRN)
and a work-up, to a verified catalogue code (LOINC directly, or a laboratory's local code through
the lead's :class:`LabCodeMapping`), normalises the unit, and stores the results as
:class:`IncomingResult` rows waiting for a clinician. All or nothing: one problem refuses the
whole message (:class:`Refused`, naming each problem), nothing is stored, and the log line names
the kinds of problem only, never a patient, an MRN or a value.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.db.models import Case, Value, When
from pydantic import BaseModel

from workup.clinic.models import Patient, WorkUp
from workup.evidence import findings as spec

from .codes import CodeBook
from .models import CodeSystem, IncomingResult, LabCodeMapping

log = logging.getLogger(__name__)

LOINC_NAMES = {CodeSystem.LOINC, "LN", "LOINC"}
# Spellings of the units each numeric finding accepts, and the unit it is kept in.
TSH_UNITS = {"miu/l", "mu/l", "uiu/ml", "µiu/ml", "μiu/ml", "m[iu]/l", "u[iu]/ml"}
NUMERIC = {"amh_ng_ml", "tsh"}
QUALITATIVE = {"tpo_positive", "aps"}
# The laboratory's own interpretation: HL7 v2 table 0078 and FHIR's v3 ObservationInterpretation.
POSITIVE_FLAGS = {"POS", "H", "HH", "A", "AA", "DET", "HU", ">"}
NEGATIVE_FLAGS = {"NEG", "N", "ND"}
POSITIVE_WORDS = {"positive", "pos", "detected", "reactive", "true"}
NEGATIVE_WORDS = {"negative", "neg", "not detected", "non-reactive", "nonreactive", "false"}
FINAL = {"final", "amended", "corrected", "F", "C"}


@dataclass
class Issue:
    """One problem with a message: where, what kind (OperationOutcome issue type), and why."""

    location: str
    kind: str  # not-found, code-invalid, value, structure, business-rule, duplicate
    text: str


class Refused(Exception):
    def __init__(self, issues: list[Issue], *, malformed: bool = False):
        super().__init__("; ".join(f"{i.location}: {i.text}" for i in issues))
        self.issues = issues
        self.malformed = malformed


@dataclass
class Candidate:
    location: str
    mrn: str
    sender: str
    codes: list[tuple[str, str, str]]  # (system, code, name) as sent
    value: str = ""
    number: float | None = None
    unit: str = ""
    flags: list[str] = field(default_factory=list)
    status: str = ""
    observed_on: date | None = None
    dedup: str | None = None


def positive_of(candidate: Candidate) -> bool | None:
    flags = {f.strip().upper() for f in candidate.flags if f and f.strip()}
    if flags & POSITIVE_FLAGS:
        return True
    if flags & NEGATIVE_FLAGS:
        return False
    word = (candidate.value or "").strip().lower()
    if word in POSITIVE_WORDS:
        return True
    if word in NEGATIVE_WORDS:
        return False
    return None


def _coding_for(candidate: Candidate, book: CodeBook, mappings: dict):
    for system, code, _ in candidate.codes:
        if system in LOINC_NAMES:
            coding = book.by_code.get((CodeSystem.LOINC, code))
            if coding is not None:
                return coding
    for system, code, _ in candidate.codes:
        mapping = mappings.get((system or candidate.sender, code)) or mappings.get(
            (candidate.sender, code)
        )
        if mapping is not None and mapping.coding.is_verified:
            return mapping.coding
    return None


def normalise(candidate: Candidate, coding) -> tuple[dict, list[str]]:
    """The stored value of a result (number and unit, or positive), or why it cannot be."""
    target = coding.target
    problems = []
    out = {"number": None, "unit": "", "positive": None}
    if target in NUMERIC:
        if candidate.number is None or not math.isfinite(candidate.number):
            return out, [f"{coding.text}: a number is expected, got {candidate.value[:20]!r}."]
        if candidate.number < 0:
            return out, [f"{coding.text}: the value cannot be negative."]
        unit = (candidate.unit or "").strip()
        finding = spec.BY_COLUMN[target]
        if finding.kind == spec.QUANTITY:
            sent = finding.unit_for(unit)
            if sent is None:
                symbols = " or ".join(u.symbol for u in finding.units)
                return out, [f"{finding.label}: unknown unit {unit[:20]!r}; send {symbols}."]
            # Kept in the canonical unit, as the findings keep it; the value as sent stays
            # beside it.
            out["unit"] = finding.unit.symbol
            out["number"] = spec.Amount.of(finding, candidate.number, sent).value
        else:
            if unit.lower() not in TSH_UNITS:
                return out, [f"TSH: unknown unit {unit[:20]!r}; send mIU/L (or mU/L, µIU/mL)."]
            out["unit"] = "mIU/L"
            out["number"] = candidate.number
    elif target in QUALITATIVE:
        out["positive"] = positive_of(candidate)
        if out["positive"] is None:
            problems.append(
                f"{coding.text}: the laboratory's interpretation is missing: send positive or "
                "negative (HL7 OBX-8 abnormal flag, or FHIR Observation.interpretation)."
            )
    else:
        problems.append(f"{coding.text}: not a result the work-up takes from a laboratory.")
    return out, problems


def workup_for(patient) -> WorkUp | None:
    """The work-up a patient's result belongs to: the newest open one, else the newest."""
    return (
        patient.workups.annotate(
            signed=Case(When(status=WorkUp.Status.OPEN, then=Value(0)), default=Value(1)),
        )
        .order_by("signed", "-date", "-pk")
        .first()
        if patient
        else None
    )


def receive(candidates: list[Candidate], *, user, source_format: str, message_id: str = ""):
    """Store the results of one message as waiting results; Refused on any problem."""
    if not candidates:
        raise Refused([Issue("message", "structure", "The message holds no result.")])
    book = CodeBook.load()
    mappings = {
        (m.sender, m.local_code): m
        for m in LabCodeMapping.objects.filter(active=True).select_related("coding")
    }
    issues: list[Issue] = []
    rows = []
    patients: dict[str, Patient | None] = {}
    for cand in candidates:
        if not cand.mrn:
            issues.append(Issue(cand.location, "required", "No patient identifier (MRN)."))
            continue
        if cand.mrn not in patients:
            patients[cand.mrn] = Patient.objects.filter(mrn__iexact=cand.mrn).first()
        patient = patients[cand.mrn]
        if patient is None:
            issues.append(Issue(cand.location, "not-found", "No patient with this MRN."))
            continue
        workup = workup_for(patient)
        if workup is None:
            issues.append(Issue(cand.location, "not-found", "The patient has no work-up."))
            continue
        coding = _coding_for(cand, book, mappings)
        if coding is None:
            sent = ", ".join(f"{s or cand.sender}|{c}" for s, c, _ in cand.codes) or "none"
            issues.append(
                Issue(
                    cand.location,
                    "code-invalid",
                    f"Unknown test code ({sent[:120]}): not a verified catalogue code, and not "
                    "in the laboratory code table.",
                )
            )
            continue
        if cand.status and cand.status not in FINAL:
            issues.append(
                Issue(
                    cand.location,
                    "business-rule",
                    f"Result status {cand.status[:12]!r}: only final or corrected results are "
                    "taken.",
                )
            )
            continue
        values, problems = normalise(cand, coding)
        if problems:
            issues.extend(Issue(cand.location, "value", p) for p in problems)
            continue
        _, code, name = cand.codes[0] if cand.codes else ("", "", "")
        rows.append(
            IncomingResult(
                workup=workup,
                coding=coding,
                source_format=source_format,
                sender=cand.sender[:100],
                message_id=message_id[:100],
                dedup_key=cand.dedup[:250] if cand.dedup else None,
                local_code=code[:50],
                local_name=name[:200],
                value_sent=(cand.value or "")[:100],
                unit_sent=(cand.unit or "")[:30],
                observed_on=cand.observed_on,
                received_by=user,
                **values,
            )
        )
    if issues:
        log.warning(
            "Lab results refused (%s): %d problem(s) of kind %s; nothing stored.",
            source_format,
            len(issues),
            ", ".join(sorted({i.kind for i in issues})),
        )
        raise Refused(issues)
    with transaction.atomic():
        keys = [r.dedup_key for r in rows if r.dedup_key]
        seen = set(
            IncomingResult.objects.filter(dedup_key__in=keys).values_list("dedup_key", flat=True)
        )
        fresh = [r for r in rows if not r.dedup_key or r.dedup_key not in seen]
        for row in fresh:
            row.save()
    log.info(
        "Lab results received (%s): %d waiting for a clinician, %d already received.",
        source_format,
        len(fresh),
        len(rows) - len(fresh),
    )
    return fresh, len(rows) - len(fresh)


# --- FHIR -----------------------------------------------------------------------------------------


def _fhir_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def candidates_from_fhir(data, mrn_systems: set[str]) -> tuple[list[Candidate], str]:
    """Observations of a FHIR Bundle (or one Observation) as candidates; Refused if malformed."""
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.observation import Observation
    from pydantic import ValidationError

    if not isinstance(data, dict) or data.get("resourceType") not in ("Bundle", "Observation"):
        raise Refused(
            [
                Issue(
                    "resourceType", "structure", "Send a Bundle of Observations or an Observation."
                )
            ],
            malformed=True,
        )
    try:
        if data["resourceType"] == "Bundle":
            bundle = Bundle.model_validate(data)
            observations = [
                (f"Bundle.entry[{i}].resource", e.resource)
                for i, e in enumerate(bundle.entry or [])
            ]
            message_id = bundle.id or (bundle.identifier.value if bundle.identifier else "") or ""
        else:
            observations = [("Observation", Observation.model_validate(data))]
            message_id = ""
    except ValidationError as exc:
        issues = [
            Issue(
                ".".join(str(p) for p in err.get("loc", ())) or "json",
                "structure",
                str(err.get("msg", "invalid"))[:200],
            )
            for err in exc.errors()[:20]
        ]
        raise Refused(issues, malformed=True) from None
    # Patients given in the bundle, by their fullUrl or Patient/id, to resolve references.
    known: dict[str, str] = {}
    if data["resourceType"] == "Bundle":
        for entry in bundle.entry or []:
            res = entry.resource
            if res is not None and res.get_resource_type() == "Patient":
                mrn = mrn_of(res.identifier or [], mrn_systems)
                if mrn:
                    if entry.fullUrl:
                        known[str(entry.fullUrl)] = mrn
                    if res.id:
                        known[f"Patient/{res.id}"] = mrn
    out = []
    for location, obs in observations:
        if obs is None or obs.get_resource_type() != "Observation":
            if obs is not None and obs.get_resource_type() == "Patient":
                continue
            kind = obs.get_resource_type() if obs is not None else "nothing"
            raise Refused(
                [Issue(location, "structure", f"Expected an Observation, got {kind}.")],
                malformed=True,
            )
        mrn = ""
        if obs.subject is not None:
            if obs.subject.identifier is not None:
                mrn = mrn_of([obs.subject.identifier], mrn_systems)
            if not mrn and obs.subject.reference:
                mrn = known.get(str(obs.subject.reference), "")
        codes = [
            (str(c.system or ""), str(c.code or ""), str(c.display or obs.code.text or ""))
            for c in (obs.code.coding or [])
            if c.code
        ]
        cand = Candidate(
            location=location,
            mrn=mrn,
            sender="",
            codes=codes,
            status=str(obs.status or ""),
            observed_on=_fhir_date(obs.effectiveDateTime) or _fhir_date(obs.issued),
        )
        if obs.valueQuantity is not None:
            q = obs.valueQuantity
            # pydantic holds the decimal exactly as the float was; repr is the number as sent.
            cand.number = float(q.value) if q.value is not None else None
            cand.value = repr(cand.number) if cand.number is not None else ""
            cand.unit = str(q.code or q.unit or "")
        elif obs.valueBoolean is not None:
            cand.value = "true" if obs.valueBoolean else "false"
        elif obs.valueString is not None:
            cand.value = obs.valueString
        elif obs.valueCodeableConcept is not None:
            concept = obs.valueCodeableConcept
            cand.value = concept.text or next(
                (c.display or c.code for c in concept.coding or [] if c.display or c.code), ""
            )
        for concept in obs.interpretation or []:
            cand.flags.extend(c.code for c in concept.coding or [] if c.code)
        ident = next((i.value for i in obs.identifier or [] if i.value), None) or obs.id
        if ident:
            cand.dedup = f"fhir:{ident}"
        out.append(cand)
    return out, message_id


def _part(element, name):
    """A FHIR element's child, from JSON (a dict) or a ``fhir.resources`` model alike."""
    if isinstance(element, dict):
        return element.get(name)
    return getattr(element, name, None) if isinstance(element, BaseModel) else None


def mrn_of(identifiers, mrn_systems: set[str]) -> str:
    """Our MRN among FHIR identifiers (JSON or models): the value of one in the clinic's MRN
    system, or of one typed MR (v2-0203) with no system. Any other identifier (an insurer's
    member number, another hospital's MRN) is not ours, whatever its value. The one rule for
    lab results (``candidates_from_fhir``) and CDS Hooks (``guardrail.cds.match_patient``)."""
    for ident in identifiers if isinstance(identifiers, (list, tuple)) else ():
        value = _part(ident, "value")
        system = _part(ident, "system")
        system = str(system) if system else ""
        kind = _part(ident, "type")
        codings = _part(kind, "coding") if kind is not None else None
        is_mr = any(_part(c, "code") == "MR" for c in codings or () if c is not None)
        if isinstance(value, str) and value and (system in mrn_systems or (not system and is_mr)):
            return value
    return ""
