"""Access control from the URLconf: every URL pattern has a decision, and the decision holds.

``MATRIX`` says, for each URL name, what each kind of visitor gets on GET and on POST. The first
test walks the URLconf: a URL without a row fails, with a message saying where to add it. The
others play every row: anonymous, a signed-in user without a role, and each role; a refused POST
must leave every stored row as it was. The admin (generated per registered model) is checked
from the admin's own registry.

Adding a row: copy the row of a similar view. ``only({CLIN})`` means: the clinician gets the
``yes`` outcome (200 by default), other signed-in users 403, anonymous the login redirect.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import make_user
from tests.factories import make_patient, make_workup
from tests.security.conftest import stored_rows
from workup.accounts.models import ApiToken
from workup.clinic.models import AddonRequest, ChecklistStep
from workup.clinic.services import track_next_step
from workup.evidence import store
from workup.evidence.models import CatalogueTranslation, Parameter
from workup.interop.codes import load_codes
from workup.interop.models import Coding, IncomingResult

ANON, NOROLE, CLIN, COORD, LEAD = "anonymous", "no role", "clinician", "coordinator", "lead"
LAB = "lab interface"
SIGNED_IN = (NOROLE, CLIN, COORD, LEAD, LAB)
ROLES = {CLIN, COORD, LEAD}

# Outcomes: a status code, or one of these.
LOGIN = "redirect to the login page"
DONE = "redirect to a page (the write was made)"
OK, CREATED, UNAUTHORIZED, DENIED, NOT_FOUND, NO_METHOD = 200, 201, 401, 403, 404, 405


def only(allowed, yes=OK, no=DENIED, anon=LOGIN) -> dict:
    return {ANON: anon, **{actor: yes if actor in allowed else no for actor in SIGNED_IN}}


def signed_in(outcome=OK) -> dict:
    return only(SIGNED_IN, yes=outcome)


def no_method(anon=LOGIN) -> dict:
    """The method is not offered: 405, once signed in."""
    return {ANON: anon, **dict.fromkeys(SIGNED_IN, NO_METHOD)}


def api(allowed, yes=OK) -> dict:
    return only(allowed, yes=yes, anon=UNAUTHORIZED)


def everyone(outcome) -> dict:
    return {ANON: outcome, **dict.fromkeys(SIGNED_IN, outcome)}


@dataclass(frozen=True)
class Rule:
    get: dict
    post: dict
    kwargs: Callable = lambda s: {}
    # A POST body that makes a real write for an allowed user, so a refusal is meaningful.
    data: Callable = lambda s: {}
    json: bool = False
    # A raw body of this content type (an HL7 v2 message), instead of form data or JSON.
    raw: str = ""


def workup_pk(s):
    return {"pk": s.workup.pk}


def step(code):
    return lambda s: {"pk": s.workup.pk, "code": code}


def step_row(s, code):
    return ChecklistStep.objects.get(workup=s.workup, code=code)


def version(s, code):
    return step_row(s, code).version


def sign_fields(s):
    """The sign form's hidden fields as the page draws them (versions and fingerprint)."""
    from workup.clinic.assessment import assess_workup
    from workup.clinic.presenters import load_workup
    from workup.clinic.views.workups import sign_initial

    workup = load_workup(s.workup.pk)
    catalogue = store.get_catalogue()
    _, answer = assess_workup(workup, catalogue)
    return {f"sign-{k}": v for k, v in sign_initial(workup, catalogue, answer).items()}


def table_version(s):
    from workup.clinic.models import WorkUp

    return WorkUp.objects.get(pk=s.workup.pk).version


def sample_transfer(s):
    """The first transfer on the sample's table, for the rows that change or remove one."""
    return s.workup.transfers.order_by("date").first()


def add_sample_transfers(workup):
    """The sample's three failed transfers, one by one (untested, oocytes at 36: still RIF)."""
    from workup.clinic.transfer_records import Transfer

    for day in (date(2025, 2, 10), date(2025, 5, 12), date(2025, 9, 8)):
        Transfer.objects.create(
            workup=workup,
            date=day,
            oocyte_age=36,
            stage="blastocyst",
            embryos=[{"pgta": "untested"}],
            outcome="negative",
        )


def transfer_fields(prefix, s):
    return {
        f"{prefix}-date": "2025-03-01",
        f"{prefix}-oocytes": "own",
        f"{prefix}-oocyte_age": "34",
        f"{prefix}-stage": "blastocyst",
        f"{prefix}-embryo_1_pgta": "untested",
        f"{prefix}-outcome": "negative",
        f"{prefix}-table_version": table_version(s),
    }


def transfers_file(s):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = (
        "transfer_date,oocyte_age,stage,pgta,outcome\n2025-04-01,34,blastocyst,untested,negative\n"
    )
    return {
        "import-file": SimpleUploadedFile("t.csv", body.encode(), content_type="text/csv"),
        "import-table_version": table_version(s),
    }


EMR_CARD = "6f1d2c3b-0000-4000-8000-00000000feed"


def make_emr_card(user):
    """A CDS card sent to the clinician's EMR account (for the feedback endpoint's row)."""
    from workup.guardrail.models import CdsCard

    return CdsCard.objects.create(
        uuid=EMR_CARD,
        service="rif-addon-order-sign",
        hook="order-sign",
        hook_instance="matrix",
        indicator="warning",
        summary="Matrix card",
        addon_code="intralipids",
        emr_user="Practitioner/alice",
        emr_patient="matrix",
        requested_by=user,
    )


CDS_ORDER = {
    "hook": "order-sign",
    "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    "context": {
        "userId": "Practitioner/alice",
        "patientId": "matrix",
        "draftOrders": {
            "resourceType": "Bundle",
            "entry": [
                {
                    "resource": {
                        "resourceType": "MedicationRequest",
                        "id": "m1",
                        "status": "draft",
                        "medicationCodeableConcept": {"text": "Intralipid 20%"},
                    }
                }
            ],
        },
    },
    "prefetch": {"patient": {"resourceType": "Patient", "birthDate": "1988-05-01"}},
}


MATRIX: dict[str, Rule] = {
    # --- public and account pages ---
    "healthz": Rule(get=everyone(OK), post=everyone(NO_METHOD)),
    # The interface's language: anyone may choose it (the sign-in page offers it too); a
    # signed-in user's choice is kept on their profile. POST only.
    "set_language": Rule(
        get=everyone(NO_METHOD), post=everyone(DONE), data=lambda s: {"language": "fr"}
    ),
    "login": Rule(get={**signed_in(DONE), ANON: OK}, post={**signed_in(DONE), ANON: OK}),
    "logout": Rule(get=no_method(), post=signed_in(DONE)),
    "accounts:tokens": Rule(get=signed_in(), post=no_method()),
    "accounts:token_create": Rule(
        get=no_method(), post=signed_in(OK), data=lambda s: {"name": "matrix"}
    ),
    # Only one's own token; anyone else's is not found (the lead revokes in the admin).
    "accounts:token_revoke": Rule(
        get=no_method(),
        post=only({CLIN}, yes=DONE, no=NOT_FOUND),
        kwargs=lambda s: {"pk": s.token.pk},
    ),
    "accounts:password_change": Rule(get=signed_in(), post=signed_in(OK)),
    "accounts:password_change_done": Rule(get=signed_in(), post=no_method()),
    # A forgotten password: anyone may ask; the link goes to the account's own email.
    "accounts:password_reset": Rule(
        get=everyone(OK), post=everyone(DONE), data=lambda s: {"email": "nobody@example.org"}
    ),
    "accounts:password_reset_done": Rule(get=everyone(OK), post=everyone(NO_METHOD)),
    # A made-up link: the page says it is not valid, and nothing changes.
    "accounts:password_reset_confirm": Rule(
        get=everyone(OK),
        post=everyone(OK),
        kwargs=lambda s: {"uidb64": "MQ", "token": "made-up-token"},
        data=lambda s: {"new_password1": "x" * 12, "new_password2": "x" * 12},
    ),
    "accounts:password_reset_complete": Rule(get=everyone(OK), post=everyone(NO_METHOD)),
    # The lead's users page: role, status and contact details only.
    "accounts:users": Rule(get=only({LEAD}), post=no_method()),
    "accounts:user_create": Rule(
        get=only({LEAD}),
        post=only({LEAD}, yes=DONE),
        data=lambda s: {
            "username": "matrix",
            "first_name": "Mat",
            "last_name": "Rix",
            "email": "matrix@example.org",
            "role": "clinician",
        },
    ),
    "accounts:user_edit": Rule(
        get=only({LEAD}),
        post=only({LEAD}, yes=DONE),
        kwargs=lambda s: {"pk": s.users[CLIN].pk},
        data=lambda s: {
            "first_name": "Alice",
            "last_name": "Renamed",
            "role": "coordinator",
            "is_active": "on",
        },
    ),
    # --- the JSON API: 401, never a login redirect ---
    "api_assess": Rule(
        get=everyone(NO_METHOD), post=api(ROLES), data=lambda s: {"age": 38}, json=True
    ),
    "api_workups": Rule(
        get=everyone(NO_METHOD),
        post=api({CLIN}, yes=CREATED),
        data=lambda s: {
            "patient": {"mrn": "MATRIX-1", "name": "Mae Trix", "birth_date": "1990-02-03"},
            "facts": {"failed_transfers": 2},
        },
        json=True,
    ),
    "api_workup_detail": Rule(get=api(ROLES), post=everyone(NO_METHOD), kwargs=workup_pk),
    "api_workup_fhir": Rule(get=api(ROLES), post=everyone(NO_METHOD), kwargs=workup_pk),
    # Lab results in: the lab interface only (its bridge's token), never a person's role.
    "api_results": Rule(
        get=everyone(NO_METHOD),
        post=api({LAB}),
        data=lambda s: {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "3016-3"}]},
            "subject": {"identifier": {"system": "urn:rif-workup:mrn", "value": s.patient.mrn}},
            "valueQuantity": {"value": 2.2, "unit": "mIU/L"},
        },
        json=True,
    ),
    "api_results_hl7": Rule(
        get=everyone(NO_METHOD),
        post=api({LAB}),
        data=lambda s: "\r".join(
            [
                "MSH|^~\\&|LIS|CITYLAB|RIF|CLINIC|20261201101500||ORU^R01^ORU_R01|M1|P|2.5.1",
                f"PID|1||{s.patient.mrn}^^^CLINIC^MR",
                "OBX|1|NM|3016-3^TSH^LN||2.2|mIU/L|||||F",
            ]
        ),
        raw="application/hl7-v2",
    ),
    # --- the clinical record ---
    # The start page by role; a coordinator is sent on to the coordinator queue.
    "clinic:home": Rule(get={**only({CLIN, LEAD}), COORD: DONE}, post=no_method()),
    "clinic:patient_list": Rule(get=only(ROLES), post=no_method()),
    "clinic:patient_create": Rule(
        get=only({CLIN}),
        post=only({CLIN}, yes=DONE),
        data=lambda s: {"mrn": "MATRIX-2", "name": "Ana Matrix", "birth_date": "1989-01-02"},
    ),
    "clinic:patient_detail": Rule(
        get=only(ROLES), post=no_method(), kwargs=lambda s: {"pk": s.patient.pk}
    ),
    "clinic:patient_edit": Rule(
        get=only({CLIN}),
        post=only({CLIN}, yes=DONE),
        kwargs=lambda s: {"pk": s.patient.pk},
        data=lambda s: {"mrn": s.patient.mrn, "name": "Renamed", "birth_date": "1988-05-01"},
    ),
    "clinic:workup_create": Rule(
        get=only({CLIN}),
        post=only({CLIN}, yes=DONE),
        kwargs=lambda s: {"pk": s.patient.pk},
        data=lambda s: {"date": date.today().isoformat(), "clinician": s.users[CLIN].pk},
    ),
    # One clinic: every clinician, coordinator and lead sees every work-up.
    "clinic:workup_detail": Rule(get=only(ROLES), post=no_method(), kwargs=workup_pk),
    "clinic:workup_history": Rule(get=only(ROLES), post=no_method(), kwargs=workup_pk),
    "clinic:record_step": Rule(
        get=no_method(),
        post=only({CLIN}, yes=DONE),
        kwargs=step("lifestyle"),
        data=lambda s: {
            "lifestyle-bmi": "31",
            "lifestyle-smoker": "true",
            "lifestyle-version": version(s, "lifestyle"),
        },
    ),
    "clinic:preview_step": Rule(
        get=no_method(),
        post=only({CLIN}),
        kwargs=step("lifestyle"),
        data=lambda s: {"lifestyle-bmi": "31", "lifestyle-version": version(s, "lifestyle")},
    ),
    "clinic:decide": Rule(
        get=no_method(),
        post=only({CLIN}, yes=DONE),
        kwargs=step("karyotype"),
        data=lambda s: {
            "decide-karyotype-decision": "not_indicated",
            "decide-karyotype-reason": "Normal in 2024",
            "decide-karyotype-version": version(s, "karyotype"),
        },
    ),
    "clinic:complete_step": Rule(
        get=no_method(),
        post=only({CLIN}, yes=DONE),
        kwargs=step("polypectomy"),
        data=lambda s: {"complete-polypectomy-version": version(s, "polypectomy")},
    ),
    # The planned cycle (version 0: no plan yet) and its live checks, which write nothing.
    "clinic:record_plan": Rule(
        get=no_method(),
        post=only({CLIN}, yes=DONE),
        kwargs=workup_pk,
        data=lambda s: {"plan-daily_dose_iu": "225", "plan-freeze_all": "true", "plan-version": 0},
    ),
    "clinic:preview_plan": Rule(
        get=no_method(),
        post=only({CLIN}),
        kwargs=workup_pk,
        data=lambda s: {"plan-daily_dose_iu": "225", "plan-version": 0},
    ),
    "clinic:track": Rule(
        get=no_method(),
        post=only({CLIN, COORD}, yes=DONE),
        kwargs=workup_pk,
        data=lambda s: {
            "code": "ce_rebiopsy",
            "track-ce_rebiopsy-code": "ce_rebiopsy",
            "track-ce_rebiopsy-due_date": (date.today() + timedelta(days=9)).isoformat(),
            "track-ce_rebiopsy-version": 0,
        },
    ),
    "clinic:add_addon": Rule(
        get=no_method(),
        post=only({CLIN}, yes=DONE),
        kwargs=workup_pk,
        data=lambda s: {"addon-addon_code": "ivig", "addon-requested_by": "patient"},
    ),
    "clinic:counsel_addon": Rule(
        get=no_method(),
        post=only({CLIN}, yes=DONE),
        kwargs=lambda s: {"pk": s.workup.pk, "request_pk": s.addon_request.pk},
        data=lambda s: {
            f"counsel-{s.addon_request.pk}-outcome": "discussed_declined",
            f"counsel-{s.addon_request.pk}-version": s.addon_request.version,
        },
    ),
    "clinic:withdraw_addon": Rule(
        get=no_method(),
        post=only({CLIN}, yes=DONE),
        kwargs=lambda s: {"pk": s.workup.pk, "request_pk": s.addon_request.pk},
        data=lambda s: {f"withdraw-{s.addon_request.pk}-version": s.addon_request.version},
    ),
    "clinic:sign": Rule(
        get=no_method(),
        post=only({CLIN}, yes=DONE),
        kwargs=workup_pk,
        data=lambda s: {"sign-confirm": "on", **sign_fields(s)},
    ),
    # --- the transfer table: clinicians write it; the CSV template is theirs too ---
    "clinic:transfer_add": Rule(
        get=no_method(),
        post=only({CLIN}, yes=DONE),
        kwargs=workup_pk,
        data=lambda s: transfer_fields("transfer-new", s),
    ),
    "clinic:transfer_edit": Rule(
        get=no_method(),
        post=only({CLIN}, yes=DONE),
        kwargs=lambda s: {"pk": s.workup.pk, "transfer_pk": sample_transfer(s).pk},
        data=lambda s: transfer_fields(f"transfer-{sample_transfer(s).pk}", s),
    ),
    "clinic:transfer_delete": Rule(
        get=no_method(),
        post=only({CLIN}, yes=DONE),
        kwargs=lambda s: {"pk": s.workup.pk, "transfer_pk": sample_transfer(s).pk},
        data=lambda s: {f"remove-{sample_transfer(s).pk}-table_version": table_version(s)},
    ),
    "clinic:transfers_import": Rule(
        get=no_method(), post=only({CLIN}, yes=DONE), kwargs=workup_pk, data=transfers_file
    ),
    "clinic:transfers_template": Rule(get=only({CLIN}), post=no_method()),
    # --- the coordinator queue: every role sees it; clinicians and coordinators act on it ---
    "coordination:queue": Rule(
        get=only(ROLES),
        post=only({CLIN, COORD}, yes=DONE),
        data=lambda s: {
            "action": "due",
            "steps": f"{step_row(s, 'thyroid').pk}:{step_row(s, 'thyroid').version}",
            "date": (date.today() + timedelta(days=10)).isoformat(),
        },
    ),
    "coordination:export": Rule(get=only({COORD}), post=no_method()),
    "coordination:my_queue": Rule(get=only({CLIN}), post=no_method()),
    # --- documents: whoever may see the work-up may print it ---
    "documents:summary": Rule(get=only(ROLES), post=no_method(), kwargs=workup_pk),
    "documents:summary_pdf": Rule(get=only(ROLES), post=no_method(), kwargs=workup_pk),
    "documents:handout": Rule(get=only(ROLES), post=no_method(), kwargs=workup_pk),
    "documents:handout_pdf": Rule(get=only(ROLES), post=no_method(), kwargs=workup_pk),
    "documents:page_css": Rule(
        get=only(ROLES),
        post=no_method(),
        kwargs=lambda s: {"pk": s.workup.pk, "kind": "summary"},
    ),
    # --- CDS Hooks (an EMR with a clinician account's token): 401, never a login redirect ---
    "guardrail:cds_discovery": Rule(get=api({CLIN}), post=everyone(NO_METHOD)),
    "guardrail:cds_service": Rule(
        get=everyone(NO_METHOD),
        post=api({CLIN}),
        kwargs=lambda s: {"service_id": "rif-addon-order-sign"},
        data=lambda s: CDS_ORDER,
        json=True,
    ),
    "guardrail:cds_feedback": Rule(
        get=everyone(NO_METHOD),
        post=api({CLIN}),
        kwargs=lambda s: {"service_id": "rif-addon-order-sign"},
        data=lambda s: {
            "feedback": [
                {
                    "card": EMR_CARD,
                    "outcome": "overridden",
                    "outcomeTimestamp": "2026-11-30T10:00:00Z",
                }
            ]
        },
        json=True,
    ),
    # --- the lead's quality dashboard; a kept patient sheet for whoever sees work-ups ---
    "guardrail:quality": Rule(get=only({LEAD}), post=no_method()),
    "guardrail:overrides": Rule(get=only({LEAD}), post=no_method()),
    "guardrail:quality_csv": Rule(
        get=only({LEAD}), post=no_method(), kwargs=lambda s: {"key": "addons"}
    ),
    # No sheet is kept in the sample (no override recorded): 404 for those who may see it.
    "guardrail:kept_sheet": Rule(
        get=only(ROLES, yes=NOT_FOUND),
        post=no_method(),
        kwargs=lambda s: {"pk": s.addon_request.pk},
    ),
    # --- the audit trail: the clinical lead only ---
    "audit:changes": Rule(get=only({LEAD}), post=no_method()),
    "audit:downloads": Rule(get=only({LEAD}), post=no_method()),
    "audit:changes_csv": Rule(get=only({LEAD}), post=no_method()),
    "audit:downloads_csv": Rule(get=only({LEAD}), post=no_method()),
    # --- the catalogue review screen: the clinical lead only ---
    "evidence:review_queue": Rule(get=only({LEAD}), post=no_method()),
    "evidence:review_entry": Rule(
        get=only({LEAD}),
        post=only({LEAD}, yes=DONE),
        kwargs=lambda s: {"kind": "parameters", "code": "aps_repeat_weeks"},
        data=lambda s: {
            "status": "verified",
            "seen": Parameter.objects.get(code="aps_repeat_weeks").updated_at.isoformat(),
        },
    ),
    # --- translations of the patient texts: the lead (or a reviewer given the permission) ---
    "evidence:review_translations": Rule(get=only({LEAD}), post=no_method()),
    "evidence:review_translations_language": Rule(
        get=only({LEAD}), post=no_method(), kwargs=lambda s: {"language": "fr"}
    ),
    "evidence:confirm_translation": Rule(
        get=no_method(),
        post=only({LEAD}, yes=DONE),
        kwargs=lambda s: {"language": "fr", "kind": "addons", "code": "intralipids"},
        data=lambda s: {
            "seen": CatalogueTranslation.objects.get(
                language="fr", kind="addons", code="intralipids"
            ).updated_at.isoformat()
        },
    ),
    # --- incoming lab results: a clinician decides ---
    "interop:accept_result": Rule(
        get=no_method(),
        post=only({CLIN}, yes=DONE),
        kwargs=lambda s: {"pk": s.workup.pk, "result_pk": s.result.pk},
        data=lambda s: {"version": s.result.version},
    ),
    "interop:reject_result": Rule(
        get=no_method(),
        post=only({CLIN}, yes=DONE),
        kwargs=lambda s: {"pk": s.workup.pk, "result_pk": s.result.pk},
        data=lambda s: {"version": s.result.version, "reason": "Wrong patient"},
    ),
}

# The admin's own pages (not per model).
ADMIN_SITE_NAMES = {
    "index",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "autocomplete",
    "jsi18n",
    "view_on_site",
    "app_list",
}
# Per-model admin views; each checks the model's view/add/change/delete permission itself.
ADMIN_MODEL_ACTIONS = (
    "changelist",
    "add",
    "history",
    "delete",
    "change",
    "simple_history",  # django-simple-history's version view (catalogue entries)
    "password_change",  # the user admin's "set password" (auth.change_user)
)

# Registered admin models the lead may open (changelist 200); any other one answers 403.
# Read-only views of the clinical record for superusers (support, benchmarks): not the lead.
# The stock user and group admin too: superuser flags, groups and passwords are no one else's.
SUPERUSER_ADMIN_MODELS = {
    "clinic.checkliststep",
    "clinic.patient",
    "clinic.workup",
    "auth.user",
    "auth.group",
    # Background task results (PDF rendering): the server's business, not the lead's.
    "django_tasks_database.dbtaskresult",
}

LEAD_ADMIN_MODELS = {
    "accounts.apitoken",
    "axes.accessattempt",
    "axes.accesslog",
    "interop.coding",
    "interop.labcodemapping",
    "interop.ordermapping",
    "interop.emrordercode",
    *(
        f"evidence.{name}"
        for name in (
            "catalogueversion",
            "source",
            "investigation",
            "nextstep",
            "addon",
            "implantationchance",
            "parameter",
            "statement",
            "reviewrecord",
            "cataloguetranslation",
        )
    ),
}


# Admin add pages. No one creates a credential for another person there: an API token is made
# by the person who will hold it, on the app's own page (accounts:token_create), superusers
# included; the admin lists and revokes tokens only.
CATALOGUE_ADDABLE = {
    f"evidence.{name}"
    for name in (
        "source",
        "investigation",
        "nextstep",
        "addon",
        "implantationchance",
        "parameter",
        "statement",
    )
}
LEAD_ADMIN_ADD = {*CATALOGUE_ADDABLE, "interop.labcodemapping", "interop.emrordercode"}
SUPERUSER_ADMIN_ADD = {*LEAD_ADMIN_ADD, "auth.user", "auth.group"}


def url_names(resolver=None, namespace=""):
    """(full name, pattern) of every URL pattern, through every include."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace]))
            yield from url_names(entry, inner)
        elif isinstance(entry, URLPattern):
            # An unnamed pattern is "namespace:" ("" outside any namespace).
            yield (f"{namespace}:" if namespace else "") + (entry.name or ""), entry


def test_every_url_pattern_has_an_access_decision():
    # The admin's patterns, named or not (a change-page redirect, its catch-all), are below.
    ours = [(name, p) for name, p in url_names() if not name.startswith("admin:")]
    unnamed = [str(p.pattern) for name, p in ours if not name or name.endswith(":")]
    assert not unnamed, f"Name these URL patterns so access can be decided: {unnamed}"
    names = {name for name, _ in ours}
    missing = sorted(names - MATRIX.keys())
    assert not missing, (
        f"No access decision for {missing}: add a row to MATRIX in {__file__} saying what "
        "anonymous visitors, users without a role and each role get on GET and POST."
    )
    gone = sorted(MATRIX.keys() - names)
    assert not gone, f"MATRIX has rows for URLs that no longer exist: {gone}"


def test_every_admin_url_belongs_to_the_site_or_a_registered_model():
    per_model = {
        f"{m._meta.app_label}_{m._meta.model_name}_{action}"
        for m in admin.site._registry
        for action in ADMIN_MODEL_ACTIONS
    }
    names = {name.removeprefix("admin:") for name, _ in url_names() if name.startswith("admin:")}
    names.discard("")  # unnamed: the admin's catch-all and change-page redirects
    unknown = sorted(names - ADMIN_SITE_NAMES - per_model)
    assert not unknown, f"Admin URLs without a decision: {unknown} (see LEAD_ADMIN_MODELS)"
    registered = {m._meta.label_lower for m in admin.site._registry}
    undecided = sorted(
        registered - LEAD_ADMIN_MODELS - SUPERUSER_ADMIN_MODELS - {"axes.accessfailurelog"}
    )
    assert not undecided, (
        f"Newly registered in the admin: {undecided}. Decide whether the lead may see them: "
        f"add them to LEAD_ADMIN_MODELS in {__file__} (and the permission to accounts/roles.py)."
    )


# --- playing the matrix ---------------------------------------------------------------------


@dataclass
class Sample:
    users: dict
    patient: object = None
    workup: object = None
    token: object = None
    addon_request: object = None
    result: object = None
    clients: dict = field(default_factory=dict)


SAMPLE_FACTS = {
    "age": 36,
    "failed_transfers": 3,
    "hysteroscopy": {"done": True, "polyp": True},
    "ce_biopsy": {"done": True, "cd138_positive": True, "treated": True},
    "addons_requested": ["intralipids"],
}


@pytest.fixture
def sample(loaded_catalogue):
    users = {
        NOROLE: make_user("sam"),
        CLIN: make_user("alice", "clinician"),
        COORD: make_user("carol", "coordinator"),
        LEAD: make_user("lena", "lead"),
        LAB: make_user("lab", "lab_interface"),
    }
    load_codes()
    patient = make_patient(name="Matrix Sample")
    workup = make_workup(clinician=users[CLIN], patient=patient, facts=SAMPLE_FACTS)
    add_sample_transfers(workup)
    track_next_step(workup=workup, code="polypectomy", user=users[CLIN])
    token, _ = ApiToken.issue(user=users[CLIN], name="lab")
    make_emr_card(users[CLIN])
    return Sample(
        users=users,
        patient=patient,
        workup=workup,
        token=token,
        addon_request=AddonRequest.objects.get(workup=workup, addon_code="intralipids"),
        result=IncomingResult.objects.create(
            workup=workup,
            coding=Coding.objects.get(key="loinc-tsh"),
            source_format="hl7v2",
            sender="CITYLAB",
            local_code="3016-3",
            value_sent="2.2",
            unit_sent="mIU/L",
            number=2.2,
            unit="mIU/L",
        ),
    )


def outcome_of(response):
    if response.status_code == 302:
        location = response["Location"]
        return LOGIN if location.startswith(f"{settings.LOGIN_URL}?next=") else DONE
    return response.status_code


def client_for(actor, sample, **options) -> Client:
    client = Client(**options)
    if actor != ANON:
        client.force_login(sample.users[actor])
    return client


def first_actor(outcomes: dict, wanted) -> str | None:
    """The first visitor, clinician first, whose outcome is one of ``wanted``."""
    return next((a for a in (CLIN, COORD, LEAD, LAB, NOROLE, ANON) if outcomes[a] in wanted), None)


def send(client, method, url, sample, rule):
    if method == "get":
        return client.get(url)
    data = rule.data(sample)
    if rule.raw:
        return client.post(url, data, content_type=rule.raw)
    if rule.json:
        return client.post(url, json.dumps(data), content_type="application/json")
    return client.post(url, data)


REFUSALS = (LOGIN, UNAUTHORIZED, DENIED, NOT_FOUND, NO_METHOD)


def play(name, method, sample):
    rule = MATRIX[name]
    url = reverse(name, kwargs=rule.kwargs(sample))
    expected = getattr(rule, method)
    before = stored_rows()
    wrong = []
    for actor in (ANON, *SIGNED_IN):
        # Each visitor starts from the same state: what one did is rolled back.
        with transaction.atomic():
            client = client_for(actor, sample)
            got = outcome_of(send(client, method, url, sample, rule))
            if method == "post" and expected[actor] in REFUSALS:
                after = stored_rows()
                moved = [label for label in after if after[label] != before[label]]
                if moved:
                    wrong.append(f"{actor} was refused but changed {moved}")
            transaction.set_rollback(True)
        if got != expected[actor]:
            wrong.append(f"{actor}: expected {expected[actor]}, got {got}")
    assert not wrong, f"{method.upper()} {url} ({name}): " + "; ".join(wrong)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_who_may_get(name, sample):
    play(name, "get", sample)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_who_may_post_and_refused_posts_change_nothing(name, sample):
    play(name, "post", sample)


@pytest.mark.django_db
def test_the_admin_is_for_the_lead_only(sample):
    wrong = []
    for model in admin.site._registry:
        label = model._meta.label_lower
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for actor in (ANON, *SIGNED_IN):
            response = client_for(actor, sample).get(url)
            if actor == LEAD:
                expected = OK if label in LEAD_ADMIN_MODELS else DENIED
                got = response.status_code
            elif actor == ANON:
                expected, got = LOGIN, outcome_of(response)
            else:
                # Anyone not staff is sent to the admin's sign-in, which refuses them.
                expected = "admin login"
                got = (
                    "admin login"
                    if response.status_code == 302 and "/admin/login/" in response["Location"]
                    else response.status_code
                )
            if got != expected:
                wrong.append(f"{label} {actor}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)
    assert client_for(LEAD, sample).get(reverse("admin:index")).status_code == OK


@pytest.mark.django_db
def test_one_clinic_every_clinician_works_on_every_work_up(sample):
    """Object access is by role, not by owner: a colleague covers for the responsible clinician."""
    colleague = Client()
    colleague.force_login(make_user("bianca", "clinician"))
    workup = sample.workup
    assert colleague.get(reverse("clinic:workup_detail", args=[workup.pk])).status_code == OK
    rule = MATRIX["clinic:record_step"]
    response = send(
        colleague,
        "post",
        reverse("clinic:record_step", kwargs=rule.kwargs(sample)),
        sample,
        rule,
    )
    assert outcome_of(response) == DONE
    assert workup.findings.history.latest().history_user.username == "bianca"


@pytest.mark.django_db
def test_who_may_add_in_the_admin_and_never_a_token_for_someone_else(sample):
    """Every registered model's add page, for the lead and for a superuser; a refused POST of a
    token for a colleague (or a superuser) stores nothing and shows no key."""
    root = make_user("root", is_superuser=True, is_staff=True)
    sample.users["superuser"] = root
    wrong = []
    for model in admin.site._registry:
        label = model._meta.label_lower
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        for actor, allowed in ((LEAD, LEAD_ADMIN_ADD), ("superuser", SUPERUSER_ADMIN_ADD)):
            got = client_for(actor, sample).get(url).status_code
            expected = OK if label in allowed else DENIED
            if got != expected:
                wrong.append(f"{label} add, {actor}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)
    url = reverse("admin:accounts_apitoken_add")
    before = stored_rows()
    for actor in (ANON, *SIGNED_IN, "superuser"):
        for holder in (sample.users[CLIN], root, sample.users.get(actor, root)):
            response = client_for(actor, sample).post(url, {"user": holder.pk, "name": "x"})
            assert response.status_code in (302, 403), (actor, holder)
            assert b"rif_" not in response.content
    assert stored_rows() == before
