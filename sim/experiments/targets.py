"""Calibration targets: the published figures the baseline must reproduce, with their ranges.

The targets are the calibration table of ``shared/facts.md`` restricted to what the model reports
as a summary metric. ``compare`` checks metric means against them. ``tests/test_calibration.py``
runs the baseline and checks it against this list, ``docs/calibration.md`` reports the
measured figures against the same ranges, and ``caseload calibrate``
(``sim/experiments/calibrate.py``) fits parameters by minimising :func:`objective`, the weighted sum
of squared standardised deviations.

Where ``shared/facts.md`` gives two plausible ranges for a target, the range here is the one the
check uses and ``docs/calibration.md`` says why (burnout: 40-75%, which contains the 50-60% the
thresholds were tuned to).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """A published figure: central value and plausible range for one summary metric."""

    metric: str
    central: float
    low: float
    high: float
    basis: str

    @property
    def half_range(self) -> float:
        """Half the width of the plausible range, the scale of one standardised deviation."""
        return (self.high - self.low) / 2

    def deviation(self, value: float) -> float:
        """``(value - central) / half_range``: 0 at the central value, about ±1 at the range's ends.

        The ends are exactly ±1 when the range is symmetric about the central value; for an
        asymmetric range (unpaid overtime: 3-10 h around 5.5 h) one end lies beyond ±1.
        """
        return (value - self.central) / self.half_range


TARGETS: tuple[Target, ...] = (
    Target("caseload_per_fte_mean", 16.0, 15.0, 17.0, "DfE workforce census 2020-2025: 15.2-16.6"),
    Target("turnover_rate_annual", 0.14, 0.115, 0.17, "DfE 2020-2025 leavers / in-post FTE"),
    Target("vacancy_rate", 0.17, 0.14, 0.20, "DfE 2020-2025 vacancy rate"),
    Target("agency_share", 0.155, 0.13, 0.18, "DfE 2020-2025 agency share of filled FTE"),
    Target("sickness_absence_rate", 0.033, 0.029, 0.036, "DfE 2020-2025 days lost / FTE days"),
    Target(
        "unpaid_overtime_hours_per_fte_week",
        5.5,
        3.0,
        10.0,
        "DfE longitudinal study +5 to +7 h; Ravalier 2017 10 h",
    ),
    Target(
        "direct_contact_share",
        0.20,
        0.15,
        0.25,
        "Liquid Personnel 2012 15%; CCN/Newton 2022 <20%; BASW 2018 ~24%",
    ),
    # facts.md target 14 gives two ranges: 50-60% "stressed" (DfE longitudinal 51-60%) and 40-75%
    # with high MBI emotional exhaustion (McFadden 2015: 73%, self-selected). The thresholds were
    # tuned to the 55% centre; the check accepts the wider range, which contains the narrower.
    Target(
        "burnout_prevalence",
        0.55,
        0.40,
        0.75,
        "DfE longitudinal 51-60% stressed; McFadden 2015 73% high exhaustion",
    ),
)


@dataclass(frozen=True)
class Check:
    """How one modelled value compares with its target."""

    target: Target
    value: float

    @property
    def within(self) -> bool:
        """Whether the value lies in the target's plausible range."""
        return self.target.low <= self.value <= self.target.high

    @property
    def deviation(self) -> float:
        """The standardised deviation of the value from the target's central value."""
        return self.target.deviation(self.value)


TARGETS_BY_METRIC: dict[str, Target] = {t.metric: t for t in TARGETS}


def objective(
    means: Mapping[str, float],
    weights: Mapping[str, float] | None = None,
    targets: Sequence[Target] = TARGETS,
) -> float:
    """Weighted sum of squared standardised deviations of metric means from their targets.

    ``J = sum_k w_k * ((m_k - c_k) / h_k) ** 2`` over the targets with ``w_k > 0``, where
    ``m_k`` is the metric's mean, ``c_k`` the target's central value and ``h_k`` its half-range.
    A metric exactly at its central value adds 0; one at the end of a symmetric range adds
    ``w_k``.

    Args:
        means: Metric means keyed by metric, e.g. over replications.
        weights: Weight of each target's metric; a metric not named has weight 1 (``None``: all
            weights 1). A weight of 0 leaves the target out.
        targets: The targets to fit (default: all of :data:`TARGETS`).

    Returns:
        The objective; ``inf`` if a weighted metric's mean is undefined (NaN) or missing.
    """
    total = 0.0
    for target in targets:
        weight = 1.0 if weights is None else float(weights.get(target.metric, 1.0))
        if weight == 0:
            continue
        value = float(means.get(target.metric, math.nan))
        if not math.isfinite(value):
            return math.inf
        total += weight * target.deviation(value) ** 2
    return total


def compare(means: dict[str, float]) -> list[Check]:
    """Check metric means (e.g. ``{key: mean}`` over replications) against every target."""
    return [Check(target, float(means[target.metric])) for target in TARGETS]
