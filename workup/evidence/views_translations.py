"""The review of translations (``evidence.review_translation``: the clinical lead, or a reviewer
the lead gives the permission to): each catalogue entry's patient texts in one language, beside
the English they translate, and its confirmation, one entry at a time."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST, require_safe

from workup.languages.codes import native_name, translated

from . import store, translations
from .catalogue import PATIENT_FIELDS, text_digest
from .models import CatalogueTranslation, ReviewStatus


def _rows(language: str) -> list[dict]:
    """Every patient text of the catalogue in ``language``: its translation, its English, and
    whether it is reviewed, unreviewed, missing or stale (the English changed since)."""
    catalogue = store.get_catalogue()
    found = {
        (t.kind, t.code): t
        for t in CatalogueTranslation.objects.filter(language=language, retired=False)
        .select_related("reviewed_by")
        .order_by("kind", "code")
    }
    rows = []
    for kind, fields in PATIENT_FIELDS.items():
        for code, entry in getattr(catalogue, kind).items():
            texts = []
            row = found.get((kind, code))
            for field in fields:
                english = getattr(entry, field, "") or ""
                if not english:
                    continue
                said = translations.patient_text(catalogue, language, kind, code, field)
                texts.append(
                    {
                        "field": field,
                        "english": english,
                        "translation": (row.texts.get(field, "") if row else ""),
                        "state": said.state,
                    }
                )
            if texts:
                rows.append(
                    {
                        "kind": kind,
                        "code": code,
                        "name": entry.name,
                        "row": row,
                        "texts": texts,
                        "reviewed": row is not None and row.review_status == ReviewStatus.VERIFIED,
                        "stale": any(t["state"] == translations.STALE for t in texts),
                        "missing": any(t["state"] == translations.MISSING for t in texts),
                    }
                )
    return rows


def _language(code: str) -> str:
    if code not in translated():
        raise Http404(gettext("No such language."))
    return code


@require_safe
@permission_required("evidence.review_translation", raise_exception=True)
def review_translations(request, language=None):
    language = _language(language or translated()[0])
    rows = _rows(language)
    show = request.GET.get("show", "pending")
    if show == "pending":
        shown = [r for r in rows if not r["reviewed"] or r["stale"] or r["missing"]]
    else:
        shown = rows
    context = {
        "language": language,
        "language_name": native_name(language),
        "languages": [(code, native_name(code)) for code in translated()],
        "rows": shown,
        "show": show,
        "counts": {
            "entries": len(rows),
            "reviewed": sum(1 for r in rows if r["reviewed"] and not r["stale"]),
            "stale": sum(1 for r in rows if r["stale"]),
            "missing": sum(1 for r in rows if r["missing"]),
        },
    }
    return render(request, "evidence/review_translations.html", context)


@require_POST
@permission_required("evidence.review_translation", raise_exception=True)
def confirm_translation(request, language, kind, code):
    """Confirm one entry's translation as it reads now; refused if it changed meanwhile, or
    if it translates an English text that has since changed."""
    language = _language(language)
    back = reverse("evidence:review_translations_language", args=[language])
    with transaction.atomic():
        row = (
            CatalogueTranslation.objects.select_for_update()
            .filter(language=language, kind=kind, code=code, retired=False)
            .first()
        )
        if row is None:
            raise Http404(gettext("No such translation."))
        if request.POST.get("seen") != row.updated_at.isoformat():
            messages.error(
                request,
                gettext(
                    "Not recorded: this translation changed after you opened it; read it again."
                ),
            )
            return redirect(back)
        catalogue = store.get_catalogue()
        current = translations.current_digests(catalogue, kind, code)
        if any(row.translates.get(f) != d for f, d in current.items() if f in row.texts):
            messages.error(
                request,
                gettext(
                    "Not recorded: the English of %(name)s changed since it was translated; "
                    "translate it again first."
                )
                % {"name": code},
            )
            return redirect(back)
        translations.record_review(
            translation=row, reviewer=request.user, note=request.POST.get("note", "")[:500]
        )
    messages.success(
        request,
        gettext("Translation confirmed: %(code)s (%(language)s).")
        % {"code": code, "language": native_name(language)},
    )
    return redirect(back)


def current_english_digests(kind: str, code: str) -> dict[str, str]:
    """For the admin: the digests an edited translation now translates."""
    catalogue = store.get_catalogue()
    entry = getattr(catalogue, kind, {}).get(code)
    return {
        field: text_digest(getattr(entry, field, "") or "")
        for field in PATIENT_FIELDS.get(kind, ())
        if entry is not None
    }
