"""``caseload robustness``: the headline comparisons re-estimated over the uncertain parameters.

Registered in :data:`sim.cli.main.COMMANDS`. The parameter sets, the pairing of each lever with
its base and the sign counts are in :mod:`sim.experiments.robustness`; this module runs every
(scenario, parameter set, replication) as one Dask batch with the journal of ``compare`` and
``sweep`` (so an interrupted run resumes), prints the sign counts and writes ``effects.parquet``,
``signs.parquet``, ``parameter_sets.parquet``, ``runs.parquet``, ``robustness.md`` and
``manifest.json`` atomically; ``--write-docs`` also rewrites the generated part of
``docs/robustness.md``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from sim.cli.support import (
    EXIT_OK,
    add_execution_options,
    add_output_options,
    add_set_option,
    int_at_least,
    reproducing_options,
)

#: The journal of finished runs inside the output directory, removed once outputs are written.
JOURNAL = ".robustness-journal.jsonl"

#: Defaults: the size ``docs/robustness.md`` was written with.
DEFAULT_SETS, DEFAULT_REPS = 16, 4


def add_robustness(subparsers: Any) -> None:
    """Add ``caseload robustness``."""
    parser = subparsers.add_parser(
        "robustness",
        help="re-estimate the headline comparisons over the uncertain parameters (sign counts)",
        description="Run the three headline comparisons (10%% staffing cut against its service "
        "area, the caseload cap and admin support against the baseline), paired by replication, "
        "at each of N parameter sets drawn by Latin hypercube over the registered uncertainties; "
        "report in how many sets each effect is above or below zero, and its range. Writes "
        "effects.parquet, signs.parquet, parameter_sets.parquet, runs.parquet, robustness.md "
        "and manifest.json (docs/robustness.md).",
    )
    parser.add_argument(
        "--sets",
        type=int_at_least(2, "so a sign can be counted over sets"),
        default=DEFAULT_SETS,
        metavar="N",
        help=f"parameter sets (Latin hypercube points; default {DEFAULT_SETS})",
    )
    parser.add_argument(
        "--reps",
        type=int_at_least(2, "so each effect has an interval"),
        default=DEFAULT_REPS,
        metavar="R",
        help=f"replications of each scenario at each set (default {DEFAULT_REPS})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        metavar="S",
        help="master seed of the replications and the Latin hypercube (default: the "
        "scenarios' simulation.seed)",
    )
    parser.add_argument(
        "--days", type=int, metavar="D", help="working days to simulate (default: the scenarios')"
    )
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="also rewrite the generated part of docs/robustness.md with the report",
    )
    add_set_option(parser, "(applies to every scenario, before the parameter set's values)")
    add_output_options(parser, "results/robustness")
    add_execution_options(parser)
    parser.set_defaults(handler=_cmd_robustness)


def _cmd_robustness(args: argparse.Namespace) -> int:
    from rich.console import Console

    from sim.cli.support import claim_output_dir, run_journaled
    from sim.experiments.robustness import (
        effects_table,
        headline_pairings,
        plan_robustness,
        render_markdown,
        sign_counts,
    )
    from sim.runs.batch import Journal
    from sim.scenario.catalogue import display_path

    plan = plan_robustness(
        headline_pairings(),
        args.sets,
        replications=args.reps,
        seed=args.seed,
        days=args.days,
        settings=args.set,
    )
    out = claim_output_dir(args, Path("results") / "robustness")
    console = Console(width=None if sys.stdout.isatty() else 140)
    specs = plan.specs()
    days, warmup = plan.simulation
    runs = plan.distinct_runs()
    console.print(
        f"[bold]Robustness of {len(plan.pairings)} comparisons[/bold]: {plan.n_sets} parameter "
        f"sets × {plan.replications} replications × 2 scenarios = {len(specs)} runs ({runs} "
        f"distinct: a shared base runs once) of {days} working days (warm-up {warmup}), "
        f"master seed {plan.master_seed}",
        highlight=False,
        soft_wrap=True,
    )
    records, reused = run_journaled(
        specs, args, out / JOURNAL, console, command="robustness", keep_series=True
    )
    effects = effects_table(plan, records)
    signs = sign_counts(effects)
    report = render_markdown(
        signs,
        plan=plan,
        command=canonical_command(args, plan.master_seed),
        runs=runs,
    )
    _write(out, plan, records, effects, signs, report, {"runs": runs, "runs_reused": reused}, args)
    Journal(out / JOURNAL).clear()  # the outputs are safely written
    console.print(_table(signs))
    console.print(f"Outputs written to {display_path(out)}/", highlight=False, soft_wrap=True)
    if args.write_docs:
        docs = write_docs(report)
        console.print(f"Rewrote {display_path(docs)}", highlight=False, soft_wrap=True)
    return EXIT_OK


def canonical_command(args: argparse.Namespace, seed: int) -> str:
    """The command that reproduces the figures, without ``--out``, ``--workers``, ``--scheduler``.

    Those change where and how the runs execute, never the numbers.
    """
    words = ["caseload", "robustness", "--sets", str(args.sets), "--reps", str(args.reps)]
    words += ["--seed", str(seed), *reproducing_options(args)]
    return shlex.join(words)


def _write(
    out: Path,
    plan: Any,
    records: list[Any],
    effects: Any,
    signs: Any,
    report: str,
    counts: dict[str, int],
    args: argparse.Namespace,
) -> None:
    from sim.experiments.robustness import runs_table
    from sim.outputs.files import write_directory, write_parquet

    sets = plan.sets.copy()
    sets.insert(0, "set", range(len(sets)))
    runs = runs_table(plan, records)
    writers = {
        "effects.parquet": lambda path: write_parquet(path, effects),
        "signs.parquet": lambda path: write_parquet(path, signs),
        "parameter_sets.parquet": lambda path: write_parquet(path, sets),
        "runs.parquet": lambda path: write_parquet(path, runs),
        "robustness.md": lambda path: path.write_text(report, encoding="utf-8"),
    }
    days, warmup = plan.simulation
    manifest = {
        "kind": "robustness",
        "comparisons": [p.name for p in plan.pairings],
        "parameter_sets": plan.n_sets,
        "replications": plan.replications,
        "master_seed": plan.master_seed,
        "days": days,
        "warmup_days": warmup,
        **counts,
    }
    write_directory(out, writers, manifest, command=args.command_line)


def write_docs(report: str) -> Path:
    """Replace the generated part of ``docs/robustness.md`` with ``report``, atomically."""
    from sim.cli.validation import write_docs as write_doc_file
    from sim.experiments.robustness import replace_generated
    from sim.scenario.catalogue import repo_root

    path = repo_root() / "docs" / "robustness.md"
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    return write_doc_file(replace_generated(current, report), "robustness.md")


def _table(signs: Any) -> Any:
    from rich.table import Table

    from sim.experiments.robustness import OUTCOMES_BY_KEY, sign_sentence
    from sim.outputs.formatting import format_change

    table = Table(
        title="Sign of each paired effect over the parameter sets (sure: 95% interval excludes 0)",
        title_justify="left",
    )
    for column in ("Comparison", "Outcome", "Sign", "Median", "Range"):
        table.add_column(column, overflow="fold")
    for row in signs.to_dict("records"):
        outcome = OUTCOMES_BY_KEY[row["outcome"]]
        unit = outcome.unit
        table.add_row(
            row["comparison"],
            outcome.label,
            sign_sentence(row, outcome.better),
            format_change(row["effect_median"], unit),
            f"{format_change(row['effect_min'], unit)} to {format_change(row['effect_max'], unit)}",
        )
    return table
