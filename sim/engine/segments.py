"""Per-worker reductions over a flat array of case rows, for the vectorised work phase.

The work phase lays every worker's cases end to end in one array: worker i owns the run of
``lengths[i]`` consecutive items starting at ``starts[i]``. :class:`Segments` sums, sorts and
spends budgets within each run at once, and gives bit for bit what numpy gives when called on each
run on its own (so the model's results do not depend on whether a phase loops over workers).

Sums follow numpy's own pairwise summation of a 1-D array of n items, which for n <= 128 is:
n < 8, add the items in order to 0; otherwise eight accumulators r_j = a_j + a_{j+8} + ... over the
first 8 * floor(n / 8) items, combined as ((r_0 + r_1) + (r_2 + r_3)) + ((r_4 + r_5) + (r_6 + r_7)),
then the remaining n mod 8 items added in order. Every run is laid into a zero-padded matrix of
accumulator items and one of remaining items, so all runs take these steps together in a fixed
number of array operations, however many different lengths the runs have (adding 0.0 leaves a
float unchanged). Runs over 128 items, where numpy splits the array in halves, are summed a block
of equal-length runs at a time as stacked matrices: numpy reduces each row of a C-ordered matrix
exactly as a 1-D array of the row's length (``reduceat`` or padding would change the last bit).
Sorts are stable (numpy's default quicksort orders ties differently on CPUs with different
vector units, and the same seed must give the same numbers on any machine): a stable sort by
(run, key) is a stable sort by key within each run. Cumulative sums are sequential whatever the
layout, so spending budgets pads all runs with zeros into one matrix.
"""

from __future__ import annotations

import numpy as np

#: numpy's pairwise summation unrolls by 8 and adds up to 128 items without splitting.
_UNROLL, _BLOCK = 8, 128


class Segments:
    """A flat array cut into consecutive runs (one per worker), with exact per-run reductions."""

    def __init__(self, lengths: np.ndarray, run_of: np.ndarray | None = None) -> None:
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.starts = np.cumsum(self.lengths) - self.lengths
        #: The run each item belongs to (``run_of``, if the caller already knows it).
        if run_of is None:
            run_of = np.repeat(np.arange(len(self.lengths)), self.lengths)
        self.run_of = run_of
        #: Each item's place in its run.
        self.position = np.arange(len(run_of)) - self.starts[run_of]
        self._layout: tuple | None = None
        self._long_blocks: list[tuple[np.ndarray, np.ndarray]] | None = None

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

    def _sum_layout(self) -> tuple:
        """Where the items of runs of <= 128 go in the accumulator and remainder matrices."""
        if self._layout is None:
            lengths, run_of, position = self.lengths, self.run_of, self.position
            is_short = lengths <= _BLOCK
            unrolled = np.where(lengths >= _UNROLL, lengths - lengths % _UNROLL, 0)
            item_short = is_short[run_of]
            in_accumulators = item_short & (position < unrolled[run_of])
            in_rest = item_short & ~in_accumulators
            width = int(unrolled[is_short].max(initial=0))
            self._layout = (
                in_accumulators,
                in_rest,
                (run_of[in_accumulators], position[in_accumulators]),
                (run_of[in_rest], (position - unrolled[run_of])[in_rest]),
                max(width, _UNROLL),
                bool((~is_short).any()),
            )
        return self._layout

    def _long_runs(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(runs of length L > 128, their items as a len(runs) x L matrix), one entry per L."""
        if self._long_blocks is None:
            self._long_blocks = []
            long_runs = np.flatnonzero(self.lengths > _BLOCK)
            for length in np.unique(self.lengths[long_runs]).tolist():
                runs = long_runs[self.lengths[long_runs] == length]
                self._long_blocks.append((runs, self.starts[runs, None] + np.arange(length)))
        return self._long_blocks

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over each run (0 for an empty run), equal to ``values[run].sum()``."""
        in_accumulators, in_rest, accumulator_at, rest_at, width, has_long = self._sum_layout()
        n_runs = len(self)
        padded = np.zeros((n_runs, width))
        padded[accumulator_at] = values[in_accumulators]
        r = padded[:, :_UNROLL].copy()
        for start in range(_UNROLL, width, _UNROLL):
            r += padded[:, start : start + _UNROLL]
        totals = ((r[:, 0] + r[:, 1]) + (r[:, 2] + r[:, 3])) + (
            (r[:, 4] + r[:, 5]) + (r[:, 6] + r[:, 7])
        )
        rest = np.zeros((n_runs, _UNROLL - 1))
        rest[rest_at] = values[in_rest]
        for column in range(_UNROLL - 1):
            totals += rest[:, column]
        if has_long:
            for runs, items in self._long_runs():
                totals[runs] = values[items].sum(axis=1)
        return totals

    def argsort(self, keys: np.ndarray) -> np.ndarray:
        """Item order sorting each run by ``keys``; tied items keep their order (a stable sort)."""
        # lexsort is stable; items are grouped by run in ascending order already.
        return np.lexsort((keys, self.run_of))

    def spend_in_order(self, amounts: np.ndarray, budgets: np.ndarray) -> np.ndarray:
        """Amount given to each item when each run's budget is spent on its items in order.

        Item k of a run gets ``clip(budget - (a_0 + ... + a_{k-1}), 0, a_k)``. The runs are the
        rows of one matrix padded with zeros at the end, which no earlier cumulative sum sees.
        """
        if self.size == 0:
            return np.zeros(0)
        position = self.position
        padded = np.zeros((len(self), int(self.lengths.max())))
        padded[self.run_of, position] = amounts
        spent_before = np.zeros_like(padded)
        np.cumsum(padded[:, :-1], axis=1, out=spent_before[:, 1:])
        spent = np.clip(budgets[:, None] - spent_before, 0.0, padded)
        return spent[self.run_of, position]
