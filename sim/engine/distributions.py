"""Random durations in working days: exponential, gamma, lognormal or fixed, clipped to bounds.

Draws outside [min_days, max_days] are set to the nearer bound (clipped, not redrawn), so a tight
bound piles probability at it and moves the mean away from the untruncated one.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaincinv, ndtri

from sim.scenario.schema import Duration


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


def quantile_days(spec: Duration, uniforms: np.ndarray) -> np.ndarray:
    """Durations at the given probabilities of ``spec`` (its inverse CDF), clipped to its bounds.

    For keyed draws: a duration that must depend on one child alone, whatever else is drawn
    that day, is the quantile of that child's own keyed uniform.
    """
    u = np.asarray(uniforms, dtype=np.float64)
    if spec.kind == "exponential":
        values = -spec.mean_days * np.log1p(-u)
    elif spec.kind == "gamma":
        values = gammaincinv(spec.shape, u) * (spec.mean_days / spec.shape)
    elif spec.kind == "lognormal":
        values = np.exp(math.log(spec.median_days) + spec.sigma * ndtri(u))
    else:
        values = np.full(len(u), spec.mean_days)
    return np.clip(values, spec.min_days, spec.max_days)


def mean_days(spec: Duration) -> float:
    """The untruncated mean of ``spec`` in working days (for documentation and checks)."""
    if spec.kind == "lognormal":
        return spec.median_days * math.exp(spec.sigma**2 / 2)
    return spec.mean_days


def sample_residual_days(spec: Duration, rng: np.random.Generator, size: int) -> np.ndarray:
    """Days still to run for cases found open at a random moment in steady state.

    A case open at a given moment is more likely a long one (the inspection paradox): its total
    duration follows the length-biased law ``x f(x) / E[D]`` (exponential -> gamma of shape 2,
    gamma k -> gamma k + 1, lognormal mu -> mu + sigma^2), and it is a uniform share through it.
    Starting day-0 caseloads this way avoids a dip while short cases close and long ones remain.
    """
    if size == 0:
        return np.empty(0)
    if spec.kind == "exponential":
        total = rng.gamma(2.0, spec.mean_days, size)
    elif spec.kind == "gamma":
        total = rng.gamma(spec.shape + 1.0, spec.mean_days / spec.shape, size)
    elif spec.kind == "lognormal":
        total = rng.lognormal(math.log(spec.median_days) + spec.sigma**2, spec.sigma, size)
    else:
        total = np.full(size, spec.mean_days)
    return np.clip(total, spec.min_days, spec.max_days) * rng.random(size)
