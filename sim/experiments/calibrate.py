"""Fitting scenario parameters to the calibration targets (``caseload calibrate``).

The fit minimises :func:`sim.experiments.targets.objective`, the weighted sum of squared
standardised deviations of replication means from the targets' central values, over a box of
parameter
values. Every evaluation runs the same replications (the same master seed, so the same
per-replication seeds: common random numbers), which makes the objective a deterministic
function of the parameters and much smoother than independent runs would. The optimiser
(scipy's Nelder-Mead or Powell, in coordinates scaled to ``[0, 1]`` per parameter) is
deterministic too, so a calibration is reproducible from its seed, and since a replication's
result depends only on its seed it is the same whatever the number of Dask workers.

Evaluations are cached on disk, keyed by the evaluated scenario, replications, seed and model
source, so an interrupted calibration rerun with the same settings replays the optimiser through
the cache and continues where it stopped. After the search, the best parameters are run again on
an independent master seed (the *check*), and so is the starting point: the search minimised the
objective for one sample of random numbers, so the check shows whether the fit beats the start on
another.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import stat
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from scipy import optimize

from sim.engine.metrics import METRICS
from sim.experiments.calibrate_options import (
    DEFAULT_MAX_EVALS,
    DEFAULT_METHOD,
    DEFAULT_REPS,
    DEFAULT_SOURCE,
    METHODS,
    SEARCH_RANGES,
)
from sim.experiments.targets import TARGETS, TARGETS_BY_METRIC, Target, objective
from sim.outputs.files import jsonable
from sim.runs.batch import RunRecord, run_batch, specs_for
from sim.runs.checkpoint import source_fingerprint
from sim.runs.cluster import dask_client
from sim.runs.replications import summarise
from sim.scenario.loading import (
    ScenarioError,
    dotted_key,
    file_problem,
    read_toml,
    scenario_to_toml,
    shown_path,
    with_overrides,
)
from sim.scenario.schema import Scenario, tables_not_kept

#: The first Nelder-Mead simplex steps this share of each parameter's search range from the start.
INITIAL_STEP = 0.1
#: The search stops when the simplex (or Powell's line search) is this small, as a share of
#: each range, and the objective changes by less than OBJECTIVE_TOLERANCE.
POSITION_TOLERANCE = 0.005
OBJECTIVE_TOLERANCE = 0.01

#: Parameter values are rounded to this many significant figures before they are run, so the
#: fitted scenario file holds exactly the values that were evaluated.
SIGNIFICANT_FIGURES = 6


# --- the calibration file ----------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class ParameterSpec(_Strict):
    """One ``[[parameters]]`` entry: a dotted scenario key and its search range."""

    key: str = Field(min_length=1, max_length=200)
    low: float | None = None
    high: float | None = None
    start: float | None = None


class CalibrationSpec(_Strict):
    """A calibration file: what to fit, against which targets, with what budget.

    Every field is optional except ``parameters``; command-line flags override the file.
    """

    scenario: str | None = Field(default=None, min_length=1)
    parameters: list[ParameterSpec] = Field(min_length=1, max_length=10)
    weights: dict[str, Annotated[float, Field(ge=0.0, le=1000.0)]] = Field(default_factory=dict)
    reps: Annotated[int, Field(ge=2, le=10_000)] | None = None
    days: Annotated[int, Field(ge=1, le=26_000)] | None = None
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = None
    max_evals: Annotated[int, Field(ge=1, le=10_000)] | None = None
    method: Literal[METHODS] | None = None
    check_reps: Annotated[int, Field(ge=0, le=10_000)] | None = None

    @field_validator("check_reps")
    @classmethod
    def _no_lone_check(cls, value: int | None) -> int | None:
        if value == 1:
            raise ValueError("must be 0 (no check) or at least 2, so each mean has an interval")
        return value


def load_calibration(path: str | os.PathLike[str]) -> CalibrationSpec:
    """Read and validate a calibration TOML file.

    A relative ``scenario`` path is resolved against the file's directory.

    Raises:
        ScenarioError: One ``FILE: key: problem (got X)`` line per problem.
    """
    display = shown_path(path)
    data = read_toml(path)
    try:
        spec = CalibrationSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([_error_line(display, error) for error in exc.errors()]) from None
    problems = [
        f"{display}: weights.{metric}: not a calibration target"
        f"{_suggest(metric, TARGETS_BY_METRIC)}"
        for metric in spec.weights
        if metric not in TARGETS_BY_METRIC
    ]
    if spec.weights and not problems and not any(_weights(spec.weights).values()):
        problems.append(f"{display}: weights: every target has weight 0; nothing to fit")
    if problems:
        raise ScenarioError(problems)
    if spec.scenario is not None and not Path(spec.scenario).is_absolute():
        joined = os.path.normpath(os.path.join(os.path.dirname(os.fsdecode(path)), spec.scenario))
        spec = spec.model_copy(update={"scenario": joined})
    if spec.scenario is not None and (problem := file_problem(spec.scenario)) is not None:
        raise ScenarioError([f"{display}: scenario: {problem}: {shown_path(spec.scenario)}"])
    return spec


def _error_line(source: str, error: Any) -> str:
    loc = dotted_key(tuple(error["loc"]), empty="(file)")
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        model = ParameterSpec if "parameters" in error["loc"][:1] else CalibrationSpec
        return f"{source}: {loc}: unknown key{_suggest(str(error['loc'][-1]), model.model_fields)}"
    if error["type"] == "missing":
        return f"{source}: {loc}: {message}"
    return f"{source}: {loc}: {message} (got {error.get('input')!r})"


def _suggest(name: str, choices: Any) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _weights(given: Mapping[str, float]) -> dict[str, float]:
    """Weight of every target: as given, else 1."""
    return {t.metric: float(given.get(t.metric, 1.0)) for t in TARGETS}


# --- parameters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FittedParameter:
    """A parameter to fit: its dotted scenario key, search range and starting value."""

    key: str
    low: float
    high: float
    start: float


def parse_params(text: str) -> list[ParameterSpec]:
    """Parse ``--params``: comma-separated ``key`` or ``key=LOW:HIGH`` items.

    Raises:
        ScenarioError: ``--params: ...`` lines for malformed items.
    """
    specs, problems = [], []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            problems.append(f"--params: empty item (got {text!r})")
            continue
        key, sep, bounds = item.partition("=")
        key = key.strip()
        if not key or len(key) > 200:
            problems.append(f"--params: expected KEY or KEY=LOW:HIGH (got {item!r})")
            continue
        if not sep:
            specs.append(ParameterSpec(key=key))
            continue
        low_text, colon, high_text = bounds.partition(":")
        try:
            if not colon:
                raise ValueError
            low, high = float(low_text), float(high_text)
            if not (math.isfinite(low) and math.isfinite(high)):
                raise ValueError
        except ValueError:
            problems.append(f"--params: {key}: expected key=LOW:HIGH with numbers (got {item!r})")
            continue
        specs.append(ParameterSpec(key=key, low=low, high=high))
    if problems:
        raise ScenarioError(problems)
    return specs


def resolve_parameters(
    specs: Sequence[ParameterSpec], config: Scenario, source: str
) -> list[FittedParameter]:
    """Check each parameter against the scenario and fill in documented ranges and starts.

    Args:
        specs: The parameters as written in a calibration file or ``--params``.
        config: The scenario to calibrate; a parameter starts at its value there by default.
        source: Names the specs' origin in error lines (a file name, or ``--params``).

    Returns:
        The parameters with ranges and starting values.

    Raises:
        ScenarioError: One line per problem: an unknown or non-numeric key, a repeated key, a
            missing or reversed range, a range the scenario schema does not allow, or a start
            outside the range.
    """
    fitted = _real_parameters(config)
    problems: list[str] = []
    parameters: list[FittedParameter] = []
    seen: set[str] = set()
    for i, spec in enumerate(specs):
        key = spec.key

        def at(name: str, i: int = i, key: str = key) -> str:
            if source in ("--params", DEFAULT_SOURCE):
                return f"{source}: {key}"
            return f"{source}: parameters[{i}].{name}"

        if key in seen:
            problems.append(f"{at('key')}: {key} is named twice")
            continue
        seen.add(key)
        if key not in fitted:
            problems.append(f"{at('key')}: {_why_not_fittable(config, key, fitted)} (got {key!r})")
            continue
        documented = SEARCH_RANGES.get(key)
        low = spec.low if spec.low is not None else documented.low if documented else None
        high = spec.high if spec.high is not None else documented.high if documented else None
        if documented and spec.start is None and spec.low is None and spec.high is None:
            # a documented range is about the baseline team; a scenario set elsewhere (a busier
            # area) widens it to keep its own value inside, with a margin either side
            value = fitted[key]
            if not low <= value <= high:
                wider_low, wider_high = min(low, value * 0.7), max(high, value * 1.4)
                low = low if _schema_problem(config, key, wider_low) else wider_low
                high = high if _schema_problem(config, key, wider_high) else wider_high
        if low is None or high is None:
            problems.append(
                f"{at('low')}: {key} has no documented search range; give low and high "
                f"(documented: {', '.join(SEARCH_RANGES)})"
            )
            continue
        if not low < high:
            problems.append(f"{at('high')}: must be greater than low (got low={low}, high={high})")
            continue
        bad_bound = False
        for name, value in (("low", low), ("high", high)):
            problem = _schema_problem(config, key, value)
            if problem:
                problems.append(f"{at(name)}: not allowed by the scenario schema: {problem}")
                bad_bound = True
        if bad_bound:
            continue
        start = spec.start if spec.start is not None else fitted[key]
        if not low <= start <= high:
            which = "start" if spec.start is not None else "low" if start < low else "high"
            problems.append(
                f"{at(which)}: the start value {start:g} lies outside the search range "
                f"[{low:g}, {high:g}]"
                + ("" if spec.start is not None else " (the start is the scenario's value)")
            )
            continue
        parameters.append(FittedParameter(key, float(low), float(high), float(start)))
    if not problems and parameters:
        try:  # each start may be valid alone but not together (shares adding up to more than 1)
            apply_values(config, {p.key: p.start for p in parameters})
        except ScenarioError as exc:
            problems += [
                f"{source}: the starting values together: {line.removeprefix('--set: ')}"
                for line in exc.problems
            ]
    if problems:
        raise ScenarioError(problems)
    return parameters


def _real_parameters(config: Scenario) -> dict[str, float]:
    """Every real-valued (float) setting of the scenario, by dotted key."""
    found: dict[str, float] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, BaseModel):
            items: Any = ((name, getattr(node, name)) for name in type(node).model_fields)
        elif isinstance(node, dict):
            items = node.items()
        else:
            return
        for name, value in items:
            key = f"{prefix}{name}"
            if isinstance(value, float):
                found[key] = value
            else:
                walk(value, key + ".")

    walk(config, "")
    return found


def _why_not_fittable(config: Scenario, key: str, fitted: Mapping[str, float]) -> str:
    node: Any = config
    for part in key.split("."):
        if isinstance(node, BaseModel) and part in type(node).model_fields:
            node = getattr(node, part)
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return f"not a scenario parameter{_suggest(key, fitted)}"
    if isinstance(node, bool | int):
        return "not real-valued (only real-valued parameters can be fitted)"
    return "not a single real-valued parameter (name a number inside it)"


def _schema_problem(config: Scenario, key: str, value: float) -> str | None:
    try:
        with tables_not_kept():
            with_overrides(config, settings=[f"{key}={value!r}"])
    except ScenarioError as exc:
        return "; ".join(line.split(": ", 1)[-1] for line in exc.problems)
    return None


def apply_values(config: Scenario, values: Mapping[str, float]) -> Scenario:
    """``config`` with each dotted key set to its value, validated by the schema.

    An evaluation keeps its replications' summaries, not their tables, so
    ``limits.max_table_rows`` does not apply (``max_evals`` bounds the points).
    """
    with tables_not_kept():
        return with_overrides(
            config, settings=[f"{key}={value!r}" for key, value in values.items()]
        )


# --- running evaluations on one Dask cluster ---------------------------------------------------


class ReplicationPool:
    """Runs batches of replications: serially, on one embedded LocalCluster, or on a scheduler.

    One pool serves a whole calibration, so the cluster starts once rather than per evaluation.
    Results come back ordered by replication, so they are the same for any number of workers.
    """

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        """Configure the pool; the Dask client starts when the first batch needs it.

        Args:
            workers: Worker processes for the embedded cluster; ``1`` runs in this process,
                ``None`` one per CPU. Ignored when ``scheduler`` is given.
            scheduler: Address of a running Dask scheduler.
        """
        self.workers = workers or os.cpu_count() or 1
        self.scheduler = scheduler
        self.client: Any = None
        self._stack = ExitStack()

    def __enter__(self) -> ReplicationPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.client = None
        self._stack.close()

    def _client(self) -> Any:
        """The Dask client, started on first use (a fully cached calibration starts none)."""
        if self.client is None and (self.scheduler is not None or self.workers > 1):
            self.client = self._stack.enter_context(dask_client(self.workers, self.scheduler))
        return self.client

    def run(
        self,
        config: Scenario,
        reps: int,
        master_seed: int,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[RunRecord]:
        """Run ``reps`` replications of ``config``; replication ``r`` has the run command's seed.

        Args:
            config: The scenario to run.
            reps: Number of replications.
            master_seed: Master seed; the replication seeds are those of ``caseload run``.
            progress: Called as ``progress(done, reps)`` after each replication.

        Returns:
            One summary per replication, replication 0 first.
        """
        return run_batch(
            specs_for([config], reps, master_seed),
            client=self._client(),
            workers=1,
            progress=progress,
        )


# --- evaluations and their cache ---------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """The replications of one parameter point: their summary and the objective.

    ``index`` numbers the search's evaluations from 1 in the order they ran; the check after
    the search is numbered one past the last.
    """

    index: int
    values: dict[str, float]
    objective: float
    summary: dict[str, dict[str, Any]]
    master_seed: int
    reps: int
    cached: bool = False

    @property
    def means(self) -> dict[str, float]:
        """The mean of every metric over the replications."""
        return {key: stats["mean"] for key, stats in self.summary.items()}


class EvaluationCache:
    """Summaries of evaluated points, one JSON file each, so a rerun does not repeat them.

    The key hashes the evaluated scenario (parameters applied), replications, master seed and
    the model's source code: a changed model or scenario never reuses an old evaluation. Each
    file holds data only (strict JSON, NaN as ``null``) and a SHA-256 over its key and summary;
    anything else at its path (corrupt, cut short, of another evaluation, too large, a FIFO or a
    symlink) is ignored with a one-line warning through ``warn`` and the point evaluated again.
    """

    def __init__(
        self, directory: str | os.PathLike[str], warn: Callable[[str], None] | None = None
    ) -> None:
        """Use ``directory`` (created when the first evaluation is saved)."""
        self.directory = Path(directory)
        self._fingerprint = source_fingerprint()
        self.warn = warn if warn is not None else _warn_on_stderr
        self._looked = False

    def _check_folder(self) -> None:
        """Once: anything but a real folder at ``directory`` (a file, a symlink) is removed."""
        if self._looked:
            return
        self._looked = True
        try:
            mode = os.lstat(self.directory).st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISDIR(mode):
            self.directory.unlink()
            self.warn(
                f"warning: {self.directory}: not a folder; removed, its evaluations are done again"
            )

    def key(self, config: Scenario, reps: int, master_seed: int) -> str:
        """The cache key of one evaluation."""
        material = f"{scenario_to_toml(config)}\n{reps}\n{master_seed}\n{self._fingerprint}"
        return hashlib.sha256(material.encode()).hexdigest()[:24]

    def load(self, key: str) -> dict[str, dict[str, Any]] | None:
        """The saved summary under ``key`` if a whole, genuine one is saved, else None."""
        self._check_folder()
        path = self.directory / f"{key}.json"
        if not os.path.lexists(path):
            return None
        try:
            return _cached_summary(path, key)
        except _CacheProblem as problem:
            self.warn(f"warning: {path}: {problem}; ignored, the point is evaluated again")
        except Exception as exc:  # anything a damaged file raises: recomputed, never fatal
            self.warn(
                f"warning: {path}: unreadable ({type(exc).__name__}); ignored, the point is "
                "evaluated again"
            )
        return None

    def save(self, key: str, summary: Mapping[str, Any]) -> None:
        """Save a summary atomically; whatever was at its path (a damaged copy) is replaced."""
        self._check_folder()
        self.directory.mkdir(parents=True, exist_ok=True)
        data = _summary_data(summary)
        entry = {
            "format": CACHE_FORMAT,
            "key": key,
            "summary": data,
            "sha256": _cache_checksum(key, data),
        }
        temporary = self.directory / f".{key}.{os.getpid()}.tmp"
        temporary.write_text(json.dumps(entry, allow_nan=False), encoding="utf-8")
        os.replace(temporary, self.directory / f"{key}.json")  # a symlink is replaced, not followed

    def clear(self) -> None:
        """Delete every saved evaluation."""
        self._check_folder()
        if self.directory.is_dir():
            for path in self.directory.glob("*.json"):
                path.unlink(missing_ok=True)


#: The format of a cached evaluation; files of any other format are ignored.
CACHE_FORMAT = "caseload-evaluation/1"

#: A cached summary is a few kilobytes; a larger file is not one and is not read.
MAX_CACHE_BYTES = 1 << 20

_STATISTICS = ("mean", "ci95_low", "ci95_high", "sd")


class _CacheProblem(Exception):
    """Why a cached evaluation is not used; the point is evaluated again."""


def _cached_summary(path: Path, key: str) -> dict[str, dict[str, Any]]:
    """The summary in ``path`` once its format, types and checksum are right."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        handle = os.open(path, flags)
    except OSError as exc:
        raise _CacheProblem(f"cannot be opened ({exc.strerror}; a symlink?)") from None
    with os.fdopen(handle, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _CacheProblem("not a regular file")
        if info.st_size > MAX_CACHE_BYTES:
            raise _CacheProblem(f"{info.st_size:,} bytes, too large to be a cached evaluation")
        raw = stream.read(MAX_CACHE_BYTES + 1)
    try:
        entry = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError):
        raise _CacheProblem("not valid JSON") from None
    if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT:
        raise _CacheProblem("not a cached evaluation of this version")
    if entry.get("key") != key:
        raise _CacheProblem("saved for another evaluation")
    data = entry.get("summary")
    if entry.get("sha256") != _cache_checksum(key, data):
        raise _CacheProblem("checksum does not match (corrupt or changed)")
    return _summary_of(data)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _summary_data(summary: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A summary as strict JSON data: NaN as ``null``, ``n`` a whole number."""
    data = {}
    for metric, stats in summary.items():
        entry: dict[str, Any] = {
            name: None if math.isnan(float(stats[name])) else float(stats[name])
            for name in _STATISTICS
        }
        data[metric] = {**entry, "n": int(stats["n"]), "unit": str(stats["unit"])}
    return data


def _summary_of(data: Any) -> dict[str, dict[str, Any]]:
    """A checked summary back from its JSON data, with every metric of this version."""
    if not isinstance(data, dict) or set(data) != _metric_keys():
        raise _CacheProblem("its summary does not list this version's metrics")
    summary: dict[str, dict[str, Any]] = {}
    for metric, stats in data.items():
        if not isinstance(stats, dict) or set(stats) != {*_STATISTICS, "n", "unit"}:
            raise _CacheProblem(f"the statistics of {metric!r} are incomplete")
        values: dict[str, Any] = {}
        for name in _STATISTICS:
            value = stats[name]
            if value is None:
                values[name] = math.nan
            elif isinstance(value, int | float) and not isinstance(value, bool):
                values[name] = float(value)
            else:
                raise _CacheProblem(f"{metric}.{name} is not a number")
        n = stats["n"]
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise _CacheProblem(f"{metric}.n is not a count")
        if not isinstance(stats["unit"], str):
            raise _CacheProblem(f"{metric}.unit is not text")
        summary[metric] = {**values, "n": n, "unit": stats["unit"]}
    return summary


def _metric_keys() -> set[str]:
    return {metric.key for metric in METRICS}


def _cache_checksum(key: str, data: Any) -> str:
    """SHA-256 over the evaluation's key and its summary as canonical JSON."""
    try:
        text = json.dumps(data, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        return ""
    return hashlib.sha256(f"{CACHE_FORMAT}\n{key}\n{text}".encode()).hexdigest()


def _warn_on_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the fit -----------------------------------------------------------------------------------


@dataclass
class CalibrationResult:
    """Everything a calibration found: every evaluation, the best one and its check."""

    parameters: list[FittedParameter]
    weights: dict[str, float]
    reps: int
    master_seed: int
    method: str
    max_evals: int
    evaluations: list[Evaluation]
    start: Evaluation
    best: Evaluation
    stop_reason: str
    converged: bool
    check: Evaluation | None = None
    check_start: Evaluation | None = None
    check_seed: int | None = None
    at_bounds: list[str] = field(default_factory=list)

    @property
    def cached(self) -> int:
        """How many search evaluations came from the cache."""
        return sum(e.cached for e in self.evaluations)


class _BudgetSpent(Exception):
    pass


def check_seed_for(master_seed: int) -> int:
    """The master seed of the independent check: the search seed plus one (wrapping)."""
    return (master_seed + 1) % 2**63


def calibrate(
    base: Scenario,
    parameters: Sequence[FittedParameter],
    pool: ReplicationPool,
    *,
    reps: int = DEFAULT_REPS,
    master_seed: int | None = None,
    weights: Mapping[str, float] | None = None,
    max_evals: int = DEFAULT_MAX_EVALS,
    method: str = DEFAULT_METHOD,
    check_reps: int | None = None,
    cache: EvaluationCache | None = None,
    on_evaluation: Callable[[Evaluation, Evaluation], None] | None = None,
    on_replication: Callable[[int, int], None] | None = None,
) -> CalibrationResult:
    """Fit ``parameters`` of ``base`` so its replication means best match the targets.

    Args:
        base: The scenario to calibrate (its ``simulation.days`` sets the run length).
        parameters: What to fit, with search ranges and starting values.
        pool: Where replications run (entered).
        reps: Replications per evaluation (at least 2, so every mean has an interval).
        master_seed: Seed of every search evaluation (common random numbers); default the
            scenario's ``simulation.seed``.
        weights: Target weights by metric (missing: 1; 0 leaves a target out).
        max_evals: Most parameter points the search may run (the start included).
        method: ``"nelder-mead"`` or ``"powell"``.
        check_reps: Replications of the independent check at the best point and at the start
            (seed :func:`check_seed_for`); default ``reps``; 0 skips the check.
        cache: Where evaluations are looked up before running and saved after.
        on_evaluation: Called as ``on_evaluation(evaluation, best_so_far)`` after each search
            evaluation and after each check.
        on_replication: Called as ``on_replication(done, total)`` as replications finish.

    Returns:
        The calibration result; the same for the same inputs whatever the pool's workers.
    """
    if reps < 2:
        raise ValueError(f"reps must be at least 2 (got {reps})")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS} (got {method!r})")
    if not parameters:
        raise ValueError("no parameters to fit")
    seed = base.simulation.seed if master_seed is None else master_seed
    full_weights = _weights(weights or {})
    lows = np.array([p.low for p in parameters])
    spans = np.array([p.high - p.low for p in parameters])
    keys = [p.key for p in parameters]
    history: list[Evaluation] = []
    seen: dict[tuple[float, ...], Evaluation] = {}

    def run_point(values: dict[str, float], at_seed: int, n: int, index: int) -> Evaluation:
        try:
            config = apply_values(base, values)
        except ScenarioError:  # values valid alone but not together: infeasible, J = inf
            return Evaluation(index, values, math.inf, {}, at_seed, n)
        key = cache.key(config, n, at_seed) if cache is not None else ""
        summary = cache.load(key) if cache is not None else None
        cached = summary is not None
        if summary is None:
            summary = summarise(pool.run(config, n, at_seed, progress=on_replication))
            if cache is not None:
                cache.save(key, summary)
        value = objective({k: s["mean"] for k, s in summary.items()}, full_weights)
        return Evaluation(index, values, value, summary, at_seed, n, cached)

    def search_point(values: tuple[float, ...]) -> Evaluation:
        if values in seen:
            return seen[values]
        if len(history) >= max_evals:
            raise _BudgetSpent
        evaluation = run_point(dict(zip(keys, values, strict=True)), seed, reps, len(history) + 1)
        history.append(evaluation)
        seen[values] = evaluation
        if on_evaluation is not None:
            on_evaluation(evaluation, _best(history))
        return evaluation

    def to_values(u: np.ndarray) -> tuple[float, ...]:
        x = lows + np.clip(u, 0.0, 1.0) * spans
        return tuple(_round(float(v)) for v in x)

    def f(u: np.ndarray) -> float:
        value = search_point(to_values(u)).objective
        return value if math.isfinite(value) else 1e12  # keep the simplex arithmetic finite

    u0 = np.array([(p.start - p.low) / (p.high - p.low) for p in parameters])
    start = search_point(tuple(_round(p.start) for p in parameters))
    try:
        result = _minimise(f, u0, method)
        converged = bool(result.success)
        stop_reason = str(result.message)
    except _BudgetSpent:
        converged = False
        stop_reason = f"evaluation budget spent ({max_evals} evaluations)"
    best = _best(history)
    outcome = CalibrationResult(
        parameters=list(parameters),
        weights=full_weights,
        reps=reps,
        master_seed=seed,
        method=method,
        max_evals=max_evals,
        evaluations=history,
        start=start,
        best=best,
        stop_reason=stop_reason,
        converged=converged,
        at_bounds=[
            p.key
            for p in parameters
            if math.isclose(best.values[p.key], p.low, rel_tol=1e-5, abs_tol=1e-12)
            or math.isclose(best.values[p.key], p.high, rel_tol=1e-5, abs_tol=1e-12)
        ],
    )
    n_check = reps if check_reps is None else check_reps
    if n_check:
        outcome.check_seed = check_seed_for(seed)
        outcome.check = run_point(dict(best.values), outcome.check_seed, n_check, len(history) + 1)
        if on_evaluation is not None:
            on_evaluation(outcome.check, best)
        if best.values == start.values:
            outcome.check_start = outcome.check
        else:
            outcome.check_start = run_point(
                dict(start.values), outcome.check_seed, n_check, len(history) + 2
            )
            if on_evaluation is not None:
                on_evaluation(outcome.check_start, best)
    return outcome


def _minimise(f: Callable[[np.ndarray], float], u0: np.ndarray, method: str) -> Any:
    bounds = [(0.0, 1.0)] * len(u0)
    unlimited = 10**6  # the budget is enforced by counting evaluated points, not by scipy
    if method == "powell":
        return optimize.minimize(
            f,
            u0,
            method="Powell",
            bounds=bounds,
            options={
                "xtol": POSITION_TOLERANCE,
                "ftol": OBJECTIVE_TOLERANCE,
                "maxfev": unlimited,
            },
        )
    simplex = [u0]
    for i in range(len(u0)):
        vertex = u0.copy()
        vertex[i] += INITIAL_STEP if u0[i] + INITIAL_STEP <= 1.0 else -INITIAL_STEP
        simplex.append(vertex)
    return optimize.minimize(
        f,
        u0,
        method="Nelder-Mead",
        bounds=bounds,
        options={
            "initial_simplex": np.array(simplex),
            "xatol": POSITION_TOLERANCE,
            "fatol": OBJECTIVE_TOLERANCE,
            "maxfev": unlimited,
            "maxiter": unlimited,
        },
    )


def _best(history: Sequence[Evaluation]) -> Evaluation:
    """The evaluation with the lowest objective; the earliest among equals."""
    return min(history, key=lambda e: (e.objective, e.index))


def _round(value: float) -> float:
    return float(f"{value:.{SIGNIFICANT_FIGURES}g}")


def target_rows(result: CalibrationResult) -> list[dict[str, Any]]:
    """Per target: the range, weight, and the start, fitted and check statistics.

    The fitted statistics are those of the best search evaluation; ``deviation`` is the
    standardised deviation ``(mean - central) / half_range`` and ``within`` whether the mean
    lies in the published range.
    """
    rows = []
    for target in TARGETS:
        row: dict[str, Any] = {
            "metric": target.metric,
            "basis": target.basis,
            "central": target.central,
            "low": target.low,
            "high": target.high,
            "weight": result.weights[target.metric],
        }
        runs = {"start": result.start, "fitted": result.best, "check": result.check}
        for name, evaluation in runs.items():
            row[name] = None if evaluation is None else _target_stats(target, evaluation)
        rows.append(row)
    return rows


def _target_stats(target: Target, evaluation: Evaluation) -> dict[str, Any]:
    stats = evaluation.summary[target.metric]
    mean = float(stats["mean"])
    finite = math.isfinite(mean)
    return {
        "mean": mean,
        "ci95_low": stats["ci95_low"],
        "ci95_high": stats["ci95_high"],
        "n": stats["n"],
        "deviation": target.deviation(mean) if finite else math.nan,
        "within": bool(finite and target.low <= mean <= target.high),
    }


# --- output files ------------------------------------------------------------------------------


def fitted_scenario(base: Scenario, result: CalibrationResult) -> Scenario:
    """``base`` with the fitted values, renamed ``<name>-calibrated`` and described as such."""
    fitted = apply_values(base, result.best.values)
    settings = ", ".join(f"{key} = {value:g}" for key, value in result.best.values.items())
    note = (
        f"Calibrated by caseload calibrate ({result.method}, {result.reps} replications per "
        f"evaluation, master seed {result.master_seed}): {settings}; objective "
        f"{result.start.objective:.3g} at the start, {result.best.objective:.3g} fitted."
    )
    description = f"{base.description.rstrip()}\n\n{note}" if base.description.strip() else note
    return fitted.model_copy(
        update={"name": f"{base.name}-calibrated"[:120], "description": description}
    )


def calibration_report(
    result: CalibrationResult,
    *,
    scenario: str,
    days: int,
    elapsed_seconds: float,
    created: str,
) -> dict[str, Any]:
    """The content of ``calibration.json`` (strict JSON: undefined numbers are ``null``)."""
    report = {
        "created": created,
        "scenario": scenario,
        "days": days,
        "method": result.method,
        "objective_definition": (
            "sum over targets of weight * ((mean - central) / ((high - low) / 2))^2"
        ),
        "replications_per_evaluation": result.reps,
        "master_seed": result.master_seed,
        "max_evaluations": result.max_evals,
        "evaluations": len(result.evaluations),
        "evaluations_from_cache": result.cached,
        "converged": result.converged,
        "stop_reason": result.stop_reason,
        "elapsed_seconds": round(elapsed_seconds, 1),
        "parameters": [
            {
                "key": p.key,
                "low": p.low,
                "high": p.high,
                "start": result.start.values[p.key],
                "fitted": result.best.values[p.key],
                "at_bound": p.key in result.at_bounds,
            }
            for p in result.parameters
        ],
        "objective": {
            "start": result.start.objective,
            "fitted": result.best.objective,
            "check": None if result.check is None else result.check.objective,
            "check_start": None if result.check_start is None else result.check_start.objective,
        },
        "check": None
        if result.check is None
        else {"master_seed": result.check_seed, "replications": result.check.reps},
        "targets": target_rows(result),
    }
    return jsonable(report)


def evaluations_table(result: CalibrationResult) -> pd.DataFrame:
    """One row per evaluation (search, then the checks): parameters, objective, metric means.

    ``kind`` is ``search``, ``check`` (the fitted point on the check seed) or ``check_start``
    (the starting point on the check seed).
    """
    rows = []
    runs = [(e, "search") for e in result.evaluations]
    if result.check is not None:
        runs.append((result.check, "check"))
    if result.check_start is not None and result.check_start is not result.check:
        runs.append((result.check_start, "check_start"))
    for evaluation, kind in runs:
        row: dict[str, Any] = {
            "evaluation": evaluation.index,
            "kind": kind,
            "master_seed": evaluation.master_seed,
            "replications": evaluation.reps,
            "cached": evaluation.cached,
            **evaluation.values,
            "objective": evaluation.objective,
        }
        row.update({f"mean.{key}": value for key, value in evaluation.means.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def write_calibration(
    out_dir: str | os.PathLike[str],
    result: CalibrationResult,
    base: Scenario,
    *,
    scenario: str,
    days: int,
    elapsed_seconds: float,
    command: Sequence[str],
) -> dict[str, Path]:
    """Write the report, every evaluation, the fitted scenario and a manifest, atomically.

    Files are written into a hidden staging directory inside ``out_dir`` and moved into place
    with ``os.replace``, the manifest (SHA-256 of each file) last.

    Args:
        out_dir: Output directory; created if needed.
        result: The calibration.
        base: The scenario as given (without the calibration's ``--days``), to which the fitted
            values are applied for ``calibrated.toml``.
        scenario: How the scenario file was named, for the report.
        days: The run length of every evaluation.
        elapsed_seconds: Wall time of the calibration.
        command: The command line to record.

    Returns:
        The path of each written file, keyed by file name.

    Raises:
        OutputError: If the directory cannot be written.
    """
    from sim.outputs.files import write_directory, write_json, write_parquet

    created = datetime.now(UTC).isoformat(timespec="seconds")
    report = calibration_report(
        result, scenario=scenario, days=days, elapsed_seconds=elapsed_seconds, created=created
    )
    fitted = scenario_to_toml(fitted_scenario(base, result))
    writers = {
        "calibration.json": lambda path: write_json(path, report),
        "evaluations.parquet": lambda path: write_parquet(path, evaluations_table(result)),
        "calibrated.toml": lambda path: path.write_text(fitted, encoding="utf-8"),
    }
    return write_directory(out_dir, writers, {"created": created}, command=command)
