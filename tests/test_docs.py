"""docs/model.md stays in step with the scenario schema.

The parameter reference in docs/model.md is generated from ``sim.scenario.schema.Scenario`` by
``docs/gen_parameter_table.py``. Adding, removing or changing the default of a parameter without
rerunning the generator, or without giving the new parameter a meaning and a source, fails here.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
GENERATOR = REPO_ROOT / "docs" / "gen_parameter_table.py"


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("gen_parameter_table", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while the class is built
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_model_md_is_up_to_date_with_the_schema(gen, capsys):
    status = gen.main(["--check"])
    out = capsys.readouterr()
    assert status == 0, (
        "docs/model.md is stale; run `.venv/bin/python docs/gen_parameter_table.py`\n"
        + out.out
        + out.err
    )


def test_every_schema_key_has_a_meaning_unit_and_source(gen):
    rows = gen.schema_rows()
    assert len(rows) > 200  # the walk reached case types, durations and list items
    for row in rows:
        meaning, source = gen.PARAMS[row.key]
        assert meaning.strip(), f"{row.key}: empty meaning"
        assert source.strip(), f"{row.key}: empty source"
        assert gen.unit_of(row.key).strip(), f"{row.key}: empty unit"
    assert gen.problems(rows) == []


def test_walk_covers_nested_keys(gen):
    keys = {row.key for row in gen.schema_rows()}
    for key in (
        "simulation.days",
        "case_types.child_protection.duration.median_days",
        "case_types.adult_review.swa_eligible",
        "sickness.short_spell.max_days",
        "staffing.recruitment.mean_days",
        "team.workers[].held_caseload",
        "staffing.cuts[].share",
        "demand.shocks[].multiplier",
    ):
        assert key in keys


def test_an_undocumented_parameter_is_reported(gen, monkeypatch):
    rows = gen.schema_rows()
    params = dict(gen.PARAMS)
    del params["work.travel_hours_per_visit"]
    monkeypatch.setattr(gen, "PARAMS", params)
    assert any(p.startswith("work.travel_hours_per_visit:") for p in gen.problems(rows))


def test_a_duration_field_read_by_its_kind_needs_a_real_source(gen, monkeypatch):
    params = dict(gen.PARAMS)
    params["staffing.recruitment.mean_days"] = ("Mean.", gen.UNUSED_KIND)
    monkeypatch.setattr(gen, "PARAMS", params)
    found = gen.problems(gen.schema_rows())
    assert any(p.startswith("staffing.recruitment.mean_days:") for p in found)


def test_markers_appear_once_in_order():
    text = (REPO_ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    start, end = "<!-- parameters:start -->", "<!-- parameters:end -->"
    assert text.count(start) == 1 and text.count(end) == 1
    assert text.index(start) < text.index(end)


_ROOTS = ("sim", "dashboards", "tests", "docs", "benchmarks", "experiments", "scenarios")
_CODE_PATH = re.compile(r"`((?:" + "|".join(_ROOTS) + r")/[\w./-]*)`")
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def missing_paths(doc: Path, text: str) -> list[str]:
    """Repository paths ``text`` names (in backticks, or as relative links) that do not exist."""
    missing = [p for p in _CODE_PATH.findall(text) if not (REPO_ROOT / p).exists()]
    for target in _LINK.findall(text):
        target = target.split("#", 1)[0]
        if target and "://" not in target and not (doc.parent / target).exists():
            missing.append(target)
    return missing


@pytest.mark.parametrize("name", ["docs/architecture.md", "README.md"])
def test_every_path_the_layout_docs_name_exists(name):
    doc = REPO_ROOT / name
    text = doc.read_text(encoding="utf-8")
    assert _CODE_PATH.search(text), f"{name} names no module path"
    assert missing_paths(doc, text) == []


def test_architecture_doc_names_every_layer_and_phase():
    text = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for package in sorted(p for p in (REPO_ROOT / "sim").iterdir() if (p / "__init__.py").exists()):
        assert f"`sim/{package.name}/`" in text, f"docs/architecture.md omits sim/{package.name}/"
    for phase in sorted((REPO_ROOT / "sim" / "engine" / "phases").glob("[a-z]*.py")):
        assert f"`sim/engine/phases/{phase.name}`" in text, f"omits the {phase.stem} phase"


def test_a_missing_path_is_reported():
    doc = REPO_ROOT / "docs" / "architecture.md"
    text = "the engine (`sim/engine/model.py`, `sim/engine/nowhere.py`), [gone](gone.md#x)"
    assert missing_paths(doc, text) == ["sim/engine/nowhere.py", "gone.md"]
