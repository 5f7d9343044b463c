"""Small display helpers: badges that never rely on colour alone (each has words)."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy

from workup.languages import words

register = template.Library()

STANCE_CLASS = {
    "recommended": "text-bg-success",
    "consider": "text-bg-info",
    "not_routine": "text-bg-warning",
    "not_recommended": "text-bg-danger",
}


@register.filter
def pillar_name(code):
    return words.PILLARS.get(code, code)


@register.filter
def stance_name(code):
    return words.STANCES.get(code, code)


@register.filter
def hfea_colour(rating):
    return format_html("HFEA {}", HFEA_COLOURS.get(rating, rating)) if rating else ""


@register.filter
def role_name(code):
    return words.ROLES.get(code, code)


@register.filter
def percent(fraction):
    """A chance as a percentage in the active language's format ("76%", "76 %", "%76")."""
    if fraction is None:
        return gettext("unknown")
    return gettext("%(number)s%%") % {"number": round(fraction * 100)}


@register.simple_tag
def stance_badge(stance):
    label = words.STANCES.get(stance, stance)
    css = STANCE_CLASS.get(stance, "text-bg-secondary")
    return format_html('<span class="badge {} stance-badge">{}</span>', css, label)


@register.simple_tag
def hfea_badge(rating):
    if not rating:
        return format_html(
            '<span class="badge text-bg-light border hfea-badge">{}</span>',
            gettext("HFEA: rating pending review"),
        )
    # What the colour means is catalogue text with its own review status (the add-on flag's
    # ``hfea_meaning``), shown beside the badge, not a hard-coded tooltip.
    return format_html(
        '<span class="badge hfea-badge hfea-{}">HFEA {}</span>',
        rating,
        HFEA_COLOURS.get(rating, rating),
    )


HFEA_COLOURS = {
    "green": gettext_lazy("green"),
    "amber": gettext_lazy("amber"),
    "grey": gettext_lazy("grey"),
    "black": gettext_lazy("black"),
    "red": gettext_lazy("red"),
}


@register.simple_tag
def review_badge(review):
    if review == "verified":
        return format_html('<span class="badge review-verified">✓ {}</span>', gettext("Verified"))
    return format_html(
        '<span class="badge review-pending" title="{}">⚠ {}</span>',
        gettext("Not yet confirmed by the clinical lead"),
        gettext("Pending clinical review"),
    )


@register.simple_tag
def cites(keys, numbers):
    """Numbered citation links, [1][3], to the reference list on the page."""
    return format_html_join(
        "",
        '<a class="cite" href="#ref-{}" title="{}">[{}]</a>',
        ((numbers[k], k, numbers[k]) for k in keys if k in numbers),
    )


STATUS_LABELS = words.STATUSES
STATUS_ICONS = {
    "pending": "○",
    "scheduled": "◷",
    "awaiting_findings": "◑",
    "done": "✓",
    "not_indicated": "–",
}


@register.simple_tag
def status_badge(status):
    return format_html(
        '<span class="badge status-badge status-{}">{} {}</span>',
        status,
        STATUS_ICONS.get(status, ""),
        STATUS_LABELS.get(status, status),
    )


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


FACT_LABELS = {
    "age": gettext_lazy("age"),
    "amh_ng_ml": "AMH (ng/mL)",
    "afc": "AFC",
    "best_previous_oocytes": gettext_lazy("best previous cycle"),
    "previous_oocytes": gettext_lazy("previous oocytes"),
    "conventional_oocytes": gettext_lazy("oocytes in conventional cycles"),
    "previous_poor_responses": gettext_lazy("previous poor responses"),
}


@register.filter
def fact_label(key):
    return FACT_LABELS.get(key, key.replace("_", " "))


@register.filter
def fact_value(value):
    if isinstance(value, float):
        return f"{round(value, 2):g}"  # at most 2 decimals, as the findings read
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or gettext("none")
    return value
