"""Running replications of one scenario, serially or on Dask, and summarising them.

A replication's seed depends only on the master seed and its index, never on how many workers
ran it, so a run is reproducible on any machine and two scenarios run with the same master seed
share per-replication seeds (common random numbers: differences come from the scenario, not from
luck). Each replication is one call of the model's single seam, ``sim.engine.run.run``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from sim.engine.metrics import METRICS
from sim.engine.rng import replication_seeds
from sim.runs.cluster import dask_client, run_each
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.engine.run import RunResult
    from sim.runs.checkpoint import Checkpoint

#: ``progress(done, total)``: replications done so far (fractional while one runs in this
#: process, so a single long run shows its days passing) out of ``total``.
Progress = Callable[[float, int], None]

#: A replication run in this process reports its progress this many times.
PROGRESS_STEPS_PER_REPLICATION = 100


def run_replications(
    config: Scenario,
    reps: int,
    master_seed: int,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> list[RunResult]:
    """Run ``reps`` replications of ``config`` and return them ordered by replication.

    Args:
        config: The validated scenario; its ``simulation.days`` sets the run length.
        reps: Number of replications (at least 1).
        master_seed: Seed from which every replication's seed is derived.
        workers: Worker processes (at most ``reps`` are started); ``1`` runs in this process.
            ``None`` means one per CPU. Ignored when ``scheduler`` is given.
        scheduler: Address of a running Dask scheduler to use instead of a local cluster.
        progress: Called as ``progress(done, total)`` after each replication finishes, and
            with fractional ``done`` as the days of a replication run in this process pass.
        checkpoint: Where finished replications are saved as they complete and found again
            after an interruption; those already saved are not run again.

    Returns:
        One ``RunResult`` per replication, replication 0 first. Serial and parallel runs give
        identical results.

    Raises:
        SchedulerError: If ``scheduler`` is given but cannot be reached.
    """
    if reps < 1:
        raise ValueError(f"reps must be at least 1 (got {reps})")
    seeds = replication_seeds(master_seed, reps)
    done: dict[int, RunResult] = {}
    if checkpoint is not None:
        for replication, seed in enumerate(seeds):
            saved = checkpoint.load(replication, seed)
            if saved is not None:
                done[replication] = saved
    todo = [(r, seed) for r, seed in enumerate(seeds) if r not in done]

    def finished(result: RunResult) -> None:
        done[result.replication] = result
        if checkpoint is not None:
            checkpoint.save(result)
        if progress is not None:
            progress(len(done), reps)

    if progress is not None and done:
        progress(len(done), reps)
    n_workers = min(len(todo), workers or os.cpu_count() or 1)
    if todo and (scheduler is not None or n_workers > 1):
        _run_dask(config, todo, finished, n_workers=n_workers, scheduler=scheduler)
    else:
        for replication, seed in todo:
            on_day = None if progress is None else _day_progress(progress, len(done), reps, config)
            finished(_run_one(config, seed, replication, on_day))
    return [done[r] for r in range(reps)]


def summarise(results: Sequence[RunResult]) -> dict[str, dict[str, Any]]:
    """Mean, Student-t 95% interval, SD and n of every metric over replications.

    A NaN (a metric undefined in a replication, e.g. a wait with no allocations) is dropped for
    that metric only, and ``n`` says how many replications remain. With ``n == 1`` the SD and the
    interval are undefined (NaN, ``null`` in JSON): one run says nothing about the spread; with
    ``n == 0`` every statistic is NaN. The interval is clipped to the metric's natural range (no
    negative counts, no share above 1).
    """
    summary: dict[str, dict[str, Any]] = {}
    for metric in METRICS:
        values = np.array([_metric_value(r, metric.key) for r in results], dtype=float)
        summary[metric.key] = {**summarise_values(values, metric.bounds), "unit": metric.unit}
    return summary


def summarise_values(values: np.ndarray, bounds: tuple[float, float]) -> dict[str, Any]:
    """Mean, t-interval clipped to ``bounds``, SD and n of one metric's values, NaNs dropped."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = int(values.size)
    if n < 2:  # no spread from fewer than two runs
        nan = math.nan
        mean = float(values[0]) if n else nan
        return {"mean": mean, "ci95_low": nan, "ci95_high": nan, "sd": nan, "n": n}
    mean = float(values.mean())
    sd = float(values.std(ddof=1))
    half = float(stats.t.ppf(0.975, df=n - 1)) * sd / math.sqrt(n)
    low, high = max(bounds[0], mean - half), min(bounds[1], mean + half)
    return {"mean": mean, "ci95_low": low, "ci95_high": high, "sd": sd, "n": n}


def _metric_value(result: RunResult, key: str) -> float:
    try:
        return float(result.summary[key])
    except KeyError:
        raise KeyError(f"replication {result.replication}: summary lacks metric {key!r}") from None


def _run_one(
    config: Scenario, seed: int, replication: int, on_day: Callable[[int], None] | None = None
) -> RunResult:
    """One replication; a module-level function so Dask workers can import it by name."""
    from sim.engine.run import run  # imported late: workers import it in their own process

    return run(config, seed, replication, progress=on_day)


def _day_progress(
    progress: Progress, done: int, total: int, config: Scenario
) -> Callable[[int], None]:
    """A per-day callback reporting ``done`` plus the running replication's share of its days."""
    days = config.simulation.days
    every = max(1, days // PROGRESS_STEPS_PER_REPLICATION)

    def on_day(day: int) -> None:
        if day % every == 0 and day < days:
            progress(done + day / days, total)

    return on_day


def _run_dask(
    config: Scenario,
    todo: list[tuple[int, int]],
    finished: Callable[[RunResult], None],
    *,
    n_workers: int = 1,
    scheduler: str | None = None,
) -> None:
    """Run the (replication, seed) pairs on Dask, handing each result to ``finished``."""
    calls = [(replication, (config, seed, replication)) for replication, seed in todo]
    with dask_client(n_workers, scheduler) as client:
        run_each(client, _run_one, calls, lambda _, result: finished(result))
