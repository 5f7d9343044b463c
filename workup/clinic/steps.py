"""Which findings each checklist step records: the one map forms, history and summaries share.

Keys are investigation codes of the catalogue, plus ``history`` for the transfer history that
drives the RIF label (not a checklist step, but recorded the same way).
"""

from __future__ import annotations

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

# Labels a clinician reads (the model's verbose names are short, for history lines).
LABELS = {
    "failed_transfers": "Failed transfers (no positive test)",
    "euploid_failed_transfers": "Of which euploid",
    "miscarriages": "Miscarriages",
    "bmi": "BMI",
    "smoker": "Smokes",
    "alcohol_units_week": "Alcohol",
    "tsh": "TSH",
    "tpo_positive": "TPO antibodies",
    "aps": "Antiphospholipid result",
    "aps_first_test_date": "Date of the first positive test",
    "aps_repeat_test_date": "Date of the repeat test",
    "karyotype": "Karyotype",
    "embryo_review_done": "Embryology reviewed",
    "pgta_done": "PGT-A done",
    "pgta_discussed": "PGT-A discussed",
    "pgta_euploid": "Euploid embryos",
    "pgta_aneuploid": "Aneuploid embryos",
    "pgta_mosaic": "Mosaic embryos",
    "pgta_no_result": "No result",
    "uterine_imaging_done": "Ultrasound done",
    "hysteroscopy_done": "Hysteroscopy done",
    "hysteroscopy_date": "Date",
    "hysteroscopy_polyp": "Endometrial polyp",
    "hysteroscopy_submucosal_fibroid": "Submucosal fibroid",
    "hysteroscopy_septum": "Uterine septum",
    "hysteroscopy_adhesions": "Intrauterine adhesions",
    "hysteroscopy_endometritis_signs": "Signs of endometritis",
    "ce_biopsy_done": "Biopsy done",
    "ce_biopsy_date": "Date",
    "ce_cd138_positive": "CD138 (plasma cells)",
    "ce_treated": "Antibiotics given",
    "ce_rebiopsy_negative": "Re-biopsy after antibiotics",
    "ce_second_line_treated": "Second-line antibiotics given",
    "ce_second_line_rebiopsy_negative": "Re-biopsy after second line",
    "hydrosalpinx": "Hydrosalpinx",
    "adenomyosis": "Adenomyosis",
    "amh_ng_ml": "AMH",
    "amh_unit": "AMH unit",
    "afc": "Antral follicle count (AFC)",
    "previous_cycles_known": "Previous stimulation recorded",
}

# How a yes/no/unknown finding reads, when "yes" means something else than "yes".
BOOLEAN_WORDS = {
    "tpo_positive": ("Positive", "Negative"),
    "ce_cd138_positive": ("Positive", "Negative"),
    "ce_rebiopsy_negative": ("Negative (cured)", "Still positive"),
    "ce_second_line_rebiopsy_negative": ("Negative (cured)", "Still positive"),
    "hysteroscopy_polyp": ("Found", "Not found"),
    "hysteroscopy_submucosal_fibroid": ("Found", "Not found"),
    "hysteroscopy_septum": ("Found", "Not found"),
    "hysteroscopy_adhesions": ("Found", "Not found"),
    "hysteroscopy_endometritis_signs": ("Seen", "Not seen"),
    "hydrosalpinx": ("Present", "Absent"),
    "adenomyosis": ("Present", "Absent"),
}

UNITS = {"bmi": "kg/m²", "tsh": "mIU/L", "alcohol_units_week": "units a week"}


def step_of_field(column: str) -> str | None:
    for code, columns in STEP_FIELDS.items():
        if column in columns:
            return code
    return None
