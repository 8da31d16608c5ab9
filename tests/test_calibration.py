"""The baseline reproduces the published calibration targets (docs/calibration.md).

A regression test on the calibrated defaults: 40 replications of the embedded baseline with its
own master seed must put every target metric's mean inside the plausible range of shared/facts.md.
"""

from __future__ import annotations

import pytest

from sim.calibration import TARGETS, compare
from sim.paths import default_scenario
from sim.replications import run_replications, summarise
from sim.scenario import load_scenario

REPLICATIONS = 40


@pytest.fixture(scope="module")
def baseline_summary() -> dict:
    config = load_scenario(default_scenario())
    results = run_replications(config, REPLICATIONS, config.simulation.seed, workers=1)
    return summarise(results)


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS, ids=[t.metric for t in TARGETS])
def test_baseline_mean_within_published_range(baseline_summary, target):
    (check,) = [
        c
        for c in compare({k: v["mean"] for k, v in baseline_summary.items()})
        if c.target == target
    ]
    bounds = f"[{target.low}, {target.high}]"
    assert check.within, f"{target.metric} = {check.value:.4f}, outside {bounds} ({target.basis})"


def test_compare_flags_values_outside_the_range():
    means = {t.metric: t.central for t in TARGETS}
    assert all(c.within for c in compare(means))
    means[TARGETS[0].metric] = TARGETS[0].high * 2
    assert not compare(means)[0].within
