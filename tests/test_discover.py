"""Scenario discovery: PRIM finds a planted box, and ``caseload discover`` puts it in the brief."""

from __future__ import annotations

import json
import re
import textwrap

import numpy as np
import pandas as pd
import pytest

from sim.experiments.discover import (
    DiscoveryError,
    choose_box,
    discover,
    discovery_sentence,
)
from sim.scenario.levers import setting_label
from tests.conftest import REPO_ROOT, caseload


def planted(n: int = 800, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    """Overdue visits are high exactly when the cap is below 16 and demand above 0.6."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {
            "cap": rng.uniform(10.0, 30.0, n),
            "demand": rng.uniform(0.4, 0.8, n),
            "noise": rng.uniform(0.0, 1.0, n),
        }
    )
    inside = (x["cap"] < 16.0) & (x["demand"] > 0.6)
    return x, np.where(inside, 2000.0, 100.0) + rng.normal(0.0, 50.0, n)


def test_prim_finds_a_planted_box():
    x, y = planted()
    found = discover(x, y, "overdue_visit_case_days", 1000.0)
    limits = {r.factor: r for r in found.restrictions}
    assert set(limits) == {"cap", "demand"}  # the noise factor is left free
    assert limits["cap"].high == pytest.approx(16.0, abs=0.8)
    assert limits["cap"].low == pytest.approx(10.0, abs=0.1)  # not restricted from below
    assert limits["demand"].low == pytest.approx(0.6, abs=0.03)
    assert found.coverage >= 0.9 and found.density >= 0.9
    share_bad = found.n_bad / found.n_cases
    assert found.mass == pytest.approx(share_bad, abs=0.03)
    sentence = discovery_sentence(found, {"cap": "Cap per FTE", "demand": "Referrals per day"})
    assert re.search(
        r"Cap per FTE is at most 1[56]\.\d and Referrals per day is at least 0\.[56]", sentence
    )
    assert f"{found.coverage:.0%} of the bad runs (coverage)" in sentence


def test_higher_is_better_outcomes_are_bad_below_the_value():
    x, y = planted()
    timeliness = np.where(y > 1000, 0.6, 0.95)
    found = discover(x, timeliness, "visit_timeliness", 0.8)
    assert found.bad_if == "<"
    assert {r.factor for r in found.restrictions} == {"cap", "demand"}


def test_the_chosen_box_is_the_widest_dense_enough_one():
    trajectory = pd.DataFrame(
        {
            "coverage": [1.0, 0.95, 0.95, 0.7],
            "density": [0.3, 0.82, 0.9, 1.0],
            "res_dim": [0, 1, 2, 2],
        }
    )
    assert choose_box(trajectory, 0.8) == 2  # same coverage, denser
    assert choose_box(trajectory, 0.99) == 3
    assert choose_box(trajectory.assign(density=[0.1, 0.2, 0.3, 0.4]), 0.8) == 3  # the densest


def test_a_threshold_no_run_crosses_is_refused_in_one_line():
    x, y = planted()
    with pytest.raises(DiscoveryError, match=r"^--worse-than: none of the 800 runs"):
        discover(x, y, "overdue_visit_case_days", 1e9)
    with pytest.raises(DiscoveryError, match="neither better nor worse"):
        discover(x, y, "referrals_received", 10)


def test_discover_end_to_end_reusing_a_sweep(tmp_path):
    experiment = tmp_path / "experiment.toml"
    experiment.write_text(
        textwrap.dedent(
            f"""\
            name = "cap"
            scenario = "{(REPO_ROOT / "scenarios" / "baseline.toml").as_posix()}"
            replications = 1
            days = 60
            set = ["simulation.warmup_days = 20", 'allocation.cap_kind = "count"',
                   'allocation.at_cap = "wait"']
            outcomes = ["unallocated_case_days", "staff_cost_total"]
            [design]
            method = "grid"
            [[factors]]
            key = "allocation.cap_per_fte"
            name = "cap"
            values = [8.0, 10.0, 12.0, 16.0, 20.0, 26.0]
            [[factors]]
            key = "demand.referrals_per_day"
            name = "demand"
            values = [0.4, 0.8]
            """
        )
    )
    sweep = tmp_path / "sweep"
    done = caseload(
        "sweep", str(experiment), "--quiet", "--no-pdf", "--workers", "1", "--out", str(sweep)
    )
    assert done.returncode == 0, done.stderr
    runs = pd.read_parquet(sweep / "runs.parquet")
    threshold = float(runs["unallocated_case_days"].median())
    out = tmp_path / "discover"
    done = caseload(
        "discover", str(experiment), "--outcome", "unallocated_case_days",
        "--worse-than", f"{threshold}", "--from", str(sweep), "--quiet", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Reusing the 12 runs" in done.stdout
    found = json.loads((out / "discovery.json").read_text())
    assert found["bad_runs"] > 0 and 0 < found["coverage"] <= 1 and 0 < found["density"] <= 1
    assert any(box["factor"] == "cap" for box in found["box"])  # a tighter cap is what hurts
    for name in ("plots/peeling.png", "plots/box.png", "trajectory.parquet", "brief.pdf"):
        assert (out / name).is_file(), name
    pypdf = pytest.importorskip("pypdf")
    brief = " ".join(pypdf.PdfReader(out / "brief.pdf").pages[0].extract_text().split())
    assert "Cases waiting unallocated above" in brief and "(coverage)" in brief
    assert f"{setting_label('allocation.cap_per_fte')} is" in brief
    # a sweep of another experiment is not reused
    other = tmp_path / "other.toml"
    other.write_text(experiment.read_text().replace('name = "cap"', 'name = "other"'))
    done = caseload(
        "discover", str(other), "--outcome", "unallocated_case_days", "--worse-than", "1",
        "--from", str(sweep), "--quiet", "--out", str(tmp_path / "x"),
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("--from: ")
