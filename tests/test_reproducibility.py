"""Reproducibility: same seed, same results; named streams give common random numbers.

A replication is a pure function of (scenario, seed). Each stochastic process draws from its own
stream keyed by the seed and a stable name, so a lever that does not act on arrivals leaves the
arrivals of a run untouched (common random numbers across scenario arms).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.engine.cases import CLOSED, SCREENED_OUT
from sim.engine.model import CaseloadModel
from sim.engine.phases import arrivals
from sim.engine.rng import STREAM_NAMES, Streams
from sim.engine.run import run
from sim.scenario.schema import Scenario, deep_merge

REPO_ROOT = Path(__file__).resolve().parent.parent

SMALL = {
    "simulation": {"days": 200, "warmup_days": 50},
    "team": {"n_teams": 2, "social_worker_posts": 5},
    "demand": {
        "referrals_per_day": 0.7,
        "mix": {"assessment": 0.7, "child_in_need": 0.2, "adult_review": 0.1},
    },
    "support": {"swa_staff": 1.0},
}


def small(**sections: dict) -> Scenario:
    return Scenario.model_validate(deep_merge(SMALL, sections))


def assert_same_result(a, b) -> None:
    assert a.summary.keys() == b.summary.keys()
    for key in a.summary:
        assert a.summary[key] == b.summary[key] or (
            np.isnan(a.summary[key]) and np.isnan(b.summary[key])
        ), key
    pd.testing.assert_frame_equal(a.daily, b.daily)
    pd.testing.assert_frame_equal(a.workers, b.workers)
    pd.testing.assert_frame_equal(a.cases, b.cases)


def test_same_seed_gives_identical_results():
    config = small()
    first, second = run(config, 42), run(config, 42)
    assert_same_result(first, second)
    assert len(first.cases) > 100 and len(first.daily) == 200


def test_same_seed_after_other_runs_in_the_same_process():
    config = small()
    first = run(config, 7)
    run(config, 8)  # nothing global carries over between runs
    run(small(allocation={"cap_kind": "count", "cap_per_fte": 10.0}), 7)
    assert_same_result(first, run(config, 7))


def test_different_seeds_give_different_results():
    config = small()
    a, b = run(config, 1), run(config, 2)
    assert a.summary != b.summary
    assert not a.daily["referrals"].equals(b.daily["referrals"])
    assert not a.daily["open"].equals(b.daily["open"])


SCRIPT = """
import json, sys
from sim.scenario.schema import Scenario
from sim.engine.run import run
config = Scenario.model_validate_json(sys.stdin.read())
result = run(config, 11)
print(json.dumps({"summary": result.summary, "open": result.daily["open"].tolist()}))
"""


@pytest.mark.slow
def test_results_do_not_depend_on_the_python_hash_seed():
    payload = small().model_dump_json()
    outputs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO_ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            input=payload,
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO_ROOT,
            timeout=120,
            check=True,
        )
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1]
    assert outputs[0]["summary"]["referrals_received"] > 0


def _arrival_log(config: Scenario, seed: int, monkeypatch) -> list[tuple[int, int, int]]:
    """(day, child, team, type at arrival) of every fresh referral, as the arrivals phase runs.

    Re-referrals (episode > 0) are left out: they follow closures, which levers change.
    """
    log: list[tuple[int, int, int, int]] = []
    original = arrivals.arrive

    def recording_arrive(model):
        before = model.cases.n
        count = original(model)
        cases = model.cases
        rows = [r for r in range(before, cases.n) if cases.episode[r] == 0]
        log.extend(
            (model.day, int(cases.child[r]), int(cases.team[r]), int(cases.type_code[r]))
            for r in rows
        )
        return count

    monkeypatch.setattr(arrivals, "arrive", recording_arrive)
    model = CaseloadModel(config, seed)
    model.run()
    monkeypatch.undo()
    return log


def _fresh_cases(cases: pd.DataFrame) -> pd.DataFrame:
    """Each child's first referral (day-0 cases included): child, day arrived and team."""
    first = cases[cases["episode"] == 0]
    return first[["child", "day_arrived", "team"]].reset_index(drop=True)


def _fresh_daily(result) -> pd.Series:
    """Each day's referrals less that day's re-referrals."""
    cases = result.cases
    again = cases.loc[cases["episode"] > 0, "day_arrived"].value_counts()
    daily = result.daily.set_index("day")["referrals"]
    return daily - again.reindex(daily.index, fill_value=0)


@pytest.mark.parametrize(
    "lever",
    [
        {"support": {"admin_staff": 1.0}},
        {"allocation": {"cap_kind": "count", "cap_per_fte": 8.0}},
        {"work": {"recording_efficiency": 1.4}},
        {"wellbeing": {"enabled": False}, "sickness": {"enabled": False}},
    ],
    ids=["admin", "cap", "slow_recording", "no_wellbeing"],
)
def test_levers_that_do_not_act_on_arrivals_leave_them_unchanged(lever, monkeypatch):
    base = small(support={"admin_staff": 0.0})
    arm = Scenario.model_validate(deep_merge(base.model_dump(), lever))
    assert arm != base
    seed = 5
    base_log = _arrival_log(base, seed, monkeypatch)
    arm_log = _arrival_log(arm, seed, monkeypatch)
    assert len(base_log) > 100
    assert arm_log == base_log
    # The outputs agree too: every child's first referral arrived on the same day in the same
    # team, and each day had as many fresh referrals (re-referrals follow closures).
    a, b = run(base, seed), run(arm, seed)
    fresh_a, fresh_b = (_fresh_cases(r.cases) for r in (a, b))
    pd.testing.assert_frame_equal(fresh_a, fresh_b)
    pd.testing.assert_series_equal(_fresh_daily(a), _fresh_daily(b))
    assert fresh_a["child"].is_unique
    arrived = fresh_a["day_arrived"] > 0
    assert arrived.sum() > 100
    assert a.summary["re_referrals_received"] > 0  # the arms do re-refer children
    # Day-0 staff are the same people.
    initial = ["fte", "experience_years_at_start", "priority_style", "is_agency", "team", "post"]
    n_initial = len(CaseloadModel(base, seed).workers)
    pd.testing.assert_frame_equal(a.workers[initial][:n_initial], b.workers[initial][:n_initial])
    # ...and the lever does change something downstream.
    assert a.summary != b.summary


def test_demand_lever_changes_arrivals(monkeypatch):
    base_log = _arrival_log(small(), 5, monkeypatch)
    busier = _arrival_log(small(demand={"referrals_per_day": 1.4}), 5, monkeypatch)
    assert len(busier) > 1.5 * len(base_log)


def test_streams_do_not_depend_on_creation_order():
    forward, backward = Streams(123), Streams(123)
    names = list(STREAM_NAMES)
    first = {name: forward[name].random(4) for name in names}
    second = {name: backward[name].random(4) for name in reversed(names)}
    for name in names:
        np.testing.assert_array_equal(first[name], second[name])
    # Distinct names and distinct seeds give distinct streams.
    values = [tuple(v) for v in first.values()]
    assert len(set(values)) == len(names)
    assert not np.array_equal(Streams(124)["risk"].random(4), first["risk"])


def test_stream_is_created_once_and_continues():
    streams = Streams(9)
    a = streams["sickness"].random(3)
    b = streams["sickness"].random(3)
    fresh = Streams(9)["sickness"].random(6)
    np.testing.assert_array_equal(np.concatenate([a, b]), fresh)


def test_drawing_from_one_stream_does_not_shift_another():
    quiet, busy = Streams(77), Streams(77)
    busy["leaving"].random(1000)
    busy["risk"].standard_normal(500)
    np.testing.assert_array_equal(quiet["arrivals"].random(10), busy["arrivals"].random(10))


def test_unknown_stream_name_is_refused():
    with pytest.raises(KeyError, match="unknown random stream"):
        Streams(1)["arrivls"]


def test_row_draws_are_keyed_by_row_and_day():
    """A row's draw depends on (seed, stream, day, row) only, not on which other rows are drawn."""
    streams = Streams(31)
    every = streams.keyed_uniform("risk", 12, np.arange(50_000))
    some = streams.keyed_uniform("risk", 12, np.array([40_000, 7, 123]))
    np.testing.assert_array_equal(some, every[[40_000, 7, 123]])
    np.testing.assert_array_equal(Streams(31).keyed_uniform("risk", 12, np.arange(5)), every[:5])
    next_day = streams.keyed_uniform("risk", 13, np.arange(50_000))
    other_stream = streams.keyed_uniform("incidents", 12, np.arange(50_000))
    other_seed = Streams(32).keyed_uniform("risk", 12, np.arange(50_000))
    for other in (next_day, other_stream, other_seed):
        assert abs(np.corrcoef(every, other)[0, 1]) < 0.02
    # Uniform on (0, 1), and normal through the inverse CDF.
    assert every.min() > 0.0 and every.max() < 1.0
    assert stats.kstest(every, "uniform").pvalue > 1e-3
    normal = streams.keyed_normal("risk", 12, np.arange(50_000))
    assert stats.kstest(normal, "norm").pvalue > 1e-3
    with pytest.raises(KeyError, match="not a keyed stream"):
        streams.keyed_uniform("arrivals", 0, np.arange(3))


def test_a_policy_leaves_the_risk_path_of_cases_it_does_not_touch():
    """Common random numbers child by child: a cap changes which cases are live, not their draws.

    With no reversion to a type mean, no unmonitored drift (the workers' visits or the manager's
    reviews) and no incidents, a case's latent risk is a random walk on its child's keyed draws:
    every referral of a child open in both arms since the same day ends at the same risk.
    """
    quiet_risk = {
        "reversion_per_day": 0.0,
        "unmonitored_drift_per_day": 0.0,
        "incident_rate_per_case_year": 0.0,
    }
    common = {
        "risk": quiet_risk,
        "manager": {"unreviewed_drift_per_day": 0.0},
        "simulation": {"days": 120, "warmup_days": 0},
    }
    base = small(**common)
    capped = small(**common, allocation={"cap_kind": "count", "cap_per_fte": 6.0})
    assert base.manager.mode == "under_load" and base.re_referral.enabled
    a, b = CaseloadModel(base, 3), CaseloadModel(capped, 3)
    a.run()
    b.run()
    assert a.tally.summary(a) != b.tally.summary(b)
    # Referral by referral, matched by (child, episode): case ids differ between the arms once
    # re-referrals (which follow closures) interleave with fresh referrals. Archived cases too.
    columns = ["child", "episode", "status", "day_arrived", "risk_logit"]
    book_a, book_b = (
        pd.DataFrame({c: model.cases.columns()[c] for c in columns}) for model in (a, b)
    )
    both = book_a.merge(book_b, on=["child", "episode"], suffixes=("_a", "_b"))
    assert len(both) > 100 and (both["episode"] > 0).any()  # re-referrals are matched too
    # Closed and screened-out referrals are no longer live: their risk stops where they left.
    ended = [CLOSED, SCREENED_OUT]
    ended_a, ended_b = both["status_a"].isin(ended), both["status_b"].isin(ended)
    # the cap changed which cases closed and which were screened out
    for status in ended:
        assert ((both["status_a"] == status) != (both["status_b"] == status)).any(), status
    same = ~ended_a & ~ended_b & (both["day_arrived_a"] == both["day_arrived_b"])
    assert same.sum() > 50
    np.testing.assert_array_equal(both["risk_logit_a"][same], both["risk_logit_b"][same])


def test_a_childs_re_referral_does_not_depend_on_other_cases():
    """The return draw, delay and new referral of a child are keyed by (child, episode) alone."""
    from sim.engine import door
    from tests.model_helpers import add_cases, quiet_model

    def queued_for(child: int, others: int) -> tuple:
        model = quiet_model(
            seed=9,
            team={"social_worker_posts": 2},
            re_referral={"enabled": True, "probability": 0.5, "pressure_caseload_per_fte": 500.0},
        )
        worker = model.workers[0]
        rows = add_cases(model, others + 1, worker=worker)
        target = rows[-1]
        model.cases.child[rows[:-1]] = np.arange(others) + 1000  # other children
        model.cases.child[target] = child
        model.cases.risk_logit[rows] = 1.0  # every closure unresolved
        model.day = 30
        model.cases.close(rows, model.day)
        door.on_closed(model, rows)
        return tuple(
            (day, entry[:2])
            for day, due in model.re_referrals_due.items()
            for entry in due
            if entry[0] == child
        )

    for child in (3, 17, 40):
        alone = queued_for(child, 0)
        assert alone == queued_for(child, 25) == queued_for(child, 3)
    # about half the children come back at p = 0.5, so the draw is not constant
    backs = [bool(queued_for(c, 0)) for c in range(40)]
    assert 8 < sum(backs) < 32


def test_runs_with_the_front_door_and_re_referrals_are_reproducible():
    config = small(
        front_door={"enabled": True}, re_referral={"enabled": True, "mean_delay_days": 20.0}
    )
    first, second = run(config, 4), run(config, 4)
    assert_same_result(first, second)
    assert first.summary["re_referral_rate_12m"] > 0
    assert first.summary["referrals_screened_out"] > 0
