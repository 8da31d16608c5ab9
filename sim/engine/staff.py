"""The staff table: the state of every social worker ever hired in numpy columns, one row each.

As the case book does for referrals, the staff table keeps each worker attribute in one column
indexed by ``SocialWorker.index`` (hiring order; rows are never reused, so a departed worker's row
keeps its history for the output tables). The phases read and write whole columns over the
workers in post (:attr:`Staff.in_post`) instead of visiting one Python object per worker; the
``SocialWorker`` Mesa agent is a handle on its row (``sim/engine/agents.py``), for dashboards,
tests and users who want one worker at a time.

Day stamps follow the case book's convention: ``-1`` (:data:`NEVER`) means "not yet"; a worker is
sick on days in ``[day_sick_started, day_sick_until)`` and returning (phased return or duty)
on days in ``[day_sick_until, day_return_period_until)``.
"""

from __future__ import annotations

import numpy as np

from sim.scenario.schema import WORKING_DAYS_PER_YEAR

NEVER = -1

#: Status codes of :meth:`Staff.status_codes`, named by :data:`STATUS_NAMES`.
LEFT, SICK, RETURNING, BURNT_OUT, AGENCY, WORKING = range(6)
STATUS_NAMES = ("left", "sick", "returning", "burnt_out", "agency", "working")

#: Every column: (dtype, value of a new row).
#: The columns the in-post index (:attr:`Staff.in_post`) is computed from.
IN_POST_KEYS = frozenset({"day_left", "team"})

COLUMNS: dict[str, tuple[type, float]] = {
    # Employment
    "team": (np.int64, 0),
    "post": (np.int64, -1),
    "fte": (np.float64, 1.0),
    "experience_days": (np.float64, 0.0),
    "is_agency": (np.bool_, False),
    "frailty": (np.float64, 1.0),
    "is_recording_first": (np.bool_, False),
    "never_leaves": (np.bool_, False),
    "day_started": (np.int64, 0),
    "day_hired": (np.int64, 0),
    "day_left": (np.int64, NEVER),
    "starter_ramp_until": (np.int64, 0),
    # Wellbeing
    "stress": (np.float64, 0.0),
    "days_above_threshold": (np.int64, 0),
    "is_burnt_out": (np.bool_, False),
    # Sickness
    "day_sick_started": (np.int64, NEVER),
    "day_sick_until": (np.int64, NEVER),
    "is_long_spell": (np.bool_, False),
    "is_reported_long_term_sick": (np.bool_, False),
    "day_return_period_until": (np.int64, NEVER),
    # Supervision
    "day_supervision_due": (np.int64, 0),
    "supervised_today": (np.bool_, False),
    "supervision_hours_today": (np.float64, 0.0),
    # Today's figures (set by the work phase)
    "caseload": (np.int64, 0),
    "weighted_caseload": (np.float64, 0.0),
    "backlog_hours": (np.float64, 0.0),
    "hours_available": (np.float64, 0.0),
    "overtime_allowed": (np.float64, 0.0),
    "hours_worked": (np.float64, 0.0),
    "overtime_hours": (np.float64, 0.0),
    "demand_hours": (np.float64, 0.0),
    "contact_hours": (np.float64, 0.0),
    "duty_hours": (np.float64, 0.0),
    "paid_hours": (np.float64, 0.0),
    "incidents_today": (np.int64, 0),
    # Running totals
    "total_hours_worked": (np.float64, 0.0),
    "total_overtime_hours": (np.float64, 0.0),
    "total_contact_hours": (np.float64, 0.0),
    "total_sick_days": (np.int64, 0),
    "n_short_spells": (np.int64, 0),
    "n_long_spells": (np.int64, 0),
    "total_burnout_days": (np.int64, 0),
    "days_in_post": (np.int64, 0),
    "n_visits": (np.int64, 0),
    "n_cases_closed": (np.int64, 0),
}


class Staff:
    """Column store of social workers with amortised growth; ``n`` rows are in use."""

    def __init__(self, capacity: int = 64) -> None:
        self.n = 0
        self._capacity = max(16, int(capacity))
        for name, (dtype, fill) in COLUMNS.items():
            setattr(self, name, np.full(self._capacity, fill, dtype=dtype))
        self._in_post: np.ndarray | None = None

    # Column attributes are created dynamically above; declare them for readers and type checkers.
    team: np.ndarray
    post: np.ndarray
    fte: np.ndarray
    experience_days: np.ndarray
    is_agency: np.ndarray
    frailty: np.ndarray
    is_recording_first: np.ndarray
    never_leaves: np.ndarray
    day_started: np.ndarray
    day_hired: np.ndarray
    day_left: np.ndarray
    starter_ramp_until: np.ndarray
    stress: np.ndarray
    days_above_threshold: np.ndarray
    is_burnt_out: np.ndarray
    day_sick_started: np.ndarray
    day_sick_until: np.ndarray
    is_long_spell: np.ndarray
    is_reported_long_term_sick: np.ndarray
    day_return_period_until: np.ndarray
    day_supervision_due: np.ndarray
    supervised_today: np.ndarray
    supervision_hours_today: np.ndarray
    caseload: np.ndarray
    weighted_caseload: np.ndarray
    backlog_hours: np.ndarray
    hours_available: np.ndarray
    overtime_allowed: np.ndarray
    hours_worked: np.ndarray
    overtime_hours: np.ndarray
    demand_hours: np.ndarray
    contact_hours: np.ndarray
    duty_hours: np.ndarray
    paid_hours: np.ndarray
    incidents_today: np.ndarray
    total_hours_worked: np.ndarray
    total_overtime_hours: np.ndarray
    total_contact_hours: np.ndarray
    total_sick_days: np.ndarray
    n_short_spells: np.ndarray
    n_long_spells: np.ndarray
    total_burnout_days: np.ndarray
    days_in_post: np.ndarray
    n_visits: np.ndarray
    n_cases_closed: np.ndarray

    def add(self) -> int:
        """Reserve one new row (initialised to the defaults) and return its index."""
        if self.n == self._capacity:
            self._capacity *= 2
            for name, (dtype, fill) in COLUMNS.items():
                column = np.full(self._capacity, fill, dtype=dtype)
                column[: self.n] = getattr(self, name)[: self.n]
                setattr(self, name, column)
        self.n += 1
        self._in_post = None
        return self.n - 1

    def changed(self) -> None:
        """Forget the in-post index: a column of :data:`IN_POST_KEYS` was written.

        A ``SocialWorker`` handle calls it whenever one of those attributes is set, so a hire or
        a departure cannot leave the index stale; code writing those columns directly calls it.
        """
        self._in_post = None

    def leave(self, rows: np.ndarray | int, day: int) -> None:
        """Workers ``rows`` left their posts on ``day``."""
        self.day_left[rows] = day
        self._in_post = None

    @property
    def in_post(self) -> np.ndarray:
        """Rows of the workers in post, team by team, in hiring order within a team.

        Kept until a column of :data:`IN_POST_KEYS` changes (:meth:`changed`); callers must not
        write it.
        """
        if self._in_post is None:
            rows = np.flatnonzero(self.day_left[: self.n] < 0)
            self._in_post = rows[np.argsort(self.team[rows], kind="stable")]
            self._in_post.flags.writeable = False
        return self._in_post

    def view(self, name: str) -> np.ndarray:
        """The used part of one column (a view: writes go through)."""
        return getattr(self, name)[: self.n]

    # Vectorised predicates over rows ``at`` (an index array) ---------------------------------
    def is_sick(self, at: np.ndarray, day: int) -> np.ndarray:
        """Off sick on ``day``."""
        return (self.day_sick_started[at] <= day) & (day < self.day_sick_until[at])

    def is_returning(self, at: np.ndarray, day: int) -> np.ndarray:
        """Within the return period after a long sickness spell."""
        return (self.day_sick_until[at] <= day) & (day < self.day_return_period_until[at])

    def is_nqsw(self, at: np.ndarray, day: int) -> np.ndarray:
        """In the first (ASYE) year after qualifying (experience at hiring plus days since)."""
        experience_now = self.experience_days[at] + (day - self.day_hired[at])
        return experience_now < WORKING_DAYS_PER_YEAR

    def status_codes(self, at: np.ndarray, day: int) -> np.ndarray:
        """One status code per row (:data:`STATUS_NAMES`), the first that applies in that order."""
        codes = np.where(self.is_agency[at], AGENCY, WORKING)
        codes[self.is_burnt_out[at]] = BURNT_OUT
        codes[self.is_returning(at, day)] = RETURNING
        codes[self.is_sick(at, day)] = SICK
        codes[self.day_left[at] >= 0] = LEFT
        return codes

    def end_day(self, day: int) -> None:
        """Count ``day`` into the service and sickness totals of every worker in post."""
        who = self.in_post
        self.days_in_post[who] += 1
        self.total_sick_days[who] += self.is_sick(who, day)
