"""The Mesa agents: social workers, managers, social work assistants, admin support and referrals.

Workers are few (a team has about ten), so each is a Mesa agent holding its own state. Referrals
are many, so their state lives in the model's :class:`~sim.engine.cases.CaseBook`; a
:class:`Referral` agent is a handle on one row, giving dashboards and users an agent to inspect.
Behaviour that
belongs to one daily phase lives in that phase's module under ``sim/engine/phases``; agents see
the model through :class:`~sim.engine.state.World`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.engine.cases import STATUS_NAMES
from sim.scenario.schema import CASE_TYPES, WORKING_DAYS_PER_YEAR

if TYPE_CHECKING:
    from sim.engine.state import World


class SocialWorker(mesa.Agent):
    """A case-holding social worker (permanent or agency) in one post of one team."""

    def __init__(
        self,
        model: World,
        *,
        team: int,
        post: int,
        fte: float,
        experience_days: float,
        is_agency: bool,
        frailty: float,
        priority_style: str = "contact_first",
        name: str = "",
        never_leaves: bool = False,
        is_starter: bool = False,
    ) -> None:
        super().__init__(model)
        self.index = len(model.workers)
        model.workers.append(self)
        self.team = team
        self.post = post
        self.fte = fte
        self.experience_days = experience_days
        self.is_agency = is_agency
        self.frailty = frailty
        self.priority_style = priority_style
        self.name = name or f"SW{self.index}"
        self.never_leaves = never_leaves
        self.day_started = model.day
        self.day_hired = model.day
        self.day_left = -1
        self.left_reason = ""
        self.starter_ramp_until = (
            model.day + model.config.work.starter_ramp_days if is_starter else model.day
        )
        # Wellbeing state
        self.stress = 0.0
        self.days_above_threshold = 0
        self.is_burnt_out = False
        # Sickness state: sick on days in [day_sick_started, day_sick_until)
        self.day_sick_started = -1
        self.day_sick_until = -1
        self.is_long_spell = False
        self.is_reported_long_term_sick = False
        self.day_return_period_until = -1
        # Supervision
        self.day_supervision_due = model.day + int(
            model.streams["workforce_build"].integers(0, self.supervision_interval() + 1)
        )
        self.supervised_today = False
        self.supervision_hours_today = 0.0
        # Today's figures (set by the work phase)
        self.caseload = 0
        self.weighted_caseload = 0.0
        self.backlog_hours = 0.0
        self.hours_available = 0.0
        self.overtime_allowed = 0.0
        self.hours_worked = 0.0
        self.overtime_hours = 0.0
        self.demand_hours = 0.0
        self.contact_hours = 0.0
        self.duty_hours = 0.0
        self.paid_hours = 0.0
        self.incidents_today = 0
        # Running totals
        self.total_hours_worked = 0.0
        self.total_overtime_hours = 0.0
        self.total_contact_hours = 0.0
        self.total_sick_days = 0
        self.n_short_spells = 0
        self.n_long_spells = 0
        self.total_burnout_days = 0
        self.days_in_post = 0
        self.n_visits = 0
        self.n_cases_closed = 0

    @property
    def is_in_post(self) -> bool:
        """Still employed in the team (has not left)."""
        return self.day_left < 0

    @property
    def is_nqsw(self) -> bool:
        """In the first (ASYE) year after qualifying: protected caseload and time.

        ``experience_days`` is experience when hired; it grows by one each working day since.
        """
        experience_now = self.experience_days + (self.model.day - self.day_hired)
        return experience_now < WORKING_DAYS_PER_YEAR

    def is_sick(self, day: int) -> bool:
        """Off sick on ``day``."""
        return self.day_sick_started <= day < self.day_sick_until

    def is_available(self, day: int) -> bool:
        """In post and at work on ``day``."""
        return self.is_in_post and not self.is_sick(day)

    def is_returning(self, day: int) -> bool:
        """Within the return period after a long sickness spell."""
        return self.day_sick_until <= day < self.day_return_period_until

    def supervision_interval(self) -> int:
        """Working days between supervision sessions (shorter for newly qualified workers)."""
        sup = self.model.config.supervision
        return sup.nqsw_interval_days if self.is_nqsw else sup.interval_days

    def status(self, day: int) -> str:
        """One word for dashboards: left, sick, returning, burnt out, agency or working."""
        if not self.is_in_post:
            return "left"
        if self.is_sick(day):
            return "sick"
        if self.is_returning(day):
            return "returning"
        if self.is_burnt_out:
            return "burnt_out"
        return "agency" if self.is_agency else "working"


class Manager(mesa.Agent):
    """A team manager: allocates referrals, holds supervision, oversees every case of the team."""

    def __init__(self, model: World, *, team: int) -> None:
        super().__init__(model)
        self.team = team
        self.oversight_ratio = 0.0
        self.hours_for_supervision = 0.0
        self.sessions_held = 0
        self.sessions_on_time = 0
        self.sessions_missed = 0
        self.allocations_today = 0
        self.audits_today = 0
        self.audits = 0


class SocialWorkAssistant(mesa.Agent):
    """An unqualified assistant: low-risk visits and practical tasks, never high-risk cases."""

    def __init__(self, model: World, *, team: int, fte: float) -> None:
        super().__init__(model)
        self.team = team
        self.fte = fte
        self.hours_worked = 0.0
        self.n_visits = 0

    def hours_per_day(self) -> float:
        """Contracted hours a day."""
        return self.fte * self.model.config.support.swa_hours_per_week / 5.0


class AdminSupport(mesa.Agent):
    """Team administrators: type up visit notes and closure paperwork, up to their hours."""

    def __init__(self, model: World, *, team: int, fte: float) -> None:
        super().__init__(model)
        self.team = team
        self.fte = fte
        self.hours_left_today = 0.0
        self.hours_worked = 0.0

    def start_day(self) -> None:
        """Reset today's hours."""
        self.hours_left_today = self.fte * self.model.config.support.admin_hours_per_week / 5.0

    def absorb(self, hours: float) -> float:
        """Take up to ``hours`` of paperwork if time remains today; return the hours taken."""
        taken = min(hours, self.hours_left_today)
        self.hours_left_today -= taken
        self.hours_worked += taken
        return taken


class Referral(mesa.Agent):
    """A handle on one row of the case book: a referral and, once allocated, a case."""

    def __init__(self, model: World, *, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def case_type(self) -> str:
        """Kind of case (assessment, child in need, ...)."""
        return CASE_TYPES[int(self.model.cases.type_code[self.row])]

    @property
    def status(self) -> str:
        """waiting, allocated, ready_to_close or closed."""
        return STATUS_NAMES[int(self.model.cases.status[self.row])]

    @property
    def worker(self) -> SocialWorker | None:
        """The allocated social worker, if any."""
        index = int(self.model.cases.worker[self.row])
        return self.model.workers[index] if index >= 0 else None

    @property
    def risk(self) -> float:
        """Latent risk in (0, 1); only observed at visits."""
        return float(self.model.cases.risk_of(np.array([self.row]))[0])
