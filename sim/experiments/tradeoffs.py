"""Trade-offs of a sweep: which settings buy the most safety per pound.

A design point is *dominated* when another costs no more and does no more harm, and is strictly
better in one of the two (Pareto). The non-dominated points are the only ones a planner need
choose between; along them, the extra cost a year over the harm avoided a year is the price of
safety, step by step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.metrics import METRICS_BY_KEY
from sim.outputs.formatting import format_value
from sim.scenario.levers import describe_setting, setting_label

#: The cost outcome a trade-off is drawn against.
COST = "staff_cost_total"

#: At most this many harm outcomes get a trade-off (figure and sentence).
MAX_HARMS = 2


def harm_outcomes(outcomes: Sequence[str]) -> list[str]:
    """The sweep's risk outcomes with a direction, the harms to set against cost."""
    harms = [
        o
        for o in outcomes
        if o in METRICS_BY_KEY
        and METRICS_BY_KEY[o].group == "risk"
        and METRICS_BY_KEY[o].better != "neither"
    ]
    return harms[:MAX_HARMS] if COST in outcomes else []


def non_dominated(cost: np.ndarray, harm: np.ndarray) -> np.ndarray:
    """Which points no other point beats on both cost and harm (lower is better in both).

    Points with an undefined value are never on the front.
    """
    cost, harm = np.asarray(cost, dtype=float), np.asarray(harm, dtype=float)
    ok = np.isfinite(cost) & np.isfinite(harm)
    front = np.zeros(cost.size, dtype=bool)
    for i in np.flatnonzero(ok):
        others = ok & (cost <= cost[i]) & (harm <= harm[i]) & ((cost < cost[i]) | (harm < harm[i]))
        front[i] = not others.any()
    return front


def signed_harm(points: pd.DataFrame, outcome: str) -> np.ndarray:
    """The harm as a quantity where lower is better (a higher-is-better share is negated)."""
    values = points[f"{outcome}_mean"].to_numpy(dtype=float)
    return values if METRICS_BY_KEY[outcome].better == "lower" else -values


def tradeoff_sentence(
    points: pd.DataFrame, factors: Sequence[Any], outcome: str, years: float
) -> str:
    """The non-dominated settings in words: cheapest, safest, and the price of safety between."""
    metric = METRICS_BY_KEY[outcome]
    cost = points[f"{COST}_mean"].to_numpy(dtype=float) / years
    harm = points[f"{outcome}_mean"].to_numpy(dtype=float)
    front = np.flatnonzero(non_dominated(cost, signed_harm(points, outcome)))
    if not front.size:
        return ""
    front = front[np.argsort(cost[front])]
    unit = "" if metric.unit in ("share", "GBP", "per year") else f" {metric.unit}"

    def where(i: int) -> str:
        row = points.iloc[i]
        return ", ".join(
            f"{setting_label(f.key)} {describe_setting(f.key, _plain(row[f.label]))}"
            for f in factors
        )

    cheapest, safest = front[0], front[-1]
    text = (
        f"Cost against {metric.label.lower()}: {front.size} of {len(points)} settings are not "
        f"beaten on both (marked in the trade-off figure). Cheapest: {where(cheapest)} at "
        f"{format_value(cost[cheapest], 'GBP')} a year with "
        f"{format_value(harm[cheapest], metric.unit)}{unit}"
    )
    if safest != cheapest:
        avoided = (harm[cheapest] - harm[safest]) / years * (1 if metric.better == "lower" else -1)
        extra = cost[safest] - cost[cheapest]
        per = ""
        if metric.per_year and avoided > 0:
            thing = metric.unit.removesuffix("s")
            per = f"; {format_value(extra / avoided, 'GBP')} per {thing} avoided"
        text += (
            f"; safest: {where(safest)} at {format_value(cost[safest], 'GBP')} a year with "
            f"{format_value(harm[safest], metric.unit)}{unit} "
            f"(+{format_value(extra, 'GBP')} a year{per})"
        )
    return text + "."


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
