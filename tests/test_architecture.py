"""The package's layers: imports run one way, down the layers, and never in a circle.

Data flows scenario file -> validated config -> engine -> runs -> outputs -> experiments ->
dashboard -> command line. A module may import its own layer and the layers below it, never one
above. Every import counts, at module level, inside a function, or under ``TYPE_CHECKING``:
a type-only import that ran back up would still tie a lower layer to a higher one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sim"

#: The layers from the bottom up (``docs/architecture.md``).
LAYERS = (
    "scenario",
    "engine",
    "runs",
    "outputs",
    "experiments",
    "healthcheck",
    "dashboard",
    "cli",
)

#: Modules outside the layers: the package's public face and ``python -m sim``.
FACES = {"sim", "sim.__main__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def absolute_module(path: Path, node: ast.ImportFrom) -> str:
    """The module a ``from`` import names, relative ones (``from . import x``) resolved."""
    if node.level == 0:
        return node.module or ""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path) -> set[str]:
    """Every ``sim`` module ``path`` imports (resolved to modules that exist)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = absolute_module(path, node)
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] in ("sim", "dashboards") and (name in MODULES or name == "sim"):
                found.add(name)
            elif name.split(".")[0] == "dashboards":
                found.add("dashboards")
    return found


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: imports_of(path) - {name} for name, path in MODULES.items()}


def layer(name: str) -> int | None:
    parts = name.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_belongs_to_a_layer():
    strays = sorted(n for n in MODULES if n not in FACES and layer(n) is None)
    assert not strays, f"modules outside the layers {LAYERS}: {strays}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n not in FACES))
def test_imports_run_down_the_layers(name):
    upward = sorted(
        target
        for target in GRAPH[name]
        if target not in FACES and layer(target) is not None and layer(target) > layer(name)
    )
    assert not upward, f"{name} ({LAYERS[layer(name)]}) imports a higher layer: {upward}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n not in FACES))
def test_layers_do_not_import_the_public_face_or_the_dashboard_app(name):
    """``sim`` (the face) imports every layer on demand, and ``dashboards/`` draws on top of the
    package: a layer importing either would depend on the layers above it."""
    above = sorted(t for t in GRAPH[name] if t in FACES or t.split(".")[0] == "dashboards")
    assert not above, f"{name} imports {above}"


def test_the_dashboard_app_imports_only_the_dashboard_layer_and_below():
    """``dashboards/app.py`` draws: it reads the view model, never the command line."""
    app = PACKAGE.parent / "dashboards" / "app.py"
    targets = imports_of(app)
    assert targets, "the app must import the dashboard layer"
    cli = sorted(
        t for t in targets if layer(t) is not None and layer(t) > LAYERS.index("dashboard")
    )
    assert not cli, f"dashboards/app.py imports {cli}"


def test_no_import_cycle_anywhere():
    """Depth-first search for a back edge; the message names the cycle."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(GRAPH[node]):
            if target in FACES:
                continue
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(GRAPH):
        if node not in state and (cycle := visit(node)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_relative_imports_are_resolved(tmp_path):
    """``from ..engine import cases`` inside ``sim/cli/x.py`` counts as ``sim.engine.cases``."""
    package = PACKAGE / "cli"
    tree = ast.parse("from ..engine import cases\nfrom . import main\n")
    nodes = [n for n in tree.body if isinstance(n, ast.ImportFrom)]
    path = package / "planted.py"
    assert [absolute_module(path, n) for n in nodes] == ["sim.engine", "sim.cli"]
    init = package / "__init__.py"
    assert absolute_module(init, nodes[1]) == "sim.cli"


def test_the_checker_sees_a_cycle_and_an_upward_import(tmp_path):
    """The checks above can fail: a planted cycle and an upward import are found."""
    global GRAPH
    saved = GRAPH
    try:
        GRAPH = {**saved, "sim.engine.model": saved["sim.engine.model"] | {"sim.cli.main"}}
        with pytest.raises(AssertionError, match="higher layer"):
            test_imports_run_down_the_layers("sim.engine.model")
        GRAPH = {**saved, "sim.engine.tally": saved["sim.engine.tally"] | {"sim"}}
        with pytest.raises(AssertionError, match="imports"):
            test_layers_do_not_import_the_public_face_or_the_dashboard_app("sim.engine.tally")
        GRAPH = {**saved, "sim.scenario.schema": {"sim.scenario.loading"}}
        GRAPH["sim.scenario.loading"] = saved["sim.scenario.loading"] | {"sim.scenario.schema"}
        with pytest.raises(pytest.fail.Exception, match="import cycle"):
            test_no_import_cycle_anywhere()
    finally:
        GRAPH = saved
