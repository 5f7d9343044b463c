"""Each finding is described once (``evidence/findings.py``): one value reads the same on the
page, the summary, its PDF, the history and the API, and everything that stores or checks a
finding follows its description."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.clinic.test_workup_pages import post_findings
from tests.documents.helpers import pdf_text, requires_poppler, squash
from tests.factories import make_workup
from workup.clinic.forms import findings_form_class
from workup.clinic.models import Findings
from workup.evidence import findings as spec
from workup.evidence import store
from workup.evidence.facts import KNOWN_KEYS, OBJECTS, SCALARS
from workup.evidence.models import AddOn

pytestmark = pytest.mark.django_db

AMH_AS_READ = "15.25 pmol/L (2.14 ng/mL)"


@pytest.fixture
def workup(clinician, loaded_catalogue):
    return make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 3})


def enter_amh(client, workup):
    values = {"amh_value": "15.25", "amh_unit": "pmol/L", "afc": "9"}
    response = post_findings(client, workup, "ovarian_reserve", values)
    assert response.status_code == 302


@requires_poppler
def test_amh_entered_in_pmol_reads_the_same_on_page_summary_pdf_history_and_api(
    clinician_client, workup
):
    enter_amh(clinician_client, workup)
    row = Findings.objects.get(workup=workup)
    assert (row.amh_entered, row.amh_unit, row.amh_ng_ml) == (15.25, "pmol/L", 2.1359)

    page = clinician_client.get(workup.get_absolute_url()).content.decode()
    assert f"AMH: <strong>{AMH_AS_READ}</strong>" in page

    summary = clinician_client.get(reverse("documents:summary", args=[workup.pk]))
    assert f"AMH {AMH_AS_READ}" in summary.content.decode()

    pdf = clinician_client.get(reverse("documents:summary_pdf", args=[workup.pk])).content
    assert f"AMH {AMH_AS_READ}" in squash(pdf_text(pdf))

    history = clinician_client.get(reverse("clinic:workup_history", args=[workup.pk]))
    assert f"AMH: not recorded → {AMH_AS_READ}" in history.content.decode()

    api = clinician_client.get(reverse("api_workup_detail", args=[workup.pk])).json()
    assert api["facts"]["amh"] == {"value": 15.25, "unit": "pmol/L"}
    # The engine reads the normalised value, rounded where it is shown.
    basis = api["assessment"]["classification"]["details"]["poseidon_group"]["facts_used"]
    assert basis["amh_ng_ml"] == pytest.approx(2.1359)


def test_a_changed_unit_is_one_line_of_history(clinician_client, workup):
    enter_amh(clinician_client, workup)
    values = {"amh_value": "2.5", "amh_unit": "ng/mL", "afc": "9"}
    assert post_findings(clinician_client, workup, "ovarian_reserve", values).status_code == 302
    history = clinician_client.get(reverse("clinic:workup_history", args=[workup.pk]))
    text = history.content.decode()
    assert f"AMH: {AMH_AS_READ} → 2.5 ng/mL" in text
    # The value, the value as entered and the unit are three columns but one finding.
    assert "as entered" not in text and "AMH (ng/mL)" not in text and "AMH unit" not in text


def test_the_embryology_lab_review_is_recorded_and_read_back(clinician_client, workup):
    values = {
        "embryo_review_done": "true",
        "embryo_review_culture": "Single-step medium, 5% O2, time-lapse incubator",
        "embryo_review_blastocysts": "3",
        "embryo_review_notes": "Blastocyst rate in line with the laboratory's.",
    }
    assert post_findings(clinician_client, workup, "embryo_review", values).status_code == 302
    page = clinician_client.get(workup.get_absolute_url()).content.decode()
    assert "Blastocysts in the last cycle: <strong>3</strong>" in page
    assert "Culture conditions: <strong>Single-step medium, 5% O2" in page
    summary = clinician_client.get(reverse("documents:summary", args=[workup.pk]))
    assert "Done; culture: Single-step medium, 5% O2, time-lapse incubator; 3 blastocysts" in (
        summary.content.decode()
    )


def test_a_refused_value_names_its_field_with_the_engines_message(clinician_client, workup):
    response = post_findings(
        clinician_client, workup, "ovarian_reserve", {"amh_value": "500", "amh_unit": "ng/mL"}
    )
    assert response.status_code == 200
    form = response.context["forms"]["findings"]["ovarian_reserve"]
    assert form.errors["amh_value"] == ["Must be between 0 and 50 ng/mL; got 500."]
    assert Findings.objects.get(workup=workup).amh_ng_ml is None


def test_a_retired_add_on_on_record_does_not_block_a_findings_save(clinician_client, clinician):
    workup = make_workup(
        clinician=clinician, facts={"age": 36, "addons_requested": ["intralipids"]}
    )
    AddOn.objects.filter(code="intralipids").update(retired=True)
    store.rebuild_snapshot()
    values = {"tsh": "2.1", "tpo_positive": "false"}
    assert post_findings(clinician_client, workup, "thyroid", values).status_code == 302
    assert Findings.objects.get(workup=workup).tsh == 2.1


# --- everything follows the descriptions -----------------------------------------------------


def test_every_finding_has_a_column_a_form_field_and_a_fact():
    columns = {f.name for f in Findings._meta.concrete_fields}
    for finding in spec.FINDINGS:
        assert finding.column in columns, finding.path
        form = findings_form_class(finding.step)
        expected = f"{finding.key}_value" if finding.kind == spec.QUANTITY else finding.column
        fields = form.base_fields.keys() | {f"{finding.key}_value"}
        assert expected in fields, finding.path
        if not finding.in_facts:
            continue
        if finding.group:
            assert finding.key in OBJECTS[finding.group][0], finding.path
        else:
            assert finding.key in SCALARS or finding.key in KNOWN_KEYS, finding.path


def test_every_finding_reads_in_words_when_recorded_and_when_not():
    samples = {
        spec.BOOL: True,
        spec.COUNT: 2,
        spec.WHOLE: 7,
        spec.NUMBER: 2.5,
        spec.DATE: __import__("datetime").date(2026, 10, 1),
        spec.TEXT: "a note",
    }
    for finding in spec.FINDINGS:
        if finding.kind == spec.QUANTITY:
            value = spec.Amount.of(finding, 10, finding.units[-1])
        elif finding.kind == spec.CHOICE:
            value = finding.choices[-1][0]
        else:
            value = samples[finding.kind]
        shown = spec.display(finding, value)
        assert shown and shown != "not recorded" and "_" not in shown, finding.path
        assert spec.display(finding, None) == "not recorded"
