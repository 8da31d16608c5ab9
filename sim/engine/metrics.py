"""The metric contract: every reported outcome declared once, with its unit and direction.

``summary.json``, the CLI table, the experiments and the dashboard all read this list, so a metric
is named, described and given a unit in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Metric:
    """One outcome of a run: its key in ``summary.json``, unit, and which way is better."""

    key: str
    unit: str
    description: str
    better: Literal["lower", "higher", "neither"]
    group: Literal["demand", "risk", "workload", "workforce", "cost"]

    @property
    def bounds(self) -> tuple[float, float]:
        """The metric's natural range: every metric is non-negative; shares are at most 1."""
        return (0.0, 1.0) if self.unit == "share" else (0.0, float("inf"))


METRICS: tuple[Metric, ...] = (
    Metric("referrals_received", "referrals", "referrals that arrived", "neither", "demand"),
    Metric("cases_closed", "cases", "cases closed", "neither", "demand"),
    Metric(
        "open_cases_end",
        "cases",
        "cases open (allocated or ready to close) at the end",
        "neither",
        "demand",
    ),
    Metric("waiting_end", "cases", "cases waiting for allocation at the end", "lower", "demand"),
    Metric(
        "mean_wait_days_to_allocation",
        "working days",
        "mean working days from arrival to allocation",
        "lower",
        "risk",
    ),
    Metric(
        "visit_timeliness",
        "share",
        "share of statutory visits done by their due day",
        "higher",
        "risk",
    ),
    Metric(
        "overdue_visit_case_days",
        "case-days",
        "case-days with a statutory visit overdue",
        "lower",
        "risk",
    ),
    Metric(
        "records_out_of_date_share",
        "share",
        "share of open case-days whose record lags the last contact beyond the threshold",
        "lower",
        "risk",
    ),
    Metric(
        "unallocated_case_days",
        "case-days",
        "case-days spent waiting for allocation",
        "lower",
        "risk",
    ),
    Metric(
        "high_risk_unmonitored_case_days",
        "case-days",
        "case-days at high latent risk with a visit overdue",
        "lower",
        "risk",
    ),
    Metric("serious_incidents", "incidents", "serious incidents (harm events)", "lower", "risk"),
    Metric(
        "caseload_per_fte_mean",
        "cases/FTE",
        "mean open cases per FTE social worker in post",
        "lower",
        "workload",
    ),
    Metric(
        "recording_backlog_hours_mean",
        "hours",
        "mean recording backlog per worker",
        "lower",
        "workload",
    ),
    Metric(
        "unpaid_overtime_hours_per_fte_week",
        "hours/FTE/week",
        "unpaid hours worked per FTE per week",
        "lower",
        "workload",
    ),
    Metric(
        "direct_contact_share",
        "share",
        "share of working time (paid hours at work plus unpaid overtime) in direct contact",
        "higher",
        "workload",
    ),
    Metric("burnout_prevalence", "share", "share of worker-days in burnout", "lower", "workforce"),
    Metric(
        "sickness_absence_rate",
        "share",
        "share of contracted days lost to sickness",
        "lower",
        "workforce",
    ),
    Metric(
        "turnover_rate_annual",
        "per year",
        "permanent voluntary leavers per year over mean permanent headcount",
        "lower",
        "workforce",
    ),
    Metric("leavers", "workers", "workers who left (permanent and agency)", "lower", "workforce"),
    Metric(
        "vacancy_rate",
        "share",
        "mean posts without a permanent holder over establishment",
        "lower",
        "workforce",
    ),
    Metric(
        "agency_share", "share", "share of filled FTE held by agency workers", "lower", "workforce"
    ),
    Metric(
        "supervision_on_time_share",
        "share",
        "share of supervision sessions held and recorded on time",
        "higher",
        "workforce",
    ),
    Metric(
        "staff_cost_total",
        "GBP",
        "social worker pay with agency premium and retention pay, managers, SWAs and admin",
        "lower",
        "cost",
    ),
    Metric(
        "referrals_screened_out",
        "referrals",
        "referrals screened out at the front door (no further action)",
        "neither",
        "demand",
    ),
    Metric(
        "screened_out_high_risk",
        "referrals",
        "referrals screened out with latent risk above the high-risk threshold",
        "lower",
        "risk",
    ),
    Metric(
        "re_referral_rate_12m",
        "share",
        "share of referrals of a child referred in the previous 260 working days",
        "lower",
        "demand",
    ),
    Metric(
        "serious_incident_notifications_per_1000_cases_year",
        "per 1,000 case-years",
        "notifiable serious incidents (a share of harm events) per 1,000 live case-years",
        "lower",
        "risk",
    ),
)

METRIC_KEYS: tuple[str, ...] = tuple(m.key for m in METRICS)
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
