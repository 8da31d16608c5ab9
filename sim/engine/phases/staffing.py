"""Phase 6, staffing: leaving, vacancies, recruitment, agency backfill, cuts and freezes.

Daily leaving hazard of a worker:
    h = lambda / 260 * B^[burnt out] * exp(b_s * (s - 0.3)) * E^[1 <= service years < 5] * P
with lambda the annual rate (``leave_rate_per_year``, or ``agency_leave_rate_per_year`` for agency
workers), B the burnout ratio, E the early-career ratio and P the retention-pay ratio (permanent
staff only). One uniform draw per post per day decides leaving (common random numbers).
When a permanent worker leaves, the post is vacant: a permanent recruit is due after a delay drawn
from ``staffing.recruitment``, and with probability ``agency_cover_probability`` an agency worker
covers it after a delay from ``staffing.agency_delay``, until the recruit arrives. During a
vacancy freeze the recruitment clock stops: neither permanent recruits nor agency cover start.
A cut removes vacant posts first, then agency-held ones, then the newest permanent staff.
A leaver's cases return to the waiting list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engine.cases import release_worker_cases
from sim.engine.distributions import sample_days
from sim.engine.posts import NOBODY, NOT_SCHEDULED
from sim.scenario.schema import WORKING_DAYS_PER_YEAR

if TYPE_CHECKING:
    from sim.engine.agents import SocialWorker
    from sim.engine.state import World

STRESS_REFERENCE = 0.3


def leave_hazards(model: World, who: np.ndarray) -> np.ndarray:
    """Daily leaving hazard h of staff rows ``who`` (module equation)."""
    cfg, staff = model.config.staffing, model.staff
    if not cfg.attrition_enabled:
        return np.zeros(len(who))
    is_agency = staff.is_agency[who]
    rate = np.where(is_agency, cfg.agency_leave_rate_per_year, cfg.leave_rate_per_year)
    ratio = np.where(staff.is_burnt_out[who], cfg.burnout_leave_ratio, 1.0)
    ratio = ratio * np.exp(cfg.stress_leave_log_ratio * (staff.stress[who] - STRESS_REFERENCE))
    service_years = (model.day - staff.day_started[who]) / WORKING_DAYS_PER_YEAR
    is_early = (service_years >= 1.0) & (service_years < 5.0)
    ratio = np.where(is_early, ratio * cfg.early_career_leave_ratio, ratio)
    ratio = np.where(is_agency, ratio, ratio * cfg.retention_pay_leave_ratio)
    hazard = rate / WORKING_DAYS_PER_YEAR * ratio
    hazard[staff.never_leaves[who] | (staff.day_left[who] >= 0)] = 0.0
    return hazard


def leave_hazard_per_day(worker: SocialWorker, model: World) -> float:
    """Daily leaving hazard h of one worker (:func:`leave_hazards` of its row)."""
    return float(leave_hazards(model, np.array([worker.index]))[0])


def is_frozen(model: World, day: int) -> bool:
    """Whether a vacancy freeze is in force on ``day``."""
    cfg = model.config.staffing
    if cfg.vacancy_freeze_start_day is None or day < cfg.vacancy_freeze_start_day:
        return False
    return cfg.vacancy_freeze_end_day is None or day < cfg.vacancy_freeze_end_day


def depart(model: World, worker: SocialWorker, reason: str, *, release: bool = True) -> None:
    """Remove a worker from its post; its cases go back to the waiting list.

    ``release=False`` leaves that to the caller, who releases several leavers' cases at once.
    """
    model.staff.leave(worker.index, model.day)
    worker.left_reason = reason
    if release:
        release_worker_cases(model.cases, worker.index)
    if worker.post >= 0 and model.posts.holder[worker.post] == worker.index:
        model.posts.holder[worker.post] = NOBODY
    model.tally.record_leaver(worker, reason)
    worker.remove()


def open_vacancy(model: World, post: int, *, recruit: bool) -> None:
    """Schedule agency cover (maybe) and, if ``recruit``, a permanent recruit for ``post``."""
    cfg, day, posts = model.config.staffing, model.day, model.posts
    if recruit:
        delay = sample_days(cfg.recruitment, model.streams["recruitment"], 1)[0]
        posts.day_recruit[post] = day + max(1, round(delay))
    cover = model.streams["agency"].random()
    if cfg.agency_backfill and cover < cfg.agency_cover_probability:
        delay = sample_days(cfg.agency_delay, model.streams["agency"], 1)[0]
        posts.day_agency[post] = day + max(1, round(delay))
    else:
        posts.day_agency[post] = NOT_SCHEDULED


def apply_cuts(model: World) -> None:
    """Remove the posts scheduled to be cut today, across the whole organisation."""
    posts = model.posts

    def cut_order(post: int) -> tuple[int, int, int]:
        holder = int(posts.holder[post])
        if holder == NOBODY:
            return (0, 0, post)
        worker = model.workers[holder]
        if worker.is_agency:
            return (1, 0, post)
        return (2, -worker.day_started, post)

    for cut in model.config.staffing.cuts:
        if cut.day != model.day:
            continue
        active = [p for p in range(posts.n) if posts.is_active[p]]
        count = cut.posts if cut.posts is not None else round(cut.share * len(active))
        for post in sorted(active, key=cut_order)[:count]:
            posts.is_active[post] = False
            posts.day_recruit[post] = NOT_SCHEDULED
            posts.day_agency[post] = NOT_SCHEDULED
            holder = int(posts.holder[post])
            if holder != NOBODY:
                depart(model, model.workers[holder], "post cut")


def update(model: World) -> None:
    """Run the staffing phase: leavers, cuts, then arrivals of recruits and agency cover."""
    day, posts = model.day, model.posts
    uniform = model.streams["leaving"].random(posts.n)
    who = model.staff.in_post
    # A worker's hazard depends on its own state only, so every hazard is worked out first and
    # the leavers then go in staff order (their vacancies draw recruitment delays in that order).
    leaving = uniform[model.staff.post[who]] < -np.expm1(-leave_hazards(model, who))
    leavers = who[leaving].tolist()
    for index in leavers:
        worker = model.workers[index]
        depart(model, worker, "left", release=False)
        open_vacancy(model, worker.post, recruit=not worker.is_agency)
    # Nothing in the loop reads the case book, so releasing every leaver's cases in one pass
    # afterwards leaves it as releasing them one departure at a time did.
    release_worker_cases(model.cases, leavers)
    apply_cuts(model)
    if is_frozen(model, day):
        # The recruitment clock stops during a freeze: every scheduled arrival slips a day.
        posts.day_recruit[posts.day_recruit > NOT_SCHEDULED] += 1
        posts.day_agency[posts.day_agency > NOT_SCHEDULED] += 1
        return
    recruit_due = (posts.day_recruit > NOT_SCHEDULED) & (posts.day_recruit <= day)
    agency_due = (posts.day_agency > NOT_SCHEDULED) & (posts.day_agency <= day)
    # Filling a post changes no other post, so only posts with an arrival due need a look.
    for post in np.flatnonzero(posts.is_active & (recruit_due | agency_due)).tolist():
        holder = int(posts.holder[post])
        holder_is_agency = holder != NOBODY and model.workers[holder].is_agency
        if NOT_SCHEDULED < posts.day_recruit[post] <= day:
            if holder_is_agency:
                depart(model, model.workers[holder], "agency cover ended")
            model.hire(post, is_agency=False)
            posts.day_recruit[post] = NOT_SCHEDULED
            posts.day_agency[post] = NOT_SCHEDULED
        elif holder == NOBODY and NOT_SCHEDULED < posts.day_agency[post] <= day:
            model.hire(post, is_agency=True)
            posts.day_agency[post] = NOT_SCHEDULED
