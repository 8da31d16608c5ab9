"""The serious-incident review: each harm event, its counterfactual under safe staffing, and why.

``caseload review`` (``sim/cli/review.py``) asks of every serious incident of a scenario's
replications: would it also have happened had the team been safely staffed? Three steps
(method, rule and limits in docs/review.md):

1. **Context.** The engine's incident log (``sim/engine/incident_log.py``) holds each event with
   the state of its case, worker, manager and team on the day.
2. **Counterfactual replay.** Each replication is run again, same seed, under a safe
   configuration (:func:`safe_config`, or a file). Day 0 is built as the scenario builds it and
   then brought up to the safe establishment (``sim/engine/establishment.py``), so both runs
   have the same children, referred on the same days; every draw of a child's risk, incidents
   and notification is keyed by (child, day), so it is the same in both runs whatever else
   differs. Base and safe events are matched one to one (:func:`match_events`): same child, days
   at most ``window`` working days apart. A base event without a partner is *avoided under safe
   staffing*; a safe event without one is *safe-only*.
3. **Attribution.** The share of base events avoided, overall and among events with each
   condition present (:data:`CONDITIONS`), for all harm events and for notifiable ones, with a
   95% interval over replications (:func:`ratio_interval`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.engine.build import steady_state_stock
from sim.engine.incident_log import CASELOAD_BENCHMARK_PER_FTE
from sim.scenario.schema import Scenario

#: Cases per FTE the safe configuration is sized for: Western Australia's child-protection cap
#: of 15 per FTE (its exceptional maximum is 18, the benchmark the events are judged against),
#: /work/shared/facts.md §3; the DfE national average was 15.2 in 2025. Sizing the average at
#: the cap leaves room under the benchmark for the spread between workers and over time.
SAFE_CASELOAD_PER_FTE = 15.0

#: Share of contracted time a worker is at work (not sick, on leave or in training), used only
#: to size the safe establishment.
AVAILABILITY = 0.9

#: Default matching window, working days either side: one month, the default statutory visit
#: interval. A child's risk path and incident draws are the same in both runs, so an incident
#: the safe run only delays by days or weeks is the same crisis, not one avoided; a month on it
#: is another crisis.
DEFAULT_WINDOW_DAYS = 20

#: Conditions an attribution is broken down by: label -> what it requires of an event's context.
CONDITIONS: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "all events": lambda t: pd.Series(True, index=t.index),
    "worker over the benchmark": lambda t: t["is_worker_over_benchmark"],
    "visit overdue": lambda t: t["is_visit_overdue"],
    "record out of date": lambda t: t["is_record_out_of_date"],
    "manager over span": lambda t: t["is_manager_over_span"],
    "case review overdue": lambda t: t["is_case_review_overdue"],
    "supervision overdue": lambda t: t["is_supervision_overdue"],
    "waiting or unallocated": lambda t: t["is_unallocated"],
    "worker burnt out": lambda t: t["is_worker_burnt_out"],
    "worker off sick": lambda t: t["is_worker_sick"],
    "worker returning from sickness": lambda t: t["is_worker_returning"],
    "worker returning from sickness on duty": lambda t: t["is_worker_on_duty"],
    "agency worker": lambda t: t["is_worker_agency"],
    "newly qualified worker": lambda t: t["is_worker_newly_qualified"],
    "team with vacancies": lambda t: t["team_vacancies"] > 0,
}

#: Scopes of the attribution: label -> which events.
SCOPES: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "harm events": lambda t: pd.Series(True, index=t.index),
    "notifiable serious incidents": lambda t: t["notifiable"],
}

MATCHED, AVOIDED, SAFE_ONLY = "matched", "avoided", "safe_only"
BASE, SAFE = "base", "safe"

#: Summary figures shown for both runs in the report (the safe run must look safe).
RUN_FIGURES: dict[str, str] = {
    "caseload_per_fte_mean": "open cases per FTE in post (mean)",
    "vacancy_rate": "vacancy rate",
    "serious_incidents": "serious incidents per replication (measured window)",
}


# --- the safe configuration -------------------------------------------------------------------


#: Replications of the scenario itself run, on seeds of their own, to measure the cases a team
#: holds before the safe establishment is sized (:func:`measured_live_cases`).
SIZING_REPS = 4
#: Measured days of each sizing replication (after the scenario's warm-up).
SIZING_MEASURED_DAYS = 130
_SIZING_KEY = 0x5AFE


def measured_live_cases(config: Scenario, seed: int, reps: int = SIZING_REPS) -> float:
    """Cases a team holds on an average measured day (waiting, open, ready to close).

    Measured, not derived: :data:`SIZING_REPS` replications of ``config``, each to
    :data:`SIZING_MEASURED_DAYS` days after its warm-up, on seeds drawn from (``seed``, a key of
    its own), so the review's own replications are not reused. Little's law
    on the mean durations (:func:`expected_live_cases`) leaves out re-referrals, the front door
    and work slowed by workload; on the recalibrated baseline it gives 65 cases a team where
    the team holds about 92, which would size "safe" staffing at the scenario's own.
    """
    from sim.engine.run import run  # the engine, only when sizing is asked for

    warmup, teams = config.simulation.warmup_days, config.team.n_teams
    # Half a measured year is enough for a mean over days and replications, at a fraction of
    # the review's cost (benchmarks/review_benchmark.py).
    days = min(config.simulation.days, warmup + SIZING_MEASURED_DAYS)
    data = quiet(config).model_dump()
    data["simulation"]["days"] = days
    quiet_config = Scenario.model_validate(data)
    seeds = np.random.SeedSequence([int(seed), _SIZING_KEY]).generate_state(reps, dtype=np.uint32)
    means = []
    for replication_seed in seeds.tolist():
        daily = run(quiet_config, int(replication_seed)).daily
        measured = daily[daily["day"] >= warmup]
        live = measured["waiting"] + measured["open"] + measured["ready_to_close"]
        means.append(float(live.mean()) / teams)
    return float(np.mean(means))


def expected_live_cases(config: Scenario) -> float:
    """Cases a team holds in steady state (waiting and open), by Little's law.

    Flows f = (I - P^T)^-1 m from the referral mix m and the step-up matrix P, each type held
    for its mean duration: L = r * sum_i f_i * mean duration_i, r the team's referrals a day.
    Front-door screening, re-referrals, work slowed by workload and seasonality are left out: a
    lower bound, used only when no measured figure is given (:func:`measured_live_cases`).
    """
    return float(config.demand.referrals_per_day * steady_state_stock(config).sum())


def safe_config(config: Scenario, live_cases_per_team: float | None = None) -> Scenario:
    """``config`` safely staffed: establishment full, caseloads and span within the benchmarks.

    - **Establishment full**: no vacancies on day 0 (``team.initial_vacancy_share`` 0), a
      leaver's post filled the next working day (``staffing.recruitment`` fixed at 1 day), no
      cuts and no vacancy freeze.
    - **Caseloads within the benchmark**: enough posts per team for the cases a team holds
      (``live_cases_per_team``, measured by :func:`measured_live_cases`; without it the lower
      bound :func:`expected_live_cases`) at :data:`SAFE_CASELOAD_PER_FTE` per FTE at work, never
      fewer posts than ``config`` has.
    - **Manager within the optimum span**: ``team.manager_fte`` raised so the team's cases are
      at most ``supervision.span_optimum_cases`` per manager FTE (in tenths of an FTE).

    Everything else, the children included, stays as it is.
    """
    team = config.team
    mean_fte = 1.0 - team.part_time_share * (1.0 - team.part_time_fte)
    cases = expected_live_cases(config) if live_cases_per_team is None else live_cases_per_team
    posts = math.ceil(cases / (SAFE_CASELOAD_PER_FTE * mean_fte * AVAILABILITY))
    optimum = config.supervision.span_optimum_cases
    manager_fte = max(team.manager_fte, math.ceil(10 * cases / optimum) / 10)
    data = config.model_dump()
    data["name"] = f"{config.name}-safe"
    data["description"] = (
        f"{config.name} safely staffed (caseload review): establishment full, caseloads sized "
        f"at {SAFE_CASELOAD_PER_FTE:g} per FTE (benchmark {CASELOAD_BENCHMARK_PER_FTE:g}), "
        f"manager within {optimum} cases per FTE."
    )
    data["team"]["social_worker_posts"] = max(team.social_worker_posts, posts)
    data["team"]["initial_vacancy_share"] = 0.0
    data["team"]["manager_fte"] = min(20.0, manager_fte)
    data["staffing"]["recruitment"] = {"kind": "fixed", "mean_days": 1.0, "min_days": 1.0}
    data["staffing"]["cuts"] = []
    data["staffing"]["vacancy_freeze_start_day"] = None
    data["staffing"]["vacancy_freeze_end_day"] = None
    return Scenario.model_validate(data)


def safe_changes(config: Scenario, safe: Scenario) -> list[tuple[str, Any, Any]]:
    """The settings ``safe`` changes, as (dotted key, scenario's value, safe value)."""
    changes: list[tuple[str, Any, Any]] = []

    def walk(a: Any, b: Any, prefix: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                walk(a.get(key), b.get(key), f"{prefix}.{key}" if prefix else key)
        elif a != b:
            changes.append((prefix, a, b))

    walk(config.model_dump(mode="json"), safe.model_dump(mode="json"), "")
    return [c for c in changes if c[0] not in ("name", "description")]


# --- one replication, replayed ----------------------------------------------------------------


@dataclass
class ReplayedReplication:
    """One replication run as the scenario and under safe staffing: events and summaries."""

    replication: int
    seed: int
    base: pd.DataFrame
    safe: pd.DataFrame
    base_summary: dict[str, float]
    safe_summary: dict[str, float]


def quiet(config: Scenario) -> Scenario:
    """``config`` without the worker-day record: a recording switch, it changes no event."""
    if not config.simulation.collect_worker_days:
        return config
    data = config.model_dump()
    data["simulation"]["collect_worker_days"] = False
    return Scenario.model_validate(data)


def replay(base: Scenario, safe: Scenario, seed: int, replication: int) -> ReplayedReplication:
    """Run replication ``replication`` (``seed``) as ``base`` and, sharing its children, ``safe``.

    A module-level function so Dask workers can import it by name.
    """
    from sim.engine.run import run_incidents  # in the worker's own process

    base_run, safe_run = quiet(base), quiet(safe)
    base_events, base_summary = run_incidents(base_run, seed)
    safe_events, safe_summary = run_incidents(safe_run, seed, day0=base_run)
    return ReplayedReplication(
        replication, seed, base_events, safe_events, base_summary, safe_summary
    )


# --- matching ---------------------------------------------------------------------------------


def match_events(
    base_child: np.ndarray,
    base_day: np.ndarray,
    safe_child: np.ndarray,
    safe_day: np.ndarray,
    window: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Pair base and safe events of one replication one to one; -1 where unpaired.

    Rule: a pair is the same child with event days at most ``window`` working days apart.
    Same-day pairs are made first (the same keyed incident draw fired in both runs); then, per
    child, the remaining events are paired in time order, each base event with the earliest
    unpaired safe event within the window. Greedy pairing in time order of points on a line
    with a window makes as many pairs as any rule could.

    Returns:
        For each base event the index of its safe partner, and for each safe event that of
        its base partner (-1: none).
    """
    base_partner = np.full(len(base_day), -1, dtype=np.int64)
    safe_partner = np.full(len(safe_day), -1, dtype=np.int64)
    by_child: dict[int, list[int]] = {}
    for j, child in enumerate(np.asarray(safe_child).tolist()):
        by_child.setdefault(child, []).append(j)
    base_by_child: dict[int, list[int]] = {}
    for i, child in enumerate(np.asarray(base_child).tolist()):
        base_by_child.setdefault(child, []).append(i)
    for child, base_events in base_by_child.items():
        safe_events = by_child.get(child)
        if not safe_events:
            continue
        base_events = sorted(base_events, key=lambda i: (base_day[i], i))
        safe_events = sorted(safe_events, key=lambda j: (safe_day[j], j))
        for i in base_events:  # the same draw fired in both runs
            for j in safe_events:
                if safe_partner[j] < 0 and safe_day[j] == base_day[i]:
                    base_partner[i], safe_partner[j] = j, i
                    break
        for i in base_events:
            if base_partner[i] >= 0:
                continue
            for j in safe_events:
                if safe_partner[j] < 0 and abs(int(safe_day[j]) - int(base_day[i])) <= window:
                    base_partner[i], safe_partner[j] = j, i
                    break
    return base_partner, safe_partner


def event_table(
    replays: Sequence[ReplayedReplication], window: int, warmup_days: int
) -> pd.DataFrame:
    """Every event of both runs of every replication, with its match (``incidents.parquet``).

    Columns ``run`` (base/safe), ``replication``, ``event`` (``<run>-<replication>-<n>``, n
    counting the run's events in time order), ``match`` (matched/avoided/safe_only),
    ``partner`` (the partner's event id, or empty), ``measured`` (on or after the warm-up),
    then the incident log's columns (``day``, ``child``, ``case``, ``notifiable``, context).
    """
    frames = []
    for replay_ in replays:
        base, safe = replay_.base, replay_.safe
        base_partner, safe_partner = match_events(
            base["child"].to_numpy(),
            base["day"].to_numpy(),
            safe["child"].to_numpy(),
            safe["day"].to_numpy(),
            window,
        )
        for run, table, partner, other, unmatched in (
            (BASE, base, base_partner, SAFE, AVOIDED),
            (SAFE, safe, safe_partner, BASE, SAFE_ONLY),
        ):
            r = replay_.replication
            ids = [f"{run}-{r}-{k}" for k in range(len(table))]
            head = pd.DataFrame(
                {
                    "run": run,
                    "replication": np.full(len(table), r, dtype=np.int64),
                    "event": ids,
                    "match": np.where(partner >= 0, MATCHED, unmatched),
                    "partner": [f"{other}-{r}-{p}" if p >= 0 else "" for p in partner.tolist()],
                    "measured": table["day"].to_numpy() >= warmup_days,
                }
            )
            frames.append(pd.concat([head, table.reset_index(drop=True)], axis=1))
    if not frames:
        return pd.DataFrame()
    events = pd.concat(frames, ignore_index=True)
    for column in ("run", "match"):
        events[column] = events[column].astype(str)
    return events


# --- attribution ------------------------------------------------------------------------------


def ratio_interval(
    numerators: np.ndarray, denominators: np.ndarray, level: float = 0.95
) -> tuple[float, float, float]:
    """Share sum(a) / sum(n) over replications with a 95% interval (docs/review.md).

    Replications are the independent units, events within one are not. The interval is the
    wider, at each end, of (1) the ratio estimator's t interval: with z_r = a_r - R n_r over k
    replications, SE(R) = sqrt(sum z_r^2 / (k (k - 1))) / mean(n_r), R +- t_{k-1} SE; and (2)
    the Wilson score interval of the pooled counts, right when events are independent and never
    of zero width when the events sit in one replication or all go one way. Clipped to [0, 1].
    NaN where no event has the condition; with one replication only the Wilson interval.
    """
    a = np.asarray(numerators, dtype=float)
    n = np.asarray(denominators, dtype=float)
    k = len(n)
    total = float(n.sum())
    if k == 0 or total <= 0:
        return math.nan, math.nan, math.nan
    share = float(a.sum() / total)
    low, high = wilson_interval(float(a.sum()), total, level)
    if k >= 2:
        t_low, t_high = _t_interval(a, n, level)
        low, high = min(low, t_low), max(high, t_high)
    return share, max(0.0, low), min(1.0, high)


def wilson_interval(successes: float, total: float, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial share ``successes / total``."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return centre - half, centre + half


def _t_interval(a: np.ndarray, n: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The ratio estimator's linearised t interval, unclipped (a net change may be negative)."""
    k = len(n)
    if k < 2 or n.sum() <= 0:
        return math.nan, math.nan
    share = a.sum() / n.sum()
    se = math.sqrt(float(((a - share * n) ** 2).sum()) / (k * (k - 1))) / float(n.mean())
    half = float(stats.t.ppf(0.5 + level / 2, df=k - 1)) * se
    return float(share - half), float(share + half)


def attribution(events: pd.DataFrame, replications: Sequence[int]) -> pd.DataFrame:
    """Share of measured base events avoided under safe staffing, by scope and condition.

    One row per scope (:data:`SCOPES`) and condition (:data:`CONDITIONS`): the events with the
    condition, how many were avoided and matched, the share avoided with its 95% interval
    (:func:`ratio_interval` over ``replications``, each counted even with no events), and the
    replications with such an event. Each scope's first rows also count the safe-only events
    and the net change (base events less safe events, as a share of base events).
    """
    reps = list(replications)
    rows = []
    measured = events[events["measured"]] if len(events) else events
    base = measured[measured["run"] == BASE] if len(measured) else measured
    safe = measured[measured["run"] == SAFE] if len(measured) else measured
    for scope, in_scope in SCOPES.items():
        scoped = base[in_scope(base)] if len(base) else base
        scoped_safe = safe[in_scope(safe)] if len(safe) else safe
        for condition, has in CONDITIONS.items():
            chosen = scoped[has(scoped).astype(bool)] if len(scoped) else scoped
            avoided = chosen["match"] == AVOIDED if len(chosen) else pd.Series(dtype=bool)
            per_rep = _per_replication(chosen, reps)
            avoided_rep = _per_replication(chosen[avoided] if len(chosen) else chosen, reps)
            share, low, high = ratio_interval(avoided_rep, per_rep)
            row = {
                "scope": scope,
                "condition": condition,
                "events": len(chosen),
                "avoided": int(avoided.sum()) if len(chosen) else 0,
                "matched": int(len(chosen) - (avoided.sum() if len(chosen) else 0)),
                "share_avoided": share,
                "ci95_low": low,
                "ci95_high": high,
                "replications": len(reps),
                "replications_with_events": int(np.count_nonzero(per_rep)),
                "safe_only": np.nan,
                "net_reduction_share": np.nan,
                "net_ci95_low": np.nan,
                "net_ci95_high": np.nan,
            }
            if condition == "all events":
                safe_rep = _per_replication(scoped_safe, reps)
                only = scoped_safe["match"] == SAFE_ONLY if len(scoped_safe) else []
                row["safe_only"] = int(np.count_nonzero(only))
                net_rep = per_rep - safe_rep  # may fall below 0: more events under safe staffing
                net = float(net_rep.sum() / per_rep.sum()) if per_rep.sum() > 0 else math.nan
                net_low, net_high = _t_interval(net_rep, per_rep)
                row["net_reduction_share"] = net
                row["net_ci95_low"], row["net_ci95_high"] = net_low, net_high
            rows.append(row)
    return pd.DataFrame(rows)


def _per_replication(table: pd.DataFrame, reps: Sequence[int]) -> np.ndarray:
    """Events per replication, in ``reps`` order (0 where a replication has none)."""
    if len(table) == 0:
        return np.zeros(len(reps))
    counts = table.groupby("replication").size()
    return np.array([float(counts.get(r, 0)) for r in reps])


def run_figures(replays: Sequence[ReplayedReplication]) -> dict[str, tuple[float, float]]:
    """Mean over replications of each :data:`RUN_FIGURES` figure: (scenario, safe)."""
    figures = {}
    for key in RUN_FIGURES:
        base = [r.base_summary.get(key, math.nan) for r in replays]
        safe = [r.safe_summary.get(key, math.nan) for r in replays]
        figures[key] = (_nanmean(base), _nanmean(safe))
    return figures


def _nanmean(values: Sequence[float]) -> float:
    finite = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    return sum(finite) / len(finite) if finite else math.nan


# --- the report -------------------------------------------------------------------------------


def _pct(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{100 * value:.0f}%"


def _interval(row: pd.Series) -> str:
    if math.isnan(row["share_avoided"]):
        return "–"
    if math.isnan(row["ci95_low"]):
        return _pct(row["share_avoided"])
    return f"{_pct(row['share_avoided'])} ({_pct(row['ci95_low'])} to {_pct(row['ci95_high'])})"


def _figure(value: float) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def render_markdown(
    *,
    scenario: str,
    command: str,
    safe_source: str,
    changes: Sequence[tuple[str, Any, Any]],
    table: pd.DataFrame,
    events: pd.DataFrame,
    figures: dict[str, tuple[float, float]],
    replications: int,
    seed: int,
    window: int,
    warmup_days: int,
    days: int,
) -> str:
    """``review.md``: the safe configuration, the counts, the attribution and its limits."""
    lines = [
        f"# Serious-incident review: {scenario}",
        "",
        f"`{command}`",
        "",
        f"{replications} replications of {days} working days (events counted from day "
        f"{warmup_days}, after the warm-up), master seed {seed}. Each replication was run "
        f"again under safe staffing ({safe_source}) with the same children and the same "
        f"draws for each child; a harm event is *avoided under safe staffing* when the safe "
        f"run has no event of the same child within {window} working days (method and "
        "limits: docs/review.md).",
        "",
        "## The safe configuration",
        "",
        "| setting | scenario | safe |",
        "| --- | --- | --- |",
    ]
    for key, old, new in changes:
        lines.append(f"| `{key}` | {_setting_text(old)} | {_setting_text(new)} |")
    if not changes:
        lines.append("| (none: the safe configuration is the scenario itself) | | |")
    lines += [
        "",
        "Mean over replications:",
        "",
        "| figure | scenario | safe |",
        "| --- | --- | --- |",
    ]
    for key, label in RUN_FIGURES.items():
        base, safe = figures.get(key, (math.nan, math.nan))
        lines.append(f"| {label} | {_figure(base)} | {_figure(safe)} |")
    lines += ["", "## Events", ""]
    for scope in SCOPES:
        row = table[(table["scope"] == scope) & (table["condition"] == "all events")].iloc[0]
        net = row["net_reduction_share"]
        net_text = "–" if math.isnan(net) else f"{100 * net:.0f}%"
        if not math.isnan(row["net_ci95_low"]):
            net_text += f" ({100 * row['net_ci95_low']:.0f}% to {100 * row['net_ci95_high']:.0f}%)"
        lines.append(
            f"- **{scope.capitalize()}**: {row['events']} in the scenario's runs. Also under "
            f"safe staffing: {row['matched']}; avoided: {row['avoided']}, "
            f"{_interval(row)} of events (95% interval over replications); only under safe "
            f"staffing: {int(row['safe_only'])}. Net reduction (scenario's events less the "
            f"safe run's, as a share of the scenario's): {net_text}."
        )
    lines += [
        "",
        "## Avoided under safe staffing, by the conditions present",
        "",
        "Share of the scenario's events with the condition that the safe run avoids (95% "
        "interval over replications); an event can have several conditions.",
        "",
    ]
    for scope in SCOPES:
        lines += [
            f"### {scope.capitalize()}",
            "",
            "| condition present | events | avoided | share avoided (95% interval) |",
            "| --- | ---: | ---: | --- |",
        ]
        for _, row in table[table["scope"] == scope].iterrows():
            if row["events"] == 0 and row["condition"] != "all events":
                continue
            lines.append(
                f"| {row['condition']} | {row['events']} | {row['avoided']} | {_interval(row)} |"
            )
        lines.append("")
    lines += [
        "## What this can and cannot say",
        "",
        "These are the model's children, not real ones. The share avoided says how much of the "
        "model's harm, in this scenario, depends on the staffing the safe configuration "
        "changes; the conditions say what was true when it happened, not what caused it (an "
        "event can have several, and conditions travel together). Nothing here says whether "
        "any real incident was preventable: see docs/review.md.",
        "",
    ]
    n_base = int(((events["run"] == BASE) & events["measured"]).sum()) if len(events) else 0
    if n_base == 0:
        lines.insert(-2, "No harm events happened in the measured window of these runs.\n")
    return "\n".join(lines)


def _setting_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "none"
    return f"`{value}`" if isinstance(value, dict | list) else str(value)
