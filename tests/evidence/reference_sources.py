"""Which source keys shared/clinical-reference.md assigns to each fact, as test data.

Read from the reference's tables (sections 1-5b) and its changes (section 8). A catalogue entry
may cite only keys listed here for its code: a key the reference does not give that fact is a
borrowed citation, and a numbered "[1]" would read as that source's endorsement. An empty set
means the reference gives no key ("U", "U (standard practice)", "U (well established)"): the
entry cites none and is shown as "standard practice; no source in the catalogue yet".

A new catalogue entry needs a row here first: the test fails on a code it does not know.
"""

IMMUNE_REVIEWS = {"melo-2022", "moffett-2015", "sfakianoudis-2021"}

ALLOWED = {
    # Section 2: investigations (lifestyle also carries NICE's facts, section 8).
    "investigations": {
        "lifestyle": {"eshre-rif-2023", "nice-cg156"},
        "thyroid": {"eshre-rpl-2022", "eta-2021"},
        "aps_screen": {"eshre-rpl-2017"},
        "karyotype": {"eshre-rif-2023"},
        "embryo_review": {"aksoy-2026", "eshre-rif-2023"},
        "pgta": {"hfea-addons", "pgdis-2019"},
        "uterine_imaging": {"eshre-rif-2023"},
        "hysteroscopy": {"eshre-addons-2023"},
        "ce_biopsy": {"eshre-rif-2023", "kitaya-2017"},
        "hydrosalpinx_check": set(),
        "adenomyosis_imaging": {"eshre-rpl-2022"},
        "ovarian_reserve": {"bosch-2020"},
        "response_review": {"aksoy-2026", "bosch-2020"},
    },
    # Section 3: findings and their next steps; section 8 for the new ones.
    "next_steps": {
        "polypectomy": set(),
        "fibroid_resection": set(),
        "adhesiolysis": set(),
        "septum_review": set(),
        "ce_antibiotics": {"kitaya-2017"},
        "ce_rebiopsy": {"vitagliano-2018"},
        "ce_second_line": {"kitaya-2017"},
        "hydrosalpinx_surgery": set(),
        "adenomyosis_plan": set(),
        "aps_treatment": {"eshre-rpl-2017"},
        # The interval is U; that a positive must persist on a repeat is eshre-rpl-2017, V.
        "aps_confirm": {"eshre-rpl-2017"},
        "thyroid_treatment": {"eta-2021"},
        "thyroid_suppressed": {"eta-2021"},
        "lifestyle_support": set(),
        "smoking_support": {"nice-cg156"},
        "weight_support": {"nice-cg156"},
        "alcohol_advice": {"nice-cg156"},
        "genetic_counselling": set(),
        "stimulation_plan": {"broekmans-2019"},
        "pgta_discuss": {"hfea-addons", "pgdis-2019"},
    },
    # Section 4: the ESHRE column's key only where its stance is given (not U), the HFEA's
    # where its rating is, the risks' and evidence's own keys, the reviews behind immune rows.
    "addons": {
        "intralipids": {"eshre-addons-2023", "hfea-addons", "aksoy-2026", *IMMUNE_REVIEWS},
        "ivig": {"eshre-addons-2023", "hfea-addons", "aksoy-2026", *IMMUNE_REVIEWS},
        "corticosteroids": {"hfea-addons", "eta-2021", *IMMUNE_REVIEWS},
        "anti_tnf": {"eshre-addons-2023", "hfea-addons", "aksoy-2026", *IMMUNE_REVIEWS},
        "tacrolimus": {"kainz-2000", "aksoy-2026", *IMMUNE_REVIEWS},
        "pbmc": {"eshre-addons-2023", "aksoy-2026", *IMMUNE_REVIEWS},
        "rlif": {"eshre-addons-2023", "wang-2021", "aksoy-2026", *IMMUNE_REVIEWS},
        "lit": set(IMMUNE_REVIEWS),  # "advised against in RPL" is U with no key
        "g_csf": {"busnelli-2021"},
        "heparin": {"busnelli-2021", "eshre-rpl-2017", "greer-2005"},
        "aspirin": {"eshre-addons-2023", "busnelli-2021", "eshre-rpl-2017", "nhs-aspirin"},
        "intrauterine_hcg": {"hou-2018"},
        "prp": {"eshre-addons-2023"},
        "endometrial_scratching": {"eshre-addons-2023", "hfea-addons"},
        "era": {"eshre-addons-2023", "hfea-addons", "doyle-2022"},
        "nk_testing": {"eshre-addons-2023", "hfea-addons", "moffett-2015"},
        "hla_kir_testing": {"eshre-addons-2023"},
        "thrombophilia_testing": {"eshre-addons-2023"},
        "sperm_dna_fragmentation": {"eshre-addons-2023"},
        "assisted_hatching": {"eshre-addons-2023", "hfea-addons"},
        "embryo_glue": {"eshre-addons-2023", "hfea-addons"},
        "time_lapse": {"hfea-addons"},  # ESHRE's stance is U
        "growth_hormone": {"eshre-addons-2023"},
        "dhea": {"eshre-addons-2023"},
    },
    # Section 1 and 8: the per-transfer chances carry their own U tag and no key.
    "implantation_chances": {
        code: set()
        for code in (
            "euploid_any_age",
            "untested_under_35",
            "untested_35_37",
            "untested_38_40",
            "untested_41_42",
            "untested_over_42",
        )
    },
    # Sections 1, 3, 5 and 8: the thresholds.
    "parameters": {
        "rif_threshold": {"eshre-rif-2023"},
        "lugano_min_transfers": {"lugano-2023"},
        "rpl_losses": {"eshre-rpl-2017", "eshre-rpl-2022"},
        "poseidon_age": {"poseidon-2016"},
        "poseidon_amh": {"poseidon-2016"},
        "poseidon_afc": {"poseidon-2016"},
        "poseidon_poor_oocytes": {"poseidon-2016"},
        "poseidon_suboptimal_oocytes": {"poseidon-2016"},
        "bologna_age": {"bologna-2011"},
        "bologna_poor_oocytes": {"bologna-2011"},
        "bologna_afc": {"bologna-2011"},
        "bologna_amh": {"bologna-2011"},
        "hyper_amh": {"hochberg-2025", "hera-2023"},
        "hyper_afc": {"hochberg-2025", "hera-2023"},
        "hyper_previous_oocytes": {"hochberg-2025", "hera-2023"},
        "hyper_response_oocytes": {"hera-2023"},
        "tsh_upper": {"eta-2021"},
        "tsh_tpo_lower": {"eta-2021"},
        "thyroid_age": {"eta-2021"},
        "tsh_lower": set(),  # 0.4 mIU/L: U, no key
        "tsh_levothyroxine_target": {"eta-2021"},
        "bmi_lower": {"nice-cg156"},
        "bmi_upper": {"nice-cg156"},
        "alcohol_units_week_max": {"nice-cg156"},
        "aps_repeat_weeks": set(),  # the 12 weeks: U, no key
        "aps_treatment_losses": {"eshre-rpl-2017"},
        "aps_research_losses": {"eshre-rpl-2017"},
        # Section 5b: the 150 IU a day the trials compared with, and the trial's reduced dose.
        "standard_dose_iu": {"oudshoorn-2017", "broekmans-2019"},
        "reduced_dose_iu": {"oudshoorn-2017"},
    },
    # Section 8 and the tables above: the clinical sentences the engine says.
    "statements": {
        "no_source": set(),
        "lugano_caution": {"lugano-2023", "busnelli-2020"},
        "euploid_cumulative": {"pirtea-2021"},
        "ce_persistent_after_second_line": set(),
        "aps_strength_recommended": {"eshre-rpl-2017"},
        "aps_strength_research": {"eshre-rpl-2017"},
        "aps_strength_none": set(),  # "no recommendation for RIF" is U
        "aps_strength_unknown": {"eshre-rpl-2017"},
        "addon_views_differ": {"eshre-addons-2023", "hfea-addons"},
        "hfea_green": {"hfea-addons"},
        "hfea_amber": {"hfea-addons"},
        "hfea_grey": {"hfea-addons"},
        "hfea_black": {"hfea-addons"},
        "hfea_red": {"hfea-addons"},
        "thyroid_hypothyroid": {"eta-2021"},
        "thyroid_tpo_levothyroxine": {"eta-2021"},
        "bologna_natural_not_counted": {"bologna-2011"},
        "bologna_mild_not_counted": set(),  # U
        # The checklist's reasons (section 1: what "could be considered" in RIF gates).
        # Section 1: the counselling trigger (U for the wording), the framing (V).
        "rif_verdict_rif": {"eshre-rif-2023"},
        "rif_verdict_not_yet": {"eshre-rif-2023"},
        "rif_no_failures": {"eshre-rif-2023"},
        "rif_not_recorded": {"eshre-rif-2023"},
        "rif_none_counted": {"eshre-rif-2023"},
        "poseidon_unconventional_not_counted": set(),  # U: section 8 names Bologna only
        "gate_rif_labelled": {"eshre-rif-2023"},
        "gate_too_early": {"eshre-rif-2023"},
        "gate_rpl": {"eshre-rpl-2017"},  # aps_screen: "RPL: screen"
        "gate_endometritis_signs": set(),  # not in the reference: U, no key
        "checklist_everyone": set(),  # the app's checklist, not a source's claim
        "pgta_untested_failures": {"hfea-addons", "pgdis-2019"},  # pgta, pgta_discuss
        "aps_repeat_due": {"eshre-rpl-2017"},  # persistence V; the 12 weeks U, no key
        # Section 5b: the stimulation considerations and the evidence of the plan checks.
        "dose_individualisation": {"broekmans-2019"},
        "reduced_dose_high_responder": {"oudshoorn-2017", "broekmans-2019"},
        "freeze_all_ohss_risk": {"hfea-addons"},
        "antagonist_agonist_trigger_high_responder": {"bosch-2020"},  # U
        "high_dose_poor_responder": {"broekmans-2019", "leijdekkers-2020"},  # S: pending
        "adjuvants_not_recommended": {"eshre-addons-2023"},
        "stimulation_guideline_bands": {"bosch-2020"},  # U
        "ohss_grade_not_recorded": set(),  # our rule: U, no key
        # Section 1, contract 2: the age at retrieval, chances by kind and stage, independence
        # of embryos in one transfer are U with no key; a failed transfer is one with no
        # positive test (eshre-rif-2023, V); losses after a positive test (eshre-rpl-2022, U).
        "transfers_current_age": set(),
        "transfer_no_chance": set(),
        "transfer_stage_unknown": set(),
        "transfers_not_counted": set(),
        "transfers_positive_tests": {"eshre-rif-2023"},
        "transfer_losses": {"eshre-rpl-2022"},
        "transfer_several_embryos": set(),
        # The patient sheet's own statements (issue 16): the framing of RIF, the Lugano caution
        # against early labels, and the add-on stances; chances and questions cite nothing.
        "sheet_label_rif": {"eshre-rif-2023"},
        "sheet_label_not_yet": {"eshre-rif-2023", "lugano-2023"},
        "sheet_chance_untested": set(),  # the per-transfer chances are U, with no key
        "sheet_chance_euploid": set(),
        "verdict_possible_harm": {"eshre-addons-2023", "hfea-addons"},
        "verdict_possible_harm_test": {"eshre-addons-2023", "hfea-addons"},
        "verdict_no_benefit_shown": {"eshre-addons-2023"},
        "verdict_no_benefit_shown_test": {"eshre-addons-2023"},
        "sheet_questions": set(),
        "read_more_hfea": {"hfea-addons"},
        "read_more_eshre": {"eshre-addons-2023"},
    },
}

# Section 8's list of facts that cite no key, by the catalogue kind that holds them.
NO_KEY = {
    "next_steps": {
        "polypectomy",
        "fibroid_resection",
        "adhesiolysis",
        "septum_review",
        "adenomyosis_plan",
        "hydrosalpinx_surgery",
        "genetic_counselling",
        "lifestyle_support",
    },
    "investigations": {"hydrosalpinx_check"},
    "implantation_chances": set(ALLOWED["implantation_chances"]),
}
