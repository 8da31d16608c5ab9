"""Phase 4, work: each available worker spends a time budget on tasks by a priority rule.

Clock hours available to a worker today:
    B = max(0, h * f * p_return - duty - meetings - training - protected - supervision)
with h = contracted hours per day, f = FTE, p_return the phased-return capacity (1 otherwise);
overheads are weekly figures / 5, scaled by FTE; ``duty_every_day`` returners spend all of h*f on
duty and work no unpaid overtime (OT = 0), so none of their hours go to their own cases. Task
times are nominal hours divided by productivity q = burnout factor x starter ramp.
Unpaid overtime grows with pressure:  OT = min(OT_max * f / 5, s * max(0, D - B))  where D is
the clock time today's tasks would take and s the share of a shortfall a worker makes up unpaid.
Hours are spent, never twice, in this order (``contact_first``; ``recording_first`` moves
recording to the front): visits overdue (highest observed risk first, then most overdue), visits
due today (highest observed risk first), recording backlog (oldest first), closure paperwork,
other case work. A visit costs travel + contact x
weight and creates recording x weight x efficiency hours, of which admin absorbs a share while
admin hours last. On each day its worker is at work, case work met in share g in [0, 1] moves
each case m + (1 - m) g days towards completion (m = ``minimum_progress_share``: plans also end at
reviews when the worker has no time); cases waiting or with an absent worker do not move;
a case whose work is done steps to a next type (by ``next_type``) or becomes ready to close, and
closes once its closure paperwork and recording are done. Social work assistants first take due
visits and a share of practical work on eligible low-risk cases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.cases import ALLOCATED, CLOSED, NEVER, NO_VISIT_DUE, READY
from sim.config import CASE_TYPES

if TYPE_CHECKING:
    from sim.agents import AdminSupport, SocialWorkAssistant, SocialWorker
    from sim.model import CaseloadModel

EPSILON = 1e-9


def casework_hours_per_day(model: CaseloadModel) -> np.ndarray:
    """Nominal hours of other case work per case per day at weight 1, indexed by type code."""
    return np.array([model.config.case_types[t].casework_hours_per_week / 5.0 for t in CASE_TYPES])


def productivity(worker: SocialWorker, model: CaseloadModel) -> float:
    """Output per clock hour: lowered by burnout and, for new starters, by the learning ramp."""
    work, day = model.config.work, model.day
    q = model.config.wellbeing.burnout_productivity if worker.is_burnt_out else 1.0
    if day < worker.starter_ramp_until and work.starter_ramp_days > 0:
        progress = 1.0 - (worker.starter_ramp_until - day) / work.starter_ramp_days
        q *= work.starter_initial_productivity + (1 - work.starter_initial_productivity) * progress
    return q


def hours_budget(worker: SocialWorker, model: CaseloadModel) -> float:
    """Clock hours left for case work today after fixed overheads (B in the module equation)."""
    work, sickness, day = model.config.work, model.config.sickness, model.day
    contracted = work.contracted_hours_per_week / 5.0 * worker.fte
    worker.paid_hours = contracted
    returning = worker.is_returning(day)
    if returning and sickness.return_policy == "phased":
        contracted *= sickness.phased_return_capacity
        worker.paid_hours = contracted
    if returning and sickness.return_policy == "duty_every_day":
        worker.duty_hours = contracted
        return 0.0
    worker.duty_hours = work.duty_hours_per_week / 5.0 * worker.fte
    overheads = worker.duty_hours
    overheads += (work.meetings_hours_per_week + work.training_hours_per_week) / 5.0 * worker.fte
    if worker.is_nqsw:
        overheads += work.nqsw_protected_share * contracted
    overheads += worker.supervision_hours_today
    return max(0.0, contracted - overheads)


def work(model: CaseloadModel) -> None:
    """Run the work phase for every team: assistants, then each social worker, then progress."""
    cases, day = model.cases, model.day
    n = cases.n
    for admin in model.admins:
        admin.start_day()
    cases.casework_covered_share[:n] = 0.0
    status = cases.status[:n]
    owner = cases.worker[:n]
    open_rows = np.flatnonzero(((status == ALLOCATED) | (status == READY)) & (owner >= 0))
    open_rows = open_rows[np.argsort(owner[open_rows], kind="stable")]
    bounds = np.searchsorted(owner[open_rows], np.arange(len(model.workers) + 1))
    for swa in model.swas:
        assistant_work(model, swa, open_rows)
    for worker in model.workers_in_post():
        rows = open_rows[bounds[worker.index] : bounds[worker.index + 1]]
        worker.caseload = len(rows)
        worker.weighted_caseload = float(cases.weight[rows].sum())
        reset_day(worker)
        if worker.is_available(day):
            social_worker_day(model, worker, rows, model.team_admin(worker.team))
        worker.backlog_hours = float(cases.pending_recording_hours[rows].sum())
    progress_cases(model)


def reset_day(worker: SocialWorker) -> None:
    """Zero today's time accounts."""
    worker.hours_available = 0.0
    worker.overtime_allowed = 0.0
    worker.hours_worked = 0.0
    worker.overtime_hours = 0.0
    worker.demand_hours = 0.0
    worker.contact_hours = 0.0
    worker.duty_hours = 0.0
    worker.paid_hours = 0.0


def visit(
    model: CaseloadModel, row: int, admin: AdminSupport | None, recorded_by_visitor: bool
) -> tuple[float, float]:
    """Make a statutory visit to ``row``: update schedule and risk view, create recording.

    Returns (contact hours, recording hours the visitor must still write up).
    """
    cases, work, day = model.cases, model.config.work, model.day
    weight = float(cases.weight[row])
    on_time = day <= cases.day_visit_due[row]
    cases.n_visits[row] += 1
    cases.n_visits_on_time[row] += int(on_time)
    model.tally.visits_today += 1
    model.tally.visits_on_time_today += int(on_time)
    cases.day_last_visit[row] = day
    cases.day_visit_due[row] = day + int(cases.visit_interval_days[row])
    cases.observed_risk[row] = 1.0 / (1.0 + np.exp(-cases.risk_logit[row]))
    recording = work.recording_hours_per_visit * weight * work.recording_efficiency
    if recorded_by_visitor:
        return work.contact_hours_per_visit * weight, recording
    if admin is not None:
        recording -= admin.absorb(model.config.support.admin_recording_share * recording)
    if recording > EPSILON:
        if cases.pending_recording_hours[row] <= EPSILON:
            cases.day_oldest_unrecorded[row] = day
        cases.pending_recording_hours[row] += recording
    return work.contact_hours_per_visit * weight, 0.0


def spend_in_order(amounts: np.ndarray, budget: float) -> np.ndarray:
    """Hours given to each item when ``budget`` is spent on ``amounts`` in order."""
    spent_before = np.concatenate([[0.0], np.cumsum(amounts)[:-1]])
    return np.clip(budget - spent_before, 0.0, amounts)


def social_worker_day(
    model: CaseloadModel, worker: SocialWorker, rows: np.ndarray, admin: AdminSupport | None
) -> None:
    """Spend one worker's day on its cases (rows) by its priority rule."""
    cases, work, day = model.cases, model.config.work, model.day
    q = productivity(worker, model)
    budget = hours_budget(worker, model)
    status = cases.status[rows]
    weight = cases.weight[rows]
    is_active = status == ALLOCATED
    due = rows[is_active & (cases.day_visit_due[rows] <= day)]
    visit_cost = (
        work.travel_hours_per_visit + work.contact_hours_per_visit * cases.weight[due]
    ) / q
    casework = (
        casework_hours_per_day(model)[cases.type_code[rows]]
        * weight
        * (1.0 - cases.casework_covered_share[rows])
        * is_active
        / q
    )
    new_recording = work.recording_hours_per_visit * work.recording_efficiency * cases.weight[due]
    demand = (
        visit_cost.sum()
        + (cases.pending_recording_hours[rows].sum() + new_recording.sum()) / q
        + cases.closure_hours_left[rows].sum() / q
        + casework.sum()
    )
    on_duty_all_day = (
        worker.is_returning(day) and model.config.sickness.return_policy == "duty_every_day"
    )
    overtime = min(
        work.max_unpaid_overtime_hours_per_week / 5.0 * worker.fte,
        work.overtime_share_of_shortfall * max(0.0, demand - budget),
    )
    if on_duty_all_day:
        overtime = 0.0
    worker.hours_available = budget
    worker.overtime_allowed = overtime
    worker.demand_hours = demand
    remaining = budget + overtime

    def do_visits() -> None:
        nonlocal remaining
        is_due_today = cases.day_visit_due[due] >= day
        order = np.lexsort((cases.day_visit_due[due], -cases.observed_risk[due], is_due_today))
        for k in order:
            if visit_cost[k] > remaining + EPSILON:
                continue
            remaining -= visit_cost[k]
            contact, _ = visit(model, int(due[k]), admin, recorded_by_visitor=False)
            worker.contact_hours += contact
            worker.n_visits += 1

    def do_recording() -> None:
        nonlocal remaining
        pending_rows = rows[cases.pending_recording_hours[rows] > EPSILON]
        if len(pending_rows) == 0:
            return
        pending_rows = pending_rows[np.argsort(cases.day_oldest_unrecorded[pending_rows])]
        need = cases.pending_recording_hours[pending_rows] / q
        spent = spend_in_order(need, remaining)
        remaining -= spent.sum()
        left = cases.pending_recording_hours[pending_rows] - spent * q
        done = left <= EPSILON
        left[done] = 0.0
        cases.pending_recording_hours[pending_rows] = left
        cases.day_oldest_unrecorded[pending_rows[done]] = NEVER

    def do_closures() -> None:
        nonlocal remaining
        ready = rows[(cases.status[rows] == READY) & (cases.closure_hours_left[rows] > EPSILON)]
        if len(ready) == 0:
            return
        need = cases.closure_hours_left[ready] / q
        spent = spend_in_order(need, remaining)
        remaining -= spent.sum()
        left = cases.closure_hours_left[ready] - spent * q
        left[left <= EPSILON] = 0.0
        cases.closure_hours_left[ready] = left

    def do_casework() -> None:
        nonlocal remaining
        total = casework.sum()
        share = 1.0 if total <= EPSILON else min(1.0, remaining / total)
        spent = share * total
        remaining -= spent
        worker.contact_hours += work.direct_share_of_casework * spent * q
        floor = work.minimum_progress_share
        cases.work_days_left[rows[is_active]] -= floor + (1.0 - floor) * share

    tasks = [do_visits, do_recording, do_closures, do_casework]
    if worker.priority_style == "recording_first":
        tasks = [do_recording, do_visits, do_closures, do_casework]
    for task in tasks:
        task()
    remaining = max(0.0, remaining)
    worker.hours_worked = budget + overtime - remaining
    worker.overtime_hours = max(0.0, worker.hours_worked - budget)
    worker.total_hours_worked += worker.hours_worked
    worker.total_overtime_hours += worker.overtime_hours
    worker.total_contact_hours += worker.contact_hours


def assistant_work(model: CaseloadModel, swa: SocialWorkAssistant, open_rows: np.ndarray) -> None:
    """An assistant visits due low-risk eligible cases, then takes a share of their case work."""
    cases, work, support, day = model.cases, model.config.work, model.config.support, model.day
    eligible_types = np.array([model.config.case_types[t].swa_eligible for t in CASE_TYPES])
    rows = open_rows[
        (cases.team[open_rows] == swa.team)
        & (cases.status[open_rows] == ALLOCATED)
        & eligible_types[cases.type_code[open_rows]]
        & (cases.observed_risk[open_rows] < support.swa_max_observed_risk)
    ]
    remaining = swa.hours_per_day()
    due = rows[cases.day_visit_due[rows] <= day]
    due = due[np.argsort(cases.day_visit_due[due], kind="stable")]
    for row in due:
        weight = float(cases.weight[row])
        cost = work.travel_hours_per_visit + work.contact_hours_per_visit * weight
        cost += work.recording_hours_per_visit * weight * work.recording_efficiency
        if cost > remaining + EPSILON:
            break
        remaining -= cost
        visit(model, int(row), None, recorded_by_visitor=True)
        swa.n_visits += 1
    demand = (casework_hours_per_day(model)[cases.type_code[rows]] * cases.weight[rows]).sum()
    covered = min(remaining, support.swa_casework_share * demand)
    if demand > EPSILON and covered > 0:
        # Several assistants in a team add up; a case's work cannot be covered more than once.
        share = cases.casework_covered_share[rows] + covered / demand
        cases.casework_covered_share[rows] = np.minimum(share, 1.0)
    remaining -= covered
    swa.hours_worked += swa.hours_per_day() - remaining


def progress_cases(model: CaseloadModel) -> None:
    """Cases whose work is done step to a next type or become ready; finished ones close."""
    cases, day = model.cases, model.day
    n = cases.n
    finished = np.flatnonzero((cases.status[:n] == ALLOCATED) & (cases.work_days_left[:n] <= 0))
    # One step-up draw per case row and day, used or not, so scenarios share them row by row.
    step_up_draws = model.streams["case_step_up"].random(n)
    if len(finished):
        rng = model.streams["case_progression"]
        draws = step_up_draws[finished]
        stepping, next_codes = [], []
        for row, u in zip(finished, draws, strict=True):
            spec = model.config.case_types[CASE_TYPES[cases.type_code[row]]]
            cumulative = 0.0
            for name, p in spec.next_type.items():
                cumulative += p
                if u < cumulative:
                    stepping.append(row)
                    next_codes.append(CASE_TYPES.index(name))
                    break
        stepping_rows = np.array(stepping, dtype=np.int64)
        if len(stepping_rows):
            from sim.phases.arrivals import start_case_type

            cases.type_code[stepping_rows] = np.array(next_codes, dtype=np.int8)
            start_case_type(model, stepping_rows, rng)
        to_close = np.setdiff1d(finished, stepping_rows)
        cases.status[to_close] = READY
        cases.work_days_left[to_close] = 0.0
        cases.day_visit_due[to_close] = NO_VISIT_DUE
        paperwork = model.config.work.closure_paperwork_hours * cases.weight[to_close]
        for row, hours in zip(to_close, paperwork, strict=True):
            admin = model.team_admin(int(cases.team[row]))
            if admin is not None:
                hours -= admin.absorb(model.config.support.admin_closure_share * hours)
            cases.closure_hours_left[row] = hours
    closable = np.flatnonzero(
        (cases.status[:n] == READY)
        & (cases.worker[:n] >= 0)
        & (cases.closure_hours_left[:n] <= EPSILON)
        & (cases.pending_recording_hours[:n] <= EPSILON)
    )
    if len(closable):
        cases.status[closable] = CLOSED
        cases.day_closed[closable] = day
        cases.day_visit_due[closable] = NO_VISIT_DUE
        for row in closable:
            model.workers[int(cases.worker[row])].n_cases_closed += 1
            agent = model.referral_agents.pop(int(row), None)
            if agent is not None:
                agent.remove()
    model.tally.closed_today = len(closable)
