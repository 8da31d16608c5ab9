"""Scenario discovery: the conditions under which an outcome is bad, found by PRIM.

EMA Workbench's scenario discovery (Bryant & Lempert 2010; Kwakkel 2017): each run of a sweep
over levers and uncertainties is a case; a case is *bad* when its outcome is worse than a
threshold (by the metric's declared direction). PRIM, the Patient Rule Induction Method
(Friedman & Fisher 1999), peels the factor space from its edges, a few per cent of the cases at a
time, towards a box of high *density* (the share of cases in the box that are bad), trading it
against *coverage* (the share of all bad cases that fall in the box) and *mass* (the share of all
cases in the box). The algorithm is the ``prim`` package's (David Hadka's standalone copy of the
EMA Workbench implementation), never hand-written here; this module picks a box from its peeling
trajectory and says it in words.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.metrics import METRICS_BY_KEY
from sim.outputs.formatting import format_value

#: The box chosen from the peeling trajectory: the one of highest coverage whose density is at
#: least this (else the densest).
MIN_DENSITY = 0.8

#: PRIM's peeling and pasting steps and smallest box (the EMA Workbench defaults).
PEEL_ALPHA = 0.05
PASTE_ALPHA = 0.05
MASS_MIN = 0.05

#: Columns of the peeling trajectory table.
TRAJECTORY_COLUMNS = ("box", "coverage", "density", "mass", "res_dim", "chosen")


class DiscoveryError(ValueError):
    """No bad case, or every case bad: there is nothing to tell apart."""


@dataclass(frozen=True)
class Restriction:
    """One factor's range inside the box, with the range it was sampled over."""

    factor: str
    low: float
    high: float
    sampled_low: float
    sampled_high: float


@dataclass
class Discovery:
    """The chosen box, its statistics and the whole peeling trajectory."""

    outcome: str
    threshold: float
    bad_if: str  # ">" or "<"
    n_cases: int
    n_bad: int
    coverage: float
    density: float
    mass: float
    restrictions: list[Restriction] = field(default_factory=list)
    trajectory: pd.DataFrame = field(default_factory=pd.DataFrame)


def bad_direction(outcome: str) -> str:
    """``>`` when more is worse (overdue visits), ``<`` when less is (visits on time)."""
    better = METRICS_BY_KEY[outcome].better
    if better == "neither":
        raise DiscoveryError(
            f"--outcome: {outcome} is neither better nor worse when higher; choose a risk, "
            f"workload, workforce or cost measure (got {outcome})"
        )
    return ">" if better == "lower" else "<"


def discover(
    x: pd.DataFrame, y: np.ndarray, outcome: str, threshold: float, min_density: float = MIN_DENSITY
) -> Discovery:
    """Run PRIM on cases ``x`` (one column per factor) with outcome values ``y``.

    Raises:
        DiscoveryError: No case, or all cases, are worse than the threshold.
    """
    import prim  # the package logs at import; loaded only by the command that needs it

    logging.getLogger("prim").setLevel(logging.WARNING)
    bad_if = bad_direction(outcome)
    y = np.asarray(y, dtype=float)
    keep = ~np.isnan(y)
    x, y = x.loc[keep].reset_index(drop=True), y[keep]
    bad = y > threshold if bad_if == ">" else y < threshold
    if not bad.any() or bad.all():
        share = "none" if not bad.any() else "all"
        raise DiscoveryError(
            f"--worse-than: {share} of the {len(y)} runs have {outcome} "
            f"{'above' if bad_if == '>' else 'below'} it, so there are no conditions to tell "
            f"apart; choose a value between {np.min(y):.4g} and {np.max(y):.4g} (got {threshold:g})"
        )
    numeric = x.apply(lambda c: c.astype(float) if c.dtype == bool else c)
    finder = prim.Prim(
        numeric,
        bad.astype(int),
        threshold=0.5,
        threshold_type=">",
        peel_alpha=PEEL_ALPHA,
        paste_alpha=PASTE_ALPHA,
        mass_min=MASS_MIN,
    )
    box = finder.find_box()
    trajectory = box.peeling_trajectory.reset_index(drop=True).rename(
        columns={"res dim": "res_dim"}
    )
    chosen = choose_box(trajectory, min_density)
    box.select(chosen)
    restrictions = _restrictions(box.limits, numeric)
    table = pd.DataFrame(
        {
            "box": np.arange(len(trajectory)),
            "coverage": trajectory["coverage"].astype(float),
            "density": trajectory["density"].astype(float),
            "mass": trajectory["mass"].astype(float),
            "res_dim": trajectory["res_dim"].astype(int),
            "chosen": np.arange(len(trajectory)) == chosen,
        },
        columns=list(TRAJECTORY_COLUMNS),
    )
    return Discovery(
        outcome,
        threshold,
        bad_if,
        n_cases=len(y),
        n_bad=int(bad.sum()),
        coverage=float(box.coverage),
        density=float(box.density),
        mass=float(box.mass),
        restrictions=restrictions,
        trajectory=table,
    )


def choose_box(trajectory: pd.DataFrame, min_density: float = MIN_DENSITY) -> int:
    """The trajectory's box of highest coverage with density ≥ ``min_density``, else the densest.

    Equal coverage goes to the denser box, then the simpler (fewer restricted factors), then the
    earlier one.
    """
    density = trajectory["density"].to_numpy(dtype=float)
    coverage = trajectory["coverage"].to_numpy(dtype=float)
    dims = trajectory["res_dim"].to_numpy(dtype=float)
    ok = np.flatnonzero(density >= min_density)
    if not ok.size:
        return int(np.argmax(density))
    order = sorted(ok, key=lambda i: (-coverage[i], -density[i], dims[i], i))
    return int(order[0])


def _restrictions(limits: pd.DataFrame, x: pd.DataFrame) -> list[Restriction]:
    out = []
    for factor, row in limits.iterrows():
        column = x[factor]
        out.append(
            Restriction(
                str(factor),
                float(row["min"]),
                float(row["max"]),
                float(column.min()),
                float(column.max()),
            )
        )
    return out


def restriction_words(r: Restriction, label: str, unit: str = "") -> str:
    """A restriction in words: ``New referrals a working day, per team is at least 0.62``."""
    unit_text = f" {unit}" if unit else ""
    lower = r.low > r.sampled_low + 1e-12
    upper = r.high < r.sampled_high - 1e-12
    if lower and upper:
        return f"{label} is from {r.low:.3g} to {r.high:.3g}{unit_text}"
    if lower:
        return f"{label} is at least {r.low:.3g}{unit_text}"
    if upper:
        return f"{label} is at most {r.high:.3g}{unit_text}"
    return f"{label} is anywhere in its range"


def discovery_sentence(
    found: Discovery, labels: dict[str, str], units: dict[str, str] | None = None
) -> str:
    """The chosen box in words, with coverage and density, for the brief."""
    metric = METRICS_BY_KEY[found.outcome]
    units = units or {}
    worse = "above" if found.bad_if == ">" else "below"
    unit = "" if metric.unit in ("share", "GBP", "per year") else f" {metric.unit}"
    conditions = [
        restriction_words(r, labels.get(r.factor, r.factor), units.get(r.factor, ""))
        for r in found.restrictions
    ]
    where = " and ".join(conditions) if conditions else "anywhere in the ranges swept"
    return (
        f"{metric.label} {worse} {format_value(found.threshold, metric.unit)}{unit} "
        f"({found.n_bad} of {found.n_cases} runs) happens when {where}: this box holds "
        f"{found.coverage:.0%} of the bad runs (coverage) and {found.density:.0%} of the runs "
        f"in it are bad (density); it is {found.mass:.0%} of all runs (PRIM)."
    )


def cases_from_runs(runs: pd.DataFrame, factors: Sequence[str], outcome: str) -> tuple[Any, Any]:
    """The factor columns and the outcome of every run (``runs.parquet`` of a sweep)."""
    missing = [c for c in (*factors, outcome) if c not in runs.columns]
    if missing:
        raise DiscoveryError(
            f"runs.parquet: lacks column(s) {', '.join(missing)}; was it written by this "
            f"experiment's sweep? (got columns {', '.join(map(str, runs.columns))})"
        )
    return runs[list(factors)].copy(), runs[outcome].to_numpy(dtype=float)
