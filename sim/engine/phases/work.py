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
visits and a share of practical work on eligible low-risk cases. With the manager under load, a
visit is taken up on its planned day (``sim/engine/manager.py``: later than due while the case's
management review is overdue); which visits are overdue is still judged by the due day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engine import door
from sim.engine.cases import ALLOCATED, NEVER, NO_VISIT_DUE, READY, stable_order
from sim.engine.manager import planned_visit_days
from sim.engine.referrals import start_case_type
from sim.engine.segments import Segments
from sim.engine.transfers import transfer_on_step
from sim.scenario.schema import CASE_TYPES

if TYPE_CHECKING:
    from sim.engine.agents import AdminSupport, SocialWorkAssistant, SocialWorker
    from sim.engine.state import World

EPSILON = 1e-9


def casework_hours_per_day(model: World) -> np.ndarray:
    """Nominal hours of other case work per case per day at weight 1, indexed by type code."""
    return np.array([model.config.case_types[t].casework_hours_per_week / 5.0 for t in CASE_TYPES])


def productivities(model: World, who: np.ndarray) -> np.ndarray:
    """Output per clock hour of staff rows ``who``: lowered by burnout and the starter ramp."""
    work, day, staff = model.config.work, model.day, model.staff
    q = np.where(staff.is_burnt_out[who], model.config.wellbeing.burnout_productivity, 1.0)
    if work.starter_ramp_days > 0:
        until = staff.starter_ramp_until[who]
        ramping = day < until
        if ramping.any():
            progress = 1.0 - (until[ramping] - day) / work.starter_ramp_days
            start = work.starter_initial_productivity
            q[ramping] *= start + (1 - start) * progress
    return q


def productivity(worker: SocialWorker, model: World) -> float:
    """Output per clock hour of one worker (:func:`productivities` of its row)."""
    return float(productivities(model, np.array([worker.index]))[0])


def hours_budgets(model: World, who: np.ndarray) -> np.ndarray:
    """Clock hours left for case work today (B in the module equation) of staff rows ``who``.

    Also sets their paid and duty hours for today.
    """
    work, sickness, day, staff = model.config.work, model.config.sickness, model.day, model.staff
    fte = staff.fte[who]
    contracted = work.contracted_hours_per_week / 5.0 * fte
    returning = staff.is_returning(who, day)
    if sickness.return_policy == "phased":
        contracted = np.where(returning, contracted * sickness.phased_return_capacity, contracted)
    staff.paid_hours[who] = contracted
    duty = work.duty_hours_per_week / 5.0 * fte
    overheads = duty + (work.meetings_hours_per_week + work.training_hours_per_week) / 5.0 * fte
    # Adding 0.0 leaves a float unchanged, so workers who are not newly qualified keep theirs.
    protected = np.where(staff.is_nqsw(who, day), work.nqsw_protected_share * contracted, 0.0)
    overheads = overheads + protected
    overheads = overheads + staff.supervision_hours_today[who]
    budget = np.maximum(0.0, contracted - overheads)
    if sickness.return_policy == "duty_every_day":
        duty = np.where(returning, contracted, duty)
        budget = np.where(returning, 0.0, budget)
    staff.duty_hours[who] = duty
    return budget


def hours_budget(worker: SocialWorker, model: World) -> float:
    """Clock hours left for case work today of one worker (:func:`hours_budgets` of its row)."""
    return float(hours_budgets(model, np.array([worker.index]))[0])


#: Today's time accounts, zeroed for every worker in post at the start of the work phase.
TODAY_COLUMNS = (
    "hours_available",
    "overtime_allowed",
    "hours_worked",
    "overtime_hours",
    "demand_hours",
    "contact_hours",
    "duty_hours",
    "paid_hours",
)


def work(model: World) -> None:
    """Run the work phase for every team: assistants, then the social workers, then progress."""
    cases, day, staff = model.cases, model.day, model.staff
    live = cases.live
    for admin in model.admins:
        admin.start_day()
    cases.casework_covered_share[live] = 0.0
    if model.swas:
        status = cases.status[live]
        owner = cases.worker[live]
        open_rows = live[((status == ALLOCATED) | (status == READY)) & (owner >= 0)]
        open_rows = open_rows[stable_order(cases.worker[open_rows], staff.n)]
        for swa in model.swas:
            assistant_work(model, swa, open_rows)
    who = staff.in_post
    rows, held = held_rows(model, who)
    for name in TODAY_COLUMNS:
        getattr(staff, name)[who] = 0.0
    at_work = ~staff.is_sick(who, day)
    if len(who) and at_work.all():
        social_workers_day(model, who, rows, held)
    elif at_work.any():
        social_workers_day(
            model, who[at_work], rows[at_work[held.run_of]], Segments(held.lengths[at_work])
        )
    staff.caseload[who] = held.lengths
    staff.weighted_caseload[who] = held.sum(cases.weight[rows])
    staff.backlog_hours[who] = held.sum(cases.pending_recording_hours[rows])
    progress_cases(model)


def held_rows(model: World, who: np.ndarray) -> tuple[np.ndarray, Segments]:
    """Open case rows of each staff row in ``who``, end to end in that order, ascending within."""
    cases = model.cases
    live = cases.live
    position = np.full(model.staff.n, -1)
    position[who] = np.arange(len(who))
    status, owner = cases.status[live], cases.worker[live]
    rows = live[((status == ALLOCATED) | (status == READY)) & (owner >= 0)]
    holder = position[cases.worker[rows]]
    rows, holder = rows[holder >= 0], holder[holder >= 0]
    rows = rows[stable_order(holder, len(who))]
    return rows, Segments(np.bincount(holder, minlength=len(who)))


def visit_cases(
    model: World,
    rows: np.ndarray,
    admins: list[AdminSupport | None] | None = None,
    recorded_by_visitor: bool = False,
) -> None:
    """Make statutory visits to ``rows`` (distinct, in the order made): schedule, risk view, notes.

    Each visit creates recording x weight x efficiency hours; unless the visitor writes them up at
    once (``recorded_by_visitor``), the visit's admin (``admins[i]``, if any) absorbs a share while
    its hours last, in visit order, and the rest joins the case's recording backlog.
    """
    cases, work, day = model.cases, model.config.work, model.day
    if len(rows) == 0:
        return
    on_time = day <= cases.day_visit_due[rows]
    cases.n_visits[rows] += 1
    cases.n_visits_on_time[rows] += on_time
    model.tally.record_visits(len(rows), int(on_time.sum()))
    cases.day_last_visit[rows] = day
    cases.day_visit_due[rows] = day + cases.visit_interval_days[rows]
    cases.observed_risk[rows] = 1.0 / (1.0 + np.exp(-cases.risk_logit[rows]))
    if recorded_by_visitor:
        return
    recording = work.recording_hours_per_visit * cases.weight[rows] * work.recording_efficiency
    if admins is not None and any(admin is not None for admin in admins):
        share = model.config.support.admin_recording_share
        hours = recording.tolist()
        for i, admin in enumerate(admins):
            if admin is not None:
                hours[i] -= admin.absorb(share * hours[i])
        recording = np.array(hours)
    written = recording > EPSILON
    rows, recording = rows[written], recording[written]
    fresh = cases.pending_recording_hours[rows] <= EPSILON
    cases.day_oldest_unrecorded[rows[fresh]] = day
    cases.pending_recording_hours[rows] += recording


def social_workers_day(model: World, who: np.ndarray, rows: np.ndarray, runs: Segments) -> None:
    """Spend the day of every worker at work (staff rows ``who``) on its cases by its priority rule.

    ``rows`` holds each worker's open cases (ascending) end to end, in the runs of ``runs``.
    Workers are independent but for a team's admin, who absorbs visit notes in the order visits
    are made, so each task runs for all workers at once, in priority order: recording for
    ``recording_first`` workers, visits, recording for the others, closures, other case work.
    Every worker gets the hours, order and floating-point operations it would get working alone.
    """
    cases, work, day, staff = model.cases, model.config.work, model.day, model.staff
    q = productivities(model, who)
    budget = hours_budgets(model, who)
    recording_first = staff.is_recording_first[who]

    owner = runs.run_of
    is_active = cases.status[rows] == ALLOCATED
    is_due = is_active & (planned_visit_days(model, rows) <= day)
    due, due_runs = rows[is_due], runs.select(is_due)
    visit_cost = (
        work.travel_hours_per_visit + work.contact_hours_per_visit * cases.weight[due]
    ) / q[due_runs.run_of]
    casework = (
        casework_hours_per_day(model)[cases.type_code[rows]]
        * cases.weight[rows]
        * (1.0 - cases.casework_covered_share[rows])
        * is_active
        / q[owner]
    )
    new_recording = work.recording_hours_per_visit * work.recording_efficiency * cases.weight[due]
    recording_total = runs.sum(cases.pending_recording_hours[rows])
    closure_total = runs.sum(cases.closure_hours_left[rows])
    casework_total = runs.sum(casework)
    visits_total, new_recording_total = due_runs.sum(visit_cost), due_runs.sum(new_recording)
    demand = (
        visits_total
        + (recording_total + new_recording_total) / q
        + closure_total / q
        + casework_total
    )
    fte = staff.fte[who]
    overtime = np.minimum(
        work.max_unpaid_overtime_hours_per_week / 5.0 * fte,
        work.overtime_share_of_shortfall * np.maximum(0.0, demand - budget),
    )
    if model.config.sickness.return_policy == "duty_every_day":
        overtime[staff.is_returning(who, day)] = 0.0
    remaining = budget + overtime

    remaining = do_recording(model, rows, runs, q, remaining, recording_first)
    admins = None  # without admin support nobody absorbs visit notes
    if model.admins:
        admin_of_team = [model.team_admin(team) for team in range(model.config.team.n_teams)]
        admins = [admin_of_team[team] for team in staff.team[who].tolist()]
    remaining, contact, visits = do_visits(model, due, due_runs, visit_cost, remaining, admins)
    remaining = do_recording(model, rows, runs, q, remaining, ~recording_first)
    remaining = do_closures(model, rows, runs, q, remaining)
    # Other case work: met in share g of each worker's total; every active case moves on.
    share = np.ones(len(who))
    some = casework_total > EPSILON
    share[some] = np.clip(remaining[some] / casework_total[some], 0.0, 1.0)
    spent = share * casework_total
    remaining = remaining - spent
    contact += work.direct_share_of_casework * spent * q
    floor = work.minimum_progress_share
    progress = floor + (1.0 - floor) * share
    cases.work_days_left[rows[is_active]] -= progress[owner[is_active]]

    hours_worked = budget + overtime - remaining  # unclamped: an overspend would show
    overtime_hours = np.maximum(0.0, hours_worked - budget)
    staff.hours_available[who] = budget
    staff.overtime_allowed[who] = overtime
    staff.demand_hours[who] = demand
    staff.contact_hours[who] = contact
    staff.n_visits[who] += visits
    staff.hours_worked[who] = hours_worked
    staff.overtime_hours[who] = overtime_hours
    staff.total_hours_worked[who] += hours_worked
    staff.total_overtime_hours[who] += overtime_hours
    staff.total_contact_hours[who] += contact


def do_visits(
    model: World,
    due: np.ndarray,
    due_runs: Segments,
    visit_cost: np.ndarray,
    remaining: np.ndarray,
    admins: list[AdminSupport | None] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each worker visits its due cases; one it cannot afford is skipped.

    Order: overdue (highest observed risk first, then most overdue), then due today (highest
    observed risk first). Returns hours remaining, contact hours and visits made, per worker.
    """
    cases, work, day = model.cases, model.config.work, model.day
    if len(due) == 0:
        return remaining, np.zeros(len(due_runs)), np.zeros(len(due_runs), dtype=np.int64)
    owner = due_runs.run_of
    due_day = cases.day_visit_due[due]
    # lexsort is stable and the worker is its first key, so each run is ordered as on its own.
    order = np.lexsort((due_day, -cases.observed_risk[due], due_day >= day, owner))
    due, cost = due[order], visit_cost[order]
    contact_each = work.contact_hours_per_visit * cases.weight[due]
    remaining = remaining.copy()
    contact = np.zeros(len(due_runs))
    made = np.zeros(len(due), dtype=bool)
    # Whether a visit is affordable depends on the visits before it, so the k-th visits of all
    # workers are decided together, k = 0, 1, ...: each worker's hours fall in its own order.
    for k in range(int(due_runs.lengths.max(initial=0))):
        workers = np.flatnonzero(due_runs.lengths > k)
        items = due_runs.starts[workers] + k
        affordable = cost[items] <= remaining[workers] + EPSILON
        workers, items = workers[affordable], items[affordable]
        remaining[workers] -= cost[items]
        contact[workers] += contact_each[items]
        made[items] = True
    made_by = None if admins is None else [admins[i] for i in owner[made].tolist()]
    visit_cases(model, due[made], made_by)
    return remaining, contact, np.bincount(owner[made], minlength=len(due_runs))


def do_recording(
    model: World,
    rows: np.ndarray,
    runs: Segments,
    q: np.ndarray,
    remaining: np.ndarray,
    who: np.ndarray,
) -> np.ndarray:
    """Workers in ``who`` write up their recording backlog, oldest first; return hours remaining."""
    cases = model.cases
    pending = cases.pending_recording_hours
    has_backlog = (pending[rows] > EPSILON) & who[runs.run_of]
    if not has_backlog.any():
        return remaining
    backlog, backlog_runs = rows[has_backlog], runs.select(has_backlog)
    backlog = backlog[backlog_runs.argsort(cases.day_oldest_unrecorded[backlog])]
    q_each = q[backlog_runs.run_of]
    spent = backlog_runs.spend_in_order(pending[backlog] / q_each, remaining)
    left = pending[backlog] - spent * q_each
    done = left <= EPSILON
    left[done] = 0.0
    pending[backlog] = left
    cases.day_oldest_unrecorded[backlog[done]] = NEVER
    return remaining - backlog_runs.sum(spent)


def do_closures(
    model: World, rows: np.ndarray, runs: Segments, q: np.ndarray, remaining: np.ndarray
) -> np.ndarray:
    """Workers do the closure paperwork of their ready cases in row order; return hours left."""
    cases = model.cases
    paperwork = cases.closure_hours_left
    is_ready = (cases.status[rows] == READY) & (paperwork[rows] > EPSILON)
    if not is_ready.any():
        return remaining
    ready, ready_runs = rows[is_ready], runs.select(is_ready)
    q_each = q[ready_runs.run_of]
    spent = ready_runs.spend_in_order(paperwork[ready] / q_each, remaining)
    left = paperwork[ready] - spent * q_each
    left[left <= EPSILON] = 0.0
    paperwork[ready] = left
    return remaining - ready_runs.sum(spent)


def assistant_work(model: World, swa: SocialWorkAssistant, open_rows: np.ndarray) -> None:
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
    due = rows[planned_visit_days(model, rows) <= day]
    due = due[np.argsort(cases.day_visit_due[due], kind="stable")]
    visits = 0
    for weight in cases.weight[due].tolist():
        cost = work.travel_hours_per_visit + work.contact_hours_per_visit * weight
        cost += work.recording_hours_per_visit * weight * work.recording_efficiency
        if cost > remaining + EPSILON:
            break
        remaining -= cost
        visits += 1
    visit_cases(model, due[:visits], recorded_by_visitor=True)
    swa.n_visits += visits
    demand = (casework_hours_per_day(model)[cases.type_code[rows]] * cases.weight[rows]).sum()
    covered = min(remaining, support.swa_casework_share * demand)
    if demand > EPSILON and covered > 0:
        # Several assistants in a team add up; a case's work cannot be covered more than once.
        share = cases.casework_covered_share[rows] + covered / demand
        cases.casework_covered_share[rows] = np.minimum(share, 1.0)
    remaining -= covered
    swa.hours_worked += swa.hours_per_day() - remaining


def progress_cases(model: World) -> None:
    """Cases whose work is done step to a next type or become ready; finished ones close."""
    cases, day = model.cases, model.day
    live = cases.live
    finished = live[(cases.status[live] == ALLOCATED) & (cases.work_days_left[live] <= 0)]
    if len(finished):
        # Keyed by (child, day), so scenarios share them child by child whatever else has finished.
        draws = model.streams.keyed_uniform("case_step_up", day, cases.child[finished])
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
            old_codes = cases.type_code[stepping_rows].copy()
            cases.type_code[stepping_rows] = np.array(next_codes, dtype=np.int8)
            cases.n_type_changes[stepping_rows] += 1
            # The new type's duration is keyed by (child, episode, type change), not by the day
            # or by what else steps up today: the same child's step lasts as long in every
            # scenario, whenever its work finishes.
            episode = np.minimum(cases.episode[stepping_rows], 1023).astype(np.uint64)
            changes = np.minimum(cases.n_type_changes[stepping_rows], 1023).astype(np.uint64)
            keys = (
                (cases.child[stepping_rows].astype(np.uint64) << np.uint64(20))
                | (episode << np.uint64(10))
                | changes
            )
            uniforms = model.streams.keyed_uniform("case_step_duration", 0, keys)
            start_case_type(model, stepping_rows, None, uniforms)
            transfer_on_step(model, stepping_rows, old_codes)
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
    closable = live[
        (cases.status[live] == READY)
        & (cases.worker[live] >= 0)
        & (cases.closure_hours_left[live] <= EPSILON)
        & (cases.pending_recording_hours[live] <= EPSILON)
    ]
    if len(closable):
        cases.close(closable, day)
        np.add.at(model.staff.n_cases_closed, cases.worker[closable], 1)
        for case_id in cases.case_id[closable].tolist():
            agent = model.referral_agents.pop(case_id, None)
            if agent is not None:
                agent.remove()
        door.on_closed(model, closable)
    model.tally.record_closures(len(closable))
