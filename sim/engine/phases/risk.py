"""Phase 2, risk: latent risk of open and waiting cases evolves; serious incidents may happen.

Latent risk r = logistic(x). Each working day, for every case not closed:
    x <- x + theta * (mu_type - x) + sigma * eps + delta * [visit overdue],   eps ~ N(0, 1)
where mu_type = logit(initial_risk_mean of the case type). Risk is only *observed* at visits.
The daily serious-incident hazard of a case is
    h = (rho / 260) * exp(b_r * (r - r0) + b_o * min(overdue / interval, 3) + b_w * [record stale])
with r0 = 0.2 and rho the annual incident rate of a monitored case at risk r0; the probability of
an incident today is 1 - exp(-h). These are harm events (``serious_incidents``); one is also a
*notifiable* serious incident with probability q = min(1, q0 * exp(b_q * (r - r0))),
q0 = ``notifiable_share``, b_q = ``notifiable_risk_log_ratio`` (a keyed draw of its own).
x is clipped to [-12, 12]. Each incident, with the state of its case, worker, manager and team that
day, goes to the model's incident log (``sim/engine/incident_log.py``; no draws). An incident
reveals the case's risk and, unless the case is ready to close, makes a visit due at once. eps and
the incident uniform are keyed by (child, day) (``Streams.keyed_normal``/``keyed_uniform``) and
drawn for live cases only. A child has at most one live case on a day, and children are numbered in
the order of fresh referrals (re-referrals keep their child's number), so two scenarios share each
child's draws whenever they share arrivals and day-0 cases, however their closures, re-referrals and
screening differ: the basis of the counterfactual replay (``caseload review``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engine.cases import record_is_stale as cases_record_is_stale
from sim.engine.referrals import logit
from sim.scenario.schema import CASE_TYPES, WORKING_DAYS_PER_YEAR

if TYPE_CHECKING:
    from sim.engine.state import World

REFERENCE_RISK = 0.2


def type_mean_logits(model: World) -> np.ndarray:
    """Logit of each case type's mean risk, indexed by type code."""
    return np.array([logit(model.config.case_types[t].initial_risk_mean) for t in CASE_TYPES])


def record_is_stale(
    model: World, day: int | None = None, rows: np.ndarray | None = None
) -> np.ndarray:
    """Per row (of ``rows``): :func:`sim.engine.cases.record_is_stale` at the scenario's threshold.

    At the end of ``day`` (default: the model's current day).
    """
    threshold = model.config.work.record_out_of_date_after_days
    day = model.day if day is None else day
    return cases_record_is_stale(model.cases, day, threshold, rows)


def evolve(model: World) -> int:
    """Move latent risk one day on and draw serious incidents; return today's incident count."""
    cases, day, cfg = model.cases, model.day, model.config.risk
    live = cases.live
    if not cfg.enabled or len(live) == 0:
        return 0
    # Draws keyed by (child, day): scenarios share each child's risk path whatever else is live,
    # and whatever order other children were referred in (a child has one live case at a time).
    ids = cases.child[live]
    eps = model.streams.keyed_normal("risk", day, ids)
    uniform = model.streams.keyed_uniform("incidents", day, ids)
    due = cases.day_visit_due[live]
    overdue_days = np.where(due < day, day - due, 0)
    x = cases.risk_logit[live]
    mu = type_mean_logits(model)[cases.type_code[live]]
    step = cfg.reversion_per_day * (mu - x) + cfg.volatility_per_day * eps
    step += cfg.unmonitored_drift_per_day * (overdue_days > 0)
    x += step
    np.clip(x, -12.0, 12.0, out=x)
    cases.risk_logit[live] = x

    risk = 1.0 / (1.0 + np.exp(-x))
    overdue_ratio = np.minimum(overdue_days / cases.visit_interval_days[live], 3.0)
    stale = record_is_stale(model, rows=live)
    log_hazard = (
        cfg.incident_risk_log_ratio * (risk - REFERENCE_RISK)
        + cfg.incident_overdue_log_ratio * overdue_ratio
        + cfg.incident_record_log_ratio * stale
    )
    hazard = cfg.incident_rate_per_case_year / WORKING_DAYS_PER_YEAR * np.exp(log_hazard)
    hit = np.flatnonzero(uniform < -np.expm1(-hazard))
    if len(hit):
        notify = np.minimum(
            1.0,
            cfg.notifiable_share
            * np.exp(cfg.notifiable_risk_log_ratio * (risk[hit] - REFERENCE_RISK)),
        )
        drawn = model.streams.keyed_uniform("notification", day, ids[hit])
        notifiable = drawn < notify
        model.tally.record_notifications(int(np.count_nonzero(notifiable)))
        # Each event with its context, read before the incident changes the case (no draws).
        model.incidents.record(model, live[hit], notifiable, overdue_days[hit], stale[hit])
    for i, row in zip(hit.tolist(), live[hit].tolist(), strict=True):
        cases.n_incidents[row] += 1
        cases.observed_risk[row] = risk[i]  # an incident reveals the risk
        if cases.work_days_left[row] > 0:  # a case whose work is done needs no further visit
            cases.day_visit_due[row] = min(int(cases.day_visit_due[row]), day)  # see the child
        worker = int(cases.worker[row])
        if worker >= 0:
            model.staff.incidents_today[worker] += 1
    model.tally.record_incidents(len(hit))
    return len(hit)
