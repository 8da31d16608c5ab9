"""Phase 4a, supervision: the manager holds and records supervision within the hours left over.

Manager hours for supervision today:
    S = m * (H_m - F_m) / 5 - o * N / 5 * max(1, N / (m * N*))
with m the team's manager FTE (``team.manager_fte``: the span of control), H_m weekly hours, F_m
fixed weekly commitments, o oversight hours per case per week, N the team's open and waiting cases
(the span of oversight) and N* the optimum cases per manager FTE (``span_optimum_cases``): beyond
the optimum each case costs more to oversee (more escalations, less familiarity).
Sessions due are held most-overdue first while S covers session + recording time. A session is
on time if held by its due day; a due date more than one interval past is counted as missed and
rolled forward, so a worker never supervised counts one miss per interval.
Hours left after supervision go to audits: the manager reviews floor(S_left / a) of the team's
failing cases (a statutory visit overdue or a record out of date), most overdue first, at
``audit_hours_per_case`` a each. An audit makes the case's latent risk observed, so a case found to
be at high risk jumps the visit and allocation queues. An overloaded manager audits nothing.
With ``manager.mode = "under_load"`` (``sim/engine/manager.py``) S also has the manager's unpaid
overtime and burnout in it, the hours left after sessions go to case reviews before audits, and
the manager's stress moves at the end of its day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engine import manager as manager_load
from sim.engine.cases import NO_VISIT_DUE, group_rows, record_is_stale

if TYPE_CHECKING:
    from sim.engine.agents import Manager
    from sim.engine.state import World


def supervision_intervals(model: World, who: np.ndarray) -> np.ndarray:
    """Working days between sessions of staff rows ``who`` (shorter for newly qualified)."""
    sup = model.config.supervision
    is_nqsw = model.staff.is_nqsw(who, model.day)
    return np.where(is_nqsw, sup.nqsw_interval_days, sup.interval_days)


def supervise(model: World) -> None:
    """Hold today's supervision sessions in every team."""
    cfg, day, cases, staff = model.config.supervision, model.day, model.cases, model.staff
    live = cases.live
    live_per_team = np.bincount(cases.team[live], minlength=len(model.managers)).tolist()
    who = staff.in_post
    staff.supervised_today[who] = False
    staff.supervision_hours_today[who] = 0.0
    failing = failing_rows(model, live)
    failing_by_team = group_rows(failing, cases.team[failing], len(model.managers))
    if cfg.enabled:
        # A due date more than one interval past counts one miss per whole interval and rolls on:
        # k = max(0, floor((day - due - 1) / interval)) misses, the smallest k after which the
        # due date is at most one interval past.
        interval = supervision_intervals(model, who)
        due = staff.day_supervision_due[who]
        missed = np.maximum(0, (day - due - 1) // interval)
        due = due + missed * interval
        staff.day_supervision_due[who] = due
        missed_by_team = np.bincount(staff.team[who], weights=missed, minlength=len(model.managers))
        # Sessions due, team by team, most overdue first (then in hiring order).
        is_due = (due <= day) & ~staff.is_sick(who, day)
        candidates, candidate_due = who[is_due], due[is_due]
        order = np.lexsort((candidates, candidate_due, staff.team[candidates]))
        candidates, candidate_due = candidates[order], candidate_due[order]
        candidate_interval = interval[is_due][order]
        due_by_team = group_rows(
            np.arange(len(candidates)), staff.team[candidates], len(model.managers)
        )
    cost = cfg.session_hours + cfg.recording_hours
    manager_fte = model.config.team.manager_fte
    under_load = model.config.manager.mode == "under_load"
    if under_load:
        reviewable_by_team = manager_load.team_open_rows(model, live)
        for rows in reviewable_by_team:
            manager_load.note_allocations(model, rows)
    for manager in model.managers:
        open_cases = live_per_team[manager.team]
        manager.oversight_ratio = open_cases / (cfg.span_optimum_cases * manager_fte)
        oversight = (
            cfg.oversight_hours_per_case_per_week
            * open_cases
            / 5.0
            * max(1.0, manager.oversight_ratio)
        )
        if under_load:
            team_rows = reviewable_by_team[manager.team]
            due_reviews = manager_load.reviews_due(model, team_rows)
            sessions_due = len(due_by_team[manager.team]) if cfg.enabled else 0
            manager.hours_for_supervision = manager_load.start_day(
                model, manager, oversight, sessions_due * cost, len(due_reviews)
            )
        else:
            weekly = cfg.manager_hours_per_week - cfg.manager_fixed_hours_per_week
            manager.hours_for_supervision = max(0.0, manager_fte * weekly / 5.0 - oversight)
        budget = manager.hours_for_supervision
        if cfg.enabled:
            budget = hold_sessions(
                model, manager, budget, candidates, candidate_due, candidate_interval,
                due_by_team[manager.team], int(missed_by_team[manager.team]),
            )  # fmt: skip
        if under_load:
            budget = manager_load.review(model, manager, due_reviews, budget)
        budget = audit(model, manager, failing_by_team[manager.team], budget)
        if under_load:
            overdue = manager_load.drift_unreviewed(model, team_rows)
            manager_load.end_day(model, manager, budget, overdue)


def hold_sessions(
    model: World,
    manager: Manager,
    budget: float,
    candidates: np.ndarray,
    candidate_due: np.ndarray,
    candidate_interval: np.ndarray,
    team_due: np.ndarray,
    n_missed: int,
) -> float:
    """Count the team's missed sessions and hold those due while ``budget`` lasts; hours left."""
    cfg, day, staff = model.config.supervision, model.day, model.staff
    cost = cfg.session_hours + cfg.recording_hours
    if n_missed:
        manager.sessions_missed += n_missed
        model.tally.record_supervision(expected=n_missed, on_time=0)
    for i in team_due.tolist():
        if budget < cost:
            break
        budget -= cost
        index = int(candidates[i])
        on_time = day <= int(candidate_due[i])
        manager.sessions_held += 1
        manager.sessions_on_time += int(on_time)
        model.tally.record_supervision(expected=1, on_time=int(on_time))
        staff.supervised_today[index] = True
        staff.supervision_hours_today[index] = cfg.session_hours
        staff.day_supervision_due[index] = day + int(candidate_interval[i])
    return budget


def failing_rows(model: World, live: np.ndarray) -> np.ndarray:
    """Cases of ``live`` with a visit overdue or a record out of date, most overdue first."""
    cases, day = model.cases, model.day
    due = cases.day_visit_due[live]
    overdue = (due < day) & (due < NO_VISIT_DUE)
    after_days = model.config.work.record_out_of_date_after_days
    rows = live[overdue | record_is_stale(model.cases, model.day, after_days, live)]
    return rows[np.argsort(cases.day_visit_due[rows], kind="stable")]


def audit(model: World, manager: Manager, failing: np.ndarray, hours: float) -> float:
    """Spend the manager's spare hours auditing ``failing``, the team's failing cases in order.

    Returns the hours left.
    """
    cost = model.config.supervision.audit_hours_per_case
    manager.audits_today = 0
    if cost <= 0 or hours < cost or len(failing) == 0:
        return hours
    cases = model.cases
    rows = failing[: int(hours // cost)]
    cases.observed_risk[rows] = 1.0 / (1.0 + np.exp(-cases.risk_logit[rows]))
    manager.audits_today = len(rows)
    manager.audits += len(rows)
    return hours - len(rows) * cost
