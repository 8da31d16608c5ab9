"""The Caseload model: a Mesa model whose daily step runs the phases in a fixed, documented order.

Order of one working day (see docs/model.md):
  1. arrivals      new referrals join the waiting list
  2. risk          latent risk moves; serious incidents are drawn
  3. allocation    long-term sickness is reported; the manager allocates waiting referrals
  4a. supervision  the manager holds the supervision sessions it has time for
  4. work          assistants, then each social worker, spend their hours; cases progress and close
  5. wellbeing     stress, burnout and new sickness spells
  6. staffing      leavers, cuts, recruits and agency cover
  7. metrics       the day is recorded (model series in the tally's preallocated arrays,
                   each worker's state in the worker-day record's numpy blocks); then, once
                   closed rows reach half the live ones, the case book archives them
"""

from __future__ import annotations

from collections.abc import Callable

import mesa
import numpy as np

from sim.engine.agents import AdminSupport, Manager, SocialWorkAssistant, SocialWorker
from sim.engine.build import OrganisationBuilder
from sim.engine.case_history import CaseHistory
from sim.engine.cases import CaseBook
from sim.engine.establishment import expand_establishment
from sim.engine.incident_log import IncidentLog
from sim.engine.manager import Oversight, is_under_load
from sim.engine.phases import allocation, arrivals, risk, staffing, supervision, wellbeing, work
from sim.engine.posts import Posts
from sim.engine.rng import Streams
from sim.engine.staff import Staff
from sim.engine.tally import Tally
from sim.engine.worker_days import WorkerDayRecord
from sim.scenario.schema import WORKING_DAYS_PER_YEAR, Scenario


def intentions_to_leave(model: CaseloadModel, who: np.ndarray) -> np.ndarray:
    """Annualised leaving hazard of staff rows ``who`` right now."""
    return staffing.leave_hazards(model, who) * WORKING_DAYS_PER_YEAR


class CaseloadModel(mesa.Model):
    """One organisation (one or more teams) simulated one working day per step."""

    def __init__(self, config: Scenario, seed: int, *, day0: Scenario | None = None) -> None:
        """Build the organisation of ``config`` on day 0, ready to step.

        With ``day0`` (the counterfactual replay of ``caseload review``), the organisation is
        built as ``day0`` builds it (its staff and every day-0 case, so every child keeps its
        identity and draws) and then brought up to ``config``'s establishment
        (:func:`sim.engine.establishment.expand_establishment`); ``config`` governs every day.
        """
        super().__init__(rng=seed)
        self.config = config if day0 is None else day0
        self.seed = int(seed)
        self.streams = Streams(seed)
        self.day = 0
        self.cases = CaseBook(capacity=self._expected_cases())
        self.posts = Posts()
        self.staff = Staff(capacity=2 * config.team.n_teams * config.team.social_worker_posts)
        #: Every social worker ever hired, by index: handles on the rows of ``staff``.
        self.workers: list[SocialWorker] = []
        self.managers: list[Manager] = []
        self.swas: list[SocialWorkAssistant] = []
        self.admins: list[AdminSupport] = []
        self.admins_by_team: dict[int, AdminSupport | None] = {}
        self.referral_agents: dict = {}
        #: Children referred so far (each fresh referral is a new child; re-referrals are not).
        self.n_children = 0
        #: Day -> children due back that day: (child, episode, team, risk logit at closure).
        self.re_referrals_due: dict[int, list[tuple[int, int, int, float]]] = {}
        #: Every allocation of every case, in order (each case's history of workers).
        self.worker_history = CaseHistory()
        self.held_caseloads = {
            w.name: w.held_caseload for w in config.team.workers if w.held_caseload is not None
        }
        self.tally = Tally(self)
        self.worker_days = WorkerDayRecord()
        #: Each case's last management review (used when ``manager.mode = "under_load"``).
        self.oversight = Oversight()
        #: Every serious incident with its context that day (``caseload review`` reads it).
        self.incidents = IncidentLog()
        self.builder = OrganisationBuilder(self)
        self.builder.build()
        if day0 is not None:
            expand_establishment(self, config)
        if is_under_load(self):
            self.oversight.start(self)

    def _expected_cases(self) -> int:
        """Rows for the day-0 cases and a quarter-year of arrivals; more double the columns.

        Compaction keeps the working columns near the live cases, so a run needs no room for
        every referral it will ever open.
        """
        cfg = self.config
        arrivals = cfg.demand.referrals_per_day * min(cfg.simulation.days, 65)
        initial = cfg.simulation.initial_cases_per_fte * cfg.team.social_worker_posts
        return int((arrivals + initial) * 1.6 * cfg.team.n_teams) + 64

    # Staff registry -------------------------------------------------------------------------
    def workers_in_post(self) -> list[SocialWorker]:
        """Every social worker currently in post, team by team, in hiring order."""
        workers = self.workers
        return [workers[i] for i in self.staff.in_post.tolist()]

    def team_workers(self, team: int) -> list[SocialWorker]:
        """Social workers in post in ``team``."""
        rows = self.staff.in_post
        workers = self.workers
        return [workers[i] for i in rows[self.staff.team[rows] == team].tolist()]

    def team_admin(self, team: int) -> AdminSupport | None:
        """The team's admin support, if it has any."""
        return self.admins_by_team.get(team)

    def hire(self, post: int, *, is_agency: bool) -> SocialWorker:
        """Put a new recruit or agency worker into ``post`` (the staffing phase's arrivals)."""
        return self.builder.hire(post, is_agency=is_agency)

    # A policy changed part-way through a run -------------------------------------------------
    #: Settings read only when the organisation is built (or sized by the run's length): a
    #: config applied part-way through a run must keep them.
    BUILD_SECTIONS = ("simulation", "limits", "team", "case_types")
    BUILD_SETTINGS = (("support", "admin_staff"), ("support", "swa_staff"))

    def change_config(self, config: Scenario) -> None:
        """Run with ``config`` from the next day on: a lever changed part-way through a run.

        The phases read ``model.config`` every day, so a setting they read takes effect from
        the next step. ``config`` must already be validated (``with_overrides``). Regular
        supervision switched on starts its sessions from today: a session falls due no earlier
        than the next day, so the days without supervision are not counted as missed sessions.

        Raises:
            ValueError: If ``config`` changes what the build reads (teams, posts, support
                staff, case types, the run's length or seed).
        """
        old = self.config
        changed = [s for s in self.BUILD_SECTIONS if getattr(config, s) != getattr(old, s)]
        changed += [
            f"{section}.{name}"
            for section, name in self.BUILD_SETTINGS
            if getattr(getattr(config, section), name) != getattr(getattr(old, section), name)
        ]
        if changed:
            raise ValueError(
                "cannot change part-way through a run (read when the teams are built): "
                + ", ".join(changed)
            )
        if config.supervision.enabled and not old.supervision.enabled:
            who = self.staff.in_post
            due = self.staff.day_supervision_due
            due[who] = np.maximum(due[who], self.day)
        self.config = config

    # The day --------------------------------------------------------------------------------
    def step(self) -> None:
        """Simulate one working day: the phases in the order of the module docstring."""
        arrivals.arrive(self)
        risk.evolve(self)
        allocation.allocate(self)
        supervision.supervise(self)
        work.work(self)
        wellbeing.update(self)
        staffing.update(self)
        self.tally.record(self)
        self.staff.end_day(self.day)
        if self.config.simulation.collect_worker_days:
            who = self.staff.in_post
            self.worker_days.record(self.day, self.staff, who, intentions_to_leave(self, who))
            if is_under_load(self):
                self.worker_days.record_managers(self.day, self.managers, self.config)
        if self.cases.should_compact():
            self.cases.compact()  # between days, when no phase holds a row
        self.day += 1

    def run(self, days: int | None = None, progress: Callable[[int], None] | None = None) -> None:
        """Step ``days`` days (default: the scenario's length), calling ``progress(day)``."""
        for _ in range(self.config.simulation.days if days is None else days):
            self.step()
            if progress is not None:
                progress(self.day)
