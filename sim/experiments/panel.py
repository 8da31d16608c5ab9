"""The panel view of one harm event: the child, its worker and its manager, day by day, twice.

A serious case review (a child safeguarding practice review) asks what the people around a child
were carrying in the weeks before the harm, not only what the child's case file says. This
module answers that for one simulated harm event (a serious incident drawn by the risk phase,
``sim/engine/phases/risk.py``): :func:`trace_event` replays the replication that produced it and
reads, after every day of the window, the child's risk, visits and record, its worker's caseload,
recording backlog, stress, sickness and duty, and its manager's span and supervision;
:func:`panel_html` draws that timeline for the run as it was and for the same child under a safe
staffing configuration, on one day axis, as one self-contained page (inline SVG, no script, no
network) that prints on A4. Method and columns: docs/review.md, "The panel view of one event".

Why a replay rather than a record kept during the run: the run keeps no per-child daily history
(it would cost every run memory for the rare event someone asks about), and the engine is exactly
reproducible from ``(config, seed)`` plus the lever changes on their days. The replay only *reads*
the model between steps and makes no random draw of its own, so it is the same run.

Why "the same child" is the same referral under safe staffing: the safe run is replayed as
``caseload review`` replays it, with day 0 built as the scenario builds it and then brought up to
the safe establishment (``CaseloadModel(safe, seed, day0=config)``,
``sim/engine/establishment.py``), and a child's risk path and incident draws are keyed by (child,
day), so child ``c`` is the same referral with the same luck in both runs by construction.
:func:`same_referral` still checks it, and the page says so if it ever fails.
"""

from __future__ import annotations

import html
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.engine.cases import (
    ALLOCATED,
    CLOSED,
    READY,
    SCREENED_OUT,
    WAITING,
    record_is_stale,
    visit_overdue,
)
from sim.engine.cases import STATUS_NAMES as CASE_STATUS_NAMES
from sim.engine.establishment import compatibility_problems
from sim.engine.manager import is_under_load
from sim.engine.model import CaseloadModel
from sim.scenario.schema import CASE_TYPES, Scenario

#: Safe caseload benchmark, cases per FTE: the upper end of "the national average number of cases
#: seen to be manageable and safe ... 16/18". The health check's ``DEFAULT_BENCHMARK``
#: (``sim/healthcheck/standards.py``, a layer above this one; a test keeps the two equal).
CASELOAD_BENCHMARK_PER_FTE = 18.0

#: Working days either side of the event searched for an incident of the child in the safe run.
NEARBY_DAYS = 10

#: A lever change part-way through the run: from ``day`` on, the run has ``config``.
Change = tuple[int, Scenario]

#: The child's status on a day: the case-book statuses, and two for "no live case".
NOT_REFERRED = "not yet referred"

#: The trace's columns: name -> what it is and where the model holds it (docs/review.md).
TRACE_COLUMNS: dict[str, str] = {
    "day": "working day (the step's model.day)",
    "case": "the child's case id that day (-1: none)",
    "status": "waiting, allocated, ready_to_close, closed, screened_out or not yet referred",
    "case_type": "the case's type (CASE_TYPES)",
    "risk": "latent risk logistic(risk_logit) at the end of the day (NaN: no case)",
    "observed_risk": "risk as the service last saw it (observed_risk)",
    "visit": "a statutory visit was made that day (day_last_visit == day)",
    "days_overdue": "working days the next visit is overdue (0: not overdue)",
    "record_stale": "the case record is out of date (record_is_stale)",
    "incidents": "serious incidents of the child that day (n_incidents rose)",
    "worker": "the allocated worker's staff row (-1: none)",
    "worker_name": "the worker's name",
    "worker_caseload": "the worker's open cases (Staff.caseload)",
    "worker_fte": "the worker's FTE",
    "worker_cases_per_fte": "open cases per FTE, against CASELOAD_BENCHMARK_PER_FTE",
    "worker_backlog_hours": "recording backlog on the worker's cases (Staff.backlog_hours)",
    "worker_stress": "the worker's stress / exhaustion score in [0, 1]",
    "worker_burnt_out": "the worker is burnt out",
    "worker_sick": "the worker is off sick that day",
    "worker_returning": 'in the return period after long sickness: the return policy, else ""',
    "worker_duty_hours": "the worker's duty hours that day",
    "worker_duty_all_day": "returning under duty_every_day: no hours for the worker's own cases",
    "worker_agency": "the worker is agency staff",
    "worker_nqsw": "the worker is newly qualified (first, ASYE year)",
    "worker_supervision_overdue": "the worker's supervision session is due or past due",
    "team": "the child's team, whose manager the next columns read (0: not yet referred)",
    "manager_cases_per_fte": "the team's open cases per manager FTE (oversight ratio x optimum)",
    "span_optimum": "supervision.span_optimum_cases",
    "supervision_overdue": "workers of the team whose supervision is due or past due",
    "manager_stress": "the manager's stress (NaN unless manager.mode = under_load)",
}


@dataclass(frozen=True)
class EventTrace:
    """One child's window of days in one replication, as :func:`trace_event` read it.

    ``table`` has one row per day of the window (ascending) and the columns of
    :data:`TRACE_COLUMNS`; ``day`` is the event's day and ``arrival`` the child's first referral
    as (day it arrived, its team), or None if it had not been referred by the window's end.
    """

    name: str
    seed: int
    child: int
    day: int
    table: pd.DataFrame
    arrival: tuple[int, int] | None
    benchmark: float = CASELOAD_BENCHMARK_PER_FTE
    burnout_threshold: float = 0.53
    under_load: bool = False

    def at(self, day: int) -> pd.Series | None:
        """The row of ``day``, or None outside the window."""
        rows = self.table[self.table["day"] == day]
        return None if rows.empty else rows.iloc[0]

    def incident_days(self) -> list[int]:
        """Days of the window on which the child had a serious incident."""
        return self.table.loc[self.table["incidents"] > 0, "day"].astype(int).tolist()


def _child_rows(model: CaseloadModel, child: int) -> np.ndarray:
    """Rows of the working columns holding ``child``'s cases (one live at most)."""
    cases = model.cases
    return np.flatnonzero(cases.child[: cases.n] == child)


def _observe(model: CaseloadModel, child: int, known: dict[int, int]) -> dict[str, object]:
    """The day just simulated, for ``child``: its trace row, but for the manager's columns.

    The row describes the child's live case; between referrals (closed, screened out, not yet
    referred) only the status, since a closed case's risk no longer moves. ``known`` maps each
    of the child's case ids seen so far to its incident count when last seen (updated here);
    archived cases are read through ``CaseBook.value``, so compaction between days loses
    nothing.
    """
    cases, cfg, day = model.cases, model.config, model.day - 1
    rows = _child_rows(model, child)
    for row in rows.tolist():
        known.setdefault(int(cases.case_id[row]), 0)
    new_incidents = 0
    for case_id, before in known.items():
        now = int(cases.value("n_incidents", case_id))
        new_incidents += now - before
        known[case_id] = now
    live = [r for r in rows.tolist() if cases.status[r] not in (CLOSED, SCREENED_OUT)]
    row = live[0] if live else None
    status = NOT_REFERRED if child >= model.n_children else CASE_STATUS_NAMES[CLOSED]
    if row is None and known:  # between referrals: how its latest case ended
        latest = max(known)
        status = CASE_STATUS_NAMES[int(cases.value("status", latest))]
    nan = math.nan
    out: dict[str, object] = {
        "day": day,
        "case": -1,
        "status": status,
        "case_type": "",
        "risk": nan,
        "observed_risk": nan,
        "visit": False,
        "days_overdue": 0,
        "record_stale": False,
        "incidents": new_incidents,
    }
    if row is not None:
        at = np.array([row])
        due = int(cases.day_visit_due[row])
        overdue = bool(visit_overdue(cases, day, at)[0])
        out.update(
            case=int(cases.case_id[row]),
            status=CASE_STATUS_NAMES[int(cases.status[row])],
            case_type=CASE_TYPES[int(cases.type_code[row])],
            risk=float(cases.risk_of(at)[0]),
            observed_risk=float(cases.observed_risk[row]),
            visit=int(cases.day_last_visit[row]) == day,
            days_overdue=day - due + 1 if overdue else 0,
            record_stale=bool(
                record_is_stale(cases, day, cfg.work.record_out_of_date_after_days, at)[0]
            ),
        )
    worker = -1
    if row is not None and cases.status[row] in (ALLOCATED, READY):
        worker = int(cases.worker[row])
    out.update(_worker_columns(model, worker, day))
    return out


def _worker_columns(model: CaseloadModel, worker: int, day: int) -> dict[str, object]:
    """The worker's columns of a trace row (empty values when the child has no worker)."""
    nan = math.nan
    if worker < 0:
        return {
            "worker": -1, "worker_name": "", "worker_caseload": 0, "worker_fte": nan,
            "worker_cases_per_fte": nan, "worker_backlog_hours": nan, "worker_stress": nan,
            "worker_burnt_out": False, "worker_sick": False, "worker_returning": "",
            "worker_duty_hours": nan, "worker_duty_all_day": False, "worker_agency": False,
            "worker_nqsw": False, "worker_supervision_overdue": False,
        }  # fmt: skip
    staff, cfg = model.staff, model.config
    at = np.array([worker])
    fte = float(staff.fte[worker])
    caseload = int(staff.caseload[worker])
    returning = bool(staff.is_returning(at, day)[0])
    policy = cfg.sickness.return_policy if returning else ""
    sup_due = cfg.supervision.enabled and int(staff.day_supervision_due[worker]) <= day
    return {
        "worker": worker,
        "worker_name": model.workers[worker].name,
        "worker_caseload": caseload,
        "worker_fte": fte,
        "worker_cases_per_fte": caseload / fte if fte else nan,
        "worker_backlog_hours": float(staff.backlog_hours[worker]),
        "worker_stress": float(staff.stress[worker]),
        "worker_burnt_out": bool(staff.is_burnt_out[worker]),
        "worker_sick": bool(staff.is_sick(at, day)[0]),
        "worker_returning": policy,
        "worker_duty_hours": float(staff.duty_hours[worker]),
        "worker_duty_all_day": policy == "duty_every_day",
        "worker_agency": bool(staff.is_agency[worker]),
        "worker_nqsw": bool(staff.is_nqsw(at, day)[0]),
        "worker_supervision_overdue": bool(sup_due),
    }


def _managers_today(model: CaseloadModel) -> dict[str, list[float]]:
    """Every team's manager columns for the day just simulated, one value per team.

    The span is the oversight ratio the supervision phase computed that day times the optimum
    (open cases per manager FTE); supervision due counts the team's workers in post whose
    session is due or past due. The child's team is known only once it is referred, so every
    team's are kept and the child's picked at the end.
    """
    cfg, staff, day = model.config, model.staff, model.day - 1
    teams = cfg.team.n_teams
    optimum = cfg.supervision.span_optimum_cases
    ratio = [0.0] * teams
    stress = [math.nan] * teams
    under_load = is_under_load(model)
    for manager in model.managers:
        ratio[manager.team] = float(manager.oversight_ratio) * optimum
        if under_load:
            stress[manager.team] = float(manager.stress)
    overdue = np.zeros(teams, dtype=np.int64)
    if cfg.supervision.enabled:
        who = staff.in_post
        due = who[staff.day_supervision_due[who] <= day]
        overdue = np.bincount(staff.team[due], minlength=teams)
    return {
        "manager_cases_per_fte": ratio,
        "span_optimum": [float(optimum)] * teams,
        "supervision_overdue": overdue.tolist(),
        "manager_stress": stress,
    }


def _team_of(model: CaseloadModel, child: int) -> int:
    """The child's team (a re-referral keeps it), or 0 if it has not been referred."""
    if child >= model.n_children:
        return 0
    cases = model.cases
    return int(cases.full("team")[np.flatnonzero(cases.full("child") == child)[0]])


def _arrival(model: CaseloadModel, child: int) -> tuple[int, int] | None:
    """The child's first referral: (day it arrived, its team), or None.

    Read from the full case book (archived referrals included), so it is the same however the
    run's closures went. A day-0 case's arrival day is its drawn one, before day 0: two runs
    whose day-0 caseloads differ give their day-0 children different ones. Not the case type:
    a case's type is its current one (the front door and a step-up change it in place), which
    staffing may change.
    """
    if child >= model.n_children:
        return None
    cases = model.cases
    first = int(np.flatnonzero(cases.full("child") == child)[0])  # case-id order: the first
    return int(cases.full("day_arrived")[first]), int(cases.full("team")[first])


def trace_event(
    config: Scenario,
    seed: int,
    child: int,
    day: int,
    window_days: int = 60,
    changes: Sequence[Change] | None = None,
    *,
    after_days: int = 0,
    day0: Scenario | None = None,
) -> EventTrace:
    """Replay ``(config, seed)`` to ``day`` and read ``child``'s window of days.

    The model is built and stepped exactly as ``run(config, seed)`` does (``changes`` applied
    with ``CaseloadModel.change_config`` before their days are simulated, as the dashboard
    applies a lever change), and read, never changed, after each day from
    ``day - window_days`` to ``day + after_days`` (within the run). No random number is drawn
    here, so the days read are the run's own. With ``day0`` the model is built as
    ``CaseloadModel(config, seed, day0=day0)``: day 0 as ``day0`` builds it, brought up to
    ``config``'s establishment (the review's safe run, ``sim/engine/establishment.py``).

    Args:
        config: The scenario as it started (validated).
        seed: The replication's seed.
        child: The child (``CaseBook.child``), not a case id: a re-referral is the same child.
        day: The event's working day.
        window_days: Days before ``day`` to read.
        changes: ``(day, config)`` lever changes (taken in day order).
        after_days: Days after ``day`` to read too (the safe run is searched on both sides).
        day0: The configuration whose day 0 the run starts from (default: ``config``'s own).

    Raises:
        ValueError: If ``day`` is outside the run, a change is before day 1, or ``config``
            cannot share ``day0``'s children (``compatibility_problems``).
    """
    last = config.simulation.days - 1
    if not 0 <= day <= last:
        raise ValueError(f"day {day} is outside the run (0 to {last})")
    pending = sorted(changes or (), key=lambda change: change[0])
    if any(change_day < 1 for change_day, _ in pending):
        raise ValueError("a lever change applies from day 1 at the earliest")
    start = max(0, day - window_days)
    end = min(last, day + max(0, after_days))
    model = CaseloadModel(config, seed, day0=day0)
    known: dict[int, int] = {}
    rows: list[dict[str, object]] = []
    managers: list[dict[str, list[float]]] = []
    while model.day <= end:
        while pending and pending[0][0] <= model.day:
            model.change_config(pending.pop(0)[1])
        model.step()
        if model.day - 1 >= start - 1:  # the day before the window: the incident counts so far
            row = _observe(model, child, known)
            if row["day"] >= start:
                rows.append(row)
                managers.append(_managers_today(model))
    team = _team_of(model, child)
    for row, today in zip(rows, managers, strict=True):
        row["team"] = team
        row.update({name: values[team] for name, values in today.items()})
    table = pd.DataFrame(rows, columns=list(TRACE_COLUMNS))
    return EventTrace(
        name=config.name,
        seed=int(seed),
        child=int(child),
        day=int(day),
        table=table,
        arrival=_arrival(model, child),
        burnout_threshold=config.wellbeing.burnout_threshold,
        under_load=config.manager.mode == "under_load",
    )


def same_referral(base: EventTrace, safe: EventTrace) -> bool:
    """Whether child ``c`` of the safe run is the base run's child: same first arrival, same team.

    True by construction when the safe run is built from the base run's day 0
    (:func:`panel_html`); a check, not a hope: a safe run built from its own day 0 (a different
    day-0 caseload) renumbers the children, and its child ``c`` is then another referral (the
    page says so rather than compare two children).
    """
    return base.arrival is not None and base.arrival == safe.arrival


def _setting_changes(before: object, after: object) -> dict[tuple[str, ...], object]:
    """The leaves (dotted paths as tuples) of a scenario dump that ``after`` changes."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: dict[tuple[str, ...], object] = {}
        for key in set(before) | set(after):
            for path, value in _setting_changes(before.get(key), after.get(key)).items():
                found[(key, *path)] = value
        return found
    return {} if before == after else {(): after}


def safe_lever_changes(
    config: Scenario, safe_config: Scenario, changes: Sequence[Change] | None
) -> list[Change]:
    """The lever changes of the run as it was, as the safe run takes them: same days, same levers.

    Each change's settings that differ from ``config`` (the run's start) are set in
    ``safe_config`` too; the rest of ``safe_config`` (its establishment) stays. So a practice
    lever (the cap, recording time, supervision, the return policy, agency cover) moved part-way
    moves in both runs on the same day, and the two runs still differ only in what the safe
    configuration changes; a change of demand, which both runs must share for their children to
    be the same (``compatibility_problems``), is taken by both. Build settings (posts, support
    staff) cannot change part-way (``CaseloadModel.change_config``).

    Raises:
        ValueError: If a changed safe configuration is not valid.
    """
    start = config.model_dump()
    out: list[Change] = []
    for day, changed in changes or ():
        data = safe_config.model_dump()
        for path, value in _setting_changes(start, changed.model_dump()).items():
            if path[0] in ("name", "description"):
                continue
            holder = data
            for key in path[:-1]:
                holder = holder[key]
            holder[path[-1]] = value
        out.append((day, Scenario.model_validate(data)))
    return out


# --- the page ---------------------------------------------------------------------------------

#: The two runs' line styles: colour *and* dash pattern *and* a word, never colour alone.
RUN_STYLES = (
    ("As run", "#1a4f8a", ""),
    ("Safe staffing", "#b5470b", "7 4"),
)

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem;
       color: #1b1b1b; line-height: 1.4; }
h1 { font-size: 1.45rem; margin-bottom: 0.3rem; }
h2 { font-size: 1.15rem; margin-top: 1.4rem; border-bottom: 1px solid #ccc; }
p.lead { font-size: 1.05em; margin: 0.3rem 0; }
.note { color: #555; font-size: 0.9em; }
.warn { color: #8a4b00; font-weight: 600; }
ul.conditions { margin: 0.3rem 0; padding-left: 1.3rem; }
table { border-collapse: collapse; margin: 0.6rem 0; font-size: 0.9em; width: 100%; }
th, td { border: 1px solid #d0d0d0; padding: 0.2rem 0.45rem; text-align: right; }
th { background: #f2f2f2; } td.text, th.text { text-align: left; }
svg.chart { width: 100%; height: auto; display: block; margin: 0.2rem 0 0.6rem; }
.legend { display: flex; flex-wrap: wrap; gap: 0.3rem 1.4rem; font-size: 0.95em; }
.legend svg { vertical-align: middle; margin-right: 0.3rem; }
@page { size: A4; margin: 12mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 9pt; line-height: 1.3; }
  h1 { font-size: 14pt; } h2 { font-size: 11pt; margin-top: 0.8rem; break-after: avoid; }
  table { font-size: 8pt; } th, td { padding: 1px 3px; }
  figure, svg.chart, tr { break-inside: avoid; }
}
"""

#: The SVG's drawing size (user units); it scales to the page's width (and A4's on paper).
_W, _LEFT, _RIGHT = 680, 178, 14


def _x(day: float, first: int, last: int) -> float:
    span = max(1, last - first)
    return _LEFT + (day - first) / span * (_W - _LEFT - _RIGHT)


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _axis(first: int, last: int, top: float, bottom: float, event: int) -> list[str]:
    """Day ticks, the event day's line (labelled) and the days after the event shaded."""
    parts = []
    if event < last:
        x0, x1 = _x(event, first, last), _x(last, first, last)
        parts.append(
            f'<rect x="{_fmt(x0)}" y="{_fmt(top)}" width="{_fmt(x1 - x0)}" '
            f'height="{_fmt(bottom - top)}" fill="#f1f1f1"/>'
        )
    step = 10 if last - first > 30 else 5
    for tick in range(first - first % step + step if first % step else first, last + 1, step):
        x = _fmt(_x(tick, first, last))
        parts.append(f'<line x1="{x}" x2="{x}" y1="{_fmt(top)}" y2="{_fmt(bottom)}" '
                     'stroke="#e4e4e4"/>')  # fmt: skip
        parts.append(
            f'<text x="{x}" y="{_fmt(bottom + 13)}" font-size="11" text-anchor="middle">'
            f"{tick}</text>"
        )
    x = _fmt(_x(event, first, last))
    parts.append(
        f'<line x1="{x}" x2="{x}" y1="{_fmt(top - 2)}" y2="{_fmt(bottom)}" stroke="#b00020" '
        'stroke-width="1.6" stroke-dasharray="3 2"/>'
    )
    return parts


def line_svg(
    title: str,
    runs: Sequence[tuple[str, np.ndarray, np.ndarray]],
    first: int,
    last: int,
    event: int,
    *,
    y_max: float | None = None,
    reference: tuple[float, str] | None = None,
    unit: str = "",
) -> str:
    """One chart: each run's daily values on the shared day axis, the event day marked.

    ``runs`` are (label, days, values); NaN breaks a line (no case, no worker). A run is told
    apart by its dash pattern as well as its colour (:data:`RUN_STYLES`).
    """
    height, top, bottom = 118, 22, 96
    finite = [v for _, _, values in runs for v in np.asarray(values, float) if math.isfinite(v)]
    high = y_max if y_max is not None else max([1.0, *finite]) * 1.1
    if reference is not None and y_max is None:
        high = max(high, reference[0] * 1.15)

    def y(value: float) -> float:
        return bottom - (value / high) * (bottom - top) if high else bottom

    parts = [
        f'<svg class="chart" viewBox="0 0 {_W} {height}" role="img" '
        f'aria-label="{html.escape(title)}"><title>{html.escape(title)}</title>',
        f'<text x="0" y="14" font-size="13" font-weight="600">{html.escape(title)}</text>',
    ]
    parts += _axis(first, last, top, bottom, event)
    for value in (0.0, high / 2, high):
        label = f"{value:.2f}" if high <= 2 else f"{value:.0f}"
        parts.append(
            f'<text x="{_LEFT - 6}" y="{_fmt(y(value) + 4)}" font-size="11" '
            f'text-anchor="end">{label}{html.escape(unit)}</text>'
        )
    parts.append(f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{bottom}" y2="{bottom}" '
                 'stroke="#888"/>')  # fmt: skip
    if reference is not None:
        value, label = reference
        yy = _fmt(y(value))
        parts.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{yy}" y2="{yy}" stroke="#555" '
            'stroke-dasharray="2 3"/>'
            f'<text x="{_LEFT + 4}" y="{_fmt(y(value) - 3)}" font-size="11" fill="#333">'
            f"{html.escape(label)}</text>"
        )
    for i, (label, days, values) in enumerate(runs):
        _, colour, dash = RUN_STYLES[i % len(RUN_STYLES)]
        segments: list[list[str]] = [[]]
        for d, v in zip(np.asarray(days).tolist(), np.asarray(values, float).tolist(), strict=True):
            if math.isfinite(v):
                segments[-1].append(f"{_fmt(_x(d, first, last))},{_fmt(y(min(v, high)))}")
            elif segments[-1]:
                segments.append([])
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        for points in segments:
            if len(points) == 1:
                cx, cy = points[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.2" fill="{colour}"/>')
            elif points:
                parts.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2"{dash_attr}><title>{html.escape(label)}</title></polyline>'
                )
    parts.append("</svg>")
    return "".join(parts)


#: The lanes of the event strips: (column, label, how a day is marked). A day is marked when the
#: column is true (or, for incidents, above 0); the mark is a letter, not only a colour.
LANES: tuple[tuple[str, str, str], ...] = (
    ("incidents", "serious incident", "▲"),
    ("visit", "visit made", "V"),
    ("overdue", "visit overdue", "o"),
    ("record_stale", "record out of date", "r"),
    ("waiting", "waiting for a worker", "w"),
    ("worker_sick", "worker off sick", "S"),
    ("worker_returning", "back from sickness", "R"),
    ("worker_duty_all_day", "on duty all day", "D"),
    ("worker_burnt_out", "worker burnt out", "B"),
    ("worker_agency", "agency worker", "A"),
    ("worker_nqsw", "newly qualified worker", "N"),
    ("worker_supervision_overdue", "supervision due", "s"),
    ("worker_changed", "change of worker", "C"),
    ("no_case", "no open case", "–"),
)


def lane_values(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each lane's daily true/false (or count) from a trace's table."""
    worker = table["worker"].to_numpy()
    changed = np.zeros(len(worker), dtype=bool)
    held = worker >= 0
    changed[1:] = held[1:] & held[:-1] & (worker[1:] != worker[:-1])
    values = {name: table[name].to_numpy() for name, _, _ in LANES if name in table}
    values["overdue"] = table["days_overdue"].to_numpy() > 0
    values["waiting"] = (table["status"] == CASE_STATUS_NAMES[WAITING]).to_numpy()
    values["worker_returning"] = (table["worker_returning"] != "").to_numpy()
    values["worker_changed"] = changed
    values["no_case"] = (table["case"] < 0).to_numpy()
    return values


def strip_svg(title: str, trace: EventTrace, first: int, last: int, run: int) -> str:
    """The run's event strip: one lane per condition, a letter on each day it held."""
    lanes = lane_values(trace.table)
    used = [lane for lane in LANES if np.any(lanes[lane[0]].astype(bool))]
    row_h, top = 15, 22
    height = top + row_h * max(1, len(used)) + 20
    bottom = top + row_h * max(1, len(used))
    _, colour, _ = RUN_STYLES[run % len(RUN_STYLES)]
    parts = [
        f'<svg class="chart strip" viewBox="0 0 {_W} {height}" role="img" '
        f'aria-label="{html.escape(title)}"><title>{html.escape(title)}</title>',
        f'<text x="0" y="14" font-size="13" font-weight="600">{html.escape(title)}</text>',
    ]
    parts += _axis(first, last, top, bottom, trace.day)
    days = trace.table["day"].to_numpy()
    if not used:
        parts.append(f'<text x="{_LEFT + 4}" y="{top + 12}" font-size="11">nothing to mark</text>')
    for i, (name, label, mark) in enumerate(used):
        yy = top + row_h * i + 11
        parts.append(
            f'<text x="{_LEFT - 6}" y="{yy}" font-size="11" text-anchor="end">'
            f"{html.escape(label)} ({html.escape(mark)})</text>"
        )
        for d, on in zip(days.tolist(), lanes[name].astype(bool).tolist(), strict=True):
            if on:
                fill = "#b00020" if name == "incidents" else colour
                parts.append(
                    f'<text x="{_fmt(_x(d, first, last))}" y="{yy}" font-size="10" '
                    f'text-anchor="middle" fill="{fill}">{html.escape(mark)}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)


def _legend(runs: int) -> str:
    items = []
    for label, colour, dash in RUN_STYLES[:runs]:
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        items.append(
            f'<span><svg width="34" height="10" aria-hidden="true"><line x1="0" x2="34" y1="5" '
            f'y2="5" stroke="{colour}" stroke-width="2.5"{dash_attr}/></svg>{label}</span>'
        )
    items.append(
        '<span><svg width="34" height="10" aria-hidden="true"><line x1="17" x2="17" y1="0" '
        'y2="10" stroke="#b00020" stroke-width="2" stroke-dasharray="3 2"/></svg>'
        "the event day</span>"
    )
    items.append(
        '<span><svg width="20" height="10" aria-hidden="true"><rect width="20" height="10" '
        'fill="#f1f1f1" stroke="#ccc"/></svg>days after the event</span>'
    )
    return f'<div class="legend">{"".join(items)}</div>'


def conditions(row: pd.Series | None, benchmark: float = CASELOAD_BENCHMARK_PER_FTE) -> list[str]:
    """The conditions present on a day, in plain words (empty when none of them held)."""
    if row is None:
        return []
    found = []
    status = row["status"]
    if status == NOT_REFERRED:
        return ["the child had not been referred yet"]
    if status in ("closed", "screened_out"):
        found.append(f"the child's case was {status.replace('_', ' ')}")
    if status == CASE_STATUS_NAMES[WAITING]:
        found.append("the case was waiting for a worker (unallocated)")
    if row["days_overdue"] > 0:
        found.append(f"the statutory visit was {int(row['days_overdue'])} working days overdue")
    if row["record_stale"]:
        found.append("the case record was out of date")
    if row["worker"] >= 0:
        per_fte = row["worker_cases_per_fte"]
        if per_fte > benchmark:
            found.append(f"the worker held {per_fte:.1f} cases per FTE (benchmark {benchmark:g})")
        if row["worker_sick"]:
            found.append("the worker was off sick")
        if row["worker_returning"]:
            way = "on duty every day" if row["worker_duty_all_day"] else row["worker_returning"]
            found.append(f"the worker was back from long sickness ({way.replace('_', ' ')})")
        if row["worker_burnt_out"]:
            found.append(f"the worker was burnt out (stress {row['worker_stress']:.2f})")
        if row["worker_agency"]:
            found.append("the worker was agency staff")
        if row["worker_nqsw"]:
            found.append("the worker was newly qualified")
        if row["worker_supervision_overdue"]:
            found.append("the worker's supervision was due and not yet held")
    if row["manager_cases_per_fte"] > row["span_optimum"]:
        found.append(
            f"the manager oversaw {row['manager_cases_per_fte']:.0f} cases per manager FTE "
            f"(optimum {int(row['span_optimum'])})"
        )
    if row["supervision_overdue"] > 0:
        found.append(f"{int(row['supervision_overdue'])} of the team's supervisions were due")
    if math.isfinite(row["manager_stress"]) and row["manager_stress"] >= 0.5:
        found.append(f"the manager's stress was {row['manager_stress']:.2f}")
    return found


#: The event day's table: (label, column, format).
DAY_TABLE: tuple[tuple[str, str, str], ...] = (
    ("status", "status", "text"),
    ("latent risk", "risk", "{:.2f}"),
    ("risk as last seen", "observed_risk", "{:.2f}"),
    ("visit overdue (working days)", "days_overdue", "{:d}"),
    ("record out of date", "record_stale", "yes/no"),
    ("worker", "worker_name", "text"),
    ("worker's open cases per FTE", "worker_cases_per_fte", "{:.1f}"),
    ("worker's recording backlog (hours)", "worker_backlog_hours", "{:.1f}"),
    ("worker's stress", "worker_stress", "{:.2f}"),
    ("worker off sick", "worker_sick", "yes/no"),
    ("worker back from sickness", "worker_returning", "text"),
    ("team's cases per manager FTE", "manager_cases_per_fte", "{:.0f}"),
    ("supervisions due in the team", "supervision_overdue", "{:d}"),
    ("manager's stress", "manager_stress", "{:.2f}"),
)


def _cell(row: pd.Series | None, column: str, form: str) -> str:
    if row is None:
        return "—"
    value = row[column]
    if form == "text":
        return html.escape(str(value).replace("_", " ")) or "—"
    if form == "yes/no":
        return "yes" if bool(value) else "no"
    if isinstance(value, float) and not math.isfinite(value):
        return "—"
    return form.format(int(value) if form == "{:d}" else float(value))


def panel_html(
    config: Scenario,
    safe_config: Scenario,
    seed: int,
    child: int,
    day: int,
    window_days: int = 60,
    changes: Sequence[Change] | None = None,
    title: str | None = None,
    *,
    event_run: str = "base",
) -> str:
    """The panel view of the child's event on ``day``: a self-contained A4 HTML page.

    The run as it was is replayed with :func:`trace_event` from ``config`` (taking ``changes``);
    the safe run from the same day 0 (``day0=config``) brought up to ``safe_config``'s
    establishment, as ``caseload review`` replays it, taking the same lever changes on the same
    days (:func:`safe_lever_changes`); both over the same days, from ``window_days`` before the
    event to :data:`NEARBY_DAYS` after it, drawn on one day axis. ``event_run`` says whose event
    it is: ``"base"`` (the run as it was) or ``"safe"`` (an event of the safe run). The header
    says whether the child has an incident within ±NEARBY_DAYS working days in the other run and
    which conditions were present on the day.

    Raises:
        ValueError: If ``safe_config`` cannot share ``config``'s children (the review's rule,
            ``compatibility_problems``: same run length, seed, day-0 caseload per FTE, demand,
            case types, teams and named workers, no fewer posts), or ``event_run`` is unknown.
    """
    if event_run not in ("base", "safe"):
        raise ValueError(f"event_run must be 'base' or 'safe' (got {event_run!r})")
    problems = compatibility_problems(config, safe_config)
    if problems:
        raise ValueError(
            "the safe configuration cannot share the scenario's children: " + "; ".join(problems)
        )
    base = trace_event(config, seed, child, day, window_days, changes, after_days=NEARBY_DAYS)
    safe = trace_event(
        safe_config,
        seed,
        child,
        day,
        window_days,
        safe_lever_changes(config, safe_config, changes),
        after_days=NEARBY_DAYS,
        day0=config,
    )
    return render_panel(base, safe, title=title, safe_name=safe_config.name, event_run=event_run)


def render_panel(
    base: EventTrace,
    safe: EventTrace,
    title: str | None = None,
    safe_name: str = "",
    *,
    event_run: str = "base",
) -> str:
    """The page of two traces of the same child and event (see :func:`panel_html`)."""
    day, child = base.day, base.child
    first = int(min(base.table["day"].min(), safe.table["day"].min()))
    last = int(max(base.table["day"].max(), safe.table["day"].max()))
    in_safe = event_run == "safe"
    own, other = (safe, base) if in_safe else (base, safe)
    run_word = "under safe staffing" if in_safe else "as run"
    title = title or (
        f"Child {child}: serious incident on working day {day}"
        + (" (under safe staffing)" if in_safe else "")
    )
    comparable = same_referral(base, safe)
    near = [d for d in other.incident_days() if abs(d - day) <= NEARBY_DAYS]
    lead = []
    if day not in own.incident_days():
        lead.append(
            f'<p class="warn">The run {run_word}, as replayed, has no incident for this child on '
            "this day: check the seed, the configuration and the lever changes.</p>"
        )
    if base.arrival is not None:
        arrived, team = base.arrival
        when = f"on day {arrived}" if arrived >= 0 else "before day 0 (a starting case)"
        lead.append(
            f'<p class="lead">Child {child}, first referred {when}, team {team}; '
            f"seed {base.seed}; scenario {html.escape(base.name)}.</p>"
        )
    other_words = "in the run as it was" if in_safe else "under safe staffing"
    if not comparable:
        lead.append(
            '<p class="warn">Under the safe configuration child '
            f"{child} is not the same referral (arrival "
            f"{safe.arrival if safe.arrival else 'none'} against {base.arrival}): the two runs "
            "did not start from the same day 0, which renumbers the children. The safe lines "
            "below are another child's.</p>"
        )
        lead.append(
            f'<p class="lead">Under safe staffing child {child} (another referral) has '
            f"{'a serious incident' if near else 'no serious incident'} within ±{NEARBY_DAYS} "
            "working days: no answer for this child.</p>"
        )
    elif near:
        lead.append(
            f'<p class="lead"><b>{other_words.capitalize()} this child also has a serious '
            f"incident</b> within ±{NEARBY_DAYS} working days "
            f"(day {', '.join(map(str, near))}).</p>"
        )
    else:
        lead.append(
            f'<p class="lead"><b>{other_words.capitalize()} this child has no serious '
            f"incident</b> within ±{NEARBY_DAYS} working days of day {day} "
            f"(days {max(0, day - NEARBY_DAYS)}–{day + NEARBY_DAYS}).</p>"
        )
    found = conditions(own.at(day), own.benchmark)
    if found:
        items = "".join(f"<li>{html.escape(text)}</li>" for text in found)
        lead.append(f'<p>Present on the day ({run_word}):</p><ul class="conditions">{items}</ul>')
    else:
        lead.append("<p>None of the panel's warning conditions held on the day.</p>")
    if safe_name:
        lead.append(
            f'<p class="note">Safe configuration: {html.escape(safe_name)}, from the same day 0 '
            "with the safe establishment added (as caseload review replays it).</p>"
        )

    both = [(base, 0), (safe, 1)]

    def runs(column: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
        return [
            (RUN_STYLES[i][0], t.table["day"].to_numpy(), t.table[column].to_numpy(float))
            for t, i in both
        ]

    axis = (first, last, day)
    child_charts = [
        line_svg("Child's latent risk (0–1)", runs("risk"), *axis, y_max=1.0),
        line_svg("Risk as the service last saw it (observed, 0–1)", runs("observed_risk"), *axis,
                 y_max=1.0),
        line_svg("Visit overdue (working days)", runs("days_overdue"), *axis),
        strip_svg("What happened to the child, as run", base, first, last, 0),
        strip_svg("What happened to the same child under safe staffing", safe, first, last, 1),
    ]  # fmt: skip
    worker_charts = [
        line_svg("Worker's open cases per FTE", runs("worker_cases_per_fte"), *axis,
                 reference=(base.benchmark, f"benchmark {base.benchmark:g}")),
        line_svg("Worker's recording backlog (hours)", runs("worker_backlog_hours"), *axis),
        line_svg("Worker's stress (0–1)", runs("worker_stress"), *axis, y_max=1.0,
                 reference=(base.burnout_threshold, f"burnout {base.burnout_threshold:g}")),
    ]  # fmt: skip
    optimum = float(base.table["span_optimum"].iloc[0]) if len(base.table) else 0.0
    manager_charts = [
        line_svg("Team's open cases per manager FTE", runs("manager_cases_per_fte"), *axis,
                 reference=(optimum, f"optimum {optimum:g}")),
        line_svg("Supervision sessions due in the team (workers)", runs("supervision_overdue"),
                 *axis),
    ]  # fmt: skip
    if base.under_load or safe.under_load:
        manager_charts.append(
            line_svg("Manager's stress (0–1)", runs("manager_stress"), *axis, y_max=1.0)
        )
    rows = [(base.at(day), safe.at(day))]
    header = "<tr><th class='text'>on the event day</th><th>as run</th><th>safe staffing</th></tr>"
    body = "".join(
        f"<tr><td class='text'>{html.escape(label)}</td>"
        + "".join(f"<td>{_cell(row, column, form)}</td>" for row in rows[0])
        + "</tr>"
        for label, column, form in DAY_TABLE
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{''.join(lead)}"
        f"{_legend(2)}"
        f'<p class="note">Working days {first}–{last}; the red dashed line is day {day}. '
        "Each line is read from the model at the end of each day (docs/review.md, the panel "
        "view of one event).</p>"
        f'<section class="child"><h2>The child</h2>{"".join(child_charts)}</section>'
        f'<section class="worker"><h2>The child\'s worker</h2>'
        '<p class="note">Whoever held the case that day; a gap is a day with no worker.</p>'
        f"{''.join(worker_charts)}</section>"
        f'<section class="manager"><h2>The manager</h2>{"".join(manager_charts)}</section>'
        f'<section class="day"><h2>The event day, side by side</h2>'
        f"<table>{header}{body}</table></section>"
        "</body></html>\n"
    )


def write_panel(
    path: str | os.PathLike[str],
    config: Scenario,
    safe_config: Scenario,
    seed: int,
    child: int,
    day: int,
    window_days: int = 60,
    changes: Sequence[Change] | None = None,
    title: str | None = None,
    *,
    event_run: str = "base",
) -> Path:
    """Write :func:`panel_html` (same arguments) to ``path`` atomically; return the path.

    Written to a temporary file in the same folder and moved into place with ``os.replace``,
    so a reader never sees half a page.
    """
    target = Path(path)
    page = panel_html(
        config, safe_config, seed, child, day, window_days, changes, title, event_run=event_run
    )
    handle, temporary = tempfile.mkstemp(prefix=".panel-", suffix=".html", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(page)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
