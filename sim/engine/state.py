"""What the phases, agents, tally and build read and write: the model's state, as a typing Protocol.

The engine's modules depend on this description instead of on ``sim.engine.model`` (which imports
them all), so imports run one way: state tables (``cases``, ``posts``, ``rng``) -> this module ->
agents -> case creation and build -> phases and tally -> model. :class:`CaseloadModel
<sim.engine.model.CaseloadModel>` satisfies :class:`World`; tests may pass any object that does.
Workers, managers and support staff are Mesa agents defined in ``sim.engine.agents`` (which
imports this module), so they are typed loosely here.
"""

from __future__ import annotations

from typing import Any, Protocol

from sim.engine.case_history import CaseHistory
from sim.engine.cases import CaseBook
from sim.engine.posts import Posts
from sim.engine.rng import Streams
from sim.engine.staff import Staff
from sim.scenario.schema import Scenario


class Events(Protocol):
    """The tally as the phases see it: events are reported through its methods."""

    def record_referrals(self, count: int, re_referrals: int = 0) -> None:
        """Referrals arrived today."""

    def record_screened_out(self, count: int, high_risk: int) -> None:
        """Referrals screened out at the front door, ``high_risk`` of them at high latent risk."""

    def record_notifications(self, count: int) -> None:
        """Of today's incidents, ``count`` were notifiable serious incidents."""

    def record_incidents(self, count: int) -> None:
        """Serious incidents happened today."""

    def record_closures(self, count: int) -> None:
        """Cases closed today."""

    def record_visits(self, count: int, on_time: int) -> None:
        """Statutory visits made today, ``on_time`` of them by their due day."""

    def record_first_allocation(self, wait_days: int) -> None:
        """A referral was allocated for the first time after ``wait_days``."""

    def record_supervision(self, expected: int, on_time: int) -> None:
        """Supervision sessions fell due, ``on_time`` of them held on time."""

    def record_leaver(self, worker: Any, reason: str) -> None:
        """A worker left its post."""


class World(Protocol):
    """One organisation's state on the current day, as the engine's mechanisms use it."""

    config: Scenario
    seed: int
    day: int
    streams: Streams
    cases: CaseBook
    posts: Posts
    #: Every social worker's state in numpy columns, one row per ``SocialWorker.index``.
    staff: Staff
    tally: Events
    #: Each case row's last management review (the manager under load; sim/engine/manager.py).
    oversight: Any
    #: Every serious incident with its context (``IncidentLog``, sim/engine/incident_log.py).
    incidents: Any
    #: Every social worker ever hired (handles on ``staff`` rows), by ``SocialWorker.index``.
    workers: list[Any]
    managers: list[Any]
    swas: list[Any]
    admins: list[Any]
    #: Case id -> its Referral agent, for referrals not yet closed.
    referral_agents: dict[int, Any]
    #: Every allocation of every case, in order: (case id, worker, day).
    worker_history: CaseHistory
    #: Named worker -> caseload its manager holds it at (teaching scenarios).
    held_caseloads: dict[str, int]
    #: Children referred so far (fresh referrals; a re-referral keeps its child's id).
    n_children: int
    #: Day -> children due back that day: (child, episode, team, risk logit at closure).
    re_referrals_due: dict[int, list[tuple[int, int, int, float]]]

    def workers_in_post(self) -> list[Any]:
        """Every social worker in post, team by team, in hiring order."""

    def team_workers(self, team: int) -> list[Any]:
        """Social workers in post in ``team``."""

    def team_admin(self, team: int) -> Any:
        """The team's admin support, if it has any."""

    def hire(self, post: int, *, is_agency: bool) -> Any:
        """Put a new worker into ``post``."""
