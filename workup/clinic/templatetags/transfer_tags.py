"""The RIF chart and the transfer table in templates: ``{% rif_chart answer.rif %}``."""

from django import template

from workup.clinic.transfer_chart import chance_chart

register = template.Library()


@register.inclusion_tag("includes/rif_chart.html")
def rif_chart(rif, heading_level=3):
    """The cumulative chance after each failed transfer against the threshold: an inline SVG
    and the same numbers as a table (for screen readers, and for print in black and white)."""
    return {"chart": chance_chart(rif), "heading_level": heading_level}
