"""Identity fields (names, MRNs) hold text as it reads: no hidden or reordering characters.

A right-to-left override makes ``XN\\u202egnp.exe`` display as ``XNexe.png``; a zero-width space
makes two records that look identical differ; a control character can break a printed line or a
CSV. The web forms and ``POST /api/workups`` call the same function, so both refuse the same
characters with the same message.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

# Unicode categories refused: controls, format characters (bidirectional controls, zero-width
# characters, the byte-order mark), surrogates, private use, unassigned, line/paragraph separators.
REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def hidden_characters(value: str) -> list[str]:
    """The refused characters in ``value``, as ``U+202E (RIGHT-TO-LEFT OVERRIDE)``."""
    found = []
    for char in dict.fromkeys(value):
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            name = unicodedata.name(char, "control character")
            found.append(f"U+{ord(char):04X} ({name})")
    return found


def check_identity_text(value: str, *, label: str) -> None:
    """Refuse a name or MRN holding hidden characters; the message names the field."""
    found = hidden_characters(value)
    if found:
        raise ValidationError(
            gettext(
                "%(field)s contains a hidden or control character that would make it read other "
                "than it is stored: %(found)s. Type it again without it."
            )
            % {"field": label, "found": ", ".join(found)},
            code="hidden_character",
        )
