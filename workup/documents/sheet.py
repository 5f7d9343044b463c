"""The patient sheet's texts in the patient's language, and its pictures (icon arrays, QR codes).

``sheet_texts`` gathers every catalogue text the sheet quotes, in the patient's language, each
with its state (``evidence.translations``: the English original, a reviewed or unreviewed
translation, or the English where no current translation exists) and its clinical review. It
is plain JSON: sign-off keeps it in the signed record (``clinic.signed.freeze``), so a signed
sheet keeps its words and its language whatever the catalogue or the patient's record says
later. ``sheet_context`` turns it and the engine's answer into what the template prints.

Nothing clinical is decided here: the chance shown is the catalogue's row for the patient's
age and embryo kind, the verdict on an add-on is the catalogue's (``patient_verdict``, or the
engine's own verdict where it has one), and every sentence is a catalogue text.
"""

from __future__ import annotations

from functools import lru_cache

from django.utils.translation import gettext, ngettext, override

from workup.evidence.catalogue import PENDING, Catalogue, fill
from workup.evidence.engine import Trace, aps_treatment_strength
from workup.evidence.presenting import advice_lists, step_kind
from workup.evidence.requirements import AGES
from workup.evidence.translations import (
    FALLBACKS,
    MISSING,
    REVIEWED,
    SOURCE,
    UNREVIEWED,
    Said,
    patient_text,
    tally,
)

# The sheet's own statements (fixtures/catalogue.json, "statements").
LABEL_STATEMENTS = {"rif": "sheet_label_rif", "not_yet": "sheet_label_not_yet"}
CHANCE_STATEMENTS = {"untested": "sheet_chance_untested", "euploid": "sheet_chance_euploid"}
VERDICT_STATEMENTS = {
    ("possible_harm", "treatment"): "verdict_possible_harm",
    ("possible_harm", "test"): "verdict_possible_harm_test",
    ("no_benefit_shown", "treatment"): "verdict_no_benefit_shown",
    ("no_benefit_shown", "test"): "verdict_no_benefit_shown_test",
}
QUESTIONS = "sheet_questions"
READ_MORE = ("read_more_hfea", "read_more_eshre")
SHEET_STATEMENTS = (
    *LABEL_STATEMENTS.values(),
    *CHANCE_STATEMENTS.values(),
    *VERDICT_STATEMENTS.values(),
    QUESTIONS,
    *READ_MORE,
)

FORMAT = 1


def _statement(catalogue: Catalogue, language: str, code: str, **values) -> dict:
    entry = catalogue.statement(code)
    said = patient_text(catalogue, language, "statements", code, "plain")
    # Placeholders are filled after the choice of language: the translation keeps them.
    return {
        "said": Said(fill(said.text, **values), said.state, said.language).as_json(),
        "review": entry.review,
        "sources": list(entry.sources),
    }


def losses_words(count: int | None) -> str:
    """The pregnancy losses in words, in the active language (the APS statements' placeholder)."""
    if count is None:
        return gettext("an unknown number of pregnancy losses")
    if count == 0:
        return gettext("no pregnancy losses")
    return ngettext("%(count)d pregnancy loss", "%(count)d pregnancy losses", count) % {
        "count": count
    }


def age_words(age_min: int, age_max: int) -> str:
    """The ages of a chance row in words, in the active language: "under 35", "aged 35 to 37",
    "aged 43 or over", "of any age" (the first and last rows reach the youngest and oldest ages
    accepted)."""
    if age_min <= min(AGES) and age_max >= max(AGES):
        return gettext("of any age")
    if age_min <= min(AGES):
        return gettext("under %(age)d") % {"age": age_max + 1}
    if age_max >= max(AGES):
        return gettext("aged %(age)d or over") % {"age": age_min}
    return gettext("aged %(low)d to %(high)d") % {"low": age_min, "high": age_max}


def embryo_kinds(facts) -> list[str]:
    """Which per-transfer chance to show: the kind of the embryos whose transfers failed."""
    failed = getattr(facts, "failed_transfers", None) or 0
    euploid = getattr(facts, "euploid_failed_transfers", None) or 0
    if failed and euploid >= failed:
        return ["euploid"]
    if euploid:
        return ["untested", "euploid"]
    return ["untested"]


def _aps_statement(facts, catalogue: Catalogue) -> str:
    return aps_treatment_strength(facts, Trace(catalogue))[1]


# Next steps that may say something else for this patient than their catalogue text (the
# engine's ``next_steps[].plain``), and the catalogue statement whose words they then carry.
OWN_WORDS = {"aps_treatment": _aps_statement}


def own_words(step: dict, catalogue: Catalogue, facts, language: str) -> Said | None:
    """A next step's own words for this patient, in ``language``; None when the step says its
    catalogue text. The APS treatment without a recommendation for this patient (research
    only, none, losses unknown) says what its strength statement says, not the regimen: that
    statement's translation. Words the sheet cannot tie to a statement print in English."""
    own = step.get("plain")
    entry = catalogue.next_steps.get(step.get("code"))
    if not own or entry is None or own == entry.plain:
        return None
    statement = OWN_WORDS.get(step["code"])
    code = statement(facts, catalogue) if statement is not None and facts is not None else None
    if code is not None:
        english = fill(catalogue.statement(code).plain, losses_words=_english_losses(facts))
        if english == own:  # the statement the engine said: in the patient's language
            said = patient_text(catalogue, language, "statements", code, "plain")
            losses = losses_words(getattr(facts, "miscarriages", None))
            return Said(fill(said.text, losses_words=losses), said.state, said.language)
    return Said(own, SOURCE if language == "en" else MISSING, "en")


def _english_losses(facts) -> str:
    with override("en"):
        return losses_words(getattr(facts, "miscarriages", None))


def sheet_texts(answer: dict, catalogue: Catalogue, *, facts, language: str, age: int) -> dict:
    """Every catalogue text the sheet quotes, in ``language`` (JSON, kept at sign-off)."""
    with override(language):
        steps = {}
        codes = [i["code"] for i in answer.get("checklist", ())] + [
            s["code"] for s in answer.get("next_steps", ())
        ]
        for code in dict.fromkeys(codes):
            kind = "investigations" if code in catalogue.investigations else "next_steps"
            entry = getattr(catalogue, kind).get(code)
            if entry is None:
                continue
            fields = ("name", "plain") + (("plain_found",) if kind == "next_steps" else ())
            steps[code] = {
                name: patient_text(catalogue, language, kind, code, name).as_json()
                for name in fields
            }
        for step in answer.get("next_steps", ()):
            said = own_words(step, catalogue, facts, language)
            if said is not None and step["code"] in steps:
                steps[step["code"]]["plain"] = said.as_json()
        addons, for_you = {}, {}
        for flag in answer.get("addon_flags", ()):
            code = flag["code"]
            entry = catalogue.addons.get(code)
            addons[code] = {
                name: patient_text(catalogue, language, "addons", code, name).as_json()
                for name in ("name", "plain_what", "plain_evidence", "plain_risks")
            }
            addons[code]["kind"] = getattr(entry, "kind", "treatment")
            addons[code]["verdict"] = getattr(entry, "patient_verdict", "")
            verdict = flag.get("verdict")
            if verdict and verdict.get("code"):
                values = {"losses_words": losses_words(getattr(facts, "miscarriages", None))}
                for_you[code] = _statement(catalogue, language, verdict["code"], **values)
        statements = {
            code: _statement(catalogue, language, code)
            for code in (*LABEL_STATEMENTS.values(), *VERDICT_STATEMENTS.values(), QUESTIONS)
        }
        chances = []
        for embryo in embryo_kinds(facts):
            try:
                row = catalogue.chance_for(embryo, age)
            except LookupError:
                continue
            in_100 = round(row.chance * 100)
            chances.append(
                {
                    "embryo": embryo,
                    "code": row.code,
                    "in_100": in_100,
                    "review": row.review,
                    **_statement(
                        catalogue,
                        language,
                        CHANCE_STATEMENTS[embryo],
                        ages=age_words(row.age_min, row.age_max),
                        in_100=in_100,
                    ),
                }
            )
        read_more = []
        for code in READ_MORE:
            item = _statement(catalogue, language, code)
            keys = item["sources"]
            source = catalogue.sources.get(keys[0]) if keys else None
            if source is None or not source.link or not item["said"]["text"]:
                continue
            read_more.append({"code": code, "url": source.link, **item})
    return {
        "format": FORMAT,
        "language": language,
        "steps": steps,
        "addons": addons,
        "for_you": for_you,
        "statements": statements,
        "chances": chances,
        "read_more": read_more,
    }


def english_sheet(texts: dict) -> dict:
    """A sheet signed before sheets had their own texts: the English the signer saw."""
    plain = texts.get("plain", {})
    steps = {code: {"plain": Said(text, SOURCE, "en").as_json()} for code, text in plain.items()}
    addons = {
        code: {
            **{
                name: Said(entry.get(name, ""), SOURCE, "en").as_json()
                for name in ("plain_what", "plain_evidence", "plain_risks")
            },
            "kind": entry.get("kind", "treatment"),
            "verdict": "",
        }
        for code, entry in texts.get("addons", {}).items()
    }
    return {"format": 0, "language": "en", "steps": steps, "addons": addons}


# --- what the template prints ---------------------------------------------------------------


def said(data) -> Said:
    return Said.from_json(data)


def every_said(sheet: dict):
    """Each text the sheet prints (for the tally of translation states)."""
    for fields in sheet.get("steps", {}).values():
        yield from (said(v) for v in fields.values())
    for fields in sheet.get("addons", {}).values():
        yield from (said(v) for k, v in fields.items() if k not in ("kind", "verdict"))
    for group in ("statements", "for_you"):
        for item in sheet.get(group, {}).values():
            yield said(item["said"])
    for item in sheet.get("chances", []) + sheet.get("read_more", []):
        yield said(item["said"])


def translation_status(sheet: dict) -> dict:
    """What the footer and the clinician's notice say about the sheet's translation."""
    language = sheet.get("language", "en")
    counts = tally(t for t in every_said(sheet) if t.text)
    english = counts[SOURCE] + sum(counts[s] for s in FALLBACKS)
    if language == "en":
        state = "original"
    elif counts[UNREVIEWED]:
        state = "unreviewed"
    elif counts[REVIEWED]:
        state = "reviewed"
    else:
        state = "untranslated"
    return {
        "language": language,
        "state": state,
        "reviewed": counts[REVIEWED],
        "unreviewed": counts[UNREVIEWED],
        "missing": sum(counts[s] for s in FALLBACKS),
        "english": english if language != "en" else 0,
    }


def icon_array(in_100: int, columns: int = 10) -> list[dict]:
    """100 cells in rows of ten, the first ``in_100`` filled: readable in black and white."""
    size, gap = 10, 2
    cells = []
    for n in range(100):
        row, column = divmod(n, columns)
        cells.append(
            {
                "x": column * (size + gap) + size // 2 + 1,
                "y": row * (size + gap) + size // 2 + 1,
                "filled": n < in_100,
            }
        )
    return cells


@lru_cache(maxsize=32)
def qr_path(url: str) -> tuple[int, str]:
    """A QR code of ``url`` as one SVG path: (size in modules, path data). Drawn here, on the
    server, from the ``qrcode`` package; nothing is fetched."""
    import qrcode

    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    parts = [
        f"M{x},{y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    ]
    return len(matrix), "".join(parts)


def _text(data) -> str:
    return said(data).text


def _plan_item(step: dict, texts: dict, row, today, *, legacy: bool = False) -> dict:
    """A next step for the patient: its plain words and when it is booked.

    Only dates still ahead are given (ahead of the day of signing, for a signed sheet): a
    booking or target date already past (an overdue step) is the coordinator's to chase, and
    would only puzzle the patient. ``legacy``: a sheet signed before sheets kept their own texts
    (English), where the engine's own words for this patient win over the catalogue's text.
    """
    booked_for = planned_by = None
    if row is not None and row.is_open:
        if row.scheduled_for and row.scheduled_for >= today:
            booked_for = row.scheduled_for
        elif row.due_date and row.due_date >= today and not row.scheduled_for:
            planned_by = row.due_date
    fields = texts.get(step["code"], {})
    plain = said(fields.get("plain")) if fields.get("plain") else Said("", SOURCE, "en")
    if legacy and step.get("plain"):
        plain = Said(step["plain"], SOURCE, "en")
    name = said(fields["name"]) if fields.get("name") else Said(step["name"], SOURCE, "en")
    found = said(fields["plain_found"]) if fields.get("plain_found") else None
    return {
        "code": step["code"],
        "name": name,
        "plain": plain,
        "found": found,
        "pending_review": step["review"] == PENDING,
        "sources": step["sources"],
        "booked_for": booked_for,
        "planned_by": planned_by,
    }


PILLAR_ORDER = ("embryo", "uterus", "stimulation", "general")

# How many next steps the first page lists (fewer beside two pictures of the chance); the rest
# are in "Your plan", so that the first page still answers what we do not recommend.
FIRST_PAGE_STEPS = 4


def sheet_context(answer: dict, sheet: dict, *, steps: dict, today, facts_failed) -> dict:
    """The sheet's first page and its sections, from the answer and the sheet's texts."""
    texts = sheet.get("steps", {})
    legacy = sheet.get("format", FORMAT) == 0
    advice = advice_lists(answer)
    planned = [
        (
            step,
            step_kind(step, answer),
            _plan_item(step, texts, steps.get(step["code"]), today, legacy=legacy),
        )
        for step in advice["investigations"] + advice["actions"]
    ]
    actions = [item for step, kind, item in planned if kind != "investigation"]
    tests = [item for step, kind, item in planned if kind == "investigation"]

    plan = []
    for pillar in PILLAR_ORDER:
        in_pillar = [(s, k, i) for s, k, i in planned if s["pillar"] == pillar]
        done = []
        for item in answer.get("checklist", ()):
            if item["pillar"] == pillar and item["status"] == "done":
                fields = texts.get(item["code"], {})
                plain = said(fields["plain"]) if fields.get("plain") else None
                done.append(plain if plain and plain.text else Said(item["name"], SOURCE, "en"))
        plan.append(
            {
                "code": pillar,
                "tests": [i for _, k, i in in_pillar if k == "investigation"],
                "steps": [i for _, k, i in in_pillar if k != "investigation"],
                "done": done,
            }
        )

    statements = sheet.get("statements", {})
    addons, not_advised, other_addons = [], [], []
    for flag in answer.get("addon_flags", ()):
        code = flag["code"]
        entry = sheet.get("addons", {}).get(code, {})
        name = said(entry["name"]) if entry.get("name") else Said(flag["name"], SOURCE, "en")
        for_you = sheet.get("for_you", {}).get(code)
        if for_you is None and flag.get("verdict") and flag["verdict"].get("plain"):
            # A sheet signed before sheets kept their own texts: the engine's English words.
            for_you = {
                "said": Said(flag["verdict"]["plain"], SOURCE, "en").as_json(),
                "review": flag["verdict"].get("review", PENDING),
            }
        addon = {
            "code": code,
            "name": name,
            "flagged": flag["flagged"],
            "is_test": entry.get("kind", flag.get("kind")) == "test",
            "plain_what": said(entry.get("plain_what")),
            "plain_evidence": said(entry.get("plain_evidence")),
            "plain_risks": said(entry.get("plain_risks")),
            "pending_review": flag["review"] == PENDING,
            "sources": flag["sources"],
            "for_you": said(for_you["said"]) if for_you else None,
            "for_you_pending": bool(for_you) and for_you.get("review") == PENDING,
        }
        addons.append(addon)
        verdict = entry.get("verdict")
        statement = VERDICT_STATEMENTS.get((verdict, "test" if addon["is_test"] else "treatment"))
        if flag["flagged"] and for_you is None and statement in statements:
            line = statements[statement]
            not_advised.append(
                {
                    **addon,
                    "verdict": verdict,
                    "why": said(line["said"]),
                    "why_pending": line["review"] == PENDING,
                }
            )
        else:
            other_addons.append(addon)

    rif = answer.get("rif") or {}
    label = statements.get(LABEL_STATEMENTS.get(rif.get("label"), ""), None)
    found = [item for item in actions if item["found"] is not None and item["found"].text]
    chances = [
        {
            **chance,
            "said": said(chance["said"]),
            "pending_review": chance["review"] == PENDING,
            "cells": icon_array(chance["in_100"]),
        }
        for chance in sheet.get("chances", [])
    ]
    read_more = []
    for item in sheet.get("read_more", []):
        modules, path = qr_path(item["url"])
        read_more.append(
            {
                **item,
                "said": said(item["said"]),
                "pending_review": item["review"] == PENDING,
                "qr_size": modules,
                "qr_path": path,
                "address": item["url"].removeprefix("https://").removesuffix("/"),
            }
        )
    questions = statements.get(QUESTIONS)
    question_lines = []
    if questions:
        text = said(questions["said"])
        question_lines = [
            Said(line.strip(), text.state, text.language)
            for line in text.text.splitlines()
            if line.strip()
        ]
    # A second picture (untested and euploid embryos) takes the room of two lines of steps.
    room = max(0, FIRST_PAGE_STEPS - 2 * max(0, len(chances) - 1) - len(actions))
    any_pending = (
        any(a["pending_review"] or a["for_you_pending"] for a in addons)
        or any(i["pending_review"] for i in actions + tests)
        or any(c["pending_review"] for c in chances)
        or bool(label and label["review"] == PENDING)
        or any(n["why_pending"] for n in not_advised)
    )
    any_english = (
        any(t.state in FALLBACKS for t in every_said(sheet) if t.text)
        and sheet.get("language", "en") != "en"
    )
    return {
        "sheet_language": sheet.get("language", "en"),
        "failed_transfers": facts_failed,
        "label": said(label["said"]) if label else None,
        "label_pending": bool(label and label["review"] == PENDING),
        "found": found,
        "tests_done": any(p["done"] for p in plan),
        "chances": chances,
        "first_actions": actions,
        "first_tests": tests[:room],
        "more_tests": max(0, len(tests) - room),
        "not_advised": not_advised,
        "other_addons": other_addons,
        "handout_addons": addons,
        "plan": plan,
        "questions": question_lines,
        "questions_pending": bool(questions and questions["review"] == PENDING),
        "read_more": read_more,
        "any_pending_review": any_pending,
        "any_english": any_english,
        "translation": translation_status(sheet),
    }
