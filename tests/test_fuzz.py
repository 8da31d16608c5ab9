"""A fuzzer over the files caseload reads: mutations of the real scenario, experiment and
calibration files and of ``--set`` values must give a valid result or ``FILE: key: problem``
lines (exit 2), never a traceback, a hang or a RecursionError.

Most examples call the loading functions in-process (fast); a handful run the real console
script. The example count is bounded so the whole file runs well under a minute.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.experiments.calibrate import load_calibration
from sim.experiments.experiment import load_experiment
from sim.scenario.loading import MAX_NESTING, ScenarioError, load_scenario

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "scenarios").rglob("*.toml"))
EXPERIMENTS = sorted(
    p.relative_to(REPO).as_posix()
    for p in (REPO / "experiments").glob("*.toml")
    if p.name != "calibrate_baseline.toml"
)
CALIBRATION = "experiments/calibrate_baseline.toml"
FLAGS = ("--set", "--days", "--reps", "--seed")
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of ``scenarios/`` and ``experiments/``, with the special files a path may name."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(REPO / "scenarios", root / "scenarios")
    shutil.copytree(REPO / "experiments", root / "experiments")
    special = root / "special"
    special.mkdir()
    os.mkfifo(special / "fifo.toml")
    (special / "dir.toml").mkdir()
    (special / "loop_a.toml").symlink_to(special / "loop_b.toml")
    (special / "loop_b.toml").symlink_to(special / "loop_a.toml")
    (special / "plain.toml").write_text('name = "plain"\n')
    return root


def _special_paths(root: Path) -> list[str]:
    special = root / "special"
    return [
        str(special / "fifo.toml"),
        str(special / "dir.toml"),
        str(special / "loop_a.toml"),
        str(special / "plain.toml" / "inside.toml"),
        "/dev/zero",
        "n" * 300 + ".toml",
        "a\0b.toml",
        str(special / "missing.toml"),
    ]


# --- mutations --------------------------------------------------------------------------------

#: Values of every TOML type, including ones far outside any bound and deep nesting.
VALUES = st.recursive(
    st.one_of(
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.sampled_from([10**30, -1, 0, 2**63 - 1]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.text(max_size=30),
    ),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path in ``node`` (tables and arrays walked)."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _nested(depth: int) -> Any:
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@st.composite
def mutated_data(draw, data: dict) -> dict:
    """``data`` with one to three edits: a value replaced, a key renamed or dropped, a table
    nested deep."""
    data = tomllib.loads(tomli_w.dumps(data))  # a deep copy
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        action = draw(st.sampled_from(["replace", "rename", "drop", "nest", "extends"]))
        if action == "replace":
            parent[last] = draw(VALUES)
        elif action == "nest":
            parent[last] = _nested(draw(st.integers(MAX_NESTING - 3, MAX_NESTING + 40)))
        elif isinstance(parent, dict) and action == "rename":
            parent[last + draw(st.sampled_from(["_", "s", "X", ".y", " "]))] = parent.pop(last)
        elif isinstance(parent, dict) and action == "drop":
            del parent[last]
        elif action == "extends":
            data["extends"] = draw(st.sampled_from(["../baseline.toml", "baseline.toml", "x"]))
    return data


@st.composite
def mutated_text(draw, text: str, specials: list[str]) -> bytes:
    """The file's text as bytes, edited: truncated, a BOM, another encoding, stray bytes,
    brackets nested deep, or a path key pointed at a special file."""
    action = draw(
        st.sampled_from(
            ["truncate", "bom", "utf16", "latin1", "bytes", "brackets", "special", "data"]
        )
    )
    raw = text.encode()
    if action == "truncate":
        return raw[: draw(st.integers(0, len(raw)))]
    if action == "bom":
        return b"\xef\xbb\xbf" + raw
    if action == "utf16":
        return text.encode("utf-16")
    if action == "latin1":
        return (text + "\n# café\n").encode("latin-1")
    if action == "bytes":
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    if action == "brackets":
        depth = draw(st.integers(MAX_NESTING, 3000))
        return raw + f"\nzz = {'[' * depth}{']' * depth}\n".encode()
    if action == "special":
        target = draw(st.sampled_from(specials))
        key = "scenario" if "\nscenario =" in text or text.startswith("scenario") else "extends"
        lines = [line for line in text.splitlines() if not line.startswith(f"{key} =")]
        return (f"{key} = {tomli_w.dumps({'v': target})[4:]}" + "\n".join(lines)).encode()
    return tomli_w.dumps(draw(mutated_data(tomllib.loads(text)))).encode()


def _check(problems: list[str]) -> None:
    """Each problem is one non-empty line that starts with the file (or flag) it concerns."""
    assert problems
    for line in problems:
        assert line and "\n" not in line and "Traceback" not in line, line
        source = line.split(": ", 1)[0]
        assert source.endswith(".toml") or source in FLAGS, line


def _load(kind: str, path: Path) -> None:
    """Load ``path`` as its kind does for the command that reads it."""
    if kind == "scenario":
        load_scenario(path)
    elif kind == "experiment":
        experiment, base = load_experiment(path)
        load_scenario(base, experiment.set, days=experiment.days, seed=experiment.seed)
    else:
        spec = load_calibration(path)
        if spec.scenario is not None:
            load_scenario(spec.scenario)


def _fuzz_file(tree: Path, relative: str, kind: str, content: bytes) -> None:
    target = tree / relative
    path = target.with_name("_fuzzed_" + target.name)
    path.write_bytes(content)
    try:
        _load(kind, path)
    except ScenarioError as exc:
        _check(exc.problems)
    finally:
        path.unlink()


# --- in-process: many examples ---------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_mutated_scenario_files_load_or_give_file_key_lines(tree, data):
    relative = data.draw(st.sampled_from(SCENARIOS))
    text = (tree / relative).read_text()
    content = data.draw(mutated_text(text, _special_paths(tree)))
    _fuzz_file(tree, relative, "scenario", content)


@FUZZ
@given(data=st.data())
def test_mutated_experiment_files_load_or_give_file_key_lines(tree, data):
    relative = data.draw(st.sampled_from(EXPERIMENTS))
    text = (tree / relative).read_text()
    content = data.draw(mutated_text(text, _special_paths(tree)))
    _fuzz_file(tree, relative, "experiment", content)


@settings(FUZZ, max_examples=30)
@given(data=st.data())
def test_mutated_calibration_files_load_or_give_file_key_lines(tree, data):
    text = (tree / CALIBRATION).read_text()
    content = data.draw(mutated_text(text, _special_paths(tree)))
    _fuzz_file(tree, CALIBRATION, "calibration", content)


SET_KEYS = st.one_of(
    st.sampled_from(
        [
            "simulation.days",
            "simulation.replications",
            "team.social_worker_posts",
            "demand.mix",
            "staffing.cuts[0].share",
            "case_types.child_protection.duration.kind",
            "allocation.cap_kind",
            "extends",
            ".".join(["a"] * 1000),
            "x[99999999999999999999]",
        ]
    ),
    st.text(max_size=20),
)
SET_VALUES = st.one_of(
    VALUES.map(lambda v: tomli_w.dumps({"v": v})[4:].strip()),
    st.text(max_size=30),
    st.integers(0, 3000).map(lambda n: "[" * n + "]" * n),
    st.just("9" * 5000),
)


@FUZZ
@given(key=SET_KEYS, value=SET_VALUES, days=st.none() | st.integers(-5, 30_000))
def test_set_values_load_or_give_set_lines(key, value, days):
    try:
        load_scenario(REPO / "scenarios/baseline.toml", [f"{key}={value}"], days=days)
    except ScenarioError as exc:
        _check(exc.problems)


# --- the real console script: a handful ------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "content"),
    [
        ("validate", b'extends = "../special/fifo.toml"\n'),
        ("validate", b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n"),
        ("validate", ".".join(["a"] * 1000).encode() + b" = 1\n"),
        ("validate", b"\xff\xfe" + 'name = "x"\n'.encode("utf-16-le")),
        ("sweep", b'name = "e"\nscenario = "/dev/zero"\n'),
        ("calibrate", b'scenario = "../special/loop_a.toml"\n'),
    ],
    ids=["fifo-extends", "deep-arrays", "long-dotted-key", "utf16", "sweep-dev-zero", "loop"],
)
def test_the_console_script_exits_2_with_file_lines(tree, run_caseload, command, content):
    path = tree / "scenarios" / "_fuzzed_cli.toml"
    path.write_bytes(content)
    args = {
        "validate": ["validate", str(path)],
        "sweep": ["sweep", str(path)],
        "calibrate": ["calibrate", "--calibration", str(path)],
    }[command]
    done = run_caseload(*args, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    _check(lines)
    assert any(line.startswith(str(path)) for line in lines), lines
