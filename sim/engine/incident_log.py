"""The incident log: every harm event with the state of its case, worker, manager and team.

A serious-incident review asks what was true on the day: was the visit overdue, the record out
of date, the worker over the benchmark or back from sickness on the duty rota, the manager over
its span, the team short of staff? The tally only counts incidents, so the risk phase hands each
day's incidents to this log, which reads those conditions off the state at the moment of the
event (after the day's risk step, before the incident makes a visit due). It consumes no random
draws and changes no state, and it runs only on days with incidents, so it changes no number of
any run; ``caseload review`` (``sim/experiments/review.py``) reads it.

Every figure is the state *at the risk phase of the event's day*, so the worker's and manager's
figures are those left by the previous day's work (caseloads are counted afresh from the case
book). Columns and units: docs/outputs.md (``incidents.parquet``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.engine.cases import ALLOCATED, NEVER, READY, WAITING
from sim.engine.manager import is_under_load, review_overdue
from sim.scenario.schema import CASE_TYPES, WORKING_DAYS_PER_YEAR

if TYPE_CHECKING:
    from sim.engine.state import World

#: Cases per FTE a worker should hold at most: the upper end of "the national average number of
#: cases seen to be manageable and safe ... was 16/18" (Central Bedfordshire council panel note,
#: about 2018), also Western Australia's exceptional maximum (cap 15, at most 18); there is no
#: national cap in England (/work/shared/facts.md §3, "Official or employer benchmarks"). The
#: health check's default benchmark (``sim/healthcheck/standards.py``) is the same figure.
CASELOAD_BENCHMARK_PER_FTE = 18.0

#: The log's columns, in table order (units in docs/outputs.md).
COLUMNS: tuple[str, ...] = (
    "day",
    "case",
    "child",
    "episode",
    "team",
    "case_type",
    "notifiable",
    "risk",
    "observed_risk",
    "is_waiting",
    "is_unallocated",
    "days_since_referral",
    "days_since_visit",
    "visit_overdue_days",
    "is_visit_overdue",
    "days_since_record_update",
    "is_record_out_of_date",
    "worker_changes",
    "worker",
    "worker_fte",
    "worker_caseload",
    "worker_caseload_per_fte",
    "caseload_benchmark_per_fte",
    "is_worker_over_benchmark",
    "worker_backlog_hours",
    "worker_stress",
    "is_worker_burnt_out",
    "is_worker_sick",
    "is_worker_returning",
    "is_worker_on_duty",
    "is_worker_agency",
    "is_worker_newly_qualified",
    "is_supervision_overdue",
    "team_cases",
    "manager_fte",
    "manager_span_cases",
    "manager_span_optimum_cases",
    "is_manager_over_span",
    "is_case_review_overdue",
    "manager_stress",
    "team_posts",
    "team_vacancies",
    "team_in_post",
    "team_agency_share",
)


class IncidentLog:
    """Per-event context of every serious incident of one replication, filled by the risk phase."""

    def __init__(self) -> None:
        self._blocks: list[dict[str, np.ndarray]] = []

    def __len__(self) -> int:
        return sum(len(block["day"]) for block in self._blocks)

    def record(
        self,
        model: World,
        rows: np.ndarray,
        notifiable: np.ndarray,
        overdue_days: np.ndarray,
        is_stale: np.ndarray,
    ) -> None:
        """Add today's incidents of case ``rows`` with their context (no draws, no writes).

        Args:
            model: The model, at the risk phase of the day (after today's risk step).
            rows: Case-book rows of today's incidents.
            notifiable: Per incident: a notifiable serious incident.
            overdue_days: Per incident: working days the statutory visit is overdue (0 if not).
            is_stale: Per incident: the case record is out of date.
        """
        if len(rows) == 0:
            return
        self._blocks.append(incident_context(model, rows, notifiable, overdue_days, is_stale))

    def table(self) -> pd.DataFrame:
        """One row per incident, in the order they happened (day, then case row)."""
        if not self._blocks:
            return empty_table()
        columns = {name: np.concatenate([b[name] for b in self._blocks]) for name in COLUMNS}
        table = pd.DataFrame(columns)
        table["case_type"] = pd.Categorical.from_codes(
            table["case_type"].to_numpy(), categories=list(CASE_TYPES)
        ).astype(str)
        return table


def empty_table() -> pd.DataFrame:
    """The log's table with no incidents (its columns and dtypes)."""
    blank = {name: np.zeros(0) for name in COLUMNS}
    for name in COLUMNS:
        if name.startswith("is_") or name == "notifiable":
            blank[name] = np.zeros(0, dtype=bool)
        elif name in _INTEGER_COLUMNS:
            blank[name] = np.zeros(0, dtype=np.int64)
    table = pd.DataFrame(blank)
    table["case_type"] = table["case_type"].astype(str)
    return table


_INTEGER_COLUMNS = frozenset(
    {
        "day",
        "case",
        "child",
        "episode",
        "team",
        "case_type",
        "worker_changes",
        "worker",
        "worker_caseload",
        "team_cases",
        "team_posts",
        "team_vacancies",
        "team_in_post",
    }
)


def incident_context(
    model: World,
    rows: np.ndarray,
    notifiable: np.ndarray,
    overdue_days: np.ndarray,
    is_stale: np.ndarray,
) -> dict[str, np.ndarray]:
    """The :data:`COLUMNS` of incidents at case ``rows`` today (module docstring)."""
    cases, staff, posts, day, cfg = model.cases, model.staff, model.posts, model.day, model.config
    n = len(rows)
    n_teams = len(model.managers)
    live = cases.live
    status_live = cases.status[live]
    is_open_live = (status_live == ALLOCATED) | (status_live == READY)
    open_rows = live[is_open_live]
    team_open = np.bincount(cases.team[live], minlength=n_teams)  # live: the span of oversight
    team = cases.team[rows].astype(np.int64)
    status = cases.status[rows]

    worker = cases.worker[rows].astype(np.int64)
    has_worker = worker >= 0
    at = np.where(has_worker, worker, 0)
    held = cases.worker[open_rows]
    held = held[held >= 0]
    per_worker = np.bincount(held, minlength=max(staff.n, 1))  # one pass over the open rows
    caseload = np.where(has_worker, per_worker[at], 0)
    fte = np.where(has_worker, staff.fte[at], np.nan)
    per_fte = np.where(has_worker, caseload / np.where(has_worker, fte, 1.0), np.nan)

    def of_worker(values: np.ndarray, fill: float | bool) -> np.ndarray:
        return np.where(has_worker, values, fill)

    returning = staff.is_returning(at, day)
    on_duty = returning & (cfg.sickness.return_policy == "duty_every_day")
    supervision_overdue = cfg.supervision.enabled & (staff.day_supervision_due[at] < day)

    last_visit = cases.day_last_visit[rows]
    since_visit = np.where(last_visit != NEVER, day - last_visit, np.nan)
    oldest = cases.day_oldest_unrecorded[rows]
    since_record = np.where(oldest != NEVER, day - oldest, 0)

    manager_fte = cfg.team.manager_fte
    optimum = cfg.supervision.span_optimum_cases
    span = team_open[team] / manager_fte
    if is_under_load(model):
        manager_stress = np.array([model.managers[t].stress for t in team.tolist()], dtype=float)
    else:
        manager_stress = np.full(n, np.nan)

    active = posts.is_active
    team_posts = np.bincount(posts.team[active], minlength=n_teams)
    holders = posts.holder[active]
    held_by = holders >= 0
    permanent = held_by.copy()
    permanent[held_by] = ~staff.is_agency[holders[held_by]]
    team_permanent = np.bincount(posts.team[active][permanent], minlength=n_teams)
    who = staff.in_post
    team_in_post = np.bincount(staff.team[who], minlength=n_teams)
    team_agency = np.bincount(staff.team[who][staff.is_agency[who]], minlength=n_teams)
    with np.errstate(divide="ignore", invalid="ignore"):
        agency_share = np.where(
            team_in_post[team] > 0, team_agency[team] / np.maximum(team_in_post[team], 1), np.nan
        )
    risk = 1.0 / (1.0 + np.exp(-cases.risk_logit[rows]))
    experience_now = staff.experience_days[at] + (day - staff.day_hired[at])
    return {
        "day": np.full(n, day, dtype=np.int64),
        "case": cases.case_id[rows].astype(np.int64),
        "child": cases.child[rows].astype(np.int64),
        "episode": cases.episode[rows].astype(np.int64),
        "team": team,
        "case_type": cases.type_code[rows].astype(np.int64),
        "notifiable": np.asarray(notifiable, dtype=bool),
        "risk": risk,
        "observed_risk": cases.observed_risk[rows].astype(float),
        "is_waiting": status == WAITING,
        "is_unallocated": ~has_worker,
        "days_since_referral": (day - cases.day_arrived[rows]).astype(np.int64),
        "days_since_visit": since_visit.astype(float),
        "visit_overdue_days": np.asarray(overdue_days, dtype=np.int64),
        "is_visit_overdue": np.asarray(overdue_days) > 0,
        "days_since_record_update": since_record.astype(np.int64),
        "is_record_out_of_date": np.asarray(is_stale, dtype=bool),
        "worker_changes": cases.n_worker_changes[rows].astype(np.int64),
        "worker": worker,
        "worker_fte": fte,
        "worker_caseload": caseload.astype(np.int64),
        "worker_caseload_per_fte": per_fte,
        "caseload_benchmark_per_fte": np.full(n, CASELOAD_BENCHMARK_PER_FTE),
        "is_worker_over_benchmark": has_worker & (per_fte > CASELOAD_BENCHMARK_PER_FTE),
        "worker_backlog_hours": of_worker(staff.backlog_hours[at], np.nan),
        "worker_stress": of_worker(staff.stress[at], np.nan),
        "is_worker_burnt_out": has_worker & staff.is_burnt_out[at],
        "is_worker_sick": has_worker & staff.is_sick(at, day),
        "is_worker_returning": has_worker & returning,
        "is_worker_on_duty": has_worker & on_duty,
        "is_worker_agency": has_worker & staff.is_agency[at],
        "is_worker_newly_qualified": has_worker & (experience_now < WORKING_DAYS_PER_YEAR),
        "is_supervision_overdue": has_worker & supervision_overdue,
        "team_cases": team_open[team].astype(np.int64),
        "manager_fte": np.full(n, manager_fte),
        "manager_span_cases": span,
        "manager_span_optimum_cases": np.full(n, float(optimum)),
        "is_manager_over_span": span > optimum,
        "is_case_review_overdue": review_overdue(model, rows),
        "manager_stress": manager_stress,
        "team_posts": team_posts[team].astype(np.int64),
        "team_vacancies": (team_posts[team] - team_permanent[team]).astype(np.int64),
        "team_in_post": team_in_post[team].astype(np.int64),
        "team_agency_share": agency_share,
    }
