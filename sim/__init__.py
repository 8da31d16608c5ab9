"""Caseload: an agent-based simulation of social-work team workload, burnout and risk.

The public face: ``load_scenario(path)`` gives a validated :class:`Scenario`, ``run(config, seed)``
simulates it once. Names are imported on first use, so ``import sim`` (which every command does)
stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["RunResult", "Scenario", "load_scenario", "run"]

_PUBLIC = {
    "run": ("sim.engine.run", "run"),
    "RunResult": ("sim.engine.run", "RunResult"),
    "load_scenario": ("sim.scenario.loading", "load_scenario"),
    "Scenario": ("sim.scenario.schema", "Scenario"),
}

if TYPE_CHECKING:
    from sim.engine.run import RunResult, run
    from sim.scenario.loading import load_scenario
    from sim.scenario.schema import Scenario


def __getattr__(name: str) -> Any:
    """Import a public name the first time it is asked for."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    from importlib import import_module

    module, attribute = _PUBLIC[name]
    return getattr(import_module(module), attribute)
