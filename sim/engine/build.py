"""Model build: the organisation's teams, posts, staff and the caseload they hold on day 0.

Initial cases are drawn in steady-state proportions: with arrival mix m and step-up matrix P
(P[i, j] = probability a case of type i continues as type j), type flows are f = (I - P^T)^-1 m and,
by Little's law, the stock of type i is proportional to f_i x mean duration_i. Each initial case
is part-way through its work (uniform residual) with its next visit due within one interval.
A warm-up period (``simulation.warmup_days``) is excluded from the metrics.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.engine.agents import AdminSupport, Manager, SocialWorkAssistant, SocialWorker
from sim.engine.cases import ALLOCATED, NEVER
from sim.engine.distributions import mean_days, sample_days, sample_residual_days
from sim.engine.posts import NOT_SCHEDULED
from sim.engine.referrals import open_cases
from sim.scenario.schema import CASE_TYPES, WORKING_DAYS_PER_YEAR, Scenario, WorkerSpec

if TYPE_CHECKING:
    from sim.engine.state import World


def steady_state_stock(config: Scenario) -> np.ndarray:
    """Days of case each referral brings, by type, in steady state (Little's law).

    Flows f = (I - P^T)^-1 m from the referral mix m and the step-up matrix P, each type held
    for its mean duration: referrals a day times this is the stock of open cases by type.
    """
    types = config.case_types
    k = len(CASE_TYPES)
    mix = np.array([config.demand.mix.get(t, 0.0) for t in CASE_TYPES])
    step = np.zeros((k, k))
    for i, name in enumerate(CASE_TYPES):
        for other, p in types[name].next_type.items():
            step[i, CASE_TYPES.index(other)] = p
    try:
        flows = np.linalg.solve(np.eye(k) - step.T, mix)
    except np.linalg.LinAlgError:
        flows = mix
    return np.clip(flows, 0, None) * np.array([mean_days(types[t].duration) for t in CASE_TYPES])


def steady_state_type_shares(model: World) -> np.ndarray:
    """Share of open cases of each type in steady state (Little's law over the step-up chain)."""
    stock = steady_state_stock(model.config)
    k = len(stock)
    return stock / stock.sum() if stock.sum() > 0 else np.full(k, 1.0 / k)


class OrganisationBuilder:
    """Creates the agents of the organisation and hires staff into posts as the model runs."""

    def __init__(self, model: World) -> None:
        self.model = model

    def build(self) -> None:
        """Create every team with its manager, posts, staff, support and initial cases."""
        model, team_cfg = self.model, self.model.config.team
        rng = model.streams["workforce_build"]
        for team in range(team_cfg.n_teams):
            model.managers.append(Manager(model, team=team))
            posts = model.posts.add(team, team_cfg.social_worker_posts)
            named = list(team_cfg.workers) if team == 0 else []  # named people: first team only
            unnamed = posts[len(named) :]
            n_vacant = min(len(unnamed), round(team_cfg.initial_vacancy_share * len(posts)))
            vacant = set(rng.choice(unnamed, size=n_vacant, replace=False).tolist())
            for post in posts:
                post = int(post)
                if named:
                    spec = named.pop(0)
                    self.hire(post, is_agency=spec.is_agency, spec=spec, initial=True)
                    if spec.is_agency:  # agency cover: the post is still being recruited to
                        delay = sample_days(model.config.staffing.recruitment, rng, 1)[0]
                        model.posts.day_recruit[post] = max(1, round(delay))
                elif post in vacant:
                    self.initial_vacancy(post, rng)
                else:
                    self.hire(post, is_agency=False, initial=True)
            self.add_support(team)
        self.add_initial_cases()

    def initial_vacancy(self, post: int, rng: np.random.Generator) -> None:
        """A post vacant on day 0: recruitment under way (residual delay), agency cover maybe."""
        model = self.model
        staffing = model.config.staffing
        # For the default (exponential) delay the time still to run is distributed as a fresh one.
        delay = sample_days(staffing.recruitment, rng, 1)[0]
        model.posts.day_recruit[post] = max(1, round(delay))
        if staffing.agency_backfill and rng.random() < model.config.team.initial_agency_cover_share:
            self.hire(post, is_agency=True, initial=True)
        else:
            model.posts.day_agency[post] = NOT_SCHEDULED

    def add_support(self, team: int) -> None:
        """Create the team's admin support and social work assistants."""
        model, support = self.model, self.model.config.support
        admin = (
            AdminSupport(model, team=team, fte=support.admin_staff) if support.admin_staff else None
        )
        model.admins_by_team[team] = admin
        if admin is not None:
            model.admins.append(admin)
        n_swa = math.ceil(support.swa_staff)
        for _ in range(n_swa):
            model.swas.append(SocialWorkAssistant(model, team=team, fte=support.swa_staff / n_swa))

    def hire(
        self, post: int, *, is_agency: bool, spec: WorkerSpec | None = None, initial: bool = False
    ) -> SocialWorker:
        """Put a new worker into ``post`` (day-0 staff, a permanent recruit or agency cover)."""
        model = self.model
        cfg = model.config
        if initial:
            rng = model.streams["workforce_build"]
        else:
            rng = model.streams["agency" if is_agency else "recruitment"]
        team = int(model.posts.team[post])
        if spec is not None:
            fte, experience = spec.fte, spec.experience_years * WORKING_DAYS_PER_YEAR
            style = spec.priority_style
        else:
            fte = cfg.team.part_time_fte if rng.random() < cfg.team.part_time_share else 1.0
            if is_agency:
                experience = cfg.staffing.agency_experience_years * WORKING_DAYS_PER_YEAR
            else:
                nqsw_share = (
                    cfg.team.newly_qualified_share
                    if initial
                    else cfg.staffing.new_starter_nqsw_share
                )
                if rng.random() < nqsw_share:
                    experience = rng.uniform(0, WORKING_DAYS_PER_YEAR) if initial else 0.0
                else:
                    experience = rng.uniform(1, 20) * WORKING_DAYS_PER_YEAR
            style = (
                "recording_first"
                if rng.random() < cfg.team.recording_first_share
                else ("contact_first")
            )
        shape = cfg.sickness.frailty_shape
        # Read before the new row joins the staff table (its stress is 0 until set).
        carried = 0.0 if initial or spec is not None else carried_stress(model, experience)
        worker = SocialWorker(
            model,
            team=team,
            post=post,
            fte=fte,
            experience_days=experience,
            is_agency=is_agency,
            frailty=float(rng.gamma(shape, 1.0 / shape)),
            priority_style=style,
            name=spec.name if spec is not None else "",
            never_leaves=spec.never_leaves if spec is not None else False,
            is_starter=not initial,
        )
        if initial:
            service = rng.uniform(0, min(experience, 10 * WORKING_DAYS_PER_YEAR))
            worker.day_started = model.day - int(service)
            worker.stress = float(rng.uniform(0.1, 0.4))
        elif spec is None:
            worker.stress = carried
        if spec is not None:
            worker.stress = spec.initial_stress
            if spec.returning_from_sickness:
                worker.day_sick_started = model.day - 40
                worker.day_sick_until = model.day
                worker.is_long_spell = True
                worker.day_return_period_until = model.day + cfg.sickness.return_period_days
        model.posts.holder[post] = worker.index
        return worker

    def add_initial_cases(self) -> None:
        """Give day-0 staff their caseloads, in steady-state type proportions."""
        model = self.model
        cfg = model.config
        rng = model.streams["initial_cases"]
        shares = steady_state_type_shares(model)
        for team in range(cfg.team.n_teams):
            staff = model.team_workers(team)
            specs = {w.name: s for s in cfg.team.workers for w in staff if w.name == s.name}
            fixed = [w for w in staff if w.name in specs]
            others = [w for w in staff if w.name not in specs]
            for worker in fixed:
                spec = specs[worker.name]
                mix = shares
                if spec.initial_case_type is not None:  # a caseload of one kind (teaching)
                    mix = np.eye(len(CASE_TYPES))[CASE_TYPES.index(spec.initial_case_type)]
                self.give_cases(worker, spec.initial_cases, mix, rng)
                self.give_backlog(worker, specs[worker.name].initial_backlog_hours, rng)
            fte = sum(w.fte for w in others)
            total = round(cfg.simulation.initial_cases_per_fte * fte)
            for worker in others:
                self.give_cases(worker, round(total * worker.fte / fte) if fte else 0, shares, rng)

    def give_cases(
        self, worker: SocialWorker, count: int, shares: np.ndarray, rng: np.random.Generator
    ) -> None:
        """Create ``count`` open cases already allocated to ``worker``."""
        if count <= 0:
            return
        model = self.model
        cases = model.cases
        codes = rng.choice(len(CASE_TYPES), size=count, p=shares).astype(np.int8)
        rows = open_cases(model, codes, np.full(count, worker.team), rng, duration_rng=rng)
        for code in np.unique(codes):
            subset = rows[codes == code]
            spec = model.config.case_types[CASE_TYPES[code]].duration
            cases.work_days_left[subset] = sample_residual_days(spec, rng, len(subset))
        cases.work_days_left[rows] = np.maximum(cases.work_days_left[rows], 0.5)
        intervals = cases.visit_interval_days[rows]
        cases.day_visit_due[rows] = model.day + (rng.random(count) * intervals).astype(np.int32)
        arrived = model.day - (rng.random(count) * 200).astype(np.int32)
        # A stamp equal to the NEVER sentinel (-1) would read as "never allocated" on reallocation.
        arrived[arrived == NEVER] = NEVER - 1
        cases.day_arrived[rows] = arrived
        cases.status[rows] = ALLOCATED
        cases.worker[rows] = worker.index
        model.worker_history.add_many(cases.case_id[rows], worker.index, model.day)
        cases.day_allocated[rows] = cases.day_arrived[rows]
        cases.day_first_allocated[rows] = cases.day_arrived[rows]
        cases.observed_risk[rows] = 1.0 / (1.0 + np.exp(-cases.risk_logit[rows]))

    def give_backlog(self, worker: SocialWorker, hours: float, rng: np.random.Generator) -> None:
        """Spread ``hours`` of unrecorded visits over the worker's cases (teaching scenarios)."""
        cases = self.model.cases
        rows = np.flatnonzero(cases.worker[: cases.n] == worker.index)
        if hours <= 0 or len(rows) == 0:
            return
        split = rng.dirichlet(np.ones(len(rows))) * hours
        cases.pending_recording_hours[rows] += split
        cases.day_oldest_unrecorded[rows] = self.model.day - rng.integers(3, 30, len(rows))


def carried_stress(model: World, experience_days: float) -> float:
    """Stress a worker hired today starts with: 0, or what an experienced hire brings.

    With exhaustion on, a hire with a year or more of practice (agency workers, and permanent
    recruits who are not newly qualified) comes from another job in the sector and brings
    ``c`` times the mean stress of the workers in post (``c = exhaustion.hire_carry_share``).
    """
    cfg = model.config.exhaustion
    if not cfg.enabled or experience_days < WORKING_DAYS_PER_YEAR:
        return 0.0
    who = model.staff.in_post
    if len(who) == 0:
        return 0.0
    return float(cfg.hire_carry_share * model.staff.stress[who].mean())
