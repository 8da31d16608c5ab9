"""``--reps auto``: the replications algorithm of Hoad, Robinson & Davies (2010).

On synthetic outcomes of known variance it stops where the 95% interval's relative half-width
first stays within the target through its look-ahead, at its maximum otherwise, and the
choice does not depend on the batch size; then once through the installed command.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from sim.runs.precision import (
    Decision,
    Outcome,
    ReplicationsAlgorithm,
    look_ahead,
    relative_precision,
)
from tests.conftest import caseload


def precision_by_hand(values: np.ndarray, n: int) -> float:
    x = values[:n]
    return stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n) / abs(x.mean())


def expected_stop(values: np.ndarray, target: float, k: int = 5) -> int:
    """The first n >= 3 whose precision holds at n..n+k (the algorithm's definition)."""
    for n in range(3, len(values) - k):
        if all(precision_by_hand(values, m) <= target for m in range(n, n + k + 1)):
            return n
    raise AssertionError("no stopping point in the sample")


def run_in_batches(algorithm: ReplicationsAlgorithm, values: np.ndarray, batch: int) -> Decision:
    total = algorithm.next_total(0, batch)
    while True:
        decision = algorithm.decide({"y": Outcome(values[:total])})
        if decision.done:
            return decision
        total = algorithm.next_total(total, batch)


def test_relative_precision_is_the_t_half_width_over_the_mean():
    values = np.array([9.0, 11.0, 10.0, 12.0, 8.0])
    assert relative_precision(values) == pytest.approx(precision_by_hand(values, 5))
    assert relative_precision(np.array([4.0, 4.0, 4.0])) == 0.0  # no spread: exact
    assert relative_precision(np.array([-1.0, 1.0, 0.0])) == math.inf  # spread around zero
    scaled = relative_precision(np.array([1.0, 2.0, 3.0]), scale=100.0)
    assert scaled == pytest.approx(stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3) / 100.0)


def test_the_look_ahead_grows_beyond_a_hundred_replications():
    assert look_ahead(10) == 5 and look_ahead(100) == 5 and look_ahead(300) == 15


def test_it_stops_where_the_precision_is_met_on_an_outcome_of_known_variance():
    # mean 100, sd 10: about (1.96 · 10 / 5)² ≈ 16 replications give ±5%
    values = np.random.default_rng(7).normal(100.0, 10.0, 400)
    algorithm = ReplicationsAlgorithm(target=0.05, max_reps=200)
    n_sol = expected_stop(values, 0.05)
    assert 8 <= n_sol <= 40
    for batch in (1, 4, 7, 25):  # serial or in batches of any size: the same choice
        decision = run_in_batches(algorithm, values, batch)
        assert decision.reached and decision.done
        assert decision.needed == {"y": n_sol}
        assert decision.replications == n_sol + 5  # every replication of the look-ahead kept
        assert decision.precision["y"] <= 0.05


def test_it_stops_at_its_maximum_when_the_precision_cannot_be_met():
    values = np.random.default_rng(3).normal(10.0, 50.0, 100)  # sd five times the mean
    decision = run_in_batches(ReplicationsAlgorithm(target=0.05, max_reps=30), values, 6)
    assert decision.done and not decision.reached
    assert decision.replications == 30 and decision.needed == {"y": None}
    assert decision.precision["y"] > 0.05


def test_the_slowest_of_several_outcomes_decides():
    rng = np.random.default_rng(11)
    easy, hard = rng.normal(100.0, 1.0, 300), rng.normal(100.0, 20.0, 300)
    algorithm = ReplicationsAlgorithm(target=0.05, max_reps=300)
    decision = algorithm.decide({"easy": Outcome(easy), "hard": Outcome(hard)})
    assert decision.needed["easy"] == 3
    assert decision.needed["hard"] == expected_stop(hard, 0.05)
    assert decision.replications == decision.needed["hard"] + 5


def test_a_paired_difference_is_judged_against_the_baselines_level():
    rng = np.random.default_rng(5)
    base = rng.normal(1000.0, 100.0, 60)
    diff = rng.normal(5.0, 20.0, 60)  # a small change: hopeless relative to itself
    algorithm = ReplicationsAlgorithm(target=0.05, max_reps=60)
    assert not algorithm.decide({"d": Outcome(diff)}).reached
    assert algorithm.decide({"d": Outcome(diff, scale=base)}).reached


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        ReplicationsAlgorithm(target=0.0)
    with pytest.raises(ValueError):
        ReplicationsAlgorithm(max_reps=2)


def test_reps_auto_through_the_installed_command_warns_when_it_stops_short(tmp_path):
    done = caseload(
        "run", "--reps", "auto", "--precision", "0.02", "--max-reps", "4", "--days", "40",
        "--set", "simulation.warmup_days=10", "--workers", "1", "--quiet", "--no-pdf",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Precision not reached: after the maximum of 4 replications" in done.stdout
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    record = manifest["replications_algorithm"]
    assert manifest["replications"] == 4 and record["reached"] is False
    assert "replications = 4" in (tmp_path / "scenario.toml").read_text()
    for name in ("report.html", "brief.html"):
        assert "Precision not reached" in (tmp_path / name).read_text(encoding="utf-8")


def test_compare_reps_auto_judges_each_paired_change(tmp_path):
    done = caseload(
        "compare", "scenarios/baseline.toml", "scenarios/levers/admin_support.toml",
        "--reps", "auto", "--precision", "0.5", "--max-reps", "6", "--days", "40",
        "--set", "simulation.warmup_days=10", "--precision-of", "staff_cost_total",
        "--workers", "1", "--quiet", "--no-pdf", "--out", str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # admin support's cost is nearly the same in every paired run: 3 + the look-ahead of 5,
    # cut to the maximum of 6
    assert "6 replications, chosen by the replications algorithm" in done.stdout
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["replications"] == 6 and manifest["runs"] == 12
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "chosen by the replications algorithm" in report
