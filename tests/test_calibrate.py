"""``caseload calibrate``: the objective, the parameter space, reproducibility and recovery.

The model runs here are short (a few hundred days, a handful of replications) so the file stays
cheap; the calibration of the real baseline is reported in docs/calibration.md.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from sim.cli.calibrate import report
from sim.experiments.calibrate import (
    SEARCH_RANGES,
    CalibrationResult,
    Evaluation,
    EvaluationCache,
    FittedParameter,
    ParameterSpec,
    ReplicationPool,
    apply_values,
    calibrate,
    load_calibration,
    parse_params,
    resolve_parameters,
)
from sim.experiments.calibrate_options import DEFAULT_PARAMETERS
from sim.experiments.targets import TARGETS, TARGETS_BY_METRIC, objective
from sim.scenario.catalogue import default_scenario, repo_root
from sim.scenario.loading import ScenarioError, load_scenario
from tests.conftest import as_at_a_terminal

SHORT = [
    "simulation.days=300",
    "simulation.warmup_days=100",
    "simulation.collect_worker_days=false",
]


@pytest.fixture(scope="module")
def short_baseline():
    return load_scenario(default_scenario(), SHORT)


# --- the objective -----------------------------------------------------------------------------


def test_objective_is_zero_at_every_central_value():
    assert objective({t.metric: t.central for t in TARGETS}) == 0.0


def test_objective_of_a_known_deviation():
    means = {t.metric: t.central for t in TARGETS}
    means["caseload_per_fte_mean"] = 17.0  # one half-range (1 case) above 16
    means["turnover_rate_annual"] = 0.14 - 2 * 0.0275  # two half-ranges below
    assert objective(means) == pytest.approx(1.0 + 4.0)
    weights = {"caseload_per_fte_mean": 3.0, "turnover_rate_annual": 0.5}
    assert objective(means, weights) == pytest.approx(3.0 * 1.0 + 0.5 * 4.0)


def test_range_ends_are_one_standardised_deviation_from_a_symmetric_centre():
    target = TARGETS_BY_METRIC["vacancy_rate"]
    assert target.deviation(target.high) == pytest.approx(1.0)
    assert target.deviation(target.low) == pytest.approx(-1.0)


def test_undefined_mean_makes_the_objective_infinite_unless_its_weight_is_zero():
    means = {t.metric: t.central for t in TARGETS}
    means["vacancy_rate"] = math.nan
    assert objective(means) == math.inf
    assert objective(means, {"vacancy_rate": 0.0}) == 0.0


# --- the parameter space and the calibration file ----------------------------------------------


def _problems(call) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        call()
    return caught.value.problems


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            ParameterSpec(key="demand.referals_per_day"),
            "parameters[0].key: not a scenario parameter; did you mean "
            "'demand.referrals_per_day'? (got 'demand.referals_per_day')",
        ),
        (ParameterSpec(key="simulation.days", low=100, high=200), "not real-valued"),
        (ParameterSpec(key="staffing.recruitment", low=1, high=2), "name a number inside it"),
        (
            ParameterSpec(key="demand.referrals_per_day", low=0.8, high=0.4),
            "parameters[0].high: must be greater than low (got low=0.8, high=0.4)",
        ),
        (
            ParameterSpec(key="demand.referrals_per_day", low=-1.0, high=0.5),
            "parameters[0].low: not allowed by the scenario schema: "
            "demand.referrals_per_day: Input should be greater than or equal to 0",
        ),
        (
            ParameterSpec(key="demand.referrals_per_day", low=0.4, high=0.5, start=0.6),
            "parameters[0].start: the start value 0.6 lies outside the search range [0.4, 0.5]",
        ),
        (
            ParameterSpec(key="demand.referrals_per_day", low=0.6, high=0.7),
            "parameters[0].low: the start value 0.44 lies outside the search range [0.6, 0.7] "
            "(the start is the scenario's value)",
        ),
        (ParameterSpec(key="risk.volatility_per_day"), "has no documented search range"),
    ],
)
def test_parameter_problems_name_the_file_and_key(short_baseline, spec, expected):
    problems = _problems(lambda: resolve_parameters([spec], short_baseline, "cal.toml"))
    assert len(problems) == 1
    assert problems[0].startswith("cal.toml: parameters[0]")
    assert expected in problems[0]


def test_a_parameter_named_twice_is_an_error(short_baseline):
    specs = [ParameterSpec(key="demand.referrals_per_day")] * 2
    problems = _problems(lambda: resolve_parameters(specs, short_baseline, "cal.toml"))
    assert problems == ["cal.toml: parameters[1].key: demand.referrals_per_day is named twice"]


def test_documented_ranges_and_scenario_starts_fill_in(short_baseline):
    specs = [
        ParameterSpec(key="demand.referrals_per_day"),
        ParameterSpec(key="case_types.child_in_need.casework_hours_per_week", low=0.2, high=1),
    ]
    parameters = resolve_parameters(specs, short_baseline, "--params")
    assert parameters == [
        FittedParameter("demand.referrals_per_day", 0.3, 0.6, 0.44),
        FittedParameter("case_types.child_in_need.casework_hours_per_week", 0.2, 1.0, 0.5),
    ]


def test_params_flag_parses_keys_and_ranges():
    specs = parse_params("demand.referrals_per_day, staffing.leave_rate_per_year=0.05:0.1")
    assert specs == [
        ParameterSpec(key="demand.referrals_per_day"),
        ParameterSpec(key="staffing.leave_rate_per_year", low=0.05, high=0.1),
    ]
    problems = _problems(lambda: parse_params("demand.referrals_per_day=low:high"))
    assert problems == [
        "--params: demand.referrals_per_day: expected key=LOW:HIGH with numbers "
        "(got 'demand.referrals_per_day=low:high')"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('paramters = []\n[[parameters]]\nkey = "a"\n', "paramters: unknown key; did you mean "),
        ('reps = "many"\n[[parameters]]\nkey = "a"\n', "reps: Input should be a valid integer"),
        ("reps = 1\n[[parameters]]\nkey = 'a'\n", "reps: Input should be greater than or equal"),
        ('method = "bfgs"\n[[parameters]]\nkey = "a"\n', "method: Input should be"),
        ("[[parameters]]\nkey = 'a'\nlow = '0.1'\n", "parameters[0].low: Input should be a valid"),
        ("[[parameters]]\nkey = 'a'\nhgh = 1\n", "parameters[0].hgh: unknown key; did you mean"),
        ("scenario = 'x.toml'\n", "parameters: Field required"),
        ("[[parameters]]\nkey = 'a'\n[weights]\nvacancy = 2\n", "weights.vacancy: not a calib"),
        ("[[parameters]]\nkey = 'a'\n[weights]\nvacancy_rate = -1\n", "weights.vacancy_rate: "),
        ("[[parameters]]\nkey = = 'a'\n", "invalid TOML"),
    ],
)
def test_calibration_file_problems_are_one_line_each(tmp_path, text, expected):
    path = tmp_path / "cal.toml"
    path.write_text(text, encoding="utf-8")
    problems = _problems(lambda: load_calibration(path))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}: ")
    assert expected in problems[0]
    assert "\n" not in problems[0]


def test_all_weights_zero_is_an_error(tmp_path):
    path = tmp_path / "cal.toml"
    zeros = "\n".join(f"{t.metric} = 0" for t in TARGETS)
    path.write_text(f"[[parameters]]\nkey = 'a'\n[weights]\n{zeros}\n", encoding="utf-8")
    assert _problems(lambda: load_calibration(path)) == [
        f"{path}: weights: every target has weight 0; nothing to fit"
    ]


def test_the_shipped_calibration_file_matches_the_defaults(short_baseline):
    path = repo_root() / "experiments" / "calibrate_baseline.toml"
    spec = load_calibration(path)
    assert [p.key for p in spec.parameters] == list(DEFAULT_PARAMETERS)
    for p in spec.parameters:
        assert (p.low, p.high) == (SEARCH_RANGES[p.key].low, SEARCH_RANGES[p.key].high)
    assert load_scenario(spec.scenario).name == "baseline"
    assert resolve_parameters(spec.parameters, short_baseline, str(path))


# --- fitting -----------------------------------------------------------------------------------


def _fit(config, workers, seed=11, cache=None, max_evals=4, reps=3):
    # The documented range, started at the scenario's own value (the command's default), so the
    # start point is ``config`` itself.
    parameters = [FittedParameter("demand.referrals_per_day", 0.3, 0.6, 0.44)]
    with ReplicationPool(workers=workers) as pool:
        return calibrate(
            config,
            parameters,
            pool,
            reps=reps,
            master_seed=seed,
            max_evals=max_evals,
            check_reps=2,
            cache=cache,
        )


def _trace(result):
    checks = [result.check, result.check_start]
    return [(e.values, e.objective, e.summary) for e in [*result.evaluations, *checks]]


def test_same_seed_same_fit_whatever_the_number_of_workers(short_baseline):
    serial = _fit(short_baseline, workers=1)
    parallel = _fit(short_baseline, workers=2)
    assert len(serial.evaluations) == 4
    assert _trace(serial) == _trace(parallel)
    assert serial.best.values == parallel.best.values
    other_seed = _fit(short_baseline, workers=1, seed=12)
    assert other_seed.start.objective != serial.start.objective


def test_cached_evaluations_are_reused_and_give_the_same_fit(short_baseline, tmp_path):
    cache = EvaluationCache(tmp_path / "cache")
    first = _fit(short_baseline, workers=1, cache=cache, max_evals=3)
    assert first.cached == 0
    longer = _fit(short_baseline, workers=1, cache=cache, max_evals=5)
    assert longer.cached == 3  # the first three points replayed from the cache
    assert _trace(longer)[:3] == _trace(first)[:3]
    assert len(longer.evaluations) == 5


def test_powell_searches_within_bounds_and_budget():
    config = load_scenario(default_scenario(), ["simulation.days=200", "simulation.warmup_days=50"])
    parameters = [
        FittedParameter("demand.referrals_per_day", 0.4, 0.8, 0.57),
        FittedParameter("staffing.leave_rate_per_year", 0.02, 0.15, 0.068),
    ]
    with ReplicationPool(workers=1) as pool:
        result = calibrate(
            config, parameters, pool, reps=2, max_evals=5, method="powell", check_reps=0
        )
    assert [e.index for e in result.evaluations] == [1, 2, 3, 4, 5]
    assert result.start.values == {
        "demand.referrals_per_day": 0.57,
        "staffing.leave_rate_per_year": 0.068,
    }
    assert "budget" in result.stop_reason and not result.converged
    for evaluation in result.evaluations:
        for p in parameters:
            assert p.low <= evaluation.values[p.key] <= p.high
    assert result.best.objective == min(e.objective for e in result.evaluations)
    assert result.check is None


@pytest.mark.slow
def test_calibration_recovers_the_referral_rate(short_baseline):
    """Start far above the calibrated 0.44 fresh referrals a day; fitting caseload brings it back.

    Caseload per FTE rises with the referral rate (about 16 at 0.44 and 17.5 at 0.58 with
    re-referrals on top; less steeply than before the front door, whose threshold tightens as
    caseloads grow: a balancing loop), so a fit to the caseload target alone must come back
    below 0.56 (0.38-0.56: above 0.5 the caseload is within a case of its target) and
    bring the mean caseload within its published range. Eight replications an evaluation:
    a run's caseload varies with sd about 1.7 cases per FTE, and a change of referral rate gives
    each run other referrals (common random numbers keep the risk path of each referral, not
    which referrals arrive), so with four the mean's noise (about 0.85) is as large as what the
    first simplex step changes (about 0.9) and the search can stop on a noisy low.
    """
    far = FittedParameter("demand.referrals_per_day", 0.3, 0.8, 0.7)
    weights = {t.metric: 0.0 for t in TARGETS} | {"caseload_per_fte_mean": 1.0}
    with ReplicationPool(workers=1) as pool:
        result = calibrate(
            short_baseline,
            [far],
            pool,
            reps=8,
            master_seed=3,
            weights=weights,
            max_evals=12,
            check_reps=0,
        )
    start_caseload = result.start.means["caseload_per_fte_mean"]
    fitted_caseload = result.best.means["caseload_per_fte_mean"]
    assert start_caseload > 18.0  # the start really is off target
    assert 0.38 <= result.best.values["demand.referrals_per_day"] <= 0.56
    assert 15.0 <= fitted_caseload <= 17.0
    assert result.best.objective < result.start.objective / 10


# --- the command -------------------------------------------------------------------------------


def test_calibrate_command_end_to_end(run_caseload, tmp_path):
    out = tmp_path / "cal"
    done = run_caseload(
        "calibrate",
        "--params",
        "demand.referrals_per_day",
        "--reps",
        "2",
        "--max-evals",
        "3",
        "--check-reps",
        "2",
        "--workers",
        "1",
        "--days",
        "200",
        "--set",
        "simulation.warmup_days=50",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert "Fit to the calibration targets" in done.stdout
    for target in TARGETS:
        assert target.metric in done.stdout
    assert "evaluation 3/3" in done.stderr and "check of the fit" in done.stderr
    report = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    assert report["evaluations"] == 3
    assert report["replications_per_evaluation"] == 2
    [parameter] = report["parameters"]
    assert parameter["key"] == "demand.referrals_per_day" and parameter["start"] == 0.44
    assert {row["metric"] for row in report["targets"]} == set(TARGETS_BY_METRIC)
    evaluations = pd.read_parquet(out / "evaluations.parquet")
    moved = parameter["fitted"] != parameter["start"]
    assert list(evaluations["kind"]) == ["search"] * 3 + ["check"] + ["check_start"] * moved
    search_rows = evaluations[evaluations["kind"] == "search"]
    # The fit is the search's best; a check on fresh random numbers may score lower by luck.
    assert search_rows["objective"].min() == pytest.approx(report["objective"]["fitted"])
    assert list(evaluations["evaluation"]) == [1, 2, 3, 4, 5][: 4 + moved]
    check_start = evaluations[evaluations["kind"] == "check_start"]
    assert report["objective"]["check_start"] == pytest.approx(
        check_start["objective"].iloc[0] if moved else report["objective"]["check"]
    )
    assert "at the start;" in done.stdout
    verdicts = ["nothing better than the start"] if not moved else ["beats the start", "NOT beat"]
    assert any(verdict in done.stdout for verdict in verdicts)
    search = evaluations[evaluations["kind"] == "search"]
    best = search.sort_values(["objective", "evaluation"]).iloc[0]
    assert f"fitted (evaluation {best['evaluation']})" in done.stdout
    assert best["demand.referrals_per_day"] == parameter["fitted"]
    fitted = load_scenario(out / "calibrated.toml")
    assert fitted.demand.referrals_per_day == parameter["fitted"]
    assert fitted.name == "baseline-calibrated"
    assert fitted.simulation.days == 780  # the scenario as given, not the short calibration runs
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == {"calibration.json", "evaluations.parquet", "calibrated.toml"}

    rerun = run_caseload(*_small(out), "--max-evals", "3")
    assert rerun.returncode == 0, rerun.stderr
    assert "(3 from the cache)" in rerun.stdout


def _small(out):
    return (
        "calibrate",
        "--params",
        "demand.referrals_per_day",
        "--reps",
        "2",
        "--check-reps",
        "0",
        "--workers",
        "1",
        "--days",
        "200",
        "--set",
        "simulation.warmup_days=50",
        "--out",
        str(out),
    )


def test_malformed_calibration_file_exits_2_with_one_line(run_caseload, tmp_path):
    cal = tmp_path / "cal.toml"
    cal.write_text('[[parameters]]\nkey = "demand.referrals_per_day"\nlow = "x"\n')
    done = run_caseload("calibrate", "--calibration", str(cal), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        f"{cal}: parameters[0].low: Input should be a valid number (got 'x')"
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--params", "demand.referals_per_day"],
            "--params: demand.referals_per_day: not a scenario parameter; did you mean "
            "'demand.referrals_per_day'? (got 'demand.referals_per_day')",
        ),
        (
            ["--params", "demand.referrals_per_day=0.9:0.8"],
            "--params: demand.referrals_per_day: must be greater than low (got low=0.9, high=0.8)",
        ),
        (["--calibration", "no-such-file.toml"], "no-such-file.toml: file not found"),
        (["--params", "=0.1:0.2"], "--params: expected KEY or KEY=LOW:HIGH (got '=0.1:0.2')"),
    ],
)
def test_bad_calibration_input_exits_2_with_one_line(run_caseload, tmp_path, args, expected):
    done = run_caseload("calibrate", *args, "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [expected]


def test_ctrl_c_keeps_finished_evaluations_for_the_rerun(run_caseload, tmp_path):
    out = tmp_path / "cal"
    script = shutil.which("caseload", path=str(Path(sys.executable).parent))
    args = [*_small(out), "--max-evals", "6"]
    with subprocess.Popen(
        [script, *args],
        cwd=repo_root(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_at_a_terminal,
    ) as process:
        for line in process.stderr:
            if line.startswith("evaluation 2/6"):
                process.send_signal(signal.SIGINT)
                break
        rest = process.stderr.read()
        assert process.wait(timeout=120) == 130
    assert "interrupted; finished evaluations are cached" in rest
    assert "Traceback" not in rest
    assert not (out / "calibration.json").exists()
    rerun = run_caseload(*args)
    assert rerun.returncode == 0, rerun.stderr
    cached = int(rerun.stdout.split(" from the cache")[0].rsplit("(", 1)[1])
    assert cached >= 2


def _hand_evaluation(index, referrals, caseload, seed=1):
    summary = {
        t.metric: {"mean": t.central, "ci95_low": t.low, "ci95_high": t.high, "n": 5}
        for t in TARGETS
    }
    summary["caseload_per_fte_mean"] = {"mean": caseload, "ci95_low": 0, "ci95_high": 30, "n": 5}
    means = {key: stats["mean"] for key, stats in summary.items()}
    values = {"demand.referrals_per_day": referrals}
    return Evaluation(index, values, objective(means), summary, seed, 5)


@pytest.mark.parametrize(
    ("check_fit", "check_start", "verdict"),
    [
        (16.5, 18.0, "the fit beats the start on fresh random numbers"),
        (18.0, 16.5, "the fit does NOT beat the start on fresh random numbers"),
    ],
)
def test_report_says_whether_the_fit_beats_the_start(check_fit, check_start, verdict):
    start = _hand_evaluation(1, 0.7, 18.0)
    best = _hand_evaluation(2, 0.6, 16.2)
    result = CalibrationResult(
        parameters=[FittedParameter("demand.referrals_per_day", 0.4, 0.8, 0.7)],
        weights={t.metric: 1.0 for t in TARGETS},
        reps=5,
        master_seed=1,
        method="nelder-mead",
        max_evals=2,
        evaluations=[start, best],
        start=start,
        best=best,
        stop_reason="evaluation budget spent (2 evaluations)",
        converged=False,
        check=_hand_evaluation(3, 0.6, check_fit, seed=2),
        check_start=_hand_evaluation(4, 0.7, check_start, seed=2),
        check_seed=2,
    )
    console = Console(width=160, record=True)
    for part in report(result, 12.0):
        console.print(part, soft_wrap=True)
    text = console.export_text()
    assert "Objective: 4.000 at the start, 0.040 fitted (evaluation 2)" in text
    assert verdict in text
    assert "caseload_per_fte_mean" in text and "+0.20" in text


def test_starting_values_that_are_invalid_together_are_reported_up_front(tmp_path):
    base = load_scenario(default_scenario())
    prefix = "case_types.child_protection.next_type."
    specs = [
        ParameterSpec(key=prefix + "looked_after", low=0.0, high=0.5, start=0.5),
        ParameterSpec(key=prefix + "child_in_need", low=0.4, high=0.9, start=0.9),
    ]
    with pytest.raises(ScenarioError) as caught:
        resolve_parameters(specs, base, "cal.toml")
    assert len(caught.value.problems) == 1
    line = caught.value.problems[0]
    assert line.startswith("cal.toml: the starting values together: case_types.child_protection")
    assert "add up to more than 1" in line


def test_a_point_invalid_together_is_infeasible_not_fatal():
    base = load_scenario(default_scenario(), ["simulation.warmup_days=10"], days=30)
    prefix = "case_types.child_protection.next_type."
    parameters = [  # start at a total of 0.95: the first simplex steps (+0.09) go over 1
        FittedParameter(prefix + "looked_after", 0.0, 0.9, 0.45),
        FittedParameter(prefix + "child_in_need", 0.0, 0.9, 0.5),
    ]
    with ReplicationPool(workers=1) as pool:
        result = calibrate(base, parameters, pool, reps=2, max_evals=6, check_reps=0)
    infeasible = [e for e in result.evaluations if math.isinf(e.objective)]
    assert infeasible, "the test should reach an infeasible point"
    assert math.isfinite(result.best.objective)
    for evaluation in result.evaluations:
        total = sum(evaluation.values.values())
        assert math.isinf(evaluation.objective) == (total > 1 + 1e-9)


def test_default_ranges_widen_for_a_busier_scenario():
    authority = load_scenario(repo_root() / "scenarios" / "scale" / "authority.toml")
    specs = [ParameterSpec(key=key) for key in DEFAULT_PARAMETERS]
    parameters = {p.key: p for p in resolve_parameters(specs, authority, "default parameters")}
    rate = parameters["demand.referrals_per_day"]
    assert rate.low <= rate.start <= rate.high
    assert rate.start == authority.demand.referrals_per_day


# --- the evaluation cache holds data only, and a damaged entry is evaluated again ---------------


@pytest.fixture(scope="module")
def cached_summary():
    from sim.runs.replications import run_replications, summarise

    config = load_scenario(default_scenario(), ["simulation.days=40", "simulation.warmup_days=10"])
    summary = summarise(run_replications(config, 1, 5, workers=1))  # one: SD and CI NaN
    assert any(math.isnan(stats["sd"]) for stats in summary.values()), "a NaN is exercised"
    return summary


def _same_summary(a, b) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)  # NaN equals NaN here


def _planted(key: str, summary) -> str:
    """A cache file with a checksum that matches its (wrong) content, as a careful forger would."""
    from sim.experiments.calibrate import CACHE_FORMAT, _cache_checksum

    entry = {"format": CACHE_FORMAT, "key": key, "summary": summary}
    return json.dumps({**entry, "sha256": _cache_checksum(key, summary)})


def test_a_cached_evaluation_round_trips_its_summary_exactly(tmp_path, cached_summary):
    cache = EvaluationCache(tmp_path)
    cache.save("k" * 24, cached_summary)
    assert "NaN" not in (tmp_path / f"{'k' * 24}.json").read_text()  # strict JSON: null
    back = cache.load("k" * 24)
    assert _same_summary(back, cached_summary)
    assert all(isinstance(stats["n"], int) for stats in back.values())


def _damage(path: Path, kind: str, summary, tmp_path: Path) -> None:
    from sim.experiments.calibrate import _summary_data

    data = _summary_data(summary)
    metric = next(iter(data))
    key = path.stem
    if kind == "not-a-dict":
        path.write_text("[1, 2, 3]")
    elif kind == "summary-not-a-dict":
        path.write_text(_planted(key, [1, 2]))
    elif kind == "wrong-type":
        path.write_text(_planted(key, {**data, metric: {**data[metric], "mean": "12"}}))
    elif kind == "n-not-a-count":
        path.write_text(_planted(key, {**data, metric: {**data[metric], "n": True}}))
    elif kind == "nan-string":
        path.write_text(_planted(key, {**data, metric: {**data[metric], "mean": "NaN"}}))
    elif kind == "nan-literal":
        path.write_text(path.read_text().replace("null", "NaN", 1))
    elif kind == "missing-metric":
        path.write_text(_planted(key, {k: v for k, v in data.items() if k != metric}))
    elif kind == "flipped":
        path.write_text(path.read_text().replace('"n": 1', '"n": 2', 1))
    elif kind == "truncated":
        path.write_text(path.read_text()[:-30])
    elif kind == "another-key":
        path.write_text(_planted("x" * 24, data))
    elif kind == "nested":
        path.write_text("[" * 100_000 + "]" * 100_000)
    elif kind == "huge":
        with path.open("wb") as handle:
            handle.truncate(64 << 20)  # sparse: 64 MiB it must not read
    elif kind == "binary":
        path.write_bytes(bytes(range(256)) * 4)
    elif kind == "fifo":
        path.unlink()
        os.mkfifo(path)  # opening it for reading would block the command
    elif kind == "symlink":
        genuine = tmp_path / "elsewhere.json"
        shutil.copy(path, genuine)
        path.unlink()
        path.symlink_to(genuine)
    elif kind == "directory":
        path.unlink()
        path.mkdir()
    else:
        raise AssertionError(kind)


DAMAGE = [
    "not-a-dict",
    "summary-not-a-dict",
    "wrong-type",
    "n-not-a-count",
    "nan-string",
    "nan-literal",
    "missing-metric",
    "flipped",
    "truncated",
    "another-key",
    "nested",
    "huge",
    "binary",
    "fifo",
    "symlink",
    "directory",
]


@pytest.mark.parametrize("kind", DAMAGE)
def test_a_damaged_cache_entry_is_ignored_with_one_warning_and_replaced(
    tmp_path, cached_summary, kind
):
    folder = tmp_path / "cache"
    key = "a" * 24
    EvaluationCache(folder).save(key, cached_summary)
    path = folder / f"{key}.json"
    _damage(path, kind, cached_summary, tmp_path)
    warnings: list[str] = []
    cache = EvaluationCache(folder, warn=warnings.append)
    assert cache.load(key) is None
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: {path}: "), warnings
    assert warnings[0].endswith("; ignored, the point is evaluated again")
    assert "\n" not in warnings[0]
    if kind == "directory":
        return  # not ours to remove: the point is evaluated and kept in memory only
    cache.save(key, cached_summary)  # the recomputed evaluation replaces whatever was there
    assert _same_summary(EvaluationCache(folder).load(key), cached_summary)
    if kind == "symlink":
        assert not path.is_symlink() and (tmp_path / "elsewhere.json").exists()


def test_a_damaged_cache_entry_is_evaluated_again_in_a_fit(short_baseline, tmp_path, capsys):
    cache = EvaluationCache(tmp_path / "cache")
    first = _fit(short_baseline, workers=1, cache=cache, max_evals=3)
    start_key = cache.key(apply_values(short_baseline, first.start.values), 3, 11)
    (tmp_path / "cache" / f"{start_key}.json").write_text('{"format": 1}')
    again = _fit(short_baseline, workers=1, cache=cache, max_evals=3)
    assert again.cached == 2  # the damaged start point ran again, the other two were reused
    assert capsys.readouterr().err.count("warning:") == 1
    assert _trace(again) == _trace(first)


@pytest.mark.parametrize("kind", ["file", "symlink"])
def test_a_cache_folder_that_is_not_a_folder_is_removed_with_one_warning(
    tmp_path, cached_summary, kind
):
    folder = tmp_path / "cache"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if kind == "file":
        folder.write_text("not a folder")
    else:
        folder.symlink_to(elsewhere)
    warnings: list[str] = []
    cache = EvaluationCache(folder, warn=warnings.append)
    assert cache.load("b" * 24) is None
    cache.save("b" * 24, cached_summary)
    assert warnings == [f"warning: {folder}: not a folder; removed, its evaluations are done again"]
    assert folder.is_dir() and not folder.is_symlink() and not any(elsewhere.iterdir())
    assert _same_summary(EvaluationCache(folder).load("b" * 24), cached_summary)
