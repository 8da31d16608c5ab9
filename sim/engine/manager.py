"""The manager under load (``manager.mode = "under_load"``): its hours, stress and case reviews.

With ``manager.mode = "off"`` (the default) nothing here acts: the supervision phase gives the
manager hours for supervision and audits only. Under load, per team and day (phase 4a):

Hours. With q the manager's productivity (``wellbeing.burnout_productivity`` while burnt out,
else 1), B = M * (H_m - F_m) / 5 paid hours after fixed commitments, O the oversight cost of the
supervision phase, C_s the nominal hours of the supervision sessions due and C_r = c_r * n_due the
nominal hours of the case reviews due or overdue (``review_hours_per_case`` c_r each):
    D = (O + C_s + C_r) / q,   OT = min(OT_max * M / 5, s * max(0, D - B))
(OT_max = ``manager.max_unpaid_overtime_hours_per_week``, 0 by default: the manager's hours were
calibrated without overtime; s = ``work.overtime_share_of_shortfall``, the social workers' own).
The nominal hours left for the manager's own tasks are
S = max(0, (B + OT) * q - O); supervision takes them first, then reviews, then audits.

Reviews. Every allocated case needs a management review every I days, or every I_h days while its
observed risk is above ``risk.high_risk_threshold`` (the seed case's weekly risk assessment):
due = last review + I (or I_h). Allocating a case reviews it (the manager sets its timescale when
it allocates). The reviews due are made high observed risk first, then earliest due, then case
row, while S covers c_r each. A review sets observed risk to latent risk; a case found above the
threshold whose observed risk was at or below it is escalated: its next visit falls due today.

A case whose review is overdue (due before today, after today's reviews):
  (a) has no timescale set: unless its observed risk is above the threshold, its worker (or an
      assistant) plans the visit ``unset_timescale_slip_days`` late (the statutory due day
      stays, so the slip shows in every overdue measure);
  (b) drifts: its risk logit rises by ``unreviewed_drift_per_day`` a day (drift and delay in
      plans nobody reviews), on top of the risk phase's drift for an overdue visit.

Stress, like a social worker's (wellbeing phase), at the end of the manager's day:
    g = g0 + g_L * min(max(0, D / B - 1), 2) + g_B * c_r * n_overdue / R_B + g_O * OT / h_m
    s <- s + min(1, g) * (1 - s);   s <- s * (1 - k)
with h_m = M * H_m / 5 and n_overdue the reviews still overdue; g0, g_L, g_B, R_B, g_O, k and the
burnout thresholds are the ``wellbeing`` section's. No supervision relief: nobody supervises the
manager in the model. The manager does not fall sick or leave.

Day-0 cases get their last review at a keyed uniform point of the interval before day 0
(``Streams.keyed_uniform("manager_review", 0, children)``), so no existing stream moves. Review
dates are kept by case id, so the case book's compaction between days moves nothing here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engine.cases import ALLOCATED, READY, group_rows

if TYPE_CHECKING:
    from sim.engine.agents import Manager
    from sim.engine.state import World

#: ``last review`` of a case row the manager has not reviewed or allocated (yet).
UNSET = np.iinfo(np.int32).min // 2
#: Managers' ids in ``workers.parquet`` and ``worker_days.parquet``: this plus the team.
MANAGER_WORKER_BASE = 1_000_000_000
EPSILON = 1e-9
OVERLOAD_CAP = 2.0


def is_under_load(model: World) -> bool:
    """Whether the scenario models the manager under load (``manager.mode``)."""
    return model.config.manager.mode == "under_load"


class Oversight:
    """Each case's last management review, indexed by ``case_id`` (rows move; ids do not).

    Grown as referrals are opened; an archived case's entries are simply never read again.
    """

    def __init__(self) -> None:
        self.day_last_review = np.full(0, UNSET, dtype=np.int32)
        #: The allocation day last seen per case: a new one means the case was (re)allocated.
        self.day_allocation_seen = np.full(0, UNSET, dtype=np.int32)

    def ensure(self, n: int) -> None:
        """Make room for case ids below ``n`` (new cases unreviewed)."""
        have = len(self.day_last_review)
        if n <= have:
            return
        size = max(n, 2 * have, 1024)
        for name in ("day_last_review", "day_allocation_seen"):
            column = np.full(size, UNSET, dtype=np.int32)
            column[:have] = getattr(self, name)
            setattr(self, name, column)

    def start(self, model: World) -> None:
        """Give day-0 cases a last review spread over the interval before day 0 (keyed draws)."""
        cases = model.cases
        self.ensure(cases.n_total)
        live = cases.live
        rows = live[(cases.status[live] == ALLOCATED) | (cases.status[live] == READY)]
        if len(rows) == 0:
            return
        ids = cases.case_id[rows]
        interval = review_intervals(model, rows)
        u = model.streams.keyed_uniform("manager_review", 0, cases.child[rows])
        self.day_last_review[ids] = model.day - 1 - np.floor(u * interval).astype(np.int32)
        self.day_allocation_seen[ids] = cases.day_allocated[rows]


def review_intervals(model: World, rows: np.ndarray) -> np.ndarray:
    """Days between reviews of case ``rows``: shorter while observed risk is high."""
    cfg = model.config.manager
    high = model.cases.observed_risk[rows] > model.config.risk.high_risk_threshold
    return np.where(high, cfg.high_risk_review_interval_days, cfg.review_interval_days)


def review_due_days(model: World, rows: np.ndarray) -> np.ndarray:
    """Day each of case ``rows`` is due its next management review."""
    last = model.oversight.day_last_review[model.cases.case_id[rows]].astype(np.int64)
    return last + review_intervals(model, rows)


def review_overdue(model: World, rows: np.ndarray, day: int | None = None) -> np.ndarray:
    """Per row: allocated, with its review due before ``day`` (default today) and not made.

    At the end of day t (the tally) pass ``day = t + 1``: a review due on day t not made is
    overdue, as for visits. Always false with the manager ``off``.
    """
    if not is_under_load(model) or len(rows) == 0:
        return np.zeros(len(rows), dtype=bool)
    day = model.day if day is None else day
    model.oversight.ensure(model.cases.n_total)
    allocated = model.cases.status[rows] == ALLOCATED
    return allocated & (review_due_days(model, rows) < day)


def planned_visit_days(model: World, rows: np.ndarray) -> np.ndarray:
    """Day the holder of each of ``rows`` plans its visit: the due day, or later if unreviewed.

    (a) of the module docstring: a case whose review is overdue and whose observed risk is not
    above the threshold has no timescale set, and its visit slips ``unset_timescale_slip_days``.
    With the manager ``off`` this is the due day itself.
    """
    due = model.cases.day_visit_due[rows]
    if not is_under_load(model):
        return due
    slip = model.config.manager.unset_timescale_slip_days
    known_high = model.cases.observed_risk[rows] > model.config.risk.high_risk_threshold
    slipping = review_overdue(model, rows) & ~known_high
    return np.where(slipping, due + slip, due)


def note_allocations(model: World, rows: np.ndarray) -> None:
    """Allocated ``rows`` with a new allocation day were reviewed then (the timescale set)."""
    oversight, cases = model.oversight, model.cases
    oversight.ensure(cases.n_total)
    ids = cases.case_id[rows]
    allocated_on = cases.day_allocated[rows]
    fresh = allocated_on != oversight.day_allocation_seen[ids]
    oversight.day_allocation_seen[ids[fresh]] = allocated_on[fresh]
    oversight.day_last_review[ids[fresh]] = allocated_on[fresh]


def reviews_due(model: World, rows: np.ndarray) -> np.ndarray:
    """Allocated ``rows`` due or overdue a review today, in the order the manager takes them."""
    cases, day = model.cases, model.day
    rows = rows[cases.status[rows] == ALLOCATED]
    due = review_due_days(model, rows)
    rows, due = rows[due <= day], due[due <= day]
    high = cases.observed_risk[rows] > model.config.risk.high_risk_threshold
    return rows[np.lexsort((rows, due, ~high))]


def productivity(model: World, manager: Manager) -> float:
    """The manager's output per clock hour: lowered by burnout, as a social worker's."""
    return model.config.wellbeing.burnout_productivity if manager.is_burnt_out else 1.0


def start_day(
    model: World, manager: Manager, oversight_hours: float, supervision_hours_due: float, due: int
) -> float:
    """Set the manager's hours for today; return the nominal hours S left after oversight.

    ``oversight_hours`` is O, ``supervision_hours_due`` C_s and ``due`` the reviews due or
    overdue (module docstring).
    """
    sup, work, cfg = model.config.supervision, model.config.work, model.config.manager
    fte = model.config.team.manager_fte
    q = productivity(model, manager)
    paid = fte * (sup.manager_hours_per_week - sup.manager_fixed_hours_per_week) / 5.0
    review_hours = cfg.review_hours_per_case * due
    demand = (oversight_hours + supervision_hours_due + review_hours) / q
    overtime = min(
        cfg.max_unpaid_overtime_hours_per_week / 5.0 * fte,
        work.overtime_share_of_shortfall * max(0.0, demand - paid),
    )
    manager.hours_available = paid
    manager.demand_hours = demand
    manager.overtime_allowed = overtime
    manager.productivity = q
    return max(0.0, (paid + overtime) * q - oversight_hours)


def review(model: World, manager: Manager, due_rows: np.ndarray, hours: float) -> float:
    """Review ``due_rows`` in order while ``hours`` (nominal) last; return the hours left."""
    cases, day, cfg = model.cases, model.day, model.config.manager
    cost = cfg.review_hours_per_case
    n = len(due_rows) if cost <= 0 else min(len(due_rows), int(hours / cost + EPSILON))
    rows = due_rows[:n]
    manager.reviews_today = n
    manager.reviews += n
    if n == 0:
        return hours
    model.oversight.day_last_review[cases.case_id[rows]] = day
    threshold = model.config.risk.high_risk_threshold
    was_high = cases.observed_risk[rows] > threshold
    risk = 1.0 / (1.0 + np.exp(-cases.risk_logit[rows]))
    cases.observed_risk[rows] = risk
    # Escalation: risk found above the threshold that was not known to be; see the child today.
    escalate = rows[(risk > threshold) & ~was_high & (cases.work_days_left[rows] > 0)]
    cases.day_visit_due[escalate] = np.minimum(cases.day_visit_due[escalate], day)
    manager.escalations += len(escalate)
    return max(0.0, hours - n * cost)


def drift_unreviewed(model: World, rows: np.ndarray) -> int:
    """(b) of the module docstring: raise the risk of ``rows`` whose review is overdue."""
    drift = model.config.manager.unreviewed_drift_per_day
    overdue = rows[review_overdue(model, rows)]
    if drift > 0 and len(overdue):
        cases = model.cases
        cases.risk_logit[overdue] = np.clip(cases.risk_logit[overdue] + drift, -12.0, 12.0)
    return len(overdue)


def end_day(model: World, manager: Manager, hours_left: float, n_overdue: int) -> None:
    """Book the manager's hours and move its stress and burnout one day on."""
    q = manager.productivity
    worked = manager.hours_available + manager.overtime_allowed - hours_left / q
    overtime = max(0.0, worked - manager.hours_available)
    manager.hours_worked = worked
    manager.overtime_hours = overtime
    manager.total_hours_worked += worked
    manager.total_overtime_hours += overtime
    manager.reviews_overdue = n_overdue
    update_stress(model, manager, n_overdue)


def update_stress(model: World, manager: Manager, n_overdue: int) -> None:
    """The wellbeing phase's stress and burnout rules, applied to the manager (module docstring)."""
    cfg = model.config.wellbeing
    if cfg.enabled:
        paid = manager.hours_available
        demand = manager.demand_hours
        if paid > 0:
            overload = min(max(0.0, demand / paid - 1.0), OVERLOAD_CAP)
        else:
            overload = OVERLOAD_CAP if demand > 0 else 0.0
        sup = model.config.supervision
        contracted = model.config.team.manager_fte * sup.manager_hours_per_week / 5.0
        backlog = model.config.manager.review_hours_per_case * n_overdue
        gain = (
            cfg.baseline_gain_per_day
            + cfg.overload_gain_per_day * overload
            + cfg.backlog_gain_per_day * backlog / cfg.backlog_reference_hours
            + cfg.overtime_gain_per_day * manager.overtime_hours / contracted
        )
        s = manager.stress
        s = s + min(1.0, gain) * (1.0 - s)
        s = s - cfg.recovery_per_day * s
        manager.stress = min(1.0, max(0.0, s))
    above = manager.stress >= cfg.burnout_threshold
    manager.days_above_threshold = manager.days_above_threshold + 1 if above else 0
    if cfg.enabled:
        manager.is_burnt_out = (
            manager.is_burnt_out or manager.days_above_threshold >= cfg.burnout_onset_days
        ) and not manager.stress < cfg.burnout_recovery_threshold
    else:
        manager.is_burnt_out = False
    manager.total_burnout_days += int(manager.is_burnt_out)


def team_open_rows(model: World, live: np.ndarray) -> list[np.ndarray]:
    """Allocated live ``rows`` by team (the cases each manager reviews)."""
    cases = model.cases
    rows = live[cases.status[live] == ALLOCATED]
    return group_rows(rows, cases.team[rows], len(model.managers))
