"""Golden back-test: fixed-seed runs must reproduce the saved figures exactly.

A refactor that changes a number fails here. When a change alters numbers on purpose, rerun
``python tests/golden_runs.py`` in a commit of its own that says why.
"""

from __future__ import annotations

import json
import math

import pytest

from tests.golden_runs import GOLDEN, SCENARIOS, golden_figures


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_run_matches_golden_figures(name: str) -> None:
    expected = json.loads((GOLDEN / f"{name}.json").read_text())
    actual = golden_figures(name)
    assert set(actual["summary"]) == set(expected["summary"]), "a metric is not pinned"
    for key, value in expected["summary"].items():
        got = actual["summary"][key]
        assert (math.isnan(value) and math.isnan(got)) or got == pytest.approx(
            value, rel=1e-9, abs=1e-9
        ), f"{name}: summary {key} changed from {value} to {got}"
    for table in ("daily", "workers", "cases", "worker_days"):
        assert actual[f"{table}_sha256"] == expected[f"{table}_sha256"], (
            f"{name}: the {table} table changed"
        )


def test_golden_files_cover_every_golden_scenario() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(SCENARIOS)
