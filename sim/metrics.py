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
)

METRIC_KEYS: tuple[str, ...] = tuple(m.key for m in METRICS)
METRICS_BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}

#: Daily series columns written to ``daily.parquet`` (one row per replication and day).
DAILY_COLUMNS: tuple[str, ...] = (
    "day",
    "referrals",
    "waiting",
    "open",
    "ready_to_close",
    "closed_today",
    "allocated_today",
    "overdue_visits",
    "records_out_of_date",
    "high_risk_unmonitored",
    "serious_incidents",
    "workers_in_post",
    "fte_in_post",
    "agency_in_post",
    "sick",
    "burnt_out",
    "vacancies",
    "leavers",
    "caseload_per_fte",
    "backlog_hours_mean",
    "stress_mean",
    "overtime_hours",
    "hours_worked",
    "working_hours",
    "contact_hours",
    "manager_oversight_ratio",
    "audits",
)

#: Daily columns that count things (cases, people, events): written as integers.
DAILY_COUNT_COLUMNS: tuple[str, ...] = (
    "day",
    "referrals",
    "waiting",
    "open",
    "ready_to_close",
    "closed_today",
    "allocated_today",
    "overdue_visits",
    "records_out_of_date",
    "high_risk_unmonitored",
    "serious_incidents",
    "workers_in_post",
    "agency_in_post",
    "sick",
    "burnt_out",
    "vacancies",
    "leavers",
    "audits",
)
