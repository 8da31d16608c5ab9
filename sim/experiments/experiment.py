"""Experiment files: which scenario to vary, which factors, by what design, measuring what.

An experiment file (TOML) names a base scenario, the factors (levers a planner controls and
uncertain parameters) with their values or ranges, a design (full grid, Latin hypercube, or
SALib's Sobol' or Morris samples), the replications and the outcomes. It is validated like a
scenario file: unknown keys, wrong types, factor keys the scenario does not have and values the
scenario schema rejects are each reported as one ``FILE: key: problem`` line before anything
runs. The design's every point is then a validated scenario.

Example::

    name = "cap_x_admin"
    scenario = "../scenarios/baseline.toml"   # relative to this file
    replications = 10
    outcomes = ["overdue_visit_case_days", "burnout_prevalence"]

    [design]
    method = "grid"

    [[factors]]
    key = "allocation.cap_per_fte"
    values = [12.0, 16.0, 20.0]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.engine.metrics import METRIC_KEYS
from sim.scenario.levers import registered
from sim.scenario.loading import (
    ScenarioError,
    dotted_key,
    file_problem,
    read_toml,
    setting_suggestion,
    setting_type,
    shown_path,
)

#: Outcomes analysed when an experiment file does not name its own (``docs/experiments.md``):
#: risk to service users (overdue visits, unallocated case-days, serious incidents), the
#: workforce (burnout, sickness absence, leavers) and cost. Each is declared, with its unit and
#: which way is better, in ``sim/engine/metrics.py``.
DEFAULT_OUTCOMES: tuple[str, ...] = (
    "overdue_visit_case_days",
    "unallocated_case_days",
    "serious_incidents",
    "burnout_prevalence",
    "sickness_absence_rate",
    "leavers",
    "staff_cost_total",
)

Scalar = float | int | bool | str

#: Smallest Sobol' base sample (a power of two) and Latin hypercube size accepted.
MIN_SOBOL = 8
MIN_LHS = 30
#: Harmonics RBD-FAST uses (SALib's default M); it needs more than 2M points.
RBD_FAST_HARMONICS = 10


#: Statistics of each outcome in ``points.parquet``: ``<outcome>_<statistic>`` columns.
OUTCOME_STATISTICS: tuple[str, ...] = ("mean", "ci95_low", "ci95_high", "sd", "n")

#: Column names of ``runs.parquet`` and ``points.parquet`` besides the factors'; a factor named
#: like one would overwrite it, so such names are refused.
RESERVED_NAMES: frozenset[str] = frozenset(
    {"point", "replication", "seed", *METRIC_KEYS}
    | {f"{key}_{statistic}" for key in METRIC_KEYS for statistic in OUTCOME_STATISTICS}
)


def _value_kind(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true/false"
    return "text" if isinstance(value, str) else "numbers"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Factor(_Strict):
    """One thing varied: a scenario key and either its values or its range.

    A key registered in ``sim/scenario/levers.py`` may come alone: the factor then takes the
    registry's range (or, for a choice or an on/off setting, every allowed value) and role.
    """

    key: str = Field(min_length=1, description="scenario key, as for --set: a.b or a.b[0].c")
    name: str | None = Field(None, description="label in tables and plots (default: key)")
    role: Literal["lever", "uncertain"] = "lever"
    values: list[Scalar] | None = Field(None, min_length=1, max_length=1000)
    low: float | None = None
    high: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_registry(cls, data: Any) -> Any:
        """Fill in a registered key's range (or values) and role where the file gives none."""
        if not isinstance(data, dict) or not isinstance(data.get("key"), str):
            return data
        parameter = registered(data["key"])
        if parameter is None:
            return data
        filled = dict(data)
        filled.setdefault("role", "lever" if parameter.role == "lever" else "uncertain")
        if all(filled.get(name) is None for name in ("values", "low", "high")):
            if parameter.range is not None:
                filled["low"], filled["high"] = (float(v) for v in parameter.range)
            elif parameter.choices:
                filled["values"] = list(parameter.choices)
        return filled

    @model_validator(mode="after")
    def _values_or_range(self) -> Factor:
        has_range = self.low is not None or self.high is not None
        if self.values is not None and has_range:
            raise ValueError("give values or low and high, not both")
        if self.values is None and (self.low is None or self.high is None):
            raise ValueError("give values, or both low and high")
        if has_range and self.low is not None and self.high is not None and self.low >= self.high:
            raise ValueError(f"low must be below high (got low={self.low}, high={self.high})")
        kinds = sorted({_value_kind(value) for value in self.values or ()})
        if len(kinds) > 1:
            raise ValueError(
                f"values mix {' and '.join(kinds)}; a factor's values must all be of one kind, "
                f"that of its setting (got {self.values})"
            )
        return self

    @property
    def label(self) -> str:
        """The factor's name in tables and plots."""
        return self.name or self.key


class Design(_Strict):
    """How points are chosen from the factors."""

    method: Literal["grid", "lhs", "sobol", "morris"]
    samples: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        None,
        description="lhs: points; sobol: base sample N (points = N(D+2)); morris: trajectories",
    )
    levels: Annotated[int, Field(ge=2, le=100)] = Field(
        4, description="morris: grid levels; grid: levels of a factor given as low/high"
    )
    second_order: bool = Field(False, description="sobol: also estimate second-order indices")
    seed: Annotated[int, Field(ge=0)] | None = Field(None, description="sampling seed")

    @model_validator(mode="after")
    def _samples_needed(self) -> Design:
        """Sample sizes the estimators need; smaller ones give confident nonsense."""
        n = self.samples
        if self.method != "grid" and n is None:
            raise ValueError(f"method {self.method!r} needs samples")
        if self.method == "sobol" and n is not None and (n < MIN_SOBOL or n & (n - 1)):
            raise ValueError(
                f"sobol samples must be a power of two of at least {MIN_SOBOL} (Sobol' "
                f"sequences are balanced only then; got {n}: try {_power_of_two_near(n)})"
            )
        if self.method == "lhs" and n is not None and n < MIN_LHS:
            raise ValueError(
                f"lhs samples must be at least {MIN_LHS} (RBD-FAST needs more than "
                f"{2 * RBD_FAST_HARMONICS} points to separate factors; got {n})"
            )
        if self.method == "morris" and n is not None and n < 2:
            raise ValueError(f"morris samples (trajectories) must be at least 2 (got {n})")
        if self.method == "morris" and self.levels % 2:
            raise ValueError(f"morris levels must be even (got {self.levels})")
        return self


class DesignLimits(_Strict):
    """Ceilings on a design's size, checked before any point is built.

    Each point is a validated scenario (about 30 kB) and each run keeps its metrics, so a grid
    of 3 factors × 1,000 values (10⁹ points) must be refused, not attempted.
    """

    max_points: Annotated[int, Field(ge=1, le=10_000_000)] = 10_000
    max_runs: Annotated[int, Field(ge=1, le=100_000_000)] = 100_000


class Experiment(_Strict):
    """A validated experiment file."""

    name: str = Field(min_length=1)
    description: str = ""
    scenario: str = Field(min_length=1, description="base scenario, relative to this file")
    replications: Annotated[int, Field(ge=1, le=10_000)] = 10
    seed: Annotated[int, Field(ge=0)] | None = None
    days: Annotated[int, Field(ge=1)] | None = None
    set: list[str] = Field(default_factory=list, description="fixed --set overrides")
    outcomes: list[str] = Field(default_factory=lambda: list(DEFAULT_OUTCOMES), min_length=1)
    design: Design
    factors: list[Factor] = Field(min_length=1, max_length=50)
    limits: DesignLimits = DesignLimits()

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        unknown = [o for o in self.outcomes if o not in METRIC_KEYS]
        if unknown:
            raise ValueError(f"outcomes: unknown metric(s) {unknown}; known: {list(METRIC_KEYS)}")
        repeated = sorted({o for o in self.outcomes if self.outcomes.count(o) > 1})
        if repeated:
            raise ValueError(f"outcomes: each outcome may be listed once (got {repeated} twice)")
        for index, factor in enumerate(self.factors):
            if factor.label in RESERVED_NAMES:
                field = "name" if factor.name is not None else "key"
                raise ValueError(
                    f"factors[{index}].{field}: {factor.label!r} is the name of a column the "
                    "sweep writes (runs.parquet: point, replication, seed and every metric; "
                    "points.parquet: <outcome>_mean, _ci95_low, _ci95_high, _sd, _n); give "
                    f"the factor another name (got {factor.label!r})"
                )
        labels = [f.label for f in self.factors]
        if len(set(labels)) != len(labels):
            raise ValueError(f"factors: two factors share a name (got {labels})")
        keys = [f.key.replace(" ", "") for f in self.factors]
        for index, key in enumerate(keys):
            if key in keys[:index]:
                first = keys.index(key)
                raise ValueError(
                    f"factors[{index}].key: {key} is already factors[{first}]; one setting can "
                    "be one factor only"
                )
        if self.design.method != "grid":
            listed = [f.label for f in self.factors if f.values is not None]
            if listed:
                raise ValueError(
                    f"factors: method {self.design.method!r} samples ranges; give low and high "
                    f"instead of values for {listed}"
                )
        return self


def _power_of_two_near(n: int) -> str:
    below = max(MIN_SOBOL, 1 << max(0, n.bit_length() - 1))
    return f"{below} or {below * 2}" if below < n else str(below)


def load_experiment(path: str | os.PathLike[str]) -> tuple[Experiment, Path]:
    """Read and validate an experiment file; return it and its base scenario's path.

    Raises:
        ScenarioError: One ``FILE: key: problem`` line per problem.
    """
    shown = shown_path(path)
    data = read_toml(path)
    try:
        experiment = Experiment.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([_line(shown, error) for error in exc.errors()]) from None
    problems = []
    for index, factor in enumerate(experiment.factors):
        kind = setting_type(factor.key)
        where = f"{shown}: factors[{index}].key"
        if kind is None:
            problems.append(
                f"{where}: not a scenario setting{setting_suggestion(factor.key)} "
                f"(got {factor.key!r})"
            )
        elif kind not in (int, float, bool, str):
            problems.append(f"{where}: {factor.key} is a table, not a value (got {factor.key!r})")
        elif factor.values is None and kind not in (int, float):
            problems.append(
                f"{where}: {factor.key} holds {kind.__name__} values; give values, not a range"
            )
        elif (
            kind is int
            and experiment.design.method == "morris"
            and not _whole_steps(factor, experiment.design.levels)
        ):
            steps = experiment.design.levels - 1
            problems.append(
                f"{shown}: factors[{index}]: {factor.key} is a whole number, so Morris needs "
                f"whole-number low and high {steps} equal steps apart (levels = "
                f"{experiment.design.levels}; got low={factor.low}, high={factor.high})"
            )
    base = Path(path).parent / experiment.scenario
    problem = file_problem(base)
    if problem is None:
        base = base.resolve()
    else:
        named = os.path.normpath(
            os.path.join(os.path.dirname(os.fsdecode(path)), experiment.scenario)
        )
        problems.append(f"{shown}: scenario: {problem}: {shown_path(named)}")
    if problems:
        raise ScenarioError(problems)
    return experiment, base


def _whole_steps(factor: Factor, levels: int) -> bool:
    """Whether a range's Morris levels are whole numbers, so rounding changes no step."""
    low, high = factor.low, factor.high
    if low is None or high is None or low != int(low) or high != int(high):
        return False
    return (int(high) - int(low)) % (levels - 1) == 0


def factor_kind(factor: Factor) -> type:
    """The Python type of the factor's scenario key (int factors are rounded)."""
    kind = setting_type(factor.key)
    return kind if kind in (int, float, bool, str) else float


def _line(shown: str, error: Any) -> str:
    loc = dotted_key(error["loc"], empty="")
    message = error["msg"].removeprefix("Value error, ")
    kind = error["type"]
    where = f"{shown}: {loc}" if loc else shown
    if kind == "extra_forbidden":
        return f"{where}: unknown key"
    if kind == "missing" or "(got " in message or kind == "value_error":
        return f"{where}: {message}"
    return f"{where}: {message} (got {error.get('input')!r})"
