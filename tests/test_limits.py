"""Size limits: an organisation or a design too large for memory is refused before it is built."""

from __future__ import annotations

import argparse
import textwrap
import time
from pathlib import Path

import pytest

from sim.cli.compare import load_compared
from sim.cli.main import build_parser, main
from sim.experiments.design import design_size, load_plan
from sim.experiments.experiment import load_experiment
from sim.scenario.loading import ScenarioError, load_scenario
from sim.scenario.schema import Limits, organisation_size, tables_not_kept

REPO_ROOT = Path(__file__).resolve().parent.parent
BASELINE = REPO_ROOT / "scenarios" / "baseline.toml"


def scenario_problems(*settings: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BASELINE, list(settings))
    return caught.value.problems


def test_every_shipped_scenario_and_experiment_is_within_the_default_limits():
    for path in sorted((REPO_ROOT / "scenarios").rglob("*.toml")):
        load_scenario(path)
    for path in sorted((REPO_ROOT / "experiments").glob("*.toml")):
        if not path.name.startswith("calibrat"):
            load_plan(str(path))
    england = load_scenario(REPO_ROOT / "scenarios" / "scale" / "england.toml")
    size = organisation_size(england.simulation, england.team, england.demand)
    assert size["posts"] == 33_000 and 1_000_000 < size["cases"] < Limits().max_cases


def test_posts_are_limited_at_the_boundary():
    at_limit = ["team.n_teams=5", "team.social_worker_posts=10", "limits.max_posts=50"]
    assert load_scenario(BASELINE, at_limit).team.n_teams == 5
    assert scenario_problems(*at_limit[:2], "limits.max_posts=49") == [
        "--set: team: 50 social-worker posts (n_teams=5 × social_worker_posts=10) are more than "
        "the limit of 49; raise limits.max_posts (in the file's [limits] table, or --set "
        "limits.max_posts=50) if the machine has the memory (got 50)"
    ]


def test_the_organisation_in_the_issue_is_refused_at_once():
    started = time.monotonic()
    (line,) = scenario_problems("team.n_teams=5000", "team.social_worker_posts=200")
    assert time.monotonic() - started < 5
    assert line.startswith("--set: team: 1,000,000 social-worker posts")
    assert "the limit of 50,000" in line and "--set limits.max_posts=1000000" in line


def test_worker_day_rows_are_limited_unless_they_are_not_collected():
    base = ["team.social_worker_posts=10", "simulation.days=520"]  # 5,200 rows
    load_scenario(BASELINE, [*base, "limits.max_worker_day_rows=5200"])
    (line,) = scenario_problems(*base, "limits.max_worker_day_rows=5199")
    assert line.startswith("--set: team: 10 posts × 520 days = 5,200 worker-day rows")
    assert "set simulation.collect_worker_days = false" in line
    load_scenario(
        BASELINE,
        [
            *base,
            "limits.max_worker_day_rows=1",
            "limits.max_table_rows=10000000",
            "simulation.collect_worker_days=false",
        ],
    )


def test_cases_are_limited_at_the_boundary():
    config = load_scenario(BASELINE)
    cases = organisation_size(config.simulation, config.team, config.demand)["cases"]
    rate = config.demand.referrals_per_day
    assert cases == round(6 * 15.0 + rate * config.simulation.days)
    load_scenario(BASELINE, [f"limits.max_cases={cases}"])
    (line,) = scenario_problems(f"limits.max_cases={cases - 1}")
    assert f": demand: about {cases:,} cases in a replication (6 posts × " in line
    assert f"--set limits.max_cases={cases}" in line


def test_a_demand_shock_counts_its_extra_referrals():
    config = load_scenario(
        BASELINE, ["demand.shocks=[{start_day = 100, end_day = 200, multiplier = 3.0}]"]
    )
    size = organisation_size(config.simulation, config.team, config.demand)
    rate = config.demand.referrals_per_day
    assert size["cases"] == round(6 * 15.0 + rate * (config.simulation.days + 2 * 100))


def test_rows_kept_over_replications_are_limited():
    config = load_scenario(BASELINE, ["simulation.replications=100"])
    rows = organisation_size(config.simulation, config.team, config.demand)["table_rows"]
    load_scenario(BASELINE, ["simulation.replications=100", f"limits.max_table_rows={rows}"])
    (line,) = scenario_problems("simulation.replications=100", f"limits.max_table_rows={rows - 1}")
    assert f"100 replications × about {rows // 100:,} case and worker-day rows" in line
    assert "run fewer replications" in line


def test_validate_and_run_refuse_alike_with_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(REPO_ROOT)
    sets = ["--set", "team.n_teams=5000", "--set", "team.social_worker_posts=200"]
    for command in (["validate", "scenarios/baseline.toml"], ["run", "scenarios/baseline.toml"]):
        out = ["--out", str(tmp_path / "out")] if command[0] == "run" else []
        assert main([*command, *sets, *out]) == 2
        err = capsys.readouterr().err
        assert err.startswith("--set: team: 1,000,000 social-worker posts") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def write_experiment(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "exp.toml"
    path.write_text(f'name = "t"\nscenario = "{BASELINE.as_posix()}"\n' + textwrap.dedent(body))
    return path


def grid(values_per_factor: int, factors: int = 3) -> str:
    text = '[design]\nmethod = "grid"\n'
    keys = ["demand.referrals_per_day", "allocation.cap_per_fte", "support.admin_staff"]
    for key in keys[:factors]:
        values = ", ".join(f"{0.1 + i / 10_000:.4f}" for i in range(values_per_factor))
        text += f'[[factors]]\nkey = "{key}"\nvalues = [{values}]\n'
    return text


def plan_problems(path: Path, reps: int | None = None) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_plan(str(path), reps)
    return caught.value.problems


def test_a_grid_of_three_factors_by_a_thousand_values_is_refused_before_it_is_built(tmp_path):
    path = write_experiment(tmp_path, grid(1000))
    started = time.monotonic()
    assert plan_problems(path) == [
        f"{path}: design: the grid design has 1,000,000,000 points (1,000 × 1,000 × 1,000 "
        "values), more than the limit of 10,000; raise limits.max_points in the experiment file "
        "if the machine has the time and memory (got 1000000000)"
    ]
    assert time.monotonic() - started < 10


def test_design_points_are_limited_at_the_boundary(tmp_path):
    body = "replications = 1\n" + grid(20, factors=2)  # 400 points
    assert (
        len(
            load_plan(
                str(write_experiment(tmp_path, body + "[limits]\nmax_points = 400\n"))
            ).configs
        )
        == 400
    )
    (line,) = plan_problems(write_experiment(tmp_path, body + "[limits]\nmax_points = 399\n"))
    assert "has 400 points (20 × 20 values), more than the limit of 399" in line


def test_runs_are_limited_at_the_boundary_including_reps_from_the_command_line(tmp_path):
    path = write_experiment(tmp_path, grid(3, factors=2) + "[limits]\nmax_runs = 90\n")  # 9 points
    assert len(load_plan(str(path), reps=10).configs) == 9
    assert plan_problems(path, reps=11) == [
        f"{path}: replications: 9 points × 11 replications = 99 runs, more than the limit of "
        "90; give fewer replications (or --reps), or raise limits.max_runs in the experiment "
        "file (got 99)"
    ]


@pytest.mark.parametrize(
    ("design", "points"),
    [
        ('method = "sobol"\nsamples = 1024', 1024 * 4),
        ('method = "sobol"\nsamples = 1024\nsecond_order = true', 1024 * 6),
        ('method = "morris"\nsamples = 100\nlevels = 4', 100 * 3),
        ('method = "lhs"\nsamples = 500', 500),
    ],
)
def test_sampled_designs_are_counted_by_their_formula(tmp_path, design, points):
    body = f"[design]\n{design}\n"
    for key in ("demand.referrals_per_day", "work.recording_hours_per_visit"):
        body += f'[[factors]]\nkey = "{key}"\nlow = 0.5\nhigh = 0.6\n'
    experiment, _ = load_experiment(write_experiment(tmp_path, body))
    assert design_size(experiment)[0] == points


def test_a_sweep_too_large_exits_2_with_one_line_and_runs_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = write_experiment(tmp_path, grid(1000))
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: design: the grid design has 1,000,000,000 points")
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()


# --- each command checks the limits on what it holds ------------------------------------------

AUTHORITY = REPO_ROOT / "scenarios" / "scale" / "authority.toml"


def compare_args(*extra: str) -> argparse.Namespace:
    return build_parser().parse_args(["compare", str(AUTHORITY), str(AUTHORITY), *extra])


def authority_rows(reps: int) -> int:
    with tables_not_kept():
        config = load_scenario(AUTHORITY, [f"simulation.replications={reps}"])
    return organisation_size(config.simulation, config.team, config.demand)["table_rows"]


def test_run_is_held_to_table_rows_but_compare_of_the_same_scenario_is_not(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(REPO_ROOT)
    rows = authority_rows(200)
    assert rows > Limits().max_table_rows  # 200 replications of 30 teams: too many rows to keep
    at = [f"limits.max_table_rows={rows}"]
    below = [f"limits.max_table_rows={rows - 1}"]
    load_scenario(AUTHORITY, [*at, "simulation.replications=200"])
    out = tmp_path / "out"
    sets = ["--set", below[0]]
    assert main(["run", str(AUTHORITY), "--reps", "200", *sets, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "200 replications × about" in err and f"limit of {rows - 1:,}" in err
    assert f"--set limits.max_table_rows={rows}" in err and err.count("\n") == 1
    assert not out.exists()
    assert main(["validate", str(AUTHORITY), "--set", "simulation.replications=200"]) == 2
    capsys.readouterr()
    # compare keeps a summary and a weekly series per run, not the tables: it is not refused.
    configs = load_compared(compare_args("--reps", "200"))
    assert [c.simulation.replications for c in configs] == [200, 200]
    configs = load_compared(compare_args("--reps", "200", "--set", below[0]))
    assert configs[0].limits.max_table_rows == rows - 1


def test_compare_is_held_to_runs_at_the_boundary(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(REPO_ROOT)
    assert len(load_compared(compare_args("--reps", "200", "--set", "limits.max_runs=400"))) == 2
    with pytest.raises(ScenarioError) as caught:
        load_compared(compare_args("--reps", "200", "--set", "limits.max_runs=399"))
    assert caught.value.problems == [
        "--reps: simulation.replications: 2 scenarios × 200 replications = 400 runs, more than "
        "the limit of 399; give fewer replications (or --reps), or raise limits.max_runs (in "
        "the baseline's [limits] table, or --set limits.max_runs=400) if the machine has the "
        "memory (got 400)"
    ]
    out = tmp_path / "out"
    args = ["--reps", "200", "--set", "limits.max_runs=399", "--out", str(out)]
    assert main(["compare", str(AUTHORITY), str(AUTHORITY), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--reps: simulation.replications: 2 scenarios") and err.count("\n") == 1
    assert not out.exists()


def test_the_compare_runs_error_names_the_set_that_gave_the_replications(monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    sets = ["--set", "simulation.replications=150", "--set", "simulation.replications=200"]
    with pytest.raises(ScenarioError) as caught:
        load_compared(compare_args(*sets, "--set", "limits.max_runs=399"))
    (problem,) = caught.value.problems
    assert problem.startswith(
        "--set simulation.replications=200: simulation.replications: 2 scenarios × 200 "
        "replications = 400 runs, more than the limit of 399"
    )


def test_sweep_and_calibrate_points_are_not_held_to_table_rows(tmp_path):
    from sim.experiments.calibrate import apply_values

    rows = authority_rows(200)
    body = f'name = "t"\nscenario = "{AUTHORITY.as_posix()}"\nreplications = 200\n' + grid(
        2, factors=1
    )
    path = tmp_path / "exp.toml"
    path.write_text(body)
    assert rows > Limits().max_table_rows
    assert len(load_plan(str(path)).configs) == 2
    rows_4 = authority_rows(4)  # the scenario's own 4 replications
    tight = load_scenario(AUTHORITY, [f"limits.max_table_rows={rows_4}"])
    moved = apply_values(tight, {"demand.referrals_per_day": 2.0})  # more cases per replication
    assert moved.demand.referrals_per_day == 2.0
    with pytest.raises(ScenarioError):  # the same point is refused for a run, which keeps tables
        load_scenario(AUTHORITY, [f"limits.max_table_rows={rows_4}", "demand.referrals_per_day=2"])
