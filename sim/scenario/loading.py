"""Loading scenario files: TOML, ``extends`` inheritance, ``--set`` overrides, readable errors.

A scenario file is the only way parameters reach the model, so a mistake in one must be reported
in terms of the file: every problem becomes one line ``FILE: dotted.key: what is wrong (got X)``
and all of them are raised together as :class:`ScenarioError`. Each value remembers which file
(or ``--set``) gave it, so an error in an inherited value names the file that wrote it.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import tomli_w
from pydantic import BaseModel, ValidationError

from sim.scenario.schema import CASE_TYPES, Scenario, deep_merge

#: Where each value came from: key path -> (order applied, source label).
Origins = dict[tuple[str | int, ...], tuple[int, str]]

_SET = "--set"


class ScenarioError(Exception):
    """A scenario could not be loaded; ``problems`` holds one self-contained line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def load_scenario(
    path: str | os.PathLike[str],
    overrides: Sequence[str] = (),
    *,
    days: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
) -> Scenario:
    """Read a scenario file, resolve its ``extends`` chain, apply overrides, validate once.

    Args:
        path: The scenario TOML file.
        overrides: ``dotted.key=value`` strings; values are parsed as TOML, else kept as text.
        days: The ``--days`` flag, applied before ``overrides`` so that
            ``--days 2080 --set simulation.warmup_days=1560`` is judged as a whole.
        replications: The ``--reps`` flag.
        seed: The ``--seed`` flag.

    Returns:
        The validated, frozen scenario.

    Raises:
        ScenarioError: With one line per problem found.
    """
    display = os.fspath(path)
    data, origins = _resolve(Path(path), display, [], missing=f"{display}: file not found")
    _apply_flags(data, origins, days=days, replications=replications, seed=seed)
    problems = _apply_settings(data, origins, overrides)
    return _validate(data, origins, default_source=display, earlier=problems)


def with_overrides(
    config: Scenario,
    *,
    days: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    settings: Sequence[str] = (),
) -> Scenario:
    """Return ``config`` with command-line overrides applied and validated again.

    ``model_copy(update=...)`` would skip validation (``--days 100`` under a 260-day warm-up
    must fail), so this rebuilds the scenario through the schema instead.

    Raises:
        ScenarioError: Lines name the flag (``--days``, ``--reps``, ``--seed``, ``--set``).
    """
    data = config.model_dump()
    origins: Origins = {}
    _apply_flags(data, origins, days=days, replications=replications, seed=seed)
    problems = _apply_settings(data, origins, settings)
    used = [source for _, source in origins.values()]
    return _validate(
        data, origins, default_source=used[0] if used else "scenario", earlier=problems
    )


def _apply_flags(data: dict[str, Any], origins: Origins, **values: int | None) -> None:
    """Write the ``--days``/``--reps``/``--seed`` flags into ``simulation``, remembering them."""
    flags = {"days": "--days", "replications": "--reps", "seed": "--seed"}
    for key, value in values.items():
        if value is not None:
            simulation = data.setdefault("simulation", {})
            if not isinstance(simulation, dict):
                continue  # the file's own error ("simulation" is not a table) is reported
            simulation[key] = value
            _record(origins, ("simulation", key), flags[key])


def scenario_warnings(config: Scenario) -> list[str]:
    """Valid settings that cannot take effect in this run, e.g. a cut after its last day.

    Not errors: ``--days 300`` on a scenario with a cut on day 400 is a legitimate short trial,
    but the user should know the cut never happens.
    """
    days = config.simulation.days
    late: list[tuple[str, int]] = [
        (f"demand.shocks[{i}].start_day", shock.start_day)
        for i, shock in enumerate(config.demand.shocks)
    ]
    late += [(f"staffing.cuts[{i}].day", cut.day) for i, cut in enumerate(config.staffing.cuts)]
    if config.staffing.vacancy_freeze_start_day is not None:
        late.append(("staffing.vacancy_freeze_start_day", config.staffing.vacancy_freeze_start_day))
    return [
        f"warning: {key}: day {day} is not within the run (days 0-{days - 1}); it never happens"
        for key, day in late
        if day >= days
    ]


def scenario_to_toml(scenario: Scenario) -> str:
    """Write a resolved scenario as TOML that :func:`load_scenario` reads back to an equal one."""
    header = "# Resolved scenario (inheritance and overrides applied), written by caseload.\n"
    return header + tomli_w.dumps(scenario.model_dump(mode="json", exclude_none=True))


# --- reading files and resolving ``extends`` -------------------------------------------------


def _resolve(
    path: Path, display: str, stack: list[tuple[Path, str]], missing: str
) -> tuple[dict[str, Any], Origins]:
    """Read one file and, recursively, the files it extends; child values win."""
    resolved = path.resolve()
    seen = [p for p, _ in stack]
    if resolved in seen:
        cycle = [d for _, d in stack[seen.index(resolved) :]] + [display]
        raise ScenarioError([f"{stack[-1][1]}: extends: circular extends: {' -> '.join(cycle)}"])
    data = _read_toml(path, display, missing)
    parent = data.pop("extends", None)
    own = _origins_of(data, display)
    if parent is None:
        return data, _renumber({}, own)
    if not isinstance(parent, str) or not parent:
        raise ScenarioError(
            [f"{display}: extends: must be a file path string (got {_show(parent)})"]
        )
    parent_display = os.path.normpath(os.path.join(os.path.dirname(display), parent))
    base, base_origins = _resolve(
        path.parent / parent,
        parent_display,
        [*stack, (resolved, display)],
        missing=f"{display}: extends: file not found: {parent_display}",
    )
    return deep_merge(base, data), _renumber(base_origins, own)


def _read_toml(path: Path, display: str, missing: str) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ScenarioError([missing]) from None
    except IsADirectoryError:
        raise ScenarioError([f"{display}: is a directory, not a file"]) from None
    except PermissionError:
        raise ScenarioError([f"{display}: cannot read file (permission denied)"]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([f"{display}: not UTF-8 text (byte {exc.start})"]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"{display}: {_toml_error(exc)}"]) from None


def _toml_error(exc: tomllib.TOMLDecodeError) -> str:
    """Turn ``Invalid value (at line 2, column 5)`` into ``line 2, column 5: invalid TOML: ...``."""
    message = str(exc)
    head, sep, tail = message.rpartition(" (at ")
    if sep and tail.endswith(")"):
        return f"{tail[:-1]}: invalid TOML: {head}"
    return f"invalid TOML: {message}"


def _origins_of(data: dict[str, Any], source: str) -> list[tuple[tuple[str | int, ...], str]]:
    """List every value (leaf or empty table) in ``data`` with its source, in file order."""
    found: list[tuple[tuple[str | int, ...], str]] = []

    def walk(node: dict[str, Any], prefix: tuple[str | int, ...]) -> None:
        for key, value in node.items():
            if isinstance(value, dict) and value:
                walk(value, (*prefix, key))
            else:
                found.append(((*prefix, key), source))

    walk(data, ())
    return found


def _renumber(base: Origins, own: list[tuple[tuple[str | int, ...], str]]) -> Origins:
    """Lay ``own`` over ``base``, later than everything already there."""
    merged = dict(base)
    for path, source in own:
        _record(merged, path, source)
    return merged


def _record(origins: Origins, path: tuple[str | int, ...], source: str) -> None:
    origins[path] = (max((order for order, _ in origins.values()), default=-1) + 1, source)


# --- ``--set dotted.key=value`` ----------------------------------------------------------------


def _apply_settings(data: dict[str, Any], origins: Origins, settings: Sequence[str]) -> list[str]:
    """Apply each well-formed ``--set``; return a line for each malformed one."""
    problems = []
    for text in settings:
        key, sep, raw = text.partition("=")
        key = key.strip()
        if not sep:
            problems.append(f"{_SET}: expected dotted.key=value (got {text!r})")
            continue
        if not key or any(not part.strip() for part in key.split(".")):
            problems.append(f"{_SET}: {key or '(empty)'}: empty key or key segment (got {text!r})")
            continue
        path = _parse_key(key)
        if path is None:
            problems.append(
                f"{_SET}: {key or '(empty)'}: expected dotted.key or list.key[N].field "
                f"(got {text!r})"
            )
            continue
        if path == ("extends",):
            problems.append(f"{_SET}: extends: inheritance belongs in the file, not in --set")
            continue
        node: Any = data
        for depth, part in enumerate(path[:-1]):
            where = dotted_key(path[: depth + 1])
            if isinstance(part, int):
                if not isinstance(node, list) or part >= len(node):
                    size = len(node) if isinstance(node, list) else 0
                    problems.append(
                        f"{_SET}: {key}: {dotted_key(path[:depth])} has {size} item(s), no [{part}]"
                    )
                    break
                child = node[part]
            elif isinstance(path[depth + 1], int):  # a list must exist to index into
                child = node.get(part) if isinstance(node, dict) else None
                if not isinstance(child, list):
                    got = "it is not set" if child is None else f"got {_show(child)}"
                    problems.append(f"{_SET}: {key}: {where} is not a list ({got})")
                    break
            else:
                child = node.setdefault(part, {}) if isinstance(node, dict) else None
            if not isinstance(child, dict | list):
                problems.append(
                    f"{_SET}: {key}: {where} is a value, not a table (got {_show(child)})"
                )
                break
            node = child
        else:
            last = path[-1]
            if isinstance(last, int) or not isinstance(node, dict):
                problems.append(f"{_SET}: {key}: give a field of the list item, not the item")
                continue
            node[last] = _parse_value(raw.strip())
            _record(origins, path, _SET)
    return problems


def setting_type(key: str) -> Any:
    """The Python type a ``--set`` key holds (``int``, ``float``, ``bool``, ``str``, a model...).

    None when the key is malformed or names no place in the schema, so an experiment can check
    its factors' keys before running anything.
    """
    path = _parse_key(key)
    if path is None:
        return None
    tp = _unwrap(_type_at(path))
    if get_origin(tp) is Literal:
        return str
    return tp


def setting_suggestion(key: str) -> str:
    """`` (did you mean 'x'?)`` for a misspelt last segment of ``key``, else ``""``."""
    path = _parse_key(key)
    if not path:
        return ""
    known = tuple(p for p in path[:-1])
    return _suggest(path[-1], _fields_at(known))


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A TOML file's tables, or a ScenarioError naming the file and what is wrong with it."""
    shown = str(path)
    return _read_toml(Path(path), shown, f"{shown}: file not found")


_KEY_PART = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$")


def _parse_key(key: str) -> tuple[str | int, ...] | None:
    """``staffing.cuts[0].share`` as ``("staffing", "cuts", 0, "share")``; None if malformed."""
    path: list[str | int] = []
    for part in key.split("."):
        match = _KEY_PART.match(part.strip())
        if match is None:
            return None
        path.append(match.group(1))
        path.extend(int(index) for index in re.findall(r"\d+", match.group(2)))
    return tuple(path)


def _parse_value(raw: str) -> Any:
    """Parse ``raw`` as a TOML value (``7``, ``0.5``, ``true``, ``[1, 2]``); otherwise text."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


# --- validation and error lines -----------------------------------------------------------------


def _validate(
    data: dict[str, Any], origins: Origins, default_source: str, earlier: Sequence[str] = ()
) -> Scenario:
    """Validate against the schema; raise every problem, ``earlier`` ones (bad ``--set``) first."""
    unknown_types = _unknown_case_types(data, origins, default_source)
    problems = [*earlier, *unknown_types]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            if unknown_types and "names unknown" in error["msg"]:
                continue  # already reported key by key, with a suggestion
            problems.append(_error_line(error, origins, default_source))
    if problems:
        raise ScenarioError(problems)
    return scenario


def _error_line(error: Any, origins: Origins, default_source: str) -> str:
    loc = tuple(error["loc"])
    kind, value = error["type"], error.get("input")
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if isinstance(value, dict) and kind in ("value_error", "assertion_error"):
        # A rule over a whole table: blame whoever last set one of the fields it names.
        names = _named_fields(loc, message)
        source = _source_of(loc, origins, default_source, among=[(*loc, n) for n in names])
        shown = ", ".join(
            f"{name}={_show(field_value)}"
            for name, field_value in _field_values(loc, value, names)
            if not isinstance(field_value, dict | list | BaseModel)
        )
        if "(got " in message or not shown:
            return f"{source}: {dotted_key(loc)}: {message}"
        return f"{source}: {dotted_key(loc)}: {message} (got {shown})"
    source = _source_of(loc, origins, default_source)
    if kind == "extra_forbidden":
        return f"{source}: {dotted_key(loc)}: unknown key{_suggest(loc[-1], _fields_at(loc[:-1]))}"
    if kind == "missing" or "(got " in message:
        return f"{source}: {dotted_key(loc)}: {message}"
    return f"{source}: {dotted_key(loc)}: {message} (got {_show(value)})"


def _named_fields(loc: tuple[str | int, ...], message: str) -> list[str]:
    """The fields of the table at ``loc`` that a rule's message names, e.g. ``days``."""
    model = _unwrap(_type_at(loc))
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    return [name for name in model.model_fields if re.search(rf"\b{re.escape(name)}\b", message)]


def _field_values(
    loc: tuple[str | int, ...], table: dict[str, Any], names: list[str]
) -> list[tuple[str, Any]]:
    """Each named field's value in ``table``, or its schema default when the table omits it."""
    model = _unwrap(_type_at(loc))
    return [
        (
            name,
            table[name]
            if name in table
            else model.model_fields[name].get_default(call_default_factory=True),
        )
        for name in names
    ]


def _unknown_case_types(data: dict[str, Any], origins: Origins, default_source: str) -> list[str]:
    """Name each unknown case type key (in ``case_types``, ``demand.mix``, ``next_type``)."""
    tables: list[tuple[tuple[str | int, ...], Any]] = [
        (("case_types",), data.get("case_types")),
        (
            ("demand", "mix"),
            (data.get("demand") or {}).get("mix") if isinstance(data.get("demand"), dict) else None,
        ),
    ]
    if isinstance(data.get("case_types"), dict):
        for name, spec in data["case_types"].items():
            if isinstance(spec, dict):
                tables.append((("case_types", name, "next_type"), spec.get("next_type")))
    problems = []
    for prefix, table in tables:
        if not isinstance(table, dict):
            continue
        for name in table:
            if name not in CASE_TYPES:
                loc = (*prefix, name)
                problems.append(
                    f"{_source_of(loc, origins, default_source)}: {dotted_key(loc)}: "
                    f"unknown case type{_suggest(name, CASE_TYPES)}"
                )
    return problems


def _source_of(
    loc: tuple[str | int, ...],
    origins: Origins,
    default_source: str,
    among: Sequence[tuple[str | int, ...]] = (),
) -> str:
    """Which file set the value at ``loc``: the latest value at or under it, else its table's.

    ``among`` narrows a table-wide rule to the keys it names, so ``--days 100 --reps 5`` under
    a 260-day warm-up blames ``--days``, not the flag given last.
    """
    named = [o for path, o in origins.items() if any(path[: len(n)] == n for n in among)]
    if named:  # a named key, or any value inside a named table such as ``demand.mix``
        return max(named)[1]
    below = [o for path, o in origins.items() if path[: len(loc)] == loc]
    if below:
        return max(below)[1]
    for depth in range(len(loc) - 1, 0, -1):
        if loc[:depth] in origins:
            return origins[loc[:depth]][1]
    return default_source


def dotted_key(loc: Sequence[str | int], empty: str = "(top level)") -> str:
    """A location as a user writes it, ``staffing.cuts[0].share``; ``empty`` for none."""
    if not loc:
        return empty
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _show(value: Any) -> str:
    text = str(value).lower() if isinstance(value, bool) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _suggest(word: str | int, candidates: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _fields_at(loc: tuple[str | int, ...]) -> list[str]:
    """The keys the schema allows at ``loc`` (for suggesting a fix to a misspelt key)."""
    tp = _unwrap(_type_at(loc))
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        fields = list(tp.model_fields)
        return [*fields, "extends"] if tp is Scenario else fields
    return []


def _type_at(loc: tuple[str | int, ...]) -> Any:
    """The schema type of the value at ``loc`` (``None`` if the schema has no such place)."""
    tp: Any = Scenario
    for part in loc:
        tp = _child_type(tp, part)
        if tp is None:
            return None
    return tp


def _child_type(tp: Any, part: str | int) -> Any:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(part) if isinstance(part, str) else None
        return field.annotation if field else None
    if get_origin(tp) in (dict, list, tuple):
        args = get_args(tp)
        return args[-1] if args else None
    return None


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``| None`` to reach the type that holds the fields."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp
