"""Which findings each checklist step records: the one map forms, history and summaries share.

Keys are investigation codes of the catalogue, plus ``history`` for the transfer history that
drives the RIF label (not a checklist step, but recorded the same way).
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

# The words below stay English where they are stored or exported (history lines, FHIR texts);
# gettext_noop marks them for translation, and the forms and pages show them translated.

HISTORY = "history"

STEP_FIELDS: dict[str, tuple[str, ...]] = {
    HISTORY: ("failed_transfers", "euploid_failed_transfers", "miscarriages"),
    "lifestyle": ("bmi", "smoker", "alcohol_units_week"),
    "thyroid": ("tsh", "tpo_positive"),
    "aps_screen": ("aps", "aps_first_test_date", "aps_repeat_test_date"),
    "karyotype": ("karyotype",),
    "embryo_review": ("embryo_review_done",),
    "pgta": (
        "pgta_done",
        "pgta_discussed",
        "pgta_euploid",
        "pgta_aneuploid",
        "pgta_mosaic",
        "pgta_no_result",
    ),
    "uterine_imaging": ("uterine_imaging_done",),
    "hysteroscopy": (
        "hysteroscopy_done",
        "hysteroscopy_date",
        "hysteroscopy_polyp",
        "hysteroscopy_submucosal_fibroid",
        "hysteroscopy_septum",
        "hysteroscopy_adhesions",
        "hysteroscopy_endometritis_signs",
    ),
    "ce_biopsy": (
        "ce_biopsy_done",
        "ce_biopsy_date",
        "ce_cd138_positive",
        "ce_treated",
        "ce_rebiopsy_negative",
        "ce_second_line_treated",
        "ce_second_line_rebiopsy_negative",
    ),
    "hydrosalpinx_check": ("hydrosalpinx",),
    "adenomyosis_imaging": ("adenomyosis",),
    "ovarian_reserve": ("amh_ng_ml", "amh_unit", "afc"),
    "response_review": ("previous_cycles_known",),
}

# Steps whose form also edits the list of previous stimulation cycles.
WITH_CYCLES = {"response_review"}

YES_NO = (gettext_noop("Yes"), gettext_noop("No"))

# Labels a clinician reads (the model's verbose names are short, for history lines).
LABELS = {
    "failed_transfers": gettext_noop("Failed transfers (no positive test)"),
    "euploid_failed_transfers": gettext_noop("Of which euploid"),
    "miscarriages": gettext_noop("Miscarriages"),
    "bmi": gettext_noop("BMI"),
    "smoker": gettext_noop("Smokes"),
    "alcohol_units_week": gettext_noop("Alcohol"),
    "tsh": gettext_noop("TSH"),
    "tpo_positive": gettext_noop("TPO antibodies"),
    "aps": gettext_noop("Antiphospholipid result"),
    "aps_first_test_date": gettext_noop("Date of the first positive test"),
    "aps_repeat_test_date": gettext_noop("Date of the repeat test"),
    "karyotype": gettext_noop("Karyotype"),
    "embryo_review_done": gettext_noop("Embryology reviewed"),
    "pgta_done": gettext_noop("PGT-A done"),
    "pgta_discussed": gettext_noop("PGT-A discussed"),
    "pgta_euploid": gettext_noop("Euploid embryos"),
    "pgta_aneuploid": gettext_noop("Aneuploid embryos"),
    "pgta_mosaic": gettext_noop("Mosaic embryos"),
    "pgta_no_result": gettext_noop("No result"),
    "uterine_imaging_done": gettext_noop("Ultrasound done"),
    "hysteroscopy_done": gettext_noop("Hysteroscopy done"),
    "hysteroscopy_date": gettext_noop("Date"),
    "hysteroscopy_polyp": gettext_noop("Endometrial polyp"),
    "hysteroscopy_submucosal_fibroid": gettext_noop("Submucosal fibroid"),
    "hysteroscopy_septum": gettext_noop("Uterine septum"),
    "hysteroscopy_adhesions": gettext_noop("Intrauterine adhesions"),
    "hysteroscopy_endometritis_signs": gettext_noop("Signs of endometritis"),
    "ce_biopsy_done": gettext_noop("Biopsy done"),
    "ce_biopsy_date": gettext_noop("Date"),
    "ce_cd138_positive": gettext_noop("CD138 (plasma cells)"),
    "ce_treated": gettext_noop("Antibiotics given"),
    "ce_rebiopsy_negative": gettext_noop("Re-biopsy after antibiotics"),
    "ce_second_line_treated": gettext_noop("Second-line antibiotics given"),
    "ce_second_line_rebiopsy_negative": gettext_noop("Re-biopsy after second line"),
    "hydrosalpinx": gettext_noop("Hydrosalpinx"),
    "adenomyosis": gettext_noop("Adenomyosis"),
    "amh_ng_ml": gettext_noop("AMH"),
    "amh_unit": gettext_noop("AMH unit"),
    "afc": gettext_noop("Antral follicle count (AFC)"),
    "previous_cycles_known": gettext_noop("Previous stimulation recorded"),
}

# How a yes/no/unknown finding reads, when "yes" means something else than "yes".
BOOLEAN_WORDS = {
    "tpo_positive": (gettext_noop("Positive"), gettext_noop("Negative")),
    "ce_cd138_positive": (gettext_noop("Positive"), gettext_noop("Negative")),
    "ce_rebiopsy_negative": (gettext_noop("Negative (cured)"), gettext_noop("Still positive")),
    "ce_second_line_rebiopsy_negative": (
        gettext_noop("Negative (cured)"),
        gettext_noop("Still positive"),
    ),
    "hysteroscopy_polyp": (gettext_noop("Found"), gettext_noop("Not found")),
    "hysteroscopy_submucosal_fibroid": (gettext_noop("Found"), gettext_noop("Not found")),
    "hysteroscopy_septum": (gettext_noop("Found"), gettext_noop("Not found")),
    "hysteroscopy_adhesions": (gettext_noop("Found"), gettext_noop("Not found")),
    "hysteroscopy_endometritis_signs": (gettext_noop("Seen"), gettext_noop("Not seen")),
    "hydrosalpinx": (gettext_noop("Present"), gettext_noop("Absent")),
    "adenomyosis": (gettext_noop("Present"), gettext_noop("Absent")),
}

UNITS = {"bmi": "kg/m²", "tsh": "mIU/L", "alcohol_units_week": gettext_noop("units a week")}


def step_of_field(column: str) -> str | None:
    for code, columns in STEP_FIELDS.items():
        if column in columns:
            return code
    return None
