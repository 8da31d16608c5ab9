"""``caseload compare``: a baseline and other scenarios, paired replication by replication.

Prints a table of every metric per scenario with its 95% interval and the paired difference
from the baseline, and writes ``comparison.parquet``, ``runs.parquet``, ``series.parquet``,
figures and a self-contained ``report.html`` into the output directory.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.cli.support import (
    EXIT_OK,
    add_execution_options,
    add_output_options,
    add_pdf_option,
    add_precision_options,
    add_set_option,
    batch_size,
    check_pdf,
    claim_output_dir,
    handout,
    replications_algorithm,
    reps_value,
    run_journaled,
)

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from sim.experiments.compare import Comparison
    from sim.outputs.files import Writer
    from sim.outputs.report import Report
    from sim.runs.batch import RunRecord
    from sim.runs.precision import Decision, Outcome, ReplicationsAlgorithm
    from sim.scenario.schema import Scenario

#: The journal of finished runs inside the output directory, removed once outputs are written.
JOURNAL = ".compare-journal.jsonl"


def add_compare(subparsers: Any) -> None:
    """Register ``caseload compare``."""
    compare = subparsers.add_parser(
        "compare",
        help="compare scenarios with a baseline, paired by replication (common random numbers)",
        description="Run a baseline and other scenarios with the same replication seeds and "
        "report every metric with its 95% interval and the paired difference from the "
        "baseline. Writes comparison/runs/series Parquet, PNG figures and report.html.",
    )
    compare.add_argument("baseline", metavar="BASELINE", help="the baseline scenario file")
    compare.add_argument(
        "others", nargs="+", metavar="OTHER", help="scenario files to compare with it"
    )
    compare.add_argument(
        "--reps",
        type=reps_value,
        metavar="N|auto",
        help="replications each (default: the baseline's); auto: run batches until the 95%% "
        "interval of each scenario's paired change in --precision-of is within --precision of "
        "the baseline's mean (Hoad, Robinson & Davies), at most --max-reps",
    )
    compare.add_argument(
        "--seed", type=int, metavar="S", help="master seed for all (default: the baseline's)"
    )
    compare.add_argument(
        "--days", type=int, metavar="D", help="working days each (default: the baseline's)"
    )
    add_output_options(compare, "results/compare-...")
    add_set_option(compare, "(applied to every scenario)")
    add_execution_options(compare)
    add_pdf_option(compare)
    add_precision_options(compare)
    compare.set_defaults(handler=cmd_compare)


def load_compared(args: argparse.Namespace) -> list[Scenario]:
    """Load every scenario with the shared overrides; all problems reported together.

    The baseline fixes replications, seed and days unless the flags do, so every scenario is
    measured over the same period with the same seeds.

    Raises:
        ScenarioError: A scenario is malformed, or two scenarios measure different periods.
    """
    from sim.scenario.loading import ScenarioError
    from sim.scenario.schema import tables_not_kept

    problems: list[str] = []
    configs: list[Scenario] = []
    first = None
    for path in [args.baseline, *args.others]:
        try:
            with tables_not_kept():  # compare keeps summaries and series, not tables
                config = _load_one(path, args, first)
            first = first or config.simulation
            configs.append(config)
        except ScenarioError as exc:  # a bad flag fails every scenario alike: report it once
            problems.extend(line for line in exc.problems if line not in problems)
    if problems:
        raise ScenarioError(problems)
    problems = runs_problems(configs, args)
    if problems:
        raise ScenarioError(problems)
    base = configs[0].simulation
    for path, config in zip(args.others, configs[1:], strict=True):
        if config.simulation.warmup_days != base.warmup_days:
            problems.append(
                f"{path}: simulation.warmup_days: is {config.simulation.warmup_days} but the "
                f"baseline's is {base.warmup_days}; compared scenarios must measure the same "
                "period (align the files or use --set simulation.warmup_days=...)"
            )
    if problems:
        raise ScenarioError(problems)
    return configs


def runs_problems(configs: list[Scenario], args: argparse.Namespace) -> list[str]:
    """Scenarios × replications against the baseline's ``limits.max_runs``: what compare keeps.

    Compare journals a summary and a weekly series per run, not the runs' tables, so the
    number of runs (not ``limits.max_table_rows``) bounds its memory.
    """
    reps, limit = configs[0].simulation.replications, configs[0].limits.max_runs
    runs = len(configs) * reps
    if runs <= limit:
        return []
    source = _replications_source(args)
    return [
        f"{source}: simulation.replications: {len(configs)} scenarios × {reps:,} replications "
        f"= {runs:,} runs, more than the limit of {limit:,}; give fewer replications (or "
        f"--reps), or raise limits.max_runs (in the baseline's [limits] table, or --set "
        f"limits.max_runs={runs}) if the machine has the memory (got {runs})"
    ]


def _replications_source(args: argparse.Namespace) -> str:
    """Where the baseline's replication count came from, for the error that names it."""
    if args.reps is not None:
        return "--reps"
    for item in reversed(getattr(args, "set", None) or []):  # the last --set wins, as it does
        key = item.split("=", 1)[0].strip()
        if key == "simulation.replications":
            return f"--set {item.strip()}"
    return args.baseline


def _load_one(path: str, args: argparse.Namespace, first: Any) -> Scenario:
    """One compared scenario; all but the baseline take its replications, seed and days."""
    from sim.scenario.loading import load_scenario

    if first is None:
        reps = args.max_reps if args.reps == "auto" else args.reps
        return load_scenario(path, args.set, days=args.days, replications=reps, seed=args.seed)
    return load_scenario(
        path,
        args.set,
        days=args.days or first.days,
        replications=first.replications,
        seed=first.seed,
    )


def cmd_compare(args: argparse.Namespace) -> int:
    """Run the comparison, print its table and write its outputs."""
    from rich.console import Console

    from sim.experiments.compare import Comparison, cut_warnings, unique_labels
    from sim.runs.batch import Journal, specs_for
    from sim.runs.precision import describe
    from sim.scenario.catalogue import display_path

    configs = load_compared(args)
    check_pdf(args)
    labels = unique_labels([c.name for c in configs])
    sim = configs[0].simulation
    reps, seed = sim.replications, sim.seed
    out = claim_output_dir(args, default_compare_dir(labels))
    console = Console(width=None if sys.stdout.isatty() else 160)
    header = _header(configs, labels, [args.baseline, *args.others])
    if args.reps == "auto":
        header = header.replace(
            f"{reps} paired replications each",
            f"paired replications until each change is within ±{args.precision:.0%} of the "
            f"baseline's mean (at most {reps})",
        )
    console.print(header, highlight=False)
    _warn_different_organisations(configs, labels)

    algorithm = replications_algorithm(args)
    note = ""
    if algorithm is None:
        specs = specs_for(configs, reps, seed)
        records, reused = run_journaled(
            specs, args, out / JOURNAL, console, command="compare", keep_series=True
        )
        runs = len(specs)
    else:
        records, reused, decision = _until_precise(args, configs, labels, out, console, algorithm)
        reps = decision.replications
        names = _difference_names(labels, args.precision_of)
        note = describe(decision, algorithm, names, relative_to="the baseline's mean")
        console.print(note, highlight=False, soft_wrap=True)
        configs = [_with_replications(c, reps) for c in configs]
        runs = len(records)
    comparison = Comparison(labels, tuple(configs), tuple(records), reps, seed)
    table = comparison.table()
    counts = {"runs": runs, "runs_reused": reused}
    write_comparison(
        out,
        comparison,
        table,
        counts=counts,
        command=args.command_line,
        pdf=not args.no_pdf,
        precision_note=note,
    )
    Journal(out / JOURNAL).clear()  # the outputs are safely written
    console.print(comparison_table(table, labels, cut_warnings(configs, labels)))
    console.print(
        f"Outputs written to {display_path(out)}/ ({handout(args)} to send on)",
        highlight=False,
        soft_wrap=True,
    )
    return EXIT_OK


def _until_precise(
    args: argparse.Namespace,
    configs: list[Scenario],
    labels: tuple[str, ...],
    out: Path,
    console: Console,
    algorithm: ReplicationsAlgorithm,
) -> tuple[list[RunRecord], int, Decision]:
    """Batches of paired replications until every paired change is precise enough.

    The watched quantity is each scenario's paired difference from the baseline, relative to
    the baseline's mean. Runs already finished are taken from the journal, so each batch runs
    only new replications, and records beyond the chosen number are dropped.
    """
    from sim.runs.batch import specs_for

    seed = configs[0].simulation.seed
    total = algorithm.next_total(0, batch_size(args))
    reused_first = None
    while True:
        specs = specs_for(configs, total, seed)
        records, reused = run_journaled(
            specs,
            args,
            out / JOURNAL,
            console,
            command="compare",
            keep_series=True,
            first_batch=reused_first is None,
        )
        reused_first = reused if reused_first is None else reused_first
        decision = algorithm.decide(_differences(records, labels, total, args.precision_of))
        if decision.done:
            kept = [r for r in records if r.replication < decision.replications]
            return kept, min(reused_first, len(kept)), decision
        total = algorithm.next_total(total, batch_size(args))


def _differences(
    records: list[RunRecord], labels: tuple[str, ...], reps: int, keys: tuple[str, ...]
) -> dict[str, Outcome]:
    """Each (scenario, outcome)'s paired differences, scaled by the baseline's values."""
    from sim.runs.batch import metric_matrix
    from sim.runs.precision import Outcome

    outcomes = {}
    for key in keys:
        values = metric_matrix(records, key, len(labels), reps)
        for index, label in enumerate(labels[1:], start=1):
            outcomes[f"{label}:{key}"] = Outcome(values[index] - values[0], scale=values[0])
    return outcomes


def _difference_names(labels: tuple[str, ...], keys: tuple[str, ...]) -> dict[str, str]:
    from sim.engine.metrics import METRICS_BY_KEY

    return {
        f"{label}:{key}": f"the change in {METRICS_BY_KEY[key].label.lower()} ({label})"
        for key in keys
        for label in labels[1:]
    }


def _with_replications(config: Scenario, reps: int) -> Scenario:
    simulation = config.simulation.model_copy(update={"replications": reps})
    return config.model_copy(update={"simulation": simulation})


def default_compare_dir(labels: tuple[str, ...]) -> Path:
    """``results/compare-<baseline>-vs-<other>...``, made safe as a directory name."""
    text = f"compare-{labels[0]}-vs-{'-'.join(labels[1:])}"
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:120]
    return Path("results") / slug


def comparison_table(
    table: pd.DataFrame, labels: tuple[str, ...], cuts: dict[str, str] | None = None
) -> Table:
    """Each metric: the baseline's mean and interval, each other's mean and paired change.

    ``cuts`` (scenario label → caveat) marks a cut's fall in the vacancy rate with † in amber
    instead of calling it better.
    """
    from rich.table import Table

    from sim.engine.metrics import metrics_by_group
    from sim.outputs.formatting import format_value

    cuts = cuts or {}
    out = Table(
        title=f"Means with 95% intervals; change = paired difference from '{labels[0]}' "
        "(* where its interval excludes zero; † a fall from cutting vacant posts, not a gain)",
        title_justify="left",
    )
    out.add_column("Metric", no_wrap=True)
    out.add_column("Unit", style="dim")
    out.add_column(f"{labels[0]}", justify="right", overflow="fold")
    for label in labels[1:]:
        out.add_column(label, justify="right", overflow="fold")
        out.add_column("change", justify="right", overflow="fold")
    indexed = table.set_index(["scenario", "metric"])
    for index, (_, metrics) in enumerate(metrics_by_group()):
        if index:
            out.add_section()
        for metric in metrics:
            base = indexed.loc[(labels[0], metric.key)]
            row = [
                metric.label,
                metric.unit,
                f"{format_value(base['mean'], metric.unit)} "
                f"[dim]({_interval_text(base, metric.key, metric.unit)})[/dim]",
            ]
            for label in labels[1:]:
                other = indexed.loc[(label, metric.key)]
                row += [
                    f"{format_value(other['mean'], metric.unit)} "
                    f"[dim]({_interval_text(other, metric.key, metric.unit)})[/dim]",
                    _change_text(other, metric, metric.key == "vacancy_rate" and label in cuts),
                ]
            out.add_row(*row)
    return out


def _interval_text(row: pd.Series, metric: str, unit: str) -> str:
    from sim.outputs.formatting import format_interval

    if row["n"] < 2:
        return "n/a"
    return format_interval(row["ci95_low"], row["ci95_high"], unit, row["mean"])


def _change_text(row: pd.Series, metric: Any, caveat: bool = False) -> str:
    """The paired change and its interval, starred and coloured when the interval excludes 0.

    With ``caveat`` a change for the better is amber with † (a cut's vacant posts removed).
    """
    import pandas as pd

    from sim.outputs.formatting import format_change, format_change_interval

    text = format_change(row["diff_mean"], metric.unit)
    spread = format_change_interval(
        row["diff_ci95_low"], row["diff_ci95_high"], metric.unit, row["diff_mean"]
    )
    low, high = row["diff_ci95_low"], row["diff_ci95_high"]
    clear = bool(pd.notna(low) and pd.notna(high) and (low > 0 or high < 0))
    text = f"{text} [dim]({spread})[/dim]" if spread != "n/a" else text
    if not clear:
        return text
    worse = (low > 0) == (metric.better == "lower")
    if caveat and not worse and metric.better != "neither":
        return f"[yellow]{text} * †[/yellow]"
    colour = "" if metric.better == "neither" else ("red" if worse else "green")
    return f"[{colour}]{text} *[/{colour}]" if colour else f"{text} *"


def write_comparison(
    out: Path,
    comparison: Comparison,
    table: pd.DataFrame,
    *,
    counts: dict[str, int] | None = None,
    command: list[str] | None = None,
    pdf: bool = True,
    precision_note: str = "",
) -> dict[str, Path]:
    """Write the comparison's tables, figures, report, brief and scenarios atomically into ``out``.

    ``counts`` (runs in all, and how many were reused from an interrupted comparison's journal)
    go into the manifest; ``pdf`` prints the brief to ``brief.pdf`` beside ``brief.html``.
    """
    from sim.engine.metrics import HEADLINE_METRICS
    from sim.experiments.briefing import comparison_brief
    from sim.outputs.brief import brief_writers
    from sim.outputs.files import write_directory, write_parquet
    from sim.outputs.plots import differences_figure, over_time_figure, paired_runs_figure

    series = comparison.series()
    writers: dict[str, Writer] = {
        "comparison.parquet": lambda path: write_parquet(path, table),
        "runs.parquet": lambda path: write_parquet(path, comparison.runs()),
        "series.parquet": lambda path: write_parquet(path, series),
        "plots/differences.png": lambda path: differences_figure(table, path),
        "plots/paired_runs.png": lambda path: paired_runs_figure(
            comparison.runs(), [m.key for m in HEADLINE_METRICS], path
        ),
    }
    if not series.empty:
        writers["plots/over_time.png"] = lambda path: over_time_figure(series, path)
    for label, config in zip(comparison.labels, comparison.configs, strict=True):
        writers[f"scenarios/{_file_name(label)}.toml"] = _toml_writer(config)
    writers["report.html"] = lambda path: comparison_report(
        comparison, table, path, command, precision_note
    ).write(path)
    writers.update(
        brief_writers(
            lambda path: (
                comparison_brief(comparison, comparison.headcounts(), command, precision_note),
                comparison_report(comparison, table, path, command, precision_note),
            ),
            pdf=pdf,
        )
    )
    sim = comparison.configs[0].simulation
    manifest = {
        "kind": "compare",
        "scenarios": list(comparison.labels),
        "baseline": comparison.labels[0],
        "master_seed": comparison.master_seed,
        "replications": comparison.replications,
        "days": sim.days,
        "warmup_days": sim.warmup_days,
        **(counts or {}),
    }
    return write_directory(out, writers, manifest, command=command)


def comparison_report(
    comparison: Comparison,
    table: pd.DataFrame,
    path: Path,
    command: list[str] | None = None,
    precision_note: str = "",
) -> Report:
    """The HTML report of a comparison; figures are read from beside ``path``."""
    import numpy as np

    from sim.engine.metrics import GROUP_TITLES, HEADLINE_METRICS, METRICS, metrics_by_group
    from sim.experiments.compare import cut_warnings, organisation_warnings, settings_differences
    from sim.outputs.formatting import format_change
    from sim.outputs.report import Report, cell, change, interval, label_with_unit, provenance
    from sim.scenario.levers import setting_label

    labels = comparison.labels
    sim = comparison.configs[0].simulation
    measured = sim.days - sim.warmup_days
    report = Report(f"Caseload comparison: {', '.join(labels[1:])} against {labels[0]}")
    report.paragraph(
        f"Each scenario was run {comparison.replications} times with master seed "
        f"{comparison.master_seed}, simulating {sim.days} working days of which the first "
        f"{sim.warmup_days} are warm-up; figures cover the {measured} measured working days "
        f"({measured / 260:.1f} years). Replication r of every scenario used the same random "
        "seed (common random numbers), so the change from the baseline is estimated from "
        "paired differences, which removes the luck both runs share."
    )
    cuts = cut_warnings(comparison.configs, labels)
    warnings = [
        *organisation_warnings(comparison.configs, labels),
        *cuts.values(),
        *([precision_note] if precision_note else []),
    ]
    if warnings:
        report.heading("Caveats")
        for warning in warnings:
            report.paragraph(warning)
    report.heading("Scenarios")
    report.definitions(
        [
            (label, config.description.strip() or "(no description)")
            for label, config in zip(labels, comparison.configs, strict=True)
        ]
    )
    for label, config in zip(labels[1:], comparison.configs[1:], strict=True):
        differences = settings_differences(comparison.configs[0], config)
        report.paragraph(f"Settings of '{label}' that differ from '{labels[0]}':", note=True)
        if differences:
            report.table(
                ["Setting", labels[0], label, "Scenario key"],
                [[setting_label(key), b, o, key] for key, b, o in differences],
            )
        else:
            report.paragraph("none: the two scenarios are the same model.", note=True)
    report.heading("Results")
    report.paragraph(
        "Mean over replications with its Student-t 95% interval. 'Change' is the mean paired "
        "difference from the baseline with its 95% interval; red marks a change for the worse "
        "whose interval excludes zero, green a change for the better, and amber with † a fall "
        "that is not an improvement (a cut's vacant posts removed).",
        note=True,
    )
    header = ["Measure (unit)", f"{labels[0]} mean", "95% interval"]
    for label in labels[1:]:
        header += [f"{label} mean", f"change from {labels[0]}"]
    indexed = table.set_index(["scenario", "metric"])
    rows: list[list[str]] = []
    for group, metrics in metrics_by_group():
        rows.append([GROUP_TITLES.get(group, group)])
        for metric in metrics:
            base = indexed.loc[(labels[0], metric.key)]
            row = [
                label_with_unit(metric.key),
                cell(base["mean"], metric.key),
                interval(base["ci95_low"], base["ci95_high"], metric.key, base["mean"]),
            ]
            for label in labels[1:]:
                other = indexed.loc[(label, metric.key)]
                caveat = cuts.get(label, "") if metric.key == "vacancy_rate" else ""
                row += [cell(other["mean"], metric.key), change(other, metric.key, caveat)]
            rows.append(row)
    report.table(header, rows)
    report.heading("How the paired runs spread")
    report.paragraph(
        "Each run's change from the baseline run with the same seed: the median, the range of "
        "the middle 80% of runs (10th to 90th percentile) and the largest change in one run, "
        "beside the mean, so one extreme run is seen for what it is.",
        note=True,
    )
    spread_rows: list[list[str]] = []
    for label_index, label in enumerate(labels[1:], start=1):
        if len(labels) > 2:
            spread_rows.append([label])
        for metric in HEADLINE_METRICS:
            values = comparison.matrix(metric.key)
            diffs = values[label_index] - values[0]
            diffs = diffs[~np.isnan(diffs)]
            if not diffs.size:
                continue
            low, median, high = np.percentile(diffs, [10, 50, 90])
            extreme = diffs[np.argmax(np.abs(diffs))]
            spread_rows.append(
                [
                    label_with_unit(metric.key),
                    format_change(float(diffs.mean()), metric.unit),
                    format_change(float(median), metric.unit),
                    f"{format_change(float(low), metric.unit)} to "
                    f"{format_change(float(high), metric.unit)}",
                    format_change(float(extreme), metric.unit),
                ]
            )
    report.table(
        ["Measure (unit)", "Mean change", "Median change", "10–90% of runs", "Largest in one run"],
        spread_rows,
    )
    report.heading("Figures")
    report.figure(path.parent / "plots" / "differences.png", "Paired change from the baseline")
    strip = path.parent / "plots" / "paired_runs.png"
    if strip.exists():
        report.figure(strip, "Each paired run's change from the baseline (one dot per run)")
    over_time = path.parent / "plots" / "over_time.png"
    if over_time.exists():
        report.figure(over_time, "Risk and workforce counts over the measured period")
    report.heading("What the measures mean")
    report.definitions([(m.label, f"{m.description} ({m.unit}; key {m.key})") for m in METRICS])
    provenance(report, comparison.master_seed, comparison.replications, command)
    return report


def _toml_writer(config: Scenario) -> Writer:
    from sim.scenario.loading import scenario_to_toml

    return lambda path: path.write_text(scenario_to_toml(config), encoding="utf-8")


def _file_name(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-.") or "scenario"


def _header(configs: list[Scenario], labels: tuple[str, ...], paths: list[str]) -> str:
    from rich.markup import escape

    sim = configs[0].simulation
    lines = [
        f"[bold]Comparing {len(labels) - 1} scenario(s) with '{escape(labels[0])}'[/bold]: "
        f"{sim.replications} paired replications each × {sim.days} working days "
        f"(warm-up {sim.warmup_days}), master seed {sim.seed}"
    ]
    for label, path in zip(labels, paths, strict=True):
        lines.append(f"  {escape(label)}: {escape(str(path))}")
    return "\n".join(lines)


def _warn_different_organisations(configs: list[Scenario], labels: tuple[str, ...]) -> None:
    """Counts and costs are totals, so say when the organisations differ in size."""
    from sim.experiments.compare import organisation_warnings

    for warning in organisation_warnings(configs, labels):
        print(f"warning: {warning}", file=sys.stderr)
