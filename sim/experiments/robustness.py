"""Robust comparisons: do the headline effects keep their sign over the uncertain parameters?

A paired comparison (:mod:`sim.experiments.compare`) estimates what a lever or a cut changes at
one setting of the parameters nobody knows exactly: the calibrated ones and the harm side's
assumptions (``docs/model.md``), each registered as an *uncertainty* with its plausible range in
``sim/scenario/levers.py``. This module re-estimates each headline comparison over a Latin
hypercube of those uncertainties (SALib's ``latin`` sample, one column per registered
uncertainty, drawn with the master seed): at every *parameter set* both scenarios of a pair get
the set's values and run the same replication seeds (common random numbers), and the effect is
the mean paired difference ``d = lever - base`` over the replications, with its Student-t 95%
interval (:func:`sim.experiments.compare.paired_difference`).

What it reports is how often each effect keeps its sign: "higher in k of n parameter sets",
with how many of those have an interval excluding zero, and the range of the effect over the
sets (:func:`sign_counts`). A sign that holds in every set is a finding the assumptions do not
decide; a sign that flips is one a reader should not quote without its conditions.

Each lever is paired with the scenario it ``extends`` (:func:`paired_base`), so a cut applied
to five teams is compared with those five teams, never with one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.engine.metrics import HEADCOUNT_LABELS, METRIC_KEYS, METRICS_BY_KEY
from sim.engine.rng import replication_seeds
from sim.experiments.compare import Comparison, paired_difference
from sim.experiments.design import toml_literal
from sim.outputs.formatting import format_change
from sim.runs.batch import RunRecord, RunSpec, specs_for
from sim.runs.checkpoint import source_fingerprint
from sim.scenario.catalogue import repo_root
from sim.scenario.levers import UNCERTAINTIES, Parameter, format_value
from sim.scenario.loading import ScenarioError, load_scenario, read_toml, with_overrides
from sim.scenario.schema import Scenario, tables_not_kept

#: The headline levers, relative to ``scenarios/``; each is compared with the file it extends.
HEADLINE_LEVERS: tuple[str, ...] = (
    "levers/staffing_cut_10pct.toml",
    "levers/caseload_cap.toml",
    "levers/admin_support.toml",
)

#: Columns of ``effects.parquet``: one row per (comparison, parameter set, outcome).
EFFECT_COLUMNS: tuple[str, ...] = (
    "comparison",
    "set",
    "outcome",
    "base_mean",
    "lever_mean",
    "diff_mean",
    "diff_ci95_low",
    "diff_ci95_high",
    "diff_n",
    "relative_change",
)

#: Columns of ``signs.parquet``: one row per (comparison, outcome).
SIGN_COLUMNS: tuple[str, ...] = (
    "comparison",
    "outcome",
    "sets",
    "higher",
    "lower",
    "unchanged",
    "higher_sure",
    "lower_sure",
    "effect_min",
    "effect_median",
    "effect_max",
    "effect_mean",
)


@dataclass(frozen=True)
class Outcome:
    """An outcome whose sign is counted: a ``summary.json`` metric or a daily headcount.

    A headcount (``burnt_out``) is each run's mean of that daily column over the measured
    weeks: the people behind a share, read from the weekly series a run keeps.
    """

    key: str
    label: str
    unit: str
    better: str
    headcount: str | None = None


def _metric_outcome(key: str) -> Outcome:
    metric = METRICS_BY_KEY[key]
    return Outcome(key, metric.label, metric.unit, metric.better)


#: What each comparison is judged on: risk to children, the workforce, cost.
OUTCOMES: tuple[Outcome, ...] = (
    _metric_outcome("overdue_visit_case_days"),
    _metric_outcome("high_risk_unmonitored_case_days"),
    _metric_outcome("serious_incidents"),
    Outcome(
        "burnt_out_workers",
        HEADCOUNT_LABELS["burnt_out"].capitalize(),
        "workers",
        "lower",
        headcount="burnt_out",
    ),
    _metric_outcome("staff_cost_total"),
)
OUTCOMES_BY_KEY: dict[str, Outcome] = {o.key: o for o in OUTCOMES}


@dataclass(frozen=True)
class Pairing:
    """One headline comparison: a lever scenario and the base scenario it extends."""

    lever: Path
    base: Path

    @property
    def name(self) -> str:
        """``lever vs base`` by file stem, as tables name the comparison."""
        return f"{self.lever.stem} vs {self.base.stem}"


def paired_base(lever: str | Path) -> Path:
    """The scenario a lever file extends (its ``extends``, resolved next to the file).

    Raises:
        ScenarioError: The file extends nothing, so it has no base to be compared with.
    """
    lever = Path(lever)
    extends = read_toml(lever).get("extends")
    if not isinstance(extends, str) or not extends:
        raise ScenarioError(
            [f"{lever}: extends: a compared lever must extend its base scenario (got none)"]
        )
    return (lever.parent / extends).resolve()


def headline_pairings(levers: Sequence[str] = HEADLINE_LEVERS) -> tuple[Pairing, ...]:
    """The headline levers under the repository's ``scenarios/``, each with its own base."""
    root = repo_root() / "scenarios"
    return tuple(Pairing((root / lever).resolve(), paired_base(root / lever)) for lever in levers)


def uncertain_parameters() -> tuple[Parameter, ...]:
    """Every registered uncertainty with a range: the parameters the sets vary."""
    return tuple(p for p in UNCERTAINTIES if p.range is not None)


def parameter_sets(parameters: Sequence[Parameter], n: int, seed: int) -> pd.DataFrame:
    """``n`` Latin hypercube points over the parameters' ranges, one column per key.

    SALib's ``latin`` sample: each range cut into ``n`` equal strata, each stratum used once per
    parameter, in a random pairing drawn from ``seed``. Whole-number settings are rounded.
    """
    from SALib.sample import latin

    problem = {
        "num_vars": len(parameters),
        "names": [p.key for p in parameters],
        "bounds": [[float(p.low), float(p.high)] for p in parameters],  # type: ignore[arg-type]
    }
    raw = latin.sample(problem, n, seed=seed)
    columns = {
        p.key: [int(v) for v in np.rint(raw[:, i])] if p.kind == "int" else raw[:, i].tolist()
        for i, p in enumerate(parameters)
    }
    return pd.DataFrame(columns)


@dataclass(frozen=True)
class RobustnessPlan:
    """Every scenario to run: each pairing's base and lever at each parameter set.

    ``configs`` is ordered (pairing, set, side) with side 0 the base and 1 the lever, so
    :meth:`point` finds a run's scenario; the replication seeds are the same for all of them.
    """

    pairings: tuple[Pairing, ...]
    sets: pd.DataFrame
    configs: tuple[Scenario, ...]
    labels: tuple[tuple[str, str], ...]  # (base name, lever name) per pairing
    replications: int
    master_seed: int
    parameters: tuple[Parameter, ...]  # those sampled: one column of ``sets`` each

    @property
    def n_sets(self) -> int:
        """How many parameter sets."""
        return len(self.sets)

    def point(self, pairing: int, set_: int, side: int) -> int:
        """The index in ``configs`` of a pairing's base (side 0) or lever (1) at a set."""
        return (pairing * self.n_sets + set_) * 2 + side

    def specs(self) -> list[RunSpec]:
        """Every run; identical scenarios (two levers sharing a base) share their runs' keys."""
        return specs_for(self.configs, self.replications, self.master_seed)

    def distinct_runs(self) -> int:
        """How many runs the plan needs once runs shared by identical scenarios count once."""
        fingerprint = source_fingerprint()
        return len({spec.key(fingerprint) for spec in self.specs()})

    @property
    def simulation(self) -> tuple[int, int]:
        """(days, warm-up days) of the runs."""
        sim = self.configs[0].simulation
        return sim.days, sim.warmup_days


def plan_robustness(
    pairings: Sequence[Pairing],
    n_sets: int,
    *,
    replications: int,
    seed: int | None = None,
    days: int | None = None,
    settings: Sequence[str] = (),
    parameters: Sequence[Parameter] | None = None,
) -> RobustnessPlan:
    """Load each pairing, draw the parameter sets and validate every scenario to run.

    ``seed`` (default: the first base scenario's master seed) seeds both the Latin hypercube
    and the replications. ``settings`` apply to every scenario; an uncertain parameter they
    set is held at that value rather than sampled.

    Raises:
        ScenarioError: A scenario or a set's values are invalid, or a pair measures different
            periods.
    """
    fixed = {setting.partition("=")[0].replace(" ", "") for setting in settings}
    parameters = tuple(
        p
        for p in (parameters if parameters is not None else uncertain_parameters())
        if p.key not in fixed
    )
    loaded: list[tuple[Scenario, Scenario]] = []
    with tables_not_kept():  # a robustness run keeps summaries and weekly series only
        for pairing in pairings:
            pair = tuple(
                load_scenario(path, settings, days=days, replications=replications, seed=seed)
                for path in (pairing.base, pairing.lever)
            )
            if pair[0].simulation.warmup_days != pair[1].simulation.warmup_days:
                raise ScenarioError(
                    [f"{pairing.lever}: simulation.warmup_days: must equal its base's"]
                )
            loaded.append((pair[0], pair[1]))
        master_seed = loaded[0][0].simulation.seed if seed is None else seed
        sets = parameter_sets(parameters, n_sets, master_seed)
        configs = []
        for base, lever in loaded:
            for row in sets.to_dict("records"):
                overrides = [f"{key}={toml_literal(value)}" for key, value in row.items()]
                for config in (base, lever):
                    configs.append(
                        with_overrides(
                            config, seed=master_seed, replications=replications, settings=overrides
                        )
                    )
    labels = tuple((base.name, lever.name) for base, lever in loaded)
    return RobustnessPlan(
        tuple(pairings), sets, tuple(configs), labels, replications, master_seed, parameters
    )


def pair_comparison(
    plan: RobustnessPlan, records: Sequence[RunRecord], pairing: int, set_: int
) -> Comparison:
    """The paired comparison of one pairing at one parameter set, as ``caseload compare``'s."""
    base, lever = plan.point(pairing, set_, 0), plan.point(pairing, set_, 1)
    mine = [
        RunRecord(int(r.point == lever), r.replication, r.seed, r.summary, r.series)
        for r in records
        if r.point in (base, lever)
    ]
    return Comparison(
        plan.labels[pairing],
        (plan.configs[base], plan.configs[lever]),
        tuple(mine),
        plan.replications,
        plan.master_seed,
    )


def outcome_values(comparison: Comparison, outcome: Outcome) -> np.ndarray:
    """An outcome as a (2, replications) array: base then lever."""
    if outcome.headcount is not None:
        return comparison.headcounts()[outcome.headcount]
    return comparison.matrix(outcome.key)


def effects_table(
    plan: RobustnessPlan, records: Sequence[RunRecord], outcomes: Sequence[Outcome] = OUTCOMES
) -> pd.DataFrame:
    """The paired effect of every pairing on every outcome at every parameter set."""
    rows = []
    for index, pairing in enumerate(plan.pairings):
        for set_ in range(plan.n_sets):
            comparison = pair_comparison(plan, records, index, set_)
            for outcome in outcomes:
                values = outcome_values(comparison, outcome)
                diff = paired_difference(values[0], values[1])
                rows.append(
                    {
                        "comparison": pairing.name,
                        "set": set_,
                        "outcome": outcome.key,
                        "base_mean": _nanmean(values[0]),
                        "lever_mean": _nanmean(values[1]),
                        **{k: v for k, v in diff.items() if k != "p_value"},
                    }
                )
    return pd.DataFrame(rows, columns=list(EFFECT_COLUMNS))


def runs_table(
    plan: RobustnessPlan, records: Sequence[RunRecord], outcomes: Sequence[Outcome] = OUTCOMES
) -> pd.DataFrame:
    """One row per run of each pair: comparison, side, scenario, set, replication, seed, values.

    The values are the outcomes, then every other metric of the contract, so a mechanism can be
    read from the same runs (burnout prevalence, the share, beside the burnt-out headcount; the
    vacancy rate and leavers beside a cut's cost). A base shared by two comparisons appears
    under each (it was run once).
    """
    rows = []
    seeds = replication_seeds(plan.master_seed, plan.replications)
    for index, pairing in enumerate(plan.pairings):
        for set_ in range(plan.n_sets):
            comparison = pair_comparison(plan, records, index, set_)
            values = {o.key: outcome_values(comparison, o) for o in outcomes}
            for key in METRIC_KEYS:
                values.setdefault(key, comparison.matrix(key))
            for side, name in enumerate(("base", "lever")):
                for replication, seed in enumerate(seeds):
                    rows.append(
                        {
                            "comparison": pairing.name,
                            "side": name,
                            "scenario": plan.labels[index][side],
                            "set": set_,
                            "replication": replication,
                            "seed": int(seed),
                            **{key: float(v[side, replication]) for key, v in values.items()},
                        }
                    )
    return pd.DataFrame(rows)


def _nanmean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else math.nan


def sign_counts(effects: pd.DataFrame) -> pd.DataFrame:
    """How often each comparison's effect on each outcome is above, below or at zero.

    Per (comparison, outcome) over the parameter sets where the effect is defined: ``higher``
    and ``lower`` count sets whose mean paired difference is above or below zero,
    ``unchanged`` those where it is exactly zero, ``higher_sure`` and ``lower_sure`` those whose
    95% interval lies wholly above or below zero; then the effect's least, median, greatest and
    mean over the sets. Rows keep the order the pairs first appear in ``effects``.
    """
    rows = []
    order = dict.fromkeys(zip(effects["comparison"], effects["outcome"], strict=True))
    for comparison, outcome in order:
        mine = effects[(effects["comparison"] == comparison) & (effects["outcome"] == outcome)]
        defined = mine[mine["diff_mean"].notna()]
        diff = defined["diff_mean"].to_numpy(float)
        low = defined["diff_ci95_low"].to_numpy(float)
        high = defined["diff_ci95_high"].to_numpy(float)
        rows.append(
            {
                "comparison": comparison,
                "outcome": outcome,
                "sets": int(diff.size),
                "higher": int((diff > 0).sum()),
                "lower": int((diff < 0).sum()),
                "unchanged": int((diff == 0).sum()),
                "higher_sure": int((low > 0).sum()),
                "lower_sure": int((high < 0).sum()),
                "effect_min": float(diff.min()) if diff.size else math.nan,
                "effect_median": float(np.median(diff)) if diff.size else math.nan,
                "effect_max": float(diff.max()) if diff.size else math.nan,
                "effect_mean": float(diff.mean()) if diff.size else math.nan,
            }
        )
    return pd.DataFrame(rows, columns=list(SIGN_COLUMNS))


def sign_sentence(row: dict | pd.Series, better: str = "neither") -> str:
    """The sign count in words, the more frequent sign first, judged by ``better``.

    For example "higher (worse) in 14 of 16 parameter sets (9 sure), lower in 2 (0 sure)":
    ``better`` (the outcome's declared direction) says whether the first sign is worse or
    better.
    """
    n = int(row["sets"])
    if n == 0:
        return "undefined in every parameter set"
    signs = [("higher", int(row["higher"]), int(row["higher_sure"]))]
    signs.append(("lower", int(row["lower"]), int(row["lower_sure"])))
    if signs[1][1] > signs[0][1] or (signs[1][1] == signs[0][1] and row["effect_mean"] < 0):
        signs.reverse()  # the more frequent sign first; on a tie, the mean effect's
    (first, k, sure), (second, k2, sure2) = signs
    if k == 0:
        return f"unchanged in all {n} parameter sets"
    judged = {"lower": {"higher": "worse", "lower": "better"}}
    judged["higher"] = {"higher": "better", "lower": "worse"}
    verdict = judged.get(better, {}).get(first, "")
    text = f"{first}{f' ({verdict})' if verdict else ''} in {k} of {n} parameter sets ({sure} sure)"
    if k2:
        text += f", {second} in {k2} ({sure2} sure)"
    unchanged = int(row["unchanged"])
    if unchanged:
        text += f", unchanged in {unchanged}"
    return text


def parameter_table(parameters: Sequence[Parameter]) -> list[tuple[str, str, str, str]]:
    """(key, label, baseline, range) of each uncertain parameter, as the report lists them."""
    return [
        (
            p.key,
            p.label,
            format_value(p.default),
            f"{format_value(p.low)} – {format_value(p.high)}",
        )
        for p in parameters
    ]


#: Markers around the generated part of ``docs/robustness.md``; what lies outside them is
#: written by hand (the reading of the signs) and kept when ``--write-docs`` rewrites the rest.
GENERATED_START = "<!-- robustness:start -->"
GENERATED_END = "<!-- robustness:end -->"


def render_markdown(signs: pd.DataFrame, *, plan: RobustnessPlan, command: str, runs: int) -> str:
    """The generated report: sizes, the sign counts, the parameters varied and the method.

    Nothing in it depends on the time or the machine, so the same command writes the same text.
    """
    days, warmup = plan.simulation
    n, reps, parameters = plan.n_sets, plan.replications, plan.parameters
    lines = [
        GENERATED_START,
        "<!-- Generated by `caseload robustness --write-docs`; do not edit by hand. -->",
        "",
        f"Written by `{command}`: {n} parameter sets (a Latin hypercube over the "
        f"{len(parameters)} registered uncertainties below), {reps} replications of each "
        f"scenario at each set, {days} working days per run of which the first {warmup} are "
        f"warm-up and not measured, master seed {plan.master_seed}; {runs} runs in all (a base "
        "shared by two levers is run once).",
        "",
        "An effect is the mean paired difference lever − base over the replications at one "
        "parameter set; *sure* counts the sets whose Student-t 95% interval of that mean "
        "excludes zero. The range is the least and greatest effect over the sets, the median "
        "its middle. Counts and costs are totals over the measured period.",
        "",
    ]
    for pairing, (base, lever) in zip(plan.pairings, plan.labels, strict=True):
        lines += [
            f"### `{lever}` against `{base}`",
            "",
            f"`{_scenario_path(pairing.lever)}` against the scenario it extends, "
            f"`{_scenario_path(pairing.base)}`.",
            "",
            "| outcome | sign of the effect over the parameter sets | median effect "
            "| range over the sets |",
            "| --- | --- | --- | --- |",
        ]
        mine = signs[signs["comparison"] == pairing.name]
        for row in mine.to_dict("records"):
            outcome = OUTCOMES_BY_KEY[row["outcome"]]
            unit = outcome.unit
            median = format_change(row["effect_median"], unit)
            spread = (
                f"{format_change(row['effect_min'], unit)} to "
                f"{format_change(row['effect_max'], unit)}"
            )
            lines.append(
                f"| {outcome.label} (`{outcome.key}`, {unit}) | "
                f"{sign_sentence(row, outcome.better)} | {median} | {spread} |"
            )
        lines.append("")
    lines += [
        "### The uncertain parameters",
        "",
        "Every uncertainty registered in `sim/scenario/levers.py`, sampled over its range; "
        "the other settings are the scenarios' own.",
        "",
        "| key | parameter | baseline | range sampled |",
        "| --- | --- | --- | --- |",
    ]
    for key, label, baseline, span in parameter_table(parameters):
        lines.append(f"| `{key}` | {label} | {baseline} | {span} |")
    lines += ["", GENERATED_END, ""]
    return "\n".join(lines)


def _scenario_path(path: Path) -> str:
    try:
        return path.relative_to(repo_root()).as_posix()
    except ValueError:
        return path.name


def replace_generated(document: str, generated: str) -> str:
    """``document`` with its generated part (between the markers) replaced by ``generated``.

    A document without the markers gets the generated part appended, so the first
    ``--write-docs`` creates it and later ones keep the hand-written text around it.
    """
    start, end = document.find(GENERATED_START), document.find(GENERATED_END)
    if start < 0 or end < start:
        return document.rstrip("\n") + ("\n\n" if document.strip() else "") + generated
    tail = document[end + len(GENERATED_END) :].lstrip("\n")
    return document[:start] + generated + ("\n" + tail if tail else "")
