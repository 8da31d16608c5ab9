"""What ``caseload calibrate`` offers and defaults to: optimisers, budgets and search ranges.

These are apart from :mod:`sim.experiments.calibrate` (which imports scipy's optimisers, pandas
and the batch runner) because the command's parser shows them in ``caseload calibrate --help``,
and that must answer without loading the optimiser. :mod:`sim.experiments.calibrate` imports
them from here, so either module names them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.scenario.levers import UNCERTAINTIES

#: Optimisers offered: both derivative-free and deterministic, with bounds.
METHODS: tuple[str, ...] = ("nelder-mead", "powell")

DEFAULT_REPS = 40
DEFAULT_MAX_EVALS = 40
DEFAULT_METHOD = "nelder-mead"


@dataclass(frozen=True)
class SearchRange:
    """A documented search range for a parameter and the targets it mainly moves."""

    low: float
    high: float
    moves: str


#: Search ranges of the registered uncertain parameters (``sim/scenario/levers.py``; the hand
#: calibration's, docs/calibration.md). ``--params`` may name these without a range; any other
#: real-valued parameter needs ``key=LOW:HIGH``.
SEARCH_RANGES: dict[str, SearchRange] = {
    p.key: SearchRange(float(p.low), float(p.high), p.moves)
    for p in UNCERTAINTIES
    if p.kind == "float" and p.low is not None and p.high is not None
}

#: How error lines name the parameters when neither ``--params`` nor a file gave them.
DEFAULT_SOURCE = "default parameters"

#: Fitted when neither ``--params`` nor a calibration file names parameters: one lever per
#: group of targets (experiments/calibrate_baseline.toml says the same).
DEFAULT_PARAMETERS: tuple[str, ...] = (
    "demand.referrals_per_day",
    "staffing.leave_rate_per_year",
    "staffing.recruitment.mean_days",
    "sickness.long_spells_per_year",
)
