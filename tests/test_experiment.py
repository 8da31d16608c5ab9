"""Experiment files and their designs: validation, clear errors, and the points run."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
import pytest

from sim.experiments.design import design_matrix, load_plan, plan, toml_literal
from sim.experiments.experiment import load_experiment
from sim.scenario.loading import ScenarioError, load_scenario

REPO_ROOT = Path(__file__).resolve().parent.parent
BASELINE = (REPO_ROOT / "scenarios" / "baseline.toml").as_posix()


def write(tmp_path, body: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'name = "t"\nscenario = "{BASELINE}"\n' + textwrap.dedent(body))
    return path


def problems(path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_plan(str(path))
    return caught.value.problems


GRID = """
[design]
method = "grid"
[[factors]]
key = "allocation.cap_per_fte"
values = [12.0, 16.0]
[[factors]]
key = "support.admin_staff"
low = 0.0
high = 1.0
"""


def test_every_example_experiment_is_valid():
    for path in sorted((REPO_ROOT / "experiments").glob("*.toml")):
        if path.name.startswith("calibrat"):
            continue  # calibration files are read by caseload calibrate
        experiment, base = load_experiment(path)
        built = plan(experiment, load_scenario(base, experiment.set), str(path))
        assert len(built.configs) == len(built.values) > 1, path.name


def test_grid_is_the_product_of_values_and_levels(tmp_path):
    experiment, base = load_experiment(write(tmp_path, GRID))
    built = plan(experiment, load_scenario(base), "exp.toml")
    assert built.values.to_dict("list") == {
        "allocation.cap_per_fte": [12.0] * 4 + [16.0] * 4,
        "support.admin_staff": [0.0, 1 / 3, 2 / 3, 1.0] * 2,
    }
    assert built.configs[5].allocation.cap_per_fte == 16.0
    assert built.configs[5].support.admin_staff == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("method", "samples", "points"),
    [("lhs", 32, 32), ("sobol", 8, 8 * (2 + 2)), ("morris", 5, 5 * (2 + 1))],
)
def test_sampled_designs_have_their_sizes_and_repeat(tmp_path, method, samples, points):
    body = f"""
    [design]
    method = "{method}"
    samples = {samples}
    seed = 3
    [[factors]]
    key = "demand.referrals_per_day"
    low = 0.4
    high = 0.7
    [[factors]]
    key = "team.social_worker_posts"
    low = 4
    high = 7
    """
    experiment, _ = load_experiment(write(tmp_path, body))
    values, matrix, problem = design_matrix(experiment)
    again, _, _ = design_matrix(experiment)
    assert len(values) == points == matrix.shape[0]
    assert values.equals(again)
    rates = values["demand.referrals_per_day"]
    assert rates.between(0.4, 0.7).all()
    posts = values["team.social_worker_posts"]
    assert all(isinstance(p, int) for p in posts) and posts.between(4, 7).all()
    assert problem["bounds"] == [[0.4, 0.7], [4.0, 7.0]]


def test_a_list_item_field_can_be_a_factor(tmp_path):
    path = tmp_path / "cut.toml"
    cut = (REPO_ROOT / "scenarios" / "levers" / "staffing_cut_10pct.toml").as_posix()
    path.write_text(
        f'name = "cut"\nscenario = "{cut}"\n[design]\nmethod = "grid"\n'
        '[[factors]]\nkey = "staffing.cuts[0].share"\nvalues = [0.05, 0.3]\n'
    )
    experiment, base = load_experiment(path)
    built = plan(experiment, load_scenario(base), str(path))
    assert [c.staffing.cuts[0].share for c in built.configs] == [0.05, 0.3]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("colour = 1\n" + GRID, "exp.toml: colour: unknown key"),
        (
            GRID.replace('"grid"', '"grd"'),
            "exp.toml: design.method: Input should be 'grid', 'lhs', 'sobol' or 'morris' "
            "(got 'grd')",
        ),
        (
            GRID.replace("allocation.cap_per_fte", "allocation.cap_per_ftee"),
            "exp.toml: factors[0].key: not a scenario setting (did you mean 'cap_per_fte'?) "
            "(got 'allocation.cap_per_ftee')",
        ),
        (
            GRID.replace("allocation.cap_per_fte", "allocation"),
            "exp.toml: factors[0].key: allocation is a table, not a value (got 'allocation')",
        ),
        (
            GRID.replace('method = "grid"', 'method = "sobol"'),
            "exp.toml: design: method 'sobol' needs samples",
        ),
        (
            GRID.replace("low = 0.0", "low = 2.0"),
            "exp.toml: factors[1]: low must be below high (got low=2.0, high=1.0)",
        ),
        (
            GRID.replace("values = [12.0, 16.0]", "values = [12.0, 16.0]\nlow = 1.0"),
            "exp.toml: factors[0]: give values or low and high, not both",
        ),
        (
            'outcomes = ["burnout"]\n' + GRID,
            "exp.toml: outcomes: unknown metric(s) ['burnout']",
        ),
        (
            GRID.replace("values = [12.0, 16.0]", "values = [12.0, -3.0]"),
            "exp.toml: design point 4 (allocation.cap_per_fte=-3.0, support.admin_staff=0.0): "
            "allocation.cap_per_fte: Input should be greater than 0 (got -3.0)",
        ),
        (
            GRID.replace('method = "grid"', 'method = "sobol"\nsamples = 12'),
            "exp.toml: design: sobol samples must be a power of two of at least 8 (Sobol' "
            "sequences are balanced only then; got 12: try 8 or 16)",
        ),
        (
            GRID.replace('method = "grid"', 'method = "lhs"\nsamples = 21'),
            "exp.toml: design: lhs samples must be at least 30",
        ),
        (
            GRID.replace('method = "grid"', 'method = "morris"\nsamples = 4\nlevels = 5'),
            "exp.toml: design: morris levels must be even (got 5)",
        ),
        (
            GRID + '[[factors]]\nkey = "support.admin_staff"\nname = "again"\nvalues = [0.5]\n',
            "exp.toml: factors[2].key: support.admin_staff is already factors[1]",
        ),
        (
            GRID.replace('"grid"', '"morris"\nsamples = 4').replace(
                "values = [12.0, 16.0]", "low = 12.0\nhigh = 16.0"
            )
            + '[[factors]]\nkey = "team.social_worker_posts"\nlow = 4\nhigh = 8\n',
            "exp.toml: factors[2]: team.social_worker_posts is a whole number, so Morris needs "
            "whole-number low and high 3 equal steps apart",
        ),
        (
            'set = ["team.social_worker_posts = -1"]\n' + GRID,
            "exp.toml: set: team.social_worker_posts: Input should be greater than or equal to 0 "
            "(got -1)",
        ),
    ],
)
def test_mistakes_name_the_file_and_key(tmp_path, body, expected):
    lines = problems(write(tmp_path, body))
    assert any(line.startswith(expected) or expected in line for line in lines), lines


def test_bad_toml_and_missing_file_are_one_line(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n")
    assert problems(broken)[0].startswith(f"{broken}: line 1")
    assert problems(tmp_path / "absent.toml") == [f"{tmp_path / 'absent.toml'}: file not found"]


def test_toml_literals_round_trip():
    import tomllib

    for value in (True, 3, 0.1 + 0.2, "count", np.int64(4), np.float64(2.5)):
        assert tomllib.loads(f"v = {toml_literal(value)}")["v"] == value


def test_a_missing_base_scenario_names_the_experiment_file_and_key(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text('name = "t"\nscenario = "nowhere.toml"\n' + GRID)
    assert problems(path) == [f"{path}: scenario: file not found: {tmp_path / 'nowhere.toml'}"]


def test_a_base_scenario_that_is_not_a_regular_file_names_the_key(tmp_path):
    os.mkfifo(tmp_path / "pipe.toml")
    path = tmp_path / "exp.toml"
    path.write_text('name = "t"\nscenario = "pipe.toml"\n' + GRID)
    assert problems(path) == [
        f"{path}: scenario: not a regular file (a named pipe): {tmp_path / 'pipe.toml'}"
    ]


@pytest.mark.parametrize(
    "name",
    [
        "point",
        "replication",
        "seed",
        "leavers",
        "overdue_visit_case_days_mean",
        "burnout_prevalence_ci95_low",
        "staff_cost_total_n",
    ],
)
def test_a_factor_named_like_an_output_column_is_refused(tmp_path, name):
    path = write(
        tmp_path,
        GRID.replace(
            'key = "allocation.cap_per_fte"', f'key = "allocation.cap_per_fte"\nname = "{name}"'
        ),
    )
    assert problems(path) == [
        f"{path}: factors[0].name: {name!r} is the name of a column the sweep writes "
        "(runs.parquet: point, replication, seed and every metric; points.parquet: "
        "<outcome>_mean, _ci95_low, _ci95_high, _sd, _n); give the factor another name "
        f"(got {name!r})"
    ]


def test_an_outcome_listed_twice_is_refused(tmp_path):
    path = write(tmp_path, 'outcomes = ["leavers", "burnout_prevalence", "leavers"]\n' + GRID)
    assert problems(path) == [
        f"{path}: outcomes: each outcome may be listed once (got ['leavers'] twice)"
    ]


@pytest.mark.parametrize(
    ("values", "kinds"),
    [('[12.0, "16"]', "numbers and text"), ("[true, 2]", "numbers and true/false")],
)
def test_a_factor_mixing_kinds_of_value_is_refused(tmp_path, values, kinds):
    path = write(tmp_path, GRID.replace("values = [12.0, 16.0]", f"values = {values}"))
    (line,) = problems(path)
    assert line.startswith(f"{path}: factors[0]: values mix {kinds}; a factor's values must all")


def test_collisions_are_refused_before_anything_runs(tmp_path, monkeypatch, capsys):
    from sim.cli.main import main

    path = write(
        tmp_path,
        GRID.replace('key = "support.admin_staff"', 'key = "support.admin_staff"\nname = "seed"'),
    )
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: factors[1].name: 'seed' is the name of a column")
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_an_experiment_file_is_read_within_the_same_limits(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text("x = " + "[" * 500 + "]" * 500 + "\n")
    (line,) = problems(path)
    assert line.startswith(f"{path}: line 1: nested more than")
