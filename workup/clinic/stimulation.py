"""The stimulation records in words and as a chart: previous cycles and the planned cycle.

Nothing here decides anything clinical: the engine's ``stimulation`` block says the responses,
considerations and checks. This module puts recorded cycles and plans into words (for the page,
history lines, conflict messages and the summary) and draws the oocytes-against-dose chart the
panel and the PDF show, with the poor and hyper-response bands at the catalogue's thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy, ngettext, pgettext_lazy

from .models import OHSS_CHOICES, OHSS_UNGRADED, PROTOCOL_CHOICES, TRIGGER_CHOICES

PROTOCOL_NAMES = dict(PROTOCOL_CHOICES)
TRIGGER_NAMES = dict(TRIGGER_CHOICES)
# In a sentence ("dual trigger"): the names, with only acronyms and names in capitals.
TRIGGER_WORDS = {
    "hcg": "hCG",
    "agonist": gettext_lazy("GnRH agonist"),
    "dual": pgettext_lazy("trigger", "dual"),
}
OHSS_NAMES = dict(OHSS_CHOICES)
RESPONSE_WORDS = {
    "poor": pgettext_lazy("response", "poor"),
    "hyper": gettext_lazy("hyper-response"),
    "normal": pgettext_lazy("response", "normal"),
    None: "—",
}


def _day(value) -> str:
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return date_format(value)


def _trigger(code) -> str:
    return gettext("%(trigger)s trigger") % {"trigger": TRIGGER_WORDS.get(code, code)}


def protocol_words(code: str | None) -> str:
    if not code:
        return ""
    name = str(PROTOCOL_NAMES.get(code, code.replace("_", " ")))
    return name if name.isupper() else name.lower()


def ohss_words(value) -> str:
    """OHSS as recorded: a stored grade, a fact's grade, or True (yes, grade not recorded)."""
    if value in (None, ""):
        return ""
    if value is True or value == OHSS_UNGRADED:
        return gettext("OHSS (grade not recorded)")
    if value == "none":
        return gettext("no OHSS")
    return gettext("%(grade)s OHSS") % {"grade": str(OHSS_NAMES.get(value, value)).lower()}


def cycle_words(cycle, *, dose_unit: str | None = None) -> str:
    """One previous cycle in words: "9 oocytes (7 mature), 225 IU a day, antagonist, hCG
    trigger, mild OHSS, freeze-all, retrieved 12 Mar 2025". Reads a StimulationCycle row, a
    facts ``Cycle`` or an engine ``previous_cycles`` entry (a dict)."""

    def get(name):
        if isinstance(cycle, dict):
            return cycle.get(name)
        return getattr(cycle, name, None)

    oocytes = get("oocytes")
    words = ngettext("%(count)s oocyte", "%(count)s oocytes", oocytes or 0) % {"count": oocytes}
    if get("mature_oocytes") is not None:
        words += " " + gettext("(%(count)s mature)") % {"count": get("mature_oocytes")}
    parts = [words]
    if get("daily_dose_iu") is not None:
        dose = get("daily_dose_iu")
        if dose_unit is None:
            parts.append(gettext("%(dose)s IU a day") % {"dose": dose})
        else:
            parts.append(f"{dose} {dose_unit}")
    if get("protocol"):
        parts.append(protocol_words(get("protocol")))
    if get("maximal_stimulation"):
        parts.append(gettext("maximal stimulation"))
    if get("trigger"):
        parts.append(_trigger(get("trigger")))
    ohss = get("ohss_grade")  # a stored row's column; a fact's or an answer's key otherwise
    if ohss is None:
        ohss = get("ohss")
    if ohss_words(ohss):
        parts.append(ohss_words(ohss))
    if get("freeze_all"):
        parts.append(gettext("freeze-all"))
    elif get("freeze_all") is False:
        parts.append(gettext("no freeze-all"))
    if get("date"):
        parts.append(gettext("retrieved %(date)s") % {"date": _day(get("date"))})
    return ", ".join(parts)


def plan_words(plan, addon_names=None) -> str:
    """A planned cycle in words; "nothing decided yet" when empty. ``addon_names`` maps add-on
    codes to names (the catalogue's)."""

    def get(name):
        if isinstance(plan, dict):
            return plan.get(name)
        return getattr(plan, name, None)

    if plan is None:
        return gettext("nothing decided yet")
    parts = []
    if get("protocol"):
        parts.append(protocol_words(get("protocol")))
    if get("daily_dose_iu") is not None:
        parts.append(gettext("%(dose)s IU a day") % {"dose": get("daily_dose_iu")})
    if get("trigger"):
        parts.append(_trigger(get("trigger")))
    if get("freeze_all") is True:
        parts.append(gettext("freeze-all"))
    elif get("freeze_all") is False:
        parts.append(gettext("no freeze-all"))
    adjuvants = list(get("adjuvants") or ())
    if adjuvants:
        names = addon_names or {}
        parts.append(
            gettext("adjuvants: %(names)s")
            % {"names": ", ".join(names.get(c, c) for c in adjuvants)}
        )
    return ", ".join(parts) or gettext("nothing decided yet")


def cycles_words(cycles) -> str:
    cycles = list(cycles)
    if not cycles:
        return gettext("none")
    return "; ".join(
        gettext("cycle %(number)s: %(words)s") % {"number": n, "words": cycle_words(c)}
        for n, c in enumerate(cycles, start=1)
    )


def cycle_changes(before: list, after: list) -> list[str]:
    """What changed between two lists of cycles, row by row, in words."""
    lines = []
    for number in range(1, max(len(before), len(after)) + 1):
        old = before[number - 1] if number <= len(before) else None
        new = after[number - 1] if number <= len(after) else None
        if old is None:
            lines.append(
                gettext("Previous cycle %(number)s added: %(words)s")
                % {"number": number, "words": cycle_words(new)}
            )
        elif new is None:
            lines.append(
                gettext("Previous cycle %(number)s removed (was: %(words)s)")
                % {"number": number, "words": cycle_words(old)}
            )
        elif cycle_words(old) != cycle_words(new):
            lines.append(
                gettext("Previous cycle %(number)s: %(old)s → %(new)s")
                % {"number": number, "old": cycle_words(old), "new": cycle_words(new)}
            )
    return lines


# --- the chart --------------------------------------------------------------------------------


@dataclass
class Point:
    number: int
    x: float
    y: float
    label_x: float
    label_y: float
    dose: int
    oocytes: int
    response: str | None
    marker: str  # the marker's shape, by response: readable without colour
    label: str = ""

    def __post_init__(self):
        self.label = self.label or str(self.number)

    @property
    def polygon(self) -> str:
        """A triangle's corners: up for a hyper-response, down for a poor one."""
        x, y = self.x, self.y
        if self.marker == "triangle-up":
            corners = ((x, y - 6), (x - 6, y + 5), (x + 6, y + 5))
        elif self.marker == "triangle-down":
            corners = ((x, y + 6), (x - 6, y - 5), (x + 6, y - 5))
        else:
            return ""
        return " ".join(f"{round(a, 1)},{round(b, 1)}" for a, b in corners)


@dataclass
class Tick:
    value: int
    position: float


@dataclass
class Band:
    y: float
    height: float
    label: str  # beside the plot, in the right margin: never over a point
    detail: str
    label_y: float
    css: str


@dataclass
class CycleChart:
    """Oocytes per previous cycle against its daily dose: geometry for an inline SVG."""

    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    points: list[Point] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    unplotted: list[int] = field(default_factory=list)
    summary: str = ""

    @property
    def bottom(self) -> int:
        return self.top + self.plot_height

    @property
    def right(self) -> int:
        return self.left + self.plot_width


MARKERS = {"poor": "triangle-down", "hyper": "triangle-up", "normal": "circle", None: "circle"}


def cycle_chart(cycles: list[dict], *, poor_max: float, hyper_min: float) -> CycleChart | None:
    """The chart of the engine's ``previous_cycles`` (each with ``daily_dose_iu``, ``oocytes``,
    ``response``); ``poor_max`` and ``hyper_min`` are the catalogue's thresholds
    (``bologna_poor_oocytes``, ``hyper_response_oocytes``). None when there are no cycles."""
    if not cycles:
        return None
    width, height, left, top, right_pad, bottom_pad = 520, 250, 44, 12, 104, 40
    chart = CycleChart(
        width=width,
        height=height,
        left=left,
        top=top,
        plot_width=width - left - right_pad,
        plot_height=height - top - bottom_pad,
    )
    doses = [c["daily_dose_iu"] for c in cycles if c.get("daily_dose_iu") is not None]
    # Room to the right of the highest dose, in steps of 75 IU, and at least 300 IU.
    x_max = max(300, -(-(max(doses, default=0) + 1) // 75) * 75)
    y_max = max([int(hyper_min) + 5, *[c["oocytes"] + 2 for c in cycles]])
    y_max = int(-(-y_max // 5) * 5)

    def x_of(dose):
        return chart.left + chart.plot_width * dose / x_max

    def y_of(oocytes):
        return chart.bottom - chart.plot_height * oocytes / y_max

    step = 75 if x_max <= 450 else 150
    x_max = -(-x_max // step) * step  # the axis ends on a tick
    chart.x_ticks = [Tick(v, round(x_of(v), 1)) for v in range(0, x_max + 1, step)]
    chart.y_ticks = [Tick(v, round(y_of(v), 1)) for v in range(0, y_max + 1, 5)]
    poor_top = y_of(poor_max + 0.5)
    hyper_bottom = y_of(hyper_min - 0.5)
    chart.bands = [
        Band(
            y=round(chart.top, 1),
            height=round(hyper_bottom - chart.top, 1),
            label=gettext("Hyper-response"),
            detail=gettext("%(count)s or more") % {"count": int(hyper_min)},
            label_y=round(chart.top + 11, 1),
            css="band-hyper",
        ),
        Band(
            y=round(poor_top, 1),
            height=round(chart.bottom - poor_top, 1),
            label=gettext("Poor response"),
            detail=gettext("%(count)s or fewer") % {"count": int(poor_max)},
            label_y=round(poor_top + 11, 1),
            css="band-poor",
        ),
    ]
    at: dict[tuple, Point] = {}
    for number, cycle in enumerate(cycles, start=1):
        number = cycle.get("number", number)
        dose = cycle.get("daily_dose_iu")
        if dose is None:
            chart.unplotted.append(number)
            continue
        x, y = round(x_of(dose), 1), round(y_of(cycle["oocytes"]), 1)
        if (x, y) in at:  # the same dose and oocytes as an earlier cycle: one point, both numbers
            at[(x, y)].label += f", {number}"
            continue
        at[(x, y)] = point = Point(
            number=number,
            x=x,
            y=y,
            label_x=round(x + 7, 1),
            label_y=round(y - 6, 1),
            dose=dose,
            oocytes=cycle["oocytes"],
            response=cycle.get("response"),
            marker=MARKERS.get(cycle.get("response"), "circle"),
        )
        chart.points.append(point)
    described = "; ".join(
        gettext("cycle %(label)s: %(oocytes)s oocytes at %(dose)s IU a day (%(response)s)")
        % {
            "label": p.label,
            "oocytes": p.oocytes,
            "dose": p.dose,
            "response": RESPONSE_WORDS.get(p.response, p.response),
        }
        for p in chart.points
    )
    chart.summary = (
        gettext(
            "Oocytes retrieved against the daily dose, with the poor-response band at "
            "%(poor)s oocytes or fewer and the hyper-response band at %(hyper)s or more."
        )
        % {"poor": int(poor_max), "hyper": int(hyper_min)}
        + " "
        + (described + "." if described else gettext("No cycle has a recorded dose."))
    )
    if chart.unplotted:
        chart.summary += " " + gettext("Not plotted (dose not recorded): cycle %(numbers)s.") % {
            "numbers": ", ".join(str(n) for n in chart.unplotted)
        }
    return chart
