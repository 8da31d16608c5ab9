"""Phase 2, risk: latent risk of open and waiting cases evolves; serious incidents may happen.

Latent risk r = logistic(x). Each working day, for every case not closed:
    x <- x + theta * (mu_type - x) + sigma * eps + delta * [visit overdue],   eps ~ N(0, 1)
where mu_type = logit(initial_risk_mean of the case type). Risk is only *observed* at visits.
The daily serious-incident hazard of a case is
    h = (rho / 260) * exp(b_r * (r - r0) + b_o * min(overdue / interval, 3) + b_w * [record stale])
with r0 = 0.2 and rho the annual incident rate of a monitored case at risk r0; the probability of
an incident today is 1 - exp(-h). x is clipped to [-12, 12]. An incident reveals the case's risk
and, unless the case is ready to close, makes a visit due at once. Draws are made per case row:
two scenarios share them row by row when their case books line up (same arrivals and day-0
cases), which holds for levers that change neither demand nor the day-0 workforce.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engine.cases import ALLOCATED, CLOSED, NEVER, NO_VISIT_DUE, READY
from sim.scenario.schema import CASE_TYPES, WORKING_DAYS_PER_YEAR

if TYPE_CHECKING:
    from sim.engine.cases import CaseBook
    from sim.engine.model import CaseloadModel

REFERENCE_RISK = 0.2
INITIAL_RISK_CONCENTRATION = 8.0
SCREENING_NOISE_SD = 0.05


def _logit(p: np.ndarray | float) -> np.ndarray | float:
    return np.log(p) - np.log1p(-p)


def type_mean_logits(model: CaseloadModel) -> np.ndarray:
    """Logit of each case type's mean risk, indexed by type code."""
    return np.array([_logit(model.config.case_types[t].initial_risk_mean) for t in CASE_TYPES])


def initial_risk_logit(model: CaseloadModel, rows: np.ndarray, rng: np.random.Generator) -> None:
    """Draw latent risk of new referrals (Beta around the type mean) and a noisy screening view."""
    cases = model.cases
    type_means = np.array([model.config.case_types[t].initial_risk_mean for t in CASE_TYPES])
    means = type_means[cases.type_code[rows]]
    k = INITIAL_RISK_CONCENTRATION
    risk = np.clip(rng.beta(means * k, (1.0 - means) * k), 1e-4, 1 - 1e-4)
    cases.risk_logit[rows] = _logit(risk)
    seen = risk + model.streams["observation"].normal(0.0, SCREENING_NOISE_SD, len(rows))
    cases.observed_risk[rows] = np.clip(seen, 0.0, 1.0)


def visit_overdue(cases: CaseBook, day: int) -> np.ndarray:
    """Per row: a statutory visit due on or before ``day`` and not made by the end of it."""
    n = cases.n
    due = cases.day_visit_due[:n]
    return (cases.status[:n] != CLOSED) & (due <= day) & (due < NO_VISIT_DUE)


def record_is_stale(model: CaseloadModel, day: int | None = None) -> np.ndarray:
    """Per row: allocated case whose record lags its oldest unrecorded contact too long.

    At the end of ``day`` (default: the model's current day).
    """
    cases = model.cases
    day = model.day if day is None else day
    n = cases.n
    lag_start = cases.day_oldest_unrecorded[:n]
    threshold = model.config.work.record_out_of_date_after_days
    is_open = (cases.status[:n] == ALLOCATED) | (cases.status[:n] == READY)
    # Day stamps before day 0 are real (a day-0 backlog); only NEVER means nothing unrecorded.
    return is_open & (lag_start != NEVER) & (day - lag_start > threshold)


def evolve(model: CaseloadModel) -> int:
    """Move latent risk one day on and draw serious incidents; return today's incident count."""
    cases, day, cfg = model.cases, model.day, model.config.risk
    n = cases.n
    # One draw per row and day whatever the policy, so scenarios share their risk paths.
    eps = model.streams["risk"].standard_normal(n)
    uniform = model.streams["incidents"].random(n)
    model.tally.incidents_today = 0
    if not cfg.enabled or n == 0:
        return 0
    is_live = cases.status[:n] != CLOSED
    due = cases.day_visit_due[:n]
    overdue_days = np.where(is_live & (due < day), day - due, 0)
    x = cases.risk_logit[:n]
    mu = type_mean_logits(model)[cases.type_code[:n]]
    step = cfg.reversion_per_day * (mu - x) + cfg.volatility_per_day * eps
    step += cfg.unmonitored_drift_per_day * (overdue_days > 0)
    x[is_live] += step[is_live]
    np.clip(x, -12.0, 12.0, out=x)

    risk = 1.0 / (1.0 + np.exp(-x))
    overdue_ratio = np.minimum(overdue_days / cases.visit_interval_days[:n], 3.0)
    log_hazard = (
        cfg.incident_risk_log_ratio * (risk - REFERENCE_RISK)
        + cfg.incident_overdue_log_ratio * overdue_ratio
        + cfg.incident_record_log_ratio * record_is_stale(model)
    )
    hazard = cfg.incident_rate_per_case_year / WORKING_DAYS_PER_YEAR * np.exp(log_hazard)
    hit = np.flatnonzero(is_live & (uniform < -np.expm1(-hazard)))
    for row in hit:
        cases.n_incidents[row] += 1
        cases.observed_risk[row] = risk[row]  # an incident reveals the risk
        if cases.work_days_left[row] > 0:  # a case whose work is done needs no further visit
            cases.day_visit_due[row] = min(int(cases.day_visit_due[row]), day)  # see the child
        worker = int(cases.worker[row])
        if worker >= 0:
            model.workers[worker].incidents_today += 1
    model.tally.incidents_today = len(hit)
    return len(hit)
