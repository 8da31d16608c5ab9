"""Output files: complete, atomic, self-describing (manifest hashes, seeds, versions)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

import sim.outputs.files
from sim.cli.run import RUN_DOCUMENTS
from sim.engine.metrics import DAILY_COLUMNS, METRIC_KEYS
from sim.outputs.files import OUTPUT_FILES, OutputError, sha256_of, write_outputs
from sim.scenario.loading import load_scenario

REPO_ROOT = Path(__file__).resolve().parent.parent
GOOD = REPO_ROOT / "tests" / "data" / "good.toml"


@pytest.fixture
def config():
    return load_scenario(GOOD)


@pytest.fixture
def written(tmp_path, config, make_results):
    out = tmp_path / "nested" / "out"  # created, parents included
    write_outputs(
        out,
        config,
        make_results(3, nan_metric="mean_wait_days_to_allocation"),
        77,
        command=["caseload", "run", "good.toml"],
    )
    return out


def test_exactly_the_output_files_and_no_temporary_leftovers(written):
    assert sorted(os.listdir(written)) == sorted(OUTPUT_FILES)


def test_manifest_hashes_match_the_files(written):
    manifest = json.loads((written / "manifest.json").read_text())
    assert set(manifest["files"]) == set(OUTPUT_FILES) - {"manifest.json"}
    for name, entry in manifest["files"].items():
        assert entry["sha256"] == sha256_of(written / name)
        assert entry["bytes"] == (written / name).stat().st_size


def test_manifest_records_seeds_versions_and_command(written):
    manifest = json.loads((written / "manifest.json").read_text())
    assert manifest["master_seed"] == 77
    assert manifest["seeds"] == [1000, 1001, 1002]
    assert manifest["replications"] == 3
    assert manifest["command"] == "caseload run good.toml"
    assert set(manifest["versions"]) == {
        "python",
        "caseload",
        "mesa",
        "numpy",
        "scipy",
        "pandas",
        "pydantic",
        "pyarrow",
        "dask",
    }
    assert manifest["versions"]["caseload"] != "unknown"
    assert manifest["platform"]


def test_summary_json_shape(written):
    summary = json.loads((written / "summary.json").read_text())
    assert set(summary) == {*METRIC_KEYS, "run"}
    for key in METRIC_KEYS:
        assert set(summary[key]) == {"mean", "ci95_low", "ci95_high", "sd", "n", "unit"}
    assert summary["leavers"]["n"] == 3
    k = METRIC_KEYS.index("leavers")
    assert summary["leavers"]["mean"] == pytest.approx(k + 1.0)
    # a metric undefined in every replication is written as null (strict JSON, no NaN)
    assert summary["mean_wait_days_to_allocation"]["mean"] is None
    assert summary["mean_wait_days_to_allocation"]["n"] == 0
    run = summary["run"]
    assert run["scenario"] == "good"
    assert (run["replications"], run["master_seed"], run["days"]) == (3, 77, 60)
    assert run["created"].endswith("+00:00")


def test_tables_are_stacked_with_a_replication_column(written):
    daily = pd.read_parquet(written / "daily.parquet")
    assert list(daily.columns) == ["replication", *DAILY_COLUMNS]
    assert len(daily) == 3 * 5
    assert sorted(daily["replication"].unique()) == [0, 1, 2]
    cases = pd.read_parquet(written / "cases.parquet")
    assert len(cases) == 4 + 5 + 6
    assert (cases.groupby("replication").size() == [4, 5, 6]).all()
    workers = pd.read_parquet(written / "workers.parquet")
    assert list(workers.columns) == ["replication", "worker_id", "fte", "left"]


def test_scenario_toml_reloads_to_the_same_scenario(written, config):
    assert load_scenario(written / "scenario.toml") == config


def test_rewriting_replaces_files(written, config, make_results):
    before = sha256_of(written / "daily.parquet")
    write_outputs(written, config, make_results(2), 77)
    assert sha256_of(written / "daily.parquet") != before
    assert sorted(os.listdir(written)) == sorted(OUTPUT_FILES)
    assert json.loads((written / "summary.json").read_text())["run"]["replications"] == 2


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_failure_part_way_changes_nothing(written, config, make_results, monkeypatch, failure):
    before = {name: sha256_of(written / name) for name in OUTPUT_FILES}
    calls = []

    def write_then_fail(path, frame):
        calls.append(path.name)
        if len(calls) == 2:
            raise failure
        return original(path, frame)

    original = sim.outputs.files.write_parquet
    monkeypatch.setattr(sim.outputs.files, "write_parquet", write_then_fail)
    expected = OutputError if isinstance(failure, OSError) else KeyboardInterrupt
    with pytest.raises(expected):
        write_outputs(written, config, make_results(2), 5)
    assert sorted(os.listdir(written)) == sorted(OUTPUT_FILES)
    assert {name: sha256_of(written / name) for name in OUTPUT_FILES} == before


def test_unwritable_directory_is_an_output_error(tmp_path, config, make_results):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    with pytest.raises(OutputError, match="cannot write to output directory"):
        write_outputs(blocker / "out", config, make_results(1), 1)


# --- end to end with the real model -------------------------------------------------------------


@pytest.mark.slow
def test_caseload_run_end_to_end(run_caseload, tmp_path):
    out = tmp_path / "run"
    done = run_caseload(
        "run",
        "tests/data/good.toml",
        "--reps",
        "2",
        "--days",
        "30",
        "--seed",
        "5",
        "--out",
        str(out),
        "--set",
        "team.social_worker_posts=6",
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(os.listdir(out)) == sorted([*OUTPUT_FILES, *RUN_DOCUMENTS])
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) == {*METRIC_KEYS, "run"}
    assert all(summary[k]["n"] <= 2 for k in METRIC_KEYS)
    assert summary["run"] == {**summary["run"], "replications": 2, "master_seed": 5, "days": 30}
    resolved = load_scenario(out / "scenario.toml")
    assert resolved.team.social_worker_posts == 6
    assert (resolved.simulation.days, resolved.simulation.replications) == (30, 2)
    assert resolved.simulation.seed == 5
    daily = pd.read_parquet(out / "daily.parquet")
    assert list(daily.columns[:2]) == ["replication", "day"]
    assert len(daily) == 2 * 30
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"].startswith("caseload run tests/data/good.toml --reps 2")
    assert "replication 2/2 done" in done.stderr  # line-per-replication progress off a terminal
    assert "Scenario 'good'" in done.stdout
    assert "95% interval" in done.stdout
    assert f"Outputs written to {out}/" in done.stdout


@pytest.mark.slow
def test_rerunning_from_written_scenario_reproduces_the_summary(run_caseload, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    args = ("--workers", "1", "--quiet")
    done = run_caseload(
        "run", "tests/data/good.toml", "--reps", "2", "--days", "40", "--out", str(first), *args
    )
    assert done.returncode == 0, done.stderr
    done = run_caseload("run", str(first / "scenario.toml"), "--out", str(second), *args)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""

    def numbers(path):
        summary = json.loads((path / "summary.json").read_text())
        summary.pop("run")
        return summary

    assert numbers(first) == numbers(second)
    assert sha256_of(first / "daily.parquet") == sha256_of(second / "daily.parquet")


def test_worker_days_switched_off_gives_an_empty_table_with_the_columns(tmp_path):
    from sim.engine.run import run
    from sim.engine.worker_days import COLUMNS

    config = load_scenario(GOOD, ["simulation.collect_worker_days=false", "simulation.days=30"])
    result = run(config, 3)
    assert result.worker_days.empty
    assert list(result.worker_days.columns) == list(COLUMNS)
    out = tmp_path / "out"
    write_outputs(out, config, [result], 3, command=["caseload"])
    assert len(pd.read_parquet(out / "worker_days.parquet")) == 0


def test_staging_left_by_a_killed_command_is_removed_by_the_next_write(
    tmp_path, config, make_results
):
    out = tmp_path / "out"
    killed = out / ".caseload-partial-k1ll3d"  # what kill -9 mid-write leaves
    (killed / "plots").mkdir(parents=True)
    (killed / "summary.json").write_text("{}")
    check = out / ".caseload-check-x1"
    check.write_text("")
    started = sim.outputs.files.STARTED
    for path in (killed, check):
        os.utime(path, (started - 60, started - 60))
    running = out / ".caseload-partial-l1ve"  # a command started after this one: not ours
    running.mkdir()
    os.utime(running, (started + 3600, started + 3600))
    write_outputs(out, config, make_results(1), 1)
    assert not killed.exists() and not check.exists()
    assert running.is_dir()
    assert sorted(os.listdir(out)) == sorted([*OUTPUT_FILES, running.name])


def test_an_output_lock_refuses_a_second_holder_and_leaves_no_file(tmp_path):
    from sim.outputs.files import LOCK_FILE, FolderInUse, OutputLock

    with OutputLock(tmp_path, command=["caseload", "run", "a.toml"]):
        assert (tmp_path / LOCK_FILE).read_text() == f"{os.getpid()} caseload run a.toml\n"
        second = OutputLock(tmp_path)
        with pytest.raises(FolderInUse, match=rf"\(pid {os.getpid()}: caseload run a.toml\)"):
            second.__enter__()
    assert os.listdir(tmp_path) == []
    with OutputLock(tmp_path):  # free again
        pass
