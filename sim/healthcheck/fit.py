"""What the council's files say about the model's parameters: demand and workforce rates.

Each estimate carries a 95% interval, because a team of six gives very few leavers in a year and
a reader must see how little that pins down. Here are the observed rates and the first guesses;
``forward.fit_council`` turns them into the model's parameters with a pilot simulation
(docs/healthcheck.md, "Fitting"):

- Demand: the referrals the team counted in 12 months per working day (exact Poisson interval).
  A second estimate from the caseload by Little's law (cases open = referral rate x E[S], with
  ``E[S] = sum_i f_i * mean duration_i`` over the step-up chain, ``f = (I - P^T)^-1 m``, as the
  model's day-0 build uses) is kept as a check of whether cases stay open as long as the model's.
- Turnover: permanent social workers' leavers per headcount-year in post in the 12 months
  (exact Poisson interval of the count).
- Vacancies: vacant FTE over the establishment (the team file).
- Sickness: the absence rate, sick FTE-days over FTE-days in post in the 12 months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy import stats

from sim.healthcheck.data import CouncilData, TeamRow, year_before
from sim.scenario.schema import CASE_TYPES, WORKING_DAYS_PER_YEAR, Duration, Scenario

#: The calibrated baseline's rates (docs/calibration.md): where the pilot starts.
BASELINE_LEAVE_RATE = 0.068
BASELINE_RECRUITMENT_DAYS = 460.0
BASELINE_ABSENCE_RATE = 0.0323  # its sickness absence rate (480 replications)

#: The case mix of new referrals by service: children's referrals start as assessments (and step
#: up to child in need, protection or care by the model's own chain); adults' are review cases.
SERVICE_MIX: dict[str, dict[str, float]] = {
    "children": {"assessment": 1.0},
    "adults": {"adult_review": 1.0},
}

CALENDAR_DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Estimate:
    """A fitted value with its 95% interval and how it was found, in words."""

    value: float
    low: float
    high: float
    basis: str

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the interval."""
        return self.low <= value <= self.high


def poisson_interval(count: float) -> tuple[float, float]:
    """Exact (Garwood) 95% interval of a Poisson mean from one count."""
    low = stats.chi2.ppf(0.025, 2 * count) / 2 if count > 0 else 0.0
    high = stats.chi2.ppf(0.975, 2 * count + 2) / 2
    return float(low), float(high)


def mean_open_days(mix: dict[str, float], config: Scenario | None = None) -> float:
    """E[S]: working days a referral stays open, over the step-up chain from ``mix``."""
    config = config if config is not None else Scenario()
    types = config.case_types
    k = len(CASE_TYPES)
    step = np.zeros((k, k))
    for i, name in enumerate(CASE_TYPES):
        for other, p in types[name].next_type.items():
            step[i, CASE_TYPES.index(other)] = p
    entry = np.array([mix.get(t, 0.0) for t in CASE_TYPES])
    flows = np.linalg.solve(np.eye(k) - step.T, entry)
    return float(flows @ np.array([_mean(types[t].duration) for t in CASE_TYPES]))


def _mean(spec: Duration) -> float:
    if spec.kind == "lognormal":
        return spec.median_days * float(np.exp(spec.sigma**2 / 2))
    return spec.mean_days


def team_demand(data: CouncilData, team: TeamRow) -> Estimate:
    """Referrals a working day that hold the team's caseload of today (Poisson interval)."""
    cases = sum(w.cases_held or 0 for w in data.team_workers(team.team) if w.is_social_worker)
    days = mean_open_days(SERVICE_MIX[team.service])
    low, high = poisson_interval(cases)
    return Estimate(
        cases / days,
        low / days,
        high / days,
        f"{cases} cases held / {days:.0f} working days a referral stays open",
    )


def counted_referrals(team: TeamRow) -> Estimate:
    """The referrals the team counted in 12 months, per working day (Poisson interval)."""
    low, high = poisson_interval(team.referrals_12m)
    per = WORKING_DAYS_PER_YEAR
    return Estimate(
        team.referrals_12m / per, low / per, high / per, f"{team.referrals_12m} referrals / 260"
    )


@dataclass(frozen=True)
class WorkforceRates:
    """The council's own workforce rates, as observed in its files."""

    turnover: Estimate  # permanent leavers per headcount-year
    absence_rate: float
    permanent_leavers: int
    permanent_years: float
    vacancies_fte: float


def years_in_window(start: date, end: date | None, as_of: date) -> float:
    """Years a worker was in post in the 12 months to ``as_of``."""
    first = max(start, year_before(as_of))
    last = min(end or as_of, as_of)
    return max(0.0, (last - first).days / CALENDAR_DAYS_PER_YEAR)


def workforce_rates(data: CouncilData, teams: list[str] | None = None) -> WorkforceRates:
    """Turnover, vacancies and sickness of the council's social workers (or of ``teams``)."""
    chosen = set(teams) if teams is not None else {t.team for t in data.teams}
    social = [w for w in data.workers if w.is_social_worker and w.team in chosen]
    permanent = [w for w in social if w.contract == "permanent"]
    leavers = sum(1 for w in permanent if not w.in_post)
    years = sum(years_in_window(w.start_date, w.leave_date, data.as_of) for w in permanent)
    low, high = poisson_interval(leavers)
    nan = float("nan")
    turnover = Estimate(
        leavers / years if years else nan,
        low / years if years else nan,
        high / years if years else nan,
        f"{leavers} permanent leavers / {years:.1f} years in post",
    )
    fte_days = sum(
        w.fte * years_in_window(w.start_date, w.leave_date, data.as_of) * WORKING_DAYS_PER_YEAR
        for w in social
    )
    sick = sum(w.fte * w.sickness_days_12m for w in social)
    return WorkforceRates(
        turnover,
        sick / fte_days if fte_days else nan,
        leavers,
        years,
        sum(t.vacancies_fte for t in data.teams if t.team in chosen),
    )
