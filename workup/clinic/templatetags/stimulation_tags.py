"""The stimulation panel's display helpers: words for codes, the chart, a check's badge.

Badges have words and a symbol, never colour alone; the chart's geometry is worked out in
``clinic.stimulation.cycle_chart`` and drawn by the template as inline SVG.
"""

from datetime import date

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from workup.clinic.stimulation import (
    OHSS_NAMES,
    PROTOCOL_NAMES,
    RESPONSE_WORDS,
    TRIGGER_NAMES,
    cycle_chart,
)

register = template.Library()

PREDICTED_WORDS = {
    "poor": pgettext_lazy("predicted response", "Poor"),
    "normal": pgettext_lazy("predicted response", "Normal"),
    "high": pgettext_lazy("predicted response", "High"),
    None: gettext_lazy("Not predicted"),
}


@register.filter
def protocol_name(code):
    return PROTOCOL_NAMES.get(code, code) if code else "—"


@register.filter
def trigger_name(code):
    return TRIGGER_NAMES.get(code, code) if code else "—"


@register.filter
def ohss_name(value):
    """A cycle's OHSS from the engine's answer: a grade, or true (grade not recorded)."""
    if value is None or value == "":
        return "—"
    if value is True or value == "ungraded":
        return gettext("Yes, grade not recorded")
    return OHSS_NAMES.get(value, value)


@register.filter
def response_name(value):
    return str(RESPONSE_WORDS.get(value, value)).capitalize() if value else "—"


@register.filter
def predicted_name(value):
    return PREDICTED_WORDS.get(value, value)


@register.filter
def yes_no(value):
    if value is None:
        return "—"
    return gettext("Yes") if value else gettext("No")


@register.filter
def iso_day(value):
    """An ISO date from the engine's answer, as the pages write dates (1 Oct 2026, in the
    reader's language)."""
    try:
        return date_format(date.fromisoformat(str(value)))
    except ValueError:
        return value


@register.simple_tag
def stimulation_block(answer, current_answer=None):
    """The stimulation block to show, and whether it is today's rather than the signed one
    (a work-up signed before the block existed): ``(block, from_today)``."""
    block = (answer or {}).get("stimulation")
    if block is None and current_answer is not None:
        return current_answer.get("stimulation"), answer is not current_answer
    return block, False


@register.simple_tag
def chart_of(block):
    bands = (block or {}).get("bands")
    if not bands:
        return None
    return cycle_chart(
        block.get("previous_cycles") or [],
        poor_max=bands["poor_oocytes_max"],
        hyper_min=bands["hyper_oocytes_min"],
    )


@register.simple_tag
def check_badge(status):
    if status == "meets":
        return format_html(
            '<span class="badge check-badge check-meets">{}</span>',
            gettext("✓ In line with the evidence"),
        )
    return format_html(
        '<span class="badge check-badge check-departs">{}</span>',
        gettext("≠ Departs from the evidence"),
    )


@register.filter
def field_of(form, name):
    """A form's bound field by name (the cycles table lays fields out by row)."""
    return form[name]
