"""Random durations in working days: exponential, gamma, lognormal or fixed, clipped to bounds.

Draws outside [min_days, max_days] are set to the nearer bound (clipped, not redrawn), so a tight
bound piles probability at it and moves the mean away from the untruncated one.
"""

from __future__ import annotations

import math

import numpy as np

from sim.config import Duration


def sample_days(spec: Duration, rng: np.random.Generator, size: int) -> np.ndarray:
    """Draw ``size`` durations (float working days) from ``spec``, clipped to its bounds."""
    if size == 0:
        return np.empty(0)
    if spec.kind == "exponential":
        values = rng.exponential(spec.mean_days, size)
    elif spec.kind == "gamma":
        values = rng.gamma(spec.shape, spec.mean_days / spec.shape, size)
    elif spec.kind == "lognormal":
        values = rng.lognormal(math.log(spec.median_days), spec.sigma, size)
    else:
        values = np.full(size, spec.mean_days)
    return np.clip(values, spec.min_days, spec.max_days)


def mean_days(spec: Duration) -> float:
    """The untruncated mean of ``spec`` in working days (for documentation and checks)."""
    if spec.kind == "lognormal":
        return spec.median_days * math.exp(spec.sigma**2 / 2)
    return spec.mean_days
