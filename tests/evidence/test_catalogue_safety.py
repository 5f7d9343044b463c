"""The catalogue cannot be broken from a browser (issue 10, item 5).

Entries and parameters are retired, never deleted; an edit or a load that would leave the engine
without a parameter or an implantation chance it needs is refused, naming it; and when the stored
catalogue is broken anyway (a row deleted in the database), pages say so and the last good
snapshot keeps serving.
"""

from __future__ import annotations

import json

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.forms.models import model_to_dict
from django.urls import reverse

from tests.evidence.test_catalogue import raw_fixture
from tests.factories import make_workup, sign_as_seen
from workup.clinic.models import WorkUp
from workup.evidence import requirements, store
from workup.evidence.models import (
    ENTRY_MODELS,
    AddOn,
    CatalogueVersion,
    ImplantationChance,
    Investigation,
    Parameter,
    Source,
)

pytestmark = pytest.mark.django_db

FACTS = {"age": 36, "failed_transfers": 3, "addons_requested": ["intralipids"]}
CATALOGUE_MODELS = [*ENTRY_MODELS.values(), Source, CatalogueVersion]


def change_url(obj):
    return reverse(f"admin:evidence_{obj._meta.model_name}_change", args=[obj.pk])


def form_data(obj, **changes):
    """What the admin change form posts for this entry, with some fields changed."""
    data = model_to_dict(obj)
    data.pop("id", None)
    data["sources"] = [s.pk for s in obj.sources.all()]
    data["tags"] = json.dumps(obj.tags)
    if "risks" in data:
        data["risks"] = json.dumps(data["risks"])
    data.update(changes)
    clean = {}
    for key, value in data.items():
        if value is None or value is False:
            continue  # an empty field, an unticked box
        clean[key] = "on" if value is True else value
    return clean


# --- nothing is deleted ---------------------------------------------------------------------


@pytest.mark.parametrize("model", CATALOGUE_MODELS, ids=lambda m: m._meta.model_name)
def test_the_lead_cannot_delete_catalogue_rows_in_the_admin(lead_client, model):
    obj = model.objects.first()
    before = model.objects.count()
    delete = reverse(f"admin:evidence_{model._meta.model_name}_delete", args=[obj.pk])
    assert lead_client.get(delete).status_code == 403
    assert lead_client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse(f"admin:evidence_{model._meta.model_name}_changelist")
    lead_client.post(changelist, {"action": "delete_selected", "_selected_action": [obj.pk]})
    assert model.objects.count() == before
    page = lead_client.get(change_url(obj)).content.decode()
    assert "deletelink" not in page
    assert 'value="delete_selected"' not in lead_client.get(changelist).content.decode()


def test_the_bulk_verify_action_is_gone(lead_client):
    page = lead_client.get(reverse("admin:evidence_parameter_changelist")).content.decode()
    assert "record_review_verified" not in page
    assert "Record my review" not in page


def test_an_entry_is_retired_from_the_list_and_kept(lead_client):
    entry = AddOn.objects.get(code="intralipids")
    response = lead_client.post(
        reverse("admin:evidence_addon_changelist"),
        {"action": "retire_selected", "_selected_action": [entry.pk]},
        follow=True,
    )
    assert "Retired 1 entry" in response.content.decode()
    entry.refresh_from_db()
    assert entry.retired
    assert "intralipids" not in store.get_catalogue().addons
    assert entry.history.count() >= 2  # retiring is a change in the entry's history
    lead_client.post(
        reverse("admin:evidence_addon_changelist"),
        {"action": "bring_back_selected", "_selected_action": [entry.pk]},
    )
    entry.refresh_from_db()
    assert not entry.retired and "intralipids" in store.get_catalogue().addons


# --- what the engine needs ------------------------------------------------------------------


def test_the_engine_needs_every_parameter_it_reads():
    needed = requirements.required_parameters()
    assert {"rif_threshold", "lugano_min_transfers", "bmi_upper", "aps_repeat_weeks"} <= needed
    fixture = {p["code"] for p in raw_fixture()["parameters"]}
    assert needed <= fixture


def test_the_ages_checked_are_the_ages_the_facts_accept(loaded_catalogue):
    from workup.evidence.facts import FactsError, parse_facts

    codes = loaded_catalogue.codes_for_facts()
    for age in (requirements.AGES[0], requirements.AGES[-1]):
        assert parse_facts({"age": age}, **codes).age == age
    for age in (requirements.AGES[0] - 1, requirements.AGES[-1] + 1):
        with pytest.raises(FactsError):
            parse_facts({"age": age}, **codes)


def test_the_loaded_catalogue_has_no_problems():
    assert requirements.problems(raw_fixture()) == []


def test_retiring_a_parameter_the_engine_needs_is_refused_naming_it(lead_client):
    entry = Parameter.objects.get(code="rif_threshold")
    response = lead_client.post(change_url(entry), form_data(entry, retired=True))
    assert response.status_code == 200
    page = response.content.decode()
    assert "rif_threshold" in page and "the engine needs" in page
    entry.refresh_from_db()
    assert not entry.retired


def test_renaming_a_parameter_the_engine_needs_is_refused(lead_client):
    entry = Parameter.objects.get(code="rif_threshold")
    response = lead_client.post(change_url(entry), form_data(entry, code="rif_cut_off"))
    assert response.status_code == 200
    assert "rif_threshold" in response.content.decode()
    assert Parameter.objects.filter(code="rif_threshold").exists()


def test_retiring_a_needed_parameter_from_the_list_is_refused(lead_client):
    entries = Parameter.objects.filter(code__in=["rif_threshold", "bmi_upper"])
    response = lead_client.post(
        reverse("admin:evidence_parameter_changelist"),
        {"action": "retire_selected", "_selected_action": [e.pk for e in entries]},
        follow=True,
    )
    page = response.content.decode()
    assert "Nothing was retired" in page and "rif_threshold" in page and "bmi_upper" in page
    assert not Parameter.objects.filter(retired=True).exists()


def test_an_age_gap_in_the_implantation_chances_is_refused(lead_client):
    entry = ImplantationChance.objects.get(code="untested_35_37")
    response = lead_client.post(change_url(entry), form_data(entry, age_min=36))
    assert response.status_code == 200
    assert "untested blastocysts at age 35" in response.content.decode()
    entry.refresh_from_db()
    assert entry.age_min == 35


def test_a_chance_above_one_is_refused(lead_client):
    entry = ImplantationChance.objects.get(code="untested_35_37")
    response = lead_client.post(change_url(entry), form_data(entry, chance=42))
    assert response.status_code == 200
    assert "between 0 and 1" in response.content.decode()


def test_an_edit_that_keeps_the_engine_whole_is_saved(lead_client):
    entry = Parameter.objects.get(code="rif_threshold")
    response = lead_client.post(change_url(entry), form_data(entry, description="Edited."))
    assert response.status_code == 302
    assert store.get_catalogue().parameters["rif_threshold"].description == "Edited."


def test_a_fixture_without_a_needed_parameter_is_not_loaded(tmp_path):
    data = raw_fixture()
    data["parameters"] = [p for p in data["parameters"] if p["code"] != "rif_threshold"]
    path = tmp_path / "short.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    report = store.load_fixture(path)
    assert any("rif_threshold" in p for p in report.problems)
    assert not Parameter.objects.get(code="rif_threshold").retired


def test_a_fixture_with_an_age_gap_is_not_loaded(tmp_path):
    data = raw_fixture()
    data["implantation_chances"] = [
        c for c in data["implantation_chances"] if c["code"] != "untested_over_42"
    ]
    path = tmp_path / "gap.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    report = store.load_fixture(path)
    assert any("untested blastocysts at ages 43 to 60" in p for p in report.problems)


# --- broken anyway: the last good snapshot keeps serving ------------------------------------


@pytest.fixture
def workups(clinician, loaded_catalogue):
    open_one = make_workup(clinician=clinician, facts=FACTS)
    signed = make_workup(clinician=clinician, facts=FACTS)
    sign_as_seen(signed, clinician)
    return open_one, WorkUp.objects.get(pk=signed.pk)


def break_in_the_database():
    """What a slip in a database console does: the row is gone, then anything rebuilds."""
    Parameter.objects.filter(code="rif_threshold").delete()
    entry = Investigation.objects.get(code="thyroid")
    entry.name = "Thyroid function (edited)"
    entry.save()
    return store.rebuild_snapshot()


def pages(workup):
    return [
        reverse("clinic:workup_detail", args=[workup.pk]),
        reverse("documents:summary", args=[workup.pk]),
        reverse("documents:summary_pdf", args=[workup.pk]),
        reverse("api_workup_detail", args=[workup.pk]),
    ]


def test_a_broken_catalogue_keeps_the_last_good_snapshot(workups):
    revision = CatalogueVersion.objects.get().revision
    version = break_in_the_database()
    assert any("rif_threshold" in p for p in version.problems)
    assert version.revision == revision  # nothing new is served
    catalogue = store.get_catalogue()
    assert "rif_threshold" in catalogue.parameters
    assert catalogue.investigations["thyroid"].name != "Thyroid function (edited)"


def test_every_page_of_a_work_up_answers_with_a_broken_catalogue(clinician_client, workups):
    break_in_the_database()
    for workup in workups:
        for url in pages(workup):
            response = clinician_client.get(url)
            assert response.status_code == 200, url
    page = clinician_client.get(pages(workups[0])[0]).content.decode()
    assert "The evidence catalogue has a problem" in page
    assert "rif_threshold" in page
    response = clinician_client.post(
        reverse("api_assess"), json.dumps(FACTS), content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["rif"]["label"] == "rif"


def test_a_snapshot_broken_in_the_database_falls_back_to_the_last_good_one(
    clinician_client, workups
):
    store.get_catalogue()  # served once: the last good snapshot is kept in the shared cache
    store._parsed.clear()  # another app server, or a restart: nothing in process memory
    version = CatalogueVersion.objects.get()
    broken = dict(version.snapshot)
    broken["parameters"] = [p for p in broken["parameters"] if p["code"] != "rif_threshold"]
    CatalogueVersion.objects.filter(pk=version.pk).update(
        snapshot=broken, revision=version.revision + 1
    )
    assert "rif_threshold" in store.get_catalogue().parameters
    for url in pages(workups[0]):
        assert clinician_client.get(url).status_code == 200, url
    page = clinician_client.get(pages(workups[0])[0]).content.decode()
    assert "The evidence catalogue has a problem" in page


def test_with_no_good_snapshot_anywhere_pages_say_so_without_a_500(clinician_client, workups):
    version = CatalogueVersion.objects.get()
    Parameter.objects.filter(code="rif_threshold").delete()
    broken = dict(version.snapshot)
    broken["parameters"] = [p for p in broken["parameters"] if p["code"] != "rif_threshold"]
    CatalogueVersion.objects.filter(pk=version.pk).update(
        snapshot=broken, revision=version.revision + 1
    )
    cache.clear()
    store._parsed.clear()
    response = clinician_client.get(pages(workups[0])[0])
    assert response.status_code == 503
    assert "rif_threshold" in response.content.decode()
    api_response = clinician_client.get(pages(workups[0])[3])
    assert api_response.status_code == 503
    assert "catalogue" in api_response.json()["errors"]


def test_loading_the_catalogue_again_repairs_it(workups):
    break_in_the_database()
    report = store.load_fixture()
    assert not report.problems
    version = CatalogueVersion.objects.get()
    assert version.problems == []
    assert store.get_catalogue().investigations["thyroid"].name == "Thyroid function (edited)"


def test_the_admin_models_offer_no_delete_to_anyone(rf):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    request.user.is_superuser = True
    for model in CATALOGUE_MODELS:
        assert not admin.site._registry[model].has_delete_permission(request)
