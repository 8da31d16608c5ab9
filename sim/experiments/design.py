"""Design points of an experiment: the factor values to run, and the scenario of each.

A full grid is the product of each factor's values. Latin hypercube, Sobol' and Morris samples
come from SALib, drawn with the design's seed, so the same experiment file gives the same
points on any machine. Integer settings (posts, days) are rounded after sampling; SALib's
analysis is given its own unrounded sample, as its estimators expect. For Latin hypercube and
Sobol' designs an integer factor's index therefore describes its rounded values; for Morris the
experiment file must put an integer factor's levels on whole numbers (checked when it is
loaded), so rounding changes no step.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.experiment import Experiment, Factor, factor_kind, load_experiment
from sim.scenario.loading import ScenarioError, load_scenario, with_overrides
from sim.scenario.schema import Scenario, tables_not_kept

#: At most this many failing design points are listed in an error; the rest are counted.
MAX_POINT_PROBLEMS = 5


@dataclass(frozen=True)
class Plan:
    """An experiment's design: factor values per point, the SALib problem, the scenarios."""

    experiment: Experiment
    values: pd.DataFrame  # one row per point, one column per factor label: the values run
    matrix: np.ndarray  # points × factors as SALib sampled them (unrounded), for its analysis
    problem: dict[str, Any]  # SALib's problem: names and bounds
    configs: tuple[Scenario, ...]

    @property
    def labels(self) -> list[str]:
        """Factor labels, in file order."""
        return [f.label for f in self.experiment.factors]


def design_matrix(experiment: Experiment) -> tuple[pd.DataFrame, np.ndarray, dict[str, Any]]:
    """The design's points as values (typed per factor) and as a float matrix."""
    factors = experiment.factors
    design = experiment.design
    labels = [f.label for f in factors]
    seed = design.seed if design.seed is not None else (experiment.seed or 0)
    problem: dict[str, Any] = {"num_vars": len(factors), "names": labels, "bounds": []}
    if design.method == "grid":
        levels = [_grid_levels(f, design.levels) for f in factors]
        rows = list(itertools.product(*levels))
        values = pd.DataFrame(rows, columns=labels)
        problem["bounds"] = [[_as_float(min(v)), _as_float(max(v))] for v in levels]
    else:
        problem["bounds"] = [[float(f.low), float(f.high)] for f in factors]  # type: ignore[arg-type]
        raw = _salib_sample(experiment, problem, seed)
        values = pd.DataFrame(
            {f.label: _typed(raw[:, i], factor_kind(f)) for i, f in enumerate(factors)}
        )
        return values, raw, problem  # SALib analyses its own sample, before any rounding
    matrix = np.column_stack([values[label].map(_as_float).to_numpy(float) for label in labels])
    return values, matrix, problem


def design_size(experiment: Experiment) -> tuple[int, str]:
    """How many points the design has, and how that count arises, without building any."""
    design, factors = experiment.design, experiment.factors
    n, dims = design.samples or 0, len(factors)
    if design.method == "grid":
        counts = [_level_count(f, design.levels) for f in factors]
        return math.prod(counts), " × ".join(f"{c:,}" for c in counts) + " values"
    if design.method == "lhs":
        return n, f"samples = {n:,}"
    if design.method == "sobol":
        per = 2 * dims + 2 if design.second_order else dims + 2
        formula = "2D+2" if design.second_order else "D+2"
        return n * per, f"N = {n:,} × ({formula} = {per})"
    return n * (dims + 1), f"{n:,} trajectories × (D+1 = {dims + 1})"


def size_problems(experiment: Experiment, source: str) -> list[str]:
    """The design's points and runs against ``experiment.limits``, one line per excess."""
    limits = experiment.limits
    points, how = design_size(experiment)
    if points > limits.max_points:
        return [
            f"{source}: design: the {experiment.design.method} design has {points:,} points "
            f"({how}), more than the limit of {limits.max_points:,}; raise limits.max_points "
            f"in the experiment file if the machine has the time and memory (got {points})"
        ]
    reps = experiment.replications
    if points * reps > limits.max_runs:
        return [
            f"{source}: replications: {points:,} points × {reps:,} replications = "
            f"{points * reps:,} runs, more than the limit of {limits.max_runs:,}; give fewer "
            f"replications (or --reps), or raise limits.max_runs in the experiment file "
            f"(got {points * reps})"
        ]
    return []


def plan(experiment: Experiment, base: Scenario, source: str) -> Plan:
    """Every design point as a validated scenario, once the design's size is within its limits.

    Raises:
        ScenarioError: A design beyond its limits, or points the scenario schema rejects, named
            by file, factor and value.
    """
    too_large = size_problems(experiment, source)
    if too_large:
        raise ScenarioError(too_large)
    values, matrix, problem = design_matrix(experiment)
    configs: list[Scenario] = []
    problems: list[str] = []
    failing = 0
    for index, row in enumerate(values.to_dict("records")):  # keeps each column's type
        settings = [
            f"{factor.key}={toml_literal(row[factor.label])}" for factor in experiment.factors
        ]
        try:
            with tables_not_kept():  # a sweep keeps a summary per run, not its tables
                configs.append(with_overrides(base, settings=[*experiment.set, *settings]))
        except ScenarioError as exc:
            failing += 1
            if failing <= MAX_POINT_PROBLEMS:
                point = ", ".join(f"{label}={toml_literal(row[label])}" for label in values)
                problems += [
                    f"{source}: design point {index} ({point}): {line.removeprefix('--set: ')}"
                    for line in exc.problems
                ]
    if failing > MAX_POINT_PROBLEMS:
        problems.append(f"{source}: ... and {failing - MAX_POINT_PROBLEMS} more design points")
    if problems:
        raise ScenarioError(problems)
    return Plan(experiment, values, matrix, problem, tuple(configs))


def load_plan(path: str, reps: int | None = None) -> Plan:
    """The experiment file's design with every point validated.

    Raises:
        ScenarioError: The experiment, its base scenario or a design point is malformed.
    """
    experiment, base_path = load_experiment(path)
    if reps is not None:
        experiment = experiment.model_copy(update={"replications": reps})
    try:
        with tables_not_kept():  # bounded by limits.max_runs and max_points instead
            base = load_scenario(
                _relative(base_path),
                experiment.set,
                days=experiment.days,
                replications=experiment.replications,
                seed=experiment.seed,
            )
    except ScenarioError as exc:  # name the experiment file, not a command-line flag
        keys = {"--set": "set", "--days": "days", "--reps": "replications", "--seed": "seed"}
        flag = re.compile(r"^(--set|--days|--reps|--seed): ")
        lines = [flag.sub(lambda m: f"{path}: {keys[m[1]]}: ", line) for line in exc.problems]
        raise ScenarioError(lines) from None
    return plan(experiment, base, path)


def _relative(path: Path) -> str:
    """A path relative to the working directory when it is inside it (for messages)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def toml_literal(value: Any) -> str:
    """A value as TOML for a ``--set``: ``true``, ``3``, ``0.25``, ``"count"``."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return json.dumps(str(value))


def _level_count(factor: Factor, levels: int) -> int:
    """A grid factor's number of values: its list's length, or its range's distinct levels."""
    if factor.values is not None:
        return len(factor.values)
    return len(_grid_levels(factor, levels))  # at most ``levels`` (100), so cheap to build


def _grid_levels(factor: Factor, levels: int) -> list[Any]:
    kind = factor_kind(factor)
    if factor.values is not None:
        return [_cast(v, kind) for v in factor.values]
    points = np.linspace(float(factor.low), float(factor.high), levels)  # type: ignore[arg-type]
    return list(dict.fromkeys(_typed(points, kind)))


def _salib_sample(experiment: Experiment, problem: dict[str, Any], seed: int) -> np.ndarray:
    from SALib.sample import latin, morris, sobol

    design = experiment.design
    n = int(design.samples)  # type: ignore[arg-type]
    if design.method == "lhs":
        return latin.sample(problem, n, seed=seed)
    if design.method == "sobol":
        return sobol.sample(problem, n, calc_second_order=design.second_order, seed=seed)
    return morris.sample(problem, n, num_levels=design.levels, seed=seed)


def _typed(column: np.ndarray, kind: type) -> list[Any]:
    if kind is int:
        return [int(value) for value in np.rint(column)]
    return [float(v) for v in column]


def _cast(value: Any, kind: type) -> Any:
    """A listed value as its setting's type, so ``16`` for a float setting runs as ``16.0``."""
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _as_float(value: Any) -> float:
    """Numbers as themselves; booleans as 0/1; text by its position is not numeric (NaN)."""
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return float("nan")
