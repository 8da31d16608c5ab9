"""A sweep's results: outcome means per design point, and what drives each outcome.

Every design point runs the same replication seeds (common random numbers), so points differ
by their factor values, not by luck; an outcome's value at a point is its mean over those
replications. Sensitivity indices come from SALib, except for grids:

- Sobol' (``sobol``): first-order ``S1`` and total ``ST`` shares of the outcome's variance;
- Morris (``morris``): ``mu_star``, the mean absolute elementary effect in outcome units, in
  SALib's scaling: the change over a step divided by the step as a share of the factor's range,
  so the change over the whole range if the effect were linear;
- Latin hypercube (``lhs``): first-order ``S1`` by RBD-FAST;
- full grid (``grid``): this module's first-order main-effect shares,
  ``Var(E[Y | X_i]) / Var(Y)`` over the grid's points (exact for a full factorial, where every
  level of one factor meets every combination of the others; no interval).

Each index carries SALib's bootstrap 95% confidence half-width where it gives one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.engine.metrics import METRIC_KEYS, METRICS_BY_KEY
from sim.experiments.design import Plan
from sim.experiments.experiment import OUTCOME_STATISTICS, RBD_FAST_HARMONICS
from sim.runs.batch import RunRecord, metric_matrix
from sim.runs.replications import summarise_values

#: Columns of the sensitivity table.
SENSITIVITY_COLUMNS = ("outcome", "factor", "index", "value", "conf")

#: Bootstrap resamples for SALib's confidence intervals.
RESAMPLES = 200


def runs_table(plan: Plan, records: Sequence[RunRecord]) -> pd.DataFrame:
    """One row per run: point, factor values, replication, seed and every metric."""
    rows = []
    for record in records:
        factors = plan.values.iloc[record.point].to_dict()
        rows.append(
            {
                "point": record.point,
                **factors,
                "replication": record.replication,
                "seed": record.seed,
                **{key: record.summary.get(key, math.nan) for key in METRIC_KEYS},
            }
        )
    return pd.DataFrame(rows)


def points_table(plan: Plan, records: Sequence[RunRecord], outcomes: Sequence[str]) -> pd.DataFrame:
    """One row per design point: factor values and each outcome's mean, interval, SD and n."""
    table = plan.values.copy()
    table.insert(0, "point", np.arange(len(table)))
    reps = plan.experiment.replications
    for outcome in outcomes:
        values = metric_matrix(records, outcome, len(table), reps)
        stats = [summarise_values(row, METRICS_BY_KEY[outcome].bounds) for row in values]
        for statistic in OUTCOME_STATISTICS:
            table[f"{outcome}_{statistic}"] = [s[statistic] for s in stats]
    return table


def sensitivity(plan: Plan, points: pd.DataFrame, outcomes: Sequence[str]) -> pd.DataFrame:
    """Sensitivity indices of every outcome to every factor, by the design's method."""
    method = plan.experiment.design.method
    design = plan.experiment.design
    seed = design.seed if design.seed is not None else (plan.experiment.seed or 0)
    rows: list[dict[str, object]] = []
    for outcome in outcomes:
        y = points[f"{outcome}_mean"].to_numpy(dtype=float)
        if not np.isfinite(y).all() or np.ptp(y) == 0:
            rows += _undefined(plan.labels, outcome, method)
            continue
        for factor, index, value, conf in _indices(plan, y, method, seed):
            rows.append(
                {
                    "outcome": outcome,
                    "factor": factor,
                    "index": index,
                    "value": float(value),
                    "conf": float(conf),
                }
            )
    return pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS))


def _indices(
    plan: Plan, y: np.ndarray, method: str, seed: int
) -> list[tuple[str, str, float, float]]:
    problem, labels = plan.problem, plan.labels
    if method == "grid":
        return [(f, "S1", s, math.nan) for f, s in zip(labels, main_effects(plan, y), strict=True)]
    if method == "sobol":
        from SALib.analyze import sobol

        result = sobol.analyze(
            problem,
            y,
            calc_second_order=plan.experiment.design.second_order,
            num_resamples=RESAMPLES,
            seed=seed,
        )
        out = []
        for index in ("S1", "ST"):
            out += [
                (f, index, result[index][i], result[f"{index}_conf"][i])
                for i, f in enumerate(labels)
            ]
        if plan.experiment.design.second_order:
            for i, j in zip(*np.triu_indices(len(labels), 1), strict=True):
                out.append(
                    (
                        f"{labels[i]} × {labels[j]}",
                        "S2",
                        result["S2"][i, j],
                        result["S2_conf"][i, j],
                    )
                )
        return out
    if method == "morris":
        from SALib.analyze import morris

        result = morris.analyze(
            problem,
            plan.matrix,
            y,
            num_resamples=RESAMPLES,
            num_levels=plan.experiment.design.levels,
            seed=seed,
        )
        return [
            (f, index, result[index][i], conf)
            for i, f in enumerate(labels)
            for index, conf in (
                ("sigma", math.nan),
                ("mu_star", result["mu_star_conf"][i]),
            )
        ]
    from SALib.analyze import rbd_fast

    result = rbd_fast.analyze(
        problem, plan.matrix, y, M=RBD_FAST_HARMONICS, num_resamples=RESAMPLES, seed=seed
    )
    return [(f, "S1", result["S1"][i], result["S1_conf"][i]) for i, f in enumerate(labels)]


def main_effects(plan: Plan, y: np.ndarray) -> list[float]:
    """``Var(E[Y | X_i]) / Var(Y)`` for each factor of a grid, over its points."""
    outcome = pd.Series(np.asarray(y, dtype=float))
    total = float(np.var(y))
    return [
        float(np.var(outcome.groupby(plan.values[label].to_numpy(), sort=False).transform("mean")))
        / total
        for label in plan.labels
    ]


def _undefined(labels: Sequence[str], outcome: str, method: str) -> list[dict[str, object]]:
    """An outcome that did not vary (or is undefined somewhere): no factor explains it."""
    index = {"morris": "mu_star", "sobol": "ST"}.get(method, "S1")
    return [
        {"outcome": outcome, "factor": f, "index": index, "value": math.nan, "conf": math.nan}
        for f in labels
    ]
