"""The CDS Hooks services (HL7 CDS Hooks 2.0): requests in, the engine's answer out as cards.

Everything clinical on a card is the engine's answer (``evidence.service.assess_data`` for the
facts, ``clinic.assessment.assess_workup`` for a stored work-up) and the catalogue's texts for the
entries that answer names; the services here only pick the facts, match orders to add-ons
(``mapping``) and shape the cards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from workup.audit.models import DownloadRecord
from workup.audit.services import record_download
from workup.clinic.assessment import assess_workup, drop_retired, workup_facts_dict
from workup.clinic.models import Patient, WorkUp, age_on
from workup.clinic.presenters import load_workup
from workup.evidence import service
from workup.evidence.catalogue import PENDING, STANCE_NAMES, Catalogue
from workup.evidence.facts import FactsError
from workup.evidence.presenting import lead_confirmation, review_words, step_entry
from workup.interop.fhir import mrn_systems
from workup.interop.results import mrn_of

from . import mapping, reasons
from .models import CdsCard, CdsFeedback

SUMMARY_MAX = 140  # the specification: "less than 140 characters"
NEXT_STEPS_SHOWN = 3


class CdsError(Exception):
    """A request the service cannot answer: HTTP status and errors by field path."""

    def __init__(self, status: int, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.status = status
        self.errors = errors


@dataclass(frozen=True)
class Service:
    id: str
    hook: str
    title: str
    description: str
    orders: bool

    def prefetch(self) -> dict:
        return {
            "patient": "Patient/{{context.patientId}}",
            "observations": mapping.observation_search(),
        }

    def discovery(self) -> dict:
        return {
            "hook": self.hook,
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "prefetch": self.prefetch(),
            "usageRequirements": (
                "Send the prefetch: this service never calls back to the FHIR server. "
                "Authenticate with a RIF Work-up API token (Authorization: Bearer rif_...)."
            ),
        }


SERVICES = {
    s.id: s
    for s in (
        Service(
            id="rif-addon-order-select",
            hook="order-select",
            title="RIF Work-up: unproven add-on check",
            description=(
                "Warns when a newly selected medication or procedure order is an IVF add-on "
                "the evidence catalogue does not support, with the guideline's stance, the "
                "HFEA rating and the documented risks."
            ),
            orders=True,
        ),
        Service(
            id="rif-addon-order-sign",
            hook="order-sign",
            title="RIF Work-up: unproven add-on check at signing",
            description=("The same check on every draft order when the orders are signed."),
            orders=True,
        ),
        Service(
            id="rif-patient-view",
            hook="patient-view",
            title="RIF Work-up: RIF label and next steps",
            description=(
                "The recurrent implantation failure label and the first next steps, from the "
                "patient's work-up in RIF Work-up (matched by MRN) or from the prefetched data."
            ),
            orders=False,
        ),
    )
}


def discovery() -> dict:
    return {"services": [s.discovery() for s in SERVICES.values()]}


# --- validating a request ------------------------------------------------------------------


def _need(errors, path, value, kind, message=None):
    ok = isinstance(value, kind) and (not isinstance(value, str) or value.strip())
    if not ok:
        errors.setdefault(path, []).append(message or f"Required: {_kind_name(kind)}.")
    return ok


def _kind_name(kind):
    return {str: "a non-empty string", dict: "a JSON object", list: "an array"}.get(kind, "a value")


def _resources(bundle) -> list:
    """Resources of a Bundle (or a bare list, or a single resource)."""
    if bundle is None:
        return []
    if isinstance(bundle, list):
        return [r for r in bundle if isinstance(r, dict)]
    if bundle.get("resourceType") == "Bundle":
        return [
            e["resource"]
            for e in bundle.get("entry") or []
            if isinstance(e, dict) and isinstance(e.get("resource"), dict)
        ]
    return [bundle]


def validate_request(service: Service, data) -> dict:
    errors: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        raise CdsError(400, {"json": ["The body must be a JSON object (a CDS Hooks request)."]})
    if _need(errors, "hook", data.get("hook"), str) and data["hook"] != service.hook:
        errors["hook"] = [f"This service answers the '{service.hook}' hook, not {data['hook']!r}."]
    _need(errors, "hookInstance", data.get("hookInstance"), str)
    context = data.get("context")
    if _need(errors, "context", context, dict):
        _need(errors, "context.userId", context.get("userId"), str)
        _need(errors, "context.patientId", context.get("patientId"), str)
        if service.orders:
            drafts = context.get("draftOrders")
            if _need(errors, "context.draftOrders", drafts, dict):
                if drafts.get("resourceType") != "Bundle":
                    errors["context.draftOrders.resourceType"] = ["Expected 'Bundle'."]
                elif not isinstance(drafts.get("entry", []), list):
                    errors["context.draftOrders.entry"] = ["Expected an array of entries."]
            if service.hook == "order-select":
                selections = context.get("selections")
                well_formed = bool(selections) and all(
                    isinstance(s, str) and "/" in s for s in selections
                )
                if _need(errors, "context.selections", selections, list) and not well_formed:
                    errors["context.selections"] = [
                        "Expected one or more references such as 'MedicationRequest/123'."
                    ]
    prefetch = data.get("prefetch", {})
    if prefetch is None:
        prefetch = {}
    if not isinstance(prefetch, dict):
        errors["prefetch"] = ["Expected a JSON object keyed by the prefetch templates."]
    else:
        patient = prefetch.get("patient")
        if patient is not None and (
            not isinstance(patient, dict) or patient.get("resourceType") != "Patient"
        ):
            errors["prefetch.patient"] = ["Expected a Patient resource (or null)."]
        observations = prefetch.get("observations")
        if observations is not None and (
            not isinstance(observations, dict) or observations.get("resourceType") != "Bundle"
        ):
            errors["prefetch.observations"] = ["Expected a Bundle of Observations (or null)."]
    if errors:
        raise CdsError(400, errors)
    return data


# --- the facts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PatientMatch:
    """Our stored work-up for the prefetched Patient, if it is our patient."""

    workup: WorkUp | None = None
    # Our MRN, but another birth date: one of the two systems has the wrong person.
    birth_date_differs: bool = False


NOT_MATCHED = (
    "**Not matched to a RIF Work-up record:** a patient in RIF Work-up has this MRN but a "
    "different birth date, so that record was not used; this answer is from the EMR's data "
    "only. Check the patient's identifiers in both systems."
)


def _same_birth_date(given, ours: date) -> bool:
    """A FHIR date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) that is our birth date."""
    if not isinstance(given, str) or len(given.strip()) not in (4, 7, 10):
        return False
    return ours.isoformat().startswith(given.strip())


def match_patient(patient_resource) -> PatientMatch:
    """The patient's latest work-up here: matched by an identifier in the clinic's MRN system
    (``interop.results.mrn_of``, the rule lab results follow), and by the birth date when the
    Patient carries one. An insurer's member number or another system's id equal to one of
    our MRNs is not a match."""
    patient_resource = patient_resource or {}
    mrn = mrn_of(patient_resource.get("identifier"), mrn_systems())
    if not mrn:
        return PatientMatch()
    patient = Patient.objects.filter(mrn=mrn).order_by("pk").first()
    if patient is None:
        return PatientMatch()
    birth = patient_resource.get("birthDate")
    if birth is not None and not _same_birth_date(birth, patient.birth_date):
        return PatientMatch(birth_date_differs=True)
    latest = patient.workups.order_by("-date", "-pk").values_list("pk", flat=True).first()
    return PatientMatch(load_workup(latest) if latest else None)


def _observation_value(resource, kind):
    if kind == "code":
        concept = resource.get("valueCodeableConcept") or {}
        for coding in concept.get("coding") or []:
            if isinstance(coding, dict) and coding.get("code"):
                return coding["code"]
        return resource.get("valueString")
    if "valueInteger" in resource:
        return resource["valueInteger"]
    quantity = resource.get("valueQuantity") or {}
    return quantity.get("value")


def facts_from_prefetch(patient_resource, observations) -> dict:
    birth = (patient_resource or {}).get("birthDate")
    if not isinstance(birth, str):
        raise CdsError(
            412,
            {
                "prefetch.patient": [
                    "No work-up for this patient here (no identifier matches an MRN) and no "
                    "birthDate in the prefetched Patient: the engine needs the age."
                ]
            },
        )
    try:
        data: dict = {"age": age_on(date.fromisoformat(birth[:10]), timezone.localdate())}
    except ValueError:
        raise CdsError(400, {"prefetch.patient.birthDate": ["Not a FHIR date."]}) from None
    latest: dict[str, tuple[str, object]] = {}
    for resource in _resources(observations):
        if resource.get("resourceType") != "Observation" or resource.get("status") in (
            "entered-in-error",
            "cancelled",
        ):
            continue
        codes = {
            (c.get("system"), c.get("code"))
            for c in (resource.get("code") or {}).get("coding") or []
            if isinstance(c, dict)
        }
        when = str(resource.get("effectiveDateTime") or resource.get("issued") or "")
        for entry in mapping.observation_mappings():
            if codes & entry.codes:
                value = _observation_value(resource, entry.value)
                if value is not None and (
                    entry.fact not in latest or when >= latest[entry.fact][0]
                ):
                    latest[entry.fact] = (when, value)
    data.update({fact: value for fact, (_, value) in latest.items()})
    return data


def _assess(data, catalogue):
    try:
        return service.assess_data(data, catalogue)
    except FactsError as exc:
        raise CdsError(
            400, {f"facts.{path}": messages for path, messages in exc.errors.items()}
        ) from None


@dataclass
class Assessment:
    answer: dict
    workup: WorkUp | None
    mrn: str
    birth_date_differs: bool = False


def assess_for(data: dict, catalogue: Catalogue, extra_addons=()) -> Assessment:
    """The engine's answer for this patient: the stored work-up if any, else the prefetch."""
    prefetch = data.get("prefetch") or {}
    patient = prefetch.get("patient")
    if patient is None:
        raise CdsError(
            412,
            {
                "prefetch.patient": [
                    "Send the prefetched Patient: this service does not query the FHIR server."
                ]
            },
        )
    match = match_patient(patient)
    workup = match.workup
    if workup is not None and not extra_addons:
        _, answer = assess_workup(workup, catalogue)
        return Assessment(answer, workup, workup.patient.mrn)
    if workup is not None:
        # The stored facts as the work-up page assesses them, with the ordered add-ons added.
        facts = drop_retired(catalogue, workup_facts_dict(workup))
    else:
        facts = facts_from_prefetch(patient, prefetch.get("observations"))
    asked = list(facts.get("addons_requested", []))
    facts["addons_requested"] = asked + [c for c in extra_addons if c not in asked]
    return Assessment(
        _assess(facts, catalogue),
        workup,
        workup.patient.mrn if workup else "",
        birth_date_differs=match.birth_date_differs,
    )


# --- cards ---------------------------------------------------------------------------------


def _short(text: str, limit: int = SUMMARY_MAX - 1) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _source(catalogue: Catalogue, keys) -> dict:
    """The card's source: the guideline the entry cites (``mapping.preferred_sources``), else its
    first source, with its link when the catalogue has one."""
    keys = [k for k in mapping.preferred_sources() if k in keys] + list(keys)
    for key in keys:
        source = catalogue.sources.get(key)
        if source is not None:
            out = {"label": source.citation}
            if source.link:
                out["url"] = source.link
            return out
    return {"label": "RIF Work-up evidence catalogue (no source in the catalogue yet)"}


def _review_line(review: str, entry=None) -> str:
    """The review status in the catalogue's words (``presenting.review_words``): the lead's
    confirmation is said only for an entry they confirmed; ``entry`` None: not known."""
    if review == PENDING:
        return "*Pending clinical review: not yet confirmed by the clinic's lead.*"
    confirmed_on = lead_confirmation(entry) if entry is not None else None
    words = review_words(review, confirmed_on=confirmed_on)
    return f"Catalogue review: {words}."


def _references(catalogue: Catalogue, keys) -> str:
    cited = [catalogue.sources[k].citation for k in keys if k in catalogue.sources]
    return "**Sources:** " + " · ".join(cited) if cited else ""


def _workup_link(workup: WorkUp | None, base: str) -> list[dict]:
    if workup is None:
        return []
    return [
        {
            "label": "Open the work-up in RIF Work-up",
            "url": base + reverse("clinic:workup_detail", args=[workup.pk]),
            "type": "absolute",
        }
    ]


def addon_card(flag: dict, order: dict, match: mapping.Match, catalogue, links) -> dict:
    """A warning card for an ordered add-on the engine flags, in the flag's own words."""
    stance = STANCE_NAMES.get(flag["stance"], flag["stance"])
    hfea = flag["hfea"] or "rating pending review"
    verdict = flag.get("verdict") or {}
    if flag["stance"] == "recommended":
        # ESHRE recommends it while the HFEA rates it otherwise: never "unproven" in ESHRE's name.
        summary = _short(f"{flag['name']}: views differ. ESHRE: {stance}. HFEA: {hfea}.")
    else:
        summary = _short(f"Unproven IVF add-on: {flag['name']}. ESHRE: {stance}. HFEA: {hfea}.")
    lines = [f"**ESHRE stance:** {stance}. {flag['stance_note']}".rstrip()]
    if verdict.get("text"):
        lines.append(verdict["text"])
    if flag["hfea"]:
        meaning = (flag.get("hfea_meaning") or {}).get("text", "")
        lines.append(f"**HFEA rating:** {flag['hfea']} ({meaning}). {flag['hfea_note']}".rstrip())
    else:
        lines.append(f"**HFEA rating:** {flag['hfea_note'] or 'pending review'}")
    if flag["risks"]:
        lines.append("**Documented risks:**\n" + "\n".join(f"- {r}" for r in flag["risks"]))
    lines.append(flag["evidence"])
    lines.append(_review_line(flag["review"], catalogue.addons.get(flag["code"])))
    lines.append(_references(catalogue, flag["sources"]))
    label = mapping.order_label(order)
    matched = "pending clinical review" if match.review == PENDING else "verified"
    lines.append(
        f"The order *{label}* was matched to this add-on by its {match.by} "
        f"(order mapping {matched})."
    )
    entry = catalogue.addons.get(flag["code"])
    return {
        "summary": summary,
        "indicator": "warning",
        "detail": "\n\n".join(line for line in lines if line),
        "source": _source(catalogue, entry.sources if entry else flag["sources"]),
        "overrideReasons": reasons.codings(),
        "links": links,
    }


def rif_card(answer: dict, catalogue, links) -> dict:
    rif = answer["rif"]
    chance = rif["cumulative_chance"]
    label = "RIF" if rif["label"] == "rif" else "Too early to label RIF"
    chance_text = (
        f" (cumulative predicted chance {round(chance * 100)}%)" if chance is not None else ""
    )
    detail = [rif["reason"], *[f"**Caution:** {w}" for w in answer["warnings"]]]
    detail += [_review_line(rif["review"]), _references(catalogue, rif["sources"])]
    return {
        "summary": _short(f"RIF Work-up: {label}{chance_text}"),
        "indicator": "info",
        "detail": "\n\n".join(d for d in detail if d),
        "source": _source(catalogue, rif["sources"]),
        "links": links,
    }


def step_card(step: dict, catalogue, links) -> dict:
    stance = STANCE_NAMES.get(step["stance"], step["stance"])
    detail = [step["summary"], f"**Why:** {step['trigger']}", f"**Stance:** {stance}."]
    if step.get("unverified_detail"):
        detail.append(step["unverified_detail"])
    detail += [
        _review_line(step["review"], step_entry(step, catalogue)),
        _references(catalogue, step["sources"]),
    ]
    return {
        "summary": _short(f"Next step {step['priority']}: {step['name']}"),
        "indicator": "info",
        "detail": "\n\n".join(d for d in detail if d),
        "source": _source(catalogue, step["sources"]),
        "links": links,
    }


def _clinician_for(user_id: str):
    """Our active user behind ``Practitioner/<username>``, if there is one."""
    kind, _, ident = user_id.partition("/")
    if kind not in ("Practitioner", "PractitionerRole") or not ident:
        return None
    return get_user_model().objects.filter(username=ident, is_active=True).first()


def _issue(cards_with_codes, data, service: Service, assessment: Assessment, user) -> list[dict]:
    """Store each card (so its feedback can be matched) and give it its uuid."""
    if not cards_with_codes:
        return []
    context = data["context"]
    clinician = _clinician_for(context["userId"])
    rows = [
        CdsCard(
            service=service.id,
            hook=service.hook,
            hook_instance=data["hookInstance"][:100],
            indicator=card["indicator"],
            summary=card["summary"],
            addon_code=codes.get("addon", ""),
            next_step_code=codes.get("step", ""),
            emr_user=context["userId"][:200],
            emr_patient=context["patientId"][:200],
            mrn=assessment.mrn,
            workup=assessment.workup,
            clinician=clinician,
            requested_by=user,
        )
        for card, codes in cards_with_codes
    ]
    CdsCard.objects.bulk_create(rows)
    out = []
    for row, (card, _) in zip(rows, cards_with_codes, strict=True):
        card = {"uuid": str(row.uuid), **card}
        if assessment.birth_date_differs:
            # Said in the card, where the clinician reads it (the specification has no other
            # place for it): first, before the advice drawn from the EMR's data alone.
            card["detail"] = f"{NOT_MATCHED}\n\n{card['detail']}"
        if not card.get("links"):
            card.pop("links", None)
        out.append(card)
    return out


def _record_read(assessment: Assessment, data: dict, service: Service, user) -> None:
    """An answer drawn from our stored work-up is a read of the patient's record: who (the
    token's user), what (that work-up), through which hook and for which EMR user."""
    if assessment.workup is None:
        return
    record_download(
        user=user,
        kind=DownloadRecord.Kind.CDS_HOOKS,
        workup=assessment.workup,
        detail={
            "via": "API token",
            "hook": service.hook,
            "EMR user": data["context"]["userId"][:200],
        },
    )


def answer_orders(service: Service, data: dict, catalogue: Catalogue, user, base: str) -> dict:
    context = data["context"]
    orders = [
        r
        for r in _resources(context["draftOrders"])
        if r.get("resourceType") in mapping.ORDER_TYPES
    ]
    if service.hook == "order-select":
        chosen = set(context["selections"])
        orders = [r for r in orders if f"{r.get('resourceType')}/{r.get('id')}" in chosen]
    matched = [(r, m) for r in orders if (m := mapping.match_order(r)) is not None]
    if not matched:
        return {"cards": []}
    assessment = assess_for(data, catalogue, extra_addons=[m.addon for _, m in matched])
    _record_read(assessment, data, service, user)
    flags = {f["code"]: f for f in assessment.answer["addon_flags"]}
    links = _workup_link(assessment.workup, base)
    cards, seen = [], set()
    for order, match in matched:
        flag = flags.get(match.addon)
        # No card where the engine does not flag the add-on (indicated, e.g. heparin with APS).
        if flag is None or not flag["flagged"] or match.addon in seen:
            continue
        seen.add(match.addon)
        cards.append((addon_card(flag, order, match, catalogue, links), {"addon": match.addon}))
    return {"cards": _issue(cards, data, service, assessment, user)}


def answer_patient_view(data: dict, catalogue: Catalogue, user, base: str) -> dict:
    service = SERVICES["rif-patient-view"]
    assessment = assess_for(data, catalogue)
    _record_read(assessment, data, service, user)
    links = _workup_link(assessment.workup, base)
    answer = assessment.answer
    cards = [(rif_card(answer, catalogue, links), {})]
    for step in answer["next_steps"][:NEXT_STEPS_SHOWN]:
        cards.append((step_card(step, catalogue, links), {"step": step["code"]}))
    return {"cards": _issue(cards, data, service, assessment, user)}


def answer(service: Service, data, catalogue: Catalogue, user, base: str) -> dict:
    validate_request(service, data)
    if service.orders:
        return answer_orders(service, data, catalogue, user, base)
    return answer_patient_view(data, catalogue, user, base)


# --- feedback ------------------------------------------------------------------------------


@transaction.atomic
def record_feedback(service: Service, data, user) -> int:
    """Validate every entry, then store them all (or none); returns how many were new."""
    if not isinstance(data, dict) or not isinstance(data.get("feedback"), list):
        raise CdsError(400, {"feedback": ['Expected {"feedback": [ ... ]}.']})
    errors: dict[str, list[str]] = {}
    entries = data["feedback"]
    if not entries:
        errors["feedback"] = ["Send at least one feedback entry."]
    ids = [e.get("card") for e in entries if isinstance(e, dict)]
    cards = {
        str(c.uuid): c
        for c in CdsCard.objects.filter(
            uuid__in=[i for i in ids if _is_uuid(i)], service=service.id, requested_by=user
        )
    }
    rows = []
    for n, entry in enumerate(entries):
        at = f"feedback.{n}"
        if not isinstance(entry, dict):
            errors[at] = ["Expected a JSON object."]
            continue
        card = cards.get(str(entry.get("card")).lower()) if _is_uuid(entry.get("card")) else None
        if card is None:
            errors[f"{at}.card"] = ["No card with this uuid was sent by this service to you."]
        outcome = entry.get("outcome")
        if outcome not in CdsFeedback.Outcome.values:
            errors[f"{at}.outcome"] = ["Expected 'accepted' or 'overridden'."]
        when = entry.get("outcomeTimestamp")
        moment = parse_datetime(when) if isinstance(when, str) else None
        if moment is None or moment.tzinfo is None:
            errors[f"{at}.outcomeTimestamp"] = ["Expected an instant with its time zone."]
        suggestions = entry.get("acceptedSuggestions", [])
        if not isinstance(suggestions, list):
            errors[f"{at}.acceptedSuggestions"] = ["Expected an array."]
        row = CdsFeedback(
            card=card,
            outcome=outcome or "",
            outcome_at=moment,
            received_by=user,
            accepted_suggestions=suggestions if isinstance(suggestions, list) else [],
        )
        override = entry.get("overrideReason")
        if override is not None:
            if outcome != CdsFeedback.Outcome.OVERRIDDEN:
                errors[f"{at}.overrideReason"] = ["Only an overridden card has an override reason."]
            elif not isinstance(override, dict):
                errors[f"{at}.overrideReason"] = ["Expected a JSON object."]
            else:
                _read_override(override, row, f"{at}.overrideReason", errors)
        rows.append(row)
    if errors:
        raise CdsError(400, errors)
    new = 0
    for row in rows:
        _, created = CdsFeedback.objects.get_or_create(
            card=row.card,
            outcome=row.outcome,
            outcome_at=row.outcome_at,
            defaults={
                "override_reason": row.override_reason,
                "other_reason_system": row.other_reason_system,
                "other_reason_code": row.other_reason_code,
                "other_reason_display": row.other_reason_display,
                "user_comment": row.user_comment,
                "accepted_suggestions": row.accepted_suggestions,
                "received_by": user,
            },
        )
        new += created
    return new


def _is_uuid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def _read_override(override: dict, row: CdsFeedback, at: str, errors) -> None:
    comment = override.get("userComment", "")
    if not isinstance(comment, str):
        errors[f"{at}.userComment"] = ["Expected text."]
    else:
        row.user_comment = comment.strip()[:2000]
    reason = override.get("reason")
    if reason is None:
        return
    if not isinstance(reason, dict) or not isinstance(reason.get("code"), str):
        errors[f"{at}.reason"] = ["Expected a Coding with 'system' and 'code'."]
        return
    if reason.get("system") == reasons.SYSTEM:
        if reason["code"] not in reasons.OverrideReason.values:
            errors[f"{at}.reason.code"] = [
                "Not one of this service's override reasons: "
                + ", ".join(reasons.OverrideReason.values)
            ]
            return
        row.override_reason = reason["code"]
    else:
        row.other_reason_system = str(reason.get("system", ""))[:200]
        row.other_reason_code = reason["code"][:100]
        row.other_reason_display = str(reason.get("display", ""))[:200]
