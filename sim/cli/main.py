"""The ``caseload`` command line: the parser, the command registry and how failures are reported.

The command line is how most people meet the model, so it reports problems in their terms: a
scenario mistake prints one ``file: key: problem`` line per problem and exits 2, an
environmental failure (unwritable output directory, unreachable scheduler) prints one
``caseload: error:`` line and exits 1, and neither shows a traceback. Each command is a module of
``sim.cli`` registered in :data:`COMMANDS`, and only the command given is imported; a command's
module imports at its top only what its parser needs. So ``caseload --help``, ``--version``,
``validate`` and every ``caseload COMMAND --help`` answer without loading pandas, pyarrow, scipy's
optimisers, SALib, matplotlib or Dask, which the commands that run simulations need.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sim.cli.support import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, Interrupted
from sim.runs.cluster import SchedulerError
from sim.scenario.catalogue import caseload_version


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``caseload`` console script; returns the process exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(args_list).parse_args(args_list)
    args.command_line = ["caseload", *args_list]
    try:
        with contextlib.ExitStack() as args.exit_stack:  # holds the output folder's lock
            return args.handler(args)
    except _loaded("sim.scenario.loading", "ScenarioError") as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return EXIT_USAGE
    except _loaded("sim.outputs.pdf", "PdfError") as exc:  # no browser to print the PDF with
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except (SchedulerError, *_loaded("sim.outputs.files", "OutputError")) as exc:
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


def _loaded(module: str, name: str) -> tuple[type[Exception], ...]:
    """The exception class ``module.name`` if that module has been imported, else none.

    ``main`` names the failures it reports this way so that naming them loads nothing: the
    scenario loader builds the whole pydantic schema and the output writer loads pandas and
    pyarrow, which ``--help`` and ``--version`` do not need; and an exception of a class can
    only have been raised by code that imported its module.
    """
    found = sys.modules.get(module)
    return (getattr(found, name),) if found is not None else ()


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``argv``, only the command it names has its module loaded.

    Args:
        argv: The command line (without the program name). Its first word that is not an option
            is the command; that command's module adds its own parser, and every other command
            is listed by its one-line help only. ``None`` loads every command (for tests).
    """
    parser = argparse.ArgumentParser(
        prog="caseload",
        description="Agent-based simulation of social-work team workload.",
    )
    parser.add_argument("--version", action="version", version=f"caseload {caseload_version()}")
    subparsers = parser.add_subparsers(
        title="commands", dest="command", required=True, metavar="COMMAND"
    )
    chosen = None if argv is None else next((a for a in argv if not a.startswith("-")), "")
    for command in COMMANDS:
        if chosen is None or command.name == chosen:
            command.add(subparsers)
        else:
            subparsers.add_parser(command.name, help=command.help)
    return parser


# --- command registry ---------------------------------------------------------------------------
# A command is a module ``sim/cli/<name>.py`` with ``add_<name>(subparsers)``, which adds its
# subcommand to the parser (with the same one-line help as here; a test keeps them equal) and
# sets ``handler`` (a function from the parsed arguments to an exit status). The module imports
# at its top only what building its parser needs and the rest inside the handler, so that
# ``caseload NAME --help`` stays quick (tests/test_cli.py checks every command). It raises
# ScenarioError / OutputError for expected failures so ``main`` reports them without a
# traceback. A new command is one more entry below.


@dataclass(frozen=True)
class Command:
    """One subcommand: its name (and so its module) and its line in ``caseload --help``."""

    name: str
    help: str

    @property
    def module(self) -> str:
        """The module that implements it, imported only when the command is used."""
        return f"sim.cli.{self.name}"

    def add(self, subparsers: Any) -> None:
        """Import the command's module and let it add its parser."""
        getattr(importlib.import_module(self.module), f"add_{self.name}")(subparsers)


COMMANDS: tuple[Command, ...] = (
    Command("run", "run a scenario's replications and write the outputs"),
    Command("validate", "check a scenario file without running it"),
    Command(
        "compare",
        "compare scenarios with a baseline, paired by replication (common random numbers)",
    ),
    Command(
        "sweep", "run an experiment file's design (grid, LHS, Sobol', Morris) and its sensitivity"
    ),
    Command(
        "discover", "find the settings under which an outcome is bad (PRIM scenario discovery)"
    ),
    Command("calibrate", "fit parameters so the scenario reproduces the calibration targets"),
    Command(
        "validation",
        "check a scenario's replications against published patterns (pass/fail per target)",
    ),
    Command(
        "robustness",
        "re-estimate the headline comparisons over the uncertain parameters (sign counts)",
    ),
    Command("review", "every serious incident with its context, replayed under safe staffing"),
    Command("dashboard", "start the live dashboard in the browser (Solara)"),
    Command(
        "healthcheck", "the employer-standards health check from a council's own workforce files"
    ),
)

# --- end of command registry --------------------------------------------------------------------


if __name__ == "__main__":
    sys.exit(main())
