"""Each case's history of workers agrees with its counters and its current worker."""

from __future__ import annotations

from sim.engine.cases import ALLOCATED, READY
from sim.engine.run import run
from sim.scenario.catalogue import repo_root
from sim.scenario.loading import load_scenario


def test_worker_history_matches_changes_and_current_worker():
    config = load_scenario(
        repo_root() / "scenarios/baseline.toml",
        ["simulation.days=400", "simulation.warmup_days=0", "staffing.leave_rate_per_year=0.5"],
    )
    cases = run(config, seed=11).cases
    allocated = cases[cases.worker_history != ""]
    steps = allocated.worker_history.str.split(">")
    assert (steps.str.len() - 1 == allocated.n_worker_changes).all()
    assert (allocated.n_worker_changes > 0).sum() > 10, "leavers should force reallocations"
    is_open = allocated.status.isin([ALLOCATED, READY])
    last = steps[is_open].str[-1].astype(int)
    assert (last == allocated.worker[is_open]).all()
    never = cases[cases.worker_history == ""]
    assert (never.day_first_allocated < 0).all()
