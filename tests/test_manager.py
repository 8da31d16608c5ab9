"""The manager under load (``manager.mode = "under_load"``, ``sim/engine/manager.py``).

Unit tests of each rule (hours, reviews, escalation, slipping visits, drift, stress), the tables
and metric keys it adds, that ``off`` leaves everything as it was, and the directional test: an
overloaded manager raises children's unobserved risk.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.engine import manager as manager_load
from sim.engine.manager import MANAGER_WORKER_BASE, UNSET
from sim.engine.metrics import METRICS_BY_KEY
from sim.engine.phases import supervision
from sim.engine.rng import STREAM_NAMES, Streams
from sim.engine.run import run
from sim.experiments.validation import social_workers_only
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario
from tests.model_helpers import add_cases, check_invariants, fresh_referrals, quiet_model, scenario

ON = {"mode": "under_load"}
#: A manager with 5 h a day after fixed commitments and no oversight cost, sessions off.
AMPLE = {"manager_fixed_hours_per_week": 12.0, "oversight_hours_per_case_per_week": 0.0}
#: A manager with no hours at all for its own tasks.
NONE_LEFT = {"manager_hours_per_week": 10.0, "manager_fixed_hours_per_week": 10.0}


def model_with_cases(n: int, *, manager: dict | None = None, sup: dict | None = None, **kw):
    """A quiet team under load with ``n`` child-in-need cases allocated to its first worker."""
    model = quiet_model(
        manager={**ON, **(manager or {})}, supervision={**AMPLE, **(sup or {})}, **kw
    )
    rows = add_cases(model, n, worker=model.workers[0], observed_risk=0.1, visit_due_day=50)
    model.oversight.ensure(model.cases.n_total)
    return model, rows


def ids_of(model, rows: np.ndarray) -> np.ndarray:
    """The case ids of case-book ``rows`` (review dates are kept by case id)."""
    return model.cases.case_id[rows]


def last_review(model, rows: np.ndarray) -> np.ndarray:
    """Day of the last management review of each of ``rows``."""
    return model.oversight.day_last_review[ids_of(model, rows)]


def set_reviewed(model, rows: np.ndarray, days) -> None:
    """Say ``rows`` were last reviewed on ``days``, their allocation already seen."""
    model.oversight.day_last_review[ids_of(model, rows)] = days
    model.oversight.day_allocation_seen[ids_of(model, rows)] = model.cases.day_allocated[rows]


def test_under_load_is_the_default_and_off_changes_nothing_it_reads():
    assert Scenario().manager.mode == "under_load"
    model = quiet_model()
    rows = add_cases(model, 3, worker=model.workers[0], visit_due_day=4)
    model.day = 100
    assert not manager_load.review_overdue(model, rows).any()
    np.testing.assert_array_equal(
        manager_load.planned_visit_days(model, rows), model.cases.day_visit_due[rows]
    )


def test_allocating_a_case_reviews_it_and_sets_its_timescale():
    model, rows = model_with_cases(2)
    model.day = 7
    model.cases.day_allocated[rows] = 7
    manager_load.note_allocations(model, rows)
    assert (last_review(model, rows) == 7).all()
    model.oversight.day_last_review[ids_of(model, rows)] = (
        3  # reviewed since: the same allocation is not new
    )
    manager_load.note_allocations(model, rows)
    assert (last_review(model, rows) == 3).all()


def test_review_interval_is_shorter_while_observed_risk_is_high():
    model, rows = model_with_cases(2, manager={"review_interval_days": 20})
    model.cases.observed_risk[rows] = [0.1, 0.9]
    np.testing.assert_array_equal(manager_load.review_intervals(model, rows), [20, 5])
    model.oversight.day_last_review[ids_of(model, rows)] = 10
    np.testing.assert_array_equal(manager_load.review_due_days(model, rows), [30, 15])
    model.day = 16
    np.testing.assert_array_equal(manager_load.review_overdue(model, rows), [False, True])


def test_a_manager_with_hours_reviews_due_cases_and_escalates_new_high_risk():
    model, rows = model_with_cases(3)
    cases = model.cases
    model.day = 30
    set_reviewed(model, rows, [5, 5, 25])  # two due (10 + 20 <= 30), one not
    cases.risk_logit[rows] = [2.0, -2.0, 2.0]  # latent 0.88, 0.12, 0.88; all observed at 0.1
    supervision.supervise(model)
    manager = model.managers[0]
    np.testing.assert_array_equal(last_review(model, rows), [30, 30, 25])
    assert manager.reviews_today == 2
    assert cases.observed_risk[rows[0]] == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert cases.observed_risk[rows[2]] == 0.1  # not reviewed, not re-assessed
    # The review that found risk above the threshold brings the visit to today; the other not.
    np.testing.assert_array_equal(cases.day_visit_due[rows], [30, 50, 50])
    assert manager.escalations == 1


def test_high_risk_reviews_come_first_when_hours_are_short():
    model, rows = model_with_cases(3, manager={"review_hours_per_case": 2.0})  # 5 h: two reviews
    model.day = 40
    set_reviewed(model, rows, [0, 1, 30])
    model.cases.observed_risk[rows] = [0.1, 0.1, 0.8]  # the third is due (30 + 5 <= 40)
    supervision.supervise(model)
    np.testing.assert_array_equal(last_review(model, rows), [40, 1, 40])


def test_an_unreviewed_case_slips_its_visit_unless_known_high_risk():
    model, rows = model_with_cases(2, manager={"unset_timescale_slip_days": 5})
    model.day = 40
    model.oversight.day_last_review[ids_of(model, rows)] = 0  # due on day 20: overdue
    model.cases.day_visit_due[rows] = 38
    model.cases.observed_risk[rows] = [0.1, 0.9]
    np.testing.assert_array_equal(manager_load.planned_visit_days(model, rows), [43, 38])
    model.oversight.day_last_review[ids_of(model, rows)] = 39  # reviewed: the timescale holds
    np.testing.assert_array_equal(manager_load.planned_visit_days(model, rows), [38, 38])


def test_a_manager_with_no_hours_makes_no_reviews_and_the_visit_slips_in_the_work_phase():
    from sim.engine.phases import work

    model, rows = model_with_cases(
        1,
        manager={"unset_timescale_slip_days": 3},
        sup=NONE_LEFT,
    )
    cases = model.cases
    set_reviewed(model, rows, -30)
    cases.day_visit_due[rows] = 2
    made = []
    for day in range(7):
        model.day = day
        supervision.supervise(model)
        work.work(model)
        made.append(int(cases.n_visits[rows[0]]))
    assert model.managers[0].reviews == 0
    assert made == [0, 0, 0, 0, 0, 1, 1]  # due on day 2, visited on day 5


def test_unreviewed_cases_drift_up_by_the_drift_a_day():
    model, rows = model_with_cases(2, manager={"unreviewed_drift_per_day": 0.05}, sup=NONE_LEFT)
    set_reviewed(model, rows, [-30, 0])  # the first overdue, the second not yet
    before = model.cases.risk_logit[rows].copy()
    model.day = 10
    supervision.supervise(model)
    np.testing.assert_allclose(model.cases.risk_logit[rows] - before, [0.05, 0.0])
    assert model.managers[0].reviews_overdue == 1


def test_manager_overtime_is_none_by_default_and_a_share_of_the_shortfall_up_to_its_cap():
    assert Scenario().manager.max_unpaid_overtime_hours_per_week == 0.0
    model, _ = model_with_cases(
        40,
        manager={"review_hours_per_case": 1.0, "max_unpaid_overtime_hours_per_week": 10.0},
        work={"overtime_share_of_shortfall": 0.5},
    )
    every = np.arange(model.cases.n)
    ids = model.cases.case_id[every]
    model.oversight.day_last_review[ids] = -30  # all 40 due: 40 h of reviews
    model.oversight.day_allocation_seen[ids] = model.cases.day_allocated[every]
    model.day = 0
    supervision.supervise(model)
    manager = model.managers[0]
    assert manager.hours_available == pytest.approx(5.0)
    assert manager.demand_hours == pytest.approx(40.0)
    assert manager.overtime_allowed == pytest.approx(2.0)  # min(10 / 5, 0.5 * 35)
    assert manager.reviews_today == 7  # 7 h
    assert manager.hours_worked == pytest.approx(7.0)
    assert manager.reviews_overdue == 33


@pytest.mark.parametrize("hours_short", [False, True])
def test_manager_stress_follows_the_workers_equation(hours_short):
    model, rows = model_with_cases(
        10, sup=NONE_LEFT if hours_short else None, wellbeing={"enabled": True}
    )
    set_reviewed(model, rows, -30)  # all due or overdue
    cfg = model.config.wellbeing
    manager = model.managers[0]
    s0 = manager.stress
    model.day = 0
    supervision.supervise(model)
    if hours_short:  # no paid hours and demand: overload at its cap; 10 reviews overdue
        gain = (
            cfg.baseline_gain_per_day
            + 2.0 * cfg.overload_gain_per_day
            + cfg.backlog_gain_per_day * 10 * 0.25 / cfg.backlog_reference_hours
        )
    else:  # 2.5 h of reviews in 5 h: no overload, none overdue
        gain = cfg.baseline_gain_per_day
    expected = (s0 + gain * (1 - s0)) * (1 - cfg.recovery_per_day)
    assert manager.stress == pytest.approx(expected)


def test_a_manager_kept_overloaded_burns_out_and_slows():
    model, _ = model_with_cases(
        200, manager={"review_hours_per_case": 1.0}, wellbeing={"enabled": True}
    )  # 10 h of reviews due a day against 5
    manager = model.managers[0]
    for day in range(120):
        model.day = day
        supervision.supervise(model)
    assert manager.stress > model.config.wellbeing.burnout_threshold
    assert manager.is_burnt_out and manager.total_burnout_days > 0
    assert manager_load.productivity(model, manager) == model.config.wellbeing.burnout_productivity


def test_day_zero_reviews_are_keyed_draws_that_move_no_other_stream():
    assert "manager_review" not in STREAM_NAMES  # a keyed stream, not a sequential one
    config = load_scenario(
        "scenarios/baseline.toml",
        ["simulation.days=60", "simulation.warmup_days=10", "manager.mode=off"],
    )
    on = config.model_copy(update={"manager": config.manager.model_copy(update=ON)})
    from sim.engine.model import CaseloadModel

    a, b = CaseloadModel(config, 5), CaseloadModel(on, 5)
    n = a.cases.n
    assert b.cases.n == n
    for column in ("type_code", "risk_logit", "day_visit_due", "work_days_left", "worker"):
        np.testing.assert_array_equal(getattr(a.cases, column)[:n], getattr(b.cases, column)[:n])
    last = b.oversight.day_last_review[b.cases.case_id[b.cases.live]]
    assert (last < 0).all() and (last >= -20).all() and len(np.unique(last)) > 5
    assert (a.oversight.day_last_review == UNSET).all()  # off: nothing set or drawn
    # The keyed draw depends on (seed, day, row) alone.
    rows = np.arange(10)
    np.testing.assert_array_equal(
        Streams(5).keyed_uniform("manager_review", 0, rows),
        Streams(5).keyed_uniform("manager_review", 0, rows[::-1])[::-1],
    )
    # Fresh arrivals are the same with the manager on: common random numbers hold (re-referrals
    # follow closures, which the manager changes).
    ra, rb = run(config, 5), run(on, 5)
    assert fresh_referrals(ra.summary) == fresh_referrals(rb.summary)


def test_off_tables_are_unchanged_and_on_tables_add_the_manager():
    config = load_scenario(
        "scenarios/baseline.toml",
        ["simulation.days=40", "simulation.warmup_days=10", "team.n_teams=2", "manager.mode=off"],
    )
    off = run(config, 3)
    on = run(config.model_copy(update={"manager": config.manager.model_copy(update=ON)}), 3)
    assert "role" not in off.workers.columns and "role" not in off.worker_days.columns
    managers = on.workers[on.workers["role"] == "manager"]
    assert list(managers["worker"]) == [MANAGER_WORKER_BASE, MANAGER_WORKER_BASE + 1]
    assert list(managers["team"]) == [0, 1]
    assert (managers["caseload_end"] == 0).all() and (managers["hours_worked"] > 0).all()
    assert set(on.workers["role"]) == {"social_worker", "manager"}
    days = on.worker_days
    manager_days = days[days["role"] == "manager"]
    assert len(manager_days) == 2 * 40
    assert manager_days["stress"].between(0, 1).all()
    # Consumers that count social workers see the same rows as before.
    assert len(social_workers_only(on.workers)) == len(on.workers) - 2
    assert (social_workers_only(days)["worker"] < MANAGER_WORKER_BASE).all()
    np.testing.assert_array_equal(
        social_workers_only(days)["worker"].to_numpy(), off.worker_days["worker"].to_numpy()
    )


@pytest.mark.parametrize("key", ["manager_stress_mean", "manager_reviews_overdue_share"])
def test_manager_metric_keys_are_declared_and_nan_when_off(key):
    metric = METRICS_BY_KEY[key]
    assert metric.better == "lower" and metric.label and metric.unit
    config = load_scenario(
        "scenarios/baseline.toml",
        ["simulation.days=60", "simulation.warmup_days=20", "manager.mode=off"],
    )
    assert math.isnan(run(config, 1).summary[key])
    on = config.model_copy(update={"manager": config.manager.model_copy(update=ON)})
    value = run(on, 1).summary[key]
    assert 0.0 <= value <= 1.0


def test_reviews_overdue_share_counts_allocated_case_days():
    # No hours for reviews: each case is overdue from the day after its review falls due.
    model = quiet_model(
        manager={**ON, "review_interval_days": 10},
        supervision=NONE_LEFT,
        simulation={"days": 30, "warmup_days": 0, "initial_cases_per_fte": 0.0},
    )
    add_cases(model, 4, worker=model.workers[0], observed_risk=0.1, work_days_left=1000.0)
    model.run(30)
    summary = model.tally.summary(model)
    # Allocated on day 0 (reviewed then), due day 10, overdue at the end of days 10..29.
    assert summary["manager_reviews_overdue_share"] == pytest.approx(20 / 30)
    # With wellbeing off (the quiet team) the manager's stress stays where it started.
    assert summary["manager_stress_mean"] == pytest.approx(model.config.manager.initial_stress)


def test_invariants_hold_with_the_manager_under_load():
    config = scenario(
        simulation={"days": 80, "warmup_days": 0, "initial_cases_per_fte": 20.0},
        team={"social_worker_posts": 4},
        demand={"referrals_per_day": 1.5},
        risk={"enabled": True},
        wellbeing={"enabled": True},
        supervision={"enabled": True},
        manager=ON,
    )
    from sim.engine.model import CaseloadModel

    model = CaseloadModel(config, 11)
    for _ in range(80):
        model.step()
        check_invariants(model)
    assert model.managers[0].reviews > 0


def test_the_manager_invariant_check_can_fail():
    config = scenario(simulation={"days": 5, "initial_cases_per_fte": 5.0}, manager=ON)
    from sim.engine.model import CaseloadModel

    model = CaseloadModel(config, 2)
    model.step()
    model.oversight.day_last_review[model.cases.case_id[model.cases.live[0]]] = UNSET
    with pytest.raises(AssertionError, match="never reviewed"):
        check_invariants(model)


def _paired(path: str, overrides: list[str], seeds: range) -> list[dict]:
    config = load_scenario(path, overrides)
    return [run(config, seed).summary for seed in seeds]


def test_an_overloaded_manager_raises_unobserved_risk():
    """Span 120 against 65: the same team and cases, a manager of 1 FTE against 120/65 FTE.

    Paired seeds share arrivals and case rows, so the difference is the manager's alone.
    """
    path = "scenarios/teaching/manager_span_120.toml"
    common = [
        'manager.mode="under_load"',
        "simulation.days=420",
        "simulation.warmup_days=160",
        "simulation.collect_worker_days=false",
    ]
    seeds = range(4)
    wide = _paired(path, common, seeds)  # ~120 cases for one manager FTE
    narrow = _paired(path, [*common, "team.manager_fte=1.85"], seeds)  # 120 / 1.85 = 65
    for a, b in zip(wide, narrow, strict=True):
        assert fresh_referrals(a) == fresh_referrals(b)  # common random numbers
    total = {
        key: (sum(r[key] for r in wide), sum(r[key] for r in narrow))
        for key in (
            "manager_reviews_overdue_share",
            "manager_stress_mean",
            "overdue_visit_case_days",
            "high_risk_unmonitored_case_days",
        )
    }
    for key, (span_120, span_65) in total.items():
        assert span_120 > span_65, f"{key}: span 120 gives {span_120}, span 65 {span_65}"


def test_review_dates_follow_their_cases_through_compaction():
    config = scenario(
        simulation={"days": 120, "warmup_days": 0, "initial_cases_per_fte": 20.0},
        team={"social_worker_posts": 3},
        demand={"referrals_per_day": 2.0},
        manager=ON,
    )
    from sim.engine.model import CaseloadModel

    def due_by_case() -> dict[int, int]:
        live = model.cases.live
        ids, due = model.cases.case_id[live], manager_load.review_due_days(model, live)
        return dict(zip(ids.tolist(), due.tolist(), strict=True))

    model = CaseloadModel(config, 4)
    model.run(60)
    while model.cases.n == len(model.cases.live):  # until closed rows wait to be archived
        model.step()
    before = due_by_case()
    model.cases.compact()
    assert model.cases.n == len(model.cases.live)  # the rows moved
    assert due_by_case() == before
    model.step()
    check_invariants(model)
