"""The ``caseload`` command line: the parser, the command registry and how failures are reported.

The command line is how most people meet the model, so it reports problems in their terms: a
scenario mistake prints one ``file: key: problem`` line per problem and exits 2, an
environmental failure (unwritable output directory, unreachable scheduler) prints one
``caseload: error:`` line and exits 1, and neither shows a traceback. Each command is a module of
``sim.cli`` registered in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence
from typing import Any

from sim.cli.calibrate import add_calibrate
from sim.cli.compare import add_compare
from sim.cli.dashboard import add_dashboard
from sim.cli.run import add_run
from sim.cli.support import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, Interrupted
from sim.cli.sweep import add_sweep
from sim.cli.validate import add_validate
from sim.outputs.files import OutputError
from sim.runs.cluster import SchedulerError
from sim.scenario.catalogue import caseload_version
from sim.scenario.loading import ScenarioError


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``caseload`` console script; returns the process exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(args_list)
    args.command_line = ["caseload", *args_list]
    try:
        with contextlib.ExitStack() as args.exit_stack:  # holds the output folder's lock
            return args.handler(args)
    except ScenarioError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return EXIT_USAGE
    except (OutputError, SchedulerError) as exc:
        print(f"caseload: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"caseload: error: {where}{exc.strerror or exc}", file=sys.stderr)
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
# arguments to an exit status). A new command is a module ``sim/cli/<name>.py`` with
# ``add_<name>(subparsers)``, appended here; it raises ScenarioError / OutputError for expected
# failures so ``main`` reports them without a traceback.


def register_commands(subparsers: Any) -> None:
    """Add every command in :data:`COMMANDS` to ``subparsers``."""
    for add_command in COMMANDS:
        add_command(subparsers)


COMMANDS: list[Callable[[Any], None]] = [
    add_run,
    add_validate,
    add_compare,
    add_sweep,
    add_calibrate,
    add_dashboard,
]

# --- end of command registry --------------------------------------------------------------------


if __name__ == "__main__":
    sys.exit(main())
