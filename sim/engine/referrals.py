"""Opening case-book rows: new referrals (and day-0 cases) get a type's schedule, work and risk.

Latent risk of a new referral is drawn from Beta(mu k, (1 - mu) k) around its type's mean risk mu
(k = ``INITIAL_RISK_CONCENTRATION``), clipped to [1e-4, 1 - 1e-4] and stored as its logit; the
manager's screening view adds N(0, 0.05^2) noise. A case (re)starting a type gets the type's
complexity weight, visit interval, first visit due after ``first_visit_days`` and a duration drawn
from the type's distribution. Arrivals, the build and the work phase (a case stepping up) call
this module, so none of them imports another phase.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engine.agents import Referral
from sim.engine.distributions import quantile_days, sample_days
from sim.scenario.schema import CASE_TYPES

if TYPE_CHECKING:
    from sim.engine.state import World

INITIAL_RISK_CONCENTRATION = 8.0
SCREENING_NOISE_SD = 0.05


def logit(p: np.ndarray | float) -> np.ndarray | float:
    """log(p / (1 - p))."""
    return np.log(p) - np.log1p(-p)


def open_cases(
    model: World,
    codes: np.ndarray,
    teams: np.ndarray,
    rng: np.random.Generator,
    duration_rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Create case-book rows (and Referral agents) for new referrals of the given types.

    ``rng`` draws initial risk and ``duration_rng`` (default: the ``case_duration`` stream) the
    work each case needs, so day-0 cases never shift the draws of later arrivals.
    """
    cases, day = model.cases, model.day
    rows = cases.add(len(codes))
    cases.type_code[rows] = codes
    cases.team[rows] = teams
    cases.day_arrived[rows] = day
    # A fresh referral is a new child: ids count fresh referrals only, so re-referrals (which
    # keep their child's id) never shift another child's id or its keyed draws.
    cases.child[rows] = model.n_children + np.arange(len(rows))
    model.n_children += len(rows)
    initial_risk_logit(model, rows, rng)
    start_case_type(model, rows, duration_rng or model.streams["case_duration"])
    for case_id in cases.case_id[rows].tolist():
        model.referral_agents[case_id] = Referral(model, case_id=case_id)
    return rows


def start_case_type(
    model: World,
    rows: np.ndarray,
    rng: np.random.Generator | None,
    uniforms: np.ndarray | None = None,
) -> None:
    """Set weight, visit schedule and work still needed for rows that (re)start their type.

    Durations come from ``rng`` in sequence, or, when ``uniforms`` (one per row) is given, as
    their quantiles: keyed draws that make a step-up's duration the child's own.
    """
    cases, day = model.cases, model.day
    for code in np.unique(cases.type_code[rows]):
        mask = cases.type_code[rows] == code
        subset = rows[mask]
        spec = model.config.case_types[CASE_TYPES[code]]
        cases.weight[subset] = spec.complexity_weight
        cases.visit_interval_days[subset] = spec.visit_interval_days
        cases.day_visit_due[subset] = day + spec.first_visit_days
        if uniforms is None:
            cases.work_days_left[subset] = sample_days(spec.duration, rng, len(subset))
        else:
            cases.work_days_left[subset] = quantile_days(spec.duration, uniforms[mask])


def initial_risk_logit(model: World, rows: np.ndarray, rng: np.random.Generator) -> None:
    """Draw latent risk of new referrals (Beta around the type mean) and a noisy screening view."""
    cases = model.cases
    type_means = np.array([model.config.case_types[t].initial_risk_mean for t in CASE_TYPES])
    means = type_means[cases.type_code[rows]]
    k = INITIAL_RISK_CONCENTRATION
    risk = np.clip(rng.beta(means * k, (1.0 - means) * k), 1e-4, 1 - 1e-4)
    cases.risk_logit[rows] = logit(risk)
    seen = risk + model.streams["observation"].normal(0.0, SCREENING_NOISE_SD, len(rows))
    cases.observed_risk[rows] = np.clip(seen, 0.0, 1.0)
