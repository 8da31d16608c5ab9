"""Phase 5, wellbeing: stress, burnout and sickness spells.

Stress s in [0, 1] of a worker at work first gains, then recovers (two sub-steps):
    s <- s + g * (1 - s);   s <- s * (1 - k - v * [supervised today])
    g = a * (g0 + g_L * min(max(0, D / B - 1), 2) + g_B * backlog / R_B + g_O * OT / h + g_D * duty
             / h) + incident_stress * incidents
with D/B today's demand over available hours, OT unpaid overtime, h contracted hours a day, a the
agency factor (agency workers report less stress), g at most 1, k the daily recovery and v the
relief of a supervision session. Off sick, s <- s - k*s.
Burnout starts after ``burnout_onset_days`` consecutive days with s >= threshold and ends when s
falls below the recovery threshold; it lowers productivity (work phase) and raises leaving.
Sickness: each worker has a gamma frailty z (mean 1, shape k_z). Daily hazards
    h_short = z * lambda_s / 260,   h_long = z * lambda_l / 260 * exp(b_s * (s - 0.3))
start a spell with probability 1 - exp(-h); lengths are drawn from the spell distributions.
One uniform draw per post per day decides onset (common random numbers).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.engine.distributions import sample_days
from sim.scenario.schema import WORKING_DAYS_PER_YEAR

if TYPE_CHECKING:
    from sim.engine.agents import SocialWorker
    from sim.engine.state import World

STRESS_REFERENCE = 0.3
OVERLOAD_CAP = 2.0


def stress_gain(worker: SocialWorker, model: World) -> float:
    """Today's stress input g for a worker at work (see module equation)."""
    cfg = model.config.wellbeing
    hours_per_day = model.config.work.contracted_hours_per_week / 5.0 * worker.fte
    capacity = worker.hours_available
    if capacity > 0:
        overload = min(max(0.0, worker.demand_hours / capacity - 1.0), OVERLOAD_CAP)
    else:
        overload = OVERLOAD_CAP if worker.demand_hours > 0 else 0.0
    gain = (
        cfg.baseline_gain_per_day
        + cfg.overload_gain_per_day * overload
        + cfg.backlog_gain_per_day * worker.backlog_hours / cfg.backlog_reference_hours
        + cfg.overtime_gain_per_day * worker.overtime_hours / hours_per_day
        + cfg.duty_gain_per_day * worker.duty_hours / hours_per_day
    )
    if worker.is_agency:
        gain *= cfg.agency_stress_factor
    return gain + model.config.risk.incident_stress * worker.incidents_today


def update_stress(model: World) -> None:
    """Move every worker's stress and burnout state one day on."""
    cfg, day = model.config.wellbeing, model.day
    for worker in model.workers_in_post():
        if cfg.enabled:
            if worker.is_sick(day):
                worker.stress -= cfg.recovery_per_day * worker.stress
            else:
                gain = min(1.0, stress_gain(worker, model))
                relief = model.config.supervision.stress_relief * worker.supervised_today
                worker.stress += gain * (1.0 - worker.stress)
                worker.stress -= (cfg.recovery_per_day + relief) * worker.stress
            worker.stress = min(1.0, max(0.0, worker.stress))
        worker.incidents_today = 0
        if worker.stress >= cfg.burnout_threshold:
            worker.days_above_threshold += 1
        else:
            worker.days_above_threshold = 0
        if cfg.enabled and worker.days_above_threshold >= cfg.burnout_onset_days:
            worker.is_burnt_out = True
        if worker.is_burnt_out and (
            worker.stress < cfg.burnout_recovery_threshold or not cfg.enabled
        ):
            worker.is_burnt_out = False
        worker.total_burnout_days += int(worker.is_burnt_out)


def start_sickness(model: World) -> None:
    """Draw new sickness spells for workers at work today."""
    cfg, day = model.config.sickness, model.day
    uniform = model.streams["sickness"].random(model.posts.n)
    if not cfg.enabled:
        return
    lengths = model.streams["sickness_length"]
    for worker in model.workers_in_post():
        if worker.post < 0 or worker.is_sick(day) or worker.day_sick_until > day:
            continue
        short = worker.frailty * cfg.short_spells_per_year / WORKING_DAYS_PER_YEAR
        long = worker.frailty * cfg.long_spells_per_year / WORKING_DAYS_PER_YEAR
        long *= math.exp(cfg.stress_log_ratio * (worker.stress - STRESS_REFERENCE))
        p_long = -math.expm1(-long)
        p_short = -math.expm1(-short)
        u = uniform[worker.post]
        if u < p_long:
            spell = cfg.long_spell
            worker.is_long_spell = True
            worker.n_long_spells += 1
        elif u < p_long + p_short:
            spell = cfg.short_spell
            worker.is_long_spell = False
            worker.n_short_spells += 1
        else:
            continue
        length = max(1, int(np.ceil(sample_days(spell, lengths, 1)[0])))
        # The spell starts tomorrow: today's work is already done.
        worker.day_sick_started = day + 1
        worker.day_sick_until = day + 1 + length
        worker.is_reported_long_term_sick = False
        if worker.is_long_spell:
            worker.day_return_period_until = worker.day_sick_until + cfg.return_period_days


def update(model: World) -> None:
    """Run the wellbeing phase: stress and burnout, then new sickness spells."""
    update_stress(model)
    start_sickness(model)
