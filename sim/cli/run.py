"""``caseload run``: a scenario's replications, a summary table and the output files.

Replications are checkpointed as they finish (in ``OUT/.checkpoints``), so an interrupted run
resumes from them and gives exactly the uninterrupted result.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sim.cli.support import (
    EXIT_OK,
    Interrupted,
    ProgressReporter,
    add_execution_options,
    add_output_options,
    add_set_option,
    claim_output_dir,
)
from sim.cli.validate import print_warnings
from sim.engine.metrics import metrics_by_group
from sim.engine.rng import replication_seeds
from sim.outputs.files import write_outputs
from sim.outputs.formatting import format_interval, format_value
from sim.runs.checkpoint import Checkpoint
from sim.runs.replications import run_replications
from sim.scenario.catalogue import default_scenario, display_path
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

_GROUP_TITLES = {
    "demand": "Demand",
    "risk": "Risk to service users",
    "workload": "Workload",
    "workforce": "Workforce",
    "cost": "Cost",
}


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
        "--reps", type=int, metavar="N", help="replications (default: simulation.replications)"
    )
    run.add_argument("--seed", type=int, metavar="S", help="master seed (default: simulation.seed)")
    run.add_argument(
        "--days", type=int, metavar="D", help="working days to simulate (default: simulation.days)"
    )
    add_output_options(run, "results/<scenario name>")
    add_set_option(run)
    add_execution_options(run, "replications")
    run.set_defaults(handler=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    scenario_path = args.scenario or display_path(default_scenario())
    config = load_scenario(
        scenario_path, args.set, days=args.days, replications=args.reps, seed=args.seed
    )
    reps, seed = config.simulation.replications, config.simulation.seed
    out = claim_output_dir(args, default_out_dir(config))

    console = Console(width=None if sys.stdout.isatty() else 140)
    console.print(_header(config, scenario_path), highlight=False, soft_wrap=True)
    print_warnings(config)
    checkpoint = Checkpoint(out / CHECKPOINT_DIR, config, seed)
    if args.no_resume:
        checkpoint.clear()
    elif saved := checkpoint.restore(replication_seeds(seed, reps)):  # verified, read once
        console.print(f"Resuming: {saved} replication(s) saved by an interrupted run are reused.")
    with ProgressReporter(args.quiet, reps) as on_progress:
        try:
            results = run_replications(
                config,
                reps,
                seed,
                workers=args.workers,
                scheduler=args.scheduler,
                progress=on_progress,
                checkpoint=checkpoint,
            )
        except KeyboardInterrupt:
            raise Interrupted(
                "interrupted; finished replications are saved and the same command resumes "
                "from them (no output files were changed)"
            ) from None
    written = write_outputs(out, config, results, seed, command=args.command_line)
    checkpoint.clear()
    summary = _summary_from(written["summary.json"])
    console.print(summary_table(summary, reps))
    console.print(f"Outputs written to {display_path(out)}/", highlight=False, soft_wrap=True)
    return EXIT_OK


# --- presentation -------------------------------------------------------------------------------


def default_out_dir(config: Scenario) -> Path:
    """``results/<scenario name>``, with the name made safe as a directory name."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", config.name).strip("-.") or "scenario"
    return Path("results") / slug


def summary_table(summary: dict[str, Any], reps: int) -> Table:
    """The metrics of ``summary.json`` as a table, grouped as declared in ``sim.engine.metrics``."""
    table = Table(title="Mean over replications with Student-t 95% interval", title_justify="left")
    table.add_column("Metric", no_wrap=True)
    table.add_column("What it measures", style="dim", max_width=46)
    table.add_column("Unit", style="dim")
    table.add_column("Mean", justify="right")
    table.add_column("95% interval", justify="right")
    for index, (group, metrics) in enumerate(metrics_by_group()):
        if index:
            table.add_section()
        table.add_row(f"[bold]{_GROUP_TITLES.get(group, group)}[/bold]")
        for metric in metrics:
            stats = summary[metric.key]
            interval = "–"
            if stats["n"] and stats["n"] > 1:
                interval = format_interval(
                    stats["ci95_low"], stats["ci95_high"], metric.unit, stats["mean"]
                )
            if stats["n"] != reps:
                interval += f" (n={stats['n']})"
            table.add_row(
                f"  {metric.key}",
                metric.description,
                metric.unit,
                format_value(stats["mean"], metric.unit),
                interval,
            )
    return table


def _header(config: Scenario, scenario_path: str) -> str:
    sim = config.simulation
    measured = sim.days - sim.warmup_days
    teams = config.team.n_teams
    about = f"{escape(config.description.strip())}\n" if config.description.strip() else ""
    return (
        f"[bold]Scenario '{escape(config.name)}'[/bold] ({escape(scenario_path)}): "
        f"{sim.replications} replication{'s' if sim.replications != 1 else ''} × "
        f"{sim.days} working days (warm-up {sim.warmup_days}), master seed {sim.seed}\n"
        f"Counts and costs are totals over the {measured} measured working days "
        f"({measured / 260:.1f} years) for the whole organisation "
        f"({teams} team{'s' if teams != 1 else ''}); rates and shares cover the same period.\n"
        f"{about}"
    ).rstrip("\n")


def _summary_from(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))
