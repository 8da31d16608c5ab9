"""Phase 1, arrivals: new referrals by type, Poisson with optional seasonality and demand shocks.

Rate for each team on day t:  lambda(t) = r * (1 + a * cos(2*pi*(t - t_peak)/260)) * m(t),
where r is ``demand.referrals_per_day``, a the seasonality amplitude and m(t) the product of the
multipliers of the demand shocks active on day t. Children due back today (re-referrals,
``sim/engine/door.py``) arrive after them, and with ``front_door.enabled`` every new referral is
screened against its team's threshold of the start of the day.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.engine import door
from sim.engine.cases import WAITING
from sim.engine.referrals import open_cases
from sim.scenario.schema import CASE_TYPES, WORKING_DAYS_PER_YEAR

if TYPE_CHECKING:
    from sim.engine.state import World


def referral_rate(model: World, day: int) -> float:
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


def arrive(model: World) -> int:
    """Add today's referrals to the case book as waiting cases; return how many arrived.

    Re-referrals and referrals screened out at the front door count as arrivals.
    """
    screening = model.config.front_door.enabled
    thresholds = door.screening_thresholds(model) if screening else None
    start = model.cases.n
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
    returning = len(door.release_due(model))
    total += returning
    if thresholds is not None and total:
        door.screen(model, np.arange(start, model.cases.n), thresholds)
    model.tally.record_referrals(total, re_referrals=returning)
    return total
