"""Phase 3, allocation: the manager allocates waiting referrals under the team's cap policy.

Waiting cases are taken in the order ``allocation.order`` sets: ``risk_first`` (highest observed
risk first, then oldest), ``first_come`` (oldest arrival first) or ``risk_with_ageing``, by the
priority  p = observed risk + w x (t - day arrived)  with w = ``ageing_weight_per_day`` (then
oldest); ties keep case-book order. Each goes to the available worker
with the lowest load per unit of capacity, load L_w = number of open cases (``count`` cap) or their
summed complexity weights (``weighted``), capacity c_w = FTE x (nqsw_caseload_factor if newly
qualified, else 1). Under a cap K per FTE a worker is eligible only if L_w + load(case) <= K * c_w;
when nobody is eligible the case waits (``at_cap = "wait"``) or goes to the least-loaded worker
anyway (``"breach"``). A named worker with a ``held_caseload`` is topped up to it first (teaching
scenarios that follow one person). A manager allocates at most ``max_allocations_per_day`` cases
a day.
Cases of long-term sick workers go back to the waiting list (or stay uncovered, by policy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engine.cases import (
    ALLOCATED,
    NEVER,
    READY,
    WAITING,
    group_rows,
    release_worker_cases,
    split_sorted,
)

if TYPE_CHECKING:
    from sim.engine.agents import SocialWorker
    from sim.engine.state import World


def report_long_term_sickness(model: World) -> None:
    """Once a spell reaches the long-term threshold, reallocate the worker's cases (by policy)."""
    policy, staff, day = model.config.allocation, model.staff, model.day
    who = staff.in_post
    reported = (
        staff.is_sick(who, day)
        & ~staff.is_reported_long_term_sick[who]
        & (day - staff.day_sick_started[who] >= policy.long_term_sick_after_days)
    )
    for index in who[reported].tolist():
        staff.is_reported_long_term_sick[index] = True
        if policy.on_long_term_sickness == "reallocate":
            release_worker_cases(model.cases, index)


def allocate(model: World) -> int:
    """Allocate waiting referrals in every team; return how many were allocated today."""
    report_long_term_sickness(model)
    cases, day, staff = model.cases, model.day, model.staff
    policy = model.config.allocation
    weighted = policy.cap_kind == "weighted"
    live = cases.live
    status = cases.status[live]
    open_rows = live[(status == ALLOCATED) | (status == READY)]
    owners = cases.worker[open_rows]
    open_loads = cases.weight[open_rows] if weighted else np.ones(len(open_rows))
    # Float even when nothing is open (bincount of an empty array is integer and would truncate).
    loads = np.bincount(owners, weights=open_loads, minlength=staff.n).astype(np.float64)
    counts = np.bincount(owners, minlength=staff.n)
    allocated_total = 0
    waiting_rows = live[status == WAITING]
    n_teams = len(model.managers)
    waiting_by_team = group_rows(waiting_rows, cases.team[waiting_rows], n_teams)
    # Workers at work, team by team in hiring order (``in_post`` is already in that order).
    who = staff.in_post
    present = who[~staff.is_sick(who, day)]
    present_by_team = split_sorted(present, staff.team[present], n_teams)
    factor = np.where(staff.is_nqsw(present, day), policy.nqsw_caseload_factor, 1.0)
    capacity_of = np.zeros(staff.n)
    capacity_of[present] = staff.fte[present] * factor
    for manager in model.managers:
        manager.allocations_today = 0
        team_rows = waiting_by_team[manager.team]
        if len(team_rows) == 0:
            continue
        team_staff = present_by_team[manager.team]
        if len(team_staff) == 0:
            continue
        order = allocation_order(model, team_rows)
        capacity = capacity_of[team_staff]
        staff_loads = loads[team_staff]
        staff_counts = counts[team_staff]
        named = [model.workers[i] for i in team_staff.tolist()] if model.held_caseloads else []
        for row in team_rows[order]:
            if manager.allocations_today >= policy.max_allocations_per_day:
                break
            case_load = cases.weight[row] if weighted else 1.0
            choice = held_choice(named, staff_counts, model)
            if choice is None:
                relative = staff_loads / capacity
                if policy.cap_kind != "none":
                    fits = staff_loads + case_load <= policy.cap_per_fte * capacity + 1e-9
                    if fits.any():
                        relative = np.where(fits, relative, np.inf)
                    elif policy.at_cap == "wait":
                        continue
                choice = int(np.argmin(relative))
            assign(model, int(row), int(team_staff[choice]))
            staff_loads[choice] += case_load
            staff_counts[choice] += 1
            manager.allocations_today += 1
            allocated_total += 1
    return allocated_total


def allocation_order(model: World, rows: np.ndarray) -> np.ndarray:
    """Positions of waiting ``rows`` in the order the manager takes them (module docstring)."""
    cases, policy = model.cases, model.config.allocation
    arrived = cases.day_arrived[rows]
    if policy.order == "first_come":
        return np.argsort(arrived, kind="stable")
    priority = cases.observed_risk[rows]
    if policy.order == "risk_with_ageing":
        priority = priority + policy.ageing_weight_per_day * (model.day - arrived)
    return np.lexsort((arrived, -priority))


def held_choice(staff: list[SocialWorker], counts: np.ndarray, model: World) -> int | None:
    """The first named worker below the caseload their scenario says the manager holds them at.

    Teaching scenarios use this to reproduce a real worker's caseload: the manager tops them up
    before anyone else, whatever the cap. ``None`` when no one is short (always, elsewhere).
    """
    if not model.held_caseloads:
        return None
    for i, worker in enumerate(staff):
        target = model.held_caseloads.get(worker.name)
        if target is not None and counts[i] < target:
            return i
    return None


def assign(model: World, row: int, worker: int) -> None:
    """Give case ``row`` to staff row ``worker``, recording the wait for a first allocation."""
    cases, day = model.cases, model.day
    cases.worker[row] = worker
    cases.day_allocated[row] = day
    model.worker_history.add(int(cases.case_id[row]), worker, day)
    cases.status[row] = READY if cases.work_days_left[row] <= 0 else ALLOCATED
    if cases.day_first_allocated[row] == NEVER:
        cases.day_first_allocated[row] = day
        model.tally.record_first_allocation(day - int(cases.day_arrived[row]))
    else:
        cases.n_worker_changes[row] += 1
