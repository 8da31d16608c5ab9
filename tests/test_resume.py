"""A run killed part-way resumes from its saved replications and gives the uninterrupted result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.cli.run import CHECKPOINT_DIR
from sim.runs.checkpoint import Checkpoint
from sim.runs.replications import run_replications
from sim.scenario.catalogue import repo_root
from sim.scenario.loading import load_scenario
from tests.conftest import as_at_a_terminal

ARGS = ["run", "scenarios/baseline.toml", "--reps", "8", "--days", "400", "--workers", "1"]


def _caseload(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(repo_root())}
    return subprocess.Popen(
        [sys.executable, "-m", "sim.cli.main", *args],
        cwd=repo_root(),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_at_a_terminal,
    )


@pytest.mark.slow
def test_killed_run_resumes_without_losing_or_repeating(tmp_path):
    out = tmp_path / "interrupted"
    process = _caseload(*ARGS, "--out", str(out))
    saved: list[Path] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(saved) < 3:
        time.sleep(0.05)
        saved = list((out / CHECKPOINT_DIR).glob("*/rep-*.pickle"))
    assert len(saved) >= 3, "the run saved no replications before the deadline"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert "resumes" in stderr
    assert not (out / "summary.json").exists()
    kept = sorted(p.name for p in (out / CHECKPOINT_DIR).glob("*/rep-*.pickle"))
    assert 3 <= len(kept) < 8

    resumed = _caseload(*ARGS, "--out", str(out))
    stdout, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    assert f"Resuming: {len(kept)} replication(s)" in stdout
    # Only the missing replications ran: progress starts from the saved count.
    assert f"replication {len(kept) + 1}/8 done" in stderr
    assert not (out / CHECKPOINT_DIR).exists(), "checkpoints are removed once outputs are written"

    fresh = tmp_path / "fresh"
    uninterrupted = _caseload(*ARGS, "--out", str(fresh))
    uninterrupted.communicate(timeout=300)
    assert uninterrupted.returncode == 0
    resumed_summary = json.loads((out / "summary.json").read_text())
    fresh_summary = json.loads((fresh / "summary.json").read_text())
    resumed_summary.pop("run")
    fresh_summary.pop("run")
    assert resumed_summary == fresh_summary


def test_checkpoint_ignores_a_changed_scenario(tmp_path):
    config = load_scenario(
        repo_root() / "scenarios/baseline.toml", ["simulation.days=60", "simulation.warmup_days=0"]
    )
    checkpoint = Checkpoint(tmp_path, config, 5)
    (result,) = run_replications(config, 1, 5, workers=1, checkpoint=checkpoint)
    assert checkpoint.count() == 1
    assert checkpoint.load(0, result.seed).summary == result.summary
    changed = load_scenario(
        repo_root() / "scenarios/baseline.toml", ["simulation.days=61", "simulation.warmup_days=0"]
    )
    assert Checkpoint(tmp_path, changed, 5).load(0, result.seed) is None
    assert Checkpoint(tmp_path, config, 6).load(0, result.seed) is None


def test_saved_replications_are_reused_not_rerun(tmp_path, monkeypatch):
    config = load_scenario(
        repo_root() / "scenarios/baseline.toml", ["simulation.days=60", "simulation.warmup_days=0"]
    )
    checkpoint = Checkpoint(tmp_path, config, 9)
    first = run_replications(config, 3, 9, workers=1, checkpoint=checkpoint)

    import sim.runs.replications

    def must_not_run(*args, **kwargs):
        raise AssertionError("a saved replication was run again")

    monkeypatch.setattr(sim.runs.replications, "_run_one", must_not_run)
    again = run_replications(config, 3, 9, workers=1, checkpoint=checkpoint)
    assert [r.summary for r in again] == [r.summary for r in first]


def test_fingerprint_covers_model_code_but_not_presentation(tmp_path, monkeypatch):
    import shutil

    import sim.runs.checkpoint as checkpoint

    package = Path(__file__).resolve().parent.parent / "sim"
    copy = tmp_path / "sim"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(checkpoint, "__file__", str(copy / "runs" / "checkpoint.py"))
    before = checkpoint.source_fingerprint()

    def changed_by(relative: str) -> bool:
        path = copy / relative
        original = path.read_text()
        path.write_text(original + "\n# edited\n")
        try:
            return checkpoint.source_fingerprint() != before
        finally:
            path.write_text(original)

    for model_code in ("engine/model.py", "engine/phases/work.py", "scenario/schema.py"):
        assert changed_by(model_code), f"editing {model_code} must invalidate saved runs"
    for presentation in (
        "outputs/report.py",
        "cli/run.py",
        "runs/cluster.py",
        "dashboard/assets.py",
    ):
        assert not changed_by(presentation), f"editing {presentation} must keep saved runs"
    (copy / "engine" / "new_mechanism.py").write_text("X = 1\n")
    assert checkpoint.source_fingerprint() != before, "a new engine module is model code"
