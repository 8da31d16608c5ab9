"""Phase 1, arrivals: new referrals by type, Poisson with optional seasonality and demand shocks.

Rate for each team on day t:  lambda(t) = r * (1 + a * cos(2*pi*(t - t_peak)/260)) * m(t),
where r is ``demand.referrals_per_day``, a the seasonality amplitude and m(t) the product of the
multipliers of the demand shocks active on day t.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.engine.cases import WAITING
from sim.scenario.schema import CASE_TYPES, WORKING_DAYS_PER_YEAR

if TYPE_CHECKING:
    from sim.engine.model import CaseloadModel


def referral_rate(model: CaseloadModel, day: int) -> float:
    """Expected referrals per team on ``day``."""
    demand = model.config.demand
    season = 1.0 + demand.seasonality_amplitude * math.cos(
        2.0 * math.pi * (day - demand.seasonality_peak_day) / WORKING_DAYS_PER_YEAR
    )
    shock = 1.0
    for event in demand.shocks:
        if event.start_day <= day < event.end_day:
            shock *= event.multiplier
    return demand.referrals_per_day * season * shock


def arrive(model: CaseloadModel) -> int:
    """Add today's referrals to the case book as waiting cases; return how many arrived."""
    counts = model.streams["arrivals"].poisson(
        referral_rate(model, model.day), model.config.team.n_teams
    )
    total = int(counts.sum())
    if total:
        teams = np.repeat(np.arange(len(counts)), counts)
        mix = model.config.demand.mix
        type_names = list(mix)
        draws = model.streams["case_mix"].choice(
            len(type_names), size=total, p=np.array([mix[t] for t in type_names])
        )
        codes = np.array([CASE_TYPES.index(type_names[i]) for i in draws], dtype=np.int8)
        rows = open_cases(model, codes, teams, model.streams["case_mix"])
        model.cases.status[rows] = WAITING
    model.tally.referrals_today = total
    return total


def open_cases(
    model: CaseloadModel,
    codes: np.ndarray,
    teams: np.ndarray,
    rng: np.random.Generator,
    duration_rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Create case-book rows (and Referral agents) for new referrals of the given types.

    ``rng`` draws initial risk and ``duration_rng`` (default: the ``case_duration`` stream) the
    work each case needs, so day-0 cases never shift the draws of later arrivals.
    """
    from sim.engine.agents import Referral
    from sim.engine.phases.risk import initial_risk_logit

    cases, day = model.cases, model.day
    rows = cases.add(len(codes))
    cases.type_code[rows] = codes
    cases.team[rows] = teams
    cases.day_arrived[rows] = day
    initial_risk_logit(model, rows, rng)
    start_case_type(model, rows, duration_rng or model.streams["case_duration"])
    for row in rows:
        model.referral_agents[int(row)] = Referral(model, row=int(row))
    return rows


def start_case_type(model: CaseloadModel, rows: np.ndarray, rng: np.random.Generator) -> None:
    """Set weight, visit schedule and work still needed for rows that (re)start their type."""
    from sim.engine.distributions import sample_days

    cases, day = model.cases, model.day
    for code in np.unique(cases.type_code[rows]):
        subset = rows[cases.type_code[rows] == code]
        spec = model.config.case_types[CASE_TYPES[code]]
        cases.weight[subset] = spec.complexity_weight
        cases.visit_interval_days[subset] = spec.visit_interval_days
        cases.day_visit_due[subset] = day + spec.first_visit_days
        cases.work_days_left[subset] = sample_days(spec.duration, rng, len(subset))
