"""Loading scenario files: TOML, ``extends`` inheritance, ``--set`` overrides, readable errors.

A scenario file is the only way parameters reach the model, so a mistake in one must be reported
in terms of the file: every problem becomes one line ``FILE: dotted.key: what is wrong (got X)``
and all of them are raised together as :class:`ScenarioError`. Each value remembers which file
(or ``--set``) gave it, so an error in an inherited value names the file that wrote it.
"""

from __future__ import annotations

import difflib
import errno
import itertools
import os
import re
import stat
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
    root: str | os.PathLike[str] | None = None,
) -> Scenario:
    """Read a scenario file, resolve its ``extends`` chain, apply overrides, validate once.

    Args:
        path: The scenario TOML file.
        overrides: ``dotted.key=value`` strings; values are parsed as TOML, else kept as text.
        days: The ``--days`` flag, applied before ``overrides`` so that
            ``--days 2080 --set simulation.warmup_days=1560`` is judged as a whole.
        replications: The ``--reps`` flag.
        seed: The ``--seed`` flag.
        root: If given, the file and every file of its ``extends`` chain must lie under this
            folder (the dashboard opens only ``scenarios/``).

    Returns:
        The validated, frozen scenario.

    Raises:
        ScenarioError: With one line per problem found.
    """
    display = os.fsdecode(path)
    data, origins = _resolve(Path(path), display, None if root is None else Path(root))
    replaced: list[_Replaced] = []
    _apply_flags(data, origins, replaced, days=days, replications=replications, seed=seed)
    problems = _apply_settings(data, origins, overrides, replaced)
    problems += _replaced_problems(replaced)
    return _validate(data, origins, default_source=shown_path(display), earlier=problems)


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
    _apply_flags(data, origins, [], days=days, replications=replications, seed=seed)
    problems = _apply_settings(data, origins, settings, [])
    used = [source for _, source in origins.values()]
    return _validate(
        data, origins, default_source=used[0] if used else "scenario", earlier=problems
    )


def _apply_flags(
    data: dict[str, Any], origins: Origins, replaced: list[_Replaced], **values: int | None
) -> None:
    """Write the ``--days``/``--reps``/``--seed`` flags into ``simulation``, remembering them."""
    flags = {"days": "--days", "replications": "--reps", "seed": "--seed"}
    for key, value in values.items():
        if value is not None:
            simulation = data.setdefault("simulation", {})
            if not isinstance(simulation, dict):
                continue  # the file's own error ("simulation" is not a table) is reported
            if key in simulation:
                replaced.append(
                    _replaced(origins, ("simulation", key), simulation[key], flags[key])
                )
            simulation[key] = value
            _record(origins, ("simulation", key), flags[key])


#: A value a flag or ``--set`` replaced: (key path, the value, who wrote it, who replaced it).
_Replaced = tuple[tuple[str | int, ...], Any, str, str]


def _replaced(origins: Origins, path: tuple[str | int, ...], value: Any, by: str) -> _Replaced:
    under = [o for p, o in origins.items() if p[: len(path)] == path]
    return path, value, max(under)[1] if under else "scenario", by


def _replaced_problems(replaced: Sequence[_Replaced]) -> list[str]:
    """A line for each replaced value that is malformed on its own (wrong type, out of range).

    ``caseload validate FILE`` must fail exactly when ``caseload run FILE --days 100`` does: a
    file whose ``simulation.days`` is ``"ten"`` is broken whatever replaces it on one command
    line. Only the value itself is checked; rules across fields apply to what is run.
    """
    problems = []
    for path, value, source, by in replaced:
        model = _unwrap(_type_at(path[:-1]))
        name = path[-1]
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        if not isinstance(name, str) or name not in model.model_fields:
            continue
        try:
            model.model_validate({name: value})
        except ValidationError as exc:
            for error in exc.errors():
                if error["loc"][:1] != (name,):
                    continue  # another field's default or a rule across fields
                error = {**error, "loc": (*path[:-1], *error["loc"])}
                problems.append(
                    f"{_error_line(error, _Sources({}, source))}; {by} replaces it here, "
                    "but the value must be valid in the file too"
                )
    return problems


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

#: Limits on every file the tool reads (scenario, experiment and calibration files and their
#: ``extends`` chains), so a hostile or broken file gives an error line, never a hang, a memory
#: exhaustion or a RecursionError. Stated in docs/scenarios.md (limits on the files caseload reads).
MAX_FILE_BYTES = 1_048_576  # the largest shipped file is under 4 KB
MAX_NESTING = 20  # tables, arrays and dotted-key parts together; the schema needs 4
MAX_EXTENDS = 16  # files in one ``extends`` chain, the file itself included
#: A path longer than this is shown cut short in an error line.
MAX_PATH_SHOWN = 200

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_OS_REASONS = {
    errno.ENOENT: "file not found",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ELOOP: "too many levels of symbolic links (a symlink loop?)",
    errno.ENAMETOOLONG: "file name too long",
    errno.EACCES: "cannot read file (permission denied)",
    errno.EPERM: "cannot read file (permission denied)",
}


class _Unreadable(Exception):
    """A file that cannot be read as a scenario: ``reason`` says why, in the user's terms."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as an error line shows it: control characters escaped, a long path cut short."""
    text = os.fsdecode(path)
    if not text.isprintable():
        text = repr(text)[1:-1]
    return text if len(text) <= MAX_PATH_SHOWN else text[: MAX_PATH_SHOWN - 3] + "..."


def _read_bytes(path: str | os.PathLike[str]) -> tuple[bytes, tuple[int, int]]:
    """A regular file's bytes (at most :data:`MAX_FILE_BYTES`) and its (device, inode).

    Opened without blocking, so a FIFO is refused rather than waited on, and checked to be a
    regular file before a byte is read, so ``/dev/zero`` is refused rather than read forever.

    Raises:
        _Unreadable: With the reason in the user's terms.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except ValueError:
        raise _Unreadable("the path contains a NUL byte") from None
    except OSError as exc:
        reason = _OS_REASONS.get(exc.errno or 0, f"cannot read file ({exc.strerror or exc})")
        raise _Unreadable(reason) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "special")
            raise _Unreadable(f"not a regular file ({kind})")
        if info.st_size > MAX_FILE_BYTES:
            raise _Unreadable(_too_large(info.st_size))
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _Unreadable(f"cannot read file ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:  # it grew while being read
        raise _Unreadable(_too_large(len(data)))
    return data, (info.st_dev, info.st_ino)


def _too_large(size: int) -> str:
    return (
        f"file larger than the {MAX_FILE_BYTES:,}-byte limit for files caseload reads "
        f"(got {size:,} bytes)"
    )


def _decode(data: bytes) -> str:
    """UTF-8 text, a byte-order mark (as Windows editors write) dropped."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Unreadable("UTF-16 text; save the file as UTF-8")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise _Unreadable(f"not UTF-8 text (byte {exc.start})") from None


#: Strings and comments (skipped) and brackets (counted) in TOML text; an unterminated string
#: runs to the end of its line (or of the text, for a multi-line string).
_TOML_TOKENS = re.compile(
    r'"""(?:[^\\]|\\.)*?(?:"""|\Z)|\'\'\'.*?(?:\'\'\'|\Z)|"(?:[^"\\\n]|\\.)*(?:"|$)'
    r"|'[^'\n]*(?:'|$)|#[^\n]*|[\[\]{}]",
    re.DOTALL | re.MULTILINE,
)


def _too_deep_line(text: str) -> int | None:
    """The line where brackets nest deeper than :data:`MAX_NESTING`, before parsing.

    Python's TOML parser recurses once per level, so ``[[[[...` a thousand deep would raise
    RecursionError; counting first turns it into an error line.
    """
    depth = 0
    for token in _TOML_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > MAX_NESTING:
                return text.count("\n", 0, token.start()) + 1
        elif bracket in ("]", "}"):
            depth = max(depth - 1, 0)
    return None


def _deepest(data: Any) -> tuple[str | int, ...] | None:
    """The first key path nested deeper than :data:`MAX_NESTING` (dotted keys count), or None."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_NESTING:
            return path
        if isinstance(node, dict):
            stack.extend((value, (*path, key)) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, (*path, index)) for index, value in enumerate(node))
    return None


def parse_toml(text: str, display: str) -> dict[str, Any]:
    """TOML text as tables, within the nesting limit; a ScenarioError line naming ``display``."""
    line = _too_deep_line(text)
    if line is not None:
        raise ScenarioError([f"{display}: line {line}: {_nesting_problem()}"])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"{display}: {_toml_error(exc)}"]) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4,300 digits
        raise ScenarioError([f"{display}: invalid TOML: {_first_line(exc)}"]) from None
    deep = _deepest(data)
    if deep is not None:
        shown = dotted_key(deep[: MAX_NESTING + 1]) + "..."
        raise ScenarioError([f"{display}: {shown}: {_nesting_problem()}"])
    return data


def _nesting_problem() -> str:
    return (
        f"nested more than {MAX_NESTING} levels deep (caseload's limit, counting tables, arrays "
        "and the parts of dotted keys)"
    )


def _first_line(exc: BaseException) -> str:
    """The gist of a parser's message, without advice meant for programmers."""
    lines = str(exc).strip().splitlines()
    return lines[0].partition("; use sys.")[0] if lines else type(exc).__name__


def _read_file(
    path: str | os.PathLike[str], display: str, referrer: str | None
) -> tuple[dict[str, Any], tuple[int, int]]:
    """One file's tables and identity; a problem names ``referrer``'s ``extends`` if given."""
    try:
        text = _decode((raw := _read_bytes(path))[0])
    except _Unreadable as exc:
        if referrer is None:
            raise ScenarioError([f"{display}: {exc.reason}"]) from None
        raise ScenarioError([f"{referrer}: extends: {exc.reason}: {display}"]) from None
    return parse_toml(text, display), raw[1]


def _resolve(path: Path, display: str, root: Path | None = None) -> tuple[dict[str, Any], Origins]:
    """Read a file and the chain of files it extends (a loop, not recursion); child values win.

    ``root``, if given, confines every file of the chain to that folder (the dashboard's
    ``scenarios/``).
    """
    chain: list[tuple[dict[str, Any], str]] = []
    seen: list[tuple[tuple[int, int], str]] = []
    current, text, shown, referrer = path, display, shown_path(display), None
    while True:
        if len(chain) == MAX_EXTENDS:
            raise ScenarioError(
                [
                    f"{referrer}: extends: a chain of more than {MAX_EXTENDS} files "
                    f"({chain[0][1]} -> ... -> {shown}); the limit is caseload's"
                ]
            )
        if root is not None and not _inside(current, root):
            where = f"{referrer}: extends" if referrer else shown
            raise ScenarioError(
                [f"{where}: only files under {shown_path(root)} can be opened here (got {shown})"]
            )
        data, identity = _read_file(current, shown, referrer)
        ids = [i for i, _ in seen]
        if identity in ids:
            cycle = [d for _, d in seen[ids.index(identity) :]] + [shown]
            raise ScenarioError([f"{referrer}: extends: circular extends: {' -> '.join(cycle)}"])
        seen.append((identity, shown))
        parent = data.pop("extends", None)
        chain.append((data, shown))
        if parent is None:
            break
        if not isinstance(parent, str) or not parent:
            raise ScenarioError(
                [f"{shown}: extends: must be a file path string (got {_show(parent)})"]
            )
        referrer = shown
        text = os.path.normpath(os.path.join(os.path.dirname(text), parent))
        shown = shown_path(text)
        current = current.parent / parent
    merged: dict[str, Any] = {}
    origins: Origins = {}
    for data, source in reversed(chain):
        merged = deep_merge(merged, data)
        origins = _renumber(origins, _origins_of(data, source))
    return merged, origins


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path``, symbolic links followed, is a file under ``root``."""
    try:
        return Path(os.path.realpath(path)).is_relative_to(Path(os.path.realpath(root)))
    except (OSError, ValueError):
        return False


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


#: Order in which values were applied; one counter, so recording a value costs O(1) (a file of
#: 16,000 unknown keys took minutes when each new value looked for the latest one).
_ORDER = itertools.count()


def _record(origins: Origins, path: tuple[str | int, ...], source: str) -> None:
    origins[path] = (next(_ORDER), source)


# --- ``--set dotted.key=value`` ----------------------------------------------------------------


def _apply_settings(
    data: dict[str, Any], origins: Origins, settings: Sequence[str], replaced: list[_Replaced]
) -> list[str]:
    """Apply each well-formed ``--set``; return a line for each malformed one."""
    problems = []
    for text in settings:
        key, sep, raw = text.partition("=")
        key = key.strip()
        label = key if key.isprintable() else repr(key)[1:-1]  # one line, whatever was typed
        if not sep:
            problems.append(f"{_SET}: expected dotted.key=value (got {text!r})")
            continue
        if not key or any(not part.strip() for part in key.split(".")):
            problems.append(
                f"{_SET}: {label or '(empty)'}: empty key or key segment (got {text!r})"
            )
            continue
        path = _parse_key(key)
        if path is None:
            problems.append(
                f"{_SET}: {label or '(empty)'}: expected dotted.key or list.key[N].field "
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
                        f"{_SET}: {label}: {dotted_key(path[:depth])} has {size} item(s), "
                        f"no [{part}]"
                    )
                    break
                child = node[part]
            elif isinstance(path[depth + 1], int):  # a list must exist to index into
                child = node.get(part) if isinstance(node, dict) else None
                if not isinstance(child, list):
                    got = "it is not set" if child is None else f"got {_show(child)}"
                    problems.append(f"{_SET}: {label}: {where} is not a list ({got})")
                    break
            else:
                child = node.setdefault(part, {}) if isinstance(node, dict) else None
            if not isinstance(child, dict | list):
                problems.append(
                    f"{_SET}: {label}: {where} is a value, not a table (got {_show(child)})"
                )
                break
            node = child
        else:
            last = path[-1]
            if isinstance(last, int) or not isinstance(node, dict):
                problems.append(f"{_SET}: {label}: give a field of the list item, not the item")
                continue
            try:
                value = _parse_value(raw.strip())
            except ScenarioError as exc:
                problems.append(f"{_SET}: {label}: {exc.problems[0]}")
                continue
            if last in node:
                replaced.append(_replaced(origins, path, node[last], _SET))
            node[last] = value
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
    """A TOML file's tables (read within the limits), or a ScenarioError naming the file.

    Experiment and calibration files are read through this, with the same limits as scenarios.
    """
    return _read_file(path, shown_path(path), None)[0]


def file_problem(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` cannot be read as a TOML file (``"not a regular file (a FIFO)"``), or None.

    For a file that names another (an experiment's ``scenario``), so the problem is reported
    against the key that names it before anything is run.
    """
    try:
        _read_bytes(path)
    except _Unreadable as exc:
        return exc.reason
    return None


_KEY_PART = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$")


def _parse_key(key: str) -> tuple[str | int, ...] | None:
    """``staffing.cuts[0].share`` as ``("staffing", "cuts", 0, "share")``; None if malformed."""
    path: list[str | int] = []
    if key.count(".") >= MAX_NESTING or key.count("[") >= MAX_NESTING:
        return None
    for part in key.split("."):
        match = _KEY_PART.match(part.strip())
        if match is None:
            return None
        path.append(match.group(1))
        path.extend(int(index) for index in re.findall(r"\d+", match.group(2)))
    return tuple(path)


def _parse_value(raw: str) -> Any:
    """Parse ``raw`` as a TOML value (``7``, ``0.5``, ``true``, ``[1, 2]``); otherwise text.

    Raises:
        ScenarioError: If the value nests deeper than :data:`MAX_NESTING`.
    """
    if _too_deep_line(raw) is not None:
        raise ScenarioError([_nesting_problem()])
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        return raw


# --- validation and error lines -----------------------------------------------------------------


def _validate(
    data: dict[str, Any], origins: Origins, default_source: str, earlier: Sequence[str] = ()
) -> Scenario:
    """Validate against the schema; raise every problem, ``earlier`` ones (bad ``--set``) first."""
    sources = _Sources(origins, default_source)
    unknown_types = _unknown_case_types(data, sources)
    problems = [*earlier, *unknown_types]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            if unknown_types and "names unknown" in error["msg"]:
                continue  # already reported key by key, with a suggestion
            problems.append(_error_line(error, sources))
    if problems:
        raise ScenarioError(problems)
    return scenario


def _error_line(error: Any, sources: _Sources) -> str:
    loc = tuple(error["loc"])
    kind, value = error["type"], error.get("input")
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if isinstance(value, dict) and kind in ("value_error", "assertion_error"):
        # A rule over a whole table: blame whoever last set one of the fields it names.
        names = _named_fields(loc, message)
        source = sources.of(loc, among=[(*loc, n) for n in names])
        shown = ", ".join(
            f"{name}={_show(field_value)}"
            for name, field_value in _field_values(loc, value, names)
            if not isinstance(field_value, dict | list | BaseModel)
        )
        if "(got " in message or not shown:
            return f"{source}: {dotted_key(loc)}: {message}"
        return f"{source}: {dotted_key(loc)}: {message} (got {shown})"
    source = sources.of(loc)
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


def _unknown_case_types(data: dict[str, Any], sources: _Sources) -> list[str]:
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
                    f"{sources.of(loc)}: {dotted_key(loc)}: "
                    f"unknown case type{_suggest(name, CASE_TYPES)}"
                )
    return problems


class _Sources:
    """Which file set the value at a key, answered in O(depth) for each error line.

    Indexes, for every key prefix, the latest value at or under it, once per validation (a file
    of thousands of unknown keys gives thousands of lines; scanning every value for each line
    made validation time quadratic).
    """

    def __init__(self, origins: Origins, default: str) -> None:
        self.origins, self.default = origins, default
        self.latest: dict[tuple[str | int, ...], tuple[int, str]] = {}
        for path, origin in origins.items():
            for depth in range(len(path) + 1):
                prefix = path[:depth]
                known = self.latest.get(prefix)
                if known is None or known < origin:
                    self.latest[prefix] = origin

    def of(self, loc: tuple[str | int, ...], among: Sequence[tuple[str | int, ...]] = ()) -> str:
        """The latest source at or under ``loc``, else its table's, else the default.

        ``among`` narrows a table-wide rule to the keys it names, so ``--days 100 --reps 5``
        under a 260-day warm-up blames ``--days``, not the flag given last.
        """
        named = [self.latest[n] for n in among if n in self.latest]
        if named:  # a named key, or any value inside a named table such as ``demand.mix``
            return max(named)[1]
        if loc in self.latest:
            return self.latest[loc][1]
        for depth in range(len(loc) - 1, 0, -1):
            if loc[:depth] in self.origins:
                return self.origins[loc[:depth]][1]
        return self.default


def dotted_key(loc: Sequence[str | int], empty: str = "(top level)") -> str:
    """A location as a user writes it, ``staffing.cuts[0].share``; ``empty`` for none."""
    if not loc:
        return empty
    text = ""
    for part in loc:
        if isinstance(part, str) and not part.isprintable():
            part = repr(part)[1:-1]  # a quoted TOML key may hold a newline: keep one line
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
