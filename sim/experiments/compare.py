"""Paired comparison of scenarios: what a lever or a cut changes, with its uncertainty.

Every scenario is run with the same master seed, so replication r of each scenario shares its
seed (common random numbers). The effect of a scenario on a metric is then estimated from the
paired differences ``d_r = other_r - baseline_r``: their mean, a Student-t 95% interval
``mean(d) ± t(0.975, n-1) · sd(d) / √n`` and a paired t-test. Pairing removes the luck both runs
share, so the interval on a difference is usually much narrower than the two scenarios'
intervals suggest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.engine.metrics import METRICS
from sim.runs.batch import RunRecord, metric_matrix
from sim.runs.replications import summarise_values
from sim.scenario.levers import describe_setting
from sim.scenario.schema import Scenario

#: Columns of the comparison table, one row per (scenario, metric).
COMPARISON_COLUMNS: tuple[str, ...] = (
    "scenario",
    "metric",
    "unit",
    "group",
    "mean",
    "ci95_low",
    "ci95_high",
    "sd",
    "n",
    "diff_mean",
    "diff_ci95_low",
    "diff_ci95_high",
    "diff_n",
    "relative_change",
    "p_value",
)


@dataclass(frozen=True)
class Comparison:
    """The runs of a comparison: ``labels[0]`` is the baseline; records in spec order."""

    labels: tuple[str, ...]
    configs: tuple[Scenario, ...]
    records: tuple[RunRecord, ...]
    replications: int
    master_seed: int

    def matrix(self, metric: str) -> np.ndarray:
        """One metric as a (scenarios, replications) array."""
        return metric_matrix(self.records, metric, len(self.labels), self.replications)

    def table(self) -> pd.DataFrame:
        """Every metric of every scenario, and its paired difference from the baseline."""
        rows = []
        for metric in METRICS:
            values = self.matrix(metric.key)
            for index, label in enumerate(self.labels):
                stats_ = summarise_values(values[index], metric.bounds)
                diff = paired_difference(values[0], values[index]) if index else None
                rows.append(
                    {
                        "scenario": label,
                        "metric": metric.key,
                        "unit": metric.unit,
                        "group": metric.group,
                        "mean": stats_["mean"],
                        "ci95_low": stats_["ci95_low"],
                        "ci95_high": stats_["ci95_high"],
                        "sd": stats_["sd"],
                        "n": stats_["n"],
                        **(diff or _no_difference()),
                    }
                )
        return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))

    def runs(self) -> pd.DataFrame:
        """One row per run: scenario, replication, seed and every metric."""
        rows = [
            {
                "scenario": self.labels[r.point],
                "replication": r.replication,
                "seed": r.seed,
                **{m.key: r.summary.get(m.key, math.nan) for m in METRICS},
            }
            for r in self.records
        ]
        return pd.DataFrame(rows)

    def headcounts(self) -> dict[str, np.ndarray]:
        """Per daily headcount column, each run's mean over the measured period.

        (scenarios, replications) arrays from the weekly series each run kept (NaN where a run
        kept none), for the people behind a share: burnt-out workers beside burnout prevalence.
        """
        columns = {m.headcount for m in METRICS if m.headcount}
        out = {c: np.full((len(self.labels), self.replications), np.nan) for c in columns}
        for record in self.records:
            for column in columns:
                weekly = (record.series or {}).get(column)
                if weekly:
                    out[column][record.point, record.replication] = float(np.mean(weekly))
        return out

    def series(self) -> pd.DataFrame:
        """Weekly series of each run (measured period), long: scenario, replication, week."""
        frames = []
        for record in self.records:
            if not record.series:
                continue
            frame = pd.DataFrame(record.series)
            frame.insert(0, "week", np.arange(len(frame)))
            frame.insert(0, "replication", record.replication)
            frame.insert(0, "scenario", self.labels[record.point])
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def paired_difference(baseline: np.ndarray, other: np.ndarray) -> dict[str, float]:
    """Mean paired difference ``other - baseline`` with its t-interval, relative size and p.

    Replications where either value is undefined (NaN) are left out of the pair. With fewer
    than two pairs the interval and p-value are undefined (NaN); with no spread at all (the
    lever changed nothing) the interval is the point and p is NaN.
    """
    both = ~(np.isnan(baseline) | np.isnan(other))
    diffs = other[both] - baseline[both]
    n = int(diffs.size)
    mean = float(diffs.mean()) if n else math.nan
    base_mean = float(baseline[both].mean()) if n else math.nan
    relative = mean / base_mean if n and base_mean != 0 else math.nan
    low = high = p_value = math.nan
    if n >= 2:
        sd = float(diffs.std(ddof=1))
        half = float(stats.t.ppf(0.975, df=n - 1)) * sd / math.sqrt(n)
        low, high = mean - half, mean + half
        if sd > 0:
            p_value = float(stats.ttest_rel(other[both], baseline[both]).pvalue)
    return {
        "diff_mean": mean,
        "diff_ci95_low": low,
        "diff_ci95_high": high,
        "diff_n": n,
        "relative_change": relative,
        "p_value": p_value,
    }


def _no_difference() -> dict[str, float]:
    nan = math.nan
    return {
        "diff_mean": nan,
        "diff_ci95_low": nan,
        "diff_ci95_high": nan,
        "diff_n": 0,
        "relative_change": nan,
        "p_value": nan,
    }


#: Keys that describe a scenario rather than set it.
_DESCRIPTIVE = ("name", "description", "teaching_notes")


def settings_differences(baseline: Scenario, other: Scenario) -> list[tuple[str, str, str]]:
    """Every setting ``other`` gives a different value from ``baseline``: (key, base, other).

    Keys are dotted as for ``--set``; lists (named workers, cuts, shocks) compare whole and are
    described in words ("10% of posts cut on working day 260").
    """
    base, changed = _flatten(baseline.model_dump()), _flatten(other.model_dump())
    return [
        (key, _shown(key, base.get(key)), _shown(key, changed.get(key)))
        for key in sorted(base.keys() | changed.keys())
        if key not in _DESCRIPTIVE and base.get(key) != changed.get(key)
    ]


def _flatten(data: dict, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _shown(key: str, value: object) -> str:
    text = describe_setting(key, value)
    return text if len(text) <= 80 else text[:77] + "..."


def organisation_warnings(configs: Sequence[Scenario], labels: Sequence[str]) -> list[str]:
    """Counts and costs are totals, so say when the organisations compared differ in size."""
    base = configs[0].team
    warnings = []
    for label, config in zip(labels[1:], configs[1:], strict=True):
        team = config.team
        if (team.n_teams, team.social_worker_posts) != (base.n_teams, base.social_worker_posts):
            warnings.append(
                f"'{label}' has {team.n_teams} team(s) of {team.social_worker_posts} posts and "
                f"'{labels[0]}' {base.n_teams} of {base.social_worker_posts}: counts and costs "
                "are totals over different organisations (shares and rates compare)"
            )
    return warnings


def cut_warnings(configs: Sequence[Scenario], labels: Sequence[str]) -> dict[str, str]:
    """Scenarios whose staffing cuts remove vacant posts first: their vacancy rate's caveat.

    A cut takes vacant posts before filled ones, so the share of posts without a holder falls
    although nobody was recruited: the organisation has fewer posts, not fewer gaps to fill.
    """
    base = configs[0].staffing.cuts
    return {
        label: (
            f"'{label}' cuts posts, vacant ones first: its vacancy rate falls because there are "
            "fewer posts, not because a post was filled"
        )
        for label, config in zip(labels[1:], configs[1:], strict=True)
        if config.staffing.cuts and config.staffing.cuts != base
    }


def unique_labels(names: Sequence[str]) -> tuple[str, ...]:
    """Scenario names, numbered where two are the same (``baseline``, ``baseline#2``)."""
    labels: list[str] = []
    for name in names:
        label, number = name, 1
        while label in labels:
            number += 1
            label = f"{name}#{number}"
        labels.append(label)
    return tuple(labels)
