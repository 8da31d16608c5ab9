"""``caseload discover EXPERIMENT.toml --outcome KEY --worse-than VALUE``: scenario discovery.

Runs the experiment's sweep (or reuses the outputs of ``caseload sweep`` with ``--from``), marks
each run bad when its outcome is worse than the value, and lets PRIM find the box of lever and
uncertainty settings where the bad runs are (``sim/experiments/discover.py``). Writes everything
``sweep`` writes plus ``discovery.json``, ``trajectory.parquet``, the peeling trajectory and the
box as figures, and puts the box into the brief in words.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
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
    import numpy as np
    import pandas as pd

    from sim.experiments.design import Plan
    from sim.experiments.discover import Discovery
    from sim.outputs.files import Writer
    from sim.outputs.report import Report
    from sim.runs.batch import RunRecord

#: The journal of finished runs inside the output directory, removed once outputs are written.
JOURNAL = ".discover-journal.jsonl"


def add_discover(subparsers: Any) -> None:
    """Register ``caseload discover``."""
    parser = subparsers.add_parser(
        "discover",
        help="find the settings under which an outcome is bad (PRIM scenario discovery)",
        description="Run (or reuse) an experiment's sweep over levers and uncertainties, mark "
        "runs whose outcome is worse than a value, and find the box of settings holding them "
        "with PRIM: its coverage, density and limits, the peeling trajectory, and the brief.",
    )
    parser.add_argument("experiment", metavar="EXPERIMENT", help="experiment TOML file")
    parser.add_argument(
        "--outcome", required=True, metavar="KEY", help="the outcome (a key of summary.json)"
    )
    parser.add_argument(
        "--worse-than",
        required=True,
        type=float,
        metavar="VALUE",
        help="a run is bad when its outcome is worse than this (above it when lower is better, "
        "below it when higher is better; shares as fractions, e.g. 0.2)",
    )
    parser.add_argument(
        "--from",
        dest="from_dir",
        metavar="DIR",
        help="reuse the runs of a finished 'caseload sweep' of this experiment (its output "
        "folder) instead of running them",
    )
    parser.add_argument(
        "--reps",
        type=positive_int,
        metavar="N",
        help="replications per point (default: the file's)",
    )
    add_output_options(parser, "results/discover-NAME")
    add_execution_options(parser)
    add_pdf_option(parser)
    parser.set_defaults(handler=cmd_discover)


def cmd_discover(args: argparse.Namespace) -> int:
    """Run or reuse the sweep, find the box, print it and write the outputs."""
    from rich.console import Console
    from rich.markup import escape

    from sim.cli.sweep import write_sweep
    from sim.engine.metrics import METRIC_KEYS
    from sim.experiments.design import load_plan
    from sim.experiments.discover import (
        DiscoveryError,
        cases_from_runs,
        discover,
        discovery_sentence,
    )
    from sim.experiments.sweep import points_table, runs_table, sensitivity
    from sim.runs.batch import Journal, specs_for
    from sim.scenario.catalogue import display_path
    from sim.scenario.levers import setting_label, setting_unit
    from sim.scenario.loading import ScenarioError

    if args.outcome not in METRIC_KEYS:
        raise ScenarioError(
            [
                f"--outcome: not a metric; use a key of summary.json such as "
                f"overdue_visit_case_days (got {args.outcome!r})"
            ]
        )
    design = load_plan(args.experiment, args.reps)
    experiment = design.experiment
    check_pdf(args)
    seed = design.configs[0].simulation.seed
    out = claim_output_dir(args, default_discover_dir(experiment.name))
    console = Console(width=None if sys.stdout.isatty() else 160)
    if args.from_dir:
        records = records_from_sweep(Path(args.from_dir), design)
        reused = len(records)
        console.print(
            f"Reusing the {len(records)} runs of {escape(args.from_dir)}", highlight=False
        )
    else:
        specs = specs_for(design.configs, experiment.replications, seed)
        console.print(
            f"[bold]Discovery on '{escape(experiment.name)}'[/bold]: {len(design.configs)} "
            f"points × {experiment.replications} replications = {len(specs)} runs",
            highlight=False,
        )
        records, reused = run_journaled(specs, args, out / JOURNAL, console, command="discover")
    outcomes = list(dict.fromkeys([*experiment.outcomes, args.outcome]))
    points = points_table(design, records, outcomes)
    indices = sensitivity(design, points, experiment.outcomes)
    runs = runs_table(design, records)
    try:
        x, y = cases_from_runs(runs, design.labels, args.outcome)
        found = discover(x, y, args.outcome, args.worse_than)
    except DiscoveryError as exc:
        raise ScenarioError([str(exc)]) from None
    labels = {f.label: setting_label(f.key) for f in experiment.factors}
    units = {f.label: setting_unit(f.key) for f in experiment.factors}
    sentence = discovery_sentence(found, labels, units)
    console.print(sentence, highlight=False, soft_wrap=True)
    source = Path(args.experiment).read_text(encoding="utf-8")
    write_sweep(
        out,
        design,
        runs,
        points,
        indices,
        source,
        seed,
        counts={"runs": len(records), "runs_reused": reused},
        command=args.command_line,
        pdf=not args.no_pdf,
        findings=[sentence],
        extra=_discovery_writers(found, x, y, labels, args),
        sections=lambda report, path: _discovery_section(report, path, found, sentence, labels),
        kind="discover",
    )
    Journal(out / JOURNAL).clear()
    console.print(
        f"Outputs written to {display_path(out)}/ ({handout(args)} to send on)",
        highlight=False,
        soft_wrap=True,
    )
    return EXIT_OK


def default_discover_dir(name: str) -> Path:
    """``results/discover-<name>``, made safe as a directory name."""
    return Path("results") / re.sub(r"[^A-Za-z0-9._-]+", "-", f"discover-{name}").strip("-.")


def records_from_sweep(folder: Path, design: Plan) -> list[RunRecord]:
    """The runs of a finished sweep of this experiment, as run records.

    Raises:
        ScenarioError: The folder holds no sweep of this experiment, or not all its runs.
    """
    import pandas as pd

    from sim.engine.metrics import METRIC_KEYS
    from sim.runs.batch import RunRecord
    from sim.scenario.loading import ScenarioError

    manifest_path, runs_path = folder / "manifest.json", folder / "runs.parquet"
    if not (manifest_path.is_file() and runs_path.is_file()):
        raise ScenarioError(
            [f"--from: no finished sweep there (manifest.json and runs.parquet) (got {folder})"]
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    experiment = design.experiment
    expected = (experiment.name, len(design.configs), experiment.replications)
    got = (manifest.get("experiment"), manifest.get("points"), manifest.get("replications"))
    if got != expected:
        raise ScenarioError(
            [
                f"--from: {folder} is a sweep of {got[0]!r} ({got[1]} points × {got[2]} "
                f"replications), not of {expected[0]!r} ({expected[1]} × {expected[2]}); run "
                f"'caseload sweep' with this experiment file, or drop --from (got {folder})"
            ]
        )
    runs = pd.read_parquet(runs_path)
    return [
        RunRecord(
            int(row["point"]),
            int(row["replication"]),
            int(row["seed"]),
            {key: float(row[key]) for key in METRIC_KEYS if key in runs.columns},
        )
        for _, row in runs.iterrows()
    ]


def _discovery_writers(
    found: Discovery,
    x: pd.DataFrame,
    y: np.ndarray,
    labels: dict[str, str],
    args: argparse.Namespace,
) -> dict[str, Writer]:
    import numpy as np
    import pandas as pd

    from sim.outputs.files import write_json, write_parquet
    from sim.outputs.plots import box_figure, peeling_figure

    keep = ~np.isnan(y)
    x, y = x.loc[keep].reset_index(drop=True), y[keep]
    bad = y > found.threshold if found.bad_if == ">" else y < found.threshold
    limits = {r.factor: (r.low, r.high) for r in found.restrictions}
    writers: dict[str, Writer] = {
        "discovery.json": lambda path: write_json(path, _discovery_json(found, labels, args)),
        "trajectory.parquet": lambda path: write_parquet(path, found.trajectory),
        "plots/peeling.png": lambda path: peeling_figure(found.trajectory, path),
    }
    numeric = [c for c in x.columns if pd.api.types.is_numeric_dtype(x[c])]
    restricted = sorted(
        (r for r in found.restrictions if r.factor in numeric),
        key=lambda r: (r.high - r.low) / max(r.sampled_high - r.sampled_low, 1e-12),
    )
    shown = [r.factor for r in restricted][:2]
    shown += [c for c in numeric if c not in shown][: 2 - len(shown)]
    if len(shown) == 2:
        writers["plots/box.png"] = lambda path: box_figure(
            x, bad, (shown[0], shown[1]), limits, labels, path
        )
    return writers


def _discovery_json(
    found: Discovery, labels: dict[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    return {
        "outcome": found.outcome,
        "worse_than": found.threshold,
        "bad_if": found.bad_if,
        "runs": found.n_cases,
        "bad_runs": found.n_bad,
        "coverage": found.coverage,
        "density": found.density,
        "mass": found.mass,
        "box": [
            {
                "factor": r.factor,
                "label": labels.get(r.factor, r.factor),
                "low": r.low,
                "high": r.high,
                "sampled_low": r.sampled_low,
                "sampled_high": r.sampled_high,
            }
            for r in found.restrictions
        ],
        "method": "PRIM (prim package), peel and paste alpha 0.05, mass_min 0.05",
        "reused_sweep": args.from_dir,
    }


def _discovery_section(
    report: Report, path: Path, found: Discovery, sentence: str, labels: dict[str, str]
) -> None:
    """The report's scenario-discovery section: the box in words, its limits and figures."""
    from sim.engine.metrics import METRICS_BY_KEY

    metric = METRICS_BY_KEY[found.outcome]
    report.heading(f"Scenario discovery: when is {metric.label.lower()} bad?")
    report.paragraph(sentence)
    report.paragraph(
        "PRIM (Friedman & Fisher 1999, as in EMA Workbench) peels the settings swept from their "
        "edges towards a box where bad runs are dense. Coverage: the share of all bad runs "
        "inside the box; density: the share of runs inside it that are bad; mass: the share "
        "of all runs inside it. The box chosen is the one of highest coverage whose density "
        "is at least 80% (else the densest).",
        note=True,
    )
    report.table(
        ["Factor", "Box from", "Box to", "Swept from", "Swept to"],
        [
            [
                labels.get(r.factor, r.factor),
                f"{r.low:.4g}",
                f"{r.high:.4g}",
                f"{r.sampled_low:.4g}",
                f"{r.sampled_high:.4g}",
            ]
            for r in found.restrictions
        ],
    )
    for name, caption in (
        ("plots/peeling.png", "PRIM's peeling trajectory: density against coverage"),
        ("plots/box.png", "The runs over the two most restricted factors, with the box"),
    ):
        if (path.parent / name).exists():
            report.figure(path.parent / name, caption)
