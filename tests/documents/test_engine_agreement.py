"""The summary, its PDF and the patient sheet show exactly the engine's answer for the stored
facts: every next step and add-on flag, in the engine's order, and nothing else as a step."""

import random
import re

import pytest

from tests.factories import make_workup
from workup.clinic.demo import synthetic_facts
from workup.clinic.templatetags.workup_tags import percent
from workup.evidence import store
from workup.evidence.presenting import advice_lists

from .helpers import (
    RICH_FACTS,
    attr_values,
    engine_answer,
    pdf_text,
    requires_poppler,
    section,
    squash,
    url,
    visible_text,
)

HANDCRAFTED = {
    "rich": RICH_FACTS,
    "aps_confirmed_with_indicated_heparin": {
        "age": 34,
        "failed_transfers": 2,
        "miscarriages": 3,
        "aps": "confirmed",
        "tsh": 5.2,
        "tpo_positive": True,
        "addons_requested": ["heparin", "aspirin", "ivig"],
    },
    "nothing_known_yet": {"age": 30},
    "too_early_with_findings": {
        "age": 41,
        "failed_transfers": 2,
        "smoker": True,
        "bmi": 31.0,
        "hydrosalpinx": True,
        "adenomyosis": False,
        "amh": {"value": 4.1, "unit": "ng/mL"},
        "afc": 28,
        "previous_oocytes": [16],
        "addons_requested": ["endometrial_scratching"],
    },
}


def varied_facts():
    """The handcrafted cases and three synthetic patients as the demo makes them."""
    cases = dict(HANDCRAFTED)
    codes = store.get_catalogue().addon_codes
    for seed in (3, 11, 29):
        rng = random.Random(seed)  # synthetic, reproducible
        cases[f"synthetic_{seed}"] = synthetic_facts(rng, rng.randint(28, 44), codes)
    return cases


@pytest.fixture
def workups(clinician, loaded_catalogue):
    return {
        name: make_workup(clinician=clinician, facts=facts)
        for name, facts in varied_facts().items()
    }


def in_order(text: str, phrases: list[str]) -> bool:
    position = 0
    for phrase in phrases:
        found = text.find(phrase, position)
        if found < 0:
            return False
        position = found + len(phrase)
    return True


def addon_heading(flag: dict) -> str:
    return ("⚑ Flagged: " if flag["flagged"] else "✓ With confirmed APS: ") + flag["name"]


def test_the_cases_are_varied_enough_to_mean_something(workups):
    answers = [engine_answer(w) for w in workups.values()]
    assert {a["rif"]["label"] for a in answers} == {"rif", "not_yet"}
    assert any(not f["flagged"] for a in answers for f in a["addon_flags"])
    assert any(not a["addon_flags"] for a in answers)
    assert len({tuple(s["code"] for s in a["next_steps"]) for a in answers}) == len(answers)


def test_the_summary_page_shows_the_engines_answer(clinician_client, workups):
    for name, workup in workups.items():
        answer = engine_answer(workup)
        page = clinician_client.get(url("summary", workup)).content.decode()
        advice = advice_lists(answer)
        to_do = [s["code"] for s in advice["investigations"]]
        actions = [s["code"] for s in advice["actions"]]
        assert attr_values(page, "data-to-do") == to_do, name
        assert attr_values(page, "data-next-step") == actions, name
        steps_html = page[page.index('id="next-title"') : page.index('id="addons-title"')]
        assert in_order(visible_text(steps_html), [s["name"] for s in advice["actions"]]), name
        assert attr_values(page, "data-addon") == [f["code"] for f in answer["addon_flags"]], name
        text = visible_text(page)
        assert in_order(text, [addon_heading(f) for f in answer["addon_flags"]]), name
        chance = percent(answer["rif"]["cumulative_chance"])
        assert f"cumulative predicted chance {chance}" in text, name
        assert answer["rif"]["reason"] in text, name


def test_the_patient_sheet_shows_the_engines_plan_and_flags(clinician_client, workups):
    catalogue = store.get_catalogue()
    for name, workup in workups.items():
        answer = engine_answer(workup)
        page = clinician_client.get(url("handout", workup)).content.decode()
        shown = attr_values(page, "data-plan-step")
        assert sorted(shown) == sorted(s["code"] for s in answer["next_steps"]), name
        advice = advice_lists(answer)
        for pillar in ("embryo", "uterus", "stimulation", "general"):
            # Tests still to do, then what the results call for, each in the engine's order.
            engine_order = [
                s["code"]
                for s in advice["investigations"] + advice["actions"]
                if s["pillar"] == pillar
            ]
            assert [c for c in shown if c in engine_order] == engine_order, (name, pillar)
        assert attr_values(page, "data-addon") == [f["code"] for f in answer["addon_flags"]], name
        text = visible_text(page)
        for flag in answer["addon_flags"]:
            assert catalogue.addons[flag["code"]].plain_what in text, (name, flag["code"])


@requires_poppler
def test_the_summary_pdf_shows_the_engines_answer(clinician_client, workups):
    for name, workup in workups.items():
        answer = engine_answer(workup)
        text = pdf_text(clinician_client.get(url("summary_pdf", workup)).content)
        flat = squash(text)
        actions = advice_lists(answer)["actions"]
        to_do = squash(section(text, "Investigations still to do", "Actions from findings"))
        assert in_order(to_do, [s["name"] for s in advice_lists(answer)["investigations"]]), name
        steps = section(text, "Actions from findings", "Requested add-ons")
        names = [f"{n}. {s['name']}" for n, s in enumerate(actions, start=1)]
        assert in_order(squash(steps), names), name
        numbered = [line for line in steps.splitlines() if _numbered(line)]
        assert len(numbered) == len(actions), (name, numbered)
        addons = squash(section(text, "Requested add-ons", "Sign-off"))
        assert in_order(addons, [addon_heading(f) for f in answer["addon_flags"]]), name
        assert addons.count("⚑ Flagged: ") + addons.count("✓ With confirmed APS: ") == len(
            answer["addon_flags"]
        )
        chance = percent(answer["rif"]["cumulative_chance"])
        assert f"cumulative predicted chance {chance}" in flat, name


def _numbered(line: str) -> bool:
    return re.match(r"^\s*\d+\. \S", line) is not None


@requires_poppler
def test_the_patient_sheet_pdf_lists_every_requested_add_on_and_planned_step(
    clinician_client, workups
):
    catalogue = store.get_catalogue()
    for name in ("rich", "aps_confirmed_with_indicated_heparin", "nothing_known_yet"):
        workup = workups[name]
        answer = engine_answer(workup)
        text = squash(pdf_text(clinician_client.get(url("handout_pdf", workup)).content))
        assert in_order(text, [f["name"] for f in answer["addon_flags"]]), name
        for step in answer["next_steps"]:
            assert f"Medical name: {step['name']}." in text, (name, step["code"])
            entry = catalogue.next_steps.get(step["code"]) or catalogue.investigations.get(
                step["code"]
            )
            assert squash(entry.plain) in text, (name, step["code"])
