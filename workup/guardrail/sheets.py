"""Keep the patient sheet a patient was given when going ahead against advice.

The sheet is the documents app's own patient sheet (``handout_context`` and its template, made
a PDF by ``render_pdf``): the same bytes a download would give at that moment, kept with their
SHA-256, so the clinic can later show exactly what the patient read before deciding.
"""

from __future__ import annotations

import hashlib

from workup.clinic.presenters import load_workup
from workup.documents.pdf import render_pdf
from workup.documents.tasks import document

from .models import KeptPatientSheet


def keep_patient_sheet(*, request, user) -> KeptPatientSheet:
    """Render the work-up's patient sheet now and keep it with the counselling's reason."""
    workup = load_workup(request.workup_id)
    # The same HTML as handout.pdf, in the patient's language.
    context, html = document(workup, "handout", pdf=True)
    pdf = render_pdf(html)  # static files are read from disk; nothing is fetched
    return KeptPatientSheet.objects.create(
        addon_request=request,
        workup_id=request.workup_id,
        created_by=user,
        override_reason=request.override_reason,
        reason_text=request.outcome_reason,
        file_name=context["file_name"].replace("rif-handout-", "rif-handout-kept-"),
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        catalogue_version=context["answer"]["catalogue"]["version"],
    )
