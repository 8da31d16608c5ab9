"""Figures for comparisons and sweeps, drawn with matplotlib and saved as PNG.

Each function takes the tables the experiment already wrote (so a figure can be redrawn from
the Parquet files alone) and a path, and draws one figure a planner can paste into a paper:
titled, labelled with units, the uncertainty shown, the baseline marked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.patches
import matplotlib.ticker

matplotlib.use("Agg")  # files only: no display on servers or workers

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from sim.engine.metrics import METRICS_BY_KEY
from sim.outputs.formatting import format_change, format_value

#: Weekly series drawn in a comparison's over-time figure, with their axis labels.
OVER_TIME = (
    ("waiting", "Referrals waiting for allocation"),
    ("overdue_visits", "Cases with a statutory visit overdue"),
    ("records_out_of_date", "Cases with records out of date"),
    ("burnt_out", "Workers burnt out"),
    ("sick", "Workers off sick"),
    ("vacancies", "Vacant posts"),
)

_COLOURS = plt.get_cmap("tab10").colors


def label_of(metric: str) -> str:
    """A metric's human label with its unit, for an axis."""
    found = METRICS_BY_KEY.get(metric)
    if found is None:
        return metric
    return f"{found.label} ({found.unit})" if found.unit else found.label


def _name(metric: str) -> str:
    """A metric's human label (its key if it is not a metric)."""
    found = METRICS_BY_KEY.get(metric)
    return found.label if found is not None else metric


def differences_figure(table: pd.DataFrame, path: Path) -> None:
    """Forest plot: each scenario's paired change from the baseline, as % of the baseline."""
    labels = list(dict.fromkeys(table["scenario"]))
    baseline, others = labels[0], labels[1:]
    metrics = list(dict.fromkeys(table["metric"]))
    base = table[table["scenario"] == baseline].set_index("metric")["mean"]
    height = 0.8 / max(1, len(others))
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(metrics) + 1.8))
    for k, label in enumerate(others):
        rows = table[table["scenario"] == label].set_index("metric").loc[metrics]
        scale = base.loc[metrics].replace(0, np.nan).to_numpy() / 100.0
        centre = rows["diff_mean"].to_numpy() / scale
        low = rows["diff_ci95_low"].to_numpy() / scale
        high = rows["diff_ci95_high"].to_numpy() / scale
        y = np.arange(len(metrics)) - 0.4 + height * (k + 0.5)
        for row, (y_k, diff) in enumerate(zip(y, rows["diff_mean"], strict=True)):
            if not np.isfinite(scale[row]) and np.isfinite(diff) and diff != 0:
                unit = METRICS_BY_KEY[metrics[row]].unit
                ax.annotate(
                    f"baseline 0: {format_change(diff, unit)}",
                    (0, y_k),
                    xytext=(6, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize="small",
                    color=_COLOURS[k % 10],
                )
        err = np.vstack([centre - low, high - centre])
        ax.errorbar(
            centre,
            y,
            xerr=np.where(np.isfinite(err), err, 0),
            fmt="o",
            color=_COLOURS[k % 10],
            label=label,
            capsize=3,
        )
    ax.axvline(0, color="black", linewidth=0.8)
    # Changes run from a few per cent to thousands (a wait that was near zero), so the axis is
    # linear within ±10% and logarithmic beyond: small and huge changes are both readable.
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(left=max(ax.get_xlim()[0], -150))  # a mean cannot fall more than 100%
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:+,.0f}%"))
    ax.set_yticks(np.arange(len(metrics)), [METRICS_BY_KEY[m].label for m in metrics])
    ax.invert_yaxis()
    ax.set_xlabel(
        f"Change from '{baseline}' as % of its mean, paired 95% interval "
        "(linear to ±10%, logarithmic beyond)"
    )
    ax.set_title("What each scenario changes (common random numbers, paired differences)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    _save(fig, path)


def over_time_figure(series: pd.DataFrame, path: Path) -> None:
    """Weekly means of the key risk and workforce counts, each scenario with a 95% band."""
    fig, axes = plt.subplots(2, 3, figsize=(13, 7), sharex=True)
    labels = list(dict.fromkeys(series["scenario"]))
    for ax, (column, title) in zip(axes.flat, OVER_TIME, strict=True):
        for k, label in enumerate(labels):
            weekly = series[series["scenario"] == label].groupby("week")[column]
            mean, sd, n = weekly.mean(), weekly.std(ddof=1), weekly.count()
            t = stats.t.ppf(0.975, np.maximum(n - 1, 1))  # Student-t, as in every table
            half = t * sd.fillna(0) / np.sqrt(n)
            colour = _COLOURS[k % 10]
            ax.plot(mean.index, mean.to_numpy(), color=colour, label=label)
            low = (mean - half).clip(lower=0)  # counts: the band stops at zero
            ax.fill_between(mean.index, low, mean + half, color=colour, alpha=0.2)
        ax.set_title(title, fontsize="medium")
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("Week of the measured period")
    axes.flat[0].legend(fontsize="small")
    fig.suptitle("Mean over replications, weekly, with 95% band")
    _save(fig, path)


def heatmap_figure(
    points: pd.DataFrame, x: str, y: str, outcome: str, path: Path, averaged: Sequence[str] = ()
) -> None:
    """Mean ``outcome`` over a grid of two factors, each cell annotated with its value."""
    grid = points.groupby([y, x])[f"{outcome}_mean"].mean().unstack(x)
    fig, ax = plt.subplots(figsize=(1.1 * grid.shape[1] + 3.5, 0.7 * grid.shape[0] + 2.2))
    image = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(grid.shape[1]), [_tick(v) for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [_tick(v) for v in grid.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    values = grid.to_numpy(dtype=float)
    middle = np.nanmean(values) if np.isfinite(values).any() else 0.0
    unit = METRICS_BY_KEY[outcome].unit if outcome in METRICS_BY_KEY else ""
    for (row, col), value in np.ndenumerate(values):
        if np.isfinite(value):
            colour = "white" if value < middle else "black"
            text = format_value(float(value), unit)
            ax.text(col, row, text, ha="center", va="center", color=colour, fontsize=8)
    fig.colorbar(image, ax=ax, label=label_of(outcome))
    note = f" (averaged over {', '.join(averaged)})" if averaged else ""
    ax.set_title(f"{_name(outcome)}: mean over replications{note}", fontsize="medium")
    _save(fig, path)


def line_figure(points: pd.DataFrame, x: str, outcome: str, path: Path) -> None:
    """Mean ``outcome`` against one factor, with the 95% interval of each point."""
    ordered = points.sort_values(x)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(ordered[x], ordered[f"{outcome}_mean"], marker="o")
    ax.fill_between(
        ordered[x], ordered[f"{outcome}_ci95_low"], ordered[f"{outcome}_ci95_high"], alpha=0.25
    )
    ax.set_xlabel(x)
    ax.set_ylabel(label_of(outcome))
    ax.set_title(f"{_name(outcome)}: mean over replications with 95% interval", fontsize="medium")
    ax.grid(alpha=0.3)
    _save(fig, path)


def tornado_figure(indices: pd.DataFrame, outcome: str, method: str, path: Path) -> None:
    """Horizontal bars of each factor's sensitivity index for ``outcome``, largest on top."""
    rows = indices[(indices["outcome"] == outcome) & (indices["index"] != "S2")]  # per factor
    kinds = list(dict.fromkeys(rows["index"]))
    main = next((k for k in ("ST", "mu_star") if k in kinds), kinds[0])
    order = rows[rows["index"] == main].sort_values("value")["factor"].tolist()
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(order) + 2))
    height = 0.8 / len(kinds)
    for k, kind in enumerate(kinds):
        part = rows[rows["index"] == kind].set_index("factor").loc[order]
        y = np.arange(len(order)) - 0.4 + height * (k + 0.5)
        conf = part["conf"].to_numpy(dtype=float)
        ax.barh(
            y,
            part["value"].to_numpy(dtype=float),
            height=height,
            xerr=np.where(np.isfinite(conf), conf, 0),
            color=_COLOURS[k % 10],
            label=kind,
            capsize=2,
        )
    ax.set_yticks(np.arange(len(order)), order)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(_INDEX_AXIS.get(method, "sensitivity index"))
    ax.set_title(f"What drives {_name(outcome).lower()} ({method})", fontsize="medium")
    ax.legend(fontsize="small", loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    _save(fig, path)


_INDEX_AXIS = {
    "sobol": "Sobol' index (share of variance), 95% interval",
    "morris": "Morris elementary effect μ* (outcome units), 95% interval",
    "lhs": "first-order index (RBD-FAST), 95% interval",
    "grid": "main-effect share of variance over the grid, Var(E[Y|X]) / Var(Y)",
}


def _tick(value: object) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.3g}"
    return str(value)


def _save(fig: plt.Figure, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def paired_runs_figure(runs: pd.DataFrame, metrics: Sequence[str], path: Path) -> None:
    """Strip plot: every paired run's change from the baseline, one panel per measure.

    ``runs`` is ``runs.parquet`` (scenario, replication, one column per metric; the first
    scenario is the baseline). Each dot is one replication's difference from the baseline's
    replication with the same seed, so one extreme run stands out instead of hiding in a mean;
    the bar is the mean, the dashed line no change.
    """
    labels = list(dict.fromkeys(runs["scenario"]))
    baseline, others = labels[0], labels[1:]
    wide = {label: runs[runs["scenario"] == label].set_index("replication") for label in labels}
    columns = min(4, len(metrics))
    rows = math.ceil(len(metrics) / columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(3.2 * columns, 2.6 * rows + 0.6), squeeze=False
    )
    jitter = np.random.default_rng(0)  # a fixed spread, so the figure is the same every time
    for ax, metric in zip(axes.flat, metrics, strict=False):
        unit = METRICS_BY_KEY[metric].unit
        scale = 100.0 if unit in ("share", "per year") else 1.0
        for k, label in enumerate(others):
            diffs = (wide[label][metric] - wide[baseline][metric]).dropna().to_numpy() * scale
            x = k + jitter.uniform(-0.15, 0.15, diffs.size)
            ax.scatter(x, diffs, s=14, color=_COLOURS[k % 10], alpha=0.8, zorder=3)
            if diffs.size:
                ax.hlines(diffs.mean(), k - 0.3, k + 0.3, color="black", linewidth=1.5, zorder=4)
        ax.axhline(0, color="grey", linestyle="--", linewidth=0.8)
        ax.set_xticks(range(len(others)), others, fontsize="small")
        ax.set_xlim(-0.6, len(others) - 0.4)
        shown_unit = "pp" if scale == 100.0 else unit
        ax.set_title(f"{_name(metric)}\n(change, {shown_unit})", fontsize="small")
        ax.tick_params(axis="y", labelsize="small")
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.set_visible(False)
    fig.suptitle(f"Each paired run's change from '{baseline}' (dot: one run; bar: the mean)")
    _save(fig, path)


def peeling_figure(trajectory: pd.DataFrame, path: Path) -> None:
    """PRIM's peeling trajectory: density against coverage, coloured by restricted factors.

    ``trajectory`` has ``coverage``, ``density``, ``res_dim`` and ``chosen`` per box; the chosen
    box is ringed.
    """
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    points = ax.scatter(
        trajectory["coverage"],
        trajectory["density"],
        c=trajectory["res_dim"],
        cmap="viridis",
        s=22,
        zorder=3,
    )
    chosen = trajectory[trajectory["chosen"]]
    ax.scatter(
        chosen["coverage"],
        chosen["density"],
        s=160,
        facecolors="none",
        edgecolors="red",
        linewidths=1.8,
        zorder=4,
        label="chosen box",
    )
    fig.colorbar(points, ax=ax, label="factors restricted")
    ax.set_xlabel("Coverage: share of all bad runs inside the box")
    ax.set_ylabel("Density: share of runs in the box that are bad")
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_title("PRIM peeling trajectory (each dot: one box)", fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize="small")
    _save(fig, path)


def box_figure(
    x: pd.DataFrame,
    bad: np.ndarray,
    axes_of: tuple[str, str],
    limits: dict[str, tuple[float, float]],
    titles: dict[str, str],
    path: Path,
) -> None:
    """The runs over two factors, bad ones in red, with the chosen box drawn on them."""
    first, second = axes_of
    fig, ax = plt.subplots(figsize=(6.5, 4.8))
    bad = np.asarray(bad, dtype=bool)
    ax.scatter(x.loc[~bad, first], x.loc[~bad, second], s=12, color="#4c72b0", label="not bad")
    ax.scatter(x.loc[bad, first], x.loc[bad, second], s=14, color="#c44e52", label="bad")
    low_x, high_x = limits.get(first, (x[first].min(), x[first].max()))
    low_y, high_y = limits.get(second, (x[second].min(), x[second].max()))
    ax.add_patch(
        matplotlib.patches.Rectangle(
            (low_x, low_y),
            high_x - low_x,
            high_y - low_y,
            fill=False,
            edgecolor="black",
            linewidth=1.8,
            label="PRIM box",
        )
    )
    ax.set_xlabel(titles.get(first, first))
    ax.set_ylabel(titles.get(second, second))
    ax.set_title("Where the bad runs are, and the box PRIM found", fontsize="medium")
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    _save(fig, path)


def tradeoff_figure(
    cost_per_year: np.ndarray,
    harm: np.ndarray,
    front: np.ndarray,
    harm_metric: str,
    names: Sequence[str],
    path: Path,
    names_title: str = "",
) -> None:
    """Cost a year against harm for every setting, the non-dominated ones joined and named.

    ``names_title`` says what a point's name lists (the factors, in order).
    """
    fig, ax = plt.subplots(figsize=(7.5, 5.0))
    front = np.asarray(front, dtype=bool)
    ax.scatter(cost_per_year[~front], harm[~front], s=22, color="#9a9a9a", label="dominated")
    order = np.flatnonzero(front)[np.argsort(cost_per_year[front])]
    ax.plot(
        cost_per_year[order],
        harm[order],
        marker="o",
        color="#c44e52",
        label="not beaten on both (non-dominated)",
        zorder=3,
    )
    for i in order[:12]:
        ax.annotate(
            names[i],
            (cost_per_year[i], harm[i]),
            xytext=(5, 4),
            textcoords="offset points",
            fontsize="x-small",
        )
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"£{v:,.0f}"))
    ax.set_xlabel("Staff cost a year (mean over replications)")
    ax.set_ylabel(label_of(harm_metric))
    better = METRICS_BY_KEY[harm_metric].better
    ax.set_title(
        f"Cost against {_name(harm_metric).lower()}: "
        f"{'down' if better == 'lower' else 'up'} and left is better",
        fontsize="medium",
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small", title=names_title or None, title_fontsize="x-small")
    _save(fig, path)
