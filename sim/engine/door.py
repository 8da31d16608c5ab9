"""The front door and re-referrals: who is screened out, and which children come back.

**Screening** (``front_door``): each new referral of team k on day t is screened out when its
observed risk is below

    T_k(t) = min(T_max, T_0 + s_w * W_k / F_k + s_c * max(0, O_k / F_k - C_ref))

with W_k the team's waiting referrals and O_k its open cases at the start of the day, F_k its FTE
in post (no one in post: T_max). A screened-out referral keeps its case id, latent risk and child id
with status ``screened_out``, takes no work and is never live again.

**Re-referrals** (``re_referral``): a case that closes, or a referral screened out, on day t is
*unresolved* when its latent risk r > u (``unresolved_risk``) or it closed *under pressure*, its
team then holding over P (``pressure_caseload_per_fte``) open cases per FTE. The child of an
unresolved closure is referred again with probability p after d = max(1, ceil(-D ln U')) working
days (exponential delay, mean D), same team, latent risk carried over from the closure. U, U' and
the new referral's type, screening view and duration are keyed by (child, episode) alone
(``Streams.keyed_uniform`` / ``keyed_generator``), so one child's return never depends on another
case. Equations and sources: docs/model.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engine.agents import Referral
from sim.engine.cases import ALLOCATED, READY, SCREENED_OUT, WAITING
from sim.engine.referrals import SCREENING_NOISE_SD, start_case_type
from sim.scenario.schema import CASE_TYPES

if TYPE_CHECKING:
    from sim.engine.state import World


def team_loads(model: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per team: waiting referrals, open cases and FTE in post, right now."""
    cases, staff = model.cases, model.staff
    n_teams = model.config.team.n_teams
    live = cases.live
    status = cases.status[live]
    teams = cases.team[live]
    waiting = np.bincount(teams[status == WAITING], minlength=n_teams)
    is_open = (status == ALLOCATED) | (status == READY)
    open_cases = np.bincount(teams[is_open], minlength=n_teams)
    who = staff.in_post
    fte = np.bincount(staff.team[who], weights=staff.fte[who], minlength=n_teams)
    return waiting, open_cases, fte


def screening_thresholds(model: World) -> np.ndarray:
    """T_k(t) of every team (module docstring), from the state at the start of the day."""
    cfg = model.config.front_door
    waiting, open_cases, fte = team_loads(model)
    with np.errstate(divide="ignore", invalid="ignore"):
        pressure = cfg.waiting_slope * waiting / fte + cfg.caseload_slope * np.maximum(
            0.0, open_cases / fte - cfg.reference_caseload_per_fte
        )
    threshold = np.minimum(cfg.max_threshold, cfg.base_threshold + pressure)
    return np.where(fte > 0, threshold, cfg.max_threshold)


def screen(model: World, rows: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Screen out today's new ``rows`` below their team's threshold; return those screened out."""
    cases = model.cases
    out = rows[cases.observed_risk[rows] < thresholds[cases.team[rows]]]
    if len(out) == 0:
        return out
    cases.close(out, model.day, status=SCREENED_OUT)
    for case_id in cases.case_id[out].tolist():
        agent = model.referral_agents.pop(case_id, None)
        if agent is not None:
            agent.remove()
    high = int(np.count_nonzero(cases.risk_of(out) > model.config.risk.high_risk_threshold))
    model.tally.record_screened_out(len(out), high)
    on_closed(model, out, pressured=False)
    return out


def on_closed(model: World, rows: np.ndarray, *, pressured: bool | None = None) -> int:
    """Queue the return of the children of ``rows`` (closed or screened out today) that come back.

    ``pressured`` says whether the closures count as under pressure; ``None`` reads each team's
    open caseload per FTE now. Returns how many children were queued.
    """
    cfg = model.config.re_referral
    if not cfg.enabled or len(rows) == 0:
        return 0
    cases, day = model.cases, model.day
    unresolved = cases.risk_of(rows) > cfg.unresolved_risk
    if pressured is None:
        _, open_cases, fte = team_loads(model)
        with np.errstate(divide="ignore", invalid="ignore"):
            over = np.where(fte > 0, open_cases / fte > cfg.pressure_caseload_per_fte, False)
        unresolved |= over[cases.team[rows]]
    elif pressured:
        unresolved[:] = True
    candidates = rows[unresolved]
    queued = 0
    for episode in np.unique(cases.episode[candidates]).tolist():
        group = candidates[cases.episode[candidates] == episode]
        children = cases.child[group]
        back = model.streams.keyed_uniform("re_referral", episode, children) < cfg.probability
        delay_u = model.streams.keyed_uniform("re_referral_delay", episode, children)
        delays = np.maximum(1, np.ceil(-cfg.mean_delay_days * np.log(delay_u))).astype(int)
        for row, delay in zip(group[back].tolist(), delays[back].tolist(), strict=True):
            model.re_referrals_due.setdefault(day + delay, []).append(
                (int(cases.child[row]), episode + 1, int(cases.team[row]), cases.risk_logit[row])
            )
            queued += 1
    return queued


def release_due(model: World) -> np.ndarray:
    """Open today's re-referrals as waiting rows (children in id order); return their rows."""
    due = model.re_referrals_due.pop(model.day, [])
    if not due:
        return np.empty(0, dtype=np.int64)
    due.sort()
    cases, day = model.cases, model.day
    mix = model.config.demand.mix
    type_names = list(mix)
    cumulative = np.cumsum([mix[t] for t in type_names])
    rows = cases.add(len(due))
    for row, (child, episode, team, risk_logit) in zip(rows.tolist(), due, strict=True):
        rng = model.streams.keyed_generator("re_referral_case", child, episode)
        pick = min(
            int(np.searchsorted(cumulative, rng.random() * cumulative[-1], "right")),
            len(type_names) - 1,
        )
        cases.type_code[row] = CASE_TYPES.index(type_names[pick])
        cases.team[row] = team
        cases.day_arrived[row] = day
        cases.child[row] = child
        cases.episode[row] = episode
        cases.risk_logit[row] = risk_logit
        risk = float(cases.risk_of(np.array([row]))[0])
        cases.observed_risk[row] = min(1.0, max(0.0, risk + rng.normal(0.0, SCREENING_NOISE_SD)))
        start_case_type(model, np.array([row]), rng)
        cases.status[row] = WAITING
        case_id = int(cases.case_id[row])
        model.referral_agents[case_id] = Referral(model, case_id=case_id)
    return rows
