"""``caseload validate``: check a scenario file without running it.

Inheritance and overrides are applied exactly as ``caseload run`` applies them.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from sim.cli.support import EXIT_OK, add_set_option

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario


def add_validate(subparsers: Any) -> None:
    """Add ``caseload validate``."""
    validate = subparsers.add_parser(
        "validate",
        help="check a scenario file without running it",
        description="Load a scenario (inheritance and overrides applied) and report problems.",
    )
    validate.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file")
    add_set_option(validate)
    validate.set_defaults(handler=_cmd_validate)


def _cmd_validate(args: argparse.Namespace) -> int:
    from sim.scenario.loading import load_scenario

    config = load_scenario(args.scenario, args.set)
    sim = config.simulation
    print(f"OK: {args.scenario} (scenario '{config.name}')")
    print(
        f"  teams: {config.team.n_teams}, posts per team: {config.team.social_worker_posts}, "
        f"days: {sim.days} (warm-up {sim.warmup_days}), replications: {sim.replications}, "
        f"seed: {sim.seed}"
    )
    print_warnings(config)
    return EXIT_OK


def print_warnings(config: Scenario) -> None:
    """Print the scenario's warnings (legal but suspicious settings) to stderr."""
    from sim.scenario.loading import scenario_warnings

    for line in scenario_warnings(config):
        print(line, file=sys.stderr, flush=True)
