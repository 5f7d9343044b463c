"""What a save changed in the advice: compared from two engine answers, never recomputed."""

import copy

import pytest

from workup.clinic.advice_delta import compare, digest


def answer(*, label="not_yet", chance=0.48, steps=(), flags=(), poseidon="No group"):
    return {
        "rif": {"label": label, "cumulative_chance": chance},
        "next_steps": [
            {"code": code, "name": name, "kind": "action", "trigger": trigger}
            for code, name, trigger in steps
        ],
        "addon_flags": [{"code": code, "name": name, "flagged": True} for code, name in flags],
        "classification": {"details": {"poseidon_group": {"reason": poseidon}}},
    }


POLYPECTOMY = ("polypectomy", "Hysteroscopic polypectomy", "Polyp found.")
STIMULATION = ("stimulation_plan", "Personalised stimulation plan", "POSEIDON group 4.")


@pytest.mark.parametrize(
    "before, after, summary",
    [
        (answer(), answer(), ""),
        (answer(), answer(steps=[POLYPECTOMY]), "Hysteroscopic polypectomy (new)"),
        (answer(steps=[POLYPECTOMY]), answer(), "Hysteroscopic polypectomy (no longer listed)"),
        (
            answer(steps=[STIMULATION]),
            answer(steps=[(*STIMULATION[:2], "POSEIDON group 3.")]),
            "Personalised stimulation plan (changed)",
        ),
        (answer(), answer(label="rif", chance=0.76), "RIF label"),
        (answer(chance=0.40), answer(chance=0.48), "RIF label"),  # the chance moved
        (answer(), answer(flags=[("ivig", "IVIG")]), "IVIG (new)"),
        (answer(), answer(poseidon="Group 4"), "POSEIDON (changed)"),
        (
            answer(),
            answer(
                label="rif",
                steps=[POLYPECTOMY, STIMULATION],
                flags=[("ivig", "IVIG"), ("heparin", "Heparin")],
            ),
            "RIF label; Hysteroscopic polypectomy, Personalised stimulation plan, IVIG, Heparin"
            " (new)",
        ),
    ],
)
def test_it_names_what_changed_between_two_answers(before, after, summary):
    delta = compare(digest(before), after)
    assert delta.summary == summary
    assert delta.any is bool(summary)


def test_many_changes_are_counted():
    before = answer()
    after = answer(
        steps=[(f"step{n}", f"Step {n}", "") for n in range(5)],
        flags=[("ivig", "IVIG"), ("heparin", "Heparin")],
    )
    assert compare(digest(before), after).summary == "7 new"


def test_a_new_and_a_changed_step_are_marked_for_the_highlight():
    before = answer(steps=[STIMULATION])
    after = answer(steps=[POLYPECTOMY, (*STIMULATION[:2], "POSEIDON group 3.")])
    delta = compare(digest(before), after)
    assert delta.steps == {"polypectomy": "new", "stimulation_plan": "changed"}
    assert delta.first_anchor == "next-polypectomy"


def test_the_label_before_is_kept_to_say_what_it_was():
    delta = compare(digest(answer(chance=0.38)), answer(label="rif", chance=0.62))
    assert delta.rif_was == {"label": "not_yet", "chance": 0.38}


def test_without_a_before_nothing_is_claimed():
    delta = compare(None, answer(steps=[POLYPECTOMY]))
    assert not delta.any and not delta.known


def test_priority_numbers_alone_are_no_change():
    before = answer(steps=[POLYPECTOMY, STIMULATION])
    after = copy.deepcopy(before)
    for number, step in enumerate(after["next_steps"], start=5):
        step["priority"] = number
    assert not compare(digest(before), after).any


def test_the_digest_is_small_enough_for_the_session(catalogue):
    from workup.evidence import engine
    from workup.evidence.facts import parse_facts

    facts = parse_facts(
        {"age": 39, "failed_transfers": 4, "addons_requested": ["ivig", "intralipids"]},
        **catalogue.codes_for_facts(),
    )
    import json

    assert len(json.dumps(digest(engine.assess(facts, catalogue)))) < 2500
