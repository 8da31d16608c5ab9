"""The case book: the state of every referral in column arrays, one row per referral.

Referrals are far more numerous than workers (a team holds ~130, England ~400,000), so their state
lives in numpy columns owned by the model and each mechanism is a vectorised mask. A referral moves
WAITING -> ALLOCATED -> READY (to close) -> CLOSED, or is SCREENED_OUT at the front door on arrival,
and is in exactly one status at any time: that is the conservation law the tests check. ``child``
links the referrals of one child (a re-referral keeps its child's id; ``episode`` counts them).
Closed rows never change again, so the book keeps an index of its *live* rows (not closed, in
row order): every daily mask and draw runs over ``live`` only. At the end of a day on which
closed rows reach half the live ones, :meth:`CaseBook.compact` moves the closed rows to an archive
and the live rows, in the same order, to the front of the columns, so the daily work touches a
compact block of memory and a day costs the same in year five as in year one however many cases
have closed.

A row is therefore a position for the day, not an identity. Each referral's identity is its
``case_id`` (the order in which referrals were opened: 0, 1, 2, ...), which never changes; the
per-case random draws are keyed by it (common random numbers across scenarios), agents and the
worker history hold it, and the full book (:meth:`CaseBook.full`, :meth:`CaseBook.columns`) is
read in its order, so compaction changes no number and no output.
"""

from __future__ import annotations

import numpy as np

WAITING, ALLOCATED, READY, CLOSED, SCREENED_OUT = 0, 1, 2, 3, 4
STATUS_NAMES = ("waiting", "allocated", "ready_to_close", "closed", "screened_out")
NEVER = -1
#: ``CaseBook.row_of`` of a referral whose row was archived (closed or screened out).
ARCHIVED = -1
NO_VISIT_DUE = np.iinfo(np.int32).max // 2

_COLUMNS: dict[str, tuple[type, float]] = {
    "type_code": (np.int8, 0),
    "weight": (np.float64, 1.0),
    "status": (np.int8, CLOSED),
    "team": (np.int32, 0),
    "worker": (np.int32, NEVER),
    "day_arrived": (np.int32, NEVER),
    "day_allocated": (np.int32, NEVER),
    "day_first_allocated": (np.int32, NEVER),
    "day_closed": (np.int32, NEVER),
    "work_days_left": (np.float64, 0.0),
    "visit_interval_days": (np.int32, 20),
    "day_visit_due": (np.int32, NO_VISIT_DUE),
    "day_last_visit": (np.int32, NEVER),
    "day_oldest_unrecorded": (np.int32, NEVER),
    "pending_recording_hours": (np.float64, 0.0),
    "closure_hours_left": (np.float64, 0.0),
    "risk_logit": (np.float64, 0.0),
    "observed_risk": (np.float64, 0.0),
    "n_worker_changes": (np.int32, 0),
    "n_type_changes": (np.int16, 0),
    "n_incidents": (np.int32, 0),
    "n_visits": (np.int32, 0),
    "n_visits_on_time": (np.int32, 0),
    "casework_covered_share": (np.float64, 0.0),
    "child": (np.int64, NEVER),
    "episode": (np.int32, 0),
}


#: Compaction waits until at least this many closed rows sit among the live ones.
MIN_ROWS_TO_ARCHIVE = 64


class CaseBook:
    """Column store of referrals with amortised growth; ``n`` rows are in use.

    ``n`` counts the rows of the working columns (live rows and those closed since the last
    compaction); ``n_total`` counts every referral ever opened, archived ones included.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self.n_total = 0
        self._capacity = max(16, int(capacity))
        # Live rows are the first ``_n_live`` entries of a buffer grown by doubling, so opening
        # rows one worker at a time (the day-0 build) costs amortised O(1) per row.
        self._live = np.empty(self._capacity, dtype=np.int64)
        self._n_live = 0
        for name, (dtype, fill) in _COLUMNS.items():
            setattr(self, name, np.full(self._capacity, fill, dtype=dtype))
        #: Each row's referral (its identity; see the module docstring).
        self.case_id = np.full(self._capacity, NEVER, dtype=np.int64)
        # case id -> row now (ARCHIVED once archived), grown by doubling.
        self._row_of = np.full(self._capacity, ARCHIVED, dtype=np.int64)
        # Closed rows moved out of the working columns: one dict of column arrays per
        # compaction, and the ids of its rows (ascending).
        self._archive: list[dict[str, np.ndarray]] = []
        self._archived_ids: list[np.ndarray] = []
        self._full_order: np.ndarray | None = None

    # Column attributes are created dynamically above; declare them for readers and type checkers.
    type_code: np.ndarray
    weight: np.ndarray
    status: np.ndarray
    team: np.ndarray
    worker: np.ndarray
    day_arrived: np.ndarray
    day_allocated: np.ndarray
    day_first_allocated: np.ndarray
    day_closed: np.ndarray
    work_days_left: np.ndarray
    visit_interval_days: np.ndarray
    day_visit_due: np.ndarray
    day_last_visit: np.ndarray
    day_oldest_unrecorded: np.ndarray
    pending_recording_hours: np.ndarray
    closure_hours_left: np.ndarray
    risk_logit: np.ndarray
    observed_risk: np.ndarray
    n_worker_changes: np.ndarray
    n_incidents: np.ndarray
    n_visits: np.ndarray
    n_visits_on_time: np.ndarray
    casework_covered_share: np.ndarray
    child: np.ndarray
    episode: np.ndarray

    def _grow(self, needed: int) -> None:
        new_capacity = max(self._capacity * 2, needed)
        for name, (dtype, fill) in (*_COLUMNS.items(), ("case_id", (np.int64, NEVER))):
            column = np.full(new_capacity, fill, dtype=dtype)
            column[: self.n] = getattr(self, name)[: self.n]
            setattr(self, name, column)
        self._capacity = new_capacity

    def add(self, count: int) -> np.ndarray:
        """Reserve ``count`` new live rows and return their indices.

        Every column starts at its default, but for ``status`` (waiting) and ``case_id`` (the
        next ids).
        """
        if self.n + count > self._capacity:
            self._grow(self.n + count)
        rows = np.arange(self.n, self.n + count)
        ids = np.arange(self.n_total, self.n_total + count)
        if self.n_total + count > len(self._row_of):
            grown = np.full(max(2 * len(self._row_of), self.n_total + count), ARCHIVED)
            grown[: self.n_total] = self._row_of[: self.n_total]
            self._row_of = grown
        self.case_id[rows] = ids
        self.status[rows] = WAITING  # live until closed; the caller sets the real status
        self._row_of[ids] = rows
        self.n += count
        self.n_total += count
        self._full_order = None
        if self._n_live + count > len(self._live):
            grown = np.empty(max(2 * len(self._live), self._n_live + count), dtype=np.int64)
            grown[: self._n_live] = self._live[: self._n_live]
            self._live = grown
        self._live[self._n_live : self._n_live + count] = rows
        self._n_live += count
        return rows

    @property
    def live(self) -> np.ndarray:
        """Rows not closed or screened out, ascending (new rows are live until :meth:`close`)."""
        return self._live[: self._n_live]

    def close(self, rows: np.ndarray, day: int, status: int = CLOSED) -> None:
        """Close ``rows`` on ``day`` (or screen them out) and drop them from the live index."""
        self.status[rows] = status
        self.day_closed[rows] = day
        self.day_visit_due[rows] = NO_VISIT_DUE
        live = self.live
        kept = live[(self.status[live] != CLOSED) & (self.status[live] != SCREENED_OUT)]
        # A fresh buffer, so a ``live`` array a caller still holds is never rewritten.
        self._live = np.empty(max(len(self._live), 16), dtype=np.int64)
        self._live[: len(kept)] = kept
        self._n_live = len(kept)

    # Identity and compaction ------------------------------------------------------------------
    def row_of(self, case_id: int) -> int:
        """The row of referral ``case_id`` today, or :data:`ARCHIVED`."""
        return int(self._row_of[case_id])

    def value(self, name: str, case_id: int) -> float | int:
        """Column ``name`` of referral ``case_id``, from its row or, once archived, the archive."""
        row = int(self._row_of[case_id])
        if row != ARCHIVED:
            return getattr(self, name)[row].item()
        for ids, chunk in zip(self._archived_ids, self._archive, strict=True):
            at = int(np.searchsorted(ids, case_id))
            if at < len(ids) and ids[at] == case_id:
                return chunk[name][at].item()
        raise KeyError(f"no referral with case id {case_id}")

    def should_compact(self) -> bool:
        """Whether closed rows in the working columns reach half the live rows (and are enough).

        A compaction moves every live row, so it waits for that many closures: its cost per
        closed case is bounded, and the working columns stay within 1.5 times the live rows.
        """
        dead = self.n - self._n_live
        return dead >= max(MIN_ROWS_TO_ARCHIVE, self._n_live // 2)

    def compact(self) -> None:
        """Archive the closed rows and move the live rows, in order, to the front of the columns.

        Rows change; case ids, every column's values per case and the live order do not. Call
        only between days: a row held across the call no longer names the same referral.
        """
        n, live = self.n, self.live.copy()
        dead = np.ones(n, dtype=bool)
        dead[live] = False
        dead_rows = np.flatnonzero(dead)
        if len(dead_rows) == 0:
            return
        self._archive.append({name: getattr(self, name)[dead_rows] for name in _COLUMNS})
        archived_ids = self.case_id[dead_rows]
        self._archived_ids.append(archived_ids)
        self._row_of[archived_ids] = ARCHIVED
        kept = len(live)
        for name, (_dtype, fill) in (*_COLUMNS.items(), ("case_id", (np.int64, NEVER))):
            column = getattr(self, name)
            column[:kept] = column[live]
            column[kept:n] = fill  # rows past ``n`` are reserved at their defaults by ``add``
        self._row_of[self.case_id[:kept]] = np.arange(kept)
        self.n = kept
        # A fresh buffer, as in ``close``.
        self._live = np.empty(max(len(self._live), 16), dtype=np.int64)
        self._live[:kept] = np.arange(kept)
        self._n_live = kept
        self._full_order = None

    def full(self, name: str) -> np.ndarray:
        """One column over every referral ever opened, archived ones included, in case-id order.

        A new array (writes do not go through); for summaries and outputs, not the daily step.
        """
        if not self._archive:
            return getattr(self, name)[: self.n].copy()
        parts = [chunk[name] for chunk in self._archive]
        parts.append(getattr(self, name)[: self.n])
        return np.concatenate(parts)[self._order_by_id()]

    def _order_by_id(self) -> np.ndarray:
        if self._full_order is None:
            ids = np.concatenate([*self._archived_ids, self.case_id[: self.n]])
            self._full_order = np.argsort(ids, kind="stable")
        return self._full_order

    def view(self, name: str) -> np.ndarray:
        """The used part of one working column (a view: writes go through)."""
        return getattr(self, name)[: self.n]

    @property
    def risk(self) -> np.ndarray:
        """Latent risk in (0, 1) of every referral ever opened, in case-id order."""
        return 1.0 / (1.0 + np.exp(-self.full("risk_logit")))

    def risk_of(self, rows: np.ndarray) -> np.ndarray:
        """Latent risk of ``rows`` (the same logistic, of those rows only)."""
        return 1.0 / (1.0 + np.exp(-self.risk_logit[rows]))

    def count(self, status: int) -> int:
        """How many referrals (archived ones included) are in ``status``."""
        archived = sum(int(np.count_nonzero(chunk["status"] == status)) for chunk in self._archive)
        return archived + int(np.count_nonzero(self.status[: self.n] == status))

    def columns(self) -> dict[str, np.ndarray]:
        """Every column over every referral ever opened, in case-id order (the output table)."""
        return {name: self.full(name) for name in _COLUMNS}


def _rows(cases: CaseBook, rows: np.ndarray | None) -> np.ndarray | slice:
    return slice(0, cases.n) if rows is None else rows


def visit_overdue(cases: CaseBook, day: int, rows: np.ndarray | None = None) -> np.ndarray:
    """Per row (of ``rows``, default every row): a visit due by ``day`` and not made by its end."""
    at = _rows(cases, rows)
    due = cases.day_visit_due[at]
    return (cases.status[at] != CLOSED) & (due <= day) & (due < NO_VISIT_DUE)


def record_is_stale(
    cases: CaseBook, day: int, after_days: int, rows: np.ndarray | None = None
) -> np.ndarray:
    """Per row (of ``rows``): open, with its oldest unrecorded contact over ``after_days`` old."""
    at = _rows(cases, rows)
    lag_start = cases.day_oldest_unrecorded[at]
    status = cases.status[at]
    is_open = (status == ALLOCATED) | (status == READY)
    # Day stamps before day 0 are real (a day-0 backlog); only NEVER means nothing unrecorded.
    return is_open & (lag_start != NEVER) & (day - lag_start > after_days)


def release_worker_cases(cases: CaseBook, worker: int | list[int]) -> int:
    """Return the open cases of a worker (or of several) to the waiting list.

    On leaving or long-term sickness; several workers at once cost one pass over the live rows.
    """
    workers = np.atleast_1d(np.asarray(worker, dtype=np.int64))
    if len(workers) == 0:
        return 0
    live = cases.live
    status = cases.status[live]
    is_open = (status == ALLOCATED) | (status == READY)
    held = cases.worker[live]
    holds = held == workers[0] if len(workers) == 1 else np.isin(held, workers)
    rows = live[holds & is_open]
    cases.status[rows] = WAITING
    cases.worker[rows] = NEVER
    return len(rows)


def stable_order(keys: np.ndarray, n_keys: int) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` for integer keys in ``[0, n_keys)``.

    Keys that fit 16 bits are sorted as such, which numpy does by radix sort: linear in the
    number of keys whatever their order, where its merge sort of wider integers slows down as
    the case book loses the worker-by-worker order of the day-0 build. The order is the same.
    """
    if n_keys <= 1 << 8:
        keys = keys.astype(np.uint8)
    elif n_keys <= 1 << 16:
        keys = keys.astype(np.uint16)
    return np.argsort(keys, kind="stable")


def split_sorted(rows: np.ndarray, keys: np.ndarray, n_groups: int) -> list[np.ndarray]:
    """``rows``, already in ascending order of ``keys``, cut into one array per key value."""
    ends = np.cumsum(np.bincount(keys, minlength=n_groups)).tolist()
    return [rows[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]


def group_rows(rows: np.ndarray, keys: np.ndarray, n_groups: int) -> list[np.ndarray]:
    """``rows`` split by ``keys`` (e.g. each row's team) into ``n_groups`` lists, order kept.

    One stable sort a day instead of a mask over every row for each team or worker.
    """
    order = stable_order(keys, n_groups)
    return split_sorted(rows[order], keys[order], n_groups)
