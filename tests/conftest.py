"""Shared test helpers: run the real console script, and build replication results by hand.

The hand-built results stand in for ``sim.engine.run.RunResult`` only where the shell around the
model is under test (summaries, output files, the table); they are test data, not a model.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.engine.metrics import DAILY_COLUMNS, METRIC_KEYS

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA = REPO_ROOT / "tests" / "data"


@dataclass
class HandResult:
    """The fields of ``sim.engine.run.RunResult`` that the shell reads."""

    replication: int
    seed: int
    summary: dict[str, float]
    daily: pd.DataFrame
    workers: pd.DataFrame = field(default_factory=pd.DataFrame)
    cases: pd.DataFrame = field(default_factory=pd.DataFrame)
    worker_days: pd.DataFrame = field(default_factory=pd.DataFrame)


def hand_results(n: int = 3, days: int = 5, nan_metric: str | None = None) -> list[HandResult]:
    """``n`` replications whose metric ``k`` in replication ``r`` is ``k + r`` (or NaN)."""
    results = []
    for r in range(n):
        summary = {key: float(k + r) for k, key in enumerate(METRIC_KEYS)}
        if nan_metric is not None:
            summary[nan_metric] = float("nan")
        daily = pd.DataFrame(
            {col: np.arange(days, dtype=float) + r for col in DAILY_COLUMNS}
        ).astype({"day": int})
        workers = pd.DataFrame({"worker_id": [0, 1], "fte": [1.0, 0.8], "left": [False, r > 0]})
        cases = pd.DataFrame({"case_id": np.arange(4 + r), "type": ["assessment"] * (4 + r)})
        worker_days = pd.DataFrame({"day": [0, 0], "worker": [0, 1], "stress": [0.1, 0.2 + r]})
        results.append(HandResult(r, 1000 + r, summary, daily, workers, cases, worker_days))
    return results


def caseload(
    *args: str, cwd: Path = REPO_ROOT, timeout: float = 600
) -> subprocess.CompletedProcess:
    """Run the installed ``caseload`` console script, as a user would, from the repository root."""
    script = shutil.which("caseload", path=str(Path(sys.executable).parent))
    assert script is not None, "the caseload console script is not installed beside this Python"
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run(
        [script, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def as_at_a_terminal() -> None:
    """``preexec_fn`` for a command a test interrupts with SIGINT, as Ctrl-C at a terminal would.

    A process started from a background job inherits SIGINT *ignored*, and Python then leaves it
    ignored; a user at a terminal has it at its default. Restore the default in the child, so the
    test sees what the user sees however the test suite itself was started.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def run_caseload():
    """The :func:`caseload` runner, as a fixture."""
    return caseload


@pytest.fixture
def make_results():
    """The :func:`hand_results` builder."""
    return hand_results


@pytest.fixture(scope="session")
def dask_scheduler(tmp_path_factory):
    """A real Dask scheduler and two worker processes on loopback; yields its address.

    Started with the ``dask`` command installed beside this Python, as an operator would start
    a cluster on other machines, and stopped after the session.
    """
    bin_dir = Path(sys.executable).parent
    folder = tmp_path_factory.mktemp("dask")
    scheduler_file = folder / "scheduler.json"
    common = {"cwd": folder, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [
            str(bin_dir / "dask"),
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--dashboard-address",
            "127.0.0.1:0",
            "--scheduler-file",
            str(scheduler_file),
        ],
        **common,
    )
    workers = None
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists():
            assert scheduler.poll() is None, "dask scheduler exited"
            assert time.monotonic() < deadline, "dask scheduler did not start within 60 s"
            time.sleep(0.2)
        time.sleep(0.3)  # the file is written whole before the scheduler listens
        address = json.loads(scheduler_file.read_text())["address"]
        workers = subprocess.Popen(
            [
                str(bin_dir / "dask"),
                "worker",
                address,
                "--nworkers",
                "2",
                "--nthreads",
                "1",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
            ],
            **common,
        )
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        for process in (workers, scheduler):
            if process is not None:
                process.terminate()
        for process in (workers, scheduler):
            if process is not None:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
