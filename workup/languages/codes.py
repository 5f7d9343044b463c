"""The languages the app speaks, from ``settings.LANGUAGES``: one place, every list derives.

English is the source language of the interface and of the catalogue; French and Turkish are
translations (``locale/`` for the interface, ``fixtures/translations/`` for the catalogue).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language_info

SOURCE = "en"


def codes() -> tuple[str, ...]:
    return tuple(code for code, _ in settings.LANGUAGES)


def translated() -> tuple[str, ...]:
    """The languages that are translations of the English source."""
    return tuple(code for code in codes() if code != SOURCE)


def choices() -> list[tuple[str, str]]:
    """``[("en", "English"), ("fr", "Français"), ("tr", "Türkçe")]``: each in its own words."""
    return [(code, name) for code, name in settings.LANGUAGES]


def native_name(code: str) -> str:
    return dict(settings.LANGUAGES).get(code, code)


def english_name(code: str) -> str:
    """The language's name in English ("French"), for logs and English pages."""
    try:
        return get_language_info(code)["name"]
    except KeyError:
        return code


def normalise(code: str | None) -> str | None:
    """``fr-FR`` or ``FR`` -> ``fr``; None for a language the app does not speak."""
    if not code:
        return None
    base = str(code).strip().lower().replace("_", "-").split("-")[0]
    return base if base in codes() else None
