"""``caseload sweep``: sensitivity indices, outputs, resuming after a kill, serial = distributed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiments.design import load_plan
from sim.experiments.sweep import main_effects, sensitivity
from tests.conftest import as_at_a_terminal, caseload

REPO_ROOT = Path(__file__).resolve().parent.parent
BASELINE = (REPO_ROOT / "scenarios" / "baseline.toml").as_posix()


def experiment_file(folder: Path, design: str, factors: str, days: int = 60, reps: int = 2) -> Path:
    path = folder / "experiment.toml"
    path.write_text(
        textwrap.dedent(
            f"""\
            name = "small"
            scenario = "{BASELINE}"
            replications = {reps}
            days = {days}
            set = ["simulation.warmup_days = 20"]
            outcomes = ["overdue_visit_case_days", "burnout_prevalence", "staff_cost_total"]
            """
        )
        + textwrap.dedent(design)
        + textwrap.dedent(factors)
    )
    return path


GRID = """
[design]
method = "grid"
"""
TWO_FACTORS = """
[[factors]]
key = "support.admin_staff"
name = "admin"
values = [0.0, 1.0]
[[factors]]
key = "demand.referrals_per_day"
name = "demand"
values = [0.4, 0.8]
"""
RANGES = """
[[factors]]
key = "demand.referrals_per_day"
name = "x1"
low = 0.4
high = 0.7
[[factors]]
key = "support.admin_staff"
name = "x2"
low = 0.0
high = 1.0
"""


def synthetic(plan, y) -> pd.DataFrame:
    """A points table whose one outcome is the given function of the design's values."""
    points = plan.values.copy()
    points["overdue_visit_case_days_mean"] = y
    return points


@pytest.mark.parametrize(
    ("function", "expected"),
    [(lambda a, d: 3 * a, [1.0, 0.0]), (lambda a, d: a + 2.5 * d, [0.5, 0.5])],
)
def test_grid_main_effects_are_exact_for_additive_outcomes(tmp_path, function, expected):
    plan = load_plan(str(experiment_file(tmp_path, GRID, TWO_FACTORS)))
    y = function(plan.values["admin"].to_numpy(), plan.values["demand"].to_numpy())
    assert main_effects(plan, y) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("design", "index", "check"),
    [
        ('[design]\nmethod = "sobol"\nsamples = 64\nseed = 1\n', "ST", (0.9, 0.05)),
        ('[design]\nmethod = "lhs"\nsamples = 200\nseed = 1\n', "S1", (0.8, 0.2)),
        ('[design]\nmethod = "morris"\nsamples = 20\nseed = 1\n', "mu_star", (0.29, 1e-12)),
    ],
)
def test_salib_indices_find_the_factor_that_matters(tmp_path, design, index, check):
    plan = load_plan(str(experiment_file(tmp_path, design, RANGES)))
    y = plan.matrix[:, 0]  # the outcome is x1 itself; x2 does nothing
    table = sensitivity(plan, synthetic(plan, y), ["overdue_visit_case_days"])
    values = table[table["index"] == index].set_index("factor")["value"]
    at_least, at_most = check
    assert values["x1"] >= at_least
    assert abs(values["x2"]) <= at_most


def test_an_outcome_that_never_varies_has_undefined_indices(tmp_path):
    plan = load_plan(str(experiment_file(tmp_path, GRID, TWO_FACTORS)))
    table = sensitivity(plan, synthetic(plan, np.ones(4)), ["overdue_visit_case_days"])
    assert table["value"].isna().all() and len(table) == 2


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    path = experiment_file(folder, GRID, TWO_FACTORS)
    done = caseload("sweep", str(path), "--workers", "1", "--out", str(folder / "out"))
    return done, folder / "out"


def test_sweep_writes_tables_plots_and_report(swept):
    done, out = swept
    assert done.returncode == 0, done.stderr
    assert "grid design, 4 points × 2 replications = 8 runs" in done.stdout
    assert "Sensitivity (grid)" in done.stdout
    points = pd.read_parquet(out / "points.parquet")
    assert list(points[["admin", "demand"]].itertuples(index=False, name=None)) == [
        (0.0, 0.4),
        (0.0, 0.8),
        (1.0, 0.4),
        (1.0, 0.8),
    ]
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 8
    means = runs.groupby("point")["staff_cost_total"].mean().to_numpy()
    assert points["staff_cost_total_mean"].to_numpy() == pytest.approx(means)
    # admin staff cost money: the cost outcome rises with admin at both demand levels
    assert (means[2:] > means[:2]).all()
    indices = pd.read_parquet(out / "sensitivity.parquet")
    assert set(indices["factor"]) == {"admin", "demand"}
    for outcome in ("overdue_visit_case_days", "burnout_prevalence", "staff_cost_total"):
        assert (out / "plots" / f"heatmap-{outcome}.png").is_file()
    html = (out / "report.html").read_text()
    assert "Caseload sweep: small" in html and "data:image/png;base64," in html
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["kind"], manifest["points"], manifest["runs"]) == ("sweep", 4, 8)
    assert (out / "experiment.toml").read_text().startswith('name = "small"')
    assert not (out / ".sweep-journal.jsonl").exists()


def test_sweep_with_a_bad_experiment_exits_2_without_traceback(tmp_path):
    path = experiment_file(tmp_path, GRID, TWO_FACTORS.replace("support.admin_staff", "support.x"))
    done = caseload("sweep", str(path), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        f"{path}: factors[0].key: not a scenario setting (got 'support.x')"
    )


def _launch(*args: str) -> subprocess.Popen:
    import shutil
    import sys

    script = shutil.which("caseload", path=str(Path(sys.executable).parent))
    return subprocess.Popen(
        [script, *args],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=as_at_a_terminal,
    )


def _wait_for_lines(path: Path, count: int, process: subprocess.Popen, limit: float = 300) -> None:
    deadline = time.monotonic() + limit
    while not (path.exists() and len(path.read_text().splitlines()) >= count):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the sweep made no progress"
        time.sleep(0.02)


def test_a_killed_sweep_resumes_without_losing_or_repeating_runs(tmp_path):
    path = experiment_file(tmp_path, GRID, TWO_FACTORS, days=200, reps=3)
    out = tmp_path / "out"
    journal = out / ".sweep-journal.jsonl"
    process = _launch("sweep", str(path), "--workers", "1", "--out", str(out))
    _wait_for_lines(journal, 3, process)
    os.killpg(process.pid, signal.SIGKILL)  # no chance to clean up
    process.wait(timeout=30)
    saved = len([line for line in journal.read_text().splitlines() if line.endswith("}")])
    assert 3 <= saved < 12
    assert not (out / "runs.parquet").exists()

    resumed = caseload("sweep", str(path), "--workers", "1", "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert f"Resuming: {saved} of 12 runs saved by an interrupted sweep." in resumed.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["runs"], manifest["runs_reused"]) == (12, saved)  # the rest ran once each

    reference = caseload(
        "sweep", str(path), "--workers", "1", "--no-resume", "--out", str(tmp_path / "ref")
    )
    assert reference.returncode == 0, reference.stderr
    for name in ("runs.parquet", "points.parquet", "sensitivity.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(out / name), pd.read_parquet(tmp_path / "ref" / name)
        )


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_keeps_finished_runs_and_says_how_to_resume(tmp_path, workers):
    path = experiment_file(tmp_path, GRID, TWO_FACTORS, days=200, reps=3)
    out = tmp_path / "out"
    process = _launch("sweep", str(path), "--workers", workers, "--out", str(out))
    _wait_for_lines(out / ".sweep-journal.jsonl", 2, process)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "finished runs are saved and the same command resumes" in stderr
    assert "Traceback" not in stderr  # nor from the worker processes, which ignore Ctrl-C
    assert "KeyboardInterrupt" not in stderr
    assert not (out / "manifest.json").exists()


def test_serial_and_distributed_sweeps_are_identical(tmp_path, dask_scheduler):
    design = '[design]\nmethod = "morris"\nsamples = 2\nseed = 4\n'
    path = experiment_file(tmp_path, design, RANGES, days=80, reps=2)
    serial = caseload("sweep", str(path), "--workers", "1", "--out", str(tmp_path / "serial"))
    assert serial.returncode == 0, serial.stderr
    cluster = caseload(
        "sweep", str(path), "--scheduler", dask_scheduler, "--out", str(tmp_path / "cluster")
    )
    assert cluster.returncode == 0, cluster.stderr
    local = caseload("sweep", str(path), "--workers", "2", "--out", str(tmp_path / "local"))
    assert local.returncode == 0, local.stderr
    indices = pd.read_parquet(tmp_path / "serial" / "sensitivity.parquet")
    assert indices["value"].notna().any() and indices["value"].nunique() > 2  # not vacuous
    for name in ("runs.parquet", "points.parquet", "sensitivity.parquet"):
        expected = pd.read_parquet(tmp_path / "serial" / name)
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "cluster" / name), expected)
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "local" / name), expected)


def test_compare_on_a_running_cluster_matches_serial(tmp_path, dask_scheduler):
    common = ["--reps", "2", "--days", "80", "--set", "simulation.warmup_days=20"]
    cap = "scenarios/levers/caseload_cap.toml"
    serial = caseload(
        "compare", BASELINE, cap, *common, "--workers", "1", "--out", str(tmp_path / "s")
    )
    cluster = caseload(
        "compare",
        BASELINE,
        cap,
        *common,
        "--scheduler",
        dask_scheduler,
        "--out",
        str(tmp_path / "c"),
    )
    assert serial.returncode == 0 and cluster.returncode == 0, cluster.stderr
    for name in ("comparison.parquet", "runs.parquet", "series.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "c" / name), pd.read_parquet(tmp_path / "s" / name)
        )


def test_every_sensitivity_column_and_index_is_documented():
    from sim.experiments.sweep import SENSITIVITY_COLUMNS

    docs = (REPO_ROOT / "docs" / "experiments.md").read_text()
    for name in (*SENSITIVITY_COLUMNS, "S1", "ST", "S2", "mu_star", "sigma"):
        assert f"`{name}`" in docs, name


def test_sobol_with_second_order_indices_end_to_end(tmp_path):
    design = '[design]\nmethod = "sobol"\nsamples = 8\nsecond_order = true\nseed = 2\n'
    path = experiment_file(tmp_path, design, RANGES, days=40, reps=1)
    done = caseload("sweep", str(path), "--workers", "1", "--quiet", "--out", str(tmp_path / "o"))
    assert done.returncode == 0, done.stderr
    indices = pd.read_parquet(tmp_path / "o" / "sensitivity.parquet")
    assert set(indices["index"]) == {"S1", "ST", "S2"}
    assert (indices[indices["index"] == "S2"]["factor"] == "x1 × x2").all()
    assert (tmp_path / "o" / "plots" / "tornado-overdue_visit_case_days.png").is_file()


def test_rerunning_into_a_folder_replaces_the_earlier_outputs(tmp_path):
    out = tmp_path / "o"
    (out).mkdir()
    (out / "notes.txt").write_text("mine")
    first = experiment_file(tmp_path, GRID, TWO_FACTORS, days=40, reps=1)
    assert caseload("sweep", str(first), "--workers", "1", "--out", str(out)).returncode == 0
    assert (out / "plots" / "heatmap-burnout_prevalence.png").is_file()
    second = first.read_text().replace(
        'outcomes = ["overdue_visit_case_days", "burnout_prevalence", "staff_cost_total"]',
        'outcomes = ["leavers"]',
    )
    first.write_text(second)
    assert caseload("sweep", str(first), "--workers", "1", "--out", str(out)).returncode == 0
    plots = sorted(p.name for p in (out / "plots").iterdir())
    assert "heatmap-leavers.png" in plots
    assert all("leavers" in name for name in plots), plots
    assert (out / "notes.txt").read_text() == "mine"  # not ours: left alone


def test_a_malformed_scheduler_address_is_one_line(tmp_path):
    path = experiment_file(tmp_path, GRID, TWO_FACTORS, days=40, reps=1)
    done = caseload("sweep", str(path), "--scheduler", "notanaddress", "--out", str(tmp_path))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("caseload: error: cannot reach Dask scheduler at notanaddress")
