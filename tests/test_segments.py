"""Segments: per-run reductions are bit for bit what numpy gives on each run alone.

The vectorised work phase relies on this for its results to match the one-worker-at-a-time rule
exactly; a numpy upgrade that changed how rows of a matrix are summed or sorted would fail here.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.segments import Segments


def runs_of(lengths: np.ndarray) -> list[slice]:
    starts = np.cumsum(lengths) - lengths
    return [slice(s, s + n) for s, n in zip(starts.tolist(), lengths.tolist(), strict=True)]


@pytest.mark.parametrize("seed", range(24))
def test_reductions_match_numpy_on_each_run(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Lengths 0..40 cover numpy's short-array, unrolled and tie-ordering cases; every fourth seed
    # adds runs past 128 items, where numpy's pairwise sum splits the array in halves.
    longest = 300 if seed % 4 == 3 else 40
    lengths = rng.integers(0, longest + 1, rng.integers(1, 60))
    size = int(lengths.sum())
    segments = Segments(lengths)
    values = rng.random(size) * rng.choice([1e-3, 1.0, 1e3], size)
    keys = rng.integers(-1, 4, size).astype(np.int32)  # many ties
    budgets = rng.random(len(lengths)) * 10.0
    order = segments.argsort(keys)
    spent = segments.spend_in_order(values, budgets)
    sums = segments.sum(values)
    for run, items in enumerate(runs_of(lengths)):
        assert sums[run] == values[items].sum()
        np.testing.assert_array_equal(
            order[items], items.start + np.argsort(keys[items], kind="stable")
        )
        before = np.concatenate([[0.0], np.cumsum(values[items])[:-1]])
        expected = np.clip(budgets[run] - before, 0.0, values[items])
        np.testing.assert_array_equal(spent[items], expected)


def test_select_keeps_runs_and_order() -> None:
    segments = Segments(np.array([3, 0, 2]))
    mask = np.array([True, False, True, True, False])
    selected = segments.select(mask)
    np.testing.assert_array_equal(selected.lengths, [2, 0, 1])
    np.testing.assert_array_equal(selected.run_of, [0, 0, 2])
    np.testing.assert_array_equal(selected.sum(np.array([1.0, 2.0, 4.0])), [3.0, 0.0, 4.0])


def test_empty() -> None:
    segments = Segments(np.zeros(3, dtype=np.int64))
    assert segments.size == 0
    np.testing.assert_array_equal(segments.sum(np.zeros(0)), np.zeros(3))
    assert len(segments.spend_in_order(np.zeros(0), np.ones(3))) == 0
