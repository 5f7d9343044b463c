"""A readability measure for the patient sheet, with no download at run time.

Flesch reading ease: 206.835 - 1.015 x (words per sentence) - 84.6 x (syllables per word).
60 to 70 is "plain English" (about age 13 to 15); higher is easier. Syllables are counted as
textstat does, from pyphen's hyphenation points (pyphen comes with WeasyPrint). textstat itself
needs NLTK's CMU dictionary downloaded at run time, which a clinic's offline machine cannot do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pyphen

WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@cache
def _dictionary():
    return pyphen.Pyphen(lang="en_GB")


def syllables(word: str) -> int:
    word = word.strip("'’-").lower()
    if not word:
        return 0
    return max(1, len(_dictionary().positions(word)) + 1)


def sentences(text: str) -> list[str]:
    return [s for s in (p.strip() for p in SENTENCE_END.split(text)) if WORD.search(s)]


@dataclass
class Readability:
    sentences: int
    words: int
    syllables: int
    longest_sentence: str

    @property
    def words_per_sentence(self) -> float:
        return self.words / self.sentences

    @property
    def flesch_reading_ease(self) -> float:
        return 206.835 - 1.015 * self.words_per_sentence - 84.6 * (self.syllables / self.words)


def measure(text: str) -> Readability:
    """``text`` holds one sentence, heading or list item per line, or sentences ending in . ! ?"""
    found = sentences(text)
    words = [w for s in found for w in WORD.findall(s)]
    longest = max(found, key=lambda s: len(WORD.findall(s)))
    return Readability(
        sentences=len(found),
        words=len(words),
        syllables=sum(syllables(w) for w in words),
        longest_sentence=longest,
    )
