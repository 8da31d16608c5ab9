"""``caseload sweep EXPERIMENT.toml``: run an experiment's design and analyse it.

Writes ``runs.parquet`` (every run), ``points.parquet`` (each design point's outcome means with
95% intervals), ``sensitivity.parquet`` (SALib indices), heat maps or line plots for grids,
tornado plots of the indices, ``report.html``, the experiment and base scenario as run, and
``manifest.json``. An interrupted sweep resumes from its journal when the same command is run
again.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.cli.support import (
    EXIT_OK,
    add_execution_options,
    add_output_options,
    add_pdf_option,
    check_pdf,
    claim_output_dir,
    handout,
    positive_int,
    run_journaled,
)

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

    from sim.experiments.design import Plan
    from sim.outputs.files import Writer
    from sim.outputs.report import Report

#: The journal of finished runs inside the output directory, removed once outputs are written.
JOURNAL = ".sweep-journal.jsonl"

#: Grids with more points than this print only the extremes of each outcome.
MAX_PRINTED_POINTS = 30

_INDEX_MEANING = {
    "S1": "first-order index: the share of the outcome's variance due to the factor alone",
    "ST": "total index: the share due to the factor including its interactions",
    "S2": "second-order index: the share due to the pair's interaction",
    "mu_star": "Morris μ*: mean absolute elementary effect, in outcome units: the change over "
    "a step divided by the step's share of the factor's range (the change over the whole range "
    "if the effect were linear)",
    "sigma": "Morris σ: the spread of those elementary effects (non-linearity or interaction)",
}


def add_sweep(subparsers: Any) -> None:
    """Register ``caseload sweep``."""
    sweep = subparsers.add_parser(
        "sweep",
        help="run an experiment file's design (grid, LHS, Sobol', Morris) and its sensitivity",
        description="Run every design point of an experiment file with common random numbers, "
        "then write outcome means per point, SALib sensitivity indices, heat-map or tornado "
        "plots and report.html.",
    )
    sweep.add_argument("experiment", metavar="EXPERIMENT", help="experiment TOML file")
    sweep.add_argument(
        "--reps",
        type=positive_int,
        metavar="N",
        help="replications per point (default: the file's)",
    )
    add_output_options(sweep, "results/sweep-NAME")
    add_execution_options(sweep)
    add_pdf_option(sweep)
    sweep.set_defaults(handler=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run the sweep, print its sensitivity and write its outputs."""
    from rich.console import Console
    from rich.markup import escape

    from sim.experiments.design import load_plan
    from sim.experiments.sweep import points_table, runs_table, sensitivity
    from sim.runs.batch import Journal, specs_for
    from sim.scenario.catalogue import display_path

    design = load_plan(args.experiment, args.reps)
    check_pdf(args)
    experiment = design.experiment
    base_sim = design.configs[0].simulation
    seed = base_sim.seed
    out = claim_output_dir(args, default_sweep_dir(experiment.name))
    console = Console(width=None if sys.stdout.isatty() else 160)
    specs = specs_for(design.configs, experiment.replications, seed)
    console.print(
        f"[bold]Sweep '{escape(experiment.name)}'[/bold] ({escape(args.experiment)}): "
        f"{experiment.design.method} design, {len(design.configs)} points × "
        f"{experiment.replications} replications = {len(specs)} runs of {base_sim.days} "
        f"working days (warm-up {base_sim.warmup_days}), master seed {seed}",
        highlight=False,
        soft_wrap=True,
    )
    records, reused = run_journaled(specs, args, out / JOURNAL, console, command="sweep")
    points = points_table(design, records, experiment.outcomes)
    indices = sensitivity(design, points, experiment.outcomes)
    runs = runs_table(design, records)
    source = Path(args.experiment).read_text(encoding="utf-8")
    counts = {"runs": len(specs), "runs_reused": reused}
    write_sweep(
        out,
        design,
        runs,
        points,
        indices,
        source,
        seed,
        counts=counts,
        command=args.command_line,
        pdf=not args.no_pdf,
    )
    Journal(out / JOURNAL).clear()  # the outputs are safely written
    console.print(points_summary(design, points))
    console.print(sensitivity_summary(indices, experiment.design.method))
    console.print(
        f"Outputs written to {display_path(out)}/ ({handout(args)} to send on)",
        highlight=False,
        soft_wrap=True,
    )
    return EXIT_OK


def default_sweep_dir(name: str) -> Path:
    """``results/sweep-<name>``, made safe as a directory name."""
    return Path("results") / (re.sub(r"[^A-Za-z0-9._-]+", "-", f"sweep-{name}").strip("-."))


def points_summary(design: Plan, points: pd.DataFrame) -> Table:
    """Each point's factor values and outcome means (grids), or each outcome's range."""
    from rich.table import Table

    from sim.engine.metrics import METRICS_BY_KEY
    from sim.outputs.formatting import format_value
    from sim.outputs.report import label_with_unit
    from sim.scenario.levers import setting_label

    outcomes = design.experiment.outcomes
    table = Table(title="Outcome means over replications by design point", title_justify="left")
    if len(points) > MAX_PRINTED_POINTS:
        table.title = "Range of each outcome's mean over the design points"
        for column in ("Outcome", "Unit", "Lowest", "Highest", "At lowest", "At highest"):
            table.add_column(
                column,
                justify="left" if column in ("Outcome", "Unit") else "right",
                overflow="fold",
            )
        for outcome in outcomes:
            unit = METRICS_BY_KEY[outcome].unit
            means = points[f"{outcome}_mean"]
            if means.isna().all():
                continue
            low, high = points.loc[means.idxmin()], points.loc[means.idxmax()]
            table.add_row(
                METRICS_BY_KEY[outcome].label,
                unit,
                format_value(low[f"{outcome}_mean"], unit),
                format_value(high[f"{outcome}_mean"], unit),
                _where(low, design.labels),
                _where(high, design.labels),
            )
        return table
    table.title = "Outcome means over replications by design point, 95% interval below"
    for factor in design.experiment.factors:  # full names: a column folds, never cuts them
        table.add_column(setting_label(factor.key), justify="right", overflow="fold")
    for outcome in outcomes:
        table.add_column(label_with_unit(outcome), justify="right", overflow="fold")
    for _, row in points.iterrows():
        table.add_row(
            *[_value(row[label]) for label in design.labels],
            *[_console_cell(row, o) for o in outcomes],
        )
    return table


def _console_cell(row: pd.Series, outcome: str) -> str:
    import pandas as pd

    from sim.engine.metrics import METRICS_BY_KEY
    from sim.outputs.formatting import format_interval, format_value

    unit = METRICS_BY_KEY[outcome].unit
    mean, low, high = (
        row[f"{outcome}_mean"],
        row[f"{outcome}_ci95_low"],
        row[f"{outcome}_ci95_high"],
    )
    text = format_value(mean, unit)
    if pd.notna(low) and pd.notna(high):
        text += f"\n[dim]{format_interval(low, high, unit, mean)}[/dim]"
    return text


def sensitivity_summary(indices: pd.DataFrame, method: str) -> Table:
    """Each outcome's indices, one column per factor, the largest marked."""
    from rich.table import Table

    from sim.engine.metrics import METRICS_BY_KEY

    table = Table(
        title=f"Sensitivity ({method}): index value"
        + ("" if method == "grid" else " ± SALib's bootstrap 95% half-width"),
        title_justify="left",
    )
    factors = list(dict.fromkeys(indices["factor"]))
    table.add_column("Outcome", overflow="fold")
    table.add_column("Index")
    for factor in factors:
        table.add_column(factor, justify="right", overflow="fold")
    for (outcome, index), part in indices.groupby(["outcome", "index"], sort=False):
        by_factor = part.set_index("factor")
        row = [METRICS_BY_KEY[outcome].label if outcome in METRICS_BY_KEY else outcome, index]
        for factor in factors:
            if factor not in by_factor.index:
                row.append("")
                continue
            value, conf = by_factor.loc[factor, "value"], by_factor.loc[factor, "conf"]
            text = "n/a" if math.isnan(value) else f"{value:.3g}"
            if not math.isnan(conf) and not math.isnan(value):
                text += f" ± {conf:.2g}"
            row.append(text)
        table.add_row(*row)
    return table


def write_sweep(
    out: Path,
    design: Plan,
    runs: pd.DataFrame,
    points: pd.DataFrame,
    indices: pd.DataFrame,
    experiment_source: str,
    seed: int,
    *,
    counts: dict[str, int] | None = None,
    command: list[str] | None = None,
    pdf: bool = True,
    findings: list[str] | None = None,
    precision_note: str = "",
    extra: dict[str, Writer] | None = None,
    sections: Callable[[Report, Path], None] | None = None,
    kind: str = "sweep",
) -> dict[str, Path]:
    """Write the sweep's tables, figures, report, brief and inputs atomically into ``out``.

    ``counts`` (runs in all, and how many were reused from an interrupted sweep's journal) go
    into the manifest.
    """
    from sim.experiments.briefing import measured_years, sweep_brief
    from sim.experiments.tradeoffs import harm_outcomes, tradeoff_sentence
    from sim.outputs.brief import brief_writers
    from sim.outputs.files import write_directory, write_parquet
    from sim.scenario.loading import scenario_to_toml

    experiment = design.experiment
    writers: dict[str, Writer] = {
        "runs.parquet": lambda path: write_parquet(path, runs),
        "points.parquet": lambda path: write_parquet(path, points),
        "sensitivity.parquet": lambda path: write_parquet(path, indices),
        "experiment.toml": lambda path: path.write_text(experiment_source, encoding="utf-8"),
        "scenario.toml": lambda path: path.write_text(
            scenario_to_toml(design.configs[0]), encoding="utf-8"
        ),
    }
    figures = _figure_writers(design, points, indices)
    years = measured_years(design.configs[0])
    for harm in harm_outcomes(experiment.outcomes):
        figures[f"plots/tradeoff-{harm}.png"] = _tradeoff(design, points, harm, years)
    findings = [
        *(findings or []),
        *(
            text
            for harm in harm_outcomes(experiment.outcomes)
            if (text := tradeoff_sentence(points, experiment.factors, harm, years))
        ),
    ]
    writers.update(figures)
    writers.update(extra or {})  # more figures and tables (scenario discovery), before reports

    def report(path: Path) -> Report:
        return sweep_report(design, points, indices, list(figures), seed, path, command, sections)

    writers["report.html"] = lambda path: report(path).write(path)
    writers.update(
        brief_writers(
            lambda path: (
                sweep_brief(design, points, indices, command, findings, precision_note),
                report(path),
            ),
            pdf=pdf,
        )
    )
    manifest = {
        "kind": kind,
        "experiment": experiment.name,
        "method": experiment.design.method,
        "points": len(design.configs),
        "replications": experiment.replications,
        "master_seed": seed,
        "days": design.configs[0].simulation.days,
        "warmup_days": design.configs[0].simulation.warmup_days,
        **(counts or {}),
    }
    return write_directory(out, writers, manifest, command=command)


def _figure_writers(design: Plan, points: pd.DataFrame, indices: pd.DataFrame) -> dict[str, Writer]:
    """Heat maps (grid of two or more factors) or line plots (one), and tornado plots."""
    import pandas as pd

    experiment = design.experiment
    labels = design.labels
    method = experiment.design.method
    numeric = [label for label in labels if pd.api.types.is_numeric_dtype(points[label])]
    writers: dict[str, Writer] = {}
    for outcome in experiment.outcomes:
        if method == "grid" and len(labels) >= 2:
            x, y = labels[0], labels[1]
            writers[f"plots/heatmap-{outcome}.png"] = _heatmap(points, x, y, outcome, labels[2:])
        elif method == "grid" and numeric:
            writers[f"plots/line-{outcome}.png"] = _line(points, numeric[0], outcome)
        if indices[indices["outcome"] == outcome]["value"].notna().any():
            writers[f"plots/tornado-{outcome}.png"] = _tornado(indices, outcome, method)
    return writers


def _tradeoff(design: Plan, points: pd.DataFrame, harm: str, years: float) -> Writer:
    from sim.experiments.tradeoffs import COST, non_dominated, signed_harm
    from sim.outputs.plots import tradeoff_figure

    def write(path: Path) -> None:
        cost = points[f"{COST}_mean"].to_numpy(dtype=float) / years
        front = non_dominated(cost, signed_harm(points, harm))
        names = [
            ", ".join(_value(row[label]) for label in design.labels) for _, row in points.iterrows()
        ]
        tradeoff_figure(
            cost,
            points[f"{harm}_mean"].to_numpy(dtype=float),
            front,
            harm,
            names,
            path,
            names_title="points named by " + ", ".join(design.labels),
        )

    return write


def _heatmap(points: pd.DataFrame, x: str, y: str, outcome: str, others: list[str]) -> Writer:
    from sim.outputs.plots import heatmap_figure

    return lambda path: heatmap_figure(points, x, y, outcome, path, averaged=others)


def _line(points: pd.DataFrame, x: str, outcome: str) -> Writer:
    from sim.outputs.plots import line_figure

    return lambda path: line_figure(points, x, outcome, path)


def _tornado(indices: pd.DataFrame, outcome: str, method: str) -> Writer:
    from sim.outputs.plots import tornado_figure

    return lambda path: tornado_figure(indices, outcome, method, path)


def sweep_report(
    design: Plan,
    points: pd.DataFrame,
    indices: pd.DataFrame,
    figures: list[str],
    seed: int,
    path: Path,
    command: list[str] | None = None,
    sections: Callable[[Report, Path], None] | None = None,
) -> Report:
    """The HTML report of a sweep; figures are read from beside ``path``.

    ``sections(report, path)`` adds more sections (scenario discovery) before the provenance.
    """
    from sim.engine.metrics import METRICS_BY_KEY
    from sim.experiments.briefing import replication_caveat
    from sim.outputs.report import Report, label_with_unit, mean_with_interval, provenance
    from sim.scenario.levers import describe_setting, setting_label, setting_unit

    experiment = design.experiment
    sim = design.configs[0].simulation
    measured = sim.days - sim.warmup_days
    report = Report(f"Caseload sweep: {experiment.name}")
    if experiment.description.strip():
        report.paragraph(experiment.description.strip())
    report.paragraph(
        f"Design: {experiment.design.method}, {len(design.configs)} points, each run "
        f"{experiment.replications} times with master seed {seed} (replication r of every "
        f"point shares its seed: common random numbers). Each run simulates {sim.days} working "
        f"days; figures cover the {measured} measured days after a {sim.warmup_days}-day "
        "warm-up."
    )
    caveats = replication_caveat(experiment.replications, hint="more --reps per point")
    if caveats:
        report.heading("Caveats")
        for caveat in caveats:
            report.paragraph(caveat)
    report.heading("Factors")
    report.table(
        ["Factor", "Unit", "Role", "Values or range", "Column", "Scenario key"],
        [
            [
                setting_label(f.key),
                setting_unit(f.key),
                "uncertainty" if f.role == "uncertain" else "lever",
                ", ".join(describe_setting(f.key, v) for v in f.values)
                if f.values is not None
                else f"{f.low:g} – {f.high:g}",
                f.label,
                f.key,
            ]
            for f in experiment.factors
        ],
    )
    if experiment.set:
        report.paragraph("Fixed for every point: " + "; ".join(experiment.set), note=True)
    report.heading("Outcomes by design point")
    report.paragraph(
        "Mean over replications, with its Student-t 95% interval in small type below.", note=True
    )
    shown = points if len(points) <= 60 else points.head(60)
    header = [
        *(setting_label(f.key) for f in experiment.factors),
        *(label_with_unit(o) for o in experiment.outcomes),
    ]
    rows = []
    for _, row in shown.iterrows():
        cells = [_value(row[label]) for label in design.labels]
        cells += [
            mean_with_interval(row[f"{o}_mean"], row[f"{o}_ci95_low"], row[f"{o}_ci95_high"], o)
            for o in experiment.outcomes
        ]
        rows.append(cells)
    report.table(header, rows)
    if len(points) > len(shown):
        report.paragraph(
            f"First {len(shown)} of {len(points)} points; all are in points.parquet.", note=True
        )
    report.heading("Sensitivity")
    kinds = list(dict.fromkeys(indices["index"]))
    report.definitions([(k, _INDEX_MEANING.get(k, k)) for k in kinds])
    names = {f.label: setting_label(f.key) for f in experiment.factors}
    report.table(
        ["Outcome", "Factor", "Index", "Value", "± 95%"],
        [
            [
                METRICS_BY_KEY[r["outcome"]].label
                if r["outcome"] in METRICS_BY_KEY
                else r["outcome"],
                names.get(r["factor"], r["factor"]),
                r["index"],
                "n/a" if math.isnan(r["value"]) else f"{r['value']:.3g}",
                "" if math.isnan(r["conf"]) else f"{r['conf']:.2g}",
            ]
            for _, r in indices.iterrows()
        ],
    )
    report.heading("Figures")
    for name in figures:
        kind, _, outcome = Path(name).stem.partition("-")
        title = METRICS_BY_KEY[outcome].label if outcome in METRICS_BY_KEY else outcome
        report.figure(path.parent / name, f"{title}: {kind.replace('_', ' ')}")
    if sections is not None:
        sections(report, path)
    provenance(report, seed, experiment.replications, command)
    return report


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _where(row: pd.Series, labels: list[str]) -> str:
    return ", ".join(f"{label}={_value(row[label])}" for label in labels)
