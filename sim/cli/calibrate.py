"""The ``caseload calibrate`` command: fit parameters to the targets and report the fit.

Registered in :data:`sim.cli.main.COMMANDS`. Settings come from the command line, else from a
calibration file (``--calibration``, e.g. ``experiments/calibrate_baseline.toml``), else from the
defaults in :mod:`sim.experiments.calibrate`.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.cli.support import (
    add_execution_options,
    add_output_options,
    add_set_option,
    int_at_least,
    positive_int,
)
from sim.experiments.calibrate_options import (
    DEFAULT_MAX_EVALS,
    DEFAULT_METHOD,
    DEFAULT_PARAMETERS,
    DEFAULT_REPS,
    DEFAULT_SOURCE,
    METHODS,
    SEARCH_RANGES,
)

if TYPE_CHECKING:
    from rich.progress import Progress

    from sim.experiments.calibrate import CalibrationResult, Evaluation

#: Folder inside the output directory holding the evaluations of this and earlier runs.
CACHE_DIR = ".calibration-cache"


def add_calibrate(subparsers: Any) -> None:
    """Add ``caseload calibrate``."""
    parser = subparsers.add_parser(
        "calibrate",
        help="fit parameters so the scenario reproduces the calibration targets",
        description="Fit chosen parameters of a scenario (default: the baseline) by minimising "
        "the weighted sum of squared standardised deviations of replication means from the "
        "calibration targets (docs/calibration.md), then report the fit and write "
        "calibration.json, evaluations.parquet, calibrated.toml and manifest.json.",
    )
    parser.add_argument(
        "scenario",
        nargs="?",
        metavar="SCENARIO",
        help="scenario TOML file (default: the calibration file's scenario, else the packaged "
        "scenarios/baseline.toml)",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--params",
        metavar="KEYS",
        help="comma-separated parameters to fit, each KEY or KEY=LOW:HIGH (documented ranges: "
        f"{', '.join(SEARCH_RANGES)}; default: {', '.join(DEFAULT_PARAMETERS)})",
    )
    source.add_argument(
        "--calibration",
        type=Path,
        metavar="FILE",
        help="calibration TOML naming parameters, ranges, target weights and budget "
        "(e.g. experiments/calibrate_baseline.toml)",
    )
    parser.add_argument(
        "--reps",
        type=int_at_least(2, "so each mean has an interval"),
        metavar="N",
        help=f"replications per evaluation (default {DEFAULT_REPS})",
    )
    parser.add_argument(
        "--days", type=int, metavar="D", help="working days per run (default: simulation.days)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        metavar="S",
        help="master seed of every evaluation (default: simulation.seed)",
    )
    parser.add_argument(
        "--max-evals",
        type=positive_int,
        metavar="K",
        help=f"most parameter points to evaluate, the start included (default {DEFAULT_MAX_EVALS})",
    )
    parser.add_argument("--method", choices=METHODS, help=f"optimiser (default {DEFAULT_METHOD})")
    parser.add_argument(
        "--check-reps",
        type=_check_reps,
        metavar="N",
        help="replications of the independent check of the fit on seed S+1 "
        "(default: as --reps; 0 skips it)",
    )
    add_set_option(parser)
    add_output_options(parser, "results/calibrate-<scenario name>")
    add_execution_options(parser, "evaluations")
    parser.set_defaults(handler=_cmd_calibrate)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    from sim.cli.run import default_out_dir
    from sim.cli.support import EXIT_OK, Interrupted, claim_output_dir
    from sim.experiments.calibrate import (
        EvaluationCache,
        ParameterSpec,
        ReplicationPool,
        calibrate,
        check_seed_for,
        load_calibration,
        parse_params,
        resolve_parameters,
        write_calibration,
    )
    from sim.scenario.catalogue import default_scenario, display_path
    from sim.scenario.loading import load_scenario
    from sim.scenario.schema import tables_not_kept

    spec = load_calibration(args.calibration) if args.calibration is not None else None
    scenario_path = (
        args.scenario
        or (spec.scenario if spec is not None else None)
        or display_path(default_scenario())
    )
    days = args.days if args.days is not None else spec.days if spec else None
    seed = args.seed if args.seed is not None else spec.seed if spec else None
    with tables_not_kept():  # evaluations keep summaries; max_evals bounds the points
        base = load_scenario(scenario_path, args.set)
        config = load_scenario(scenario_path, args.set, days=days, seed=seed)
    if args.params is not None:
        specs, source = parse_params(args.params), "--params"
    elif spec is not None:
        specs, source = spec.parameters, str(args.calibration)
    else:
        specs, source = [ParameterSpec(key=key) for key in DEFAULT_PARAMETERS], DEFAULT_SOURCE
    parameters = resolve_parameters(specs, config, source)
    reps = args.reps or (spec.reps if spec else None) or DEFAULT_REPS
    max_evals = args.max_evals or (spec.max_evals if spec else None) or DEFAULT_MAX_EVALS
    method = args.method or (spec.method if spec else None) or DEFAULT_METHOD
    check_reps = args.check_reps
    if check_reps is None:
        check_reps = spec.check_reps if spec and spec.check_reps is not None else reps
    weights = spec.weights if spec else {}

    out = claim_output_dir(args, _default_out(default_out_dir(config)))
    cache = EvaluationCache(out / CACHE_DIR)
    if args.no_resume:
        cache.clear()

    console = Console(width=None if sys.stdout.isatty() else 140)
    sim_ = config.simulation
    console.print(
        f"[bold]Calibrating '{escape(config.name)}'[/bold] ({escape(scenario_path)}): "
        f"{len(parameters)} parameter{'s' if len(parameters) != 1 else ''} by {method}, "
        f"at most {max_evals} evaluations of {reps} replications × {sim_.days} working days "
        f"(warm-up {sim_.warmup_days}), master seed {sim_.seed} for every evaluation"
        + (
            f"; then a check of {check_reps} replications on seed {check_seed_for(sim_.seed)}"
            if check_reps
            else ""
        ),
        highlight=False,
        soft_wrap=True,
    )
    started = time.monotonic()
    with (
        _EvaluationProgress(args.quiet, max_evals, reps) as progress,
        ReplicationPool(args.workers, args.scheduler) as pool,
    ):
        try:
            result = calibrate(
                config,
                parameters,
                pool,
                reps=reps,
                master_seed=sim_.seed,
                weights=weights,
                max_evals=max_evals,
                method=method,
                check_reps=check_reps,
                cache=cache,
                on_evaluation=progress.evaluation,
                on_replication=progress.replication,
            )
        except KeyboardInterrupt:
            raise Interrupted(
                "interrupted; finished evaluations are cached in "
                f"{display_path(cache.directory)} and the same command resumes from them "
                "(no output files were changed)"
            ) from None
    elapsed = time.monotonic() - started
    write_calibration(
        out,
        result,
        base,
        scenario=scenario_path,
        days=sim_.days,
        elapsed_seconds=elapsed,
        command=args.command_line,
    )
    for renderable in report(result, elapsed):
        console.print(renderable, highlight=False, soft_wrap=True)
    console.print(
        f"Outputs written to {display_path(out)}/ (calibrated.toml is the scenario with the "
        "fitted values)",
        highlight=False,
        soft_wrap=True,
    )
    return EXIT_OK


def _default_out(run_dir: Path) -> Path:
    return run_dir.parent / f"calibrate-{run_dir.name}"


def report(result: CalibrationResult, elapsed_seconds: float) -> list[Any]:
    """What the command prints after a calibration: parameters, fit per target, summary lines."""
    from rich import box
    from rich.table import Table

    from sim.engine.metrics import METRICS_BY_KEY
    from sim.experiments.calibrate import target_rows
    from sim.experiments.targets import TARGETS_BY_METRIC
    from sim.outputs.formatting import format_value

    params = Table(title="Parameters", title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("Parameter", "Search range", "Start", "Fitted"):
        params.add_column(column, justify="left" if column == "Parameter" else "right")
    for p in result.parameters:
        fitted = f"{result.best.values[p.key]:.4g}"
        if p.key in result.at_bounds:
            fitted += " (at bound)"
        params.add_row(p.key, f"{p.low:g} – {p.high:g}", f"{p.start:.4g}", fitted)

    weighted_rows = any(w != 1 for w in result.weights.values())
    fit = Table(
        title="Fit to the calibration targets (mean over replications, Student-t 95% interval; "
        "z = (mean − central) / half-range)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    fit.add_column("Target", no_wrap=True)
    if weighted_rows:
        fit.add_column("Weight", justify="right")
    fit.add_column("Range (central)", justify="right", no_wrap=True)
    fit.add_column("Start", justify="right", no_wrap=True)
    fit.add_column("Fitted (95% interval)", justify="right", no_wrap=True)
    fit.add_column("z", justify="right", no_wrap=True)
    fit.add_column("In range", justify="center")
    if result.check is not None:
        fit.add_column("Check (95% interval)", justify="right", no_wrap=True)
        fit.add_column("In range", justify="center")
    for row in target_rows(result):
        unit = METRICS_BY_KEY[row["metric"]].unit

        def show(stats: dict[str, Any] | None, unit: str = unit, interval: bool = True) -> str:
            if stats is None:
                return "–"
            text = format_value(stats["mean"], unit)
            if interval and stats["n"] > 1 and math.isfinite(stats["mean"]):
                low = format_value(stats["ci95_low"], unit, like=stats["mean"])
                high = format_value(stats["ci95_high"], unit, like=stats["mean"])
                text += f" ({low}–{high})"
            return text

        target = TARGETS_BY_METRIC[row["metric"]]
        cells = [
            row["metric"],
            *([f"{row['weight']:g}"] if weighted_rows else []),
            f"{format_value(target.low, unit)}–{format_value(target.high, unit)} "
            f"({format_value(target.central, unit)})",
            show(row["start"], interval=False),
            show(row["fitted"]),
            f"{row['fitted']['deviation']:+.2f}",
            "yes" if row["fitted"]["within"] else "[bold red]no[/bold red]",
        ]
        if result.check is not None:
            cells += [show(row["check"]), "yes" if row["check"]["within"] else "no"]
        fit.add_row(*cells)

    within = sum(r["fitted"]["within"] for r in target_rows(result) if r["weight"] > 0)
    weighted = sum(1 for r in target_rows(result) if r["weight"] > 0)
    lines = [
        f"Objective: {result.start.objective:.3f} at the start, {result.best.objective:.3f} fitted "
        f"(evaluation {result.best.index}); {within} of {weighted} weighted targets in range.",
    ]
    if result.check is not None:
        check_within = sum(r["check"]["within"] for r in target_rows(result) if r["weight"] > 0)
        start_j = result.check_start.objective if result.check_start else math.nan
        if result.best.values == result.start.values:
            verdict = "the search found nothing better than the start"
        elif result.check.objective < start_j:
            verdict = "the fit beats the start on fresh random numbers"
        else:
            verdict = (
                "the fit does NOT beat the start on fresh random numbers: its gain came from "
                "the search's sample, so keep the start or use more replications"
            )
        lines.append(
            f"Independent check ({result.check.reps} replications, master seed "
            f"{result.check_seed}): objective {result.check.objective:.3f} fitted, "
            f"{start_j:.3f} at the start; {check_within} of {weighted} weighted targets in "
            f"range; {verdict}."
        )
    lines.append(
        f"Evaluations: {len(result.evaluations)} of at most {result.max_evals} "
        f"({result.cached} from the cache); {'converged' if result.converged else 'stopped'}: "
        f"{result.stop_reason}. Time {elapsed_seconds:.0f} s."
    )
    for key in result.at_bounds:
        lines.append(
            f"warning: {key} is at the edge of its search range; widen the range, or the "
            "targets cannot be met with this parameter alone"
        )
    return [params, fit, "\n".join(lines)]


class _EvaluationProgress:
    """Progress of a calibration: bars on a terminal, else one line per evaluation."""

    def __init__(self, quiet: bool, max_evals: int, reps: int) -> None:
        self.quiet, self.max_evals, self.reps = quiet, max_evals, reps
        self.bar: Progress | None = None
        self.evaluations_task: Any = None
        self.replications_task: Any = None
        self.seen: set[int] = set()

    def __enter__(self) -> _EvaluationProgress:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        if not self.quiet and sys.stderr.isatty():
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[note]}"),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.__enter__()
            self.evaluations_task = self.bar.add_task("Evaluations", total=self.max_evals, note="")
            self.replications_task = self.bar.add_task("Replications", total=self.reps, note="")
        return self

    def evaluation(self, evaluation: Evaluation, best: Evaluation) -> None:
        """Report a finished evaluation (the check comes last, after the search)."""
        if self.quiet:
            return
        values = ", ".join(f"{k.rsplit('.', 1)[-1]}={v:.4g}" for k, v in evaluation.values.items())
        is_check = evaluation.master_seed != best.master_seed  # the checks run on seed S+1
        if not is_check:
            self.seen.add(evaluation.index)
        if self.bar is not None:
            if is_check:
                self.bar.update(self.evaluations_task, note="checking the fit on a new seed")
            else:
                note = f"best objective {best.objective:.3f}"
                self.bar.update(self.evaluations_task, completed=len(self.seen), note=note)
            return
        cached = " (cached)" if evaluation.cached else ""
        kind = f"evaluation {len(self.seen)}/{self.max_evals}"
        if is_check:
            kind = "check of the fit" if evaluation.values == best.values else "check of the start"
        print(
            f"{kind}: {values}: objective {evaluation.objective:.3f}{cached} "
            f"(best {best.objective:.3f})",
            file=sys.stderr,
            flush=True,
        )

    def replication(self, done: int, total: int) -> None:
        """Report replications finished within the running evaluation."""
        if self.bar is not None:
            self.bar.update(self.replications_task, completed=done, total=total)

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def _check_reps(text: str) -> int:
    """``--check-reps``: 0 (no check) or at least 2, so each checked mean has an interval."""
    value = int_at_least(0)(text)
    if value == 1:
        raise argparse.ArgumentTypeError("must be 0 (no check) or at least 2 (got 1)")
    return value
