"""Shapes the engine's answer for templates; no clinical logic here."""

from __future__ import annotations

from workup.evidence.catalogue import PILLAR_NAMES, PILLARS


def pillar_groups(checklist: list[dict], steps: dict, catalogue) -> list[dict]:
    """The checklist by pillar, each item with its stored row, and done/indicated counts."""
    groups = []
    for pillar in PILLARS:
        items = [
            {"item": item, "step": steps.get(item["code"])}
            for item in checklist
            if item["pillar"] == pillar
        ]
        indicated = [i for i in items if i["item"]["status"] != "not_indicated"]
        done = [i for i in indicated if i["item"]["status"] == "done"]
        groups.append(
            {
                "code": pillar,
                "name": PILLAR_NAMES[pillar],
                "items": items,
                "done": len(done),
                "total": len(indicated),
            }
        )
    return groups
