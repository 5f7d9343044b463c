"""The JSON API: the engine (``/api/assess``) and work-ups (``/api/workups``).

Same validation and the same answer as the command line and the pages; bad input answers 400
with ``{"errors": {"field.path": [...]}}`` and stores nothing.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from workup.accounts.api import api_endpoint, error
from workup.evidence import service, store
from workup.evidence.facts import FactsError
from workup.languages import codes as languages

from .assessment import assess_workup
from .models import MRN_VALIDATOR, Patient, WorkUp, age_on
from .services import create_workup
from .transfer_records import record_problems
from .validators import check_identity_text

PATIENT_KEYS = ("mrn", "name", "birth_date", "language")
WORKUP_KEYS = ("patient", "facts", "date")


def _catalogue_or_503():
    try:
        return store.get_catalogue(), None
    except store.CatalogueMissing as exc:
        return None, error(503, {"catalogue": [str(exc)]})


@api_endpoint(methods=("POST",), permission="evidence.run_assessment")
def assess(request, user):
    catalogue, problem = _catalogue_or_503()
    if problem:
        return problem
    try:
        answer = service.assess_data(service.decode_json(request.body), catalogue)
    except FactsError as exc:
        return error(400, exc.errors)
    return JsonResponse(answer, json_dumps_params={"ensure_ascii": False})


def _parse_date(value, path, errors):
    if not isinstance(value, str):
        errors.setdefault(path, []).append("Expected a date as YYYY-MM-DD.")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.setdefault(path, []).append(f"Not a valid date (YYYY-MM-DD): {value[:20]!r}.")
        return None


def parse_workup_payload(data, catalogue):
    """Validate a work-up body: (patient fields, facts, work-up date); FactsError on any fault."""
    errors: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        raise FactsError({"json": ["Expected a JSON object with patient and facts."]})
    for key in data:
        if key not in WORKUP_KEYS:
            errors.setdefault(key, []).append(
                f"Unknown field. Known fields here: {', '.join(WORKUP_KEYS)}."
            )
    today = timezone.localdate()
    workup_date = today
    if data.get("date") is not None:
        workup_date = _parse_date(data["date"], "date", errors) or today
        if workup_date > today:
            errors.setdefault("date", []).append("The work-up date cannot be in the future.")

    patient = data.get("patient")
    clean = {}
    if not isinstance(patient, dict):
        errors.setdefault("patient", []).append("Expected an object with mrn, name and birth_date.")
    else:
        for key in patient:
            if key not in PATIENT_KEYS:
                errors.setdefault(f"patient.{key}", []).append(
                    f"Unknown field. Known fields here: {', '.join(PATIENT_KEYS)}."
                )
        mrn = patient.get("mrn")
        if not isinstance(mrn, str) or not mrn.strip():
            errors.setdefault("patient.mrn", []).append("Give the MRN.")
        else:
            try:
                check_identity_text(mrn.strip(), label="MRN")
                MRN_VALIDATOR(mrn.strip())
                clean["mrn"] = mrn.strip()
            except ValidationError as exc:
                errors.setdefault("patient.mrn", []).extend(exc.messages)
        name = patient.get("name")
        if not isinstance(name, str) or not name.strip():
            errors.setdefault("patient.name", []).append("Give the patient's name.")
        elif len(name.strip()) > 200:
            errors.setdefault("patient.name", []).append("At most 200 characters.")
        else:
            try:
                clean["name"] = " ".join(name.split())
                check_identity_text(clean["name"], label=gettext_lazy("The patient's name"))
            except ValidationError as exc:
                clean.pop("name")
                errors.setdefault("patient.name", []).extend(exc.messages)
        if patient.get("birth_date") is None:
            errors.setdefault("patient.birth_date", []).append("Give the birth date (YYYY-MM-DD).")
        else:
            born = _parse_date(patient["birth_date"], "patient.birth_date", errors)
            if born is not None:
                if born >= today:
                    errors.setdefault("patient.birth_date", []).append("Must be in the past.")
                else:
                    clean["birth_date"] = born
        # The language the patient reads (their sheet is printed in it); optional.
        language = patient.get("language")
        if language is not None:
            if language in languages.codes():
                clean["language"] = language
            else:
                errors.setdefault("patient.language", []).append(
                    f"Expected one of {', '.join(languages.codes())}; got {str(language)[:20]!r}."
                )

    raw_facts = data.get("facts")
    if raw_facts is None:
        raw_facts = {}
    derived_age = None
    if "birth_date" in clean:
        derived_age = age_on(clean["birth_date"], workup_date)
        if isinstance(raw_facts, dict) and raw_facts.get("age") is None:
            raw_facts = {**raw_facts, "age": derived_age}
    facts = None
    try:
        facts = service.facts_from(raw_facts, catalogue, prefix="facts")
    except FactsError as exc:
        for path, messages in exc.errors.items():
            errors.setdefault(path, []).extend(messages)
    if facts is not None and derived_age is not None and abs(facts.age - derived_age) > 1:
        errors.setdefault("facts.age", []).append(
            f"Age {facts.age} does not match the birth date ({derived_age} on the work-up date)."
        )
    if facts is not None:
        for path, messages in record_problems(facts, prefix="facts").items():
            errors.setdefault(path, []).extend(messages)
    if errors:
        raise FactsError(errors)
    return clean, facts, workup_date


@api_endpoint(methods=("POST",), permission="clinic.add_workup")
def workups(request, user):
    catalogue, problem = _catalogue_or_503()
    if problem:
        return problem
    try:
        data = service.decode_json(request.body)
        patient_data, facts, workup_date = parse_workup_payload(data, catalogue)
        with transaction.atomic():
            patient = Patient.objects.select_for_update().filter(mrn=patient_data["mrn"]).first()
            if patient is None:
                patient = Patient.objects.create(**patient_data)
            elif patient.birth_date != patient_data["birth_date"]:
                raise FactsError(
                    {
                        "patient.birth_date": [
                            f"MRN {patient.mrn} is on record with another birth date; "
                            "check the patient."
                        ]
                    }
                )
            elif patient_data.get("language", patient.language) != patient.language:
                # A language given for a patient on record is their newer preference.
                patient.language = patient_data["language"]
                patient.save(update_fields=["language", "updated_at"])
            workup = create_workup(
                patient=patient,
                clinician=user,
                user=user,
                workup_date=workup_date,
                age_years=facts.age,
                facts=facts,
                catalogue=catalogue,
            )
    except FactsError as exc:
        return error(400, exc.errors)
    url = workup.get_absolute_url()
    response = JsonResponse({"id": workup.pk, "url": url}, status=201)
    response["Location"] = url
    return response


@api_endpoint(methods=("GET",), permission="clinic.view_workup")
def workup_detail(request, user, pk):
    catalogue, problem = _catalogue_or_503()
    if problem:
        return problem
    workup = (
        WorkUp.objects.select_related("patient", "clinician", "findings", "planned_cycle")
        .prefetch_related("cycles", "transfers", "steps", "addon_requests")
        .filter(pk=pk)
        .first()
    )
    if workup is None:
        return error(404, {"id": [f"No work-up {pk}."]})
    facts, answer = assess_workup(workup, catalogue)
    payload = {
        "id": workup.pk,
        "url": workup.get_absolute_url(),
        "patient": {
            "mrn": workup.patient.mrn,
            "name": workup.patient.name,
            "birth_date": workup.patient.birth_date.isoformat(),
            "language": workup.patient.language,
        },
        "clinician": workup.clinician.get_username(),
        "date": workup.date.isoformat(),
        "status": workup.status,
        "facts": facts.to_dict(),
        "assessment": answer,
    }
    return JsonResponse(payload, json_dumps_params={"ensure_ascii": False})
