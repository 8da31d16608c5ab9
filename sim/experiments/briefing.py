"""What a brief says about a run, a comparison or a sweep, in words a reader can repeat.

The numbers come from the same statistics as the tables (Student-t 95% intervals, paired
differences under common random numbers); this module turns them into sentences: "overdue
visits rose by 1,860 case-days (95% interval −1,223 to +4,943), up in 6 of 8 paired runs",
with headcounts beside shares, totals per year, the cost per unit of harm avoided and the caveats
the tool can detect (a cut's vacant posts, organisations of different size, few replications).
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.engine.metrics import HEADCOUNT_LABELS, HEADLINE_METRICS, METRICS_BY_KEY, Metric
from sim.experiments.compare import (
    Comparison,
    cut_warnings,
    organisation_warnings,
    paired_difference,
    settings_differences,
)
from sim.outputs.brief import Brief, join_words
from sim.outputs.formatting import (
    format_change,
    format_interval,
    format_value,
)
from sim.runs.replications import summarise_values
from sim.scenario.levers import UNCERTAINTIES, describe_setting, setting_label
from sim.scenario.schema import WORKING_DAYS_PER_YEAR, Scenario

#: Fewer replications than this earn a caveat: intervals are wide and one run moves the mean.
FEW_REPLICATIONS = 10

#: Outcomes of a sweep a brief describes (one page); the report has them all.
SWEEP_HEADLINES = 7

#: Uncertain parameters a brief lists as the assumptions behind a result.
ASSUMPTIONS_SHOWN = 5


def measured_years(config: Scenario) -> float:
    """Years of the measured period (working days after the warm-up over 260)."""
    sim = config.simulation
    return (sim.days - sim.warmup_days) / WORKING_DAYS_PER_YEAR


def _unit_words(metric: Metric) -> str:
    return "" if metric.unit in ("share", "GBP", "per year") else f" {metric.unit}"


def _value(metric: Metric, value: float) -> str:
    return format_value(value, metric.unit) + _unit_words(metric)


def _per_year(metric: Metric, value: float, years: float, change: bool = False) -> str:
    if not metric.per_year or years <= 0 or not math.isfinite(value):
        return ""
    per = value / years
    text = format_change(per, metric.unit) if change else format_value(per, metric.unit)
    return f"; {text}{_unit_words(metric)} a year"


def agreeing_runs(base: np.ndarray, other: np.ndarray) -> tuple[int, int, str]:
    """How many paired runs moved the way the mean moved: (k, n, "up"/"down"/"no change")."""
    both = ~(np.isnan(base) | np.isnan(other))
    diffs = other[both] - base[both]
    n = int(diffs.size)
    if n == 0 or float(np.mean(diffs)) == 0:
        return int((diffs == 0).sum()), n, "no change"
    up = float(np.mean(diffs)) > 0
    return int((diffs > 0).sum() if up else (diffs < 0).sum()), n, "up" if up else "down"


def change_range(low: float, high: float, unit: str) -> str:
    """A difference's interval in words: ``−1,223 to +4,943`` (``n/a`` when undefined)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "n/a"
    return f"{format_change(low, unit)} to {format_change(high, unit)}"


def change_sentence(
    metric: Metric, base: np.ndarray, other: np.ndarray, years: float, caveat: str = ""
) -> str:
    """``Label: +X unit (95% interval a – b), up in k of n paired runs; from A to B; per year``."""
    diff = paired_difference(base, other)
    k, n, direction = agreeing_runs(base, other)
    mean = diff["diff_mean"]
    if not math.isfinite(mean):
        return f"{metric.label}: undefined in these runs"
    spread = change_range(diff["diff_ci95_low"], diff["diff_ci95_high"], metric.unit)
    clear = math.isfinite(diff["diff_ci95_low"]) and (
        diff["diff_ci95_low"] > 0 or diff["diff_ci95_high"] < 0
    )
    if diff["diff_ci95_low"] == diff["diff_ci95_high"] == mean == 0:
        return f"{metric.label}: no change in any of the {n} paired runs."
    verdict = "" if clear else " (the interval includes no change)"
    base_mean, other_mean = float(np.nanmean(base)), float(np.nanmean(other))
    agree = f"{direction} in {k} of {n} paired runs" if direction != "no change" else "no change"
    note = f" † {caveat}" if caveat and clear else ""
    return (
        f"{metric.label}: {format_change(mean, metric.unit)}{_unit_words(metric)} "
        f"(95% interval {spread}){verdict}, {agree}; from {_value(metric, base_mean)} to "
        f"{_value(metric, other_mean)}{_per_year(metric, mean, years, change=True)}.{note}"
    )


def level_sentence(metric: Metric, values: np.ndarray, years: float) -> str:
    """``Label: mean (95% interval), median, 10–90% of runs``, and per year for totals."""
    stats = summarise_values(values, metric.bounds)
    finite = values[~np.isnan(values)]
    if not finite.size:
        return f"{metric.label}: undefined in these runs"
    interval = (
        f" (95% interval {format_interval(stats['ci95_low'], stats['ci95_high'], metric.unit, stats['mean'])})"  # noqa: E501
        if stats["n"] > 1
        else ""
    )
    low, median, high = np.percentile(finite, [10, 50, 90])
    return (
        f"{metric.label}: {_value(metric, stats['mean'])}{interval}; median "
        f"{format_value(median, metric.unit)}, 10–90% of runs "
        f"{format_interval(low, high, metric.unit, stats['mean'])}"
        f"{_per_year(metric, stats['mean'], years)}."
    )


def _share(values: np.ndarray) -> str:
    return format_value(float(np.nanmean(values)), "share")


def assumptions(config: Scenario, varied: Sequence[str] = ()) -> list[str]:
    """The uncertain parameters the result rests on, with the values this scenario gives them.

    Those a sweep ``varied`` are left out: their values differ from point to point.
    """
    lines = []
    held = [p for p in UNCERTAINTIES if p.key not in varied]
    for parameter in held[:ASSUMPTIONS_SHOWN]:
        value = describe_setting(parameter.key, parameter.value_in(config))
        unit = "" if parameter.unit in ("probability", "share") else f" {parameter.unit}"
        lines.append(f"{parameter.label}: {value}{unit}")
    return [
        "Calibrated to DfE children's social work statistics 2020–2025 (docs/calibration.md); "
        + "; ".join(lines)
        + "."
    ]


def replication_caveat(
    reps: int, precision_note: str = "", hint: str = "--reps auto (or more replications)"
) -> list[str]:
    """Warn when there are few replications (or the asked precision was not reached)."""
    lines = []
    if reps < FEW_REPLICATIONS and not precision_note:  # with --reps auto the note says it
        lines.append(
            f"Only {reps} replication{'s' if reps != 1 else ''}: intervals are wide and one "
            f"unusual run can move a mean; rerun with {hint} before relying on it."
        )
    if precision_note:
        lines.append(precision_note)
    return lines


def command_text(command: Sequence[str] | None) -> str:
    """The command line as the reader would type it."""
    return shlex.join(command) if command else ""


# --- the three briefs -----------------------------------------------------------------------------


def comparison_brief(
    comparison: Comparison,
    headcounts: dict[str, np.ndarray],
    command: Sequence[str] | None,
    precision_note: str = "",
) -> Brief:
    """The brief of a comparison: each scenario's paired change from the baseline.

    Args:
        comparison: The finished comparison.
        headcounts: Per daily column (``burnt_out``...), a (scenarios, replications) array of
            each run's mean headcount over the measured period.
        command: The command line that made it.
        precision_note: The replications algorithm's warning, if its precision was not met.
    """
    labels, configs = comparison.labels, comparison.configs
    base_label, base_config = labels[0], configs[0]
    years = measured_years(base_config)
    cuts = cut_warnings(configs, labels)
    changes = []
    for label, config in zip(labels[1:], configs[1:], strict=True):
        differing = [
            f"{setting_label(key)} {describe_setting_text(b)} → {describe_setting_text(o)}"
            for key, b, o in settings_differences(base_config, config)
            if not key.startswith("simulation.")
        ][:4]
        changes.append(f"'{label}' ({join_words(differing) or 'the same settings'})")
    question = (
        f"What happens to children and families, social workers and cost if we move from "
        f"'{base_label}' to {join_words(changes)}? Measured over {years:.1f} years, "
        f"{comparison.replications} paired runs each."
    )
    brief = Brief(f"Brief: {join_words(labels[1:])} against {base_label}", question)
    for index, label in enumerate(labels[1:], start=1):
        prefix = f"{label}: " if len(labels) > 2 else ""
        for metric in HEADLINE_METRICS:
            values = comparison.matrix(metric.key)
            caveat = cuts.get(label, "") if metric.key == "vacancy_rate" else ""
            brief.headlines.append(
                prefix + change_sentence(metric, values[0], values[index], years, caveat)
            )
        for metric in HEADLINE_METRICS:
            if metric.headcount and metric.headcount in headcounts:
                people = headcounts[metric.headcount]
                diff = paired_difference(people[0], people[index])
                k, n, direction = agreeing_runs(people[0], people[index])
                brief.headcounts.append(
                    f"{prefix}{HEADCOUNT_LABELS[metric.headcount].capitalize()}: "
                    f"{format_value(float(np.nanmean(people[0])), 'people')} → "
                    f"{format_value(float(np.nanmean(people[index])), 'people')} "
                    f"({format_change(diff['diff_mean'], 'people')}, 95% interval "
                    f"{change_range(diff['diff_ci95_low'], diff['diff_ci95_high'], 'people')}; "
                    f"{direction} in {k} of {n} paired runs)."
                )
        brief.costs.extend(_cost_lines(comparison, index, years, prefix))
    brief.caveats.extend(organisation_warnings(configs, labels))
    brief.caveats.extend(cuts.values())
    brief.caveats.extend(replication_caveat(comparison.replications, precision_note))
    brief.assumptions = assumptions(base_config)
    brief.reproduce = command_text(command)
    return brief


def describe_setting_text(text: str) -> str:
    """A value already shown by :func:`settings_differences`, kept short for a sentence."""
    return text if len(text) <= 70 else text[:67] + "..."


def _cost_lines(comparison: Comparison, index: int, years: float, prefix: str) -> list[str]:
    """Cost per year, and what each unit of harm avoided (or added) costs."""
    cost = METRICS_BY_KEY["staff_cost_total"]
    costs = comparison.matrix(cost.key)
    cost_diff = paired_difference(costs[0], costs[index])
    per_year = cost_diff["diff_mean"] / years if years > 0 else math.nan
    lines = [
        f"{prefix}Staff cost {format_value(float(np.nanmean(costs[0])) / years, 'GBP')} → "
        f"{format_value(float(np.nanmean(costs[index])) / years, 'GBP')} a year "
        f"({format_change(per_year, 'GBP')} a year, 95% interval "
        f"{change_range(cost_diff['diff_ci95_low'] / years, cost_diff['diff_ci95_high'] / years, 'GBP')})."  # noqa: E501
    ]
    harms = []
    for metric in HEADLINE_METRICS:
        if metric.group != "risk" or not metric.per_year or metric.better != "lower":
            continue
        values = comparison.matrix(metric.key)
        harm = paired_difference(values[0], values[index])["diff_mean"] / years
        if not (math.isfinite(harm) and math.isfinite(per_year)) or harm == 0:
            continue
        unit = metric.unit.removesuffix("s")
        thing = f"{unit} of {metric.label.lower()}" if unit == "case-day" else metric.label.lower()
        ratio = format_value(abs(per_year / harm), "GBP")
        if harm < 0 and per_year > 0:
            harms.append(f"{ratio} per {thing} avoided")
        elif harm < 0:
            harms.append(f"{thing} fall and money is saved")
        elif per_year < 0:
            harms.append(f"{ratio} saved per extra {thing}")
        else:
            harms.append(f"{thing} rise and cost rises too")
    if harms:
        lines.append(f"{prefix}Per year: " + "; ".join(harms) + ".")
    return lines


def run_brief(
    config: Scenario,
    values: dict[str, np.ndarray],
    headcounts: dict[str, np.ndarray],
    command: Sequence[str] | None,
    precision_note: str = "",
) -> Brief:
    """The brief of one scenario's replications: its levels, with their spread over runs.

    Args:
        config: The scenario as run.
        values: Per metric key, each replication's value.
        headcounts: Per daily column, each replication's mean headcount over the measured period.
        command: The command line that made it.
        precision_note: The replications algorithm's warning, if its precision was not met.
    """
    years = measured_years(config)
    reps = len(next(iter(values.values())))
    about = config.description.strip().split("\n")[0] if config.description.strip() else ""
    question = (
        f"What does '{config.name}' mean for children and families, social workers and cost "
        f"over {years:.1f} years? {config.team.n_teams} team(s) of "
        f"{config.team.social_worker_posts} social worker posts, {reps} runs. {about}"
    ).strip()
    brief = Brief(f"Brief: {config.name}", question)
    brief.headlines_title = "What it shows"
    for metric in HEADLINE_METRICS:
        brief.headlines.append(level_sentence(metric, values[metric.key], years))
    for metric in HEADLINE_METRICS:
        if metric.headcount and metric.headcount in headcounts:
            people = headcounts[metric.headcount]
            stats = summarise_values(people, (0.0, math.inf))
            brief.headcounts.append(
                f"{HEADCOUNT_LABELS[metric.headcount].capitalize()}: "
                f"{format_value(stats['mean'], 'people')}"
                + (
                    f" (95% interval {format_interval(stats['ci95_low'], stats['ci95_high'], 'people', stats['mean'])})"  # noqa: E501
                    if stats["n"] > 1
                    else ""
                )
                + f", beside the share: {_share(values[metric.key])}."
            )
    cost = values["staff_cost_total"]
    brief.costs.append(
        f"Staff cost {format_value(float(np.nanmean(cost)) / years, 'GBP')} a year "
        f"({format_value(float(np.nanmean(cost)), 'GBP')} over the measured period)."
    )
    brief.caveats.extend(replication_caveat(reps, precision_note))
    brief.assumptions = assumptions(config)
    brief.reproduce = command_text(command)
    return brief


def _point_text(row: Any, factors: Sequence[Any]) -> str:
    """A design point in words: ``Cap: cases per full-time worker 16, Admin support (...) 0.5``."""
    return ", ".join(
        f"{setting_label(f.key)} {describe_setting(f.key, _plain(row[f.label]))}" for f in factors
    )


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def sweep_brief(
    plan: Any,
    points: Any,
    indices: Any,
    command: Sequence[str] | None,
    findings: Sequence[str] = (),
    precision_note: str = "",
) -> Brief:
    """The brief of a sweep: where each outcome is best and worst, and what drives it.

    Args:
        plan: The design (:class:`sim.experiments.design.Plan`).
        points: One row per design point with each outcome's mean and interval.
        indices: The sensitivity table.
        command: The command line that made it.
        findings: Sentences from scenario discovery and the trade-offs, if any.
        precision_note: The replications algorithm's warning, if its precision was not met.
    """
    experiment = plan.experiment
    factors = experiment.factors
    config = plan.configs[0]
    years = measured_years(config)
    about = experiment.description.strip().replace("\n", " ")
    question = (
        f"{about or 'How do the outcomes change with the settings varied?'} Varied: "
        f"{join_words([setting_label(f.key) for f in factors])}; {len(points)} settings × "
        f"{experiment.replications} runs, measured over {years:.1f} years."
    )
    brief = Brief(f"Brief: {experiment.name}", question)
    brief.headlines_title = "Best and worst settings"
    wide = 0
    for outcome in experiment.outcomes[:SWEEP_HEADLINES]:  # the rest are in the report
        metric = METRICS_BY_KEY[outcome]
        means = points[f"{outcome}_mean"]
        if means.isna().all() or metric.better == "neither":
            continue
        best_at = means.idxmin() if metric.better == "lower" else means.idxmax()
        worst_at = means.idxmax() if metric.better == "lower" else means.idxmin()
        best, worst = points.loc[best_at], points.loc[worst_at]

        def shown(row: Any, metric: Metric = metric, outcome: str = outcome) -> str:
            low, high = row[f"{outcome}_ci95_low"], row[f"{outcome}_ci95_high"]
            spread = (
                f" (95% interval {format_interval(low, high, metric.unit, row[f'{outcome}_mean'])})"
                if math.isfinite(low) and math.isfinite(high)
                else ""
            )
            return f"{_value(metric, row[f'{outcome}_mean'])}{spread}"

        overlap = (
            best[f"{outcome}_ci95_high"] >= worst[f"{outcome}_ci95_low"]
            if metric.better == "lower"
            else best[f"{outcome}_ci95_low"] <= worst[f"{outcome}_ci95_high"]
        )
        brief.headlines.append(
            f"{metric.label}: best {shown(best)} at {_point_text(best, factors)}; worst "
            f"{shown(worst)} at {_point_text(worst, factors)}"
            + ("; their intervals overlap, so the order is not sure." if overlap else ".")
        )
        half = (points[f"{outcome}_ci95_high"] - points[f"{outcome}_ci95_low"]) / 2
        relative = half / points[f"{outcome}_mean"].abs().replace(0, np.nan)
        wide += int((relative > 0.25).sum())
    if "staff_cost_total" in experiment.outcomes:
        cost = points["staff_cost_total_mean"] / years
        brief.costs.append(
            f"Staff cost from {format_value(float(cost.min()), 'GBP')} to "
            f"{format_value(float(cost.max()), 'GBP')} a year over the settings."
        )
    drivers = []
    for outcome in experiment.outcomes:
        rows = indices[(indices["outcome"] == outcome) & indices["value"].notna()]
        rows = rows[rows["index"].isin(["ST", "S1", "mu_star", "main_effect"])]
        if rows.empty:
            continue
        top = rows.loc[rows["value"].abs().idxmax()]
        factor = next((f for f in factors if f.label == top["factor"]), None)
        name = setting_label(factor.key) if factor is not None else str(top["factor"])
        drivers.append(
            f"{METRICS_BY_KEY[outcome].label.lower()}: {name} ({top['index']} {top['value']:.2g})"
        )
    if drivers:
        brief.assumptions.append("What each outcome depends on most: " + "; ".join(drivers) + ".")
    brief.assumptions.extend(assumptions(config, varied=[f.key for f in factors]))
    brief.findings.extend(findings)
    brief.caveats.extend(
        replication_caveat(experiment.replications, precision_note, hint="more --reps per point")
    )
    if wide:
        brief.caveats.append(
            f"{wide} outcome mean(s) have a 95% interval wider than ±25% of the mean: neighbouring "
            "settings may swap order; more replications (--reps) narrow them."
        )
    brief.reproduce = command_text(command)
    return brief
