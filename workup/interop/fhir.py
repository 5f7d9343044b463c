"""A work-up as a FHIR R4 Bundle, built from the record and checked with ``fhir.resources``.

An open work-up is a ``collection``; a signed one a ``document`` led by its ``Composition``, with
the signed summary PDF as a ``DocumentReference`` and the sign-off as a ``Provenance``. The next
steps of a signed work-up are those it was signed with (``WorkUp.signed_assessment``): a
signature freezes what was signed. Clinical codes come only from the catalogue's verified codes
(``codes.CodeBook``); the other codes here are FHIR's and HL7's own structural vocabularies.

The models are those of ``fhir.resources.R4B`` (the library models R4B, 4.3.0, not R4 4.0.1);
only resources whose structure R4B did not change are used, and the tests check every bundle
with the R4 (4.0.1) models of ``fhirclient`` too (docs/interop.md says why).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override
from fhir.resources.R4B.bundle import Bundle

from workup.clinic.assessment import workup_facts
from workup.clinic.models import ChecklistStep
from workup.clinic.signed import document_texts, signed_record
from workup.evidence import engine, store
from workup.evidence import findings as spec
from workup.evidence.catalogue import VERIFIED
from workup.evidence.presenting import review_words
from workup.evidence.transfers import LOSSES

from .codes import CodeBook
from .models import Coding

FHIR_JSON = "application/fhir+json; fhirVersion=4.0"
UCUM = "http://unitsofmeasure.org"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
PROVENANCE_AGENT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
DOCUMENT_COMPLETION = "http://terminology.hl7.org/CodeSystem/v3-DocumentCompletion"

# Findings that are diagnoses (FHIR Condition), with the value that makes them one (for a count,
# the catalogue parameter from which it does), and the findings that say one has resolved
# (chronic endometritis cured on re-biopsy).
DIAGNOSES = tuple(f for f in spec.FINDINGS if f.diagnosis)
RESOLVED_BY = {f.column: f.resolved_by for f in spec.FINDINGS if f.resolved_by}
TASK_STATUS = {
    ChecklistStep.Status.PENDING: "requested",
    ChecklistStep.Status.SCHEDULED: "accepted",
    ChecklistStep.Status.AWAITING_FINDINGS: "in-progress",
    ChecklistStep.Status.DONE: "completed",
    ChecklistStep.Status.NOT_INDICATED: "cancelled",
}
ACTIVITY_STATUS = {
    "requested": "not-started",
    "accepted": "scheduled",
    "in-progress": "in-progress",
    "completed": "completed",
    "cancelled": "cancelled",
}
_NAMESPACE = uuid.UUID("6f1c1f2e-54d4-4b0c-9a35-2d6a0c1e7b10")


def mrn_system() -> str:
    return getattr(settings, "INTEROP_MRN_SYSTEM", "urn:rif-workup:mrn")


def mrn_systems() -> set[str]:
    """The identifier systems whose values are our MRNs (results in, CDS Hooks)."""
    return {mrn_system()}


def _uuid(*parts) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts)))


def _instant(value: datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _ref(resource: dict, display: str | None = None) -> dict:
    out = {"reference": f"urn:uuid:{resource['id']}"}
    if display:
        out["display"] = display
    return out


def _concept(text: str, codings=()) -> dict:
    out = {"text": text}
    if codings:
        out["coding"] = [{"system": c.system, "code": c.code} for c in codings]
    return out


def _quantity(value: float, unit: spec.Unit) -> dict:
    return {"value": round(value, 4), "unit": str(unit.symbol), "system": UCUM, "code": unit.ucum}


class BundleBuilder:
    def __init__(self, workup, catalogue=None, codes: CodeBook | None = None):
        self.workup = workup
        self.catalogue = catalogue or store.get_catalogue()
        self.codes = codes or CodeBook.load()
        self.entries: list[dict] = []
        self.people: dict[int, dict] = {}
        self.sections: dict[str, list[dict]] = {}

    # --- helpers --------------------------------------------------------------------------------

    def add(self, resource: dict, section: str | None = None) -> dict:
        self.entries.append({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource})
        if section:
            self.sections.setdefault(section, []).append(_ref(resource))
        return resource

    def practitioner(self, user) -> dict | None:
        if user is None:
            return None
        if user.pk not in self.people:
            self.people[user.pk] = self.add(
                {
                    "resourceType": "Practitioner",
                    "id": _uuid("practitioner", user.pk),
                    "name": [{"text": user.get_full_name() or user.get_username()}],
                }
            )
        return self.people[user.pk]

    def subject(self) -> dict:
        ref = _ref(self.patient, self.workup.patient.name)
        ref["identifier"] = {"system": mrn_system(), "value": self.workup.patient.mrn}
        return ref

    # --- resources ------------------------------------------------------------------------------

    def build(self) -> dict:
        workup = self.workup
        self.patient = self.add(
            {
                "resourceType": "Patient",
                "id": _uuid("patient", workup.patient.pk),
                "identifier": [
                    {
                        "use": "usual",
                        "type": {"coding": [{"system": V2_0203, "code": "MR"}], "text": "MRN"},
                        "system": mrn_system(),
                        "value": workup.patient.mrn,
                    }
                ],
                "name": [{"text": workup.patient.name}],
                "birthDate": workup.patient.birth_date.isoformat(),
            }
        )
        self.clinician = self.practitioner(workup.clinician)
        record = signed_record(workup)
        # The answer as signed when the work-up kept it, else today's.
        signed = record if record is not None and record.answer is not None else None
        facts = workup_facts(workup, self.catalogue)
        answer = signed.answer if signed else engine.assess(facts, self.catalogue)
        observations = self.observations()
        self.conditions(observations, facts)
        self.procedures()
        tasks = self.tasks()
        self.care_plan(answer, tasks, signed)
        if workup.is_signed:
            self.document_parts()
        bundle = {
            "resourceType": "Bundle",
            "id": _uuid("bundle", workup.pk, workup.version),
            "identifier": {
                "system": "urn:ietf:rfc:3986",
                "value": f"urn:uuid:{_uuid('doc', workup.pk, workup.version)}",
            },
            "type": "document" if workup.is_signed else "collection",
            "timestamp": _instant(timezone.now()),
            "entry": self.entries,
        }
        if workup.is_signed:
            bundle["entry"] = [self.composition(), *self.entries]
        return Bundle.model_validate(bundle).model_dump(mode="json", exclude_none=True)

    def observations(self) -> dict[str, dict]:
        findings = self.workup.findings
        out = {}
        for finding in spec.FINDINGS:
            value = spec.stored_value(finding, findings)
            if value is None:
                continue
            out[finding.column] = self.add(self.observation(finding, value), "findings")
        for cycle in self.workup.cycles.all():
            resource = {
                "resourceType": "Observation",
                "id": _uuid("cycle", cycle.pk),
                "status": "final",
                "code": {"text": f"Previous ovarian stimulation, cycle {cycle.sequence}"},
                "subject": self.subject(),
                "valueInteger": cycle.oocytes,
                "note": [{"text": f"Oocytes retrieved: {cycle.oocytes}"}],
            }
            if cycle.daily_dose_iu is not None:
                resource["component"] = [
                    {
                        "code": {"text": "Daily FSH dose"},
                        "valueQuantity": {
                            "value": cycle.daily_dose_iu,
                            "unit": "IU",
                            "system": UCUM,
                            "code": "[IU]",
                        },
                    }
                ]
            self.add(resource, "findings")
        return out

    def observation(self, finding: spec.Finding, value) -> dict:
        findings = self.workup.findings
        column = finding.column
        codings = self.codes.observations.get(column, [])
        resource = {
            "resourceType": "Observation",
            "id": _uuid("finding", self.workup.pk, column),
            "status": "final",
            "code": _concept(str(finding.label), codings),
            "subject": self.subject(),
            "issued": _instant(findings.updated_at),
            "performer": [_ref(self.clinician)],
        }
        if finding.lab:
            resource["category"] = [
                {"coding": [{"system": OBS_CATEGORY, "code": "laboratory"}], "text": "Laboratory"}
            ]
        kind = finding.kind
        if kind == spec.QUANTITY:
            # The value as entered (what the laboratory reported), and beside it the value
            # normalised to the canonical unit, as the engine reads it.
            resource["valueQuantity"] = _quantity(value.entered, value.unit)
            if value.unit != finding.unit:
                resource["component"] = [
                    {
                        "code": {"text": f"{finding.label} in {finding.unit.symbol}"},
                        "valueQuantity": _quantity(value.value, finding.unit),
                    }
                ]
        elif kind == spec.BOOL:
            if finding.lab:  # the laboratory's positive / negative, with its interpretation
                resource["valueCodeableConcept"] = {"text": spec.display(finding, value)}
                code = "POS" if value else "NEG"
                resource["interpretation"] = [
                    {"coding": [{"system": INTERPRETATION, "code": code}], "text": code.title()}
                ]
            else:
                resource["valueBoolean"] = value
        elif kind == spec.DATE:
            resource["valueDateTime"] = value.isoformat()
        elif kind == spec.TEXT:
            resource["valueString"] = value
        elif kind == spec.CHOICE:
            resource["valueCodeableConcept"] = {"text": spec.display(finding, value)}
        elif finding.unit is not None:
            resource["valueQuantity"] = _quantity(value, finding.unit)
        else:
            resource["valueInteger"] = int(value)
        return resource

    def conditions(self, observations: dict, facts) -> None:
        findings = self.workup.findings
        texts = {
            (c.target, c.when): c.text
            for c in Coding.objects.filter(applies_to=Coding.AppliesTo.CONDITION, retired=False)
        }
        for finding in DIAGNOSES:
            column, when = finding.column, finding.diagnosis
            threshold = None
            if finding.kind == spec.COUNT:
                # A count as the engine reads it (losses in the transfer history included),
                # from the catalogue's threshold.
                value = spec.facts_value(finding, facts)
                threshold = self.catalogue.parameters.get(when)
                made = spec.makes_diagnosis(finding, value, threshold and threshold.value)
            else:
                value = getattr(findings, column, None)
                made = spec.makes_diagnosis(finding, value)
            if not made:
                continue
            coding = self.codes.conditions.get((column, when))
            text = texts.get((column, when)) or str(finding.label)
            if finding.kind == spec.CHOICE:
                text = f"{finding.label}: {spec.display_stored(finding, findings)}"
            resolved = any(getattr(findings, c, None) is True for c in RESOLVED_BY.get(column, ()))
            clinical = "resolved" if resolved else "active"
            verification = "confirmed"
            evidence = [_ref(observations[column])] if column in observations else []
            resource = {
                "resourceType": "Condition",
                "id": _uuid("condition", self.workup.pk, column),
                "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": clinical}]},
                "category": [
                    {"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}
                ],
                "code": _concept(text, [coding] if coding else ()),
                "subject": self.subject(),
                "recorder": _ref(self.clinician),
            }
            if threshold is not None:
                # Derived from a count by the catalogue's threshold: provisional until the
                # lead has confirmed that threshold; the losses behind it are the evidence.
                verification = "confirmed" if threshold.review == VERIFIED else "provisional"
                evidence += self.losses()
                review = "verified" if threshold.review == VERIFIED else "pending clinical review"
                resource["note"] = [
                    {
                        "text": f"Derived by RIF Work-up from {value} recorded pregnancy losses "
                        f"and the catalogue's threshold ({threshold.name}: "
                        f"{threshold.value:g}; {review})."
                    }
                ]
            resource["verificationStatus"] = {
                "coding": [{"system": CONDITION_VERIFICATION, "code": verification}]
            }
            if evidence:
                resource["evidence"] = [{"detail": evidence}]
            self.add(resource, "conditions")

    def losses(self) -> list[dict]:
        """References to the transfers of the history that ended in a pregnancy loss (their
        Procedures, ``transfer_procedures``)."""
        return [
            {"reference": f"urn:uuid:{_uuid('embryo-transfer', t.pk)}"}
            for t in sorted(self.workup.transfers.all(), key=lambda t: t.date)
            if t.outcome in LOSSES
        ]

    def procedures(self) -> None:
        findings = self.workup.findings
        done = (
            (
                "hysteroscopy",
                findings.hysteroscopy_done,
                findings.hysteroscopy_date,
                "Hysteroscopy",
            ),
            (
                "ce_biopsy",
                findings.ce_biopsy_done,
                findings.ce_biopsy_date,
                "Endometrial biopsy (CD138 staining for chronic endometritis)",
            ),
        )
        for key, was_done, when, text in done:
            if was_done is not True:
                continue
            resource = {
                "resourceType": "Procedure",
                "id": _uuid("procedure", self.workup.pk, key),
                "status": "completed",
                "code": _concept(text, self.codes.procedures.get(key, ())),
                "subject": self.subject(),
            }
            if when:
                resource["performedDateTime"] = when.isoformat()
            self.add(resource, "procedures")
        if self.transfer_procedures():
            return
        failed = findings.failed_transfers or 0
        euploid = findings.euploid_failed_transfers
        for number in range(1, failed + 1):
            note = "Recorded as a count in the transfer history; the date is not recorded."
            if euploid is not None:
                note += f" {euploid} of the {failed} failed transfers were of euploid embryos."
            self.add(
                {
                    "resourceType": "Procedure",
                    "id": _uuid("transfer", self.workup.pk, number),
                    "status": "completed",
                    "code": _concept(
                        f"Embryo transfer {number} of {failed}",
                        self.codes.procedures.get("embryo_transfer", ()),
                    ),
                    "subject": self.subject(),
                    "outcome": {"text": "No positive pregnancy test"},
                    "note": [{"text": note}],
                },
                "procedures",
            )

    def transfer_procedures(self) -> bool:
        """One Procedure per transfer recorded one by one (its date, embryos, oocytes and
        outcome in words); False when none is recorded (the counts are exported instead)."""
        transfers = sorted(self.workup.transfers.all(), key=lambda t: t.date)
        for transfer in transfers:
            details = [
                transfer.embryo_summary,
                transfer.oocytes_words,
                transfer.cycle_words,
            ]
            if transfer.retrieval_date:
                details.append(f"oocytes retrieved {date_format(transfer.retrieval_date, 'j M Y')}")
            self.add(
                {
                    "resourceType": "Procedure",
                    "id": _uuid("embryo-transfer", transfer.pk),
                    "status": "completed",
                    "code": _concept(
                        "Embryo transfer", self.codes.procedures.get("embryo_transfer", ())
                    ),
                    "subject": self.subject(),
                    "performedDateTime": transfer.date.isoformat(),
                    "outcome": {
                        "text": transfer.outcome_words[:1].upper() + transfer.outcome_words[1:]
                    },
                    "note": [
                        {"text": "; ".join(details)[:1].upper() + "; ".join(details)[1:] + "."}
                    ],
                },
                "procedures",
            )
        return bool(transfers)

    def step_name(self, step) -> str:
        entry = self.catalogue.investigations.get(step.code) or self.catalogue.next_steps.get(
            step.code
        )
        return entry.name if entry else step.code

    def tasks(self) -> dict[str, dict]:
        out = {}
        for step in self.workup.steps.all():
            status = TASK_STATUS[step.status]
            resource = {
                "resourceType": "Task",
                "id": _uuid("task", step.pk),
                "identifier": [{"system": "urn:rif-workup:step", "value": str(step.pk)}],
                "status": status,
                "intent": "order",
                "code": _concept(self.step_name(step), self.codes.services.get(step.code, ())),
                "description": step.get_kind_display(),
                "for": self.subject(),
                "authoredOn": _instant(step.created_at),
                "lastModified": _instant(step.updated_at),
                "requester": _ref(self.clinician),
            }
            owner = self.practitioner(step.assignee)
            if owner:
                resource["owner"] = _ref(owner)
            if step.due_date:
                resource["restriction"] = {"period": {"end": step.due_date.isoformat()}}
            if step.scheduled_for:
                resource["executionPeriod"] = {"start": step.scheduled_for.isoformat()}
            if step.status == ChecklistStep.Status.NOT_INDICATED and step.not_indicated_reason:
                resource["statusReason"] = {"text": step.not_indicated_reason}
            out[step.code] = self.add(resource, "plan")
        return out

    def care_plan(self, answer: dict, tasks: dict, record=None) -> None:
        """The next steps as the plan's activities, with their sources and review status: a
        signed work-up's as they were at signing (citations and the lead's confirmations)."""
        sources = self.catalogue.sources
        if record is not None and record.sources is not None:
            sources = record.sources
        if record is None:
            confirmed_on = document_texts(answer, self.catalogue)["confirmed_on"]
        else:
            # None: a record signed before the confirmations were kept; say no more than it holds.
            confirmed_on = (record.texts or {}).get("confirmed_on")

        def confirmed(step):
            return None if confirmed_on is None else confirmed_on.get(step["code"], "")

        activities = []
        for step in answer.get("next_steps", []):
            notes = []
            for key in step.get("sources", []):
                source = sources.get(key)
                if source is None:
                    continue
                text = f"Source: {source.citation}"
                if getattr(source, "doi", ""):
                    text += f" doi:{source.doi}"
                notes.append({"text": text})
            if not notes:
                # The catalogue's own words for advice that cites no source (never a borrowed key).
                note = step.get("source_note") or "No source in the catalogue yet."
                notes.append({"text": note[:1].upper() + note[1:] + "."})
            review = review_words(step.get("review"), confirmed_on=confirmed(step))
            notes.append({"text": f"Catalogue review status: {review}."})
            task = tasks.get(step["code"])
            detail_status = ACTIVITY_STATUS[task["status"]] if task else "not-started"
            activity = {
                "progress": notes,
                "detail": {
                    "code": {"text": step["name"]},
                    "status": detail_status,
                    "description": step.get("summary") or step["name"],
                },
            }
            if step.get("trigger"):
                activity["detail"]["reasonCode"] = [{"text": step["trigger"]}]
            if task:
                activity["reference"] = _ref(task)
            activities.append(activity)
        self.careplan = self.add(
            {
                "resourceType": "CarePlan",
                "id": _uuid("careplan", self.workup.pk, self.workup.version),
                "status": "active",
                "intent": "plan",
                "title": "Next steps of the RIF work-up",
                "subject": self.subject(),
                "created": _instant(self.workup.created_at),
                "author": _ref(self.clinician),
                "activity": activities,
                "note": [
                    {
                        "text": "Decision support from the evidence catalogue "
                        f"{answer.get('catalogue', {}).get('version', '')}: the clinician decides."
                    }
                ],
            },
            "plan",
        )

    def document_parts(self) -> None:
        workup = self.workup
        signer = self.practitioner(workup.signed_by)
        path = reverse("documents:summary_pdf", args=[workup.pk])
        site = getattr(settings, "SITE_URL", "")
        self.document = self.add(
            {
                "resourceType": "DocumentReference",
                "id": _uuid("pdf", workup.pk, workup.version),
                "status": "current",
                "docStatus": "final",
                "type": {"text": "RIF work-up consultation summary"},
                "subject": self.subject(),
                "date": _instant(workup.signed_at),
                "author": [_ref(signer)],
                "authenticator": _ref(signer),
                "content": [
                    {
                        "attachment": {
                            "contentType": "application/pdf",
                            "url": f"{site}{path}",
                            "title": "Consultation summary, work-up of "
                            + date_format(workup.date, "j M Y"),
                            "creation": _instant(workup.signed_at),
                        }
                    }
                ],
            },
            "document",
        )
        self.signer = signer

    def composition(self) -> dict:
        workup = self.workup
        comp_id = _uuid("composition", workup.pk, workup.version)
        titles = {
            "findings": "Findings",
            "conditions": "Diagnoses",
            "procedures": "Procedures",
            "plan": "Plan: checklist and next steps",
            "document": "Signed summary",
        }
        composition = {
            "resourceType": "Composition",
            "id": comp_id,
            "status": "final",
            "type": {"text": "RIF work-up consultation summary"},
            "subject": self.subject(),
            "date": _instant(workup.signed_at),
            "author": [_ref(self.signer)],
            "title": f"RIF work-up of {date_format(workup.date, 'j M Y')}",
            "attester": [
                {"mode": "legal", "time": _instant(workup.signed_at), "party": _ref(self.signer)}
            ],
            "section": [
                {"title": titles[key], "entry": refs} for key, refs in self.sections.items() if refs
            ],
        }
        self.add(
            {
                "resourceType": "Provenance",
                "id": _uuid("provenance", workup.pk, workup.version),
                "target": [{"reference": f"urn:uuid:{comp_id}"}, _ref(self.careplan)],
                "recorded": _instant(workup.signed_at),
                "activity": {
                    "coding": [{"system": DOCUMENT_COMPLETION, "code": "LA"}],
                    "text": "Signed (legally authenticated)",
                },
                "agent": [
                    {
                        "type": {"coding": [{"system": PROVENANCE_AGENT, "code": "attester"}]},
                        "who": _ref(self.signer),
                    }
                ],
                "entity": [
                    {
                        "role": "source",
                        "what": {
                            "display": f"Evidence catalogue {workup.signed_catalogue_version}"
                        },
                    }
                ],
            }
        )
        return {"fullUrl": f"urn:uuid:{comp_id}", "resource": composition}


def workup_bundle(workup, catalogue=None) -> dict:
    """The bundle, in English whatever the reader's language: the FHIR texts are the record's
    (the findings' words are translated on the pages)."""
    with override("en"):
        return BundleBuilder(workup, catalogue).build()
