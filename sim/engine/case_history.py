"""Every allocation of every case: which worker, on which day, as an append-only numpy log.

A child's changes of social worker are counted from this log, and the case table's
``worker_history`` column is read from it. It is a log rather than a dict of lists per case
because England opens over a million cases a year: three numpy columns cost 16 bytes an entry,
where a dict entry and its list cost over 150 and, being containers, are walked by every full
garbage collection, which made the cost of a day grow with the number of cases ever allocated.
"""

from __future__ import annotations

import numpy as np


class CaseHistory:
    """Allocations in the order they were made: (case id, staff row of the worker, day)."""

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self._case = np.empty(max(16, capacity), dtype=np.int64)
        self._worker = np.empty(max(16, capacity), dtype=np.int32)
        self._day = np.empty(max(16, capacity), dtype=np.int32)

    def __len__(self) -> int:
        return self.n

    def _reserve(self, count: int) -> None:
        if self.n + count <= len(self._case):
            return
        size = max(2 * len(self._case), self.n + count)
        for name in ("_case", "_worker", "_day"):
            old = getattr(self, name)
            grown = np.empty(size, dtype=old.dtype)
            grown[: self.n] = old[: self.n]
            setattr(self, name, grown)

    def add(self, case_id: int, worker: int, day: int) -> None:
        """Case ``case_id`` was allocated to staff row ``worker`` on ``day``."""
        self._reserve(1)
        self._case[self.n], self._worker[self.n], self._day[self.n] = case_id, worker, day
        self.n += 1

    def add_many(self, case_ids: np.ndarray, worker: int, day: int) -> None:
        """Cases ``case_ids`` (in this order) were all allocated to ``worker`` on ``day``."""
        count = len(case_ids)
        self._reserve(count)
        self._case[self.n : self.n + count] = case_ids
        self._worker[self.n : self.n + count] = worker
        self._day[self.n : self.n + count] = day
        self.n += count

    @property
    def case(self) -> np.ndarray:
        """The case id of each entry, in the order made."""
        return self._case[: self.n]

    @property
    def worker(self) -> np.ndarray:
        """The worker (staff row) of each entry."""
        return self._worker[: self.n]

    @property
    def day(self) -> np.ndarray:
        """The day of each entry."""
        return self._day[: self.n]

    def of(self, case_id: int) -> list[int]:
        """The workers case ``case_id`` has been allocated to, in order."""
        return self.worker[self.case == case_id].tolist()

    def joined(self, n_cases: int) -> list[str]:
        """Per case id 0 .. n_cases - 1, its workers in order joined by ``>`` ("" if none)."""
        order = np.argsort(self.case, kind="stable")  # by case, each case's entries in order
        cases, workers = self.case[order], self.worker[order].tolist()
        ends = np.searchsorted(cases, np.arange(n_cases), side="right").tolist()
        starts = [0, *ends[:-1]]
        return [
            ">".join(map(str, workers[start:end])) for start, end in zip(starts, ends, strict=True)
        ]
