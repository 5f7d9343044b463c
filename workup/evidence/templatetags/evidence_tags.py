"""Template access to ``workup.evidence.presenting``: one way to split and label an answer."""

from django import template
from django.utils.html import format_html

from workup.evidence import presenting

register = template.Library()


@register.simple_tag
def advice_lists(answer, steps=None):
    """``{% advice_lists answer as advice %}``: ``advice.investigations``, ``advice.actions``."""
    return presenting.advice_lists(answer, steps)


@register.filter
def step_kind(step, answer=None):
    return presenting.step_kind(step, answer)


@register.simple_tag
def catalogue_line(answer):
    return presenting.catalogue_line((answer or {}).get("catalogue"))


@register.simple_tag
def warning_items(answer):
    return presenting.warning_items(answer)


@register.simple_tag
def source_note(item):
    """The catalogue's words for a claim that cites no source (empty when it cites one)."""
    note = (item or {}).get("source_note")
    if not note:
        return ""
    return format_html('<span class="source-note">{}</span>', note)
