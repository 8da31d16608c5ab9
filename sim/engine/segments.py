"""Per-worker reductions over a flat array of case rows, for the vectorised work phase.

The work phase lays every worker's cases end to end in one array: worker i owns the run of
``lengths[i]`` consecutive items starting at ``starts[i]``. :class:`Segments` sums, sorts and
spends budgets within each run at once, and gives bit for bit what numpy gives when called on each
run on its own (so the model's results do not depend on whether a phase loops over workers).

Why sums stack runs of equal length into matrices rather than padding them or using
``np.add.reduceat``: ``np.sum`` adds pairwise with a blocking that depends on the array's length;
``reduceat`` adds sequentially and padding changes the length, so both can change the last bit of a
sum. Numpy reduces each row of a C-ordered matrix exactly as it does a 1-D array of the row's
length, so each block of equal-length runs is one call. Sorts are stable: numpy's default
(SIMD quick)sort orders tied keys differently on CPUs with different vector units, and the same
seed must give the same numbers on any machine. (The
matrix must be C-ordered: a fancy-indexed stack of several arrays is not, and is summed across
rows in another order.) Cumulative sums are sequential whatever the layout, so spending budgets
pads all runs with zeros into one matrix.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np


class Segments:
    """A flat array cut into consecutive runs (one per worker), with exact per-run reductions."""

    def __init__(self, lengths: np.ndarray, run_of: np.ndarray | None = None) -> None:
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.starts = np.cumsum(self.lengths) - self.lengths
        #: The run each item belongs to (``run_of``, if the caller already knows it).
        if run_of is None:
            run_of = np.repeat(np.arange(len(self.lengths)), self.lengths)
        self.run_of = run_of
        #: (runs of length L, their items as a len(runs) x L matrix), one entry per length L > 0.
        self.blocks: list[tuple[np.ndarray, np.ndarray]] = []
        by_length = np.argsort(self.lengths, kind="stable")
        sorted_lengths = self.lengths[by_length]
        # Blocks start where the sorted length changes; empty runs (length 0) make no block.
        edges = np.flatnonzero(sorted_lengths[1:] != sorted_lengths[:-1]) + 1
        for first, end in pairwise([0, *edges.tolist(), len(by_length)]):
            length = int(sorted_lengths[first]) if end > first else 0
            if length > 0:
                runs = by_length[first:end]
                self.blocks.append((runs, self.starts[runs, None] + np.arange(length)))

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def size(self) -> int:
        """Number of items in all runs."""
        return len(self.run_of)

    def select(self, mask: np.ndarray) -> Segments:
        """The runs of the items where ``mask`` holds (same runs, items kept in order)."""
        run_of = self.run_of[mask]
        return Segments(np.bincount(run_of, minlength=len(self)), run_of)

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over each run (0 for an empty run), equal to ``values[run].sum()``."""
        totals = np.zeros(len(self))
        for runs, items in self.blocks:
            totals[runs] = values[items].sum(axis=1)
        return totals

    def argsort(self, keys: np.ndarray) -> np.ndarray:
        """Item order sorting each run by ``keys``; tied items keep their order (a stable sort)."""
        order = np.arange(self.size)
        for _, items in self.blocks:
            if items.shape[1] > 1:
                # Row i of ``items`` is start_i + (0, 1, ...), so start_i + position is the item.
                order[items] = items[:, :1] + np.argsort(keys[items], axis=1, kind="stable")
        return order

    def spend_in_order(self, amounts: np.ndarray, budgets: np.ndarray) -> np.ndarray:
        """Amount given to each item when each run's budget is spent on its items in order.

        Item k of a run gets ``clip(budget - (a_0 + ... + a_{k-1}), 0, a_k)``. The runs are the
        rows of one matrix padded with zeros at the end, which no earlier cumulative sum sees.
        """
        if self.size == 0:
            return np.zeros(0)
        position = np.arange(self.size) - self.starts[self.run_of]
        padded = np.zeros((len(self), int(self.lengths.max())))
        padded[self.run_of, position] = amounts
        spent_before = np.zeros_like(padded)
        np.cumsum(padded[:, :-1], axis=1, out=spent_before[:, 1:])
        spent = np.clip(budgets[:, None] - spent_before, 0.0, padded)
        return spent[self.run_of, position]
