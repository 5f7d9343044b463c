"""The chart of the RIF label: the cumulative predicted chance after each failed transfer, against
the threshold, drawn server-side as inline SVG (no JavaScript, no CDN) with a text table beside.

``chance_chart(rif)`` only places what the engine's answer says (``rif.transfers`` with
``cumulative_after``, ``rif.threshold``): the work-up page and the summary PDF draw the same
geometry from one template (``includes/rif_chart.html``). Readable in black and white: a solid
line with round markers up to the threshold and triangles past it, a dashed threshold line,
every value also written as a number.
"""

from __future__ import annotations

from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

WIDTH, HEIGHT = 460, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 96, 18, 46
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
MAX_VALUE_LABELS = 12  # beyond this many transfers the table carries the numbers alone
MAX_AXIS_LABELS = 10


def _x(i: int, n: int) -> float:
    # Half a step of room after the last transfer, so its marker stays clear of the
    # threshold's label at the right.
    return round(LEFT + PLOT_W * i / (n + 0.5), 1)


def _y(value: float) -> float:
    return round(TOP + PLOT_H * (1 - value), 1)


def _pct(value: float) -> str:
    """A percentage in the active language's format ("76%", "76 %", "%76")."""
    return gettext("%(number)s%%") % {"number": round(value * 100)}


def _short_day(iso: str | None) -> str:
    if not iso:
        return ""
    day = date.fromisoformat(iso)
    return date_format(day, "M Y")


def _day(iso: str | None) -> str:
    if not iso:
        return gettext("date not recorded")
    day = date.fromisoformat(iso)
    return date_format(day)


def chance_chart(rif: dict | None) -> dict | None:
    """Geometry and table rows for the chart, or None when there is nothing to draw (no
    counted failed transfer, or an answer stored before the chances were listed one by one)."""
    if not rif:
        return None
    entries = [e for e in rif.get("transfers") or () if "cumulative_after" in e]
    threshold = rif.get("threshold")
    if not entries or threshold is None:
        return None
    n = len(entries)
    step = max(1, -(-n // MAX_AXIS_LABELS))
    points = [{"x": _x(0, n), "y": _y(0.0), "start": True}]
    rows = []
    for i, entry in enumerate(entries, start=1):
        value = entry["cumulative_after"]
        past = round(value, 9) > threshold
        x, y = _x(i, n), _y(value)
        label_y = round(y - 9, 1)
        if abs(label_y - 4 - _y(threshold)) < 8:  # the label would sit on the threshold line
            label_y = round(y + 17, 1)
        points.append(
            {
                "x": x,
                "y": y,
                "past": past,
                # a triangle pointing up, centred on the point
                "triangle": f"{x},{y - 6} {x - 5.5},{y + 4} {x + 5.5},{y + 4}",
                "label": _pct(value) if n <= MAX_VALUE_LABELS else "",
                "label_y": label_y,
                "tick": str(i) if (i - 1) % step == 0 or i == n else "",
                "day": _short_day(entry.get("date")) if n <= 6 else "",
            }
        )
        rows.append(
            {
                "number": i,
                "day": _day(entry.get("date")),
                "chance": _pct(entry["chance"]),
                "cumulative": _pct(value),
                "past": past,
            }
        )
    values = ", ".join(r["cumulative"] for r in rows)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right_edge": WIDTH - RIGHT,
        "top": TOP,
        "bottom": TOP + PLOT_H,
        "axis_label_y": HEIGHT - 6,
        "tick_y": TOP + PLOT_H + 14,
        "day_y": TOP + PLOT_H + 26,
        "grid_label_x": LEFT - 6,
        "points": points[1:],
        "path": " ".join(
            ("M" if i == 0 else "L") + f"{p['x']},{p['y']}" for i, p in enumerate(points)
        ),
        "gridlines": [
            {"y": _y(v / 100), "label": _pct(v / 100), "label_y": round(_y(v / 100) + 4, 1)}
            for v in range(0, 101, 20)
        ],
        "threshold_y": _y(threshold),
        "threshold_label": gettext("%(threshold)s threshold") % {"threshold": _pct(threshold)},
        "threshold_label_y": round(_y(threshold) + 4, 1),
        "label_x": WIDTH - RIGHT + 6,
        "rows": rows,
        "summary": ngettext(
            "Cumulative predicted chance of implantation after each of %(count)d failed "
            "transfer: %(values)s; the threshold is %(threshold)s.",
            "Cumulative predicted chance of implantation after each of %(count)d failed "
            "transfers: %(values)s; the threshold is %(threshold)s.",
            n,
        )
        % {"count": n, "values": values, "threshold": _pct(threshold)},
        "priced_at_age": entries[0].get("priced_at_age"),
        "threshold": _pct(threshold),
    }
