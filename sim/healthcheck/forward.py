"""The next 12 months: a scenario per team built from the council's files, run forward.

Each team's scenario has its establishment, its workers as they are (FTE, agency or permanent,
years qualified, the cases they hold today, under their pseudonymised ids), its managers, admin
staff and social work assistants, the vacant posts still being recruited to, and the council's
own rates. Three things are fitted by a short pilot simulation from today's state (one
proportional correction, docs/healthcheck.md "Fitting"): the referral rate, so that the model
holds today's caseload over the year; the base leaving hazard, so that the model's permanent
turnover is the council's; and the recruitment delay, so that its vacancy rate is the council's.
Sickness spells are scaled by the council's absence rate over the calibrated baseline's (3.23%):
a pilot that starts with nobody off sick reads absence too low over a few months.

Then every team runs with replications (common random numbers across teams' variants), giving
the chance each breaches its benchmark, the months until it does, overdue visits and burnout,
with intervals; and for each red team a small search over levers (posts, admin, an assistant,
agency cover, a cap), each paired with the team's own forecast, ranked by cost per year.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.healthcheck.data import CouncilData, TeamRow
from sim.healthcheck.fit import (
    BASELINE_ABSENCE_RATE,
    BASELINE_LEAVE_RATE,
    BASELINE_RECRUITMENT_DAYS,
    SERVICE_MIX,
    Estimate,
    WorkforceRates,
    counted_referrals,
    poisson_interval,
    workforce_rates,
)
from sim.healthcheck.picture import TeamPicture
from sim.runs.batch import RunRecord, RunSpec, run_batch
from sim.runs.replications import summarise_values
from sim.scenario.schema import WORKING_DAYS_PER_YEAR, Duration, Scenario, WorkerSpec

#: Breach-chance bands of the forecast's rating (docs/healthcheck.md "RAG rules").
FORECAST_AMBER = 0.20
FORECAST_RED = 0.50

#: Replications and months of the fitting pilot (per team), and the largest correction one
#: step may make.
PILOT_REPS = 4
PILOT_MONTHS = 6
MAX_STEP = 3.0

#: A named worker's stress on day 0 is not in the files: the middle of the model's day-0 range.
START_STRESS = 0.25

WEEKS_PER_MONTH = 52 / 12


@dataclass(frozen=True)
class Fitted:
    """The fitted parameters of one team, each with its interval and basis."""

    team: str
    referrals_per_day: Estimate
    counted: Estimate
    pilot_caseload: float
    today_caseload: float


@dataclass(frozen=True)
class CouncilFit:
    """The council's fitted workforce parameters and each team's demand."""

    rates: WorkforceRates
    leave_rate_per_year: Estimate
    recruitment_mean_days: Estimate
    sickness_scale: float
    pilot_turnover: float
    pilot_vacancy_rate: float
    pilot_absence_rate: float
    teams: dict[str, Fitted]


def days_for(months: int) -> int:
    """Working days in ``months`` months."""
    return max(1, round(months * WORKING_DAYS_PER_YEAR / 12))


def build_scenario(
    data: CouncilData,
    team: TeamRow,
    *,
    referrals_per_day: float,
    leave_rate_per_year: float,
    recruitment_mean_days: float,
    sickness_scale: float,
    months: int,
    reps: int,
    seed: int,
) -> Scenario:
    """Team ``team`` as it is today, with the given demand and rates, for ``months``."""
    social = [w for w in data.team_workers(team.team) if w.is_social_worker]
    agency = sum(1 for w in social if w.contract == "agency")
    posts = min(200, len(social) + max(0, round(team.vacancies_fte) - agency))
    unnamed = posts - len(social)
    roles = data.team_workers(team.team)
    manager_fte = sum(w.fte for w in roles if w.role == "manager") or 1.0
    base = Scenario()
    sickness = base.sickness.model_copy(
        update={
            "short_spells_per_year": base.sickness.short_spells_per_year * sickness_scale,
            "long_spells_per_year": base.sickness.long_spells_per_year * sickness_scale,
        }
    )
    recruitment = Duration(kind="exponential", mean_days=min(max(recruitment_mean_days, 5), 26_000))
    return Scenario.model_validate(
        {
            "name": f"healthcheck-{slug(team.team)}",
            "description": (
                f"{team.team} ({team.service}'s services) as the council's files of "
                f"{data.as_of} describe it, run forward {months} months by caseload healthcheck."
            ),
            "simulation": {
                "days": days_for(months),
                "warmup_days": 0,
                "replications": reps,
                "seed": seed,
                "initial_cases_per_fte": 0.0,
                "collect_worker_days": False,
            },
            "team": {
                "social_worker_posts": posts,
                "manager_fte": min(manager_fte, 20.0),
                "initial_vacancy_share": unnamed / posts if posts else 0.0,
                "initial_agency_cover_share": 0.0,
                "workers": [
                    WorkerSpec(
                        name=w.worker_id,
                        fte=w.fte,
                        experience_years=w.years_qualified or 0.0,
                        is_agency=w.contract == "agency",
                        initial_cases=w.cases_held or 0,
                        initial_stress=START_STRESS,
                    ).model_dump()
                    for w in social
                ],
            },
            "demand": {
                "referrals_per_day": min(referrals_per_day, 1000.0),
                "mix": SERVICE_MIX[team.service],
            },
            "support": {
                "admin_staff": sum(w.fte for w in roles if w.role == "admin"),
                "swa_staff": sum(w.fte for w in roles if w.role == "swa"),
            },
            "staffing": {
                "leave_rate_per_year": min(leave_rate_per_year, 26_000.0),
                "recruitment": recruitment.model_dump(),
            },
            "sickness": sickness.model_dump(),
        }
    )


def slug(name: str) -> str:
    """A team name as a file and scenario name."""
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split()) or "team"


# --- fitting ------------------------------------------------------------------------------------


def fit_council(
    data: CouncilData,
    pictures: dict[str, TeamPicture],
    *,
    months: int,
    seed: int,
    runner: Callable[[list[RunSpec]], list[RunRecord]],
) -> CouncilFit:
    """Fit demand per team and the council's rates by one pilot correction (module docstring)."""
    rates = workforce_rates(data)
    teams = list(data.teams)
    start = {t.team: counted_referrals(t).value for t in teams}
    leave0, recruit0 = BASELINE_LEAVE_RATE, BASELINE_RECRUITMENT_DAYS
    configs = [
        build_scenario(
            data,
            t,
            referrals_per_day=start[t.team],
            leave_rate_per_year=leave0,
            recruitment_mean_days=recruit0,
            sickness_scale=1.0,
            months=PILOT_MONTHS,
            reps=PILOT_REPS,
            seed=seed + 1,
        )
        for t in teams
    ]
    records = runner(_specs(configs, PILOT_REPS, seed + 1))
    by_team = _by_point(records, len(teams), PILOT_REPS)
    fitted: dict[str, Fitted] = {}
    headcount = np.array(
        [
            sum(
                1
                for w in data.team_workers(t.team)
                if w.is_social_worker and w.contract == "permanent"
            )
            for t in teams
        ],
        dtype=float,
    )
    posts = np.array([cfg.team.social_worker_posts for cfg in configs], dtype=float)
    turnover = _pooled(by_team, "turnover_rate_annual", headcount)
    vacancy = _pooled(by_team, "vacancy_rate", posts)
    absence = _pooled(by_team, "sickness_absence_rate", headcount)
    for i, t in enumerate(teams):
        today = pictures[t.team].caseload_per_fte
        simulated = float(np.nanmean([r.summary["caseload_per_fte_mean"] for r in by_team[i]]))
        step = _step(today, simulated)
        cases = pictures[t.team].cases_held
        low, high = poisson_interval(cases)
        value = start[t.team] * step
        ratio = (low / cases, high / cases) if cases else (0.0, math.inf)
        fitted[t.team] = Fitted(
            t.team,
            Estimate(
                value,
                value * ratio[0],
                value * ratio[1],
                f"{start[t.team] * WORKING_DAYS_PER_YEAR:.0f} referrals counted, x {step:.2f} so "
                f"the model holds today's {today:.1f} cases per FTE (pilot: {simulated:.1f})",
            ),
            counted_referrals(t),
            simulated,
            today,
        )
    leave = _leave_estimate(rates.turnover, leave0, turnover)
    observed_odds = _odds(_vacancy_rate(data))
    recruit_step = _step(observed_odds, _odds(vacancy))
    vac = round(rates.vacancies_fte)
    v_low, v_high = poisson_interval(vac)
    recruit_value = recruit0 * recruit_step
    recruitment = Estimate(
        recruit_value,
        recruit_value * _odds_ratio(v_low, data) if vac else 0.0,
        recruit_value * _odds_ratio(v_high, data) if vac else math.inf,
        f"x {recruit_step:.2f} so the model's vacancy rate ({vacancy:.1%} in the pilot) is the "
        f"council's {_vacancy_rate(data):.1%}",
    )
    sickness_scale = _step(rates.absence_rate, BASELINE_ABSENCE_RATE)
    return CouncilFit(rates, leave, recruitment, sickness_scale, turnover, vacancy, absence, fitted)


def _step(observed: float, simulated: float) -> float:
    """The proportional correction observed / simulated, bounded to one plausible step."""
    if not (math.isfinite(observed) and math.isfinite(simulated)) or simulated <= 0:
        return 1.0
    if observed <= 0:
        return 1.0 / MAX_STEP
    return min(MAX_STEP, max(1.0 / MAX_STEP, observed / simulated))


def _leave_estimate(observed: Estimate, start: float, simulated: float) -> Estimate:
    """The base hazard that gives the council's turnover: ``start`` x observed / simulated.

    The interval carries the observed turnover's (Poisson) interval through the same ratio.
    """
    per_unit = start / simulated if math.isfinite(simulated) and simulated > 0 else start / 0.14
    value = start * _step(observed.value, simulated)
    return Estimate(
        value,
        observed.low * per_unit,
        max(observed.high * per_unit, value),
        f"the model's base hazard scaled so its permanent turnover ({simulated:.1%} in the "
        f"pilot at {start:.3f}) is the council's {observed.value:.1%} ({observed.basis})",
    )


def _vacancy_rate(data: CouncilData) -> float:
    establishment = sum(t.establishment_fte for t in data.teams)
    return sum(t.vacancies_fte for t in data.teams) / establishment


def _odds(p: float) -> float:
    return p / (1 - p) if 0 <= p < 1 else math.inf


def _odds_ratio(vacancies: float, data: CouncilData) -> float:
    """How the fitted delay moves if the vacancies were ``vacancies`` instead."""
    establishment = sum(t.establishment_fte for t in data.teams)
    observed = _odds(_vacancy_rate(data))
    return _odds(min(vacancies / establishment, 0.99)) / observed if observed else math.inf


def _pooled(by_team: list[list[RunRecord]], key: str, weights: np.ndarray) -> float:
    means = np.array([np.nanmean([r.summary[key] for r in runs]) for runs in by_team])
    ok = np.isfinite(means) & (weights > 0)
    return float(np.average(means[ok], weights=weights[ok])) if ok.any() else float("nan")


def _specs(configs: list[Scenario], reps: int, seed: int) -> list[RunSpec]:
    from sim.runs.batch import specs_for

    return specs_for(configs, reps, seed)


def _by_point(records: list[RunRecord], points: int, reps: int) -> list[list[RunRecord]]:
    grouped: list[list[RunRecord]] = [[] for _ in range(points)]
    for record in records:
        grouped[record.point].append(record)
    return grouped


# --- the forecast -------------------------------------------------------------------------------


def metric_bounds(key: str) -> tuple[float, float]:
    """The natural range of a kept metric (no negative counts, no share above 1)."""
    from sim.engine.metrics import METRICS

    found = next((m for m in METRICS if m.key == key), None)
    return found.bounds if found is not None else (0.0, math.inf)


def interval_dict(values: np.ndarray, bounds: tuple[float, float] = (-math.inf, math.inf)) -> dict:
    """Mean and 95% interval (Student t over replications) of ``values``, clipped to ``bounds``."""
    found = summarise_values(np.asarray(values, dtype=float), bounds)
    return {"mean": found["mean"], "low": found["ci95_low"], "high": found["ci95_high"]}


def wilson(successes: int, n: int) -> tuple[float, float]:
    """Wilson 95% interval of a proportion (it stays inside 0-1 and works at 0 and n)."""
    if n == 0:
        return math.nan, math.nan
    z = 1.959963984540054
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Outcome:
    """One team's (or one lever's) forecast over the replications."""

    breach: np.ndarray  # per replication: breached the benchmark in some week
    months_to_breach: np.ndarray  # per replication: months to the first breach week (nan: none)
    end_above: np.ndarray  # per replication: above the benchmark over the last month
    metrics: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def end_above_chance(self) -> float:
        """Share of replications above the benchmark over the last month.

        A team over the benchmark today breaches in week one whatever is done; this says whether
        it is still over at the end.
        """
        return float(self.end_above.mean()) if self.end_above.size else math.nan

    @property
    def breach_chance(self) -> float:
        """Share of replications that breach."""
        return float(self.breach.mean()) if self.breach.size else math.nan

    def breach_interval(self) -> tuple[float, float]:
        """Wilson 95% interval of the breach chance."""
        return wilson(int(self.breach.sum()), int(self.breach.size))

    def rating(self) -> str:
        """The forecast's RAG: red from 50% chance of a breach, amber from 20%."""
        return forecast_rating(self.breach_chance)


def forecast_rating(chance: float) -> str:
    """Red if the breach chance is at least 50%, amber if at least 20%, else green."""
    if chance >= FORECAST_RED:
        return "red"
    if chance >= FORECAST_AMBER:
        return "amber"
    return "green"


#: Metrics kept per replication: the summary key and how the report names it.
FORECAST_METRICS = {
    "caseload_per_fte_mean": "average caseload per FTE",
    "overdue_visit_case_days": "overdue visits (case-days)",
    "unallocated_case_days": "cases waiting unallocated (case-days)",
    "burnout_prevalence": "share of worker-days in burnout",
    "vacancy_rate": "vacancy rate",
    "staff_cost_total": "staff cost (£)",
}


def outcome_of(runs: list[RunRecord], benchmark: float) -> Outcome:
    """Breach and metrics of one scenario's replications (in replication order)."""
    runs = sorted(runs, key=lambda r: r.replication)
    breach, months, end = [], [], []
    for record in runs:
        weekly = np.asarray((record.series or {}).get("caseload_per_fte", []), dtype=float)
        above = np.flatnonzero(weekly > benchmark)
        breach.append(bool(above.size))
        months.append((above[0] + 1) / WEEKS_PER_MONTH if above.size else math.nan)
        last = weekly[-max(1, round(WEEKS_PER_MONTH)) :]
        end.append(bool(last.size and last.mean() > benchmark))
    metrics = {
        key: np.array([r.summary.get(key, math.nan) for r in runs], dtype=float)
        for key in FORECAST_METRICS
    }
    burnt = [np.mean((r.series or {}).get("burnt_out", [math.nan])) for r in runs]
    metrics["burnt_out_workers"] = np.array(burnt, dtype=float)
    return Outcome(
        np.array(breach, dtype=bool),
        np.array(months, dtype=float),
        np.array(end, dtype=bool),
        metrics,
    )


@dataclass(frozen=True)
class Lever:
    """A change to a team that might bring it to green, and what it costs a year."""

    key: str
    label: str
    cost_per_year: float
    apply: Callable[[Scenario], Scenario]


def levers_for(config: Scenario, benchmark: float) -> list[Lever]:
    """The levers searched for one team, cheapest first (costs from the scenario's costs)."""
    costs = config.costs
    vacant = config.team.social_worker_posts - len(config.team.workers)

    def with_posts(n: int) -> Callable[[Scenario], Scenario]:
        def change(c: Scenario) -> Scenario:
            extra = [
                WorkerSpec(name=f"new post {i + 1}", experience_years=3.0, initial_stress=0.1)
                for i in range(n)
            ]
            return _team_with(c, extra, posts_added=n)

        return change

    def agency_cover(c: Scenario) -> Scenario:
        extra = [
            WorkerSpec(name=f"agency cover {i + 1}", is_agency=True, experience_years=5.0)
            for i in range(vacant)
        ]
        return _team_with(c, extra, posts_added=0)

    def support(key: str) -> Callable[[Scenario], Scenario]:
        def change(c: Scenario) -> Scenario:
            return _update(c, "support", {key: getattr(c.support, key) + 1.0})

        return change

    def cap(c: Scenario) -> Scenario:
        return _update(c, "allocation", {"cap_kind": "count", "cap_per_fte": benchmark})

    found = [
        Lever("cap", f"a caseload cap of {benchmark:g} per FTE (cases wait above it)", 0.0, cap),
        Lever(
            "admin",
            "an admin support officer (1 FTE)",
            costs.admin_per_year,
            support("admin_staff"),
        ),
        Lever("swa", "a social work assistant (1 FTE)", costs.swa_per_year, support("swa_staff")),
        Lever(
            "post",
            "one more social worker post, filled",
            costs.social_worker_per_year,
            with_posts(1),
        ),
        Lever(
            "two_posts",
            "two more social worker posts, filled",
            2 * costs.social_worker_per_year,
            with_posts(2),
        ),
    ]
    if vacant > 0:
        found.append(
            Lever(
                "agency",
                f"agency cover for the {vacant} vacant post{'s' if vacant > 1 else ''} now",
                vacant * costs.social_worker_per_year * (1 + costs.agency_premium),
                agency_cover,
            )
        )
    return sorted(found, key=lambda lever: lever.cost_per_year)


def _update(config: Scenario, section: str, values: dict[str, Any]) -> Scenario:
    data = config.model_dump()
    data[section] = {**data[section], **values}
    return Scenario.model_validate(data)


def _team_with(config: Scenario, extra: list[WorkerSpec], posts_added: int) -> Scenario:
    team = config.team
    workers = [*team.workers, *extra]
    posts = team.social_worker_posts + posts_added
    unnamed = posts - len(workers)
    return _update(
        config,
        "team",
        {
            "social_worker_posts": posts,
            "workers": [w.model_dump() for w in workers],
            "initial_vacancy_share": unnamed / posts if posts else 0.0,
        },
    )


def run_specs(
    specs: list[RunSpec], *, client: Any = None, workers: int | None = None, progress: Any = None
) -> list[RunRecord]:
    """Run ``specs`` keeping weekly series (for breaches and burnout headcounts)."""
    return run_batch(specs, client=client, workers=workers, keep_series=True, progress=progress)
