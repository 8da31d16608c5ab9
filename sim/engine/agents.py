"""The Mesa agents: social workers, managers, social work assistants, admin support and referrals.

The state of social workers and referrals lives in numpy columns owned by the model (the
:class:`~sim.engine.staff.Staff` table and the :class:`~sim.engine.cases.CaseBook`), so the phases
work on whole columns; a :class:`SocialWorker` is a handle on one staff row and a
:class:`Referral` on one referral (its case id), giving dashboards and users an agent to
inspect. Managers, assistants and admin support are few (one or two a team) and hold their own
state. Behaviour that belongs to one daily phase lives in that phase's module under
``sim/engine/phases``; agents see the model through :class:`~sim.engine.state.World`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.engine.cases import STATUS_NAMES
from sim.engine.staff import IN_POST_KEYS
from sim.engine.staff import STATUS_NAMES as STAFF_STATUS_NAMES
from sim.scenario.schema import CASE_TYPES, WORKING_DAYS_PER_YEAR

if TYPE_CHECKING:
    from sim.engine.state import World


class _Column:
    """A ``SocialWorker`` attribute stored in the staff table's column of the same name.

    Reading gives a Python scalar (``float``, ``int`` or ``bool``), as a plain attribute would.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, worker: SocialWorker | None, owner: type | None = None):
        if worker is None:
            return self
        return getattr(worker.model.staff, self.name)[worker.index].item()

    def __set__(self, worker: SocialWorker, value) -> None:
        staff = worker.model.staff
        getattr(staff, self.name)[worker.index] = value
        if self.name in IN_POST_KEYS:
            staff.changed()  # who is in post, or in which team, changed


class SocialWorker(mesa.Agent):
    """A case-holding social worker (permanent or agency): a handle on one staff-table row.

    Its numeric state lives in ``model.staff`` (:class:`~sim.engine.staff.Staff`), which the
    phases update a column at a time; the attributes below read and write that row, so a
    worker can still be inspected and set one at a time. Name, priority style and leaving
    reason are text and stay on the handle.
    """

    team = _Column()
    post = _Column()
    fte = _Column()
    experience_days = _Column()
    is_agency = _Column()
    frailty = _Column()
    never_leaves = _Column()
    day_started = _Column()
    day_hired = _Column()
    day_left = _Column()
    starter_ramp_until = _Column()
    stress = _Column()
    days_above_threshold = _Column()
    is_burnt_out = _Column()
    day_sick_started = _Column()
    day_sick_until = _Column()
    is_long_spell = _Column()
    is_reported_long_term_sick = _Column()
    day_return_period_until = _Column()
    day_supervision_due = _Column()
    supervised_today = _Column()
    supervision_hours_today = _Column()
    caseload = _Column()
    weighted_caseload = _Column()
    backlog_hours = _Column()
    hours_available = _Column()
    overtime_allowed = _Column()
    hours_worked = _Column()
    overtime_hours = _Column()
    demand_hours = _Column()
    contact_hours = _Column()
    duty_hours = _Column()
    paid_hours = _Column()
    incidents_today = _Column()
    total_hours_worked = _Column()
    total_overtime_hours = _Column()
    total_contact_hours = _Column()
    total_sick_days = _Column()
    n_short_spells = _Column()
    n_long_spells = _Column()
    total_burnout_days = _Column()
    days_in_post = _Column()
    n_visits = _Column()
    n_cases_closed = _Column()

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
        self.index = model.staff.add()
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
        self.left_reason = ""
        self.starter_ramp_until = (
            model.day + model.config.work.starter_ramp_days if is_starter else model.day
        )
        # Every other column starts at the staff table's default (no sickness, no stress, zero
        # totals); supervision falls due at a random day within the first interval.
        self.day_supervision_due = model.day + int(
            model.streams["workforce_build"].integers(0, self.supervision_interval() + 1)
        )

    @property
    def priority_style(self) -> str:
        """``contact_first`` or ``recording_first`` (the order the work phase spends hours in)."""
        return self._priority_style

    @priority_style.setter
    def priority_style(self, style: str) -> None:
        self._priority_style = style
        self.model.staff.is_recording_first[self.index] = style == "recording_first"

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
        code = self.model.staff.status_codes(np.array([self.index]), day)[0]
        return STAFF_STATUS_NAMES[int(code)]


class Manager(mesa.Agent):
    """A team manager: allocates referrals, holds supervision, oversees every case of the team.

    Under ``manager.mode = "under_load"`` it also has hours, stress and burnout of its own and
    reviews every allocated case (``sim/engine/manager.py``).
    """

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
        # The manager under load (``manager.mode = "under_load"``, sim/engine/manager.py).
        self.stress = model.config.manager.initial_stress
        self.days_above_threshold = 0
        self.is_burnt_out = False
        self.total_burnout_days = 0
        self.productivity = 1.0
        self.hours_available = 0.0
        self.demand_hours = 0.0
        self.overtime_allowed = 0.0
        self.hours_worked = 0.0
        self.overtime_hours = 0.0
        self.total_hours_worked = 0.0
        self.total_overtime_hours = 0.0
        self.reviews_today = 0
        self.reviews = 0
        self.reviews_overdue = 0
        self.escalations = 0


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
    """A handle on one referral of the case book (and, once allocated, a case).

    It holds the referral's ``case_id`` and reads the case book by it (``CaseBook.value``), so it
    stays right when the book compacts its rows between days and after the case is archived.
    """

    def __init__(self, model: World, *, case_id: int) -> None:
        super().__init__(model)
        self.case_id = case_id

    def _value(self, name: str) -> float | int:
        return self.model.cases.value(name, self.case_id)

    @property
    def case_type(self) -> str:
        """Kind of case (assessment, child in need, ...)."""
        return CASE_TYPES[int(self._value("type_code"))]

    @property
    def status(self) -> str:
        """waiting, allocated, ready_to_close, closed or screened_out."""
        return STATUS_NAMES[int(self._value("status"))]

    @property
    def worker(self) -> SocialWorker | None:
        """The allocated social worker, if any."""
        index = int(self._value("worker"))
        return self.model.workers[index] if index >= 0 else None

    @property
    def risk(self) -> float:
        """Latent risk in (0, 1); only observed at visits."""
        return float(1.0 / (1.0 + np.exp(-self._value("risk_logit"))))
