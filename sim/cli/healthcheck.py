"""``caseload healthcheck``: the employer-standards health check from a council's own files.

Reads ``DATA/workers.csv`` and ``DATA/teams.csv`` (or ``.xlsx``), measures today against the
benchmark and the DfE figures, runs each team forward (``--months 0``: today only), searches the
levers for red teams and writes the report, its tables and the built scenarios.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sim.cli.support import (
    EXIT_OK,
    Interrupted,
    add_output_options,
    int_at_least,
    positive_int,
)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD (got {text!r})") from None


def _benchmark(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected cases per FTE (got {text!r})") from None
    if not 0 < value <= 100:
        raise argparse.ArgumentTypeError(f"expected more than 0 and at most 100 (got {text!r})")
    return value


def _months(text: str) -> int:
    value = int_at_least(0)(text)
    if value > 60:
        raise argparse.ArgumentTypeError(f"expected at most 60 months (got {text!r})")
    return value


def add_healthcheck(subparsers: Any) -> None:
    """Add ``caseload healthcheck``."""
    from sim.healthcheck.standards import REGIONS

    parser = subparsers.add_parser(
        "healthcheck",
        help="the employer-standards health check from a council's own workforce files",
        description="Measure caseloads, vacancies, agency, turnover, sickness, supervision and "
        "overdue visits against the benchmark and the DfE figures, run each team forward, find "
        "what would bring red teams to green, and write report.html (and report.pdf), Parquet "
        "tables and the built scenarios. Columns: docs/healthcheck.md.",
    )
    parser.add_argument("data", metavar="DATA", help="folder with workers.csv and teams.csv")
    parser.add_argument(
        "--as-of",
        type=_date,
        metavar="YYYY-MM-DD",
        help="census date of the files (default: today)",
    )
    parser.add_argument(
        "--benchmark",
        type=_benchmark,
        metavar="CASES_PER_FTE",
        help="the council's caseload benchmark (a team's own in teams.csv comes first; "
        "default 18, see docs/healthcheck.md)",
    )
    parser.add_argument(
        "--region",
        choices=REGIONS,
        help="compare with this region's DfE figures where they exist (else England's)",
    )
    parser.add_argument(
        "--months", type=_months, default=12, help="months to run forward; 0: today only"
    )
    parser.add_argument(
        "--reps",
        type=int_at_least(2, "for intervals"),
        default=20,
        metavar="N",
        help="simulated runs per team and lever (default 20)",
    )
    parser.add_argument("--seed", type=int, default=20261201, metavar="S", help="master seed")
    parser.add_argument("--no-pdf", action="store_true", help="write the HTML report only")
    add_output_options(parser, "results/healthcheck-<DATA folder name>")
    parser.add_argument(
        "--workers",
        type=positive_int,
        metavar="W",
        help="local worker processes; 1 runs serially (default: one per CPU)",
    )
    parser.add_argument(
        "--scheduler", metavar="ADDR", help="address of a running Dask scheduler to use instead"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(handler=_cmd_healthcheck)


def _cmd_healthcheck(args: argparse.Namespace) -> int:
    from sim.cli.support import claim_output_dir
    from sim.healthcheck.check import run_health_check
    from sim.healthcheck.data import find_files, read_council
    from sim.healthcheck.report import write_report

    workers, teams = find_files(args.data)
    data = read_council(workers, teams, args.as_of or date.today())
    name = Path(args.data).resolve().name or "council"
    out = claim_output_dir(args, Path("results") / f"healthcheck-{name}")
    print(
        f"Health check of {len(data.teams)} teams as at {data.as_of}: "
        + (f"{args.months} months, {args.reps} runs per team" if args.months else "today only"),
        flush=True,
    )
    stages: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if args.quiet:
            return
        if done == total or done - stages.get(stage, -total) >= max(1, total // 10):
            stages[stage] = done
            print(f"  {stage}: {done}/{total} runs", file=sys.stderr, flush=True)

    try:
        check = run_health_check(
            data,
            benchmark=args.benchmark,
            region=args.region,
            months=args.months,
            reps=args.reps,
            seed=args.seed,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=progress,
        )
    except KeyboardInterrupt:
        raise Interrupted("interrupted; no output files were changed") from None
    files, note = write_report(check, out, pdf=not args.no_pdf, command=args.command_line)
    for team, picture in check.pictures.items():
        forecast = ""
        if check.months:
            outcome = check.outcomes[team]
            forecast = f", {outcome.breach_chance:.0%} chance of a breach ({outcome.rating()})"
        print(
            f"  {team}: {picture.caseload_per_fte:.1f} cases per FTE against "
            f"{picture.benchmark:g} ({picture.headline}){forecast}"
        )
    if note:
        print(f"caseload: {note}", file=sys.stderr)
    print(f"Wrote {out / 'report.html'} and {len(files) - 1} other files to {out}")
    return EXIT_OK
