"""The whole health check: today's picture, the fit, the forecast and the lever search.

One function, :func:`run_health_check`, that the command line and the tests call. All
simulations of a check share one Dask cluster and the same replication seeds (common random
numbers), so a lever's effect is paired with its own team's forecast, and the numbers depend only
on the files, the options and ``--seed``, never on the number of workers.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sim.healthcheck.data import CouncilData
from sim.healthcheck.forward import (
    FORECAST_AMBER,
    CouncilFit,
    Lever,
    Outcome,
    build_scenario,
    fit_council,
    interval_dict,
    levers_for,
    outcome_of,
    run_specs,
)
from sim.healthcheck.picture import TeamPicture, service_picture, team_picture
from sim.runs.batch import RunRecord, RunSpec, specs_for
from sim.scenario.schema import Scenario

#: Replications per lever: the first of the forecast's (same seeds), so each effect is paired.
#: Ten keep the whole check of a 12-team council within about two minutes on two cores.
LEVER_REPS = 10

#: ``progress(stage, done, total)`` as simulations finish.
Progress = Callable[[str, int, int], None]


@dataclass
class LeverResult:
    """One lever tried on one team: its forecast and its paired effect on the team's own."""

    lever: Lever
    outcome: Outcome
    effects: dict[str, dict[str, float]]

    @property
    def brings_green(self) -> bool:
        """Whether the breach chance with the lever is below the amber threshold."""
        return self.outcome.breach_chance < FORECAST_AMBER

    @property
    def moves_risk_to_waiting(self) -> bool:
        """Whether cases waiting unallocated rise (the paired interval lies above zero)."""
        change = self.effects["unallocated_case_days"]
        return bool(change["low"] > 0) if math.isfinite(change["low"]) else change["mean"] > 0


@dataclass
class HealthCheck:
    """Everything the report shows."""

    data: CouncilData
    months: int
    reps: int
    seed: int
    region: str | None
    pictures: dict[str, TeamPicture]
    services: list[TeamPicture]
    fit: CouncilFit | None  # None: today's picture only
    configs: dict[str, Scenario]
    outcomes: dict[str, Outcome]
    levers: dict[str, list[LeverResult]] = field(default_factory=dict)

    def recommended(self, team: str) -> LeverResult | None:
        """The cheapest lever that brings ``team`` to green without moving risk to waiting.

        Failing that, of the levers that do not move risk to waiting (all, if every one does),
        the one with the lowest chance of a breach, then of being over the benchmark in the last
        month, then the lowest caseload, then the cheaper.
        """
        tried = self.levers.get(team, [])
        good = [r for r in tried if r.brings_green and not r.moves_risk_to_waiting]
        if good:
            return min(good, key=lambda r: r.lever.cost_per_year)
        if not tried:
            return None
        safe = [r for r in tried if not r.moves_risk_to_waiting] or tried
        return min(
            safe,
            key=lambda r: (
                r.outcome.breach_chance,
                r.outcome.end_above_chance,
                r.effects["caseload_per_fte_mean"]["mean"],
                r.lever.cost_per_year,
            ),
        )

    def forecast_rating(self, team: str) -> str:
        """The forecast's rating of ``team``."""
        return self.outcomes[team].rating()


def run_health_check(
    data: CouncilData,
    *,
    benchmark: float | None = None,
    region: str | None = None,
    months: int = 12,
    reps: int = 20,
    seed: int = 20261201,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> HealthCheck:
    """Today's picture, then fit, forecast and lever search on one cluster."""
    pictures = {t.team: team_picture(data, t, benchmark, region) for t in data.teams}
    services = [
        p
        for p in (service_picture(data, s, benchmark, region) for s in ("children", "adults"))
        if p is not None
    ]
    if months <= 0:  # today's picture only
        return HealthCheck(data, 0, reps, seed, region, pictures, services, None, {}, {})
    with _client(workers, scheduler, 2 * reps * len(data.teams)) as client:

        def runner(stage: str) -> Callable[[list[RunSpec]], list[RunRecord]]:
            def run(specs: list[RunSpec]) -> list[RunRecord]:
                report = (lambda done, total: progress(stage, done, total)) if progress else None
                return run_specs(specs, client=client, workers=1, progress=report)

            return run

        fit = fit_council(data, pictures, months=months, seed=seed, runner=runner("fitting"))
        configs = {
            t.team: build_scenario(
                data,
                t,
                referrals_per_day=fit.teams[t.team].referrals_per_day.value,
                leave_rate_per_year=fit.leave_rate_per_year.value,
                recruitment_mean_days=fit.recruitment_mean_days.value,
                sickness_scale=fit.sickness_scale,
                months=months,
                reps=reps,
                seed=seed,
            )
            for t in data.teams
        }
        names = list(configs)
        records = runner("forecast")(specs_for(list(configs.values()), reps, seed))
        grouped = _grouped(records, len(names))
        outcomes = {
            name: outcome_of(grouped[i], pictures[name].benchmark) for i, name in enumerate(names)
        }
        check = HealthCheck(
            data, months, reps, seed, region, pictures, services, fit, configs, outcomes
        )
        red = [n for n in names if outcomes[n].rating() == "red" or pictures[n].headline == "red"]
        tried: list[tuple[str, Lever]] = []
        for name in red:
            tried += [
                (name, lever) for lever in levers_for(configs[name], pictures[name].benchmark)
            ]
        if tried:
            n = min(reps, LEVER_REPS)  # replications 0..n-1: the same seeds as the forecast's
            lever_configs = [lever.apply(configs[name]) for name, lever in tried]
            lever_records = runner("levers")(specs_for(lever_configs, n, seed))
            lever_groups = _grouped(lever_records, len(tried))
            for i, (name, lever) in enumerate(tried):
                outcome = outcome_of(lever_groups[i], pictures[name].benchmark)
                base = outcome_of(grouped[names.index(name)][:n], pictures[name].benchmark)
                check.levers.setdefault(name, []).append(
                    LeverResult(lever, outcome, paired_effects(base, outcome))
                )
    return check


def paired_effects(base: Outcome, other: Outcome) -> dict[str, dict[str, float]]:
    """Mean paired change (other - base) of every kept metric and of the breach, with intervals."""
    effects = {
        "breach": interval_dict(other.breach.astype(float) - base.breach.astype(float), (-1, 1)),
        "end_above": interval_dict(
            other.end_above.astype(float) - base.end_above.astype(float), (-1, 1)
        ),
    }
    for key, values in base.metrics.items():
        effects[key] = interval_dict(other.metrics[key] - values)
    return effects


def _grouped(records: list[RunRecord], points: int) -> list[list[RunRecord]]:
    grouped: list[list[RunRecord]] = [[] for _ in range(points)]
    for record in records:
        grouped[record.point].append(record)
    return grouped


@contextlib.contextmanager
def _client(workers: int | None, scheduler: str | None, runs: int) -> Any:
    """One Dask client for the whole check, or none (serial) for one worker."""
    import os

    n = workers or os.cpu_count() or 1
    if scheduler is None and n <= 1:
        yield None
        return
    from sim.runs.cluster import dask_client

    with dask_client(min(n, max(runs, 1)), scheduler) as client:
        yield client
