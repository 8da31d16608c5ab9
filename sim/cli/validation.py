"""``caseload validation``: run a scenario and hold it to published patterns it was not fitted to.

Registered in :data:`sim.cli.main.COMMANDS`. The targets, how each model value is computed and
the pass rule are in :mod:`sim.experiments.validation`; this module runs the replications (with
the same checkpoints, and so the same resume, as ``caseload run``), prints the verdicts and
writes ``validation.parquet``, ``validation.md``, ``scenario.toml`` and ``manifest.json``; with
``--write-docs`` it also rewrites ``docs/validation.md`` with the same text.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.cli.support import (
    EXIT_OK,
    add_execution_options,
    add_output_options,
    add_set_option,
    checkpointed_replications,
    int_at_least,
    reproducing_options,
)

#: Folder inside the output directory holding replications of an unfinished validation.
CHECKPOINT_DIR = ".checkpoints"

#: The override every validation run gets: the stress gradients read the worker-day table.
WORKER_DAYS_ON = "simulation.collect_worker_days=true"


def add_validation(subparsers: Any) -> None:
    """Add ``caseload validation``."""
    parser = subparsers.add_parser(
        "validation",
        help="check a scenario's replications against published patterns (pass/fail per target)",
        description="Run replications of a scenario (default: the packaged baseline) and compare "
        "the model's mean and 95%% interval for each validation target (the calibration figures, "
        "serious incidents, re-referrals, social worker changes, stress gradients, leavers' "
        "service) with the published range; write validation.parquet, validation.md, "
        "scenario.toml and manifest.json (docs/validation.md).",
    )
    parser.add_argument(
        "scenario",
        nargs="?",
        metavar="SCENARIO",
        help="scenario TOML file (default: the packaged scenarios/baseline.toml)",
    )
    parser.add_argument(
        "--reps",
        type=int_at_least(2, "so each mean has an interval"),
        metavar="N",
        help="replications (default: simulation.replications)",
    )
    parser.add_argument(
        "--seed", type=int, metavar="S", help="master seed (default: simulation.seed)"
    )
    parser.add_argument(
        "--days", type=int, metavar="D", help="working days to simulate (default: simulation.days)"
    )
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="also rewrite docs/validation.md of the repository with the report",
    )
    add_set_option(parser)
    add_output_options(parser, "results/validation-<scenario name>")
    add_execution_options(parser, "replications")
    parser.set_defaults(handler=_cmd_validation)


def _cmd_validation(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    from sim.cli.run import default_out_dir
    from sim.cli.support import claim_output_dir
    from sim.cli.validate import print_warnings
    from sim.engine.rng import replication_seeds
    from sim.experiments.validation import assess, burnout_profile, render_markdown
    from sim.runs.checkpoint import Checkpoint
    from sim.scenario.catalogue import default_scenario, display_path
    from sim.scenario.loading import load_scenario

    scenario_path = args.scenario or display_path(default_scenario())
    config = load_scenario(
        scenario_path,
        [*args.set, WORKER_DAYS_ON],
        days=args.days,
        replications=args.reps,
        seed=args.seed,
    )
    reps, seed = config.simulation.replications, config.simulation.seed
    base = default_out_dir(config)
    out = claim_output_dir(args, base.with_name(f"validation-{base.name}"))

    console = Console(width=None if sys.stdout.isatty() else 140)
    console.print(
        f"[bold]Validating '{escape(config.name)}'[/bold] ({escape(scenario_path)}): "
        f"{reps} replications × {config.simulation.days} working days "
        f"(warm-up {config.simulation.warmup_days}), master seed {seed}",
        highlight=False,
        soft_wrap=True,
    )
    print_warnings(config)
    checkpoint = Checkpoint(out / CHECKPOINT_DIR, config, seed)
    if args.no_resume:
        checkpoint.clear()
    elif saved := checkpoint.restore(replication_seeds(seed, reps)):
        console.print(f"Resuming: {saved} replication(s) saved by an interrupted run are reused.")
    results = checkpointed_replications(args, config, reps, seed, checkpoint)

    assessments = assess(results, config)
    report = render_markdown(
        assessments,
        scenario=config.name,
        replications=reps,
        seed=seed,
        days=config.simulation.days,
        warmup_days=config.simulation.warmup_days,
        command=canonical_command(args, scenario_path, reps, seed),
        profile=burnout_profile(results, config),
    )
    _write(out, config, results, assessments, report, args.command_line)
    checkpoint.clear()
    console.print(_table(assessments))
    passed = sum(a.passed for a in assessments)
    console.print(
        f"{passed} of {len(assessments)} targets pass (rule: docs/validation.md); "
        "(wide): the interval is wider than the published range, so the pass says little."
    )
    console.print(f"Outputs written to {display_path(out)}/", highlight=False, soft_wrap=True)
    if args.write_docs:
        docs = write_docs(report)
        console.print(f"Rewrote {display_path(docs)}", highlight=False, soft_wrap=True)
    return EXIT_OK


def canonical_command(args: argparse.Namespace, scenario_path: str, reps: int, seed: int) -> str:
    """The command that reproduces the report's figures, without machine-specific options.

    ``--out``, ``--workers`` and ``--scheduler`` change where and how, never the numbers, so
    they are left out: the same report comes from any folder and any number of workers.
    """
    words = ["caseload", "validation"]
    if args.scenario:
        words.append(scenario_path)
    words += ["--reps", str(reps), "--seed", str(seed), *reproducing_options(args)]
    return shlex.join(words)


def _write(
    out: Path,
    config: Any,
    results: list[Any],
    assessments: list[Any],
    report: str,
    command: list[str],
) -> None:
    from sim.experiments.validation import assessment_frame
    from sim.outputs.files import write_directory, write_parquet
    from sim.scenario.loading import scenario_to_toml

    frame = assessment_frame(assessments)
    writers = {
        "validation.parquet": lambda path: write_parquet(path, frame),
        "validation.md": lambda path: path.write_text(report, encoding="utf-8"),
        "scenario.toml": lambda path: path.write_text(scenario_to_toml(config), encoding="utf-8"),
    }
    manifest = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "scenario": config.name,
        "master_seed": config.simulation.seed,
        "replications": len(results),
        "days": config.simulation.days,
        "seeds": [int(r.seed) for r in results],
    }
    write_directory(out, writers, manifest, command=command)


def write_docs(report: str, name: str = "validation.md") -> Path:
    """Replace ``docs/<name>`` of the repository with ``report``, atomically."""
    from sim.scenario.catalogue import repo_root

    path = repo_root() / "docs" / name
    handle, staging = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".md", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(report)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
    return path


def _table(assessments: list[Any]) -> Any:
    from rich.table import Table

    from sim.experiments.validation import NOT_MODELLED, PASS, format_figure

    table = Table(
        title="Validation targets: model mean over replications [95% interval]",
        title_justify="left",
    )
    table.add_column("Target", no_wrap=True)
    table.add_column("Published (range)", justify="right")
    table.add_column("Model [95% CI]", justify="right")
    table.add_column("n", justify="right")
    table.add_column("Result")
    for a in assessments:
        t, s = a.target, a.stats
        central = "above 0" if t.central is None else format_figure(t.central, t.unit)
        published = f"{central} ({format_figure(t.low, t.unit)} – {format_figure(t.high, t.unit)})"
        model = format_figure(s["mean"], t.unit)
        if s["n"] > 1:
            model += (
                f" [{format_figure(s['ci95_low'], t.unit, s['mean'])} – "
                f"{format_figure(s['ci95_high'], t.unit, s['mean'])}]"
            )
        if t.measure is None:
            model = "—"
        style = "green" if a.status == PASS else "yellow" if a.status == NOT_MODELLED else "red"
        verdict = f"[{style}]{a.status}[/{style}]" + (" (wide)" if a.passed and a.is_wide else "")
        table.add_row(t.key, published, model, str(s["n"]), verdict)
    return table
