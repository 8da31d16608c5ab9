"""``caseload validation``: the pass rule, each target's extraction, the command and its docs.

The extraction tests build small tables whose answer is known by hand, and check the real
extraction on a short real run against quantities the model reports another way (the summary's
burnout prevalence, the case book's arrival and closure days). The slow test reruns the command
written in ``docs/validation.md`` and holds the file to what it writes, so the doc cannot drift.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import shlex
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.engine.run import run
from sim.experiments import validation as v
from sim.experiments.targets import TARGETS
from sim.scenario.catalogue import default_scenario, repo_root
from sim.scenario.loading import load_scenario
from tests.conftest import caseload

NAN = math.nan
GOOD = "tests/data/good.toml"


# --- the pass rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mean", "ci_low", "ci_high", "expected"),
    [  # the range is [0.2, 0.3]
        (0.25, 0.22, 0.28, True),  # inside
        (0.35, 0.30, 0.40, True),  # touches the top end exactly
        (0.35, 0.3000001, 0.40, False),  # just above it
        (0.15, 0.10, 0.20, True),  # touches the bottom end exactly
        (0.15, 0.10, 0.1999999, False),  # just below it
        (0.25, 0.10, 0.40, True),  # wider than the range on both sides
        (0.4, NAN, NAN, False),  # one replication, mean outside
        (0.3, NAN, NAN, True),  # one replication, mean on the end
        (NAN, NAN, NAN, False),  # undefined everywhere
    ],
)
def test_pass_rule_at_its_boundaries(mean, ci_low, ci_high, expected):
    assert v.passes(mean, ci_low, ci_high, 0.2, 0.3) is expected


def test_a_target_not_modelled_fails_even_inside_its_range():
    target = dataclasses.replace(
        v.VALIDATION_TARGETS_BY_KEY["looked_after_2plus_worker_changes_share"],
        mechanism_needed="a mechanism the model does not have",
    )
    (assessment,) = v.assess_values({target.key: [0.24, 0.25, 0.26]}, [target])
    assert assessment.stats["mean"] == pytest.approx(0.25)
    assert (assessment.status, assessment.passed) == (v.NOT_MODELLED, False)


def test_assessment_statistics_and_verdict_come_from_the_values():
    target = v.VALIDATION_TARGETS_BY_KEY["leavers_under_5_years_share"]  # range 0.60-0.75
    inside = v.assess_values({target.key: [0.5, 0.7, NAN, 0.9]}, [target])[0]
    assert inside.stats["n"] == 3 and inside.stats["mean"] == pytest.approx(0.7)
    assert inside.status == v.PASS
    outside = v.assess_values({target.key: [0.30, 0.31, 0.32]}, [target])[0]
    assert outside.status == v.FAIL
    assert v.assess_values({target.key: [NAN, NAN]}, [target])[0].status == v.FAIL


def test_a_pass_with_an_interval_wider_than_the_range_is_marked_wide():
    target = v.VALIDATION_TARGETS_BY_KEY["leavers_under_5_years_share"]  # range 0.60-0.75
    tight = v.assess_values({target.key: [0.66, 0.67, 0.68]}, [target])[0]
    wide = v.assess_values({target.key: [0.2, 0.7, 1.0]}, [target])[0]
    assert (tight.passed, tight.is_wide) == (True, False)
    assert (wide.passed, wide.is_wide) == (True, True)
    assert v.assess_values({target.key: [0.5]}, [target])[0].is_wide is False  # no interval
    frame = v.assessment_frame([tight, wide])
    assert list(frame["interval_wider_than_range"]) == [False, True]


def test_calibration_targets_are_read_from_targets_py_not_copied():
    for target in TARGETS:
        row = v.VALIDATION_TARGETS_BY_KEY[target.metric]
        assert (row.central, row.low, row.high) == (target.central, target.low, target.high)
    assert [t.key for t in v.VALIDATION_TARGETS[: len(TARGETS)]] == [t.metric for t in TARGETS]


def test_every_target_cites_a_source_with_a_year_and_an_address():
    for target in v.VALIDATION_TARGETS:
        assert re.search(r"\b(19|20)\d\d\b", target.source), target.key
        assert target.urls and all(u.startswith(("http://", "https://")) for u in target.urls)
        assert target.low < target.high
        assert target.is_modelled == (not target.mechanism_needed)
    not_modelled = {t.key for t in v.VALIDATION_TARGETS if not t.is_modelled}
    assert not_modelled == set()


# --- extraction from hand-built tables ----------------------------------------------------------


class Tables:
    """The fields of a ``RunResult`` the extraction reads."""

    def __init__(self, **tables: pd.DataFrame) -> None:
        self.summary: dict[str, float] = {}
        for name in ("daily", "workers", "worker_days", "cases"):
            setattr(self, name, tables.get(name, pd.DataFrame()))


@pytest.fixture(scope="module")
def config():
    """A 100-day scenario measured from day 40."""
    return load_scenario(GOOD, ["simulation.days=100", "simulation.warmup_days=40"])


def _worker_days(rows):
    """Worker-day rows ``(day, worker, is_agency, is_burnt_out)``."""
    return pd.DataFrame(rows, columns=["day", "worker", "is_agency", "is_burnt_out"])


def test_experience_counts_from_hire_not_from_service_before_day_0(config):
    workers = pd.DataFrame(
        {
            # worker 0: day-0 staff with 0.9 years at day 0 and 5 years' service in the post:
            # its experience on day 78 is 0.9 + 78/260 = 1.2 years (2nd year), not 0.9 + 5.3.
            # worker 1: hired on day 50 with 4 years; worker 2: day-0 staff with 0.5 years.
            "worker": [0, 1, 2],
            "experience_years_at_start": [0.9, 4.0, 0.5],
            "day_started": [-1300, 50, 0],
        }
    )
    days = _worker_days(
        [
            (30, 0, False, True),  # warm-up: not counted
            (40, 0, False, False),  # 0.9 + 40/260 = 1.05 years: 2nd-3rd
            (78, 0, False, True),  # 2nd-3rd
            (60, 1, False, True),  # 4.04 years: 4th-5th
            (61, 1, False, False),
            (50, 2, False, True),  # 0.69 years: first year
            (99, 2, False, True),  # 0.88 years: first year
        ]
    )
    result = Tables(workers=workers, worker_days=days)
    shares = v.burnout_by_experience(result, config)
    assert shares["first year (ASYE)"] == 1.0
    assert shares["2nd-3rd year"] == 0.5
    assert shares["4th-5th year"] == 0.5
    assert math.isnan(shares["6-10 years"]) and math.isnan(shares["over 10 years"])
    overall = 4 / 6
    assert v.burnout_gap_years_2_3_vs_all(result, config) == pytest.approx(0.5 - overall)
    assert v.burnout_gap_years_2_3_vs_first_year(result, config) == pytest.approx(0.5 - 1.0)


def test_agency_against_permanent(config):
    days = _worker_days(
        [
            *[(50, 0, False, True), (51, 0, False, True), (52, 0, False, False)],
            *[(53, 0, False, True), (50, 1, True, True), (51, 1, True, False)],
            (10, 1, True, True),  # warm-up
        ]
    )
    result = Tables(worker_days=days)
    assert v.burnout_by_employment(result, config) == {"permanent": 0.75, "agency": 0.5}
    assert v.burnout_gap_agency_vs_permanent(result, config) == pytest.approx(0.5 - 0.75)
    no_agency = Tables(worker_days=days[~days["is_agency"]])
    assert math.isnan(v.burnout_gap_agency_vs_permanent(no_agency, config))


def test_leavers_service_counts_permanent_leavers_in_the_window(config):
    workers = pd.DataFrame(
        {
            "is_agency": [False, False, False, True, False, False],
            "day_started": [-1400, -200, 30, 0, -2000, 10],
            "day_left": [60, 70, 80, 90, 20, -1],
            "left_reason": ["left", "left", "post cut", "left", "left", ""],
        }
    )
    # In the window: workers 0 (1,460 days' service: 5.6 years), 1 (270 days), 2 (50 days);
    # worker 3 is agency, 4 left in the warm-up, 5 is still in post.
    result = Tables(workers=workers)
    assert v.leavers_under_5_years_share(result, config) == pytest.approx(2 / 3)
    assert math.isnan(v.leavers_under_5_years_share(Tables(workers=workers.iloc[3:]), config))


def test_looked_after_changes_are_the_summary_key():
    result = SimpleNamespace(summary={"looked_after_2plus_worker_changes_share": 0.23})
    assert v.looked_after_2plus_changes(result, None) == pytest.approx(0.23)


# --- extraction from a real run -----------------------------------------------------------------


@pytest.fixture(scope="module")
def real():
    """One short replication of the baseline: 300 days, 100 of warm-up."""
    config = load_scenario(
        str(default_scenario()), ["simulation.days=300", "simulation.warmup_days=100"]
    )
    return config, run(config, seed=20261125)


def test_real_run_calibration_values_are_the_summary_metrics(real):
    config, result = real
    values = v.measure_replication(result, config)
    for target in TARGETS:
        assert values[target.metric] == result.summary[target.metric]
    assert config.re_referral.enabled  # on by default: the target is the summary's rate
    assert values["re_referral_rate_12m"] == result.summary["re_referral_rate_12m"]
    assert 0.0 < values["re_referral_rate_12m"] < 1.0
    notifications = "serious_incident_notifications_per_1000_cases_year"
    assert values[notifications] == result.summary[notifications]


def test_re_referrals_are_not_measured_when_the_scenario_switches_them_off():
    config = load_scenario(
        str(default_scenario()),
        ["simulation.days=300", "simulation.warmup_days=100", "re_referral.enabled=false"],
    )
    result = run(config, seed=20261125)
    assert math.isnan(v.measure_replication(result, config)["re_referral_rate_12m"])


def test_real_run_burnout_by_band_adds_up_to_the_summary_prevalence(real):
    config, result = real
    assert config.manager.mode == "under_load"  # the tables hold the manager's rows too
    days = v.social_workers_only(result.worker_days)
    days = days[days["day"] >= config.simulation.warmup_days]
    # Social workers' worker-days in post are the metric's denominator: the shares must agree.
    assert v._overall_burnout(result, config) == pytest.approx(result.summary["burnout_prevalence"])
    shares = v.burnout_by_experience(result, config)
    joined = v._worker_days_with_experience(result, config)
    assert len(joined) == len(days) and joined["experience_years"].notna().all()
    weights = {
        name: ((joined["experience_years"] >= lo) & (joined["experience_years"] < hi)).sum()
        for name, lo, hi in v.EXPERIENCE_BANDS
    }
    assert sum(weights.values()) == len(joined)
    pooled = sum(shares[n] * w for n, w in weights.items() if w) / len(joined)
    assert pooled == pytest.approx(result.summary["burnout_prevalence"])
    employment = v.burnout_by_employment(result, config)
    gap = v.burnout_gap_agency_vs_permanent(result, config)
    if math.isfinite(employment["agency"]):
        assert gap == pytest.approx(employment["agency"] - employment["permanent"])


def test_incident_rate_matches_the_case_book():
    """Numerator from the daily series, denominator checked against the case book's days."""
    config = load_scenario(GOOD, ["risk.incident_rate_per_case_year=1.0"])
    result = run(config, seed=11)
    warmup, days = config.simulation.warmup_days, config.simulation.days
    cases = result.cases
    closed = np.where(cases["day_closed"] == -1, days, cases["day_closed"])
    start = np.maximum(cases["day_arrived"], warmup)
    live_days = np.clip(closed - start, 0, None).sum()  # live at the end of day t in [start, close)
    window = result.daily[result.daily["day"] >= warmup]
    assert live_days == (window["open"] + window["waiting"]).sum()
    incidents = result.summary["serious_incidents"]
    assert incidents > 0
    expected = incidents / live_days * 260 * 1000
    assert v.incidents_per_1000_case_years(result, config) == pytest.approx(expected)


def test_real_run_leavers_and_proxy_are_shares_or_undefined(real):
    config, result = real
    values = v.measure_replication(result, config)
    for key in ("leavers_under_5_years_share", "looked_after_2plus_worker_changes_share"):
        assert math.isnan(values[key]) or 0.0 <= values[key] <= 1.0


def test_no_incidents_without_risk_gives_a_rate_of_zero():
    config = load_scenario(GOOD, ["risk.enabled=false"])
    result = run(config, seed=7)
    assert v.incidents_per_1000_case_years(result, config) == 0.0


def test_report_shows_every_target_and_its_verdict(real):
    config, result = real
    assessments = v.assess([result, result], config)
    text = v.render_markdown(
        assessments,
        scenario="baseline",
        replications=2,
        seed=1,
        days=300,
        warmup_days=100,
        command="caseload validation --reps 2 --seed 1",
        profile=v.burnout_profile([result], config),
    )
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) == len(v.VALIDATION_TARGETS)
    for target, row in zip(v.VALIDATION_TARGETS, rows, strict=True):
        assert f"`{target.key}`" in row
    assert text.count("**not modelled** (fail)") == 0  # every target has its mechanism
    assert "`caseload validation --reps 2 --seed 1`" in text
    frame = v.assessment_frame(assessments)
    assert list(frame["target"]) == [t.key for t in v.VALIDATION_TARGETS]
    assert (frame["passed"] == (frame["status"] == v.PASS)).all()


# --- the command ------------------------------------------------------------------------------


SHORT = ["--days", "120", "--set", "simulation.warmup_days=40", "--workers", "1", "--quiet"]


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    """``caseload validation`` of the small scenario, 2 replications of 120 days, run once."""
    out = tmp_path_factory.mktemp("validation") / "out"
    return caseload("validation", GOOD, "--reps", "2", *SHORT, "--out", str(out)), out


def test_command_end_to_end_writes_its_files(short_run):
    done, out = short_run
    assert done.returncode == 0, done.stderr
    assert "targets pass" in done.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) == {"validation.parquet", "validation.md", "scenario.toml"}
    assert manifest["replications"] == 2 and len(manifest["seeds"]) == 2
    frame = pd.read_parquet(out / "validation.parquet")
    assert list(frame["target"]) == [t.key for t in v.VALIDATION_TARGETS]
    assert set(frame["status"]) <= {v.PASS, v.FAIL, v.NOT_MODELLED}
    assert (frame.loc[~frame["is_modelled"], "status"] == v.NOT_MODELLED).all()
    text = (out / "validation.md").read_text()
    assert "Scenario `good`: 2 replications of 120 working days" in text
    assert "tests/data/good.toml --reps 2 --seed 12345 --days 120" in text
    assert not (out / ".checkpoints").exists() or not any((out / ".checkpoints").iterdir())


def test_command_resumes_from_saved_replications(run_caseload, tmp_path, short_run):
    """A replication saved by an interrupted validation is reused, not run again."""
    from sim.cli.validation import CHECKPOINT_DIR, WORKER_DAYS_ON
    from sim.engine.rng import replication_seeds
    from sim.runs.checkpoint import Checkpoint

    out = tmp_path / "out"
    overrides = ["simulation.warmup_days=40", WORKER_DAYS_ON]
    config = load_scenario(GOOD, overrides, days=120, replications=2)
    seed = config.simulation.seed
    saved = run(config, replication_seeds(seed, 2)[0], replication=0)
    Checkpoint(out / CHECKPOINT_DIR, config, seed).save(saved)
    done = run_caseload("validation", GOOD, "--reps", "2", *SHORT, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Resuming: 1 replication(s) saved by an interrupted run are reused." in done.stdout
    _, fresh = short_run  # the same command, run without a saved replication
    assert (out / "validation.md").read_text() == (fresh / "validation.md").read_text()


def test_interrupt_exits_130_and_writes_nothing(tmp_path, monkeypatch, capsys):
    import sim.runs.replications
    from sim.cli.main import main

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.chdir(repo_root())
    monkeypatch.setattr(sim.runs.replications, "run_replications", interrupted)
    out = tmp_path / "out"
    assert main(["validation", GOOD, "--quiet", "--out", str(out)]) == 130
    assert "the same command resumes from them" in capsys.readouterr().err
    assert not (out / "validation.md").exists() and not (out / "manifest.json").exists()


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--set", "allocation.cap_kind=cont"],
            "--set: allocation.cap_kind: Input should be 'none', 'count' or 'weighted' "
            "(got 'cont')",
        ),
        (
            ["--days", "10"],
            "--days: simulation: warmup_days must be shorter than days "
            "(got days=10, warmup_days=20)",
        ),
    ],
)
def test_bad_scenario_input_exits_2_with_one_line(run_caseload, tmp_path, args, line):
    done = run_caseload("validation", GOOD, *args, "--out", str(tmp_path / "out"))
    assert (done.returncode, done.stderr, done.stdout) == (2, line + "\n", "")
    assert not (tmp_path / "out").exists()


def test_one_replication_is_refused_as_usage(run_caseload, tmp_path):
    done = run_caseload("validation", GOOD, "--reps", "1", "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "--reps: must be at least 2, so each mean has an interval (got 1)" in done.stderr
    assert "Traceback" not in done.stderr


# --- the docs ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_docs_validation_md_is_what_the_command_writes(run_caseload, tmp_path):
    """Rerun the command the doc names; the doc must be exactly the report it writes."""
    doc = (repo_root() / "docs" / "validation.md").read_text(encoding="utf-8")
    found = re.search(r"written by `(caseload validation[^`]*)`", doc)
    assert found, "docs/validation.md does not name the command that wrote it"
    words = shlex.split(found.group(1))[2:]
    out = tmp_path / "out"
    done = run_caseload("validation", *words, "--out", str(out), "--quiet", timeout=1800)
    assert done.returncode == 0, done.stderr
    assert (out / "validation.md").read_text(encoding="utf-8") == doc, (
        "docs/validation.md is stale; run `caseload validation "
        f"{found.group(1).removeprefix('caseload validation ')} --write-docs`"
    )


def test_profile_gives_each_group_its_exhaustion_score(real):
    config, result = real
    profile = {row["group"]: row for row in v.burnout_profile([result], config)}
    days = v.social_workers_only(result.worker_days)  # the manager is in no group
    days = days[days["day"] >= config.simulation.warmup_days]
    permanent = days.loc[~days["is_agency"].astype(bool), "stress"]
    assert profile["permanent"]["exhaustion_mean"] == pytest.approx(permanent.mean())
    assert profile["permanent"]["exhaustion_high_share"] == pytest.approx((permanent >= 0.5).mean())
    for row in profile.values():
        score = row["exhaustion_mean"]
        assert math.isnan(score) or 0.0 <= score <= 1.0
