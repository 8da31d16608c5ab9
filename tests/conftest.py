"""Shared test helpers: run the real console script, and build replication results by hand.

The hand-built results stand in for ``sim.run.RunResult`` only where the shell around the model
is under test (summaries, output files, the table); they are test data, not a model.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.metrics import DAILY_COLUMNS, METRIC_KEYS

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA = REPO_ROOT / "tests" / "data"


@dataclass
class HandResult:
    """The fields of ``sim.run.RunResult`` that the shell reads."""

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


@pytest.fixture
def run_caseload():
    """Run the installed ``caseload`` console script, as a user would, from the repository root."""
    script = shutil.which("caseload", path=str(Path(sys.executable).parent))
    assert script is not None, "the caseload console script is not installed beside this Python"

    def run(*args: str, cwd: Path = REPO_ROOT, timeout: float = 600) -> subprocess.CompletedProcess:
        env = {**os.environ, "COLUMNS": "120"}
        return subprocess.run(
            [script, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@pytest.fixture
def make_results():
    """The :func:`hand_results` builder."""
    return hand_results
