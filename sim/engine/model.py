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
                   each worker's state by Mesa's DataCollector)
"""

from __future__ import annotations

from operator import attrgetter

import mesa

from sim.engine.agents import AdminSupport, Manager, SocialWorkAssistant, SocialWorker
from sim.engine.build import OrganisationBuilder
from sim.engine.cases import CaseBook
from sim.engine.phases import allocation, arrivals, risk, staffing, supervision, wellbeing, work
from sim.engine.posts import Posts
from sim.engine.rng import Streams
from sim.engine.tally import Tally
from sim.scenario.schema import WORKING_DAYS_PER_YEAR, Scenario

#: Each social worker's state at the end of every day, collected by Mesa's DataCollector.
#: Attributes are read with ``attrgetter`` (what Mesa does for a name, minus a Python wrapper
#: per value: the collector reads 16 values per worker per day).
WORKER_DAY_REPORTERS = {
    "day": lambda w: w.model.day,
    "worker": attrgetter("index"),
    "team": attrgetter("team"),
    "fte": attrgetter("fte"),
    "is_agency": attrgetter("is_agency"),
    "status": lambda w: w.status(w.model.day),
    "caseload": attrgetter("caseload"),
    "weighted_caseload": attrgetter("weighted_caseload"),
    "backlog_hours": attrgetter("backlog_hours"),
    "stress": attrgetter("stress"),
    "is_burnt_out": attrgetter("is_burnt_out"),
    "hours_available": attrgetter("hours_available"),
    "hours_worked": attrgetter("hours_worked"),
    "overtime_hours": attrgetter("overtime_hours"),
    "contact_hours": attrgetter("contact_hours"),
    "intention_to_leave": lambda w: (
        staffing.leave_hazard_per_day(w, w.model) * WORKING_DAYS_PER_YEAR
    ),
}


def intention_to_leave(worker: SocialWorker, model: CaseloadModel) -> float:
    """Annualised leaving hazard of ``worker`` right now (the staffing phase's, per year)."""
    return staffing.leave_hazard_per_day(worker, model) * WORKING_DAYS_PER_YEAR


class CaseloadModel(mesa.Model):
    """One organisation (one or more teams) simulated one working day per step."""

    def __init__(self, config: Scenario, seed: int) -> None:
        super().__init__(rng=seed)
        self.config = config
        self.seed = int(seed)
        self.streams = Streams(seed)
        self.day = 0
        self.cases = CaseBook(capacity=self._expected_cases())
        self.posts = Posts()
        self.workers: list[SocialWorker] = []
        self.managers: list[Manager] = []
        self.swas: list[SocialWorkAssistant] = []
        self.admins: list[AdminSupport] = []
        self.admins_by_team: dict[int, AdminSupport | None] = {}
        self.referral_agents: dict = {}
        #: Every worker each case has been allocated to, in order (a case's change history).
        self.worker_history: dict[int, list[int]] = {}
        self._staff_by_team: dict[int, dict[int, SocialWorker]] = {
            team: {} for team in range(config.team.n_teams)
        }
        self.held_caseloads = {
            w.name: w.held_caseload for w in config.team.workers if w.held_caseload is not None
        }
        self.tally = Tally(self)
        self.datacollector = mesa.DataCollector(
            agenttype_reporters={SocialWorker: WORKER_DAY_REPORTERS}
        )
        self.builder = OrganisationBuilder(self)
        self.builder.build()

    def _expected_cases(self) -> int:
        cfg = self.config
        arrivals_total = cfg.demand.referrals_per_day * cfg.simulation.days
        initial = cfg.simulation.initial_cases_per_fte * cfg.team.social_worker_posts
        return int((arrivals_total * 1.6 + initial) * cfg.team.n_teams) + 64

    # Staff registry -------------------------------------------------------------------------
    def add_to_staff(self, worker: SocialWorker) -> None:
        """Register a worker as in post in its team."""
        self._staff_by_team[worker.team][worker.index] = worker

    def workers_in_post(self) -> list[SocialWorker]:
        """Every social worker currently in post, team by team, in hiring order."""
        staff = [w for team in self._staff_by_team.values() for w in team.values()]
        return [w for w in staff if w.is_in_post]

    def team_workers(self, team: int) -> list[SocialWorker]:
        """Social workers in post in ``team``."""
        members = self._staff_by_team[team]
        for index in [i for i, w in members.items() if not w.is_in_post]:
            del members[index]
        return list(members.values())

    def team_admin(self, team: int) -> AdminSupport | None:
        """The team's admin support, if it has any."""
        return self.admins_by_team.get(team)

    def hire(self, post: int, *, is_agency: bool) -> SocialWorker:
        """Put a new recruit or agency worker into ``post`` (the staffing phase's arrivals)."""
        return self.builder.hire(post, is_agency=is_agency)

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
        if self.config.simulation.collect_worker_days:
            self.datacollector.collect(self)
        self.day += 1

    def run(self, days: int | None = None, progress=None) -> None:
        """Step ``days`` days (default: the scenario's length), calling ``progress(day)``."""
        for _ in range(self.config.simulation.days if days is None else days):
            self.step()
            if progress is not None:
                progress(self.day)
