"""Phase 5, wellbeing: stress, burnout and sickness spells.

Stress s in [0, 1] of a worker at work first gains, then recovers (two sub-steps):
    s <- s + g * (1 - s);   s <- s * (1 - k - v * [supervised today])
    g = a * (g0 + g_L * min(max(0, D / B - 1), 2) + g_B * backlog / R_B + g_O * OT / h + g_D * duty
             / h) + incident_stress * incidents
with D/B today's demand over available hours, OT unpaid overtime, h contracted hours a day, a the
agency factor (agency workers report less stress), g at most 1, k the daily recovery and v the
relief of a supervision session. Off sick, s <- s - k*s. With ``exhaustion.enabled`` the work
terms of g are also multiplied by the worker's susceptibility z and career-stage factor m(y)
(:func:`exhaustion_factors`); s is the exhaustion score the summary reports.
Burnout starts after ``burnout_onset_days`` consecutive days with s >= threshold and ends when s
falls below the recovery threshold; it lowers productivity (work phase) and raises leaving.
Sickness: each worker has a gamma frailty z (mean 1, shape k_z). Daily hazards
    h_short = z * lambda_s / 260,   h_long = z * lambda_l / 260 * exp(b_s * (s - 0.3))
start a spell with probability 1 - exp(-h); lengths are drawn from the spell distributions.
One uniform draw per post per day decides onset (common random numbers). Both sub-steps run
over the staff table's columns for every worker in post at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engine.distributions import sample_days
from sim.scenario.schema import WORKING_DAYS_PER_YEAR

if TYPE_CHECKING:
    from sim.engine.state import World

STRESS_REFERENCE = 0.3
OVERLOAD_CAP = 2.0


def stress_gains(model: World, who: np.ndarray) -> np.ndarray:
    """Today's stress input g of staff rows ``who``, at work (see module equation)."""
    cfg, staff = model.config.wellbeing, model.staff
    hours_per_day = model.config.work.contracted_hours_per_week / 5.0 * staff.fte[who]
    capacity = staff.hours_available[who]
    demand = staff.demand_hours[who]
    has_hours = capacity > 0
    ratio = np.divide(demand, capacity, out=np.zeros_like(demand), where=has_hours)
    overload = np.where(
        has_hours,
        np.minimum(np.maximum(0.0, ratio - 1.0), OVERLOAD_CAP),
        np.where(demand > 0, OVERLOAD_CAP, 0.0),
    )
    gain = (
        cfg.baseline_gain_per_day
        + cfg.overload_gain_per_day * overload
        + cfg.backlog_gain_per_day * staff.backlog_hours[who] / cfg.backlog_reference_hours
        + cfg.overtime_gain_per_day * staff.overtime_hours[who] / hours_per_day
        + cfg.duty_gain_per_day * staff.duty_hours[who] / hours_per_day
    )
    gain = np.where(staff.is_agency[who], gain * cfg.agency_stress_factor, gain)
    if model.config.exhaustion.enabled:
        gain = gain * exhaustion_factors(model, who)
    return gain + model.config.risk.incident_stress * staff.incidents_today[who]


def years_of_practice(model: World, who: np.ndarray) -> np.ndarray:
    """Years of practice of staff rows ``who`` today: experience at hire plus time since."""
    staff = model.staff
    days = staff.experience_days[who] + (model.day - staff.day_hired[who])
    return days / WORKING_DAYS_PER_YEAR


def career_factors(model: World, years: np.ndarray) -> np.ndarray:
    """Career-stage factor on the stress input at ``years`` of practice (exhaustion on).

        m(y) = (1 - b * S(y)) * (1 + r * R(y))
        S(y) = 1 (y < 1), 2 - y (1 <= y < 2), 0 after: ASYE support, fading over the 2nd year
        R(y) = 1 (y < 3), 4 - y (3 <= y < 4), 0 after: demand of practice without experience
    with b = ``exhaustion.asye_support`` and r = ``exhaustion.early_career_demand``.
    """
    cfg = model.config.exhaustion
    support = np.clip(2.0 - years, 0.0, 1.0)
    demand = np.clip(4.0 - years, 0.0, 1.0)
    return (1.0 - cfg.asye_support * support) * (1.0 + cfg.early_career_demand * demand)


def susceptibilities(model: World, who: np.ndarray) -> np.ndarray:
    """Each worker's own susceptibility z to stress: lognormal with mean 1 (exhaustion on).

        z = exp(sigma * N - sigma^2 / 2),   sigma = ``exhaustion.susceptibility_sigma``
    N is the keyed normal of the worker's staff row (stream ``exhaustion``, day 0), so a worker
    keeps one z for life and no other draw of the run moves.
    """
    sigma = model.config.exhaustion.susceptibility_sigma
    normal = model.streams.keyed_normal("exhaustion", 0, who)
    return np.exp(sigma * normal - 0.5 * sigma * sigma)


def exhaustion_factors(model: World, who: np.ndarray) -> np.ndarray:
    """The factor z * m(y) on the stress input of staff rows ``who`` (exhaustion on)."""
    return susceptibilities(model, who) * career_factors(model, years_of_practice(model, who))


def update_stress(model: World) -> None:
    """Move the stress and burnout state of every worker in post one day on."""
    cfg, day, staff = model.config.wellbeing, model.day, model.staff
    who = staff.in_post
    stress = staff.stress[who]
    if cfg.enabled:
        sick = staff.is_sick(who, day)
        off = stress[sick]
        stress[sick] = off - cfg.recovery_per_day * off
        at_work = who[~sick]
        gain = np.minimum(1.0, stress_gains(model, at_work))
        relief = model.config.supervision.stress_relief * staff.supervised_today[at_work]
        on = stress[~sick]
        on = on + gain * (1.0 - on)
        on = on - (cfg.recovery_per_day + relief) * on
        stress[~sick] = on
        stress = np.minimum(1.0, np.maximum(0.0, stress))
        staff.stress[who] = stress
    staff.incidents_today[who] = 0
    days_above = np.where(stress >= cfg.burnout_threshold, staff.days_above_threshold[who] + 1, 0)
    staff.days_above_threshold[who] = days_above
    burnt = staff.is_burnt_out[who]
    if cfg.enabled:
        burnt = (burnt | (days_above >= cfg.burnout_onset_days)) & ~(
            stress < cfg.burnout_recovery_threshold
        )
    else:
        burnt = np.zeros(len(who), dtype=bool)
    staff.is_burnt_out[who] = burnt
    staff.total_burnout_days[who] += burnt


def start_sickness(model: World) -> None:
    """Draw new sickness spells for workers at work today."""
    cfg, day, staff = model.config.sickness, model.day, model.staff
    uniform = model.streams["sickness"].random(model.posts.n)
    if not cfg.enabled:
        return
    who = staff.in_post
    post = staff.post[who]
    # Not already sick, nor with a spell drawn for a later day.
    who = who[(post >= 0) & (staff.day_sick_until[who] <= day) & ~staff.is_sick(who, day)]
    frailty = staff.frailty[who]
    short = frailty * cfg.short_spells_per_year / WORKING_DAYS_PER_YEAR
    long = frailty * cfg.long_spells_per_year / WORKING_DAYS_PER_YEAR
    long = long * np.exp(cfg.stress_log_ratio * (staff.stress[who] - STRESS_REFERENCE))
    p_long = -np.expm1(-long)
    p_short = -np.expm1(-short)
    u = uniform[staff.post[who]]
    is_long = u < p_long
    starts = is_long | (u < p_long + p_short)
    lengths = model.streams["sickness_length"]
    # Spell lengths are drawn in staff order, one by one, as the spells start.
    for index, long_spell in zip(who[starts].tolist(), is_long[starts].tolist(), strict=True):
        spell = cfg.long_spell if long_spell else cfg.short_spell
        staff.is_long_spell[index] = long_spell
        if long_spell:
            staff.n_long_spells[index] += 1
        else:
            staff.n_short_spells[index] += 1
        length = max(1, int(np.ceil(sample_days(spell, lengths, 1)[0])))
        # The spell starts tomorrow: today's work is already done.
        staff.day_sick_started[index] = day + 1
        staff.day_sick_until[index] = day + 1 + length
        staff.is_reported_long_term_sick[index] = False
        if long_spell:
            staff.day_return_period_until[index] = day + 1 + length + cfg.return_period_days


def update(model: World) -> None:
    """Run the wellbeing phase: stress and burnout, then new sickness spells."""
    update_stress(model)
    start_sickness(model)
