"""The dashboard's engine side: scenario picker, lever controls and the model SolaraViz steps.

Nothing here imports Solara, so it is tested without a browser. ``dashboards/app.py`` draws it.

* :func:`scenario_choices` (from ``sim/scenario/catalogue.py``) lists the scenario files under
  ``scenarios/`` (and only those), with their description, teaching notes and whether they are
  small enough to run live.
* :data:`LEVERS` are the registered parameters (``sim/scenario/levers.py``) marked for the
  dashboard; everything a control needs (kind, bounds, default, choices, label, unit, slider
  range, help text) comes from that registry and the schema behind it.
* :class:`DashboardModel` is the Mesa model SolaraViz creates, steps and resets: the scenario's
  :class:`~sim.engine.model.CaseloadModel` and, in compare mode, a twin with one lever changed,
  built from the same seed so that both see the same referrals, sickness and leaving draws wherever
  the lever does not change them (common random numbers).
"""

from __future__ import annotations

import json
import math
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np

from sim.dashboard.band import ReplicationBand
from sim.dashboard.loops import LEFT_DAYS
from sim.engine.cases import ALLOCATED, CLOSED, READY, WAITING, record_is_stale, visit_overdue
from sim.engine.model import CaseloadModel
from sim.engine.posts import NOBODY
from sim.engine.tally import daily_cost
from sim.experiments.panel import panel_html
from sim.experiments.review import safe_config

# The picker and the value format live in the scenario layer, where the command line and the
# experiments reach them too; ``X as X`` re-exports them for dashboards/app.py and its tests.
from sim.scenario.catalogue import (
    DEFAULT_SCENARIO,
    MAX_LIVE_POSTS,
    resolve_scenario_path,
    scenario_choices,
)
from sim.scenario.catalogue import GROUPS as GROUPS
from sim.scenario.catalogue import SCENARIO_ROOT as SCENARIO_ROOT
from sim.scenario.catalogue import ScenarioChoice as ScenarioChoice
from sim.scenario.levers import REGISTRY, Parameter, format_value
from sim.scenario.loading import ScenarioError, load_scenario, with_overrides
from sim.scenario.schema import Scenario

# --- levers, from the registry ---------------------------------------------------------------

#: A dashboard control is a registered parameter (``sim/scenario/levers.py``): kind, bounds,
#: default, choices and help text come from the schema, label, unit and slider range from the
#: registry.
Lever = Parameter

#: The controls the dashboard offers, in the registry's order: what the scenarios under
#: ``scenarios/levers`` and the teaching scenarios change. Adding one is marking a registry
#: entry ``on_dashboard``.
LEVERS: tuple[Lever, ...] = tuple(p for p in REGISTRY if p.on_dashboard)
LEVERS_BY_PATH: dict[str, Lever] = {lever.path: lever for lever in LEVERS}


# --- widget values, checked on the server ---------------------------------------------------
# A browser sends whatever its websocket carries, not only what a widget can produce: a slider
# may report ``"abc"``, ``null`` or ``1e400``, a picker ``../../etc/passwd``. Every value a
# widget reports passes one of these functions before it reaches the settings; a bad one is
# refused with a sentence for the page and the run is left as it was.


class NotApplied(ValueError):
    """A widget value the server refuses; ``str()`` is the sentence the page shows."""


def _shown_raw(raw: Any) -> str:
    """A received value as the page shows it: ``null``, ``'abc'``, ``[7]``, cut short."""
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int) and abs(raw) >= 10**30:
        return f"a number of about {int(raw.bit_length() * 0.30103):,} digits"
    try:
        text = repr(raw)
    except ValueError:  # a container holding an integer too long to print
        text = type(raw).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _refuse(name: str, what: str, raw: Any) -> NotApplied:
    return NotApplied(f"Not applied: {name}: {what} (got {_shown_raw(raw)})")


def _checked_number(raw: Any, kind: str, bounds: tuple[Any, Any, bool, bool], name: str) -> Any:
    """``raw`` as an int or float within ``bounds`` (from the schema), else :class:`NotApplied`."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise _refuse(name, "must be a number", raw)
    if isinstance(raw, float) and not math.isfinite(raw):
        raise _refuse(name, "must be a finite number", raw)
    if kind == "int":
        if isinstance(raw, float) and not raw.is_integer():
            raise _refuse(name, "must be a whole number", raw)
        value: Any = int(raw)
    else:
        value = float(raw)
    low, high, low_open, high_open = bounds
    if low is not None and (value <= low if low_open else value < low):
        raise _refuse(name, f"must be {'>' if low_open else '≥'} {low:g}", raw)
    if high is not None and (value >= high if high_open else value > high):
        raise _refuse(name, f"must be {'<' if high_open else '≤'} {high:g}", raw)
    return value


def apply_widget_value(lever_path: str, raw: Any) -> Any:
    """The value a lever's control reported, as the schema type, checked against its bounds.

    The bounds are the schema's (read through :data:`LEVERS_BY_PATH`), not the slider's: a
    scenario may already set more than a slider's usual range.

    Raises:
        NotApplied: With a sentence naming the control, e.g. ``Not applied: Cap per FTE
            (allocation): must be a number (got 'abc')``.
    """
    lever = LEVERS_BY_PATH.get(lever_path) if isinstance(lever_path, str) else None
    if lever is None:
        raise _refuse("Lever", "not a dashboard lever", lever_path)
    if lever.kind == "choice":
        allowed = {str(choice): choice for choice in lever.choices}
        if isinstance(raw, str) and raw in allowed:
            return allowed[raw]
        raise _refuse(lever.label, "must be one of " + ", ".join(allowed), raw)
    if lever.kind == "bool":
        if isinstance(raw, bool):
            return raw
        raise _refuse(lever.label, "must be on or off", raw)
    return _checked_number(raw, lever.kind, lever.bounds, lever.label)


#: Levers that only matter when another lever has a value: (lever, needs, the values it needs).
_NEEDS: tuple[tuple[str, str, tuple[Any, ...]], ...] = (
    ("allocation.cap_per_fte", "allocation.cap_kind", ("count", "weighted")),
    ("allocation.at_cap", "allocation.cap_kind", ("count", "weighted")),
)


def not_in_use(lever: Lever, config: Scenario) -> str:
    """Why ``lever`` has no effect in ``config`` (its control is then disabled), or ``""``.

    The cap and what happens at it do nothing while the caseload cap is "none".
    """
    for path, needed, values in _NEEDS:
        if lever.path == path:
            other = LEVERS_BY_PATH[needed]
            if other.value_in(config) not in values:
                return (
                    f"Not in use: {other.label} is {format_value(other.value_in(config))} "
                    f"(set it to {' or '.join(map(str, values))} to use this)"
                )
    return ""


#: The seed's schema field, read like a lever's for its bounds.
SEED = Lever("simulation.seed", "Random seed", "integer", "uncertainty", "build")


def parse_seed(raw: Any) -> int | None:
    """The seed box's text as a seed; empty means the scenario's own seed (None).

    Raises:
        NotApplied: For anything but a whole number within the schema's bounds (``abc``,
            ``1e3``, a 5,000-digit number).
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, str):
        text = raw.strip()
        digits = text.lstrip("+-")
        if not re.fullmatch(r"[+-]?[0-9]+", text):
            raise _refuse("Random seed", "must be a whole number such as 42", raw)
        if len(digits) > 30:
            _, high, _, _ = SEED.bounds
            raise NotApplied(
                f"Not applied: Random seed: must be ≤ {high:,} "
                f"(got a number of {len(digits):,} digits)"
            )
        raw = int(text)
    elif isinstance(raw, float) and raw.is_integer():
        raise _refuse("Random seed", "must be a whole number such as 42", raw)
    return _checked_number(raw, "int", SEED.bounds, "Random seed")


def pick_choice(raw: Any, offered: dict[str, Any], name: str) -> Any:
    """What a select's label ``raw`` stands for among the ``offered`` labels.

    Raises:
        NotApplied: If ``raw`` is not one of the labels (a path typed into the websocket,
            ``null``, a number).
    """
    if isinstance(raw, str) and raw in offered:
        return offered[raw]
    raise _refuse(name, "not one of the choices offered", raw)


def checked_bool(raw: Any, name: str) -> bool:
    """A switch's value, which must be true or false."""
    if isinstance(raw, bool):
        return raw
    raise _refuse(name, "must be on or off", raw)


def checked_incident(raw: Any, model: DashboardModel) -> tuple[int, int, int]:
    """A click on an incident's marker, as the browser reported it: (run, day, child).

    The chart sends JSON text ``{"key": [run, day, child], "at": ms}``; anything else, or an
    incident this session's run did not have, is refused.

    Raises:
        NotApplied: With a sentence for the page.
    """
    name = "Incident marker"
    if not isinstance(raw, str) or len(raw) > 200:
        raise _refuse(name, "not a marker of this run", raw)
    try:
        key = json.loads(raw).get("key")
    except (ValueError, AttributeError):
        raise _refuse(name, "not a marker of this run", raw) from None
    if (
        not isinstance(key, list)
        or len(key) != 3
        or not all(isinstance(k, int) and not isinstance(k, bool) for k in key)
    ):
        raise _refuse(name, "not a marker of this run", raw)
    run, day, child = key
    if not 0 <= run < len(model.runs) or (day, child) not in model.runs[run].incidents:
        raise _refuse(name, "not an incident of this run", raw)
    return run, day, child


def team_index(raw: Any, teams: int) -> int:
    """The team slider's value (1 to ``teams``) as a team index from 0."""
    return _checked_number(raw, "int", (1, teams, False, False), "Team") - 1


#: The run controls' sliders: (label, lowest, highest, default). Days per Step is how many
#: working days one Step or one play tick simulates before the page is drawn again; the play
#: interval is how often Play starts a tick (a slower tick, one that takes longer to simulate
#: and draw, simply follows the last).
DAYS_PER_TICK = ("Days per Step", 1, 100, 1)
PLAY_INTERVAL_MS = ("Play: a tick every (ms)", 20, 1000, 60)


def days_per_tick(raw: Any) -> int:
    """The days-per-Step slider's value, a whole number within :data:`DAYS_PER_TICK`."""
    name, low, high, _ = DAYS_PER_TICK
    return _checked_number(raw, "int", (low, high, False, False), name)


def play_interval_ms(raw: Any) -> int:
    """The play-interval slider's value in milliseconds, within :data:`PLAY_INTERVAL_MS`."""
    name, low, high, _ = PLAY_INTERVAL_MS
    return _checked_number(raw, "int", (low, high, False, False), name)


# --- settings and the model SolaraViz steps -------------------------------------------------


@dataclass(frozen=True)
class DashboardSettings:
    """Everything one browser session has chosen: scenario, seed, levers and comparison.

    Immutable, so a session's state is replaced, never shared and changed under another.
    """

    scenario: str = DEFAULT_SCENARIO
    seed: int | None = None  # None: the scenario's own seed
    levers: tuple[tuple[str, Any], ...] = ()  # lever path -> value, in the order set
    compare_lever: str | None = None
    compare_value: Any = None

    def with_lever(self, path: str, value: Any) -> DashboardSettings:
        """These settings with one lever set (replacing an earlier value)."""
        others = tuple((p, v) for p, v in self.levers if p != path)
        return DashboardSettings(
            self.scenario, self.seed, (*others, (path, value)), self.compare_lever,
            self.compare_value,
        )  # fmt: skip

    def lever_overrides(self) -> list[str]:
        """The levers set in this session as ``--set`` lines."""
        return [LEVERS_BY_PATH[path].setting(value) for path, value in self.levers]

    def lever_values(self) -> dict[str, Any]:
        """The levers set in this session: path -> value."""
        return dict(self.levers)


def restarts_run(lever: Lever) -> bool:
    """Whether a change to ``lever`` restarts the run instead of applying from the next day.

    The build reads it (the team's posts, admin and assistants), so it cannot change part-way
    through a run.
    """
    return lever.phase == "build"


@dataclass(frozen=True)
class LeverChange:
    """Levers changed part-way through a run: from ``day`` on the run has ``settings``."""

    day: int
    settings: DashboardSettings
    label: str  # what the charts' marker says, e.g. "Caseload cap → count"


def build_configs(settings: DashboardSettings) -> tuple[Scenario, Scenario | None]:
    """The scenario with the session's levers, and its compare-mode twin (or None).

    Raises:
        ValueError: If the scenario file is outside ``scenarios/`` or too large to run live.
        ScenarioError: If the levers make an invalid scenario (one line per problem).
    """
    path = resolve_scenario_path(settings.scenario, SCENARIO_ROOT)
    config = load_scenario(path, seed=settings.seed, root=SCENARIO_ROOT)
    posts = config.team.n_teams * config.team.social_worker_posts
    if posts > MAX_LIVE_POSTS:
        raise ValueError(
            f"{settings.scenario}: {posts:,} posts is too large to run live "
            f"(limit {MAX_LIVE_POSTS:,}); use `caseload run`"
        )
    unknown = [p for p, _ in settings.levers if p not in LEVERS_BY_PATH]
    if settings.compare_lever is not None and settings.compare_lever not in LEVERS_BY_PATH:
        unknown.append(settings.compare_lever)
    if unknown:
        raise ScenarioError([f"dashboard: {p}: not a dashboard lever" for p in unknown])
    if settings.levers:
        config = with_overrides(config, settings=settings.lever_overrides())
    if config.team.n_teams * config.team.social_worker_posts > MAX_LIVE_POSTS:
        raise ScenarioError([f"dashboard: more than {MAX_LIVE_POSTS:,} posts cannot run live"])
    twin = None
    if settings.compare_lever is not None:
        lever = LEVERS_BY_PATH[settings.compare_lever]
        twin = with_overrides(config, settings=[lever.setting(settings.compare_value)])
    return config, twin


#: The charts: (daily column, title, cumulative?) for the risk and the workforce panels.
RISK_SERIES: tuple[tuple[str, str, bool], ...] = (
    ("overdue_visits", "Statutory visits overdue", False),
    ("records_out_of_date", "Case records out of date", False),
    ("waiting", "Unallocated cases (waiting)", False),
    ("serious_incidents", "Serious incidents (running total)", True),
)
WORKFORCE_SERIES: tuple[tuple[str, str, bool], ...] = (
    ("burnt_out", "Workers burnt out", False),
    ("sick", "Workers off sick", False),
    ("leavers", "Leavers (running total)", True),
    ("vacancies", "Vacant posts (no permanent holder)", False),
)


#: How long a post whose holder left shows them as "left" before it shows as plain "vacant".
LEFT_SHOWN_DAYS = 20

#: The window, in working days (13 weeks), of the "supervision on time" figure in "Today".
SUPERVISION_WINDOW_DAYS = 65

#: Team-view statuses, as :meth:`RunView.team_rows` writes them.
STATUSES = ("working", "agency", "burnt_out", "sick", "returning", "left", "vacant", "cut")


@dataclass
class TeamRow:
    """One post in the team view: who holds it (or last held it) and how they are doing."""

    team: int
    post: int
    name: str
    status: str  # one of STATUSES
    is_agency: bool = False
    fte: float = 0.0
    caseload: int = 0
    overdue_visits: int = 0
    records_out_of_date: int = 0
    backlog_hours: float = 0.0
    stress: float = 0.0
    note: str = ""

    @property
    def holds_cases(self) -> bool:
        """Whether someone holds the post (a left, vacant or cut post has no figures)."""
        return self.status not in ("left", "vacant", "cut")


@dataclass
class ManagerRow:
    """A team's manager in the team view: span of oversight and supervision, from the model."""

    team: int
    open_cases: float  # the team's open cases the manager oversees
    span_per_fte: float  # open cases per manager FTE
    optimum: int  # supervision.span_optimum_cases
    ratio: float  # span over the optimum (Manager.oversight_ratio)
    supervision_enabled: bool
    overdue: int  # workers in post whose supervision session is past its due day
    sessions_missed: int
    hours_for_supervision: float
    #: The manager's own stress, once the model has it (``Manager.stress``); None until then.
    stress: float | None = None


@dataclass
class RunView:
    """One run the dashboard shows: its label, model and the lever setting that defines it.

    Besides the model's daily tally it keeps, from day 0, what the tally only totals after the
    warm-up: the staff cost of each day and the supervision sessions due and held on time.
    """

    label: str
    model: CaseloadModel
    overrides: list[str] = field(default_factory=list)
    daily_cost: list[float] = field(default_factory=list)
    supervision_due: list[int] = field(default_factory=list)
    supervision_on_time: list[int] = field(default_factory=list)
    #: Per day: stress of the social workers in post (mean, 10th and 90th percentile) and their
    #: open cases per FTE (what the cap limits).
    stress: list[tuple[float, float, float]] = field(default_factory=list)
    cases_per_fte: list[float] = field(default_factory=list)
    #: Per day: mean recording backlog (hours) of the social workers in post, and the managers'
    #: mean span of oversight (open cases over the optimum span), for the loop diagram.
    backlog: list[float] = field(default_factory=list)
    span: list[float] = field(default_factory=list)
    #: Every serious incident so far, as it happened: (day, child), the day as the model counts
    #: it (0 is the first day simulated, the charts' day 1). Opens the panel view.
    incidents: list[tuple[int, int]] = field(default_factory=list)

    @property
    def day(self) -> int:
        """Working days simulated so far."""
        return self.model.day

    @property
    def shown_day(self) -> int:
        """The day the team view and "Today" describe: the last day simulated (0 at the start)."""
        return max(self.model.day - 1, 0)

    def step(self) -> None:
        """Simulate one working day and note its staff cost and supervision."""
        model = self.model
        due_before, on_time_before = _supervision_counts(model)
        live = model.cases.live
        ids_before = model.cases.case_id[live]  # copies: the step rewrites the columns
        incidents_before = model.cases.n_incidents[live]
        model.step()
        if model.tally.daily["serious_incidents"][model.day - 1]:
            self.incidents.extend(new_incidents(model, ids_before, incidents_before))
        due_after, on_time_after = _supervision_counts(model)
        self.supervision_due.append(due_after - due_before)
        self.supervision_on_time.append(on_time_after - on_time_before)
        # the staff the tally costed: staffing changes come before the day's tally
        staff = model.workers_in_post()
        self.daily_cost.append(daily_cost(model, staff))
        stress = np.array([w.stress for w in staff], dtype=float)
        if len(stress):
            low, high = np.percentile(stress, [10, 90])
            self.stress.append((float(stress.mean()), float(low), float(high)))
        else:
            self.stress.append((0.0, 0.0, 0.0))
        fte = sum(w.fte for w in staff)
        self.cases_per_fte.append(sum(w.caseload for w in staff) / fte if fte else 0.0)
        self.backlog.append(float(np.mean([w.backlog_hours for w in staff])) if staff else 0.0)
        managers = model.managers
        self.span.append(float(np.mean([m.oversight_ratio for m in managers])) if managers else 0.0)

    def loop_series(self) -> dict[str, np.ndarray]:
        """The loop diagram's quantities, day by day (``sim/dashboard/loops.py``)."""
        leavers = np.cumsum(self.series("leavers"))
        before = np.concatenate([np.zeros(LEFT_DAYS), leavers[:-LEFT_DAYS]])[: len(leavers)]
        return {
            "workload": np.array(self.cases_per_fte),
            "backlog": np.array(self.backlog),
            "stress": np.array([s[0] for s in self.stress]),
            "absence": self.series("sick") + (leavers - before),
            "vacancies": self.series("vacancies"),
            "span": np.array(self.span),
            "supervision": self.supervision_share_by_day(),
        }

    def supervision_share_by_day(self, window: int = SUPERVISION_WINDOW_DAYS) -> np.ndarray:
        """The "Today" supervision figure, day by day (NaN while no session was due).

        Each day's share of the supervision sessions due in the ``window`` days up to it that
        were held on time.
        """
        due = np.cumsum(self.supervision_due, dtype=float)
        held = np.cumsum(self.supervision_on_time, dtype=float)
        due_window = due - np.concatenate([np.zeros(window), due[:-window]])[: len(due)]
        held_window = held - np.concatenate([np.zeros(window), held[:-window]])[: len(held)]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(due_window > 0, held_window / due_window, np.nan)

    def series(self, column: str, cumulative: bool = False) -> np.ndarray:
        """A daily column for the days simulated so far."""
        values = self.model.tally.daily[column][: self.model.day]
        return np.cumsum(values) if cumulative else values

    def latest(self, column: str, cumulative: bool = False) -> float:
        """Today's value of a chart series.

        Before the first day (day 0) there is no tally row yet; the figures that describe the
        team's state (vacant posts, sickness, burnout, waiting and overdue cases) are then read
        from the model itself, so "Today" agrees with the team view; running totals are 0.
        """
        values = self.series(column, cumulative)
        if len(values):
            return float(values[-1])
        return float(self.state_value(column)) if column in STATE_COLUMNS else 0.0

    def state_value(self, column: str) -> int:
        """A chart series' value computed from the model's state as of :attr:`shown_day`.

        After a step this equals the tally's row for that day (tested); at day 0 it is the
        starting state the team view shows.
        """
        model, day = self.model, self.shown_day
        if column == "waiting":
            return int((model.cases.status[: model.cases.n] == WAITING).sum())
        if column == "overdue_visits":
            return int(_overdue(model).sum())
        if column == "records_out_of_date":
            return int(_stale(model).sum())
        staff = model.workers_in_post()
        if column == "sick":
            return sum(1 for w in staff if w.is_sick(day))
        if column == "burnt_out":
            return sum(1 for w in staff if w.is_burnt_out)
        if column == "vacancies":
            posts = model.posts
            holders = posts.holder[posts.is_active]
            permanent = sum(1 for h in holders if h >= 0 and not model.workers[h].is_agency)
            return int(posts.is_active.sum()) - permanent
        raise KeyError(column)

    def staff_cost(self) -> float:
        """Employment cost of every day simulated so far, in pounds (0 at day 0)."""
        return float(sum(self.daily_cost))

    def supervision_on_time_share(self, window: int = SUPERVISION_WINDOW_DAYS) -> float | None:
        """Share of supervision sessions due in the last ``window`` days held on time (or None)."""
        due = sum(self.supervision_due[-window:])
        return sum(self.supervision_on_time[-window:]) / due if due else None

    def team_rows(self, team: int | None = None) -> list[TeamRow]:
        """Each post (of ``team``, or all teams) with its holder's state at the end of today.

        A vacant post whose holder left in the last :data:`LEFT_SHOWN_DAYS` days shows that
        worker with the status ``left``; agency workers show as ``agency``.
        """
        model = self.model
        shown_day = self.shown_day
        posts = model.posts
        cases = model.cases
        n = cases.n
        holder_of_case = cases.worker[:n]
        overdue_by_worker = np.bincount(
            holder_of_case[_overdue(model) & (holder_of_case >= 0)], minlength=len(model.workers)
        )
        stale_by_worker = np.bincount(
            holder_of_case[_stale(model) & (holder_of_case >= 0)], minlength=len(model.workers)
        )
        # a worker's caseload and backlog are set by each day's work; before the first day,
        # read them from the case book (a teaching scenario's starting cases and backlog)
        status = cases.status[:n]
        held = ((status == ALLOCATED) | (status == READY)) & (holder_of_case >= 0)
        start_cases = np.bincount(holder_of_case[held], minlength=len(model.workers))
        start_backlog = np.bincount(
            holder_of_case[held],
            weights=cases.pending_recording_hours[:n][held],
            minlength=len(model.workers),
        )
        last_leaver: dict[int, Any] = {}
        for worker in model.workers:
            if not worker.is_in_post and worker.post >= 0:
                known = last_leaver.get(worker.post)
                if known is None or worker.day_left >= known.day_left:
                    last_leaver[worker.post] = worker
        rows = []
        for post in range(posts.n):
            post_team = int(posts.team[post])
            if team is not None and post_team != team:
                continue
            holder = int(posts.holder[post])
            if not posts.is_active[post]:
                rows.append(TeamRow(post_team, post, "—", "cut", note="post cut"))
            elif holder == NOBODY:
                due = int(posts.day_agency[post])
                note = f"agency cover expected day {due}" if due > shown_day else "no cover"
                leaver = last_leaver.get(post)
                if leaver is not None and shown_day - leaver.day_left <= LEFT_SHOWN_DAYS:
                    note = f"left day {leaver.day_left} ({leaver.left_reason}); post vacant, {note}"
                    rows.append(
                        TeamRow(post_team, post, leaver.name, "left", leaver.is_agency, note=note)
                    )
                else:
                    rows.append(TeamRow(post_team, post, "—", "vacant", note=note))
            else:
                worker = model.workers[holder]
                status = worker.status(shown_day)
                notes = []
                if worker.is_agency and status != "agency":
                    notes.append("agency")
                if worker.is_nqsw:
                    notes.append("newly qualified")
                rows.append(
                    TeamRow(
                        post_team,
                        post,
                        worker.name,
                        status,
                        is_agency=worker.is_agency,
                        fte=worker.fte,
                        caseload=int(worker.caseload if model.day else start_cases[holder]),
                        overdue_visits=int(overdue_by_worker[holder]),
                        records_out_of_date=int(stale_by_worker[holder]),
                        backlog_hours=float(
                            worker.backlog_hours if model.day else start_backlog[holder]
                        ),
                        stress=float(worker.stress),
                        note=", ".join(notes),
                    )
                )
        return rows

    def manager_row(self, team: int) -> ManagerRow:
        """The manager of ``team`` as the model has them at the end of the last day simulated.

        The span is the manager's ``oversight_ratio`` (what the supervision phase computed
        today); before the first day, from the starting case book. Supervision overdue counts
        the team's workers in post whose next session was due on or before the day shown.
        """
        model = self.model
        config = model.config
        sup = config.supervision
        manager = next(m for m in model.managers if m.team == team)
        fte = config.team.manager_fte
        if model.day:
            ratio = float(manager.oversight_ratio)
        else:
            cases = model.cases
            live = cases.live
            live = live[(cases.status[live] != CLOSED) & (cases.team[live] == team)]
            ratio = len(live) / (sup.span_optimum_cases * fte)
        open_cases = ratio * sup.span_optimum_cases * fte
        staff = model.staff
        who = staff.in_post[staff.team[staff.in_post] == team]
        overdue = 0
        if sup.enabled and model.day:
            overdue = int((staff.day_supervision_due[who] <= self.shown_day).sum())
        stress = getattr(manager, "stress", None)  # manager stress: read once the model has it
        return ManagerRow(
            team=team,
            open_cases=open_cases,
            span_per_fte=open_cases / fte,
            optimum=sup.span_optimum_cases,
            ratio=ratio,
            supervision_enabled=sup.enabled,
            overdue=overdue,
            sessions_missed=int(manager.sessions_missed),
            hours_for_supervision=float(manager.hours_for_supervision),
            stress=None if stress is None else float(stress),
        )

    def recent_leavers(self, count: int = 6) -> list[tuple[str, int, str]]:
        """The latest leavers as (name, day, reason), newest first."""
        log = self.model.tally.leaver_log[-count:]
        return [(self.model.workers[e["worker"]].name, e["day"], e["reason"]) for e in log][::-1]


def new_incidents(
    model: CaseloadModel, ids_before: np.ndarray, incidents_before: np.ndarray
) -> list[tuple[int, int]]:
    """The serious incidents of the day just simulated: (day, child), in case order.

    ``ids_before`` and ``incidents_before`` are the live cases' ids and incident counts before
    the step. A case with an incident today was live in the risk phase: one of those, or a
    referral that arrived today (an id above them). Read from the model after the step without
    changing the engine; called only on a day whose tally counts an incident, so a day without
    one costs two small copies. A case closed and archived today is read through
    ``CaseBook.value``.
    """
    cases, day = model.cases, model.day - 1
    working = cases.case_id[: cases.n]  # ascending: rows are added, and compacted, in id order
    newest = int(ids_before.max()) + 1 if len(ids_before) else 0
    arrived = working[working >= newest]
    ids = np.concatenate([ids_before, arrived])
    before = np.concatenate([incidents_before, np.zeros(len(arrived), dtype=np.int64)])
    at = np.minimum(np.searchsorted(working, ids), max(cases.n - 1, 0))
    found = (cases.n > 0) & (working[at] == ids) if cases.n else np.zeros(len(ids), dtype=bool)
    now = np.where(found, cases.n_incidents[at], 0)
    for i in np.flatnonzero(~found).tolist():
        now[i] = cases.value("n_incidents", int(ids[i]))
    hit = np.flatnonzero(now > before).tolist()
    return [
        (
            day,
            int(cases.child[at[i]]) if found[i] else int(cases.value("child", int(ids[i]))),
        )
        for i in hit
    ]


def run_configs(model: DashboardModel, run: int) -> tuple[Scenario, list[tuple[int, Scenario]]]:
    """Run ``run``'s config on day 0 and its lever changes as (day, config), to replay it.

    The live run took each change with ``CaseloadModel.change_config`` before simulating
    ``change.day``; :func:`sim.experiments.panel.trace_event` applies them the same way.
    """
    start = build_configs(model.start_settings)[run]
    changes = [(change.day, build_configs(change.settings)[run]) for change in model.changes]
    if start is None or any(config is None for _, config in changes):
        raise ValueError(f"run {run} is not in this session")
    return start, changes  # type: ignore[return-value]


@dataclass(frozen=True)
class PanelRequest:
    """An incident's panel view to build: what it needs from the session, read at once.

    Read under the session's lock (:func:`panel_request`, quick), built without it
    (:meth:`html`, a replay of the run and of its safe twin), so Play and Step do not wait.
    """

    label: str  # the run's label (compare mode: A or B)
    start: Scenario
    changes: tuple[tuple[int, Scenario], ...]
    seed: int
    day: int
    child: int
    #: Cases the run's teams held on an average day so far (waiting, open, ready to close):
    #: what sizes the safe establishment, as the review's pilot does (None before day 20).
    live_cases_per_team: float | None = None

    @property
    def title(self) -> str:
        """The page's title: the dashboard's Day and the model's day."""
        return (
            f"Child {self.child}: serious incident on Day {self.day + 1} "
            f"({self.label}; model day {self.day})"
        )

    def html(self) -> str:
        """The panel view beside the review's safe configuration, with the same lever changes.

        The safe run is :func:`sim.experiments.review.safe_config` of the run's start, replayed
        from the run's own day 0 and taking the session's lever changes on their days
        (:func:`sim.experiments.panel.panel_html`).
        """
        return panel_html(
            self.start,
            safe_config(self.start, self.live_cases_per_team),
            self.seed,
            self.child,
            self.day,
            changes=list(self.changes),
            title=self.title,
        )


def panel_request(model: DashboardModel, run: int, day: int, child: int) -> PanelRequest:
    """What the panel view of run ``run``'s incident of ``child`` on ``day`` needs."""
    start, changes = run_configs(model, run)
    view = model.runs[run]
    return PanelRequest(
        view.label, start, tuple(changes), model.seed, day, child, live_cases_so_far(view.model)
    )


#: Days a run must have simulated before its own caseload sizes the safe establishment.
MIN_SIZING_DAYS = 20


def live_cases_so_far(model: CaseloadModel) -> float | None:
    """Cases a team held on an average simulated day so far (waiting, open, ready to close).

    The live run's own measure of what :func:`sim.experiments.review.measured_live_cases`
    measures with a pilot; ``None`` before :data:`MIN_SIZING_DAYS` days.
    """
    days = model.day
    if days < MIN_SIZING_DAYS:
        return None
    daily = model.tally.daily
    live = daily["waiting"][:days] + daily["open"][:days] + daily["ready_to_close"][:days]
    return float(live.mean()) / model.config.team.n_teams


def incident_panel(model: DashboardModel, run: int, day: int, child: int) -> str:
    """The panel view (``sim/experiments/panel.py``) of run ``run``'s incident of ``child``.

    The run is replayed from its seed with the session's lever changes on their days; beside it
    the same child under the review's safe configuration (``caseload review``'s, from the same
    day 0), taking the same lever changes (:func:`sim.experiments.panel.safe_lever_changes`).
    """
    return panel_request(model, run, day, child).html()


#: Chart series :meth:`RunView.state_value` can read from the model's state.
STATE_COLUMNS = frozenset(
    {"waiting", "overdue_visits", "records_out_of_date", "sick", "burnt_out", "vacancies"}
)


def _supervision_counts(model: CaseloadModel) -> tuple[int, int]:
    """Supervision sessions due so far (held or missed) and held on time, all managers."""
    due = sum(m.sessions_held + m.sessions_missed for m in model.managers)
    return due, sum(m.sessions_on_time for m in model.managers)


def _overdue(model: CaseloadModel) -> np.ndarray:
    """Per case row: a statutory visit overdue at the end of the last day simulated."""
    return visit_overdue(model.cases, model.day - 1)


def _stale(model: CaseloadModel) -> np.ndarray:
    """Per case row: record out of date at the end of the last day simulated."""
    after_days = model.config.work.record_out_of_date_after_days
    return record_is_stale(model.cases, model.day - 1, after_days)


def format_pounds(value: float) -> str:
    """Money as the dashboard prints it: ``£1,234,567``."""
    return f"£{value:,.0f}"


def today_figures(runs: list[RunView]) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """What "Today" shows: (group, [(figure, [value per run])]) for risk, workforce and cost."""
    groups = []
    for group, series in (("Risk", RISK_SERIES), ("Workforce", WORKFORCE_SERIES)):
        rows = [
            (title, [f"{run.latest(column, cumulative):g}" for run in runs])
            for column, title, cumulative in series
        ]
        groups.append((group, rows))
    shares = [run.supervision_on_time_share() for run in runs]
    groups[1][1].append(
        (
            "Supervision sessions on time (last 13 weeks)",
            ["—" if share is None else f"{share:.0%}" for share in shares],
        )
    )
    groups.append(("Cost", [("Staff cost to date", [format_pounds(r.staff_cost()) for r in runs])]))
    return groups


_PROBLEM_PREFIX = re.compile(r"^--(seed|set): (?:([\w.]+): )?")
_PYDANTIC_WORDS = (
    ("Input should be greater than or equal to ", "must be ≥ "),
    ("Input should be less than or equal to ", "must be ≤ "),
    ("Input should be greater than ", "must be > "),
    ("Input should be less than ", "must be < "),
    ("Input should be ", "must be "),
)


def readable_problem(problem: str) -> str:
    """A scenario problem as the page shows it: the control's name, not the command-line flag.

    ``--seed: simulation.seed: Input should be greater than or equal to 0 (got -5)`` becomes
    ``Random seed: must be ≥ 0 (got -5)``; ``--set: allocation.cap_per_fte: ...`` names the
    lever (``Cap: cases per full-time worker: must be ≤ 500 (got 900.0)``).
    """
    match = _PROBLEM_PREFIX.match(problem)
    text = problem
    if match:
        flag, path = match.groups()
        rest = problem[match.end() :]
        if flag == "seed":
            name = "Random seed"
        elif path in LEVERS_BY_PATH:
            name = LEVERS_BY_PATH[path].label
        else:
            name = path or "Lever"
        text = f"{name}: {rest}"
    for words, short in _PYDANTIC_WORDS:
        text = text.replace(words, short)
    return text


class DashboardModel(mesa.Model):
    """The model SolaraViz creates, steps and resets: one run, or two in compare mode.

    Args:
        settings: The session's choices, or a Solara reactive holding them (SolaraViz passes its
            fixed model parameters on every reset, so a reset rebuilds from the session's
            current choices).
    """

    def __init__(self, settings: Any = None) -> None:
        settings = getattr(settings, "value", settings)
        self.settings: DashboardSettings = settings or DashboardSettings()
        config, twin = build_configs(self.settings)
        super().__init__(rng=config.simulation.seed)
        #: The settings day 0 was built with, and every lever change since (a marker each).
        self.start_settings = self.settings
        self.changes: list[LeverChange] = []
        #: Held while the model steps or takes a lever change (Step, Play, a change, a snapshot).
        self.lock = threading.RLock()
        self._scenario_config: Scenario | None = None
        #: When the page last stepped this model or changed its levers (``time.monotonic()``):
        #: the band waits for a quiet moment before it computes and draws.
        self.last_tick = 0.0
        self.stopped = False
        self.config = config
        self.days = config.simulation.days
        self.seed = config.simulation.seed
        self.choice = next(
            (c for c in scenario_choices() if c.path == self.settings.scenario), None
        )
        base_label = "As set"
        self.runs: list[RunView] = []
        if twin is not None:
            lever = LEVERS_BY_PATH[self.settings.compare_lever]
            before = format_value(lever.value_in(config))
            after = format_value(lever.value_in(twin))
            base_label = f"A: {lever.label} = {before}"
            self.runs.append(RunView(base_label, CaseloadModel(config, self.seed)))
            self.runs.append(
                RunView(
                    f"B: {lever.label} = {after}",
                    CaseloadModel(twin, self.seed),
                    [lever.setting(self.settings.compare_value)],
                )
            )
        else:
            self.runs.append(RunView(base_label, CaseloadModel(config, self.seed)))
        #: Other seeds' runs of the same settings, stepped in the background (the app's task).
        self.band = ReplicationBand(
            [run.model.config for run in self.runs],
            self.seed,
            CaseloadModel,
        )

    @property
    def day(self) -> int:
        """Working days simulated so far (the same for every run)."""
        return self.runs[0].day

    @property
    def compare(self) -> bool:
        """Whether two runs are stepped side by side."""
        return len(self.runs) > 1

    def step(self) -> None:
        """Simulate one working day in every run; stop at the scenario's last day."""
        if self.stopped or self.day >= self.days:
            self.running = False
            return
        for run in self.runs:
            run.step()
        if self.day >= self.days:
            self.running = False

    def stop(self) -> None:
        """End the run for good, so a play loop still stepping it ends too.

        Mesa's Play runs a thread that steps until the model stops running; it does not end when
        the browser session closes, so without this a closed tab kept its thread, its model and
        its memory for the life of the server.
        """
        self.stopped = True
        self.running = False
        self.band.stop()

    def advance(self, days: int) -> None:
        """Step up to ``days`` days (fewer at the end of the run)."""
        for _ in range(days):
            if not self.running:
                break
            self.step()

    def mid_run_change(self, wanted: DashboardSettings) -> list[Lever] | None:
        """The levers ``wanted`` changes if they can apply to this run from the next day, else None.

        None (the run must restart) before the first day, after the last, or when the scenario,
        seed or comparison changes or a lever the build reads (:func:`restarts_run`) changes.
        """
        now = self.settings
        if self.day == 0 or not self.running:
            return None
        same = (now.scenario, now.seed, now.compare_lever, now.compare_value)
        if same != (wanted.scenario, wanted.seed, wanted.compare_lever, wanted.compare_value):
            return None
        before, after = now.lever_values(), wanted.lever_values()
        base = self.start_config
        changed = [
            LEVERS_BY_PATH[path]
            for path in dict.fromkeys([*before, *after])
            if before.get(path, LEVERS_BY_PATH[path].value_in(base))
            != after.get(path, LEVERS_BY_PATH[path].value_in(base))
        ]
        if any(restarts_run(lever) for lever in changed):
            return None
        return changed

    @property
    def start_config(self) -> Scenario:
        """The scenario's own values (no levers set): what a lever not set has."""
        if self._scenario_config is None:
            plain = DashboardSettings(self.settings.scenario, self.settings.seed)
            self._scenario_config = build_configs(plain)[0]
        return self._scenario_config

    def change_levers(self, wanted: DashboardSettings) -> bool:
        """Apply ``wanted`` from the next day on, if it can apply mid-run; marks the day.

        The new configs are built and validated like a scenario file's (:func:`build_configs`,
        which raises for a value the schema refuses, leaving the run as it was).

        Returns:
            False if the run must restart instead (see :meth:`mid_run_change`).
        """
        with self.lock:
            levers = self.mid_run_change(wanted)
            if levers is None:
                return False
            if not levers:
                self.settings = wanted
                return True
            config, twin = build_configs(wanted)
            configs = [config] if twin is None else [config, twin]
            for run, new in zip(self.runs, configs, strict=True):
                run.model.change_config(new)
            self.band.change(self.day, configs)
            self.config = config
            self.settings = wanted
            label = ", ".join(
                f"{lever.label} → {format_value(lever.value_in(config))}" for lever in levers
            )
            self.changes.append(LeverChange(self.day, wanted, label))
            return True

    @classmethod
    def replay(
        cls,
        start: DashboardSettings,
        changes: tuple[LeverChange, ...] | list[LeverChange],
        day: int,
    ) -> DashboardModel:
        """A model of its own in the state of another (the class view's fork).

        Built from ``start`` and stepped to ``day``, taking ``changes`` on their days: the same
        seed and the same changes on the same days give the same run.
        """
        model = cls(start)
        for change in changes:
            model.advance(change.day - model.day)
            if not model.change_levers(change.settings):
                raise ValueError(f"day {change.day}: the lever change cannot be replayed")
        model.advance(day - model.day)
        return model

    def change_markers(self) -> list[tuple[int, str]]:
        """(day, what changed) for each lever change, for the charts' markers."""
        return [(change.day, change.label) for change in self.changes]

    def changed_since(self) -> dict[str, int]:
        """Each lever set part-way through the run: path -> the day it changed last."""
        days: dict[str, int] = {}
        previous = self.start_settings.lever_values()
        for change in self.changes:
            now = change.settings.lever_values()
            for path in dict.fromkeys([*previous, *now]):
                if previous.get(path) != now.get(path):
                    days[path] = change.day
            previous = now
        return days
