"""Small helpers for the printed documents."""

from django import template

register = template.Library()


@register.filter
def by_number(keys, numbers):
    """Source keys in the order of their reference numbers, so a group reads [1][8], not [8][1]."""
    return sorted((k for k in keys if k in numbers), key=numbers.get)


@register.filter
def css_string(value):
    """Text made safe inside a double-quoted CSS string: quotes, backslashes, control and
    markup characters become CSS escapes, so a patient's name cannot end the string."""
    out = []
    for char in str(value):
        if char in '"\\<>' or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):06x}")
        else:
            out.append(char)
    return "".join(out)


@register.simple_tag
def said(text):
    """A patient text as printed: a text shown in English because it has no current
    translation carries ``lang="en"`` and a small "EN" tag, explained in the sheet's key."""
    from django.utils.html import format_html
    from django.utils.translation import gettext

    from workup.evidence.translations import FALLBACKS

    if text is None:
        return ""
    if getattr(text, "state", None) in FALLBACKS:
        return format_html(
            '<span lang="en">{}</span> <span class="lang-tag" title="{}">EN</span>',
            text.text,
            gettext("In English: not translated yet"),
        )
    return text.text if hasattr(text, "text") else text


@register.simple_tag
def pending_mark(pending=True):
    """The sheet's one marker for a claim our clinical lead has not yet confirmed (the key box
    on the first page says what it means)."""
    from django.utils.html import format_html
    from django.utils.translation import gettext

    if not pending:
        return ""
    return format_html(
        '<span class="pending-mark" title="{}">◇</span>', gettext("Not yet confirmed")
    )


@register.simple_tag
def sheet_language_note(patient):
    """Beside a link to the patient sheet: its language when not English, and whether the
    catalogue's translations into it are all reviewed (the sheet's own page says how many of
    its texts are not)."""
    from workup.evidence import store
    from workup.evidence.catalogue import VERIFIED
    from workup.languages.codes import native_name

    language = getattr(patient, "language", "en") or "en"
    if language == "en":
        return None
    try:
        catalogue = store.get_catalogue()
    except store.CatalogueMissing:
        return None
    mine = [t for (lang, _, _), t in catalogue.translations.items() if lang == language]
    if not mine:
        state = "untranslated"
    elif all(t.review == VERIFIED for t in mine):
        state = "reviewed"
    else:
        state = "unreviewed"
    return {"name": native_name(language), "state": state}
