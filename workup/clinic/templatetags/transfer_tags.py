"""The RIF chart and the transfer table in templates: ``{% rif_chart answer.rif %}``."""

from django import template

from workup.clinic.transfer_chart import chance_chart

register = template.Library()


@register.inclusion_tag("includes/rif_chart.html")
def rif_chart(rif, heading_level=3):
    """The cumulative chance after each failed transfer against the threshold: an inline SVG
    and the same numbers as a table (for screen readers, and for print in black and white)."""
    return {"chart": chance_chart(rif), "heading_level": heading_level}


@register.simple_tag
def transfer_rows(workup, signed=None, answer=None):
    """The transfer table as the document prints it: as signed for a signed work-up (a row
    signed before transfers were kept falls back to today's), each row with the chance the
    answer gave it, or why it is not counted."""
    from workup.clinic.transfer_records import paper_rows

    findings = getattr(signed, "findings", None) or {}
    rows = findings.get("transfers")
    if rows is None:
        rows = paper_rows(workup.transfers.all())
    rif = (answer or {}).get("rif") or {}
    counted = {e.get("date"): e for e in rif.get("transfers", ()) if e.get("date")}
    skipped = {e.get("date"): e for e in rif.get("not_counted", ()) if e.get("date")}
    out = []
    for row in rows:
        entry = counted.get(row["iso"])
        out.append(
            {
                **row,
                "chance": entry["chance"] if entry else None,
                "embryo_count": len(entry["embryos"]) if entry else 0,
                "not_counted": (skipped.get(row["iso"]) or {}).get("reason", ""),
            }
        )
    return out


@register.filter
def pgta_name(code):
    """An embryo's PGT-A status in the reader's language ("Euploid", "Untested")."""
    from workup.clinic.transfer_records import PGTA_LABELS

    return PGTA_LABELS.get(code, code)
