"""Changes of a child's social worker that are not caused by leaving or sickness.

Two mechanisms, both switched by ``worker_changes.enabled`` (on by default):

- **Transfers on a change of case type.** English councils hold assessments, child in need and
  child protection plans and children in care in different teams, so a case that steps up or
  down often moves to another worker. A case stepping from type i to type j on day t transfers
  when  U < p(i, j):
      p = transfer_into_care          if j is looked after
          transfer_after_assessment   else if i is an assessment
          transfer_other              otherwise
  with U the keyed uniform of its case id and day (stream ``worker_transfer``). It goes to the
  present worker of its team, other than its holder, with the lowest load per unit of capacity
  (the allocation rule, counts or weights as the cap counts them) among those it fits under the
  cap; with nobody else at work, or nobody it fits, it stays.
- **Handover to a worker who joins.** At the end of a day on which a worker joins, the manager
  hands it cases from the colleagues at work with the highest load per unit of capacity while its
  load stays within  h x (the colleagues' mean load per unit of capacity) x its capacity
  (h = ``handover_share``) and the cap, and the donor has more per unit of capacity than it
  would after one more; each donor gives one of its allocated cases at random (the keyed
  uniform of the case id and day, stream ``worker_handover``).

Every change is dated in the case history (``model.worker_history``) and counted in
``n_worker_changes``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engine.cases import ALLOCATED, READY
from sim.scenario.schema import CASE_TYPES

if TYPE_CHECKING:
    from sim.engine.state import World

ASSESSMENT = CASE_TYPES.index("assessment")
LOOKED_AFTER = CASE_TYPES.index("looked_after")


def transfer_probabilities(model: World, old_codes: np.ndarray, new_codes: np.ndarray):
    """p(i, j) of the module equation for steps from ``old_codes`` to ``new_codes``."""
    cfg = model.config.worker_changes
    return np.where(
        new_codes == LOOKED_AFTER,
        cfg.transfer_into_care,
        np.where(old_codes == ASSESSMENT, cfg.transfer_after_assessment, cfg.transfer_other),
    )


def capacities(model: World, who: np.ndarray) -> np.ndarray:
    """Allocation capacity of staff rows ``who``: FTE, times the NQSW factor if newly qualified."""
    staff = model.staff
    factor = np.where(
        staff.is_nqsw(who, model.day), model.config.allocation.nqsw_caseload_factor, 1.0
    )
    return staff.fte[who] * factor


def is_weighted(model: World) -> bool:
    """Whether loads are summed complexity weights (a weighted cap), not case counts."""
    return model.config.allocation.cap_kind == "weighted"


def case_load(model: World, row: int) -> float:
    """What case ``row`` adds to its holder's load (its weight under a weighted cap, else 1)."""
    return float(model.cases.weight[row]) if is_weighted(model) else 1.0


def open_loads(model: World) -> np.ndarray:
    """Load of every staff row: its open (allocated or ready-to-close) cases, as allocation does."""
    cases = model.cases
    live = cases.live
    status = cases.status[live]
    rows = live[(status == ALLOCATED) | (status == READY)]
    weights = cases.weight[rows] if is_weighted(model) else None
    loads = np.bincount(cases.worker[rows], weights=weights, minlength=model.staff.n)
    return loads.astype(np.float64)


def fits(model: World, loads: np.ndarray, capacity: np.ndarray, load: float) -> np.ndarray:
    """Whether one more case of ``load`` keeps each worker within the cap (always, with none)."""
    policy = model.config.allocation
    if policy.cap_kind == "none":
        return np.ones(len(loads), dtype=bool)
    return loads + load <= policy.cap_per_fte * capacity + 1e-9


def change_worker(model: World, row: int, worker: int) -> None:
    """Hand open case ``row`` to staff row ``worker``, dating the change in its history."""
    cases = model.cases
    cases.worker[row] = worker
    cases.day_allocated[row] = model.day
    cases.n_worker_changes[row] += 1
    model.worker_history.add(int(cases.case_id[row]), worker, model.day)


def present_loads(model: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Workers at work today; every staff row's capacity (0 if not at work) and open load."""
    staff, day = model.staff, model.day
    who = staff.in_post
    present = who[~staff.is_sick(who, day)]
    capacity = np.zeros(staff.n)
    capacity[present] = capacities(model, present)
    return present, capacity, open_loads(model)


def transfer_on_step(model: World, rows: np.ndarray, old_codes: np.ndarray) -> int:
    """Transfer some of the cases ``rows`` that changed type today; return how many moved."""
    if not model.config.worker_changes.enabled or len(rows) == 0:
        return 0
    cases, staff, day = model.cases, model.staff, model.day
    draws = model.streams.keyed_uniform("worker_transfer", day, cases.child[rows])
    moving = draws < transfer_probabilities(model, old_codes, cases.type_code[rows])
    if not moving.any():
        return 0
    present, capacity, loads = present_loads(model)
    moved = 0
    for row in rows[moving].tolist():
        holder = int(cases.worker[row])
        team = present[(staff.team[present] == cases.team[row]) & (present != holder)]
        load = case_load(model, row)
        team = team[(capacity[team] > 0) & fits(model, loads[team], capacity[team], load)]
        if len(team) == 0:
            continue
        to = int(team[np.argmin(loads[team] / capacity[team])])
        loads[holder] -= load
        loads[to] += load
        change_worker(model, row, to)
        moved += 1
    return moved


def hand_over_to_joiners(model: World, joiners: list[int]) -> int:
    """Give each worker who joined today a share of its colleagues' cases; return how many."""
    cfg = model.config.worker_changes
    if not cfg.enabled or cfg.handover_share <= 0 or not joiners:
        return 0
    staff = model.staff
    present, capacity, loads = present_loads(model)
    moved = 0
    for joiner in joiners:
        colleagues = present[(staff.team[present] == staff.team[joiner]) & (present != joiner)]
        colleagues = colleagues[capacity[colleagues] > 0]
        if len(colleagues) == 0 or capacity[joiner] <= 0:
            continue
        relative = loads[colleagues] / capacity[colleagues]
        target = cfg.handover_share * float(relative.mean()) * capacity[joiner]
        while True:
            relative = loads[colleagues] / capacity[colleagues]
            donor = int(colleagues[np.argmax(relative)])
            row = handover_case(model, donor)
            if row is None:
                break
            load = case_load(model, row)
            after = (loads[joiner] + load) / capacity[joiner]
            within = fits(model, loads[[joiner]], capacity[[joiner]], load)[0]
            if loads[joiner] + load > target + 1e-9 or relative.max() <= after or not within:
                break
            loads[donor] -= load
            loads[joiner] += load
            change_worker(model, row, joiner)
            moved += 1
    return moved


def handover_case(model: World, worker: int) -> int | None:
    """The allocated case of ``worker`` the manager hands over, if it has any.

    The one with the lowest keyed uniform of its case id and the day (stream ``worker_handover``):
    a case chosen at random, the same whatever other cases are live.
    """
    cases = model.cases
    live = cases.live
    rows = live[(cases.worker[live] == worker) & (cases.status[live] == ALLOCATED)]
    if len(rows) == 0:
        return None
    draws = model.streams.keyed_uniform("worker_handover", model.day, cases.child[rows])
    return int(rows[np.argmin(draws)])
