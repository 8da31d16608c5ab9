"""How many replications are enough: the replications algorithm of Hoad, Robinson & Davies.

Hoad, Robinson & Davies (2010), "Automated selection of the number of replications for a
discrete-event simulation", *Journal of the Operational Research Society* 61(11), 1632–1644.
After each replication n (from ``initial``, at least 3) the Student-t 95% confidence interval of
each chosen outcome's mean has half-width ``d_n = t(0.975, n-1) · s_n / √n``; its relative
precision is ``d_n / |scale_n|`` (``scale`` is the mean itself, or for a paired difference the
baseline's mean, so a change is known to within a share of the level it changes). The first n
whose precision is within the target is a candidate ``N_sol``; the algorithm then *looks ahead*
``f(N_sol) = k_limit`` replications (``⌊k_limit · N_sol / 100⌋`` beyond 100) and keeps
``N_sol`` only if the precision stays within the target at every one of them, else it moves on
to the next candidate. With several outcomes the largest stopping point wins. A run stops at
``N_sol + f(N_sol)`` (every replication run is used) or at ``max_reps``, and says so.

The decision reads the values in replication order only, and replication r's seed depends only
on r, so the chosen number, and the result, are the same whatever batch size or number of
workers ran them; replications run beyond the stopping point in the last batch are dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

#: Replications before the first check (Hoad et al. use at least 3).
INITIAL = 3

#: The look-ahead ``k_limit`` Hoad et al. recommend.
LOOK_AHEAD = 5


def look_ahead(n_sol: int, k_limit: int = LOOK_AHEAD) -> int:
    """``f(k_limit, N_sol)``: ``k_limit`` up to 100 replications, then in proportion."""
    return k_limit if n_sol <= 100 else math.floor(k_limit * n_sol / 100)


def relative_precision(values: np.ndarray, scale: float | None = None) -> float:
    """95% interval half-width over ``|scale|`` (default: the mean); NaNs dropped.

    No spread at all is precision 0 (the interval is the point); a spread around a scale of 0
    is infinitely imprecise.
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = values.size
    if n < 2:
        return math.inf
    sd = float(values.std(ddof=1))
    if sd == 0:
        return 0.0
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    centre = abs(float(values.mean()) if scale is None else scale)
    return half / centre if centre > 0 else math.inf


@dataclass(frozen=True)
class Outcome:
    """One outcome's replications so far: its values and, for a difference, its scale."""

    values: np.ndarray
    scale: np.ndarray | None = None  # per replication (the baseline's values), or None


@dataclass(frozen=True)
class Decision:
    """What the algorithm concludes from the replications so far.

    Attributes:
        done: No more replications are needed (precision met for all, or the maximum reached).
        reached: Every outcome met the precision through its look-ahead.
        replications: How many replications the result should use (the stopping point, or
            all there are while still running).
        needed: Per outcome, ``N_sol`` (the number that met the precision), or None.
        precision: Per outcome, the relative precision at ``replications``.
    """

    done: bool
    reached: bool
    replications: int
    needed: dict[str, int | None] = field(default_factory=dict)
    precision: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplicationsAlgorithm:
    """The algorithm's settings: target relative precision, first check, look-ahead, maximum."""

    target: float = 0.05
    max_reps: int = 100
    initial: int = INITIAL
    k_limit: int = LOOK_AHEAD

    def __post_init__(self) -> None:
        if not 0 < self.target < 1:
            raise ValueError(f"precision must be between 0 and 1 (got {self.target})")
        if self.initial < 3 or self.max_reps < self.initial:
            raise ValueError(
                f"need 3 <= initial <= max_reps (got initial={self.initial}, "
                f"max_reps={self.max_reps})"
            )

    def _precision_at(self, outcome: Outcome, n: int) -> float:
        scale = None if outcome.scale is None else float(np.nanmean(outcome.scale[:n]))
        return relative_precision(outcome.values[:n], scale)

    def stopping_point(self, outcome: Outcome, available: int) -> tuple[int | None, int | None]:
        """(N_sol, N_sol + look-ahead) of one outcome from its first ``available`` values.

        (None, None) while no candidate has survived its look-ahead within ``available``
        (or, at the maximum, within ``max_reps``).
        """
        ok = [False] * (available + 1)
        for n in range(self.initial, available + 1):
            ok[n] = self._precision_at(outcome, n) <= self.target
        for n_sol in range(self.initial, available + 1):
            if not ok[n_sol]:
                continue
            end = n_sol + look_ahead(n_sol, self.k_limit)
            if end > self.max_reps:  # no room to look ahead: accept what the maximum allows
                end = self.max_reps
            if end > available:
                return None, None  # still looking ahead
            if all(ok[m] for m in range(n_sol, end + 1)):
                return n_sol, end
        return None, None

    def decide(self, outcomes: Mapping[str, Outcome]) -> Decision:
        """The decision from every outcome's values so far (all of equal length)."""
        available = min(len(o.values) for o in outcomes.values())
        needed: dict[str, int | None] = {}
        ends: list[int] = []
        for key, outcome in outcomes.items():
            n_sol, end = self.stopping_point(outcome, available)
            needed[key] = n_sol
            if end is not None:
                ends.append(end)
        reached = len(ends) == len(outcomes)
        if reached:
            n = max(ends)
            done = True
        else:
            n = min(available, self.max_reps)
            done = available >= self.max_reps
        precision = {key: self._precision_at(o, n) for key, o in outcomes.items()}
        return Decision(done, reached, n, needed, precision)

    def next_total(self, current: int, batch: int) -> int:
        """How many replications to have after the next batch (``batch`` more, capped)."""
        return min(self.max_reps, max(current + max(1, batch), self.initial))


def describe(
    decision: Decision,
    algorithm: ReplicationsAlgorithm,
    names: Mapping[str, str],
    relative_to: str = "the mean",
) -> str:
    """One sentence for the console, the report and the brief; ``names`` label the outcomes."""
    target = f"±{algorithm.target:.0%}"
    shown = "; ".join(
        f"{names.get(key, key)} ±{value:.1%}"
        if math.isfinite(value)
        else f"{names.get(key, key)} (undefined: no spread around a mean of 0)"
        for key, value in decision.precision.items()
    )
    if decision.reached:
        return (
            f"{decision.replications} replications, chosen by the replications algorithm (Hoad, "
            f"Robinson & Davies 2010, look-ahead {algorithm.k_limit}) for a 95% interval within "
            f"{target} of {relative_to}: {shown}."
        )
    missed = [
        names.get(key, key)
        for key, value in decision.precision.items()
        if not value <= algorithm.target
    ]
    return (
        f"Precision not reached: after the maximum of {decision.replications} replications "
        f"(--max-reps) the 95% interval of {', '.join(missed) or 'an outcome'} is still wider "
        f"than {target} of {relative_to} ({shown}); read these results as indicative, or raise "
        "--max-reps."
    )
