"""The one seam every user of the engine calls: ``run(config, seed) -> RunResult``.

The CLI, experiments, tests and dashboard all go through here, so a replication is the same
computation wherever it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.cases import STATUS_NAMES
from sim.engine.manager import MANAGER_WORKER_BASE, is_under_load
from sim.engine.metrics import DAILY_COUNT_COLUMNS
from sim.engine.model import CaseloadModel
from sim.engine.worker_days import ROLES
from sim.scenario.schema import CASE_TYPES, Scenario

#: Daily columns kept, averaged by week, for time-series plots of a comparison.
SERIES_COLUMNS: tuple[str, ...] = (
    "waiting",
    "open",
    "overdue_visits",
    "records_out_of_date",
    "burnt_out",
    "sick",
    "vacancies",
    "caseload_per_fte",
)

#: Working days per week of a weekly series.
WEEK = 5


@dataclass
class RunResult:
    """One replication's outputs: the metric contract and its tables."""

    replication: int
    seed: int
    summary: dict[str, float]
    daily: pd.DataFrame
    workers: pd.DataFrame
    worker_days: pd.DataFrame
    cases: pd.DataFrame


def run(
    config: Scenario,
    seed: int,
    replication: int = 0,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Simulate ``config`` once with ``seed`` and collect its outputs."""
    model = CaseloadModel(config, seed)
    model.run(progress=progress)
    return collect(model, replication)


def run_incidents(
    config: Scenario, seed: int, *, day0: Scenario | None = None
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Simulate ``config`` once with ``seed``; return its incident log and its summary.

    What ``caseload review`` needs of a replication, without the four tables of :func:`run`.
    With ``day0``, day 0 is built as ``day0`` builds it and then brought up to ``config``'s
    establishment (:class:`CaseloadModel`), so both runs share their children.
    """
    model = CaseloadModel(config, seed, day0=day0)
    model.run()
    return model.incidents.table(), model.tally.summary(model)


def collect(model: CaseloadModel, replication: int = 0) -> RunResult:
    """Turn a finished model into a :class:`RunResult`."""
    daily = pd.DataFrame(model.tally.daily)
    for column in DAILY_COUNT_COLUMNS:
        counts = daily[column].to_numpy()
        if not np.array_equal(counts, np.round(counts)):
            raise AssertionError(f"daily {column} is not a whole count")
        daily[column] = counts.astype("int64")
    return RunResult(
        replication=replication,
        seed=model.seed,
        summary=model.tally.summary(model),
        daily=daily,
        workers=worker_table(model),
        worker_days=worker_day_table(model),
        cases=case_table(model),
    )


def worker_table(model: CaseloadModel) -> pd.DataFrame:
    """One row per social worker who ever held a post, read from the staff table's columns.

    With the manager under load, a ``role`` column and one row per team manager are added.
    """
    staff = model.staff
    if staff.n == 0:
        return pd.DataFrame()
    leavers = {entry["worker"]: entry["reason"] for entry in model.tally.leaver_log}
    column = staff.view
    in_post = column("day_left") < 0
    table = pd.DataFrame(
        {
            "worker": np.arange(staff.n, dtype=np.int64),
            "name": [w.name for w in model.workers],
            "team": column("team").copy(),
            "post": column("post").copy(),
            "fte": column("fte").copy(),
            "is_agency": column("is_agency").copy(),
            "experience_years_at_start": column("experience_days") / 260.0,
            "priority_style": [w.priority_style for w in model.workers],
            "day_started": column("day_started").copy(),
            "day_left": column("day_left").copy(),
            "left_reason": [leavers.get(i, "") for i in range(staff.n)],
            "days_in_post": column("days_in_post").copy(),
            "caseload_end": np.where(in_post, column("caseload"), 0),
            "backlog_hours_end": np.where(in_post, column("backlog_hours"), 0.0),
            "stress_end": column("stress").copy(),
            "burnout_days": column("total_burnout_days").copy(),
            "sick_days": column("total_sick_days").copy(),
            "short_spells": column("n_short_spells").copy(),
            "long_spells": column("n_long_spells").copy(),
            "hours_worked": column("total_hours_worked").copy(),
            "unpaid_overtime_hours": column("total_overtime_hours").copy(),
            "contact_hours": column("total_contact_hours").copy(),
            "visits": column("n_visits").copy(),
            "cases_closed": column("n_cases_closed").copy(),
        }
    )
    if not is_under_load(model):
        return table
    table["role"] = ROLES[0]
    return pd.concat([table, manager_rows(model)], ignore_index=True)


def manager_rows(model: CaseloadModel) -> pd.DataFrame:
    """One ``workers.parquet`` row per team manager (the manager under load).

    Worker ``MANAGER_WORKER_BASE + team``, no post (-1), in post the whole run; no cases,
    visits or contact; its stress, burnout days, hours and unpaid overtime.
    """
    managers = model.managers
    n = len(managers)
    teams = np.array([m.team for m in managers], dtype=np.int64)
    zeros = np.zeros(n, dtype=np.int64)
    return pd.DataFrame(
        {
            "worker": MANAGER_WORKER_BASE + teams,
            "name": [f"Manager T{team}" for team in teams.tolist()],
            "team": teams,
            "post": np.full(n, -1, dtype=np.int64),
            "fte": np.full(n, model.config.team.manager_fte),
            "is_agency": np.zeros(n, dtype=bool),
            "experience_years_at_start": np.full(n, np.nan),
            "priority_style": [""] * n,
            "day_started": zeros,
            "day_left": np.full(n, -1, dtype=np.int64),
            "left_reason": [""] * n,
            "days_in_post": np.full(n, model.day, dtype=np.int64),
            "caseload_end": zeros,
            "backlog_hours_end": np.zeros(n),
            "stress_end": np.array([m.stress for m in managers], dtype=np.float64),
            "burnout_days": np.array([m.total_burnout_days for m in managers], dtype=np.int64),
            "sick_days": zeros,
            "short_spells": zeros,
            "long_spells": zeros,
            "hours_worked": np.array([m.total_hours_worked for m in managers], dtype=np.float64),
            "unpaid_overtime_hours": np.array(
                [m.total_overtime_hours for m in managers], dtype=np.float64
            ),
            "contact_hours": np.zeros(n),
            "visits": zeros,
            "cases_closed": zeros,
            "role": ROLES[1],
        }
    )


def worker_day_table(model: CaseloadModel) -> pd.DataFrame:
    """One row per social worker in post per day (empty unless ``collect_worker_days``)."""
    return model.worker_days.table()


def case_table(model: CaseloadModel) -> pd.DataFrame:
    """One row per referral, with its final state."""
    columns = model.cases.columns()
    table = pd.DataFrame(columns)
    table.insert(0, "case", range(len(table)))
    table["case_type"] = [CASE_TYPES[c] for c in table["type_code"]]
    table["status_name"] = [STATUS_NAMES[s] for s in table["status"]]
    table["risk"] = model.cases.risk
    table["worker_history"] = model.worker_history.joined(len(table))
    return table.drop(columns=["risk_logit", "casework_covered_share"])


def weekly_series(daily: pd.DataFrame, warmup_days: int) -> dict[str, list[float]]:
    """The measured window's :data:`SERIES_COLUMNS`, averaged by week, for comparison plots."""
    series = {}
    measured = daily[daily["day"] >= warmup_days]
    for column in SERIES_COLUMNS:
        values = measured[column].to_numpy(dtype=float)
        weeks = len(values) // WEEK
        if weeks:
            series[column] = values[: weeks * WEEK].reshape(weeks, WEEK).mean(axis=1).tolist()
    return series
