"""Words for every scenario parameter: meaning, source and unit, one place for code and docs.

``docs/gen_parameter_table.py`` writes the parameter table of ``docs/model.md`` from these and the
schema, and the lever registry (``sim/scenario/levers.py``) shows the same words as help text, so
the two cannot drift. A schema field without an entry here fails ``gen_parameter_table --check``.
"""

from __future__ import annotations

CALIBRATED = "calibrated (docs/calibration.md)"
UNUSED_KIND = "not read for this `kind` (schema default)"

# --- sources: facts.md references, cited as [label][key] in PARAMS -------------------------------

REFS: dict[str, tuple[str, str]] = {
    "wa-review": (
        "Washington DCYF policy 46100, monthly supervisor case reviews",
        "https://www.dcyf.wa.gov/4600-case-review/46100-monthly-supervisor-case-reviews",
    ),
    "mo-consult": (
        "Missouri child welfare manual, supervisor consultation, 2021",
        "https://dssmanuals.mo.gov/child-welfare-manual/section-4-chapter-10-case-management-activities-subsection-4-supervisor-consultation/",
    ),
    "dfe25": (
        "DfE children's social work workforce, 2025",
        "https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/6d765688-fb18-4f13-8e8e-be816bc63b17",
    ),
    "dfe23": (
        "DfE children's social work workforce, 2023",
        "https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/bd4d8c04-716a-4447-af3d-677aa3223917",
    ),
    "dfe-assess": (
        "DfE children in need, assessment durations, 2024-25",
        "https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/3fb5a93d-1eb3-4f3a-bdd0-5caea4556ce6",
    ),
    "dfe-s47": (
        "DfE s47 enquiries and ICPCs, 2024-25",
        "https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/b0749fa2-c0e2-4a15-8c0f-23941b3b6161",
    ),
    "dfe-cp": (
        "DfE CP plans ending by duration, 2024-25",
        "https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/04a78d29-2196-4bea-bf95-7a2eced5d0d5",
    ),
    "dfe-cla": (
        "DfE children looked after, 2024",
        "https://explore-education-statistics.service.gov.uk/find-statistics/children-looked-after-in-england-including-adoptions/2024",
    ),
    "dfe-cin": (
        "DfE children in need, 2024",
        "https://explore-education-statistics.service.gov.uk/find-statistics/children-in-need",
    ),
    "sacpa23": (
        "SACPA, referrals 2022-23 (2023)",
        "https://www.sacpa.org.uk/2023/11/01/child-protection-enquiry-total-hits-new-annual-high-but-proportion-finding-abuse-continues-to-shrink/",
    ),
    "dfe-rerefer": (
        "DfE children in need: a focus on re-referrals, 2024",
        "https://explore-education-statistics.service.gov.uk/find-statistics/children-in-need-a-focus-on-re-referrals",
    ),
    "liquid12": (
        "Liquid Personnel survey, Guardian, 2012",
        "https://www.theguardian.com/social-care-network/2012/sep/25/social-workers-longer-hours-survey",
    ),
    "suffolk": (
        "Suffolk ASYE support (undated page)",
        "https://careers.suffolk.gov.uk/home/careers/career-pathways/social-work/social-work-in-cyp/newly-qualified-social-worker-nqsw-support-in-suffolk",
    ),
    "cc-sup11": (
        "Community Care, supervision, 2011",
        "https://www.communitycare.co.uk/2011/01/24/what-needs-to-change-in-the-supervision-of-social-workers/",
    ),
    "basw18": (
        "BASW England 80-20 survey, 2018",
        "https://www.basw.co.uk/media/news/2018/may/basw-england-80-20-campaigns-latest-news-and-resources",
    ),
    "ccn22": (
        "CCN/ACCE/Newton time use, 2022",
        "https://unisonsthelens.org.uk/social-workers-newsletter-march-2022/",
    ),
    "cc-admin12": (
        "Community Care, admin typing-up, 2012",
        "https://www.communitycare.co.uk/2012/05/28/what-difference-has-munro-made-to-frontline-social-work/",
    ),
    "liverpool": (
        "Liverpool CP visiting and recording standard (undated page)",
        "https://liverpoolcs.trixonline.co.uk/chapter/visits-to-children-supported-through-a-child-protection-plan",
    ),
    "camden": (
        "Camden CP visits (undated page)",
        "https://ascpractice.camden.gov.uk/children-practice-hub/child-protection/visits-and-engagement-with-families",
    ),
    "cbeds24": (
        "Central Bedfordshire CP visits, 2024",
        "https://centralbedfordshirechildcare.proceduresonline.com/p_monitor_visits.html",
    ),
    "sefton18": (
        "Sefton LSCB referral procedures, 2018",
        "https://seftonlscb.safeguardingpolicies.org.uk/may-2017/sec-3-managing-individual-cases-referral-enquiries/38",
    ),
    "sefton-cin": (
        "Sefton CIN plans and reviews (undated page)",
        "https://seftoncs.proceduresonline.antser.com/chapter/child-in-need-plans-and-reviews",
    ),
    "reg28": (
        "Care Planning Regulations 2010, reg. 28",
        "https://www.legislation.gov.uk/uksi/2010/959/regulation/28/made",
    ),
    "careact": (
        "Care Act 2014 guidance, review (undated page)",
        "https://careact.trixonline.co.uk/chapter/carrying-out-the-review",
    ),
    "cc-cap16": (
        "Community Care, national caseload cap, 2016",
        "https://www.communitycare.co.uk/2016/09/20/time-national-cap-child-protection-caseloads/",
    ),
    "manchester17": (
        "Manchester caseload target 18, 2017",
        "https://katherinepurvis.com/portfolio/we-want-social-workers-to-do-real-social-work-the-councils-cutting-caseloads/",
    ),
    "cc-ot23": (
        "Community Care overtime poll, 2023",
        "https://www.communitycare.co.uk/2023/09/08/dfe-sets-up-group-to-tackle-social-worker-workloads/",
    ),
    "ravalier17": (
        "Ravalier/BASW/SWU unpaid overtime, 2017",
        "http://locumtoday.co.uk/article.php?s=2017-07-17-social-workers-carry-out-gbp-600m-worth-of-unpaid-overtime&catTitle=social%20workhome%20page%20featured",
    ),
    "dfe-stress21": (
        "DfE longitudinal study, stress, 2021",
        "https://www.communitycare.co.uk/2021/07/26/growing-majority-childrens-social-workers-feeling-stressed-overworked-finds-dfe-study/",
    ),
    "agency-stress": (
        "DfE longitudinal study, agency vs employed stress (year not given)",
        "https://www.willispalmer.com/ofsted-study-tracking-careers-local-authority-child-family-social-workers/",
    ),
    "stability": (
        "Children's Commissioner, Stability Index 2018 and 2019: about 1 in 4 children in care "
        "at 31 March 2017 had 2+ social worker changes in 12 months (78 councils)",
        "https://childrenscommissioner.github.io/stabilityindex2019/",
    ),
    "hussein": (
        "Hussein, King's College, burnout of children's and adults' social workers (MBI, "
        "n = 3,786): burnout moderated by engagement, admin support and experience",
        "https://www.kcl.ac.uk/scwru/res/roles/burnout",
    ),
    "cc-attrition": (
        "Community Care, attrition 2020-21: of LA leavers, 2.6% of staff became agency workers "
        "and 4.2% moved council, most within 7 days (2022)",
        "https://www.communitycare.co.uk/2022/05/27/twenty-per-cent-rise-in-childrens-social-"
        "workers-quitting-sector-last-year-suggest-government-figures/",
    ),
    "nhs20": (
        "NHS Digital council adult-care sickness, 2020",
        "https://healthcareandprotection.com/33645-2",
    ),
    "bps23": (
        "BPS/BASW sickness causes, 2023",
        "https://bps.org.uk/news/one-third-social-care-workforce-sickness-absence-due-mental-health-and-stress-troubling-new",
    ),
    "cc-leavers23": (
        "Community Care, leavers' length of service, 2023",
        "https://www.communitycare.co.uk/2023/02/24/40-rise-in-number-of-social-workers-quitting-childrens-posts-over-past-five-years/",
    ),
    "agency-rules24": (
        "DfE agency rules, 2024",
        "https://support-for-social-workers.education.gov.uk/agency-resources/statutory-guidance-components",
    ),
}

# --- units, by field name (a full dotted key overrides) -----------------------------------------

UNITS: dict[str, str] = {
    "name": "text",
    "description": "text",
    "teaching_notes": "text",
    "teaching_steps": "list of text",
    "days": "working days",
    "warmup_days": "working days",
    "replications": "count",
    "seed": "integer",
    "initial_cases_per_fte": "cases/FTE",
    "collect_worker_days": "bool",
    "max_posts": "posts",
    "max_cases": "cases",
    "max_worker_day_rows": "rows",
    "max_table_rows": "rows",
    "max_runs": "runs",
    "n_teams": "count",
    "social_worker_posts": "posts/team",
    "manager_fte": "FTE/team",
    "part_time_share": "probability",
    "part_time_fte": "FTE",
    "newly_qualified_share": "probability",
    "initial_vacancy_share": "share of posts",
    "initial_agency_cover_share": "probability",
    "recording_first_share": "probability",
    "workers": "list",
    "fte": "FTE",
    "experience_years": "years",
    "is_agency": "bool",
    "initial_cases": "cases",
    "initial_case_type": "choice",
    "held_caseload": "cases",
    "initial_backlog_hours": "hours",
    "initial_stress": "stress (0-1)",
    "priority_style": "choice",
    "returning_from_sickness": "bool",
    "never_leaves": "bool",
    "complexity_weight": "weight",
    "first_visit_days": "working days",
    "visit_interval_days": "working days",
    "casework_hours_per_week": "hours/case/week",
    "kind": "choice",
    "mean_days": "working days",
    "median_days": "working days",
    "shape": "-",
    "sigma": "log-scale SD",
    "min_days": "working days",
    "max_days": "working days",
    "next_type": "type -> probability",
    "initial_risk_mean": "risk (0-1)",
    "swa_eligible": "bool",
    "referrals_per_day": "referrals/team/day",
    "mix": "type -> share",
    "seasonality_amplitude": "fraction",
    "seasonality_peak_day": "day of year",
    "shocks": "list",
    "start_day": "model day",
    "end_day": "model day",
    "multiplier": "factor",
    "enabled": "bool",
    "reversion_per_day": "per day",
    "volatility_per_day": "logit/sqrt(day)",
    "unmonitored_drift_per_day": "logit/day",
    "high_risk_threshold": "risk (0-1)",
    "incident_rate_per_case_year": "per case-year",
    "incident_risk_log_ratio": "log-hazard per unit risk",
    "incident_overdue_log_ratio": "log-hazard per interval",
    "incident_record_log_ratio": "log-hazard",
    "incident_stress": "stress per incident",
    "notifiable_share": "probability",
    "notifiable_risk_log_ratio": "log per unit risk",
    "cap_kind": "choice",
    "cap_per_fte": "cases (or weight)/FTE",
    "at_cap": "choice",
    "nqsw_caseload_factor": "factor",
    "max_allocations_per_day": "cases/team/day",
    "long_term_sick_after_days": "working days",
    "on_long_term_sickness": "choice",
    "order": "choice",
    "mode": "choice",
    "review_interval_days": "working days",
    "high_risk_review_interval_days": "working days",
    "review_hours_per_case": "hours/case",
    "unset_timescale_slip_days": "working days",
    "unreviewed_drift_per_day": "logit/day",
    "base_threshold": "observed risk",
    "waiting_slope": "observed risk per waiting/FTE",
    "caseload_slope": "observed risk per case/FTE",
    "reference_caseload_per_fte": "cases/FTE",
    "max_threshold": "observed risk",
    "unresolved_risk": "risk (0-1)",
    "pressure_caseload_per_fte": "cases/FTE",
    "probability": "probability",
    "mean_delay_days": "working days",
    "ageing_weight_per_day": "observed risk/working day",
    "contracted_hours_per_week": "hours/week",
    "duty_hours_per_week": "hours/FTE/week",
    "meetings_hours_per_week": "hours/FTE/week",
    "training_hours_per_week": "hours/FTE/week",
    "nqsw_protected_share": "share of contracted hours",
    "travel_hours_per_visit": "hours/visit",
    "contact_hours_per_visit": "hours/visit at weight 1",
    "recording_hours_per_visit": "hours/visit at weight 1",
    "recording_efficiency": "factor",
    "record_out_of_date_after_days": "working days",
    "closure_paperwork_hours": "hours/case at weight 1",
    "direct_share_of_casework": "share",
    "minimum_progress_share": "days of progress/day",
    "max_unpaid_overtime_hours_per_week": "hours/FTE/week",
    "overtime_share_of_shortfall": "share",
    "starter_ramp_days": "working days",
    "starter_initial_productivity": "factor",
    "interval_days": "working days",
    "nqsw_interval_days": "working days",
    "session_hours": "hours",
    "recording_hours": "hours",
    "manager_hours_per_week": "hours/week",
    "manager_fixed_hours_per_week": "hours/week",
    "oversight_hours_per_case_per_week": "hours/case/week",
    "span_optimum_cases": "cases/manager FTE",
    "audit_hours_per_case": "hours/case",
    "stress_relief": "share of stress/session",
    "admin_staff": "FTE/team",
    "admin_hours_per_week": "hours/FTE/week",
    "admin_recording_share": "share",
    "admin_closure_share": "share",
    "swa_staff": "FTE/team",
    "swa_hours_per_week": "hours/FTE/week",
    "swa_max_observed_risk": "risk (0-1)",
    "swa_casework_share": "share",
    "baseline_gain_per_day": "per day",
    "overload_gain_per_day": "per day",
    "backlog_gain_per_day": "per day",
    "backlog_reference_hours": "hours",
    "overtime_gain_per_day": "per day",
    "duty_gain_per_day": "per day",
    "recovery_per_day": "per day",
    "burnout_threshold": "stress (0-1)",
    "burnout_onset_days": "working days",
    "burnout_recovery_threshold": "stress (0-1)",
    "burnout_productivity": "factor",
    "agency_stress_factor": "factor",
    "susceptibility_sigma": "log-SD",
    "transfer_after_assessment": "probability",
    "transfer_into_care": "probability",
    "transfer_other": "probability",
    "handover_share": "share of team mean load",
    "asye_support": "share of stress input",
    "early_career_demand": "share of stress input",
    "hire_carry_share": "share of mean stress",
    "short_spells_per_year": "spells/worker-year",
    "short_spell": "duration",
    "long_spells_per_year": "spells/worker-year",
    "long_spell": "duration",
    "frailty_shape": "-",
    "stress_log_ratio": "log-hazard per unit stress",
    "return_policy": "choice",
    "return_period_days": "working days",
    "phased_return_capacity": "factor",
    "attrition_enabled": "bool",
    "leave_rate_per_year": "per year",
    "agency_leave_rate_per_year": "per year",
    "burnout_leave_ratio": "hazard ratio",
    "stress_leave_log_ratio": "log-hazard per unit stress",
    "early_career_leave_ratio": "hazard ratio",
    "retention_pay_leave_ratio": "hazard ratio",
    "agency_backfill": "bool",
    "agency_cover_probability": "probability",
    "agency_experience_years": "years",
    "new_starter_nqsw_share": "probability",
    "cuts": "list",
    "day": "model day",
    "posts": "posts",
    "share": "share of active posts",
    "vacancy_freeze_start_day": "model day",
    "vacancy_freeze_end_day": "model day",
    "social_worker_per_year": "GBP/FTE-year",
    "manager_per_year": "GBP/manager FTE-year",
    "swa_per_year": "GBP/FTE-year",
    "admin_per_year": "GBP/FTE-year",
    "agency_premium": "fraction of pay",
    "retention_pay_per_worker_year": "GBP/FTE-year",
}

# --- meanings and sources, by dotted key ---------------------------------------------------------

#: What each field of a :class:`sim.scenario.schema.Duration` means (the same wherever it appears).
DURATION_MEANING: dict[str, str] = {
    "kind": "Family: exponential, gamma, lognormal or fixed.",
    "mean_days": "Mean (exponential, gamma) or the value (fixed).",
    "median_days": "Median (lognormal).",
    "shape": "Gamma shape k (scale = mean_days / k).",
    "sigma": "SD of log duration (lognormal).",
    "min_days": "Draws below this are set to it.",
    "max_days": "Draws above this are set to it.",
}

#: Fields each duration kind reads, besides ``kind``, ``min_days`` and ``max_days``.
KIND_FIELDS: dict[str, set[str]] = {
    "exponential": {"mean_days"},
    "gamma": {"mean_days", "shape"},
    "lognormal": {"median_days", "sigma"},
    "fixed": {"mean_days"},
}


def _duration(prefix: str, what: str, sources: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Entries for the fields of the duration at ``prefix``.

    Fields missing from ``sources`` get :data:`UNUSED_KIND`; the generator refuses that source
    for a field the default ``kind`` does read, so a changed kind must be documented.
    """
    entries = {}
    for field, meaning in DURATION_MEANING.items():
        text = f"{what}. {meaning}" if field == "kind" else meaning
        entries[f"{prefix}.{field}"] = (text, sources.get(field, UNUSED_KIND))
    return entries


def _case_type(name: str, sources: dict[str, str], duration: dict[str, str]) -> dict:
    """Entries for one case type; ``sources`` by field name, ``duration`` for its duration."""
    meanings = {
        "complexity_weight": "Weight w: scales contact, recording, case-work and closure hours, "
        "and the case's load under a weighted cap.",
        "first_visit_days": "Days from the start of the case (arrival or change of type) to its "
        "first statutory visit.",
        "visit_interval_days": "Days between statutory visits; a visit sets the next due day to "
        "visit day + interval.",
        "casework_hours_per_week": "Nominal hours of other case work per case per week, times w.",
        "next_type": "When the work is done, the case continues as each listed type with this "
        "probability (drawn in listed order); otherwise it becomes ready to close.",
        "initial_risk_mean": "Mean latent risk of a new case (Beta, concentration 8) and the "
        "level its risk reverts to.",
        "swa_eligible": "Social work assistants may visit this type when its observed risk is low.",
    }
    entries = {f"case_types.{name}.{k}": (m, sources[k]) for k, m in meanings.items()}
    what = "Work needed before the case can close (days of full progress)"
    entries.update(_duration(f"case_types.{name}.duration", what, duration))
    return entries


ASSUMED = "assumption"

PARAMS: dict[str, tuple[str, str]] = {
    # top level
    "name": ("Scenario name; default output directory is results/<name>.", "label"),
    "description": (
        "Short description, shown in the header of `caseload run` and kept in scenario.toml.",
        "label",
    ),
    "teaching_notes": ("Notes for lecturers; not read by the model.", "label"),
    "teaching_steps": (
        "A short guided sequence for a class, shown by the dashboard; not read by the model.",
        "label",
    ),
    # simulation
    "simulation.days": ("Working days simulated per replication, warm-up included.", ASSUMED),
    "simulation.warmup_days": (
        "First days excluded from every summary metric.",
        ASSUMED,
    ),
    "simulation.replications": ("Replications run (CLI --reps overrides).", ASSUMED),
    "simulation.seed": (
        "Master seed; replication r uses child r of SeedSequence(seed).",
        "arbitrary fixed value",
    ),
    "simulation.initial_cases_per_fte": (
        "Day-0 open cases per FTE of the unnamed staff in post.",
        "derived from the DfE average caseload, 15.2-16.6 in 2020-2025 [DfE 2025][dfe25]",
    ),
    "simulation.collect_worker_days": (
        "Record every worker each day (worker_days.parquet); false saves memory at scale.",
        "output option",
    ),
    # limits
    "limits.max_posts": (
        "Most social-worker posts (n_teams × social_worker_posts) a run may have.",
        "memory guard; admits England's 33,000 posts (docs/scenarios.md, size limits)",
    ),
    "limits.max_cases": (
        "Most cases in a replication: day 0's caseload plus the referrals expected.",
        "memory guard; England has about 1.4 million (docs/scenarios.md, size limits)",
    ),
    "limits.max_worker_day_rows": (
        "Most worker-day rows (posts × days) a replication may collect.",
        "memory guard: about 0.8 kB a row while collected (docs/scenarios.md, size limits)",
    ),
    "limits.max_table_rows": (
        "Most case and worker-day rows kept over all replications of a run.",
        "memory guard (docs/scenarios.md, size limits)",
    ),
    "limits.max_runs": (
        "Most runs (scenarios × replications) a comparison may make.",
        "time and memory guard (docs/scenarios.md, size limits)",
    ),
    # team
    "team.n_teams": ("Identical teams, each with one manager.", "assumption (MODEL.md baseline)"),
    "team.social_worker_posts": ("Funded social-worker posts per team.", CALIBRATED),
    "team.manager_fte": (
        "M: management FTE per team; scales manager hours, span optimum and manager cost.",
        "assumption (1 = one team manager)",
    ),
    "team.part_time_share": (
        "Probability that a generated worker is part-time.",
        "derived: DfE 2025 headcount/FTE = 38,292/36,186 = 1.06 [DfE 2025][dfe25]; "
        "20% at 0.8 FTE gives 1.04",
    ),
    "team.part_time_fte": ("FTE of a part-time worker.", "assumption (MODEL.md's 0.8 FTE case)"),
    "team.newly_qualified_share": (
        "Probability that a day-0 permanent worker is newly qualified (experience U(0, 1) year).",
        ASSUMED,
    ),
    "team.initial_vacancy_share": (
        "Share of each team's posts vacant on day 0 (rounded to whole posts).",
        f"{CALIBRATED}; DfE vacancy rate about 17% [DfE 2023][dfe23]",
    ),
    "team.initial_agency_cover_share": (
        "Probability that a day-0 vacancy is covered by agency from day 0.",
        f"{CALIBRATED}; 74.4% of vacancies agency-covered [DfE 2023][dfe23]",
    ),
    "team.recording_first_share": (
        "Probability that a generated worker records before visiting (recording_first).",
        ASSUMED,
    ),
    "team.workers": (
        "Named workers (teaching); they fill the first posts of the first team.",
        "scenario input",
    ),
    "team.workers[].name": ("Name shown in outputs; key of held_caseload.", "scenario input"),
    "team.workers[].fte": ("FTE.", ASSUMED),
    "team.workers[].experience_years": (
        "Experience when hired; under 1 year means newly qualified.",
        ASSUMED,
    ),
    "team.workers[].is_agency": (
        "Agency worker covering the post while a permanent recruit is sought.",
        ASSUMED,
    ),
    "team.workers[].initial_cases": (
        "Open cases on day 0 (instead of initial_cases_per_fte).",
        "scenario input",
    ),
    "team.workers[].initial_case_type": (
        "If set, every day-0 case of this worker is of this type (else the steady-state mix).",
        "scenario input",
    ),
    "team.workers[].held_caseload": (
        "The manager allocates to this worker first while its load is below this.",
        "scenario input",
    ),
    "team.workers[].initial_backlog_hours": (
        "Unrecorded hours spread over the day-0 cases (oldest contact 3-29 days ago).",
        "scenario input",
    ),
    "team.workers[].initial_stress": ("Stress on day 0.", "scenario input"),
    "team.workers[].priority_style": ("contact_first or recording_first.", ASSUMED),
    "team.workers[].returning_from_sickness": (
        "Starts in the return period after a 40-day long spell ending on day 0.",
        "scenario input",
    ),
    "team.workers[].never_leaves": (
        "Leaving hazard 0 (a post cut still removes the worker).",
        "scenario input",
    ),
    # case types
    **_case_type(
        "assessment",
        {
            "complexity_weight": "assumption (reference weight 1)",
            "first_visit_days": "family seen within 4 working days of allocation "
            "[Sefton 2018][sefton18]",
            "visit_interval_days": ASSUMED,
            "casework_hours_per_week": CALIBRATED,
            "next_type": "derived: ICPCs/assessments = 72,100/648,830 = 0.11 [DfE s47][dfe-s47], "
            "[DfE assessments][dfe-assess]; entries to care 33,050/year [DfE CLA 2024][dfe-cla] "
            "= 0.05; child_in_need share an assumption",
            "initial_risk_mean": ASSUMED,
            "swa_eligible": "assumption (MODEL.md: assistants never take high-risk cases)",
        },
        {
            "kind": "derived: DfE 2024-25 durations bunch below the 45-day ceiling; gamma with "
            "shape about 4 is the facts.md stand-in [DfE assessments][dfe-assess]",
            "mean_days": "derived from the 33-day median [DfE assessments][dfe-assess]; "
            "exact value an assumption",
            "shape": "derived (facts.md: shape about 4) [DfE assessments][dfe-assess]",
            "min_days": ASSUMED,
            "max_days": ASSUMED,
        },
    ),
    **_case_type(
        "child_in_need",
        {
            "complexity_weight": "assumption (reference weight 1)",
            "first_visit_days": "CIN meeting within 10 days of assessment [Sefton CIN][sefton-cin]",
            "visit_interval_days": "assumption (facts.md: 20-30 working days; reviews 4-weekly "
            "[Sefton CIN][sefton-cin])",
            "casework_hours_per_week": CALIBRATED,
            "next_type": ASSUMED,
            "initial_risk_mean": ASSUMED,
            "swa_eligible": ASSUMED,
        },
        {
            "kind": "assumption (facts.md: lognormal); almost half of CIN episodes end within "
            "3 months [DfE CIN 2024][dfe-cin]",
            "median_days": CALIBRATED,
            "sigma": "assumption (facts.md: 0.8)",
            "min_days": ASSUMED,
            "max_days": ASSUMED,
        },
    ),
    **_case_type(
        "child_protection",
        {
            "complexity_weight": ASSUMED,
            "first_visit_days": "core group within 10 working days of the ICPC "
            "[Liverpool][liverpool]",
            "visit_interval_days": "every 10 working days [Camden][camden], "
            "[Central Bedfordshire 2024][cbeds24], [Liverpool][liverpool]",
            "casework_hours_per_week": CALIBRATED,
            "next_type": ASSUMED,
            "initial_risk_mean": ASSUMED,
            "swa_eligible": "assumption (MODEL.md: assistants never take high-risk cases)",
        },
        {
            "kind": "derived from CP plan durations 2024-25 [DfE CP plans][dfe-cp] "
            "(facts.md parametric alternative)",
            "median_days": "derived: median about 10 months [DfE CP plans][dfe-cp]",
            "sigma": "derived: about 0.5 [DfE CP plans][dfe-cp]",
            "min_days": ASSUMED,
            "max_days": ASSUMED,
        },
    ),
    **_case_type(
        "looked_after",
        {
            "complexity_weight": ASSUMED,
            "first_visit_days": "within one week of placement [Reg. 28, 2010][reg28]",
            "visit_interval_days": "at most 6 weeks in the first year [Reg. 28, 2010][reg28]",
            "casework_hours_per_week": CALIBRATED,
            "next_type": "assumption (none: a looked-after case closes)",
            "initial_risk_mean": ASSUMED,
            "swa_eligible": ASSUMED,
        },
        {
            "kind": "assumption (facts.md: lognormal)",
            "median_days": "assumption (facts.md: about 1.5 years); with sigma 1 the mean is "
            "2.5 years, derived from stock/flow 83,630/33,600 [DfE CLA 2024][dfe-cla]",
            "sigma": "assumption (facts.md: about 1.0)",
            "min_days": ASSUMED,
            "max_days": ASSUMED,
        },
    ),
    **_case_type(
        "adult_review",
        {
            "complexity_weight": ASSUMED,
            "first_visit_days": "review within 6-8 weeks of a new plan [Care Act guidance]"
            "[careact]",
            "visit_interval_days": "review at least every 12 months [Care Act guidance][careact]",
            "casework_hours_per_week": ASSUMED,
            "next_type": "assumption (none)",
            "initial_risk_mean": ASSUMED,
            "swa_eligible": ASSUMED,
        },
        {
            "kind": "assumption (facts.md: open 12+ months)",
            "mean_days": "assumption (facts.md: open 12+ months)",
            "min_days": ASSUMED,
            "max_days": ASSUMED,
        },
    ),
    # demand
    "demand.referrals_per_day": (
        "Poisson rate r of fresh referrals (children not referred before) per team per working "
        "day; re-referrals come on top.",
        f"{CALIBRATED} with re-referrals on: fresh and returning referrals together come to "
        "about 30 per case-holding FTE a year, where facts.md derives 29-30 "
        "[SACPA 2023][sacpa23]",
    ),
    "demand.mix": (
        "Case type of a new referral (shares add up to 1).",
        "assumption (every referral starts as an assessment)",
    ),
    "demand.seasonality_amplitude": ("a in the seasonal factor 1 + a cos(...).", ASSUMED),
    "demand.seasonality_peak_day": ("Day of the year (0-259) of peak referrals.", ASSUMED),
    "demand.shocks": ("Temporary multipliers on the referral rate.", "lever (none by default)"),
    "demand.shocks[].start_day": ("First model day of the shock (warm-up counts).", "lever"),
    "demand.shocks[].end_day": ("First model day after the shock.", "lever"),
    "demand.shocks[].multiplier": ("Factor on the rate; overlapping shocks multiply.", "lever"),
    # risk
    "risk.enabled": ("false: latent risk stays at its first draw and no incidents.", ASSUMED),
    "risk.reversion_per_day": ("theta: daily pull of the risk logit to its type mean.", ASSUMED),
    "risk.volatility_per_day": ("sigma: SD of the daily risk-logit shock.", ASSUMED),
    "risk.unmonitored_drift_per_day": (
        "delta: daily rise of the risk logit while a visit is overdue.",
        ASSUMED,
    ),
    "risk.high_risk_threshold": (
        "Latent risk above which a case counts as high risk in the metrics.",
        ASSUMED,
    ),
    "risk.incident_rate_per_case_year": (
        "rho: incident rate of a case at risk 0.2, visits and records up to date.",
        "assumption (no published incident rate in facts.md)",
    ),
    "risk.incident_risk_log_ratio": ("b_r: log-hazard per unit of latent risk above 0.2.", ASSUMED),
    "risk.incident_overdue_log_ratio": (
        "b_o: log-hazard per visit interval overdue (capped at 3 intervals).",
        ASSUMED,
    ),
    "risk.incident_record_log_ratio": ("b_w: log-hazard while the record is stale.", ASSUMED),
    "risk.incident_stress": ("Stress input to the case's worker per incident that day.", ASSUMED),
    "risk.notifiable_share": (
        "q0: chance a harm event at risk 0.2 is a notifiable serious incident.",
        "set so notifications run at about 1.1 per 1,000 live case-years: 456 notifications "
        "(2022-23) over about 403,700 children in need [DfE children in need][dfe-cin]; "
        "derivation in docs/model.md",
    ),
    "risk.notifiable_risk_log_ratio": (
        "b_q: log-odds-like rise of the notifiable share per unit of latent risk above 0.2.",
        ASSUMED,
    ),
    # allocation
    "allocation.cap_kind": (
        "none, count (open cases) or weighted (summed complexity weights).",
        "no national cap in England [Community Care 2016][cc-cap16]",
    ),
    "allocation.cap_per_fte": (
        "K: cap per unit of capacity (FTE x NQSW factor).",
        "Manchester target 18 [Manchester 2017][manchester17]",
    ),
    "allocation.at_cap": ("wait: the case waits; breach: least-loaded worker anyway.", ASSUMED),
    "allocation.nqsw_caseload_factor": (
        "Capacity factor of a newly qualified worker (protected caseload).",
        "assumption (ASYE workload about 90% [Suffolk ASYE][suffolk])",
    ),
    "allocation.max_allocations_per_day": ("Allocations a manager makes per day at most.", ASSUMED),
    "allocation.long_term_sick_after_days": (
        "Days into a spell at which the worker is reported long-term sick.",
        ASSUMED,
    ),
    "allocation.on_long_term_sickness": (
        "reallocate: cases return to the waiting list; uncovered: they stay with the worker.",
        ASSUMED,
    ),
    "allocation.order": (
        "Order waiting referrals are taken in: risk_first (observed risk, then oldest), "
        "first_come (oldest first) or risk_with_ageing (observed risk + w x days waiting).",
        "assumption (risk_first, the model's rule before this lever; the others are policy "
        "options no national figure describes)",
    ),
    "allocation.ageing_weight_per_day": (
        "w: priority gained per working day waiting under risk_with_ageing; 0.003 makes 100 days "
        "of waiting worth 0.3 of observed risk (the gap between an assessment's mean risk 0.2 "
        "and the high-risk threshold 0.5).",
        ASSUMED,
    ),
    # front door
    "front_door.enabled": ("Screen new referrals against a threshold on observed risk.", ASSUMED),
    "front_door.base_threshold": (
        "T_0: threshold with no waiting list and caseloads at the reference.",
        "7.0% of baseline referrals screened out, anchored on 7.1% no further action "
        "(2022-23) [SACPA 2023][sacpa23]",
    ),
    "front_door.waiting_slope": (
        "s_w: threshold rise per waiting referral per FTE in post.",
        ASSUMED,
    ),
    "front_door.caseload_slope": (
        "s_c: threshold rise per open case per FTE above the reference.",
        ASSUMED,
    ),
    "front_door.reference_caseload_per_fte": (
        "C_ref: caseload per FTE above which the threshold rises.",
        "Manchester target 18 [Manchester 2017][manchester17]",
    ),
    "front_door.max_threshold": ("T_max: the highest the threshold goes.", ASSUMED),
    # re-referrals
    "re_referral.enabled": (
        "Children of unresolved closures and screen-outs are referred again.",
        ASSUMED,
    ),
    "re_referral.unresolved_risk": (
        "u: latent risk above which a closure or screen-out leaves risk unresolved.",
        ASSUMED,
    ),
    "re_referral.pressure_caseload_per_fte": (
        "P: team open cases per FTE above which a closure counts as under pressure.",
        ASSUMED,
    ),
    "re_referral.probability": (
        "p: chance the child of an unresolved closure is referred again.",
        "set so about 22% of referrals are re-referrals within 12 months "
        "[DfE 2024][dfe-rerefer] (docs/model.md)",
    ),
    "re_referral.mean_delay_days": (
        "D: mean delay (exponential) from closure to the re-referral.",
        ASSUMED,
    ),
    # worker changes
    "worker_changes.enabled": (
        "Transfers when a case changes type, and handover of cases to a worker who joins.",
        ASSUMED,
    ),
    "worker_changes.transfer_after_assessment": (
        "p_assess: chance a case stepping from an assessment to a plan changes worker.",
        "assumption, with the others set to the Stability Index's 1 in 4 looked-after children "
        "with 2+ changes a year (docs/model.md) [Stability Index][stability]",
    ),
    "worker_changes.transfer_into_care": (
        "p_care: chance a case becoming looked after changes worker.",
        "assumption (children-in-care teams; docs/model.md) [Stability Index][stability]",
    ),
    "worker_changes.transfer_other": (
        "p_other: chance another change of type (child in need <-> protection) changes worker.",
        ASSUMED,
    ),
    "worker_changes.handover_share": (
        "h: a joiner takes colleagues' cases up to h x their mean load per capacity.",
        "assumption (a joiner takes over the vacant post's share; docs/model.md)",
    ),
    # work
    "work.contracted_hours_per_week": (
        "h: contracted hours of a full-time worker.",
        "37.2 h contracted [Liquid 2012][liquid12]; 37 h week [Suffolk ASYE][suffolk]",
    ),
    "work.duty_hours_per_week": (
        "Duty rota hours, times FTE.",
        "assumption (facts.md: duty and meetings 4-6 h/week)",
    ),
    "work.meetings_hours_per_week": (
        "Team meeting hours, times FTE.",
        "assumption (facts.md: duty and meetings 4-6 h/week)",
    ),
    "work.training_hours_per_week": (
        "Training/CPD hours, times FTE.",
        "assumption (facts.md: 1-2 h/week)",
    ),
    "work.nqsw_protected_share": (
        "Share of contracted hours a newly qualified worker keeps for development.",
        "10% protected time [Suffolk ASYE][suffolk]",
    ),
    "work.travel_hours_per_visit": (
        "Travel per visit (not weighted).",
        "derived: 11% travelling vs 15% face to face [Liquid 2012][liquid12]",
    ),
    "work.contact_hours_per_visit": (
        "Contact per visit, times w.",
        "assumption (facts.md: unverified 1 h)",
    ),
    "work.recording_hours_per_visit": (
        "Write-up per visit, times w and recording_efficiency.",
        "assumption, below 2.6 h desk time per contact hour [BASW 2018][basw18]",
    ),
    "work.recording_efficiency": (
        "Factor on recording time (1 = reference system; 1.4 = 40% slower).",
        "assumption (reference 1)",
    ),
    "work.record_out_of_date_after_days": (
        "A record is out of date when its oldest unrecorded visit is more than this old.",
        "record visits within 2 working days [Liverpool][liverpool]",
    ),
    "work.closure_paperwork_hours": (
        "Closure paperwork per case, times w.",
        "assumption (facts.md: 1-3 h)",
    ),
    "work.direct_share_of_casework": (
        "Share of case-work hours counted as direct contact.",
        f"{CALIBRATED}; direct time 15% [Liquid 2012][liquid12], under 20% [CCN 2022][ccn22]",
    ),
    "work.minimum_progress_share": (
        "m: days of progress a case makes per day at work even with no case-work time.",
        "assumption: most of a case's length is set by statutory processes; keeps the baseline "
        "stationary (docs/model.md, Work)",
    ),
    "work.max_unpaid_overtime_hours_per_week": (
        "OT_max: cap on unpaid overtime, times FTE.",
        "10 h average [Ravalier 2017][ravalier17]; 29% report 16+ h [Community Care 2023][cc-ot23]",
    ),
    "work.overtime_share_of_shortfall": (
        "s: share of the day's shortfall D - B worked unpaid.",
        ASSUMED,
    ),
    "work.starter_ramp_days": ("Days for a new starter's productivity to reach 1.", ASSUMED),
    "work.starter_initial_productivity": ("Productivity on a starter's first day.", ASSUMED),
    # supervision
    "supervision.enabled": ("false: no sessions, no session time, no relief.", ASSUMED),
    "supervision.interval_days": (
        "Days between sessions.",
        "at least monthly [Community Care 2011][cc-sup11]",
    ),
    "supervision.nqsw_interval_days": (
        "Days between sessions for a newly qualified worker.",
        "fortnightly to 6 months [Community Care 2011][cc-sup11]",
    ),
    "supervision.session_hours": (
        "Session length (worker and manager).",
        "at least 90 minutes [Community Care 2011][cc-sup11]",
    ),
    "supervision.recording_hours": ("Manager's write-up per session.", ASSUMED),
    "supervision.manager_hours_per_week": ("H_m: weekly hours per manager FTE.", ASSUMED),
    "supervision.manager_fixed_hours_per_week": (
        "F_m: fixed weekly commitments per manager FTE.",
        CALIBRATED,
    ),
    "supervision.oversight_hours_per_case_per_week": (
        "o: manager's oversight per live case per week.",
        CALIBRATED,
    ),
    "supervision.span_optimum_cases": (
        "N*: optimum live cases per manager FTE; beyond it each case costs N/(M N*) times more.",
        "assumption (MODEL.md teaching case: 120 against 65)",
    ),
    "supervision.audit_hours_per_case": (
        "Manager hours per audit of a failing case (visit overdue or record stale); 0 = none.",
        ASSUMED,
    ),
    "supervision.stress_relief": ("v: share of stress removed on a supervision day.", ASSUMED),
    # manager (the manager under load)
    "manager.mode": (
        "off: the manager of phase 4a only (supervision and audits after oversight); "
        "under_load: hours with unpaid overtime, stress and burnout, and case reviews.",
        "lever (off = as before the manager was modelled under load)",
    ),
    "manager.review_interval_days": (
        "I: days between management reviews of an allocated case.",
        "assumption: monthly, as in [Washington DCYF][wa-review] (every case reviewed monthly) "
        "and [Missouri][mo-consult] (every case staffed with the supervisor at least monthly); "
        "no English national figure found; 40 instead: reviews overdue 56% to 32% in "
        "manager_span_120 (docs/model.md)",
    ),
    "manager.high_risk_review_interval_days": (
        "I_h: days between reviews while observed risk is above risk.high_risk_threshold.",
        "assumption (MODEL.md seed case: weekly risk assessments not completed); 10 instead "
        "changes manager_span_120 little (docs/model.md)",
    ),
    "manager.review_hours_per_case": (
        "c_r: manager hours per case review (read the file, assess risk, record a decision).",
        "assumption; 0.5 instead: reviews overdue 56% to 74% in manager_span_120 (docs/model.md)",
    ),
    "manager.unset_timescale_slip_days": (
        "Days a visit slips while the case's review is overdue and its known risk not high.",
        "assumption (MODEL.md seed case: visit timescales not set); 0 instead removes most "
        "of the overloaded manager's overdue visits (docs/model.md, the manager under load)",
    ),
    "manager.unreviewed_drift_per_day": (
        "delta_m: daily rise of the risk logit while a case's review is overdue.",
        "assumption: equal to risk.unmonitored_drift_per_day; 0 instead removes most of the "
        "rest of its high-risk unmonitored days (docs/model.md, the manager under load)",
    ),
    "manager.max_unpaid_overtime_hours_per_week": (
        "OT_max for the manager: cap on its unpaid overtime, times manager FTE.",
        "assumption: 0, since the manager's hours (supervision.manager_fixed_hours_per_week, "
        "supervision.oversight_hours_per_case_per_week) were calibrated without overtime; 12 "
        "instead keeps most reviews on time at span 120 (docs/model.md, the manager under load)",
    ),
    "manager.initial_stress": (
        "Manager's stress on day 0.",
        "assumption: the middle of social workers' day-0 U(0.1, 0.4)",
    ),
    # support
    "support.admin_staff": ("Admin FTE per team.", "lever (0 = none)"),
    "support.admin_hours_per_week": ("Admin hours per FTE per week.", ASSUMED),
    "support.admin_recording_share": (
        "Share of each visit's recording admin types up while its hours last.",
        "derived: 15 min saved per visit [Community Care 2012][cc-admin12] of 1.5 h",
    ),
    "support.admin_closure_share": ("Share of closure paperwork admin takes.", ASSUMED),
    "support.swa_staff": ("Social work assistant FTE per team.", "lever (0 = none)"),
    "support.swa_hours_per_week": ("Assistant hours per FTE per week.", ASSUMED),
    "support.swa_max_observed_risk": (
        "Assistants take cases with observed risk below this.",
        ASSUMED,
    ),
    "support.swa_casework_share": ("Share of eligible case work assistants take.", ASSUMED),
    # wellbeing
    "wellbeing.enabled": ("false: stress stays at its day-0 value; no burnout.", ASSUMED),
    "wellbeing.baseline_gain_per_day": (
        "g0: stress input on any working day.",
        f"{CALIBRATED} jointly with the burnout threshold",
    ),
    "wellbeing.overload_gain_per_day": (
        "g_L: input per unit of demand over capacity (D/B - 1, at most 2).",
        f"{CALIBRATED}; 51-60% stressed [DfE longitudinal 2021][dfe-stress21]",
    ),
    "wellbeing.backlog_gain_per_day": (
        "g_B: input per backlog_reference_hours of backlog.",
        f"{CALIBRATED} jointly with the burnout threshold",
    ),
    "wellbeing.backlog_reference_hours": ("R_B: backlog giving input g_B.", ASSUMED),
    "wellbeing.overtime_gain_per_day": (
        "g_O: input per contracted day of overtime.",
        f"{CALIBRATED} jointly with the burnout threshold",
    ),
    "wellbeing.duty_gain_per_day": (
        "g_D: input per contracted day of duty.",
        f"{CALIBRATED} jointly with the burnout threshold",
    ),
    "wellbeing.recovery_per_day": ("k: share of stress lost per day.", ASSUMED),
    "wellbeing.burnout_threshold": (
        "Stress at or above which days count towards burnout.",
        f"{CALIBRATED}; 51-60% stressed [DfE longitudinal 2021][dfe-stress21]",
    ),
    "wellbeing.burnout_onset_days": (
        "Consecutive days at or above the threshold to burn out.",
        CALIBRATED,
    ),
    "wellbeing.burnout_recovery_threshold": (
        "Burnout ends when stress falls below this.",
        f"{CALIBRATED}; 51-60% stressed [DfE longitudinal 2021][dfe-stress21]",
    ),
    "wellbeing.burnout_productivity": ("Productivity factor while burnt out.", ASSUMED),
    "wellbeing.agency_stress_factor": (
        "a: factor on an agency worker's stress input.",
        "derived: 45%/53% stressed, agency vs employed [DfE longitudinal][agency-stress]",
    ),
    # exhaustion
    "exhaustion.enabled": (
        "Career-stage and individual effects on the stress (exhaustion) score, and the "
        "exhaustion experienced hires bring.",
        ASSUMED,
    ),
    "exhaustion.susceptibility_sigma": (
        "sigma: log-SD of each worker's susceptibility z (lognormal, mean 1) on its stress input.",
        "assumption (individual differences in burnout [Hussein][hussein]; docs/model.md)",
    ),
    "exhaustion.asye_support": (
        "b: share of the stress input the ASYE year's support takes off, fading over the "
        "2nd year of practice.",
        "assumption, set to the DfE wave 1 gradient (docs/model.md) [DfE longitudinal 2021]"
        "[dfe-stress21]",
    ),
    "exhaustion.early_career_demand": (
        "r: extra share of stress input from qualifying to the 3rd year of practice, fading "
        "over the 4th.",
        "assumption, set to the DfE wave 1 gradient: 70% stressed in years 2-3 vs 51% "
        "(docs/model.md) [DfE longitudinal 2021][dfe-stress21]",
    ),
    "exhaustion.hire_carry_share": (
        "c: a hire with a year or more of practice starts at c x the mean stress of the "
        "workers in post (newly qualified hires start at 0).",
        "assumption (leavers moving council or to agency work do so within days "
        "[Community Care 2022][cc-attrition]; docs/model.md)",
    ),
    # sickness
    "sickness.enabled": ("false: no sickness spells.", ASSUMED),
    "sickness.short_spells_per_year": (
        "lambda_s: short-spell rate at frailty 1.",
        "derived (facts.md two-part fit to 3.3% absence [DfE 2025][dfe25] and 45% with no "
        "sick day [NHS Digital 2020][nhs20])",
    ),
    **_duration(
        "sickness.short_spell",
        "Short-spell length",
        {
            "kind": "derived (facts.md: short spells 1-5 days, median 2) [NHS Digital 2020][nhs20]",
            "median_days": "derived (facts.md: median 2 days)",
            "sigma": "derived (facts.md: mean about 2.5 days)",
            "min_days": ASSUMED,
            "max_days": "derived (facts.md: short spells 1-5 days)",
        },
    ),
    "sickness.long_spells_per_year": (
        "lambda_l: long-spell rate at frailty 1 and stress 0.3.",
        f"{CALIBRATED} to 2.9-3.6% absence [DfE 2025][dfe25]",
    ),
    **_duration(
        "sickness.long_spell",
        "Long-spell length",
        {
            "kind": "derived (facts.md: lognormal, 7.6% with over 40 days [NHS Digital 2020]"
            "[nhs20])",
            "median_days": "derived (facts.md: median about 30 days)",
            "sigma": "derived (facts.md: sigma about 0.8)",
            "min_days": "derived (facts.md: long spells of 20+ days)",
            "max_days": ASSUMED,
        },
    ),
    "sickness.frailty_shape": (
        "k_z: shape of the gamma frailty (mean 1) on a worker's spell rates.",
        "derived: shape 1.5 gives about 45% with no sick day [NHS Digital 2020][nhs20]",
    ),
    "sickness.stress_log_ratio": (
        "b_s: log-hazard of a long spell per unit stress above 0.3.",
        "assumption; about 30% of days lost are mental health or stress [BPS/BASW 2023][bps23]",
    ),
    "sickness.return_policy": (
        "After a long spell: normal, phased (reduced hours) or duty_every_day.",
        ASSUMED,
    ),
    "sickness.return_period_days": (
        "Length of the return period after a long spell.",
        "assumption (facts.md: phased return over 2-4 weeks)",
    ),
    "sickness.phased_return_capacity": (
        "p_return: share of contracted hours when phased.",
        ASSUMED,
    ),
    # staffing
    "staffing.attrition_enabled": ("false: nobody leaves (cuts still apply).", ASSUMED),
    "staffing.leave_rate_per_year": (
        "lambda: leaving rate of a permanent worker before multipliers.",
        f"{CALIBRATED} to turnover 11.8-17.1% [DfE 2025][dfe25]",
    ),
    "staffing.agency_leave_rate_per_year": (
        "lambda for an agency worker.",
        f"{CALIBRATED}; assumption that agency workers leave faster",
    ),
    "staffing.burnout_leave_ratio": ("R_b: hazard ratio while burnt out.", CALIBRATED),
    "staffing.stress_leave_log_ratio": ("b: log-hazard per unit stress above 0.3.", ASSUMED),
    "staffing.early_career_leave_ratio": (
        "R_e: hazard ratio in service years 1-5 in the post.",
        "assumption; 70% of leavers have under 5 years' service [Community Care 2023]"
        "[cc-leavers23]",
    ),
    "staffing.retention_pay_leave_ratio": (
        "R_p: hazard ratio of permanent staff (retention pay lever).",
        "lever (1 = no effect)",
    ),
    **_duration(
        "staffing.recruitment",
        "Delay from vacancy to permanent recruit",
        {
            "kind": "assumption (memoryless: a day-0 vacancy draws a fresh delay)",
            "mean_days": f"{CALIBRATED} to vacancy rate 14-20% [DfE 2025][dfe25]",
            "min_days": ASSUMED,
            "max_days": ASSUMED,
        },
    ),
    "staffing.agency_backfill": ("false: no agency cover at all.", ASSUMED),
    "staffing.agency_cover_probability": (
        "Probability that agency cover is arranged when a worker leaves.",
        f"{CALIBRATED}; 73.6% of vacancies agency-covered [DfE 2025][dfe25]",
    ),
    **_duration(
        "staffing.agency_delay",
        "Delay from vacancy to agency cover",
        {
            "kind": "assumption (facts.md: 2-4 weeks, unverified)",
            "mean_days": "assumption (facts.md: 2-4 weeks, unverified)",
            "shape": ASSUMED,
            "min_days": ASSUMED,
            "max_days": ASSUMED,
        },
    ),
    "staffing.agency_experience_years": (
        "Experience of an agency worker.",
        "assumption, above the 3-year minimum [DfE agency rules 2024][agency-rules24]",
    ),
    "staffing.new_starter_nqsw_share": (
        "Probability that a permanent recruit is newly qualified.",
        ASSUMED,
    ),
    "staffing.cuts": ("Post cuts across the organisation.", "lever (none by default)"),
    "staffing.cuts[].day": ("Model day of the cut.", "lever"),
    "staffing.cuts[].posts": ("Posts cut (give posts or share).", "lever"),
    "staffing.cuts[].share": ("Share of active posts cut, rounded.", "lever"),
    "staffing.vacancy_freeze_start_day": (
        "First day of a freeze: no recruit or agency worker starts.",
        "lever (unset = no freeze)",
    ),
    "staffing.vacancy_freeze_end_day": (
        "First day after the freeze (unset = to the end).",
        "lever",
    ),
    # costs
    "costs.social_worker_per_year": (
        "Pay and on-costs per FTE-year.",
        "assumption (not in facts.md)",
    ),
    "costs.manager_per_year": ("Manager cost per FTE-year.", "assumption (not in facts.md)"),
    "costs.swa_per_year": ("Assistant cost per FTE-year.", "assumption (not in facts.md)"),
    "costs.admin_per_year": ("Admin cost per FTE-year.", "assumption (not in facts.md)"),
    "costs.agency_premium": (
        "Agency cost = pay x (1 + premium).",
        "assumption (facts.md: 30-60% commonly cited, unverified)",
    ),
    "costs.retention_pay_per_worker_year": (
        "Extra pay per permanent FTE-year (pair with retention_pay_leave_ratio).",
        "lever (0 = none)",
    ),
}

# --- walking the schema ---------------------------------------------------------------------------
