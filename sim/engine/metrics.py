"""The metric contract: every reported outcome declared once, with its unit and direction.

``summary.json``, the CLI table, the experiments and the dashboard all read this list, so a metric
is named, described and given a unit in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Metric:
    """One outcome of a run: its key in ``summary.json``, unit, and which way is better.

    Args:
        key: Its key in ``summary.json`` and every table (a code name).
        unit: Its unit, as tables print it.
        description: What it measures, in a sentence.
        better: Which way is better (``neither`` for demand that is neither good nor bad).
        group: The section of every table it is shown in.
        label: What a director or a union rep calls it: every report and brief shows this.
        headcount: The daily series column (``daily.parquet``) counting the people behind a
            share, e.g. ``burnt_out`` beside the share of worker-days in burnout: a brief says
            "3.1 social workers burnt out on an average day" beside "42%".
        per_year: A total over the measured period (a count or a cost) that a brief also
            gives per year, so runs of different lengths read alike.
        headline: Shown on the one-page brief (risk to service users, the workforce, cost).
    """

    key: str
    unit: str
    description: str
    better: Literal["lower", "higher", "neither"]
    group: Literal["demand", "risk", "workload", "workforce", "cost"]
    label: str = ""
    headcount: str | None = None
    per_year: bool = False
    headline: bool = False

    @property
    def bounds(self) -> tuple[float, float]:
        """The metric's natural range: every metric is non-negative; shares are at most 1."""
        return (0.0, 1.0) if self.unit == "share" else (0.0, float("inf"))


METRICS: tuple[Metric, ...] = (
    Metric(
        "referrals_received",
        "referrals",
        "referrals that arrived",
        "neither",
        "demand",
        label="Referrals received",
        per_year=True,
    ),
    Metric(
        "re_referrals_received",
        "referrals",
        "referrals that arrived of children referred before (re-referrals, any interval); "
        "referrals_received minus this is the fresh arrivals every scenario shares",
        "neither",
        "demand",
        label="Re-referrals received",
        per_year=True,
    ),
    Metric(
        "cases_closed",
        "cases",
        "cases closed",
        "neither",
        "demand",
        label="Cases closed",
        per_year=True,
    ),
    Metric(
        "open_cases_end",
        "cases",
        "cases open (allocated or ready to close) at the end",
        "neither",
        "demand",
        label="Open cases at the end",
    ),
    Metric(
        "waiting_end",
        "cases",
        "cases waiting for allocation at the end",
        "lower",
        "demand",
        label="Cases waiting for allocation at the end",
    ),
    Metric(
        "mean_wait_days_to_allocation",
        "working days",
        "mean working days from arrival to allocation",
        "lower",
        "risk",
        label="Wait from referral to allocation",
    ),
    Metric(
        "visit_timeliness",
        "share",
        "share of statutory visits done by their due day",
        "higher",
        "risk",
        label="Statutory visits done on time",
    ),
    Metric(
        "overdue_visit_case_days",
        "case-days",
        "case-days with a statutory visit overdue",
        "lower",
        "risk",
        label="Overdue statutory visits",
        per_year=True,
        headline=True,
    ),
    Metric(
        "records_out_of_date_share",
        "share",
        "share of open case-days whose record lags the last contact beyond the threshold",
        "lower",
        "risk",
        label="Case records out of date",
    ),
    Metric(
        "unallocated_case_days",
        "case-days",
        "case-days spent waiting for allocation",
        "lower",
        "risk",
        label="Cases waiting unallocated",
        per_year=True,
        headline=True,
    ),
    Metric(
        "high_risk_unmonitored_case_days",
        "case-days",
        "case-days at high latent risk with a visit overdue",
        "lower",
        "risk",
        label="High-risk cases with a visit overdue",
        per_year=True,
        headline=True,
    ),
    Metric(
        "serious_incidents",
        "incidents",
        "serious incidents (harm events)",
        "lower",
        "risk",
        label="Serious incidents",
        per_year=True,
        headline=True,
    ),
    Metric(
        "caseload_per_fte_mean",
        "cases/FTE",
        "mean open cases per FTE social worker in post",
        "lower",
        "workload",
        label="Caseload per full-time social worker",
    ),
    Metric(
        "recording_backlog_hours_mean",
        "hours",
        "mean recording backlog per worker",
        "lower",
        "workload",
        label="Recording backlog per social worker",
    ),
    Metric(
        "unpaid_overtime_hours_per_fte_week",
        "hours/FTE/week",
        "unpaid hours worked per FTE per week",
        "lower",
        "workload",
        label="Unpaid overtime",
    ),
    Metric(
        "direct_contact_share",
        "share",
        "share of working time (paid hours at work plus unpaid overtime) in direct contact",
        "higher",
        "workload",
        label="Working time spent with families",
    ),
    Metric(
        "burnout_prevalence",
        "share",
        "share of worker-days in burnout",
        "lower",
        "workforce",
        label="Social workers burnt out",
        headcount="burnt_out",
        headline=True,
    ),
    Metric(
        "sickness_absence_rate",
        "share",
        "share of contracted days lost to sickness",
        "lower",
        "workforce",
        label="Working days lost to sickness",
        headcount="sick",
    ),
    Metric(
        "turnover_rate_annual",
        "per year",
        "permanent voluntary leavers per year over mean permanent headcount",
        "lower",
        "workforce",
        label="Staff turnover",
    ),
    Metric(
        "leavers",
        "workers",
        "workers who left (permanent and agency)",
        "lower",
        "workforce",
        label="Social workers who left",
        per_year=True,
        headline=True,
    ),
    Metric(
        "vacancy_rate",
        "share",
        "mean posts without a permanent holder over establishment",
        "lower",
        "workforce",
        label="Posts without a permanent holder",
        headcount="vacancies",
        headline=True,
    ),
    Metric(
        "agency_share",
        "share",
        "share of filled FTE held by agency workers",
        "lower",
        "workforce",
        label="Filled posts held by agency staff",
    ),
    Metric(
        "supervision_on_time_share",
        "share",
        "share of supervision sessions held and recorded on time",
        "higher",
        "workforce",
        label="Supervision held on time",
    ),
    Metric(
        "staff_cost_total",
        "GBP",
        "social worker pay with agency premium and retention pay, managers, SWAs and admin",
        "lower",
        "cost",
        label="Staff cost",
        per_year=True,
        headline=True,
    ),
    Metric(
        "referrals_screened_out",
        "referrals",
        "referrals screened out at the front door (no further action)",
        "neither",
        "demand",
        label="Referrals screened out",
        per_year=True,
    ),
    Metric(
        "screened_out_high_risk",
        "referrals",
        "referrals screened out with latent risk above the high-risk threshold",
        "lower",
        "risk",
        label="High-risk referrals screened out",
        per_year=True,
    ),
    Metric(
        "re_referral_rate_12m",
        "share",
        "share of referrals of a child referred in the previous 260 working days",
        "lower",
        "demand",
        label="Re-referrals within 12 months",
    ),
    Metric(
        "serious_incident_notifications_per_1000_cases_year",
        "per 1,000 case-years",
        "notifiable serious incidents (a share of harm events) per 1,000 live case-years",
        "lower",
        "risk",
        label="Notified serious incidents",
    ),
    Metric(
        "manager_stress_mean",
        "stress (0-1)",
        "mean stress of team managers over manager-days (NaN unless manager.mode = under_load)",
        "lower",
        "workforce",
        label="Managers' stress",
    ),
    Metric(
        "manager_reviews_overdue_share",
        "share",
        "share of allocated case-days with the case's management review overdue "
        "(NaN unless manager.mode = under_load)",
        "lower",
        "risk",
        label="Cases overdue a management review",
    ),
    Metric(
        "burnt_out_workers_mean",
        "workers",
        "social workers in burnout on an average day (the headcount beside the burnout share)",
        "lower",
        "workforce",
        label="Social workers burnt out on an average day",
    ),
    Metric(
        "exhaustion_mean",
        "score (0-1)",
        "mean exhaustion score (the stress state) over worker-days",
        "lower",
        "workforce",
        label="Mean exhaustion score",
    ),
    Metric(
        "exhaustion_high_share",
        "share",
        "share of worker-days with exhaustion at or above 0.5 (MBI high emotional exhaustion, "
        "27 of 54, rescaled)",
        "lower",
        "workforce",
        label="Social workers highly exhausted",
    ),
    Metric(
        "burnout_prevalence_first_year",
        "share",
        "share of worker-days in burnout of workers in their first year of practice (ASYE)",
        "lower",
        "workforce",
        label="Burnt out: first year of practice",
    ),
    Metric(
        "burnout_prevalence_years_2_3",
        "share",
        "share of worker-days in burnout of workers in their 2nd-3rd year of practice",
        "lower",
        "workforce",
        label="Burnt out: 2nd-3rd year of practice",
    ),
    Metric(
        "burnout_prevalence_permanent",
        "share",
        "share of worker-days in burnout of permanent (directly employed) workers",
        "lower",
        "workforce",
        label="Burnt out: permanent staff",
    ),
    Metric(
        "burnout_prevalence_agency",
        "share",
        "share of worker-days in burnout of agency workers",
        "lower",
        "workforce",
        label="Burnt out: agency staff",
    ),
    Metric(
        "looked_after_2plus_worker_changes_share",
        "share",
        "share of looked-after children at a yearly census with 2 or more changes of social "
        "worker in the 12 months before it",
        "lower",
        "risk",
        label="Children in care with 2+ worker changes a year",
    ),
)

#: The exhaustion score's "high" cut-off: 27 of 54 on the MBI emotional exhaustion subscale
#: (Maslach, Jackson and Leiter 1996), rescaled to the score's 0-1 range (docs/model.md).
EXHAUSTION_HIGH_CUTOFF = 27.0 / 54.0

METRIC_KEYS: tuple[str, ...] = tuple(m.key for m in METRICS)
HEADLINE_METRICS: tuple[Metric, ...] = tuple(m for m in METRICS if m.headline)

#: What the people counted by a :attr:`Metric.headcount` column are, for a sentence.
HEADCOUNT_LABELS: dict[str, str] = {
    "burnt_out": "social workers burnt out on an average day",
    "sick": "social workers off sick on an average day",
    "vacancies": "posts vacant on an average day",
}

#: Group titles, as every table's sections show them.
GROUP_TITLES: dict[str, str] = {
    "demand": "Demand",
    "risk": "Risk to service users",
    "workload": "Workload",
    "workforce": "Workforce",
    "cost": "Cost",
}

METRICS_BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}


def metrics_by_group() -> list[tuple[str, list[Metric]]]:
    """The metrics by group, groups in order of first mention: the sections of every table.

    A metric declared late (new keys go at the end) joins its group's section.
    """
    groups: dict[str, list[Metric]] = {}
    for metric in METRICS:
        groups.setdefault(metric.group, []).append(metric)
    return list(groups.items())


#: Daily series columns written to ``daily.parquet`` (one row per replication and day), each
#: marked whether it counts cases, people or events (written as integers) or measures hours, FTE,
#: means or ratios.
DAILY_COLUMN_IS_COUNT: dict[str, bool] = {
    "day": True,
    "referrals": True,
    "waiting": True,
    "open": True,
    "ready_to_close": True,
    "closed_today": True,
    "allocated_today": True,
    "overdue_visits": True,
    "records_out_of_date": True,
    "high_risk_unmonitored": True,
    "serious_incidents": True,
    "workers_in_post": True,
    "fte_in_post": False,
    "agency_in_post": True,
    "sick": True,
    "burnt_out": True,
    "vacancies": True,
    "leavers": True,
    "caseload_per_fte": False,
    "backlog_hours_mean": False,
    "stress_mean": False,
    "overtime_hours": False,
    "hours_worked": False,
    "working_hours": False,
    "contact_hours": False,
    "manager_oversight_ratio": False,
    "audits": True,
}
DAILY_COLUMNS: tuple[str, ...] = tuple(DAILY_COLUMN_IS_COUNT)
DAILY_COUNT_COLUMNS: tuple[str, ...] = tuple(
    c for c, is_count in DAILY_COLUMN_IS_COUNT.items() if is_count
)
