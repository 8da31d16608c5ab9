"""Today's picture, without simulation: each team and service against the benchmark and the DfE.

Caseload per FTE follows the DfE definition: cases held by social workers (seniors included)
divided by the FTE of those holding at least one case. Each measure gets a red, amber or green
rating by a rule written in :data:`RULES` (and in the report and docs/healthcheck.md); the
functions below are those rules, so the report cannot say one thing and rate another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.healthcheck.data import CouncilData, TeamRow, WorkerRow
from sim.healthcheck.fit import poisson_interval, years_in_window
from sim.healthcheck.standards import DEFAULT_BENCHMARK, DEFAULT_BENCHMARK_SOURCE, comparator
from sim.scenario.schema import WORKING_DAYS_PER_YEAR

RATINGS = ("green", "amber", "red")
WORKER_DAYS_PER_MONTH = WORKING_DAYS_PER_YEAR / 12

#: The rule of each rating, as the report prints it.
RULES = {
    "caseload": "red above the benchmark; amber above 90% of it; green at or below 90%",
    "workers_above": (
        "red if a third or more of the social workers hold more cases per FTE than the "
        "benchmark; amber if any do; green if none"
    ),
    "worker_days_above": (
        "red if a quarter or more of the worker-days in post in the year were above the "
        "benchmark (monthly history, each month 21.7 working days); amber if any were; "
        "green if none"
    ),
    "overdue_visits": (
        "red if more than 5% of cases held have a statutory visit overdue; amber above 2%; "
        "green at or below 2% (a local rule: there is no national figure)"
    ),
    "workforce": (
        "vacancy, agency, turnover and sickness rates: green at or below the comparator "
        "(the region's DfE figure where the table has it, else England's); amber up to a quarter "
        "above it; red more than a quarter above"
    ),
    "supervision": (
        "share of social workers with at least monthly supervision over their months in post "
        "(LGA supervision framework): green from 90%, amber from 75%, red below 75%"
    ),
    "headline": (
        "the worst of the safe-workload ratings (caseload, workers above, worker-days above, "
        "overdue visits); workforce and supervision ratings are shown beside it"
    ),
    "forecast": (
        "the chance of breaching the benchmark in some week of the coming months: red from 50%, "
        "amber from 20%, green below 20%"
    ),
}


def rate_caseload(value: float, benchmark: float) -> str:
    """Red above the benchmark, amber above 90% of it, else green."""
    if value > benchmark:
        return "red"
    return "amber" if value > 0.9 * benchmark else "green"


def rate_share_above(above: float, total: float, red_share: float) -> str:
    """Green if none are above, red from ``red_share`` of the total, amber between."""
    if above <= 0 or total <= 0:
        return "green"
    return "red" if above / total >= red_share else "amber"


def rate_against(value: float, reference: float) -> str:
    """Green at or below the comparator, amber up to 25% above it, red beyond."""
    if not math.isfinite(value):
        return "n/a"
    if value <= reference:
        return "green"
    return "amber" if value <= 1.25 * reference else "red"


def rate_overdue(share: float) -> str:
    """Green at or below 2% of cases with a visit overdue, amber to 5%, red above."""
    if share <= 0.02:
        return "green"
    return "amber" if share <= 0.05 else "red"


def rate_supervision(share: float) -> str:
    """Green from 90% of workers supervised at least monthly, amber from 75%, else red."""
    if share >= 0.90:
        return "green"
    return "amber" if share >= 0.75 else "red"


def worst(ratings: list[str]) -> str:
    """The worst of some ratings (``n/a`` ignored; green if none)."""
    known = [r for r in ratings if r in RATINGS]
    return max(known, key=RATINGS.index) if known else "green"


@dataclass
class Rated:
    """One measure: its value, what it is compared with, and its rating."""

    measure: str
    label: str
    value: float
    reference: float | None
    reference_note: str
    rating: str


@dataclass
class TeamPicture:
    """Today's figures of one team (or a whole service) and their ratings."""

    team: str
    service: str
    benchmark: float
    benchmark_source: str
    social_workers: int
    case_holding_fte: float
    cases_held: int
    caseload_per_fte: float
    weighted_per_fte: float | None
    workers_above: int
    worker_days_above: float | None
    worker_days_in_post: float | None
    permanent_leavers: int
    permanent_years: float
    vacancies_fte: float
    establishment_fte: float
    agency_fte: float
    fte_in_post: float
    absence_rate: float
    supervision_share: float | None
    visits_overdue: int | None
    referrals_12m: int
    rated: list[Rated] = field(default_factory=list)

    @property
    def headline(self) -> str:
        """The worst safe-workload rating (rule ``RULES['headline']``)."""
        safe = {"caseload", "workers_above", "worker_days_above", "overdue_visits"}
        return worst([r.rating for r in self.rated if r.measure in safe])

    @property
    def turnover(self) -> float:
        """Permanent leavers per headcount-year in post."""
        return self.permanent_leavers / self.permanent_years if self.permanent_years else math.nan

    def rating(self, measure: str) -> str:
        """The rating of ``measure`` (``n/a`` if not rated)."""
        return next((r.rating for r in self.rated if r.measure == measure), "n/a")


def benchmark_of(team: TeamRow, given: float | None) -> tuple[float, str]:
    """The team's own benchmark, else the one given for the council, else the default."""
    if team.caseload_benchmark is not None:
        return team.caseload_benchmark, "the team's own benchmark (team file)"
    if given is not None:
        return given, "the council's benchmark (--benchmark)"
    return DEFAULT_BENCHMARK, DEFAULT_BENCHMARK_SOURCE


def team_picture(
    data: CouncilData, team: TeamRow, benchmark: float | None = None, region: str | None = None
) -> TeamPicture:
    """Today's picture of one team."""
    value, source = benchmark_of(team, benchmark)
    return _picture(data, [team], team.team, team.service, value, source, region)


def service_picture(
    data: CouncilData, service: str, benchmark: float | None = None, region: str | None = None
) -> TeamPicture | None:
    """Today's picture of a whole service (its teams added up), or None if it has none."""
    teams = [t for t in data.teams if t.service == service]
    if not teams:
        return None
    own = {t.caseload_benchmark for t in teams}
    if len(own) == 1 and None not in own:
        value, source = benchmark_of(teams[0], benchmark)
    else:
        value, source = benchmark_of(
            teams[0].model_copy(update={"caseload_benchmark": None}), benchmark
        )
    label = "All children's teams" if service == "children" else "All adults' teams"
    return _picture(data, teams, label, service, value, source, region)


def _picture(
    data: CouncilData,
    teams: list[TeamRow],
    label: str,
    service: str,
    benchmark: float,
    source: str,
    region: str | None,
) -> TeamPicture:
    names = {t.team for t in teams}
    everyone = [w for w in data.workers if w.team in names]
    social = [w for w in everyone if w.is_social_worker and w.in_post]
    holders = [w for w in social if (w.cases_held or 0) > 0]
    fte = sum(w.fte for w in holders)
    cases = sum(w.cases_held or 0 for w in social)
    weighted = [w.weighted_cases for w in holders if w.weighted_cases is not None]
    above = sum(1 for w in holders if (w.cases_held or 0) / w.fte > benchmark)
    days_above, days_in = _history_days(social, benchmark)
    permanent = [w for w in everyone if w.is_social_worker and w.contract == "permanent"]
    leavers = sum(1 for w in permanent if not w.in_post)
    years = sum(years_in_window(w.start_date, w.leave_date, data.as_of) for w in permanent)
    all_social = [w for w in everyone if w.is_social_worker]
    fte_days = sum(
        w.fte * years_in_window(w.start_date, w.leave_date, data.as_of) * WORKING_DAYS_PER_YEAR
        for w in all_social
    )
    sick = sum(w.fte * w.sickness_days_12m for w in all_social)
    supervision = _supervision_share(social, data)
    overdue = [t.visits_overdue for t in teams if t.visits_overdue is not None]
    picture = TeamPicture(
        team=label,
        service=service,
        benchmark=benchmark,
        benchmark_source=source,
        social_workers=len(social),
        case_holding_fte=fte,
        cases_held=cases,
        caseload_per_fte=cases / fte if fte else 0.0,
        weighted_per_fte=sum(weighted) / fte if weighted and fte else None,
        workers_above=above,
        worker_days_above=days_above,
        worker_days_in_post=days_in,
        permanent_leavers=leavers,
        permanent_years=years,
        vacancies_fte=sum(t.vacancies_fte for t in teams),
        establishment_fte=sum(t.establishment_fte for t in teams),
        agency_fte=sum(w.fte for w in social if w.contract == "agency"),
        fte_in_post=sum(w.fte for w in social),
        absence_rate=sick / fte_days if fte_days else math.nan,
        supervision_share=supervision,
        visits_overdue=sum(overdue) if overdue else None,
        referrals_12m=sum(t.referrals_12m for t in teams),
    )
    picture.rated = _ratings(picture, region)
    return picture


def _history_days(social: list[WorkerRow], benchmark: float) -> tuple[float | None, float | None]:
    months = [(w, v) for w in social for v in w.history if v is not None]
    if not months:
        return None, None
    above = sum(1 for w, v in months if v / w.fte > benchmark)
    return above * WORKER_DAYS_PER_MONTH, len(months) * WORKER_DAYS_PER_MONTH


def _supervision_share(social: list[WorkerRow], data: CouncilData) -> float | None:
    given = [w for w in social if w.supervision_sessions_12m is not None]
    if not given:
        return None
    met = sum(
        1
        for w in given
        if w.supervision_sessions_12m
        >= math.floor(12 * years_in_window(w.start_date, None, data.as_of))
    )
    return met / len(given)


def _ratings(p: TeamPicture, region: str | None) -> list[Rated]:
    rated = [
        Rated(
            "caseload",
            "average caseload per FTE",
            p.caseload_per_fte,
            p.benchmark,
            "benchmark",
            rate_caseload(p.caseload_per_fte, p.benchmark),
        ),
        Rated(
            "workers_above",
            "social workers above the benchmark",
            p.workers_above,
            None,
            f"of {p.social_workers}",
            rate_share_above(p.workers_above, p.social_workers, 1 / 3),
        ),
    ]
    if p.worker_days_above is not None and p.worker_days_in_post:
        rated.append(
            Rated(
                "worker_days_above",
                "worker-days above the benchmark in the year",
                p.worker_days_above,
                None,
                f"of {p.worker_days_in_post:,.0f} in post",
                rate_share_above(p.worker_days_above, p.worker_days_in_post, 0.25),
            )
        )
    if p.visits_overdue is not None:
        share = p.visits_overdue / p.cases_held if p.cases_held else 0.0
        rated.append(
            Rated(
                "overdue_visits",
                "statutory visits overdue",
                p.visits_overdue,
                None,
                f"{share:.1%} of cases held",
                rate_overdue(share),
            )
        )
    filled = p.fte_in_post
    rates = {
        "vacancy_rate": p.vacancies_fte / p.establishment_fte if p.establishment_fte else math.nan,
        "agency_rate": p.agency_fte / filled if filled else math.nan,
        "turnover_rate": p.turnover,
        "sickness_rate": p.absence_rate,
    }
    labels = {
        "vacancy_rate": "vacancy rate",
        "agency_rate": "agency share of social-worker FTE",
        "turnover_rate": "turnover (permanent leavers a year)",
        "sickness_rate": "sickness absence rate",
    }
    for measure, value in rates.items():
        figure = comparator(measure, p.service, region)
        if figure is None:
            continue
        rated.append(
            Rated(
                measure,
                labels[measure],
                value,
                figure.value,
                f"{figure.area} {figure.year}",
                rate_against(value, figure.value),
            )
        )
    if p.supervision_share is not None:
        rated.append(
            Rated(
                "supervision",
                "social workers supervised at least monthly",
                p.supervision_share,
                0.9,
                "LGA framework",
                rate_supervision(p.supervision_share),
            )
        )
    return rated


def turnover_interval(p: TeamPicture) -> tuple[float, float]:
    """Exact Poisson 95% interval of the turnover (few leavers pin it down poorly)."""
    low, high = poisson_interval(p.permanent_leavers)
    years = p.permanent_years
    return (low / years, high / years) if years else (math.nan, math.nan)
