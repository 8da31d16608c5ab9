"""Write the parameter reference of ``docs/model.md`` from the scenario schema.

Every field of :class:`sim.scenario.schema.Scenario` is walked recursively (sections, the five case
types, durations, and the item schemas of lists such as ``team.workers``). Defaults and allowed
values come from the schema, so they are written in one place; meanings, units and sources are the
hand-written dictionaries of ``sim/scenario/parameter_docs.py``. The section between the
``parameters:start`` and ``parameters:end`` markers of ``docs/model.md`` is replaced.

Usage (from the repository root)::

    .venv/bin/python docs/gen_parameter_table.py           # rewrite docs/model.md
    .venv/bin/python docs/gen_parameter_table.py --check   # exit 1 if it is out of date

A schema field without an entry in :data:`PARAMS` (or :data:`UNITS`) is an error, so a new
parameter cannot be added without documenting it.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.scenario.parameter_docs import KIND_FIELDS, PARAMS, REFS, UNITS, UNUSED_KIND
from sim.scenario.schema import Duration, Scenario

ROOT = Path(__file__).resolve().parent.parent
MODEL_MD = ROOT / "docs" / "model.md"
START = "<!-- parameters:start -->"
END = "<!-- parameters:end -->"


@dataclass(frozen=True)
class Row:
    """One parameter: its dotted key and what the schema says about it."""

    key: str
    default: str
    allowed: str
    section: str


def _unwrap(tp: Any) -> tuple[Any, list[Any], bool]:
    """Strip ``Annotated`` and ``| None``: (inner type, constraint metadata, optional?)."""
    metadata: list[Any] = []
    optional = False
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            args = get_args(tp)
            for extra in args[1:]:
                metadata.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
            tp = args[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            optional = optional or len(args) < len(get_args(tp))
            if len(args) != 1:
                return tp, metadata, optional
            tp = args[0]
        else:
            return tp, metadata, optional


def _is_section(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _number(value: float | int) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _format_default(value: Any, required: bool) -> str:
    if required:
        return "required"
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | float):
        return f"`{_number(value)}`"
    if isinstance(value, str):
        return f'`"{value}"`' if value else '`""`'
    if isinstance(value, dict):
        inner = ", ".join(f"{k} = {_number(v)}" for k, v in value.items())
        return f"`{{{inner}}}`" if inner else "`{}`"
    if isinstance(value, list):
        return "`[]`" if not value else f"{len(value)} items"
    return f"`{value}`"


def _format_allowed(tp: Any, metadata: list[Any], optional: bool) -> str:
    if tp is bool:
        text = "true, false"
    elif get_origin(tp) is Literal:
        text = " | ".join(str(a) for a in get_args(tp))
    elif tp is str:
        bounds = {type(m).__name__: m for m in metadata}
        low = getattr(bounds.get("MinLen"), "min_length", 0)
        high = getattr(bounds.get("MaxLen"), "max_length", None)
        text = f"text, {low}-{high} chars" if high else "text"
    elif get_origin(tp) is dict:
        _, inner_meta, _ = _unwrap(get_args(tp)[1])
        text = f"case type: {_interval(inner_meta) or 'number'}"
    elif get_origin(tp) is list:
        text = "list of tables"
    else:
        text = _interval(metadata) or ("integer" if tp is int else "number")
        if tp is int and text != "integer":
            text = f"integer {text}"
    return f"{text}, or unset" if optional else text


def _interval(metadata: list[Any]) -> str:
    low = high = None
    for m in metadata:
        name = type(m).__name__
        if name == "Ge":
            low = f"[{_number(m.ge)}"
        elif name == "Gt":
            low = f"({_number(m.gt)}"
        elif name == "Le":
            high = f"{_number(m.le)}]"
        elif name == "Lt":
            high = f"{_number(m.lt)})"
    if low and high:
        return f"{low}, {high}"
    if low:
        return (">= " if low.startswith("[") else "> ") + low[1:]
    if high:
        return ("<= " if high.endswith("]") else "< ") + high[:-1]
    return ""


def walk(cls: type[BaseModel], instance: BaseModel | None, prefix: str, section: str) -> list[Row]:
    """Rows for every field of ``cls`` (defaults from ``instance`` when there is one)."""
    rows: list[Row] = []
    for name, field in cls.model_fields.items():
        key = f"{prefix}{name}"
        tp, metadata, optional = _unwrap(field.annotation)
        metadata = [*field.metadata, *metadata]
        required = instance is None and field.is_required()
        if instance is not None:
            value = getattr(instance, name)
        elif required:
            value = None
        else:
            value = field.get_default(call_default_factory=True)
        if _is_section(tp):
            rows += walk(tp, value, f"{key}.", section or key)
        elif get_origin(tp) is dict and _is_section(_unwrap(get_args(tp)[1])[0]):
            for item_name, item in value.items():
                rows += walk(type(item), item, f"{key}.{item_name}.", f"{key}.{item_name}")
        elif get_origin(tp) is list and _is_section(_unwrap(get_args(tp)[0])[0]):
            rows.append(Row(key, _format_default(value, False), "list of tables", section))
            item_type = _unwrap(get_args(tp)[0])[0]
            rows += walk(item_type, None, f"{key}[].", section)
        else:
            allowed = _format_allowed(tp, metadata, optional)
            rows.append(Row(key, _format_default(value, required), allowed, section))
    return rows


def schema_rows() -> list[Row]:
    """Every dotted key of the scenario schema, in schema order, with defaults."""
    return walk(Scenario, Scenario(), "", "")


# --- checks and rendering -----------------------------------------------------------------------


def unit_of(key: str) -> str:
    """The unit of ``key``: a full-key entry of :data:`UNITS`, else its field name's."""
    if key in UNITS:
        return UNITS[key]
    return UNITS[key.rsplit(".", 1)[-1]]


def problems(rows: list[Row]) -> list[str]:
    """What is missing or wrong in the hand-written tables for these schema rows."""
    found = []
    keys = {row.key for row in rows}
    for row in rows:
        entry = PARAMS.get(row.key)
        if entry is None:
            found.append(f"{row.key}: no entry in PARAMS (meaning, source)")
            continue
        meaning, source = entry
        if not meaning.strip() or not source.strip():
            found.append(f"{row.key}: empty meaning or source")
        if row.key.rsplit(".", 1)[-1] not in UNITS and row.key not in UNITS:
            found.append(f"{row.key}: no unit in UNITS")
        for label in _citations(source):
            if label not in REFS:
                found.append(f"{row.key}: source cites unknown reference [{label}]")
    found += [f"{key}: in PARAMS but not in the schema" for key in sorted(set(PARAMS) - keys)]
    found += _unused_duration_fields_used()
    return found


def _unused_duration_fields_used() -> list[str]:
    """Durations whose default kind reads a field documented as not read."""
    found = []

    def visit(node: BaseModel, prefix: str) -> None:
        if isinstance(node, Duration):
            for field in KIND_FIELDS[node.kind]:
                key = f"{prefix}{field}"
                if PARAMS.get(key, ("", ""))[1] == UNUSED_KIND:
                    found.append(f"{key}: kind {node.kind!r} reads it; give its source")
            return
        for name in type(node).model_fields:
            value = getattr(node, name)
            if isinstance(value, BaseModel):
                visit(value, f"{prefix}{name}.")
            elif isinstance(value, dict):
                for item_name, item in value.items():
                    if isinstance(item, BaseModel):
                        visit(item, f"{prefix}{name}.{item_name}.")

    visit(Scenario(), "")
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(rows: list[Row]) -> str:
    """The Markdown between the markers: one table per section, then the references."""
    out = [
        START,
        "<!-- Generated by docs/gen_parameter_table.py from sim/scenario/schema.py: "
        "do not edit here. -->",
    ]
    section = None
    for row in rows:
        if row.section != section:
            section = row.section
            out += [
                "",
                f"#### `{section}`" if section else "#### Top level",
                "",
                "| key | default | unit | allowed | meaning | source |",
                "| --- | --- | --- | --- | --- | --- |",
            ]
        meaning, source = PARAMS[row.key]
        cells = [f"`{row.key}`", row.default, unit_of(row.key), row.allowed, meaning, source]
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    cited = sorted({label for _, s in PARAMS.values() for label in _citations(s)})
    out += ["", "Sources cited in the tables (all from `shared/facts.md`):", ""]
    out += [f"- `{label}`: {REFS[label][0]}: <{REFS[label][1]}>" for label in cited]
    out.append("")
    out += [f"[{label}]: {REFS[label][1]}" for label in cited]
    out += ["", END]
    return "\n".join(out)


def _citations(source: str) -> list[str]:
    """Reference labels cited as ``[text][label]`` in a source cell."""
    return re.findall(r"\]\[([^\]]+)\]", source)


def updated_text(text: str, block: str) -> str:
    """``text`` with the section between the markers replaced by ``block``."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{MODEL_MD}: markers {START} ... {END} not found in order")
    return text[:start] + block + text[end + len(END) :]


def main(argv: list[str] | None = None) -> int:
    """Rewrite the parameter section of docs/model.md, or with ``--check`` report a diff."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/model.md is stale")
    args = parser.parse_args(argv)
    rows = schema_rows()
    found = problems(rows)
    if found:
        print("\n".join(found), file=sys.stderr)
        return 1
    current = MODEL_MD.read_text(encoding="utf-8")
    wanted = updated_text(current, render(rows))
    if args.check:
        if wanted == current:
            return 0
        diff = difflib.unified_diff(
            current.splitlines(), wanted.splitlines(), "docs/model.md", "generated", lineterm=""
        )
        print("\n".join(diff))
        print("docs/model.md is out of date: run docs/gen_parameter_table.py", file=sys.stderr)
        return 1
    if wanted != current:
        MODEL_MD.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
