"""``caseload run``: a scenario's replications, a summary table and the output files.

Replications are checkpointed as they finish (in ``OUT/.checkpoints``), so an interrupted run
resumes from them and gives exactly the uninterrupted result.
"""

from __future__ import annotations

import argparse
import json
import math
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
    checkpointed_replications,
    claim_output_dir,
    handout,
    replications_algorithm,
    reps_value,
)

if TYPE_CHECKING:
    import numpy as np
    from rich.table import Table

    from sim.outputs.files import Writer
    from sim.outputs.report import Report
    from sim.runs.checkpoint import Checkpoint
    from sim.runs.precision import Decision, ReplicationsAlgorithm
    from sim.scenario.schema import Scenario

#: What ``caseload run`` writes beside the files of every run (``OUTPUT_FILES``): the report
#: and the brief (``brief.pdf`` unless ``--no-pdf``).
RUN_DOCUMENTS: tuple[str, ...] = ("report.html", "brief.html", "brief.pdf")

#: Folder inside the output directory holding replications of an unfinished run.
CHECKPOINT_DIR = ".checkpoints"


def add_run(subparsers: Any) -> None:
    """Add ``caseload run``."""
    run = subparsers.add_parser(
        "run",
        help="run a scenario's replications and write the outputs",
        description="Run replications of a scenario, print a summary table and write "
        "summary.json, daily/workers/cases parquet, scenario.toml and manifest.json.",
    )
    run.add_argument(
        "scenario",
        nargs="?",
        metavar="SCENARIO",
        help="scenario TOML file (default: the packaged scenarios/baseline.toml)",
    )
    run.add_argument(
        "--reps",
        type=reps_value,
        metavar="N|auto",
        help="replications (default: simulation.replications); auto: run batches until the 95%% "
        "interval of --precision-of is within --precision of the mean (Hoad, Robinson & Davies' "
        "replications algorithm), at most --max-reps",
    )
    run.add_argument("--seed", type=int, metavar="S", help="master seed (default: simulation.seed)")
    run.add_argument(
        "--days", type=int, metavar="D", help="working days to simulate (default: simulation.days)"
    )
    add_output_options(run, "results/<scenario name>")
    add_set_option(run)
    add_execution_options(run, "replications")
    add_pdf_option(run)
    add_precision_options(run)
    run.set_defaults(handler=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from sim.cli.validate import print_warnings
    from sim.engine.metrics import METRICS_BY_KEY
    from sim.engine.rng import replication_seeds
    from sim.outputs.files import write_outputs
    from sim.runs.checkpoint import Checkpoint
    from sim.runs.precision import describe
    from sim.scenario.catalogue import default_scenario, display_path
    from sim.scenario.loading import load_scenario

    scenario_path = args.scenario or display_path(default_scenario())
    algorithm = replications_algorithm(args)
    asked = algorithm.max_reps if algorithm is not None else args.reps
    config = load_scenario(
        scenario_path, args.set, days=args.days, replications=asked, seed=args.seed
    )
    reps, seed = config.simulation.replications, config.simulation.seed
    check_pdf(args)
    out = claim_output_dir(args, default_out_dir(config))

    console = Console(width=None if sys.stdout.isatty() else 140)
    console.print(_header(config, scenario_path, algorithm), highlight=False, soft_wrap=True)
    print_warnings(config)
    checkpoint = Checkpoint(out / CHECKPOINT_DIR, config, seed)
    if args.no_resume:
        checkpoint.clear()
    elif saved := checkpoint.restore(replication_seeds(seed, reps)):  # verified, read once
        console.print(f"Resuming: {saved} replication(s) saved by an interrupted run are reused.")
    note, manifest_extra = "", {}
    if algorithm is None:
        results = checkpointed_replications(args, config, reps, seed, checkpoint)
    else:
        results, decision = _until_precise(args, config, seed, checkpoint, algorithm)
        note = describe(
            decision, algorithm, {k: METRICS_BY_KEY[k].label for k in args.precision_of}
        )
        console.print(note, highlight=False, soft_wrap=True)
        reps = decision.replications
        simulation = config.simulation.model_copy(update={"replications": reps})
        config = config.model_copy(update={"simulation": simulation})  # as rerunning needs
        manifest_extra = {"replications_algorithm": _algorithm_record(algorithm, decision)}
    extra = run_documents(
        config, results, seed, args.command_line, pdf=not args.no_pdf, precision_note=note
    )
    written = write_outputs(
        out,
        config,
        results,
        seed,
        command=args.command_line,
        extra=extra,
        manifest_extra=manifest_extra,
    )
    checkpoint.clear()
    summary = _summary_from(written["summary.json"])
    console.print(summary_table(summary, reps))
    console.print(
        f"Outputs written to {display_path(out)}/ ({handout(args)} to send on)",
        highlight=False,
        soft_wrap=True,
    )
    return EXIT_OK


def _until_precise(
    args: argparse.Namespace,
    config: Scenario,
    seed: int,
    checkpoint: Checkpoint,
    algorithm: ReplicationsAlgorithm,
) -> tuple[list[Any], Decision]:
    """Run batches until the replications algorithm stops; keep the replications it chose.

    Each batch reuses the replications already saved in the checkpoint, so growing the run
    costs only the new ones, and an interrupted ``--reps auto`` resumes like any run.
    """
    from sim.runs.precision import Outcome

    total = algorithm.next_total(0, batch_size(args))
    while True:
        results = checkpointed_replications(args, config, total, seed, checkpoint)
        values = run_values(results)
        decision = algorithm.decide({k: Outcome(values[k]) for k in args.precision_of})
        if decision.done:
            return results[: decision.replications], decision
        total = algorithm.next_total(total, batch_size(args))


def _algorithm_record(algorithm: ReplicationsAlgorithm, decision: Decision) -> dict[str, Any]:
    """What the manifest keeps of ``--reps auto``: settings, outcome and precision reached."""
    return {
        "method": "Hoad, Robinson & Davies (2010) with look-ahead",
        "precision": algorithm.target,
        "max_reps": algorithm.max_reps,
        "initial": algorithm.initial,
        "look_ahead": algorithm.k_limit,
        "reached": decision.reached,
        "replications": decision.replications,
        "needed": decision.needed,
        "relative_precision": {
            k: (v if math.isfinite(v) else None) for k, v in decision.precision.items()
        },
    }


# --- presentation -------------------------------------------------------------------------------


def default_out_dir(config: Scenario) -> Path:
    """``results/<scenario name>``, with the name made safe as a directory name."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", config.name).strip("-.") or "scenario"
    return Path("results") / slug


def summary_table(summary: dict[str, Any], reps: int) -> Table:
    """The metrics of ``summary.json`` as a table, grouped as declared in ``sim.engine.metrics``."""
    from rich.table import Table

    from sim.engine.metrics import GROUP_TITLES, metrics_by_group
    from sim.outputs.formatting import format_interval, format_value

    table = Table(title="Mean over replications with Student-t 95% interval", title_justify="left")
    table.add_column("Metric", no_wrap=True)
    # A word longer than the column (a metric key such as referrals_received) is folded onto
    # the next line, never cut short with an ellipsis.
    table.add_column("What it measures", style="dim", max_width=46, overflow="fold")
    table.add_column("Unit", style="dim")
    table.add_column("Mean", justify="right")
    table.add_column("95% interval", justify="right")
    for index, (group, metrics) in enumerate(metrics_by_group()):
        if index:
            table.add_section()
        table.add_row(f"[bold]{GROUP_TITLES.get(group, group)}[/bold]")
        for metric in metrics:  # the label reads; the key is what --set and summary.json use
            stats = summary[metric.key]
            interval = "–"
            if stats["n"] and stats["n"] > 1:
                interval = format_interval(
                    stats["ci95_low"], stats["ci95_high"], metric.unit, stats["mean"]
                )
            if stats["n"] != reps:
                interval += f" (n={stats['n']})"
            table.add_row(
                f"  {metric.label}",
                metric.description,
                metric.unit,
                format_value(stats["mean"], metric.unit),
                interval,
            )
    return table


def _header(
    config: Scenario, scenario_path: str, algorithm: ReplicationsAlgorithm | None = None
) -> str:
    from rich.markup import escape

    sim = config.simulation
    measured = sim.days - sim.warmup_days
    teams = config.team.n_teams
    about = f"{escape(config.description.strip())}\n" if config.description.strip() else ""
    return (
        f"[bold]Scenario '{escape(config.name)}'[/bold] ({escape(scenario_path)}): "
        + (
            f"replications until the 95% interval is within ±{algorithm.target:.0%} "
            f"(at most {algorithm.max_reps}) × "
            if algorithm is not None
            else f"{sim.replications} replication{'s' if sim.replications != 1 else ''} × "
        )
        + f"{sim.days} working days (warm-up {sim.warmup_days}), master seed {sim.seed}\n"
        f"Counts and costs are totals over the {measured} measured working days "
        f"({measured / 260:.1f} years) for the whole organisation "
        f"({teams} team{'s' if teams != 1 else ''}); rates and shares cover the same period.\n"
        f"{about}"
    ).rstrip("\n")


def _summary_from(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


# --- report and brief ---------------------------------------------------------------------------


def run_values(results: list[Any]) -> dict[str, np.ndarray]:
    """Each metric's value in each replication."""
    import numpy as np

    from sim.engine.metrics import METRICS

    return {
        m.key: np.array([r.summary.get(m.key, np.nan) for r in results], dtype=float)
        for m in METRICS
    }


def run_headcounts(results: list[Any], warmup_days: int) -> dict[str, np.ndarray]:
    """Each replication's mean headcount over the measured days, per headcount column."""
    import numpy as np

    from sim.engine.metrics import METRICS

    columns = [m.headcount for m in METRICS if m.headcount]
    out = {}
    for column in columns:
        values = []
        for result in results:
            measured = result.daily[result.daily["day"] >= warmup_days]
            values.append(float(measured[column].mean()) if len(measured) else np.nan)
        out[column] = np.array(values, dtype=float)
    return out


def run_documents(
    config: Scenario,
    results: list[Any],
    seed: int,
    command: list[str] | None,
    *,
    pdf: bool = True,
    precision_note: str = "",
) -> dict[str, Writer]:
    """Writers of the run's ``report.html`` and its brief (``brief.html``, ``brief.pdf``)."""
    from sim.experiments.briefing import run_brief
    from sim.outputs.brief import brief_writers

    values = run_values(results)
    headcounts = run_headcounts(results, config.simulation.warmup_days)

    def report(path: Path) -> Report:
        return run_report(config, values, seed, command, precision_note)

    writers: dict[str, Writer] = {"report.html": lambda path: report(path).write(path)}
    writers.update(
        brief_writers(
            lambda path: (
                run_brief(config, values, headcounts, command, precision_note),
                report(path),
            ),
            pdf=pdf,
        )
    )
    return writers


def run_report(
    config: Scenario,
    values: dict[str, np.ndarray],
    seed: int,
    command: list[str] | None,
    precision_note: str = "",
) -> Report:
    """The HTML report of one scenario: every measure's mean, interval, median and spread."""
    import numpy as np

    from sim.engine.metrics import GROUP_TITLES, METRICS, metrics_by_group
    from sim.outputs.report import Html, Report, cell, interval, label_with_unit, provenance
    from sim.runs.replications import summarise_values

    sim = config.simulation
    measured = sim.days - sim.warmup_days
    reps = len(values[METRICS[0].key])
    report = Report(f"Caseload run: {config.name}")
    if config.description.strip():
        report.paragraph(config.description.strip())
    report.paragraph(
        f"{reps} replications with master seed {seed}, each simulating {sim.days} working "
        f"days of which the first {sim.warmup_days} are warm-up; figures cover the {measured} "
        f"measured working days ({measured / 260:.1f} years) for {config.team.n_teams} "
        f"team(s) of {config.team.social_worker_posts} social worker posts."
    )
    if precision_note:
        report.heading("Caveats")
        report.paragraph(precision_note)
    report.heading("Results")
    report.paragraph(
        "Mean over replications with its Student-t 95% interval; the median and the range "
        "holding the middle 80% of runs (10th to 90th percentile) show how runs spread.",
        note=True,
    )
    rows: list[list[str]] = []
    for group, metrics in metrics_by_group():
        rows.append([GROUP_TITLES.get(group, group)])
        for metric in metrics:
            series = values[metric.key]
            stats = summarise_values(series, metric.bounds)
            finite = series[~np.isnan(series)]
            if finite.size:
                low, median, high = np.percentile(finite, [10, 50, 90])
                spread = interval(low, high, metric.key, stats["mean"])
                middle = cell(median, metric.key)
            else:
                spread, middle = Html("–"), Html("–")
            rows.append(
                [
                    label_with_unit(metric.key),
                    cell(stats["mean"], metric.key),
                    interval(stats["ci95_low"], stats["ci95_high"], metric.key, stats["mean"]),
                    middle,
                    spread,
                ]
            )
    report.table(["Measure (unit)", "Mean", "95% interval", "Median", "10–90% of runs"], rows)
    report.heading("What the measures mean")
    report.definitions([(m.label, f"{m.description} ({m.unit}; key {m.key})") for m in METRICS])
    provenance(report, seed, reps, command)
    return report
