"""The baseline reproduces the published calibration targets (docs/calibration.md).

A regression test on the calibrated defaults: over 120 replications of the embedded baseline with
its own master seed, every target metric's 95% interval for the mean must reach into the plausible
range of shared/facts.md, i.e. the model is not statistically distinguishable from lying outside
it. One team (a workforce of six) varies a lot between replications, so a single batch's mean can
sit a little outside a range that the model's long-run mean is well inside (docs/calibration.md).
"""

from __future__ import annotations

import pytest

from sim.calibration import TARGETS, compare
from sim.paths import default_scenario
from sim.replications import run_replications, summarise
from sim.scenario import load_scenario

REPLICATIONS = 120


@pytest.fixture(scope="module")
def baseline_summary() -> dict:
    config = load_scenario(default_scenario())
    results = run_replications(config, REPLICATIONS, config.simulation.seed, workers=2)
    return summarise(results)


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS, ids=[t.metric for t in TARGETS])
def test_baseline_consistent_with_published_range(baseline_summary, target):
    stats = baseline_summary[target.metric]
    interval = f"{stats['mean']:.4f} ({stats['ci95_low']:.4f}-{stats['ci95_high']:.4f})"
    bounds = f"[{target.low}, {target.high}] ({target.basis})"
    assert stats["ci95_high"] >= target.low and stats["ci95_low"] <= target.high, (
        f"{target.metric} = {interval}: the whole interval lies outside {bounds}"
    )


def test_compare_flags_values_outside_the_range():
    means = {t.metric: t.central for t in TARGETS}
    assert all(c.within for c in compare(means))
    means[TARGETS[0].metric] = TARGETS[0].high * 2
    assert not compare(means)[0].within
