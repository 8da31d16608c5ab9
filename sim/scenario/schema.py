"""The validated, frozen scenario schema: every parameter the model reads, with bounds and units.

A scenario file (TOML) is parsed into :class:`Scenario`. Unknown keys, wrong types and
out-of-range values are rejected, so a typo can never silently fall back to a default. Field
names carry their units (``_hours``, ``_days``, ``_per_year``); "days" are always *working* days
(one model step, 260 a year). Defaults are the calibrated baseline documented in
``docs/calibration.md``; the source of each is given in ``docs/model.md``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

WORKING_DAYS_PER_YEAR = 260
WORKING_DAYS_PER_WEEK = 5

CASE_TYPES: tuple[str, ...] = (
    "assessment",
    "child_in_need",
    "child_protection",
    "looked_after",
    "adult_review",
)

#: Upper bounds keep every value finite and plausible: a typo of 1e9 must be an error, not a
#: run that exhausts memory. Each is far beyond any real team.
MAX_DAYS = 26_000  # 100 working years
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Days = Annotated[float, Field(gt=0.0, le=MAX_DAYS)]
TaskHours = Annotated[float, Field(ge=0.0, le=100.0)]
WeeklyHours = Annotated[float, Field(ge=0.0, le=168.0)]
PerYear = Annotated[float, Field(ge=0.0, le=26_000.0)]  # 100 a day: certain
PerDay = Annotated[float, Field(ge=0.0, le=1.0)]
Pounds = Annotated[float, Field(ge=0.0, le=100_000_000.0)]
DayNumber = Annotated[int, Field(ge=0, le=MAX_DAYS)]


#: Tables that are one value (shares adding up to 1), so an override replaces them whole.
WHOLE_TABLES = frozenset({"mix", "next_type"})


def deep_merge(base: dict, override: dict) -> dict:
    """Merge ``override`` into ``base`` table by table; values that are not tables replace.

    Tables named in :data:`WHOLE_TABLES` are replaced, not merged: a child scenario's
    ``demand.mix`` is the whole mix, not additions to its parent's.
    """
    merged = dict(base)
    for key, value in override.items():
        if key in WHOLE_TABLES:
            merged[key] = value
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class Section(BaseModel):
    """Base of every scenario section: strict keys and types, finite values, immutable.

    Strict types: no ``"8"`` for 8, no ``1`` for ``true``, no ``7.0`` for a count; an integer
    is a valid float.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, strict=True, allow_inf_nan=False
    )

    @model_validator(mode="before")
    @classmethod
    def _amend_nested_defaults(cls, data: Any) -> Any:
        """A partial table amends a nested default instead of replacing it.

        ``staffing.recruitment`` defaults to an exponential duration of mean 460 days; a file or
        ``--set`` that writes only ``staffing.recruitment.mean_days = 300`` means that duration
        with another mean, not a fresh ``Duration()`` (lognormal, median 20 days) that keeps
        only the mean. The default's explicitly set fields fill what the table leaves out.
        """
        if not isinstance(data, dict):
            return data
        for name, field in cls.model_fields.items():
            default, value = field.default, data.get(name)
            if isinstance(default, BaseModel) and isinstance(value, dict):
                data = {**data, name: {**default.model_dump(exclude_unset=True), **value}}
        return data


class Duration(Section):
    """A positive random duration in working days.

    ``exponential`` uses ``mean_days``; ``gamma`` uses ``mean_days`` and ``shape``;
    ``lognormal`` uses ``median_days`` and ``sigma``; ``fixed`` always gives ``mean_days``.
    """

    kind: Literal["exponential", "gamma", "lognormal", "fixed"] = "lognormal"
    mean_days: Days = 30.0
    median_days: Days = 20.0
    shape: Annotated[float, Field(gt=0.0, le=1000.0)] = 2.0
    sigma: Annotated[float, Field(gt=0.0, le=5.0)] = 0.8
    min_days: Annotated[float, Field(ge=0.0, le=MAX_DAYS)] = 1.0
    max_days: Days = 5200.0

    @model_validator(mode="after")
    def _bounds_ordered(self) -> Duration:
        if self.max_days < self.min_days:
            raise ValueError("max_days must be at least min_days")
        return self


class Simulation(Section):
    """Run length and replication defaults (the CLI can override them)."""

    days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 520
    warmup_days: DayNumber = 260
    replications: Annotated[int, Field(ge=1, le=10_000)] = 10
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 20261125
    initial_cases_per_fte: Annotated[float, Field(ge=0.0, le=500.0)] = 15.0
    collect_worker_days: bool = True

    @model_validator(mode="after")
    def _warmup_shorter(self) -> Simulation:
        if self.warmup_days >= self.days:
            raise ValueError("warmup_days must be shorter than days")
        return self


class Limits(Section):
    """Ceilings on the size of a run, checked before it starts, so a typo cannot exhaust memory.

    The defaults admit England (33,000 posts, about 1.4 million fresh referrals and day-0
    cases) and every shipped scenario; raise one in a file's ``[limits]`` table or with
    ``--set limits.KEY=N`` for a machine that has the memory.
    """

    max_posts: Annotated[int, Field(ge=1, le=10_000_000)] = 50_000
    max_cases: Annotated[int, Field(ge=1, le=1_000_000_000)] = 5_000_000
    max_worker_day_rows: Annotated[int, Field(ge=1, le=1_000_000_000)] = 2_000_000
    max_table_rows: Annotated[int, Field(ge=1, le=10_000_000_000)] = 20_000_000
    max_runs: Annotated[int, Field(ge=1, le=100_000_000)] = 100_000


#: Whether the scenario being validated is for a command that keeps every replication's
#: tables (``caseload run``, ``validate``, the dashboard), so ``limits.max_table_rows`` applies.
_KEEPS_TABLES: ContextVar[bool] = ContextVar("caseload_keeps_tables", default=True)


@contextlib.contextmanager
def tables_not_kept() -> Iterator[None]:
    """Validate scenarios inside this block without ``limits.max_table_rows``.

    ``compare``, ``sweep`` and ``calibrate`` keep a summary (and weekly series) per run, not
    the runs' tables, so what bounds their memory is the number of runs and points, which they
    check themselves; the per-replication limits (posts, cases, worker-day rows) still apply.
    """
    token = _KEEPS_TABLES.set(False)
    try:
        yield
    finally:
        _KEEPS_TABLES.reset(token)


def organisation_size(simulation: Simulation, team: Team, demand: Demand) -> dict[str, int]:
    """How large one run is: posts, cases (day 0's and the referrals expected), table rows.

    ``cases`` counts day 0's caseload at full establishment plus the referrals expected over
    the run at the mean rate with its shocks; ``worker_day_rows`` is posts × days when
    ``collect_worker_days`` is on (else 0); ``table_rows`` is what ``caseload run`` keeps for
    all its replications: replications × (cases + worker-day rows).
    """
    posts = team.n_teams * team.social_worker_posts
    initial = posts * simulation.initial_cases_per_fte + sum(w.initial_cases for w in team.workers)
    days = simulation.days
    boosted = sum(
        (shock.multiplier - 1.0) * max(0, min(shock.end_day, days) - min(shock.start_day, days))
        for shock in demand.shocks
    )
    referrals = team.n_teams * demand.referrals_per_day * max(0.0, days + boosted)
    cases = round(initial + referrals)
    worker_day_rows = posts * days if simulation.collect_worker_days else 0
    return {
        "posts": posts,
        "cases": cases,
        "worker_day_rows": worker_day_rows,
        "table_rows": simulation.replications * (cases + worker_day_rows),
    }


def _raise_it(key: str, needed: int) -> str:
    return (
        f"raise limits.{key} (in the file's [limits] table, or --set limits.{key}={needed}) "
        "if the machine has the memory"
    )


class WorkerSpec(Section):
    """One named social worker, for teaching scenarios that follow a real person's situation.

    Named workers take the first posts of the first team. ``held_caseload`` makes the manager
    top the worker up to that many cases before anyone else, whatever the cap.
    """

    name: str = Field(min_length=1, max_length=60)
    fte: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    experience_years: Annotated[float, Field(ge=0.0, le=50.0)] = 3.0
    is_agency: bool = False
    initial_cases: Annotated[int, Field(ge=0, le=500)] = 0
    initial_case_type: Literal[CASE_TYPES] | None = None
    held_caseload: Annotated[int, Field(ge=0, le=500)] | None = None
    initial_backlog_hours: Annotated[float, Field(ge=0.0, le=10_000.0)] = 0.0
    initial_stress: Probability = 0.0
    priority_style: Literal["contact_first", "recording_first"] = "contact_first"
    returning_from_sickness: bool = False
    never_leaves: bool = False


class Team(Section):
    """Establishment of one team; an organisation is ``n_teams`` identical teams."""

    n_teams: Annotated[int, Field(ge=1, le=5_000)] = 1
    social_worker_posts: Annotated[int, Field(ge=0, le=200)] = 6
    manager_fte: Annotated[float, Field(gt=0.0, le=20.0)] = 1.0
    part_time_share: Probability = 0.2
    part_time_fte: Annotated[float, Field(gt=0.0, le=1.0)] = 0.8
    newly_qualified_share: Probability = 0.15
    initial_vacancy_share: Probability = 0.17
    initial_agency_cover_share: Probability = 0.9
    recording_first_share: Probability = 0.3
    workers: list[WorkerSpec] = Field(default_factory=list, max_length=200)

    @model_validator(mode="after")
    def _named_fit_posts(self) -> Team:
        if len(self.workers) > self.social_worker_posts:
            raise ValueError("more named workers than social_worker_posts")
        names = [w.name.strip() for w in self.workers]
        if "" in names:
            raise ValueError("a named worker's name is blank")
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"named workers must have different names (got {repeated} twice)")
        return self


class CaseType(Section):
    """Parameters of one kind of case: its visits, work, duration and risk."""

    complexity_weight: Annotated[float, Field(gt=0.0, le=10.0)] = 1.0
    first_visit_days: Annotated[int, Field(ge=0, le=260)] = 5
    visit_interval_days: Annotated[int, Field(ge=1, le=520)] = 20
    casework_hours_per_week: Annotated[float, Field(ge=0.0, le=40.0)] = 0.8
    duration: Duration = Duration()
    next_type: dict[str, Probability] = Field(default_factory=dict)
    initial_risk_mean: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.2
    swa_eligible: bool = False

    @model_validator(mode="after")
    def _next_type_valid(self) -> CaseType:
        unknown = sorted(set(self.next_type) - set(CASE_TYPES))
        if unknown:
            raise ValueError(f"next_type names unknown case types {unknown}; use {CASE_TYPES}")
        total = sum(self.next_type.values())
        if total > 1.0 + 1e-9:
            raise ValueError(f"next_type probabilities add up to more than 1 (got {total:g})")
        return self


def _default_case_types() -> dict[str, CaseType]:
    return {
        "assessment": CaseType(
            complexity_weight=1.0,
            first_visit_days=4,
            visit_interval_days=15,
            casework_hours_per_week=0.7,
            duration=Duration(kind="gamma", mean_days=30.0, shape=4.0, max_days=120.0),
            next_type={"child_in_need": 0.30, "child_protection": 0.10, "looked_after": 0.04},
            initial_risk_mean=0.20,
            swa_eligible=False,
        ),
        "child_in_need": CaseType(
            complexity_weight=1.0,
            first_visit_days=10,
            visit_interval_days=20,
            casework_hours_per_week=0.5,
            duration=Duration(kind="lognormal", median_days=110.0, sigma=0.8),
            next_type={"child_protection": 0.06},
            initial_risk_mean=0.15,
            swa_eligible=True,
        ),
        "child_protection": CaseType(
            complexity_weight=1.5,
            first_visit_days=10,
            visit_interval_days=10,
            casework_hours_per_week=1.0,
            duration=Duration(kind="lognormal", median_days=215.0, sigma=0.5),
            next_type={"looked_after": 0.10, "child_in_need": 0.45},
            initial_risk_mean=0.35,
            swa_eligible=False,
        ),
        "looked_after": CaseType(
            complexity_weight=1.2,
            first_visit_days=5,
            visit_interval_days=30,
            casework_hours_per_week=0.6,
            duration=Duration(kind="lognormal", median_days=390.0, sigma=1.0),
            initial_risk_mean=0.20,
            swa_eligible=True,
        ),
        "adult_review": CaseType(
            complexity_weight=0.8,
            first_visit_days=30,
            visit_interval_days=260,
            casework_hours_per_week=0.3,
            duration=Duration(kind="exponential", mean_days=260.0),
            initial_risk_mean=0.10,
            swa_eligible=True,
        ),
    }


class DemandShock(Section):
    """A temporary multiplier on the referral rate (for example after a high-profile case)."""

    start_day: DayNumber
    end_day: Annotated[int, Field(ge=1, le=MAX_DAYS)]
    multiplier: Annotated[float, Field(ge=0.0, le=20.0)]

    @model_validator(mode="after")
    def _ordered(self) -> DemandShock:
        if self.end_day <= self.start_day:
            raise ValueError("end_day must be after start_day")
        return self


class Demand(Section):
    """Referral arrivals per team: Poisson with optional seasonality and shocks."""

    referrals_per_day: Annotated[float, Field(ge=0.0, le=1000.0)] = 0.44
    mix: dict[str, Probability] = Field(default_factory=lambda: {"assessment": 1.0})
    seasonality_amplitude: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    seasonality_peak_day: Annotated[int, Field(ge=0, lt=260)] = 200
    shocks: list[DemandShock] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _mix_valid(self) -> Demand:
        unknown = sorted(set(self.mix) - set(CASE_TYPES))
        if unknown:
            raise ValueError(f"mix names unknown case types {unknown}; use {CASE_TYPES}")
        total = sum(self.mix.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"mix shares must add up to 1 (got {total:g})")
        return self


class Risk(Section):
    """Latent risk dynamics and the serious-incident hazard."""

    enabled: bool = True
    reversion_per_day: Annotated[float, Field(ge=0.0, le=1.0)] = 0.02
    volatility_per_day: Annotated[float, Field(ge=0.0, le=2.0)] = 0.08
    unmonitored_drift_per_day: Annotated[float, Field(ge=0.0, le=1.0)] = 0.01
    high_risk_threshold: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.5
    incident_rate_per_case_year: PerYear = 0.01
    incident_risk_log_ratio: Annotated[float, Field(ge=0.0, le=20.0)] = 4.0
    incident_overdue_log_ratio: Annotated[float, Field(ge=0.0, le=10.0)] = 0.7
    incident_record_log_ratio: Annotated[float, Field(ge=0.0, le=10.0)] = 0.3
    incident_stress: Probability = 0.15
    notifiable_share: Probability = 0.074
    notifiable_risk_log_ratio: Annotated[float, Field(ge=0.0, le=20.0)] = 2.0


class Allocation(Section):
    """How the manager allocates waiting referrals: caps and what happens at the cap."""

    cap_kind: Literal["none", "count", "weighted"] = "none"
    cap_per_fte: Annotated[float, Field(gt=0.0, le=500.0)] = 18.0
    at_cap: Literal["wait", "breach"] = "wait"
    nqsw_caseload_factor: Annotated[float, Field(gt=0.0, le=1.0)] = 0.8
    max_allocations_per_day: Annotated[int, Field(ge=0, le=10_000)] = 10
    long_term_sick_after_days: Annotated[int, Field(ge=1, le=260)] = 15
    on_long_term_sickness: Literal["reallocate", "uncovered"] = "reallocate"
    order: Literal["risk_first", "first_come", "risk_with_ageing"] = "risk_first"
    ageing_weight_per_day: Annotated[float, Field(ge=0.0, le=1.0)] = 0.003


class FrontDoor(Section):
    """Screening of new referrals: a threshold on observed risk that tightens under pressure."""

    enabled: bool = True
    base_threshold: Probability = 0.02
    waiting_slope: Annotated[float, Field(ge=0.0, le=10.0)] = 0.02
    caseload_slope: Annotated[float, Field(ge=0.0, le=10.0)] = 0.005
    reference_caseload_per_fte: Annotated[float, Field(gt=0.0, le=500.0)] = 18.0
    max_threshold: Probability = 0.3


class ReReferral(Section):
    """Children whose case closed with risk unresolved (or under pressure) referred again."""

    enabled: bool = True
    unresolved_risk: Probability = 0.2
    pressure_caseload_per_fte: Annotated[float, Field(gt=0.0, le=500.0)] = 22.0
    probability: Probability = 0.65
    mean_delay_days: Days = 80.0


class WorkerChanges(Section):
    """Changes of a child's social worker beyond leaving and sickness (on by default).

    Transfers when a case changes type (from the assessment team to a long-term team, into a
    children-in-care team, between child in need and child protection) and the handover of
    cases to a worker who joins (``docs/model.md``, allocation).
    """

    enabled: bool = True
    transfer_after_assessment: Probability = 0.7
    transfer_into_care: Probability = 0.8
    transfer_other: Probability = 0.3
    handover_share: Annotated[float, Field(ge=0.0, le=2.0)] = 1.0


class Work(Section):
    """Working time, its fixed overheads, the cost of tasks and the priority rule."""

    contracted_hours_per_week: Annotated[float, Field(gt=0.0, le=60.0)] = 37.0
    duty_hours_per_week: WeeklyHours = 3.5
    meetings_hours_per_week: WeeklyHours = 2.0
    training_hours_per_week: WeeklyHours = 1.5
    nqsw_protected_share: Probability = 0.1
    travel_hours_per_visit: TaskHours = 0.75
    contact_hours_per_visit: Annotated[float, Field(gt=0.0, le=24.0)] = 1.0
    recording_hours_per_visit: TaskHours = 1.5
    recording_efficiency: Annotated[float, Field(gt=0.0, le=10.0)] = 1.0
    record_out_of_date_after_days: Annotated[int, Field(ge=0, le=260)] = 2
    closure_paperwork_hours: TaskHours = 2.0
    direct_share_of_casework: Probability = 0.2
    minimum_progress_share: Probability = 0.85
    max_unpaid_overtime_hours_per_week: Annotated[float, Field(ge=0.0, le=40.0)] = 12.0
    overtime_share_of_shortfall: Probability = 0.6
    starter_ramp_days: Annotated[int, Field(ge=0, le=260)] = 60
    starter_initial_productivity: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5


class Supervision(Section):
    """Reflective supervision held by the manager, and the manager's span of oversight."""

    enabled: bool = True
    interval_days: Annotated[int, Field(ge=1, le=260)] = 20
    nqsw_interval_days: Annotated[int, Field(ge=1, le=260)] = 10
    session_hours: TaskHours = 1.5
    recording_hours: TaskHours = 0.5
    manager_hours_per_week: Annotated[float, Field(gt=0.0, le=80.0)] = 37.0
    manager_fixed_hours_per_week: WeeklyHours = 12.0
    oversight_hours_per_case_per_week: Annotated[float, Field(ge=0.0, le=40.0)] = 0.08
    span_optimum_cases: Annotated[int, Field(ge=1, le=10_000)] = 65
    audit_hours_per_case: TaskHours = 0.5
    stress_relief: Probability = 0.05


class ManagerLoad(Section):
    """The team manager as a worker under load, whose case reviews reach the children.

    ``mode = "under_load"`` (the default) gives the manager an hours budget (with unpaid overtime
    if allowed), stress and burnout like a social worker's, and a periodic review of every
    allocated case that sets its visit timescale and re-assesses its risk (docs/model.md, "The
    manager under load"). ``"off"`` keeps the manager of the supervision phase alone: hours for
    supervision and audits after oversight, no stress, no case reviews.
    """

    mode: Literal["off", "under_load"] = "under_load"
    review_interval_days: Annotated[int, Field(ge=1, le=260)] = 20
    high_risk_review_interval_days: Annotated[int, Field(ge=1, le=260)] = 5
    review_hours_per_case: TaskHours = 0.25
    unset_timescale_slip_days: Annotated[int, Field(ge=0, le=260)] = 5
    unreviewed_drift_per_day: Annotated[float, Field(ge=0.0, le=1.0)] = 0.01
    max_unpaid_overtime_hours_per_week: Annotated[float, Field(ge=0.0, le=40.0)] = 0.0
    initial_stress: Probability = 0.25


class Support(Section):
    """Admin staff and social work assistants (SWAs) per team."""

    admin_staff: Annotated[float, Field(ge=0.0, le=100.0)] = 0.0
    admin_hours_per_week: WeeklyHours = 37.0
    admin_recording_share: Probability = 0.3
    admin_closure_share: Probability = 0.5
    swa_staff: Annotated[float, Field(ge=0.0, le=100.0)] = 0.0
    swa_hours_per_week: WeeklyHours = 37.0
    swa_max_observed_risk: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.3
    swa_casework_share: Probability = 0.2


class Wellbeing(Section):
    """Stress, its recovery, and burnout (sustained high stress lowering productivity)."""

    enabled: bool = True
    baseline_gain_per_day: PerDay = 0.004
    overload_gain_per_day: PerDay = 0.04
    backlog_gain_per_day: PerDay = 0.01
    backlog_reference_hours: Annotated[float, Field(gt=0.0, le=10_000.0)] = 20.0
    overtime_gain_per_day: PerDay = 0.02
    duty_gain_per_day: PerDay = 0.01
    recovery_per_day: Annotated[float, Field(ge=0.0, le=1.0)] = 0.02
    burnout_threshold: Probability = 0.53
    burnout_onset_days: Annotated[int, Field(ge=1, le=260)] = 10
    burnout_recovery_threshold: Probability = 0.43
    burnout_productivity: Annotated[float, Field(gt=0.0, le=1.0)] = 0.85
    agency_stress_factor: Annotated[float, Field(ge=0.0, le=5.0)] = 0.85


class Exhaustion(Section):
    """Career-stage and individual effects on the stress (exhaustion) score (on by default).

    ``docs/model.md`` (wellbeing) gives the equations: a worker's stress input is scaled by its
    own susceptibility, by ASYE support that fades over the second year of practice and by the
    demand of practice without experience, from qualifying to the 3rd year, fading over the 4th;
    experienced hires bring the exhaustion of
    the job they come from instead of starting at 0.
    """

    enabled: bool = True
    susceptibility_sigma: Annotated[float, Field(ge=0.0, le=3.0)] = 0.3
    asye_support: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    early_career_demand: Annotated[float, Field(ge=0.0, le=5.0)] = 0.6
    hire_carry_share: Probability = 1.0


class Sickness(Section):
    """Sickness spells: short and long spells, worker frailty and the stress link."""

    enabled: bool = True
    short_spells_per_year: PerYear = 0.9
    short_spell: Duration = Duration(kind="lognormal", median_days=2.0, sigma=0.5, max_days=5.0)
    long_spells_per_year: PerYear = 0.105
    long_spell: Duration = Duration(
        kind="lognormal", median_days=30.0, sigma=0.8, min_days=20.0, max_days=260.0
    )
    frailty_shape: Annotated[float, Field(gt=0.0, le=1000.0)] = 1.5
    stress_log_ratio: Annotated[float, Field(ge=0.0, le=10.0)] = 1.5
    return_policy: Literal["normal", "phased", "duty_every_day"] = "phased"
    return_period_days: Annotated[int, Field(ge=0, le=260)] = 15
    phased_return_capacity: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5


class StaffCut(Section):
    """Remove posts across the organisation on a given day (vacant first, then newest staff).

    Give either ``posts`` (a number) or ``share`` (a fraction of the active establishment).
    """

    day: DayNumber
    posts: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    share: Annotated[float, Field(gt=0.0, le=1.0)] | None = None

    @model_validator(mode="after")
    def _one_size(self) -> StaffCut:
        if (self.posts is None) == (self.share is None):
            raise ValueError("give exactly one of posts or share")
        return self


class Staffing(Section):
    """Leaving, vacancies, recruitment, agency backfill, cuts and freezes."""

    attrition_enabled: bool = True
    leave_rate_per_year: PerYear = 0.068
    agency_leave_rate_per_year: PerYear = 0.4
    burnout_leave_ratio: Annotated[float, Field(ge=1.0, le=20.0)] = 1.8
    stress_leave_log_ratio: Annotated[float, Field(ge=0.0, le=10.0)] = 0.5
    early_career_leave_ratio: Annotated[float, Field(ge=0.0, le=10.0)] = 1.3
    retention_pay_leave_ratio: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    recruitment: Duration = Duration(kind="exponential", mean_days=460.0)
    agency_backfill: bool = True
    agency_cover_probability: Probability = 0.95
    agency_delay: Duration = Duration(kind="gamma", mean_days=15.0, shape=3.0)
    agency_experience_years: Annotated[float, Field(ge=0.0, le=50.0)] = 5.0
    new_starter_nqsw_share: Probability = 0.4
    cuts: list[StaffCut] = Field(default_factory=list, max_length=100)
    vacancy_freeze_start_day: DayNumber | None = None
    vacancy_freeze_end_day: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = None

    @model_validator(mode="after")
    def _freeze_ordered(self) -> Staffing:
        start, end = self.vacancy_freeze_start_day, self.vacancy_freeze_end_day
        if end is not None and (start is None or end <= start):
            raise ValueError("vacancy_freeze_end_day needs a vacancy_freeze_start_day before it")
        return self


class Costs(Section):
    """Annual employment costs (salary plus on-costs) in pounds."""

    social_worker_per_year: Pounds = 52_000.0
    manager_per_year: Pounds = 68_000.0
    swa_per_year: Pounds = 34_000.0
    admin_per_year: Pounds = 29_000.0
    agency_premium: Annotated[float, Field(ge=0.0, le=5.0)] = 0.45
    retention_pay_per_worker_year: Pounds = 0.0


class Scenario(Section):
    """A whole scenario: what a scenario TOML file holds once inheritance is resolved."""

    name: str = Field(default="unnamed", min_length=1, max_length=120)
    description: str = ""
    teaching_notes: str = ""
    #: A short guided sequence for a class ("Press Play to day 130; now raise admin support"),
    #: shown by the dashboard beside the teaching notes; not read by the model.
    teaching_steps: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=8
    )
    simulation: Simulation = Simulation()
    limits: Limits = Limits()  # before team and demand, whose validators read it
    team: Team = Team()
    case_types: dict[str, CaseType] = Field(default_factory=_default_case_types)
    demand: Demand = Demand()
    risk: Risk = Risk()
    allocation: Allocation = Allocation()
    front_door: FrontDoor = FrontDoor()
    re_referral: ReReferral = ReReferral()
    worker_changes: WorkerChanges = WorkerChanges()
    work: Work = Work()
    supervision: Supervision = Supervision()
    manager: ManagerLoad = ManagerLoad()
    support: Support = Support()
    wellbeing: Wellbeing = Wellbeing()
    exhaustion: Exhaustion = Exhaustion()
    sickness: Sickness = Sickness()
    staffing: Staffing = Staffing()
    costs: Costs = Costs()

    @model_validator(mode="before")
    @classmethod
    def _merge_case_types(cls, data: object) -> object:
        """Let a file override one field of one case type without restating the rest."""
        if isinstance(data, dict) and isinstance(data.get("case_types"), dict):
            defaults = {k: v.model_dump() for k, v in _default_case_types().items()}
            data = {**data, "case_types": deep_merge(defaults, data["case_types"])}
        return data

    @field_validator("team")
    @classmethod
    def _team_within_limits(cls, team: Team, info: ValidationInfo) -> Team:
        """Posts and worker-day rows, checked before anything is built."""
        limits, simulation = info.data.get("limits"), info.data.get("simulation")
        if limits is None:
            return team  # the limits' own error is reported
        posts = team.n_teams * team.social_worker_posts
        if posts > limits.max_posts:
            raise ValueError(
                f"{posts:,} social-worker posts (n_teams={team.n_teams} × social_worker_posts="
                f"{team.social_worker_posts}) are more than the limit of {limits.max_posts:,}; "
                f"{_raise_it('max_posts', posts)} (got {posts})"
            )
        if simulation is not None and simulation.collect_worker_days:
            rows = posts * simulation.days
            if rows > limits.max_worker_day_rows:
                raise ValueError(
                    f"{posts:,} posts × {simulation.days:,} days = {rows:,} worker-day rows "
                    f"(n_teams={team.n_teams}, social_worker_posts={team.social_worker_posts}) "
                    f"are more than the limit of {limits.max_worker_day_rows:,}; set "
                    "simulation.collect_worker_days = false, or "
                    f"{_raise_it('max_worker_day_rows', rows)} (got {rows})"
                )
        return team

    @field_validator("demand")
    @classmethod
    def _cases_within_limits(cls, demand: Demand, info: ValidationInfo) -> Demand:
        """Cases in one replication, and the table rows a run keeps, checked before it starts.

        The table rows only when the command keeps tables (see :func:`tables_not_kept`).
        """
        limits, simulation, team = (info.data.get(k) for k in ("limits", "simulation", "team"))
        if limits is None or simulation is None or team is None:
            return demand  # their own errors are reported
        size = organisation_size(simulation, team, demand)
        if size["cases"] > limits.max_cases:
            raise ValueError(
                f"about {size['cases']:,} cases in a replication ({size['posts']:,} posts × "
                f"initial_cases_per_fte={simulation.initial_cases_per_fte:g} on day 0, plus "
                f"{team.n_teams} team{'s' if team.n_teams != 1 else ''} × referrals_per_day="
                f"{demand.referrals_per_day:g} × "
                f"{simulation.days:,} days) are more than the limit of {limits.max_cases:,}; "
                f"{_raise_it('max_cases', size['cases'])} (got {size['cases']})"
            )
        if _KEEPS_TABLES.get() and size["table_rows"] > limits.max_table_rows:
            rows = size["cases"] + size["worker_day_rows"]
            raise ValueError(
                f"{simulation.replications:,} replications × about {rows:,} case and "
                f"worker-day rows = {size['table_rows']:,} rows kept in memory are more than "
                f"the limit of {limits.max_table_rows:,}; run fewer replications, set "
                "simulation.collect_worker_days = false, or "
                f"{_raise_it('max_table_rows', size['table_rows'])} (got {size['table_rows']})"
            )
        return demand

    @model_validator(mode="after")
    def _case_types_complete(self) -> Scenario:
        unknown = sorted(set(self.case_types) - set(CASE_TYPES))
        if unknown:
            raise ValueError(f"case_types names unknown types {unknown}; use {CASE_TYPES}")
        missing = sorted(set(CASE_TYPES) - set(self.case_types))
        if missing:
            raise ValueError(f"case_types lacks {missing}")
        return self
