"""What every ``caseload`` command shares: exit codes, options, progress and resumable runs.

Commands live in their own modules (``sim/cli/run.py``, ``sim/cli/validate.py``,
``sim/cli/compare.py``, ``sim/cli/sweep.py``, ...); this module holds what they have in
common so that ``--set``, ``--workers``/``--scheduler``, the progress display and the Ctrl-C
message mean the same everywhere.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

if TYPE_CHECKING:
    from sim.runs.batch import RunRecord, RunSpec
    from sim.runs.checkpoint import Checkpoint
    from sim.scenario.schema import Scenario

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

#: ``progress(done, total)``: items done (fractional while a lone run's days pass) of ``total``.
ProgressCallback = Callable[[float, int], None]


class Interrupted(Exception):
    """Ctrl-C during a long command: what was saved, and how to resume."""


def add_set_option(parser: argparse.ArgumentParser, note: str = "") -> None:
    """Add the repeatable ``--set KEY=VALUE`` scenario override."""
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario value, e.g. --set team.social_worker_posts=7 or "
        "--set staffing.cuts[0].share=0.2 (repeatable; VALUE is TOML, else text)"
        + (f" {note}" if note else ""),
    )


def add_output_options(parser: argparse.ArgumentParser, default: str) -> None:
    """Add ``--out DIR`` (``default`` describes the folder used without it) and ``--wait``."""
    parser.add_argument("--out", metavar="DIR", help=f"output directory (default: {default})")
    parser.add_argument(
        "--wait",
        action="store_true",
        help="if another caseload command is using the output directory, wait for it to finish "
        "instead of refusing",
    )


def claim_output_dir(args: argparse.Namespace, default: Path) -> Path:
    """The output folder (``--out``, else ``default``), created, writable and locked.

    The lock is held until the command returns (``main`` closes ``args.exit_stack``), so a
    second command into the same folder refuses, or waits with ``--wait``.

    Raises:
        ScenarioError: ``--out ""``: an empty name would write into the current folder.
        FolderInUse: Another command holds the folder and ``--wait`` was not given.
        OutputError: The folder cannot be created, written or locked.
    """
    from sim.outputs.files import OutputLock, check_writable, remove_stale_staging
    from sim.scenario.loading import ScenarioError

    given = getattr(args, "out", None)
    if given is not None and not str(given).strip():
        raise ScenarioError(
            [
                f"--out: an empty folder name would write into the current folder; give a "
                f"folder, or leave --out out for {default} (got {str(given)!r})"
            ]
        )
    out = check_writable(Path(given) if given is not None else default)
    lock = OutputLock(
        out,
        wait=getattr(args, "wait", False),
        on_wait=lambda message: print(f"caseload: {message}", file=sys.stderr, flush=True),
        command=getattr(args, "command_line", None),
    )
    stack = getattr(args, "exit_stack", None)
    if stack is None:
        stack = args.exit_stack = contextlib.ExitStack()
    stack.enter_context(lock)
    remove_stale_staging(out)
    return out


def add_execution_options(parser: argparse.ArgumentParser, unit: str = "runs") -> None:
    """Add where and how runs execute: ``--workers``, ``--scheduler``, ``--quiet``, resuming."""
    parser.add_argument(
        "--workers",
        type=positive_int,
        metavar="W",
        help="local worker processes; 1 runs serially (default: one per CPU)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDR",
        help="address of a running Dask scheduler (tcp://host:port) to use instead of local "
        "workers",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.add_argument(
        "--no-resume",
        action="store_true",
        help=f"ignore {unit} saved by an interrupted run of the same command",
    )


def reproducing_options(args: argparse.Namespace) -> list[str]:
    """``--days`` and each ``--set`` as given: the options a report's reproducing command keeps.

    ``--out``, ``--workers`` and ``--scheduler`` change where and how runs execute, never the
    numbers, so a report names its command without them.
    """
    words = [] if args.days is None else ["--days", str(args.days)]
    for override in args.set:
        words += ["--set", override]
    return words


def int_at_least(minimum: int, reason: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum`` (``reason`` says why)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number (got {text!r})") from None
        if value < minimum:
            why = f", {reason}" if reason else ""
            raise argparse.ArgumentTypeError(f"must be at least {minimum}{why} (got {value})")
        return value

    return parse


#: An argparse type: a whole number of at least 1.
positive_int = int_at_least(1)


class ProgressReporter:
    """Context giving a progress callback: a rich bar on a terminal, else one line each.

    ``noun`` names what is counted (``replication``, ``run``, ``evaluation``).
    """

    def __init__(self, quiet: bool, total: int, noun: str = "replication") -> None:
        self.quiet, self.total, self.noun = quiet, total, noun
        self.tenths = 0
        self.printed = -1
        self.bar: Progress | None = None

    def __enter__(self) -> ProgressCallback | None:
        if self.quiet:
            return None
        if not sys.stderr.isatty():
            return self._print_line
        self.bar = Progress(
            TextColumn(self.noun.capitalize() + "s"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.bar.__enter__()
        task = self.bar.add_task(self.noun, total=self.total)
        bar = self.bar
        return lambda done, total: bar.update(task, completed=done, total=total)

    def _print_line(self, done: float, total: int) -> None:
        """Without a terminal: a line per item, and per tenth of a long lone run."""
        if done == int(done):
            if int(done) not in (self.printed, 0):
                self.printed = int(done)
                print(f"{self.noun} {int(done)}/{total} done", file=sys.stderr, flush=True)
        elif total == 1 and int(done * 10) > self.tenths:
            self.tenths = int(done * 10)
            print(f"{self.noun} 1/1: {done:.0%} of its days", file=sys.stderr, flush=True)

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def run_journaled(
    specs: Sequence[RunSpec],
    args: argparse.Namespace,
    journal_path: Path,
    console: Console,
    *,
    command: str,
    keep_series: bool = False,
    first_batch: bool = True,
) -> tuple[list[RunRecord], int]:
    """Run a batch with progress, resuming from and recording to a journal.

    Returns the records in spec order and how many came from an interrupted run's journal.
    A later batch of ``--reps auto`` (``first_batch=False``) neither clears the journal for
    ``--no-resume`` nor announces the runs of its own earlier batches as resumed.

    Raises:
        Interrupted: On Ctrl-C, after the finished runs were recorded.
    """
    from sim.runs.batch import Journal, run_batch

    journal = Journal(journal_path)
    if args.no_resume and first_batch:
        journal.clear()
    reused = [0]

    def resumed(count: int) -> None:
        reused[0] = count
        if first_batch:
            console.print(
                f"Resuming: {count} of {len(specs)} runs saved by an interrupted {command}."
            )

    with ProgressReporter(args.quiet, len(specs), noun="run") as on_progress:
        try:
            records = run_batch(
                specs,
                workers=args.workers,
                scheduler=args.scheduler,
                journal=journal,
                progress=on_progress,
                keep_series=keep_series,
                on_resume=resumed,
            )
        except KeyboardInterrupt:
            raise Interrupted(
                "interrupted; finished runs are saved and the same command resumes from them "
                "(no output files were changed)"
            ) from None
    return records, reused[0]


def add_pdf_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--no-pdf``: write ``brief.html`` but do not print ``brief.pdf``."""
    parser.add_argument(
        "--no-pdf",
        action="store_true",
        help="write brief.html without printing brief.pdf (which needs Chromium)",
    )


def handout(args: argparse.Namespace) -> str:
    """The files a command's user hands on: the printed brief, or its HTML with ``--no-pdf``."""
    return "brief.html and report.html" if args.no_pdf else "brief.pdf and report.html"


def check_pdf(args: argparse.Namespace) -> None:
    """Before any run: find the browser the brief is printed with, unless ``--no-pdf``.

    Raises:
        PdfError: No Chromium found (one line saying how to install it; exit status 2).
    """
    if not getattr(args, "no_pdf", False):
        from sim.outputs.pdf import find_chromium

        find_chromium()


#: Outcomes whose precision ``--reps auto`` watches unless ``--precision-of`` names others.
DEFAULT_PRECISION_OF = ("overdue_visit_case_days", "burnout_prevalence", "staff_cost_total")


def reps_value(text: str) -> int | str:
    """An argparse type: a whole number of replications, or ``auto``."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number or auto (got {text!r})"
        ) from None


def _share(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 0.05 (got {text!r})") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, e.g. 0.05 (got {text})")
    return value


def _metric_keys(text: str) -> tuple[str, ...]:
    from sim.engine.metrics import METRIC_KEYS

    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in keys if k not in METRIC_KEYS]
    if unknown or not keys:
        raise argparse.ArgumentTypeError(
            f"not a metric: {', '.join(unknown) or '(none given)'}; use keys of summary.json "
            f"such as overdue_visit_case_days (got {text!r})"
        )
    return keys


def add_precision_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--precision``, ``--max-reps`` and ``--precision-of`` (used with ``--reps auto``)."""
    parser.add_argument(
        "--precision",
        type=_share,
        default=0.05,
        metavar="P",
        help="with --reps auto: the 95%% interval's half-width as a share of the mean to reach "
        "(default 0.05, i.e. ±5%%)",
    )
    parser.add_argument(
        "--max-reps",
        type=int_at_least(3, "the replications algorithm starts with 3"),
        default=100,
        metavar="N",
        help="with --reps auto: stop here even if the precision is not reached (default 100)",
    )
    parser.add_argument(
        "--precision-of",
        type=_metric_keys,
        default=DEFAULT_PRECISION_OF,
        metavar="KEYS",
        help="with --reps auto: comma-separated outcomes whose precision is watched (default "
        + ",".join(DEFAULT_PRECISION_OF)
        + ")",
    )


def replications_algorithm(args: argparse.Namespace) -> Any:
    """The replications algorithm the options ask for, or None without ``--reps auto``."""
    if getattr(args, "reps", None) != "auto":
        return None
    from sim.runs.precision import ReplicationsAlgorithm

    return ReplicationsAlgorithm(target=args.precision, max_reps=args.max_reps)


def batch_size(args: argparse.Namespace) -> int:
    """Replications per batch of ``--reps auto``: the result does not depend on it.

    At least the look-ahead (5), so a batch can confirm a candidate, and at least one per
    worker, so none idles; each batch starts its workers afresh.
    """
    import os

    from sim.runs.precision import LOOK_AHEAD

    return max(LOOK_AHEAD, args.workers or os.cpu_count() or 1)


def checkpointed_replications(
    args: argparse.Namespace, config: Scenario, reps: int, seed: int, checkpoint: Checkpoint
) -> list[Any]:
    """Replications 0..reps-1, those saved in ``checkpoint`` reused, with progress.

    Raises:
        Interrupted: On Ctrl-C; the finished replications stay saved for the same command.
    """
    from sim.runs.replications import run_replications

    with ProgressReporter(args.quiet, reps) as on_progress:
        try:
            return run_replications(
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
