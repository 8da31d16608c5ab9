"""Replication seeds, the summary statistics, and serial versus Dask-parallel runs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.engine.metrics import METRIC_KEYS, METRICS_BY_KEY
from sim.engine.rng import replication_seeds
from sim.runs.cluster import SchedulerError
from sim.runs.replications import run_replications, summarise
from sim.scenario.loading import load_scenario, with_overrides

REPO_ROOT = Path(__file__).resolve().parent.parent

# Student-t 0.975 quantiles from printed tables (df = 1, 3), not from scipy.
T_975_DF1 = 12.706204736174698
T_975_DF3 = 3.182446305284263


# --- seeds --------------------------------------------------------------------------------------


def test_seeds_are_deterministic_and_distinct():
    seeds = replication_seeds(20261125, 50)
    assert seeds == replication_seeds(20261125, 50)
    assert len(set(seeds)) == 50
    assert all(isinstance(s, int) and 0 <= s < 2**63 for s in seeds)


def test_seed_of_a_replication_does_not_depend_on_how_many_run():
    assert replication_seeds(7, 3) == replication_seeds(7, 20)[:3]


def test_different_master_seeds_give_different_seeds():
    assert set(replication_seeds(1, 10)).isdisjoint(replication_seeds(2, 10))


def test_seeds_follow_seed_sequence_spawn():
    child = np.random.SeedSequence(99).spawn(3)[2]
    expected = int(child.generate_state(1, dtype=np.uint64)[0]) & (2**63 - 1)
    assert replication_seeds(99, 3)[2] == expected


# --- summary statistics -------------------------------------------------------------------------


def with_metric(make_results, values):
    results = make_results(len(values))
    for result, value in zip(results, values, strict=True):
        result.summary["serious_incidents"] = value
    return summarise(results)["serious_incidents"]


def test_summary_has_every_metric_with_unit(make_results):
    summary = summarise(make_results(3))
    assert tuple(summary) == METRIC_KEYS
    for key, stats in summary.items():
        assert set(stats) == {"mean", "ci95_low", "ci95_high", "sd", "n", "unit"}
        assert stats["unit"] == METRICS_BY_KEY[key].unit
        assert stats["n"] == 3


def test_t_interval_matches_hand_computation(make_results):
    stats = with_metric(make_results, [1.0, 2.0, 3.0, 4.0])
    sd = math.sqrt(((1.5**2) * 2 + (0.5**2) * 2) / 3)  # sample SD, n - 1 = 3
    half = T_975_DF3 * sd / 2  # sqrt(4) = 2
    assert stats["n"] == 4
    assert stats["mean"] == pytest.approx(2.5)
    assert stats["sd"] == pytest.approx(1.2909944487358056)
    assert stats["ci95_low"] == pytest.approx(2.5 - half, rel=1e-12)
    assert stats["ci95_high"] == pytest.approx(2.5 + half, rel=1e-12)
    assert stats["ci95_low"] == pytest.approx(0.4457, abs=1e-4)


def test_single_replication_has_no_spread_or_interval(make_results):
    stats = with_metric(make_results, [3.5])
    assert (stats["mean"], stats["n"], stats["unit"]) == (3.5, 1, "incidents")
    assert all(math.isnan(stats[key]) for key in ("ci95_low", "ci95_high", "sd"))


def test_nan_is_dropped_for_that_metric_only(make_results):
    results = make_results(3)
    results[1].summary["serious_incidents"] = float("nan")
    summary = summarise(results)
    stats = summary["serious_incidents"]
    k = METRIC_KEYS.index("serious_incidents")
    values = [k + 0.0, k + 2.0]
    assert stats["n"] == 2
    assert stats["mean"] == pytest.approx(k + 1.0)
    assert stats["sd"] == pytest.approx(math.sqrt(2))
    assert stats["ci95_high"] - stats["mean"] == pytest.approx(
        T_975_DF1 * math.sqrt(2) / math.sqrt(2)
    )
    # The t interval reaches below zero; a count cannot, so the interval is clipped at 0.
    assert np.mean(values) - T_975_DF1 < 0
    assert stats["ci95_low"] == 0.0
    assert summary["leavers"]["n"] == 3


def test_share_interval_is_clipped_to_zero_one(make_results):
    results = make_results(3)
    for result, value in zip(results, [0.2, 0.99, 1.0], strict=True):
        result.summary["visit_timeliness"] = value
    stats = summarise(results)["visit_timeliness"]
    assert stats["ci95_high"] == 1.0
    assert 0.0 <= stats["ci95_low"] < stats["mean"]


def test_all_nan_gives_nan_statistics_and_n_zero(make_results):
    stats = with_metric(make_results, [float("nan")] * 3)
    assert stats["n"] == 0
    assert all(math.isnan(stats[s]) for s in ("mean", "ci95_low", "ci95_high", "sd"))


def test_missing_metric_is_an_error(make_results):
    results = make_results(2)
    del results[1].summary["leavers"]
    with pytest.raises(KeyError, match="replication 1: summary lacks metric 'leavers'"):
        summarise(results)


@pytest.mark.slow
def test_unreachable_scheduler_is_a_clear_error():
    config = load_scenario(REPO_ROOT / "tests" / "data" / "good.toml")
    with pytest.raises(
        SchedulerError, match=r"cannot reach Dask scheduler at tcp://127\.0\.0\.1:9"
    ):
        run_replications(config, 2, 1, scheduler="tcp://127.0.0.1:9")


# --- the real model: serial and parallel must agree ---------------------------------------------
# These need sim.engine.run (the model); they fail, rather than skip, until it exists.


@pytest.fixture(scope="module")
def short_config():
    config = load_scenario(REPO_ROOT / "tests" / "data" / "good.toml")
    return with_overrides(config, days=40, replications=3)


def assert_same_results(left, right):
    assert [r.replication for r in left] == [r.replication for r in right]
    assert [r.seed for r in left] == [r.seed for r in right]
    for a, b in zip(left, right, strict=True):
        assert a.summary.keys() == b.summary.keys()
        for key in a.summary:
            assert a.summary[key] == b.summary[key] or (
                math.isnan(a.summary[key]) and math.isnan(b.summary[key])
            ), key
        for table in ("daily", "workers", "cases"):
            pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table))


@pytest.mark.slow
def test_serial_equals_dask_parallel(short_config):
    calls = []
    serial = run_replications(short_config, 3, 42, workers=1)
    parallel = run_replications(
        short_config, 3, 42, workers=2, progress=lambda done, total: calls.append((done, total))
    )
    assert [r.replication for r in serial] == [0, 1, 2]
    assert [r.seed for r in serial] == replication_seeds(42, 3)
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert_same_results(serial, parallel)


@pytest.mark.slow
def test_replication_results_do_not_depend_on_how_many_run(short_config):
    two = run_replications(short_config, 2, 42, workers=1)
    three = run_replications(short_config, 3, 42, workers=1)
    assert_same_results(two, three[:2])


def test_serial_progress_counts_days_within_each_replication(short_config):
    calls = []
    run_replications(short_config, 2, 42, workers=1, progress=lambda d, t: calls.append((d, t)))
    done = [d for d, _ in calls]
    assert all(t == 2 for _, t in calls)
    assert done == sorted(done) and done[-1] == 2
    assert 1 in done  # the first replication's completion is reported as a whole number
    assert any(0 < d < 1 for d in done) and any(1 < d < 2 for d in done)
