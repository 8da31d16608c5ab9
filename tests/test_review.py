"""``caseload review``: the incident log, the counterfactual replay, matching and attribution.

Short runs (260 days, 40 of warm-up) of a pressured team with a raised incident rate, so a few
replications hold enough events. Switches whose defaults the calibration may change are set
explicitly where a test depends on them.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine.cases import ALLOCATED, READY
from sim.engine.establishment import compatibility_problems
from sim.engine.incident_log import CASELOAD_BENCHMARK_PER_FTE, COLUMNS, incident_context
from sim.engine.model import CaseloadModel
from sim.engine.rng import replication_seeds
from sim.engine.run import run
from sim.experiments import review
from sim.experiments.review import (
    AVOIDED,
    MATCHED,
    SAFE_ONLY,
    attribution,
    event_table,
    match_events,
    quiet,
    ratio_interval,
    replay,
    safe_config,
)
from sim.scenario.loading import load_scenario, scenario_to_toml, with_overrides
from tests.conftest import REPO_ROOT

SHORT = ["simulation.days=260", "simulation.warmup_days=40"]
PRESSURED = [
    *SHORT,
    "demand.referrals_per_day=0.9",
    "risk.incident_rate_per_case_year=0.3",
    "risk.incident_overdue_log_ratio=2.0",
]


def pressured(*more: str):
    return load_scenario(REPO_ROOT / "scenarios" / "baseline.toml", [*PRESSURED, *more])


def replays(config, safe, reps: int):
    seeds = replication_seeds(config.simulation.seed, reps)
    return [replay(config, safe, seed, r) for r, seed in enumerate(seeds)]


# --- the incident log ---------------------------------------------------------------------------


def test_the_log_holds_every_incident_the_tally_counts():
    config = pressured()
    model = CaseloadModel(config, 11)
    model.run()
    log = model.incidents.table()
    measured = log[log["day"] >= config.simulation.warmup_days]
    assert list(log.columns) == list(COLUMNS)
    assert len(measured) == model.tally.summary(model)["serious_incidents"] > 0
    assert (np.diff(log["day"].to_numpy()) >= 0).all()


def test_recording_context_changes_no_number():
    """Two runs of the same scenario, one with the log emptied as it goes, give equal tables."""
    config = pressured()
    plain = run(config, 5)
    model = CaseloadModel(config, 5)
    model.incidents.record = lambda *args, **kwargs: None  # no context recorded
    model.run()
    assert plain.summary == pytest.approx(model.tally.summary(model), nan_ok=True)


def test_context_columns_of_a_constructed_case():
    config = pressured("sickness.return_policy='duty_every_day'", "sickness.return_period_days=30")
    model = CaseloadModel(config, 3)
    model.run(days=30)
    cases, staff, day = model.cases, model.staff, model.day
    live = cases.live
    open_rows = live[cases.status[live] == ALLOCATED]
    row = int(open_rows[0])
    worker = int(cases.worker[row])
    # Give the worker 30 open cases, a due visit 7 days past and a record 5 days stale.
    others = open_rows[open_rows != row][:29]
    cases.worker[others] = worker
    is_open = (cases.status[live] == ALLOCATED) | (cases.status[live] == READY)
    holds = int(np.count_nonzero(cases.worker[live[is_open]] == worker))
    cases.day_visit_due[row] = day - 7
    cases.day_last_visit[row] = day - 27
    cases.day_oldest_unrecorded[row] = day - 5
    staff.stress[worker] = 0.61
    staff.day_sick_until[worker] = day - 2  # back from a long spell two days ago
    staff.day_return_period_until[worker] = day + 10
    context = incident_context(
        model, np.array([row]), np.array([True]), np.array([7]), np.array([True])
    )
    got = {name: values[0] for name, values in context.items()}
    assert got["worker"] == worker
    assert got["worker_caseload"] == holds >= 30
    assert got["worker_caseload_per_fte"] == pytest.approx(holds / staff.fte[worker])
    assert got["is_worker_over_benchmark"] == (holds / staff.fte[worker] > 18.0)
    assert got["caseload_benchmark_per_fte"] == CASELOAD_BENCHMARK_PER_FTE
    assert got["days_since_visit"] == 27
    assert got["visit_overdue_days"] == 7 and got["is_visit_overdue"]
    assert got["days_since_record_update"] == 5 and got["is_record_out_of_date"]
    assert got["worker_stress"] == pytest.approx(0.61)
    assert got["is_worker_returning"] and got["is_worker_on_duty"] and not got["is_worker_sick"]
    assert not got["is_waiting"] and not got["is_unallocated"] and got["notifiable"]
    team = int(cases.team[row])
    team_cases = int(np.count_nonzero(cases.team[live] == team))
    assert got["team_cases"] == team_cases
    assert got["manager_span_cases"] == pytest.approx(team_cases / config.team.manager_fte)
    assert got["is_manager_over_span"] == (team_cases > config.supervision.span_optimum_cases)
    active = model.posts.is_active & (model.posts.team == team)
    holders = model.posts.holder[active]
    permanent = sum(1 for h in holders if h >= 0 and not staff.is_agency[h])
    assert got["team_posts"] == int(active.sum())
    assert got["team_vacancies"] == int(active.sum()) - permanent
    # Reading the context drew nothing and wrote nothing the run reads.
    assert cases.worker[row] == worker and staff.stress[worker] == pytest.approx(0.61)


# --- the replay ---------------------------------------------------------------------------------


def test_safe_config_is_full_within_benchmarks_and_loadable(tmp_path):
    config = pressured()
    safe = safe_config(config)
    assert safe.team.initial_vacancy_share == 0
    assert safe.team.social_worker_posts > config.team.social_worker_posts
    assert safe.team.manager_fte > config.team.manager_fte
    assert safe.staffing.cuts == [] and safe.staffing.recruitment.kind == "fixed"
    assert compatibility_problems(config, safe) == []
    path = tmp_path / "safe.toml"
    path.write_text(scenario_to_toml(safe))
    assert load_scenario(path) == safe


def test_the_safe_run_keeps_every_day0_case_and_child():
    config = pressured()
    safe = safe_config(config)
    base = CaseloadModel(config, 9)
    aligned = CaseloadModel(safe, 9, day0=config)
    n = base.cases.n
    assert aligned.cases.n == n and aligned.n_children == base.n_children
    for column in ("child", "type_code", "risk_logit", "work_days_left", "day_visit_due"):
        np.testing.assert_array_equal(
            getattr(aligned.cases, column)[:n], getattr(base.cases, column)[:n]
        )
    in_post = aligned.staff.in_post
    per_team = np.bincount(aligned.posts.team[aligned.posts.is_active])
    assert (per_team == safe.team.social_worker_posts).all()
    assert len(in_post) == aligned.posts.n  # every post filled on day 0
    assert aligned.config == safe


def test_zero_difference_matches_every_event():
    config = pressured()
    replayed = replays(config, config, 2)
    events = event_table(replayed, window=0, warmup_days=config.simulation.warmup_days)
    assert len(events) > 0
    assert (events["match"] == MATCHED).all()
    for r in replayed:  # the same events with the same context, column for column
        pd.testing.assert_frame_equal(r.base, r.safe)
    table = attribution(events, range(2))
    first = table.iloc[0]
    assert first["avoided"] == 0 and first["safe_only"] == 0 and first["share_avoided"] == 0


def test_worker_day_record_changes_no_event():
    config = pressured("simulation.collect_worker_days=true")
    a = run(config, 4)
    model = CaseloadModel(quiet(config), 4)
    model.run()
    assert a.summary["serious_incidents"] == model.tally.summary(model)["serious_incidents"]
    assert len(model.worker_days.table()) == 0


def test_a_planted_staffing_effect_is_detected():
    # An overloaded team whose overdue visits and stale records weigh heavily on harm, against
    # a safe team of 16 posts: most of the harm is the staffing's.
    config = pressured(
        "demand.referrals_per_day=1.1",
        "risk.incident_overdue_log_ratio=3.0",
        "risk.incident_record_log_ratio=1.5",
    )
    safe = with_overrides(safe_config(config), settings=["team.social_worker_posts=16"])
    replayed = replays(config, safe, 4)
    events = event_table(replayed, 20, config.simulation.warmup_days)
    row = attribution(events, range(4)).iloc[0]
    assert row["condition"] == "all events"
    assert row["ci95_low"] > 0.3  # events avoided, significantly
    assert row["net_ci95_low"] > 0.3  # and fewer events in all, not only different ones
    base = events[(events["run"] == "base") & events["measured"]]
    assert set(base["match"]) <= {MATCHED, AVOIDED}
    assert set(events[events["run"] == "safe"]["match"]) <= {MATCHED, SAFE_ONLY}


def test_an_incompatible_safe_configuration_is_refused():
    config = pressured()
    smaller = with_overrides(config, settings=["team.social_worker_posts=3"])
    other_demand = with_overrides(config, settings=["demand.referrals_per_day=0.5"])
    assert any("social_worker_posts" in p for p in compatibility_problems(config, smaller))
    assert any(p.startswith("demand") for p in compatibility_problems(config, other_demand))
    with pytest.raises(ValueError, match="social_worker_posts"):
        CaseloadModel(smaller, 1, day0=config)


# --- matching and the estimator -----------------------------------------------------------------


events_strategy = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 200)), max_size=30, unique=True
)


@settings(max_examples=200, deadline=None)
@given(events_strategy, events_strategy, st.integers(0, 30))
def test_matching_is_one_to_one_within_the_window_and_counts_conserve(base, safe, window):
    bc = np.array([c for c, _ in base], dtype=np.int64)
    bd = np.array([d for _, d in base], dtype=np.int64)
    sc = np.array([c for c, _ in safe], dtype=np.int64)
    sd = np.array([d for _, d in safe], dtype=np.int64)
    bp, sp = match_events(bc, bd, sc, sd, window)
    paired = [(i, int(j)) for i, j in enumerate(bp) if j >= 0]
    assert len({j for _, j in paired}) == len(paired)  # one to one
    for i, j in paired:
        assert sp[j] == i and bc[i] == sc[j] and abs(bd[i] - sd[j]) <= window
    matched = len(paired)
    assert len(base) == matched + int((bp < 0).sum())  # base = matched + avoided
    assert len(safe) == matched + int((sp < 0).sum())  # safe = matched + safe-only
    # Maximal: no unpaired base event has an unpaired safe event of its child in the window.
    for i in np.flatnonzero(bp < 0):
        free = (sp < 0) & (sc == bc[i]) & (np.abs(sd - bd[i]) <= window)
        assert not free.any()
    # An event on the same day as one of its child's is always paired.
    same = {(c, d) for c, d in base} & {(c, d) for c, d in safe}
    assert all(bp[base.index(e)] >= 0 for e in same)


def test_matching_prefers_the_same_day():
    bp, sp = match_events(
        np.array([1, 1]), np.array([10, 14]), np.array([1]), np.array([14]), window=20
    )
    assert bp.tolist() == [-1, 0] and sp.tolist() == [1]


def test_the_interval_covers_a_known_share():
    """Synthetic replications: clustered event counts, each avoided with probability 0.3."""
    rng = np.random.default_rng(2026)
    share, trials, covered = 0.3, 400, 0
    for _ in range(trials):
        n = rng.poisson(rng.gamma(2.0, 4.0, size=20))  # over-dispersed events per replication
        a = rng.binomial(n, share)
        _, low, high = ratio_interval(a, n)
        covered += low <= share <= high
    assert covered / trials >= 0.93


def test_the_interval_is_honest_with_few_events():
    estimate, low, high = ratio_interval(np.array([1, 0, 0]), np.array([2, 0, 0]))
    assert estimate == 0.5 and low < 0.2 and high > 0.8
    assert np.isnan(ratio_interval(np.zeros(3), np.zeros(3))[0])


# --- the command --------------------------------------------------------------------------------


def _review(run_caseload, out, *more):
    return run_caseload(
        "review",
        "scenarios/baseline.toml",
        "--reps",
        "2",
        "--quiet",
        "--out",
        str(out),
        *[word for setting in PRESSURED for word in ("--set", setting)],
        *more,
    )


def test_review_end_to_end(run_caseload, tmp_path):
    done = _review(run_caseload, tmp_path / "one", "--workers", "1")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "one"
    names = {p.name for p in out.iterdir()}
    assert names >= {
        "incidents.parquet",
        "attribution.parquet",
        "review.md",
        "safe.toml",
        "scenario.toml",
        "manifest.json",
    }
    assert not (out / ".checkpoints").exists()
    events = pd.read_parquet(out / "incidents.parquet")
    assert set(events["run"]) == {"base", "safe"}
    assert set(events["match"]) <= {MATCHED, AVOIDED, SAFE_ONLY}
    assert {"replication", "event", "child", "case", "day", "notifiable"} <= set(events.columns)
    assert events["event"].is_unique
    table = pd.read_parquet(out / "attribution.parquet")
    assert set(table["scope"]) == {"harm events", "notifiable serious incidents"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replications"] == 2 and "safe.toml" in manifest["files"]
    assert "Serious-incident review" in (out / "review.md").read_text()
    # The written safe configuration is a scenario the command takes back, with the same result.
    again = _review(
        run_caseload, tmp_path / "two", "--workers", "2", "--safe", str(out / "safe.toml")
    )
    assert again.returncode == 0, again.stderr
    pd.testing.assert_frame_equal(events, pd.read_parquet(tmp_path / "two" / "incidents.parquet"))


def test_review_bad_safe_file_exits_2_with_one_line(run_caseload, tmp_path):
    bad = tmp_path / "safe.toml"
    bad.write_text("[team\nsocial_worker_posts = 7\n")  # not TOML
    done = _review(run_caseload, tmp_path / "out", "--safe", str(bad))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "safe.toml" in lines[0] and "Traceback" not in done.stderr
    fewer = tmp_path / "fewer.toml"
    fewer.write_text(
        f'extends = "{REPO_ROOT / "scenarios" / "baseline.toml"}"\n'
        "[team]\nsocial_worker_posts = 3\n"
    )
    done = _review(run_caseload, tmp_path / "out", "--safe", str(fewer))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "fewer.toml: team.social_worker_posts" in done.stderr


def test_review_resumes_from_saved_replications(tmp_path, capsys):
    from sim.cli.main import main
    from sim.experiments.review_store import ReviewStore

    config = load_scenario(REPO_ROOT / "scenarios" / "baseline.toml", PRESSURED, replications=2)
    safe = safe_config(config, review.measured_live_cases(config, config.simulation.seed))
    seeds = replication_seeds(config.simulation.seed, 2)
    out = tmp_path / "out"
    store = ReviewStore(out / ".checkpoints", config, safe, config.simulation.seed)
    first = replay(config, safe, seeds[0], 0)
    store.save(first)
    loaded = store.load(0, seeds[0])
    pd.testing.assert_frame_equal(loaded.base, first.base)
    args = ["review", str(REPO_ROOT / "scenarios" / "baseline.toml"), "--reps", "2"]
    args += ["--quiet", "--workers", "1", "--out", str(out)]
    args += [word for setting in PRESSURED for word in ("--set", setting)]
    assert main(args) == 0
    assert "Resuming: 1 replication(s)" in capsys.readouterr().out


def test_ctrl_c_keeps_finished_replications_and_the_same_command_resumes(
    tmp_path, monkeypatch, capsys
):
    import sim.experiments.review as review_module
    from sim.cli.main import main

    real = review_module.replay
    calls = []

    def interrupted_after_one(*args):
        calls.append(args)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real(*args)

    out = tmp_path / "out"
    args = ["review", str(REPO_ROOT / "scenarios" / "baseline.toml"), "--reps", "3"]
    args += ["--quiet", "--workers", "1", "--out", str(out)]
    args += [word for setting in PRESSURED for word in ("--set", setting)]
    monkeypatch.setattr(review_module, "replay", interrupted_after_one)
    assert main(args) == 130
    assert "interrupted; finished replications are saved" in capsys.readouterr().err
    assert not (out / "incidents.parquet").exists()
    assert len(list((out / ".checkpoints").rglob("rep-*.parquet"))) == 1
    monkeypatch.setattr(review_module, "replay", real)
    assert main(args) == 0
    assert "Resuming: 1 replication(s)" in capsys.readouterr().out
    assert (out / "incidents.parquet").exists() and not (out / ".checkpoints").exists()


SWITCHES_ON = [
    "front_door.enabled=true",
    "re_referral.enabled=true",
    "worker_changes.enabled=true",
    "exhaustion.enabled=true",
    "manager.mode='under_load'",
]


@pytest.mark.parametrize("switches", [SWITCHES_ON, ["manager.mode='off'"]], ids=["on", "off"])
def test_the_replay_works_with_the_model_switches_on_and_off(switches):
    config = pressured(*switches)
    same = replays(config, config, 1)
    events = event_table(same, 0, config.simulation.warmup_days)
    assert len(events) > 0 and (events["match"] == MATCHED).all()
    safe = replays(config, safe_config(config), 1)
    events = event_table(safe, 20, config.simulation.warmup_days)
    base = events[events["run"] == "base"]
    assert len(base) == len(safe[0].base) and set(events["match"]) <= {MATCHED, AVOIDED, SAFE_ONLY}
    under_load = config.manager.mode == "under_load"
    assert base["manager_stress"].notna().all() == under_load


def test_the_safe_establishment_is_sized_from_the_cases_a_team_holds():
    """Little's law on mean durations leaves out re-referrals and slowed work: a lower bound.

    The pilot measures what the team holds, so "safe" adds posts and management time where the
    scenario runs above the benchmark and the optimum span (the baseline: about 92 live cases
    for six posts and one manager).
    """
    baseline = REPO_ROOT / "scenarios" / "baseline.toml"
    config = load_scenario(baseline, ["simulation.days=520", "simulation.warmup_days=260"])
    measured = review.measured_live_cases(config, seed=5, reps=2)
    assert measured > review.expected_live_cases(config)
    assert measured == review.measured_live_cases(config, seed=5, reps=2)  # deterministic
    safe = review.safe_config(config, measured)
    assert safe.team.social_worker_posts > config.team.social_worker_posts
    assert safe.team.manager_fte * config.supervision.span_optimum_cases >= measured
    assert safe.team.manager_fte > config.team.manager_fte
    # The bound alone would add nothing to the baseline.
    bound = review.safe_config(config)
    assert bound.team.social_worker_posts <= safe.team.social_worker_posts
