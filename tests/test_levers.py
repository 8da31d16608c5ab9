"""The lever registry: every entry is a real setting, read where it says, and its consumers agree.

``sim/scenario/levers.py`` declares each lever and uncertain parameter once; the dashboard's
controls, experiment factors and calibration's search ranges read it. These tests hold each
entry to the schema (its key exists, its range is allowed and holds the baseline), to the engine
(the phase it names reads that setting) and to the docs (its unit is the one ``docs/model.md``
gives).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.experiments.calibrate import SEARCH_RANGES
from sim.experiments.experiment import DEFAULT_OUTCOMES, Factor, load_experiment
from sim.scenario.catalogue import repo_root
from sim.scenario.levers import (
    PHASES,
    REGISTRY,
    REGISTRY_BY_KEY,
    UNCERTAINTIES,
    Parameter,
    documented_unit,
    phase_module,
)
from sim.scenario.loading import ScenarioError, setting_type, with_overrides
from sim.scenario.schema import Scenario

ROOT = repo_root()


def reads_setting(parameter: Parameter) -> bool:
    """Whether the module of the parameter's phase names the setting's field.

    The field is the key's part below its section (``cap_per_fte`` of
    ``allocation.cap_per_fte``, ``recruitment`` of ``staffing.recruitment.mean_days``, a duration
    the staffing phase samples as a whole).
    """
    field = parameter.key.split(".")[1]
    source = (ROOT / phase_module(parameter.phase)).read_text(encoding="utf-8")
    return re.search(rf"\b{re.escape(field)}\b", source) is not None


@pytest.mark.parametrize("parameter", REGISTRY, ids=lambda p: p.key)
def test_each_registered_key_is_a_schema_setting(parameter):
    kind = setting_type(parameter.key)
    assert kind in (int, float, bool, str), f"{parameter.key}: not a single schema value"
    assert parameter.kind in ("choice", "bool", "int", "float")
    node = Scenario()
    for part in parameter.key.split("."):
        node = getattr(node, part)
    assert parameter.default == node


@pytest.mark.parametrize("parameter", REGISTRY, ids=lambda p: p.key)
def test_the_phase_named_reads_the_setting(parameter):
    assert parameter.phase in PHASES
    assert (ROOT / phase_module(parameter.phase)).is_file()
    assert reads_setting(parameter), (
        f"{parameter.key}: {phase_module(parameter.phase)} does not read "
        f"{parameter.key.split('.')[1]!r}"
    )


def test_the_phase_check_can_fail():
    cap = REGISTRY_BY_KEY["allocation.cap_per_fte"]
    wrong = Parameter(cap.key, cap.label, cap.unit, cap.role, "arrivals", cap.low, cap.high)
    assert reads_setting(cap) and not reads_setting(wrong)
    with pytest.raises(ValueError, match="unknown phase"):
        phase_module("lunch")


@pytest.mark.parametrize("parameter", REGISTRY, ids=lambda p: p.key)
def test_unit_is_the_documented_one(parameter):
    assert parameter.unit == documented_unit(parameter.key)


@pytest.mark.parametrize("parameter", REGISTRY, ids=lambda p: p.key)
def test_range_is_allowed_and_holds_the_baseline(parameter):
    if parameter.kind in ("choice", "bool"):
        assert parameter.range is None
        assert parameter.default in parameter.choices
        return
    low, high = parameter.range
    assert low < high
    assert low <= parameter.default <= high, f"{parameter.key}: baseline outside its range"
    for value in (low, high):
        with_overrides(Scenario(), settings=[parameter.setting(value)])  # the schema allows it


def test_keys_and_labels_are_declared_once():
    keys = [p.key for p in REGISTRY]
    labels = [p.label for p in REGISTRY]
    assert len(set(keys)) == len(keys)
    assert len(set(labels)) == len(labels)
    assert {p.role for p in REGISTRY} == {"lever", "uncertainty"}


def test_dashboard_controls_are_the_registry_entries_marked_for_it():
    """Each entry marked for the dashboard sets its scenario key there; the others are refused."""
    from sim.dashboard.view_model import DashboardSettings, build_configs

    def read(config, key: str):
        for part in key.split("."):
            config = getattr(config, part)
        return config

    marked = [p for p in REGISTRY if p.on_dashboard]
    assert len(marked) >= 5
    for parameter in marked:
        if parameter.kind == "choice":
            value = next(c for c in parameter.choices if c != parameter.default)
        elif parameter.kind == "bool":
            value = not parameter.default
        else:
            value = parameter.slider_range[1]
        config = build_configs(DashboardSettings().with_lever(parameter.key, value))[0]
        assert read(config, parameter.key) == value, parameter.key
    unmarked = [p for p in REGISTRY if not p.on_dashboard]
    assert unmarked
    for parameter in unmarked:
        with pytest.raises(ScenarioError, match="not a dashboard lever"):
            build_configs(DashboardSettings().with_lever(parameter.key, parameter.default))


def test_calibration_search_ranges_are_the_registered_uncertainties():
    assert set(SEARCH_RANGES) == {p.key for p in UNCERTAINTIES if p.kind == "float"}
    for key, search in SEARCH_RANGES.items():
        assert (search.low, search.high) == REGISTRY_BY_KEY[key].range
        assert search.moves


def test_a_factor_naming_a_registered_key_takes_its_range_and_role():
    factor = Factor(key="staffing.leave_rate_per_year")
    assert (factor.low, factor.high) == (0.02, 0.15) == REGISTRY_BY_KEY[factor.key].range
    assert factor.role == "uncertain" and factor.values is None
    admin = Factor(key="support.admin_staff")
    assert admin.role == "lever" and (admin.low, admin.high) == (0.0, 5.0)
    assert Factor(key="staffing.agency_backfill").values == [False, True]
    assert Factor(key="allocation.at_cap").values == ["wait", "breach"]


def test_a_factor_keeps_what_its_file_says():
    factor = Factor(key="support.admin_staff", values=[0.0, 1.0], role="uncertain")
    assert factor.values == [0.0, 1.0] and factor.low is None and factor.role == "uncertain"
    narrower = Factor(key="demand.referrals_per_day", low=0.5, high=0.6)
    assert (narrower.low, narrower.high) == (0.5, 0.6)


def test_an_unregistered_key_alone_still_needs_values(tmp_path):
    (tmp_path / "base.toml").write_text('name = "b"\n')
    (tmp_path / "exp.toml").write_text(
        'name = "e"\nscenario = "base.toml"\n[design]\nmethod = "grid"\n'
        '[[factors]]\nkey = "work.travel_hours_per_visit"\n'
    )
    with pytest.raises(ScenarioError) as caught:
        load_experiment(tmp_path / "exp.toml")
    assert caught.value.problems == [
        f"{tmp_path / 'exp.toml'}: factors[0]: give values, or both low and high"
    ]


def test_a_grid_over_registered_keys_alone_runs_their_ranges(tmp_path):
    (tmp_path / "base.toml").write_text('name = "b"\n')
    (tmp_path / "exp.toml").write_text(
        'name = "e"\nscenario = "base.toml"\n[design]\nmethod = "grid"\nlevels = 3\n'
        '[[factors]]\nkey = "support.swa_staff"\n[[factors]]\nkey = "allocation.cap_kind"\n'
    )
    experiment, _ = load_experiment(tmp_path / "exp.toml")
    assert experiment.outcomes == list(DEFAULT_OUTCOMES)
    swa, cap = experiment.factors
    assert (swa.low, swa.high) == (0.0, 5.0)
    assert cap.values == ["none", "count", "weighted"]


def test_an_experiment_without_outcomes_analyses_the_default_set():
    experiment, _ = load_experiment(ROOT / "experiments" / "cut_x_agency.toml")
    assert experiment.outcomes == list(DEFAULT_OUTCOMES)
    documented = (ROOT / "docs" / "experiments.md").read_text(encoding="utf-8")
    for outcome in DEFAULT_OUTCOMES:
        assert f"`{outcome}`" in documented, f"{outcome}: not in docs/experiments.md"


def test_every_experiment_file_still_loads():
    for path in sorted(Path(ROOT / "experiments").glob("*.toml")):
        if path.name.startswith("calibrate"):
            continue
        experiment, base = load_experiment(path)
        assert base.is_file() and experiment.factors


def test_docs_list_every_registered_key():
    """docs/experiments.md lists the registry, pointing to docs/calibration.md for the rest."""
    documented = "".join(
        (ROOT / "docs" / name).read_text(encoding="utf-8")
        for name in ("experiments.md", "calibration.md")
    )
    missing = [p.key for p in REGISTRY if f"`{p.key}`" not in documented]
    assert not missing, f"docs/experiments.md and calibration.md do not list {missing}"


def test_a_morris_design_over_registered_keys_alone_is_valid(tmp_path):
    """Registered whole-number ranges split into Morris's default 4 levels in whole steps."""
    (tmp_path / "base.toml").write_text('name = "b"\n')
    factors = "".join(
        f'[[factors]]\nkey = "{p.key}"\n' for p in REGISTRY if p.kind in ("int", "float")
    )
    (tmp_path / "exp.toml").write_text(
        'name = "e"\nscenario = "base.toml"\n[design]\nmethod = "morris"\nsamples = 2\n' + factors
    )
    experiment, _ = load_experiment(tmp_path / "exp.toml")
    assert len(experiment.factors) == sum(p.kind in ("int", "float") for p in REGISTRY)
