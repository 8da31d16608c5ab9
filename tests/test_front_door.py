"""The front door, re-referrals and the allocation order: unit and directional tests.

Each mechanism is switched on alone on a quiet team (``tests/model_helpers.py``) so a test sees
its effect and nothing else; the directional tests run a pressured team under two settings with
the same seed.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.cases import ALLOCATED, NEVER, WAITING
from sim.engine.model import CaseloadModel
from sim.engine.phases import allocation
from tests.model_helpers import add_cases, quiet_model, scenario

# --- allocation order ---------------------------------------------------------------------------


def allocation_sequence(model: CaseloadModel, n: int) -> list[int]:
    """Rows in the order one-a-day allocation takes them."""
    order: list[int] = []
    for _ in range(n):
        allocation.allocate(model)
        allocated = set(np.flatnonzero(model.cases.status[: model.cases.n] == ALLOCATED).tolist())
        order.append(next(iter(allocated - set(order))))
    return order


def ordered_model(order: str, **allocation_settings) -> tuple[CaseloadModel, np.ndarray]:
    model = quiet_model(
        team={"social_worker_posts": 1},
        allocation={"max_allocations_per_day": 1, "order": order, **allocation_settings},
    )
    model.day = 100
    rows = np.concatenate([add_cases(model, 1, observed_risk=r) for r in (0.1, 0.6, 0.3, 0.3)])
    model.cases.day_arrived[rows] = [0, 99, 98, 95]
    return model, rows


def test_risk_first_takes_highest_observed_risk_then_oldest():
    model, rows = ordered_model("risk_first")
    assert allocation_sequence(model, 4) == [rows[1], rows[3], rows[2], rows[0]]


def test_first_come_takes_the_oldest_whatever_its_risk():
    model, rows = ordered_model("first_come")
    assert allocation_sequence(model, 4) == [rows[0], rows[3], rows[2], rows[1]]


def test_risk_with_ageing_adds_weight_times_days_waiting():
    # The 0.1 case has waited 100 days: 0.1 + 0.006 * 100 = 0.7 beats 0.6 + 0.006 = 0.606.
    model, rows = ordered_model("risk_with_ageing", ageing_weight_per_day=0.006)
    assert allocation_sequence(model, 4) == [rows[0], rows[1], rows[3], rows[2]]
    # With no weight it is risk first.
    model, rows = ordered_model("risk_with_ageing", ageing_weight_per_day=0.0)
    assert allocation_sequence(model, 4) == [rows[1], rows[3], rows[2], rows[0]]


PRESSURED = {
    "simulation": {"days": 260, "warmup_days": 0, "initial_cases_per_fte": 10.0},
    "team": {"social_worker_posts": 4},
    "demand": {"referrals_per_day": 0.9},
    "allocation": {"cap_kind": "count", "cap_per_fte": 14.0, "at_cap": "wait"},
}


def longest_wait(order: str, seed: int = 3) -> float:
    """Longest wait for a first allocation (still-waiting referrals count their wait so far)."""
    model = CaseloadModel(
        scenario(**{**PRESSURED, "allocation": {**PRESSURED["allocation"], "order": order}}), seed
    )
    model.run()
    cases = model.cases
    n = cases.n
    arrived = cases.day_arrived[:n]
    first = cases.day_first_allocated[:n]
    waited = np.where(first == NEVER, model.day - 1, first) - arrived
    fresh = arrived >= 0
    assert np.count_nonzero(cases.status[:n] == WAITING) > 0, "the team must be under pressure"
    return float(waited[fresh].max())


@pytest.mark.parametrize("seed", [3, 4])
def test_first_come_bounds_the_longest_wait(seed):
    assert longest_wait("first_come", seed) < longest_wait("risk_first", seed)
