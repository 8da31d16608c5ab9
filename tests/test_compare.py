"""``caseload compare``: paired statistics, and the command as a user runs it."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.engine.metrics import METRIC_KEYS
from sim.experiments.compare import COMPARISON_COLUMNS, paired_difference, unique_labels
from tests.conftest import caseload

BASELINE = "scenarios/baseline.toml"
CAP = "scenarios/levers/caseload_cap.toml"
ADMIN = "scenarios/levers/admin_support.toml"
SHORT = ["--days", "120", "--set", "simulation.warmup_days=40"]


def test_paired_difference_matches_a_paired_t_interval():
    base = np.array([10.0, 12.0, 9.0, 11.0, 13.0])
    other = np.array([12.0, 15.0, 10.0, 14.0, 15.0])
    result = paired_difference(base, other)
    diffs = other - base
    half = stats.t.ppf(0.975, 4) * diffs.std(ddof=1) / math.sqrt(5)
    assert result["diff_mean"] == pytest.approx(2.2)
    assert result["diff_ci95_low"] == pytest.approx(2.2 - half)
    assert result["diff_ci95_high"] == pytest.approx(2.2 + half)
    assert result["relative_change"] == pytest.approx(2.2 / 11.0)
    assert result["p_value"] == pytest.approx(stats.ttest_rel(other, base).pvalue)
    assert result["diff_n"] == 5


def test_paired_difference_drops_incomplete_pairs_and_handles_no_spread():
    base = np.array([1.0, np.nan, 3.0])
    other = np.array([2.0, 5.0, 4.0])
    result = paired_difference(base, other)
    assert result["diff_n"] == 2
    assert (result["diff_mean"], result["diff_ci95_low"], result["diff_ci95_high"]) == (1, 1, 1)
    assert math.isnan(result["p_value"])
    one = paired_difference(np.array([1.0]), np.array([3.0]))
    assert one["diff_mean"] == 2 and math.isnan(one["diff_ci95_low"])


def test_labels_are_made_unique():
    assert unique_labels(["a", "b", "a", "a"]) == ("a", "b", "a#2", "a#3")


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """One real comparison run through the console script (serially)."""
    out = tmp_path_factory.mktemp("compare")
    done = caseload(
        "compare", BASELINE, CAP, ADMIN, "--reps", "4", *SHORT, "--workers", "1", "--out", str(out)
    )
    return done, out


def test_compare_prints_a_table_and_writes_every_output(compared):
    done, out = compared
    assert done.returncode == 0, done.stderr
    assert "Comparing 2 scenario(s) with 'baseline'" in done.stdout
    assert "caseload_cap" in done.stdout and "admin_support" in done.stdout
    assert "paired difference" in done.stdout
    for name in (
        "comparison.parquet",
        "runs.parquet",
        "series.parquet",
        "plots/differences.png",
        "plots/over_time.png",
        "report.html",
        "scenarios/baseline.toml",
        "scenarios/caseload_cap.toml",
        "manifest.json",
    ):
        assert (out / name).is_file(), name
    assert not (out / ".compare-journal.jsonl").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "compare" and manifest["runs"] == 12
    assert manifest["runs_reused"] == 0
    assert set(manifest["files"]) >= {"report.html", "plots/differences.png"}


def test_comparison_table_is_paired_and_complete(compared):
    _, out = compared
    table = pd.read_parquet(out / "comparison.parquet")
    assert list(table.columns) == list(COMPARISON_COLUMNS)
    assert len(table) == 3 * len(METRIC_KEYS)
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 12
    # common random numbers: replication r has the same seed in every scenario
    seeds = runs.pivot(index="replication", columns="scenario", values="seed")
    assert (seeds.nunique(axis=1) == 1).all()
    # the table's paired difference is recomputable from the runs
    wide = runs.pivot(index="replication", columns="scenario", values="unallocated_case_days")
    diff = (wide["caseload_cap"] - wide["baseline"]).mean()
    row = table[(table.scenario == "caseload_cap") & (table.metric == "unallocated_case_days")]
    assert row["diff_mean"].item() == pytest.approx(diff)
    base = table[(table.scenario == "baseline")]
    assert base["diff_n"].eq(0).all() and base["diff_mean"].isna().all()
    # fresh referrals do not depend on the lever: identical arrivals under common random
    # numbers (re-referrals follow closures, which a lever changes)
    fresh = runs["referrals_received"] - runs["re_referrals_received"]
    fresh_wide = runs.assign(fresh=fresh).pivot(
        index="replication", columns="scenario", values="fresh"
    )
    for scenario in fresh_wide.columns:
        assert (fresh_wide[scenario] == fresh_wide["baseline"]).all(), scenario


def test_report_is_one_self_contained_file(compared):
    _, out = compared
    html = (out / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("data:image/png;base64,") == 3  # changes, paired runs, over time
    assert "caseload_cap" in html and "common random numbers" in html
    assert "<script" not in html


def test_compare_against_itself_changes_nothing(run_caseload, tmp_path):
    done = run_caseload(
        "compare",
        BASELINE,
        BASELINE,
        "--reps",
        "2",
        *SHORT,
        "--workers",
        "1",
        "--quiet",
        "--out",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    table = pd.read_parquet(tmp_path / "comparison.parquet")
    other = table[table.scenario == "baseline#2"]
    defined = other.dropna(subset=["diff_mean"])
    # only metrics that can be undefined in a replication (a group with no worker-days, no
    # looked-after child at a census, the manager's figures with the manager model off) may be NaN
    undefined = set(other["metric"]) - set(defined["metric"])
    assert undefined <= {
        "manager_stress_mean",
        "manager_reviews_overdue_share",
        "supervision_on_time_share",
        "re_referral_rate_12m",
        "burnout_prevalence_first_year",
        "burnout_prevalence_years_2_3",
        "burnout_prevalence_agency",
        "looked_after_2plus_worker_changes_share",
    }, undefined
    assert (defined["diff_mean"] == 0).all()
    # a metric defined in one replication only has a mean but no interval
    spread = defined.dropna(subset=["diff_ci95_low", "diff_ci95_high"])
    assert len(spread) >= len(defined) - len(undefined) - 3
    assert (spread["diff_ci95_low"] == 0).all() and (spread["diff_ci95_high"] == 0).all()
    html = (tmp_path / "report.html").read_text()
    assert "none: the two scenarios are the same model." in html


def test_bad_scenarios_are_reported_together_without_traceback(run_caseload, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "../nowhere.toml"\n')
    typo = tmp_path / "typo.toml"
    typo.write_text("[demand]\nreferals_per_day = 1\n")
    done = run_caseload("compare", BASELINE, str(bad), str(typo), "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert any(str(bad) in line and "nowhere.toml" in line for line in lines)
    assert any(line.startswith(f"{typo}: demand.referals_per_day: unknown key") for line in lines)
    assert not (tmp_path / "o" / "report.html").exists()


def test_a_bad_flag_is_reported_once_not_once_per_scenario(run_caseload, tmp_path):
    done = run_caseload("compare", BASELINE, CAP, ADMIN, "--reps", "0", "--out", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "--reps: simulation.replications: Input should be greater than or equal to 1 (got 0)"
    ]


def test_the_console_and_report_show_intervals_for_every_scenario(compared):
    done, out = compared
    table = pd.read_parquet(out / "comparison.parquet")
    cap = table[(table.scenario == "caseload_cap") & (table.metric == "visit_timeliness")].iloc[0]
    low = f"{cap['ci95_low'] * 100:.1f}%"
    assert low in done.stdout
    change = f"{cap['diff_mean'] * 100:+.1f} pp"
    html = (out / "report.html").read_text()
    assert change in html and change in done.stdout
    assert "allocation.cap_kind" in html  # the settings that differ from the baseline
    assert "How to reproduce this report" in html


def test_a_different_warm_up_is_refused(run_caseload, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text(f'extends = "{Path(BASELINE).resolve()}"\n[simulation]\nwarmup_days = 100\n')
    done = run_caseload("compare", BASELINE, str(other), "--reps", "2", "--out", str(tmp_path))
    assert done.returncode == 2
    assert "simulation.warmup_days: is 100 but the baseline's is 260" in done.stderr


def test_every_comparison_column_is_documented():
    docs = (Path(__file__).resolve().parent.parent / "docs" / "experiments.md").read_text()
    for column in COMPARISON_COLUMNS:
        if column not in ("scenario", "metric", "unit", "group"):
            assert f"`{column}`" in docs, column
