"""Bad input never breaks and never stores (property-based, with hypothesis).

Three doors: the facts validation itself, the JSON API, and the clinic's findings forms. Whatever
comes in, the answer is a result or a refusal naming the fields, never a 500, and a refusal
leaves every stored row as it was. Example counts come from the "rif" profile (conftest.py).
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import make_user
from tests.factories import make_workup
from workup.clinic.models import (
    Addendum,
    AddonRequest,
    ChecklistStep,
    Findings,
    Patient,
    StimulationCycle,
    WorkUp,
)
from workup.clinic.steps import FORM_STEPS
from workup.clinic.views.workups import findings_form
from workup.evidence import store
from workup.evidence.facts import (
    _CYCLE,
    APS_RESULTS,
    KARYOTYPES,
    KNOWN_KEYS,
    OBJECTS,
    SCALARS,
    Facts,
    FactsError,
    parse_facts,
)

# --- strategies -----------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)
# Values of about the right kind, often in range: they reach the cross-checks and the engine.
plausible = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 130),
    st.floats(-3, 130, allow_nan=False),
    st.sampled_from([*APS_RESULTS, *KARYOTYPES, "", "yes", "ng/mL"]),
)


def nested(spec):
    return st.dictionaries(st.sampled_from([*spec, "unknown"]), plausible, max_size=len(spec))


codes = st.sampled_from(["intralipids", "ivig", "heparin", "hysteroscopy", "karyotype", "nope"])
facts_shaped = st.fixed_dictionaries(
    {"age": st.one_of(st.integers(15, 65), plausible)},
    optional={
        **dict.fromkeys(set(SCALARS) - {"age"}, plausible),
        **{group: nested(checks) | json_values for group, (checks, _cls) in OBJECTS.items()},
        "amh": st.fixed_dictionaries(
            {"value": plausible, "unit": st.sampled_from(["ng/mL", "pmol/L", "mg", ""])}
        )
        | json_values,
        "previous_oocytes": st.lists(plausible, max_size=4) | json_values,
        "previous_cycles": st.lists(nested(_CYCLE), max_size=3),
        "addons_requested": st.lists(codes, max_size=3) | json_values,
        "indicated_by_clinician": st.lists(codes, max_size=2),
        "not_indicated_by_clinician": st.dictionaries(codes, st.text(max_size=30), max_size=2),
        "completed_actions": st.lists(codes, max_size=2),
        "not_a_field": json_values,
    },
)
any_facts = st.one_of(
    json_values, facts_shaped, st.dictionaries(st.sampled_from(KNOWN_KEYS), json_values)
)


def places(value, path=()):
    """Every place in a JSON value, as a dotted path."""
    yield ".".join(path)
    if isinstance(value, dict):
        for key, item in value.items():
            yield from places(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from places(item, (*path, str(index)))


def objects(value, path=()):
    """The dotted path of every JSON object in a value."""
    if isinstance(value, dict):
        yield ".".join(path)
        for key, item in value.items():
            yield from objects(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from objects(item, (*path, str(index)))


FIELD_NAME = re.compile(r"[a-z_]+")


def names_a_place(error_path: str, data) -> bool:
    """The path is a place in the input, or a field missing from one of its objects."""
    if error_path == "facts":  # the whole input
        return True
    if error_path in set(places(data)):
        return True
    parent, _, name = error_path.rpartition(".")
    return parent in set(objects(data)) and bool(FIELD_NAME.fullmatch(name))


# --- (a) the facts validation ---------------------------------------------------------------


@given(data=any_facts)
def test_any_input_gives_facts_or_errors_that_name_their_fields(data, catalogue):
    try:
        facts = parse_facts(data, **catalogue.codes_for_facts())
    except FactsError as refusal:
        assert refusal.errors, "a refusal names at least one field"
        for path, messages in refusal.errors.items():
            assert names_a_place(path, data), f"{path!r} is not a place in the input"
            assert messages and all(isinstance(m, str) and m for m in messages)
    else:
        assert isinstance(facts, Facts)


# --- (b) the JSON API -----------------------------------------------------------------------

RECORDS = (Patient, WorkUp, Findings, ChecklistStep, AddonRequest, StimulationCycle, Addendum)


def counts():
    return tuple(m.objects.count() for m in RECORDS) + tuple(m.history.count() for m in RECORDS)


def post_json(client, url, body):
    raw = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(url, raw, content_type="application/json")


def assert_refusal_names_fields(response):
    errors = response.json()["errors"]
    assert errors and all(isinstance(k, str) and v for k, v in errors.items())


@pytest.mark.django_db
@given(body=st.one_of(any_facts, st.binary(max_size=300)))
def test_the_assess_api_answers_200_or_400_and_stores_nothing(body, clinician_client):
    before = counts()
    response = post_json(clinician_client, "/api/assess", body)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert_refusal_names_fields(response)
    assert counts() == before


mrns = st.one_of(st.from_regex(r"[A-Z][A-Z0-9-]{0,8}", fullmatch=True), st.text(max_size=40))
birth_dates = st.one_of(
    st.dates().map(lambda d: d.isoformat()), st.text(max_size=12), st.integers(), st.none()
)
workup_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "patient": st.fixed_dictionaries(
                {
                    "mrn": mrns,
                    "name": st.text(max_size=60) | st.just("Ann\x00Lee"),
                    "birth_date": birth_dates,
                },
                optional={"extra": json_values},
            )
            | json_values,
            "facts": facts_shaped | json_values,
        },
        optional={"date": birth_dates, "other": json_values},
    ),
)


@pytest.mark.django_db
@given(body=st.one_of(workup_bodies, st.binary(max_size=300)))
def test_the_workups_api_answers_201_or_400_and_stores_only_on_201(body, clinician_client):
    before = counts()
    response = post_json(clinician_client, "/api/workups", body)
    assert response.status_code in (201, 400)
    if response.status_code == 400:
        assert_refusal_names_fields(response)
        assert counts() == before
    else:
        assert WorkUp.objects.filter(pk=response.json()["id"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/assess", "/api/workups"])
def test_an_oversized_json_body_gets_413_and_stores_nothing(url, clinician_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    before = counts()
    response = post_json(clinician_client, url, {"age": 38, "padding": "x" * 3000})
    assert response.status_code == 413
    assert "too large" in response.json()["errors"]["body"][0]
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("raw", [b"{", b'{"age": 38,}', b"\xff\xfe"])
def test_malformed_json_gets_400_naming_the_body(raw, clinician_client):
    for url in ("/api/assess", "/api/workups"):
        response = post_json(clinician_client, url, raw)
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["json"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw, assess_path, workups_path",
    [(b"NaN", "facts", "json"), (b'{"age": Infinity}', "age", "patient")],
)
def test_non_finite_numbers_get_400_naming_where_they_were(
    raw, assess_path, workups_path, clinician_client
):
    # NaN and Infinity are not JSON; they are read as numbers so the field can be named.
    for url, path in (("/api/assess", assess_path), ("/api/workups", workups_path)):
        response = post_json(clinician_client, url, raw)
        assert response.status_code == 400
        assert path in response.json()["errors"]


# --- (c) the findings forms -----------------------------------------------------------------

STEP_CODES = sorted(FORM_STEPS)
form_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", "true", "false", "unknown", "on", "0", "-1", "12.5", "1e309", "nan", "inf", "9" * 25]
        + ["2024-02-30", "2026-01-01", "1900-01-01", "ng/mL", "pmol/L", "antagonist", "confirmed"]
    ),
    st.integers(-5, 300).map(str),
)


def stored_clinical(workup):
    return (
        list(Findings.objects.filter(workup=workup).values()),
        list(ChecklistStep.objects.filter(workup=workup).values()),
        list(StimulationCycle.objects.filter(workup=workup).values()),
        list(WorkUp.objects.filter(pk=workup.pk).values()),
        Findings.history.filter(workup_id=workup.pk).count(),
        Addendum.objects.filter(workup=workup).count(),
    )


@pytest.fixture
def form_workup(clinician, loaded_catalogue):
    return make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 3})


@pytest.mark.django_db
@given(code=st.sampled_from(STEP_CODES), draw=st.data())
def test_findings_forms_never_fail_and_store_nothing_when_refused(
    code, draw, clinician_client, form_workup
):
    workup = WorkUp.objects.get(pk=form_workup.pk)
    form, cycles = findings_form(workup, store.get_catalogue(), code)
    names = [form.add_prefix(name) for name in form.fields]
    if cycles is not None:
        names += [cycles.management_form.add_prefix(n) for n in cycles.management_form.fields]
        names += [cycles.forms[0].add_prefix(n) for n in cycles.forms[0].fields]
    data = draw.draw(st.fixed_dictionaries(dict.fromkeys(names, form_values)), label="post")
    if draw.draw(st.booleans(), label="current version"):
        data[form.add_prefix("version")] = str(form.fields["version"].initial)
    before = stored_clinical(workup)
    response = clinician_client.post(f"/workups/{workup.pk}/steps/{code}/", data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert stored_clinical(workup) == before
        assert response.context["open_step"] == code


@pytest.mark.django_db
def test_a_refused_form_with_an_out_of_range_value_is_drawn_again_not_a_500(
    clinician_client, form_workup
):
    """Found by the property test above: a refused form once wrote into the page's findings."""
    data = {"history-miscarriages": "101", "history-failed_transfers": "many"}
    data["history-version"] = str(WorkUp.objects.get(pk=form_workup.pk).version)
    response = clinician_client.post(f"/workups/{form_workup.pk}/steps/history/", data)
    assert response.status_code == 200
    assert "Enter a whole number." in response.content.decode()
    assert Findings.objects.get(workup=form_workup).miscarriages is None


@pytest.mark.django_db
@given(
    fields=st.fixed_dictionaries(
        {"mrn": form_values, "name": form_values, "birth_date": form_values}
    )
)
def test_the_patient_form_never_fails_and_stores_nothing_when_refused(fields, clinician_client):
    before = Patient.objects.count(), Patient.history.count()
    response = clinician_client.post("/patients/new/", fields)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert (Patient.objects.count(), Patient.history.count()) == before


@pytest.mark.django_db
@given(q=st.text(max_size=40))
def test_a_patient_search_with_any_text_never_fails(q, clinician_client):
    response = clinician_client.get("/patients/", {"q": q})
    # NUL cannot reach PostgreSQL: refused before the view (400), on every database alike.
    assert response.status_code == (400 if "\x00" in q else 200)


@pytest.mark.django_db
def test_a_nul_character_is_refused_with_400_naming_the_field(clinician_client):
    page = clinician_client.get("/patients/", {"q": "Ann\x00"})
    assert page.status_code == 400 and "not allowed (NUL)" in page.content.decode()
    body = {
        "patient": {"mrn": "NUL-1", "name": "Ann\x00Lee", "birth_date": "1990-01-01"},
        "facts": {"failed_transfers": 1},
    }
    before = counts()
    response = post_json(clinician_client, "/api/workups", body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["patient.name"]
    assert counts() == before


@pytest.mark.django_db
def test_an_oversized_form_gets_413_and_stores_nothing(clinician_client, form_workup, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    before = stored_clinical(form_workup)
    response = clinician_client.post(
        f"/workups/{form_workup.pk}/steps/lifestyle/",
        {"lifestyle-bmi": "25", "lifestyle-version": "1", "lifestyle-original": "x" * 3000},
    )
    assert response.status_code == 413
    assert "Nothing was saved" in response.content.decode()
    assert stored_clinical(form_workup) == before


@pytest.mark.django_db
def test_a_form_at_the_limit_is_still_accepted(clinician_client, form_workup, settings):
    """The limit refuses only what is over it."""
    version = ChecklistStep.objects.get(workup=form_workup, code="lifestyle").version
    data = {"lifestyle-bmi": "25", "lifestyle-smoker": "false", "lifestyle-version": version}
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    response = clinician_client.post(f"/workups/{form_workup.pk}/steps/lifestyle/", data)
    assert response.status_code == 302
    assert Findings.objects.get(workup=form_workup).bmi == 25


@pytest.mark.django_db
def test_a_user_without_a_role_cannot_probe_the_forms(client, form_workup):
    client.force_login(make_user("sam"))
    assert client.post(f"/workups/{form_workup.pk}/steps/lifestyle/", {}).status_code == 403
