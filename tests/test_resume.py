"""A run killed part-way resumes from its saved replications and gives the uninterrupted result."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.cli.main import main
from sim.cli.run import CHECKPOINT_DIR
from sim.runs.checkpoint import Checkpoint
from sim.runs.replications import run_replications
from sim.scenario.catalogue import repo_root
from sim.scenario.loading import load_scenario
from tests.conftest import as_at_a_terminal
from tests.model_helpers import same_summaries, same_summary

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
        saved = list((out / CHECKPOINT_DIR).glob("*/rep-*"))
    assert len(saved) >= 3, "the run saved no replications before the deadline"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert "resumes" in stderr
    assert not (out / "summary.json").exists()
    kept = sorted(p.name for p in (out / CHECKPOINT_DIR).glob("*/rep-*"))
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
    assert same_summary(checkpoint.load(0, result.seed).summary, result.summary)
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
    assert same_summaries([r.summary for r in again], [r.summary for r in first])


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


# --- checkpoints are data, never code ----------------------------------------------------------

SHORT_RUN = ["--reps", "2", "--days", "40", "--seed", "3", "--workers", "1", "--quiet"]
SHORT_SETS = ["simulation.warmup_days=10"]


def _short_config(seed: int = 3):
    return load_scenario("scenarios/baseline.toml", SHORT_SETS, days=40, replications=2, seed=seed)


def _short_run(out: Path, capsys) -> str:
    """``caseload run`` of two short replications into ``out``; returns its stderr."""
    sets = [arg for item in SHORT_SETS for arg in ("--set", item)]
    code = main(["run", "scenarios/baseline.toml", *SHORT_RUN, *sets, "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Traceback" not in captured.err
    return captured.err


def _outputs(out: Path) -> dict[str, object]:
    """What a run's outputs say, less the moment they were written."""
    summary = json.loads((out / "summary.json").read_text())
    summary["run"].pop("created")
    files = json.loads((out / "manifest.json").read_text())["files"]
    return {"summary": summary, **{n: f["sha256"] for n, f in files.items() if "parquet" in n}}


class Planted:
    """Unpickling this creates ``marker``: proof that code in a file was run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_checkpoint_round_trips_every_table_exactly(tmp_path):
    for collect in ("true", "false"):
        config = load_scenario(
            "scenarios/baseline.toml",
            [*SHORT_SETS, f"simulation.collect_worker_days={collect}"],
            days=40,
        )
        checkpoint = Checkpoint(tmp_path / collect, config, 5)
        (result,) = run_replications(config, 1, 5, workers=1, checkpoint=checkpoint)
        loaded = Checkpoint(tmp_path / collect, config, 5).load(0, result.seed)
        assert loaded is not None
        assert (loaded.replication, loaded.seed) == (0, result.seed)
        assert same_summary(loaded.summary, result.summary)
        for table in ("daily", "workers", "worker_days", "cases"):
            saved, back = getattr(result, table), getattr(loaded, table)
            pd.testing.assert_frame_equal(back, saved, check_exact=True)
            assert list(back.dtypes) == list(saved.dtypes), table
            assert type(back.index) is type(saved.index), table


def test_a_planted_pickle_is_never_unpickled_and_the_run_recomputes(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(repo_root())
    clean = tmp_path / "clean"
    _short_run(clean, capsys)

    out = tmp_path / "planted"
    config = _short_config()
    checkpoint = Checkpoint(out / CHECKPOINT_DIR, config, 3)
    marker = tmp_path / "code-ran"
    seed = sim_seeds(3, 2)[0]
    # Where the code before this format looked for replication 0 and unpickled what it found.
    target = checkpoint.folder / f"rep-{0:06d}-{seed}.pickle"
    target.parent.mkdir(parents=True)
    target.write_bytes(pickle.dumps(Planted(marker)))
    pickle.loads(target.read_bytes())  # the planted file works: unpickling it runs its code
    assert marker.exists()
    marker.unlink()

    err = _short_run(out, capsys)
    assert not marker.exists(), "a file in the output folder was unpickled"
    assert f"warning: {target}: not a checkpoint of this version" in err
    assert len([line for line in err.splitlines() if line.startswith("warning:")]) == 1
    assert _outputs(out) == _outputs(clean)


def test_garbage_and_another_runs_checkpoints_are_recomputed_with_a_warning(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(repo_root())
    clean = tmp_path / "clean"
    _short_run(clean, capsys)

    config, other = _short_config(), _short_config(seed=4)
    out = tmp_path / "damaged"
    seeds = sim_seeds(3, 2)
    ours = Checkpoint(out / CHECKPOINT_DIR, config, 3)
    # A valid checkpoint of another run (seed 4), copied in under replication 0's name.
    theirs = Checkpoint(tmp_path / "other", other, 4)
    run_replications(other, 1, 4, workers=1, checkpoint=theirs)
    (source,) = theirs.folder.glob("rep-*")
    shutil.copytree(source, ours.folder / f"rep-{0:06d}-{seeds[0]}")
    # Garbage where replication 1's folder should be.
    (ours.folder / f"rep-{1:06d}-{seeds[1]}").write_bytes(os.urandom(4096))

    err = _short_run(out, capsys)
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, err
    assert "saved by another run" in warnings[0] and "replication 0 runs again" in warnings[0]
    assert "not a checkpoint folder" in warnings[1] and "replication 1 runs again" in warnings[1]
    assert _outputs(out) == _outputs(clean)


@pytest.mark.parametrize("damage", ["truncate", "flip", "seal", "fifo", "missing", "nested"])
def test_a_damaged_checkpoint_is_ignored_with_one_warning(tmp_path, damage):
    config = _short_config()
    checkpoint = Checkpoint(tmp_path, config, 3)
    (result,) = run_replications(config, 1, 3, workers=1, checkpoint=checkpoint)
    (folder,) = checkpoint.folder.glob("rep-*")
    table, seal = folder / "cases.arrow", folder / "checkpoint.json"
    if damage == "truncate":
        table.write_bytes(table.read_bytes()[:100])
    elif damage == "flip":
        data = bytearray(table.read_bytes())
        data[len(data) // 2] ^= 0xFF
        table.write_bytes(bytes(data))
    elif damage == "seal":
        seal.write_text(seal.read_text()[:-20])
    elif damage == "fifo":
        table.unlink()
        os.mkfifo(table)  # opening it for reading would block the run
    elif damage == "missing":
        table.unlink()
    else:
        seal.write_text("[" * 100_000 + "]" * 100_000)
    warnings: list[str] = []
    again = Checkpoint(tmp_path, config, 3, warn=warnings.append)
    assert again.load(0, result.seed) is None
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: {folder}: ")
    assert "replication 0 runs again" in warnings[0]
    run_replications(config, 1, 3, workers=1, checkpoint=again)  # recomputed and saved anew
    assert same_summary(
        Checkpoint(tmp_path, config, 3).load(0, result.seed).summary, result.summary
    )


def sim_seeds(master: int, n: int) -> list[int]:
    from sim.engine.rng import replication_seeds

    return replication_seeds(master, n)


def test_resuming_announces_only_verified_replications_and_reads_each_once(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(repo_root())
    out = tmp_path / "out"
    config = _short_config()
    checkpoint = Checkpoint(out / CHECKPOINT_DIR, config, 3)
    run_replications(config, 2, 3, workers=1, checkpoint=checkpoint)
    good, bad = sorted(checkpoint.folder.glob("rep-*"))
    (bad / "cases.arrow").write_bytes(b"damaged")
    assert checkpoint.count() == 2  # folders on disk, before they are checked

    from sim.runs import checkpoint as module

    read = []
    original = module._frame_from_arrow
    monkeypatch.setattr(module, "_frame_from_arrow", lambda blob: read.append(1) or original(blob))
    monkeypatch.setattr("sim.runs.replications._run_one", _counting_run_one(ran := []))
    sets = [arg for item in SHORT_SETS for arg in ("--set", item)]
    code = main(["run", "scenarios/baseline.toml", *SHORT_RUN, *sets, "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Resuming: 1 replication(s) saved by an interrupted run are reused." in captured.out
    warnings = [line for line in captured.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: {bad}: "), captured.err
    assert ran == [1], "only the damaged replication runs again"
    assert len(read) == 4, "the good replication's four tables are read once, not twice"
    assert good.name.startswith("rep-000000")


def test_nothing_is_announced_when_every_saved_replication_is_damaged(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(repo_root())
    out = tmp_path / "out"
    config = _short_config()
    checkpoint = Checkpoint(out / CHECKPOINT_DIR, config, 3)
    run_replications(config, 1, 3, workers=1, checkpoint=checkpoint)
    (folder,) = checkpoint.folder.glob("rep-*")
    (folder / "checkpoint.json").write_text("{}")
    sets = [arg for item in SHORT_SETS for arg in ("--set", item)]
    assert main(["run", "scenarios/baseline.toml", *SHORT_RUN, *sets, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "Resuming" not in captured.out
    assert captured.err.count("warning:") == 1


def _counting_run_one(ran: list[int]):
    from sim.runs.replications import _run_one

    def run_one(config, seed, replication, on_day=None):
        ran.append(replication)
        return _run_one(config, seed, replication, on_day)

    return run_one


def test_a_file_where_the_checkpoint_folder_goes_is_refused_before_anything_runs(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(repo_root())
    out = tmp_path / "out"
    out.mkdir()
    (out / CHECKPOINT_DIR).write_text("a user's notes\n")
    ran: list[int] = []
    monkeypatch.setattr("sim.runs.replications._run_one", _counting_run_one(ran))
    sets = [arg for item in SHORT_SETS for arg in ("--set", item)]
    code = main(["run", "scenarios/baseline.toml", *SHORT_RUN, *sets, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert ran == []  # refused before a single replication was run
    assert err == (
        f"caseload: error: {out / CHECKPOINT_DIR}: exists and is not a folder; caseload keeps "
        "the replications of an interrupted run there, so move it away or give another --out\n"
    )
    assert (out / CHECKPOINT_DIR).read_text() == "a user's notes\n"  # nothing lost
    assert [p.name for p in out.iterdir()] == [CHECKPOINT_DIR]
