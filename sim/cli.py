"""The ``caseload`` command: run a scenario's replications, or check a scenario file.

The command line is how most people meet the model, so it reports problems in their terms: a
scenario mistake prints one ``file: key: problem`` line per problem and exits 2, an
environmental failure (unwritable output directory, unreachable scheduler) prints one
``caseload: error:`` line and exits 1, and neither shows a traceback. Commands are added through
:data:`COMMANDS`, one function per command.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sim.calibrate_command import _add_calibrate
from sim.checkpoint import Checkpoint
from sim.cluster import SchedulerError
from sim.command_support import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Interrupted,
    ProgressReporter,
    add_execution_options,
    add_set_option,
)
from sim.compare_command import add_compare
from sim.config import Scenario
from sim.dashboard_command import add_dashboard
from sim.formatting import format_interval, format_value
from sim.metrics import metrics_by_group
from sim.outputs import OutputError, check_writable, write_outputs
from sim.paths import caseload_version, default_scenario, display_path
from sim.replications import run_replications
from sim.scenario import ScenarioError, load_scenario, scenario_warnings
from sim.sweep_command import add_sweep

_GROUP_TITLES = {
    "demand": "Demand",
    "risk": "Risk to service users",
    "workload": "Workload",
    "workforce": "Workforce",
    "cost": "Cost",
}


#: Folder inside the output directory holding replications of an unfinished run.
CHECKPOINT_DIR = ".checkpoints"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``caseload`` console script; returns the process exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(args_list)
    args.command_line = ["caseload", *args_list]
    try:
        return args.handler(args)
    except ScenarioError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return EXIT_USAGE
    except (OutputError, SchedulerError) as exc:
        print(f"caseload: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"caseload: error: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    except Interrupted as exc:
        print(f"caseload: {exc}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("caseload: interrupted; no output files were changed", file=sys.stderr)
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered command."""
    parser = argparse.ArgumentParser(
        prog="caseload",
        description="Agent-based simulation of social-work team workload.",
    )
    parser.add_argument("--version", action="version", version=f"caseload {caseload_version()}")
    subparsers = parser.add_subparsers(
        title="commands", dest="command", required=True, metavar="COMMAND"
    )
    register_commands(subparsers)
    return parser


# --- command registry ---------------------------------------------------------------------------
# Each entry adds one subcommand to the parser and sets ``handler`` (a function from the parsed
# arguments to an exit status). Later issues add ``compare``, ``sweep``, ``calibrate`` and
# ``dashboard`` here: write ``_add_<name>(subparsers)`` and ``_cmd_<name>(args)``, append
# ``_add_<name>`` to COMMANDS, and raise ScenarioError / OutputError for expected failures so
# ``main`` reports them without a traceback.


def register_commands(subparsers: Any) -> None:
    """Add every command in :data:`COMMANDS` to ``subparsers``."""
    for add_command in COMMANDS:
        add_command(subparsers)


def _add_run(subparsers: Any) -> None:
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
    run.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output directory (default: results/<scenario name>)",
    )
    add_set_option(run)
    add_execution_options(run, "replications")
    run.set_defaults(handler=_cmd_run)


def _add_validate(subparsers: Any) -> None:
    validate = subparsers.add_parser(
        "validate",
        help="check a scenario file without running it",
        description="Load a scenario (inheritance and overrides applied) and report problems.",
    )
    validate.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file")
    add_set_option(validate)
    validate.set_defaults(handler=_cmd_validate)


COMMANDS: list[Callable[[Any], None]] = [
    _add_run,
    _add_validate,
    add_compare,
    add_sweep,
    _add_calibrate,
    add_dashboard,
]

# --- end of command registry --------------------------------------------------------------------


def _cmd_run(args: argparse.Namespace) -> int:
    scenario_path = args.scenario or display_path(default_scenario())
    config = load_scenario(
        scenario_path, args.set, days=args.days, replications=args.reps, seed=args.seed
    )
    reps, seed = config.simulation.replications, config.simulation.seed
    out = check_writable(args.out if args.out is not None else default_out_dir(config))

    console = Console(width=None if sys.stdout.isatty() else 140)
    console.print(_header(config, scenario_path), highlight=False, soft_wrap=True)
    _print_warnings(config)
    checkpoint = Checkpoint(out / CHECKPOINT_DIR, config, seed)
    if args.no_resume:
        checkpoint.clear()
    elif saved := checkpoint.count():
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


def _cmd_validate(args: argparse.Namespace) -> int:
    config = load_scenario(args.scenario, args.set)
    sim = config.simulation
    print(f"OK: {args.scenario} (scenario '{config.name}')")
    print(
        f"  teams: {config.team.n_teams}, posts per team: {config.team.social_worker_posts}, "
        f"days: {sim.days} (warm-up {sim.warmup_days}), replications: {sim.replications}, "
        f"seed: {sim.seed}"
    )
    _print_warnings(config)
    return EXIT_OK


def _print_warnings(config: Scenario) -> None:
    for line in scenario_warnings(config):
        print(line, file=sys.stderr, flush=True)


# --- presentation -------------------------------------------------------------------------------


def default_out_dir(config: Scenario) -> Path:
    """``results/<scenario name>``, with the name made safe as a directory name."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", config.name).strip("-.") or "scenario"
    return Path("results") / slug


def summary_table(summary: dict[str, Any], reps: int) -> Table:
    """The metrics of ``summary.json`` as a table, grouped as declared in ``sim.metrics``."""
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


if __name__ == "__main__":
    sys.exit(main())
