"""Unit tests of each daily phase on small hand-built situations.

Each test builds a quiet model (nothing happens unless the test switches it on), sets the case
book and agents directly, calls one phase function and checks the result against the equation in
that phase's module docstring.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.engine.cases import ALLOCATED, CLOSED, NEVER, NO_VISIT_DUE, READY, WAITING
from sim.engine.model import CaseloadModel
from sim.engine.phases import allocation, arrivals, risk, staffing, supervision, wellbeing, work
from sim.engine.posts import NOBODY, NOT_SCHEDULED
from sim.scenario.schema import CASE_TYPES
from tests.model_helpers import add_cases, binomial_ok, open_rows_of, quiet_model


def logit(p: float) -> float:
    return math.log(p / (1 - p))


# --- arrivals -----------------------------------------------------------------------------------


def test_referral_rate_follows_seasonality_and_shock_equation():
    model = quiet_model(
        demand={
            "referrals_per_day": 2.0,
            "seasonality_amplitude": 0.5,
            "seasonality_peak_day": 100,
            "shocks": [{"start_day": 300, "end_day": 400, "multiplier": 3.0}],
        }
    )
    assert arrivals.referral_rate(model, 100) == pytest.approx(3.0)  # peak: r (1 + a)
    assert arrivals.referral_rate(model, 230) == pytest.approx(1.0)  # half a year on: r (1 - a)
    assert arrivals.referral_rate(model, 165) == pytest.approx(2.0)  # quarter: cos = 0
    season_360 = 1 + 0.5 * math.cos(2 * math.pi * (360 - 100) / 260)
    assert arrivals.referral_rate(model, 360) == pytest.approx(2.0 * season_360 * 3.0)
    assert arrivals.referral_rate(model, 400) == pytest.approx(
        2.0 * (1 + 0.5 * math.cos(2 * math.pi * 300 / 260))
    )  # end_day is exclusive


def test_poisson_arrivals_match_rate_with_seasonality_and_shock():
    model = quiet_model(
        team={"n_teams": 2},
        demand={
            "referrals_per_day": 1.5,
            "seasonality_amplitude": 0.6,
            "seasonality_peak_day": 50,
            "shocks": [{"start_day": 560, "end_day": 620, "multiplier": 4.0}],
        },
    )
    days = 780
    counts = np.zeros(days)
    expected = np.zeros(days)
    for day in range(days):
        model.day = day
        counts[day] = arrivals.arrive(model)
        expected[day] = 2 * arrivals.referral_rate(model, day)  # two teams
    # Whole run, and windows around the peak, the trough and the shock: Poisson totals.
    phase = (np.arange(days) - 50) % 260
    windows = {
        "all": np.ones(days, dtype=bool),
        "peak": ((phase < 25) | (phase > 235)) & (np.arange(days) < 560),
        "trough": (np.abs(phase - 130) < 25) & (np.arange(days) < 560),
        "shock": (np.arange(days) >= 560) & (np.arange(days) < 620),
    }
    for name, mask in windows.items():
        obs, exp = counts[mask].sum(), expected[mask].sum()
        assert abs(obs - exp) < 4 * math.sqrt(exp), f"{name}: {obs} referrals, expected {exp:.0f}"
    assert counts[windows["peak"]].mean() > 2.5 * counts[windows["trough"]].mean()
    # Every referral is a waiting row stamped with its arrival day, split across both teams.
    cases = model.cases
    assert cases.n == counts.sum()
    assert np.all(cases.status[: cases.n] == WAITING)
    assert np.all(cases.worker[: cases.n] == NEVER)
    per_day = np.bincount(cases.day_arrived[: cases.n], minlength=days)
    np.testing.assert_array_equal(per_day, counts)
    teams = np.bincount(cases.team[: cases.n], minlength=2)
    assert abs(teams[0] - teams[1]) < 4 * math.sqrt(cases.n)


def test_daily_counts_are_poisson_without_seasonality():
    model = quiet_model(demand={"referrals_per_day": 3.0})
    counts = []
    for day in range(1500):
        model.day = day
        counts.append(arrivals.arrive(model))
    counts = np.array(counts)
    assert counts.mean() == pytest.approx(3.0, abs=4 * math.sqrt(3.0 / 1500))
    assert counts.var() / counts.mean() == pytest.approx(1.0, abs=0.12)  # dispersion index


def test_case_mix_shares_are_respected_and_schedule_set():
    mix = {"assessment": 0.5, "child_in_need": 0.3, "adult_review": 0.2}
    model = quiet_model(demand={"referrals_per_day": 4.0, "mix": mix})
    for day in range(600):
        model.day = day
        arrivals.arrive(model)
    cases = model.cases
    codes = cases.type_code[: cases.n]
    total = cases.n
    for name in CASE_TYPES:
        observed = int(np.count_nonzero(codes == CASE_TYPES.index(name)))
        assert binomial_ok(observed, total, mix.get(name, 0.0)), f"{name}: {observed}/{total}"
    # The visit schedule and weight come from the case type.
    for name in mix:
        rows = np.flatnonzero(codes == CASE_TYPES.index(name))
        spec = model.config.case_types[name]
        np.testing.assert_array_equal(
            cases.day_visit_due[rows], cases.day_arrived[rows] + spec.first_visit_days
        )
        assert np.all(cases.weight[rows] == spec.complexity_weight)
        assert np.all(cases.work_days_left[rows] >= spec.duration.min_days)


# --- risk ---------------------------------------------------------------------------------------

STILL_RISK = {
    "enabled": True,
    "reversion_per_day": 0.0,
    "volatility_per_day": 0.0,
    "unmonitored_drift_per_day": 0.0,
    "incident_rate_per_case_year": 0.0,
}


def test_risk_reverts_towards_type_mean():
    model = quiet_model(risk={**STILL_RISK, "reversion_per_day": 0.1})
    mu = logit(model.config.case_types["child_protection"].initial_risk_mean)
    rows = add_cases(model, 3, "child_protection", visit_due_day=50)
    model.cases.risk_logit[rows] = [mu + 2.0, mu - 1.0, mu + 2.0]
    model.cases.close(rows[2:], model.day)  # closed cases no longer evolve
    risk.evolve(model)
    np.testing.assert_allclose(model.cases.risk_logit[rows], [mu + 1.8, mu - 0.9, mu + 2.0])


def test_risk_volatility_is_a_gaussian_step():
    model = quiet_model(risk={**STILL_RISK, "volatility_per_day": 0.3})
    rows = add_cases(model, 20_000, "child_in_need", visit_due_day=50)
    before = model.cases.risk_logit[rows].copy()
    risk.evolve(model)
    step = model.cases.risk_logit[rows] - before
    assert abs(step.mean()) < 4 * 0.3 / math.sqrt(len(rows))
    assert step.std() == pytest.approx(0.3, rel=0.03)


def test_overdue_cases_drift_up():
    model = quiet_model(risk={**STILL_RISK, "unmonitored_drift_per_day": 0.05})
    model.day = 30
    overdue = add_cases(model, 1, "child_in_need", visit_due_day=20)
    on_time = add_cases(model, 1, "child_in_need", visit_due_day=40)
    due_today = add_cases(model, 1, "child_in_need", visit_due_day=30)
    rows = np.concatenate([overdue, on_time, due_today])
    before = model.cases.risk_logit[rows].copy()
    for _ in range(10):
        risk.evolve(model)
    np.testing.assert_allclose(model.cases.risk_logit[rows] - before, [0.5, 0.0, 0.0])


def test_incident_hazard_rises_with_risk_overdue_and_stale_records():
    cfg = {
        **STILL_RISK,
        "incident_rate_per_case_year": 26.0,  # 0.1 a day at the reference risk
        "incident_risk_log_ratio": 4.0,
        "incident_overdue_log_ratio": 0.7,
        "incident_record_log_ratio": 0.3,
    }
    model = quiet_model(risk=cfg, team={"social_worker_posts": 1})
    worker = model.workers[0]
    model.day = 100
    size = 3000
    groups = {
        "low": add_cases(model, size, visit_due_day=110),
        "high": add_cases(model, size, visit_due_day=110),
        "overdue": add_cases(model, size, visit_due_day=60),  # 40 days = 2 intervals
        "stale": add_cases(model, size, worker=worker, visit_due_day=110),
    }
    cases = model.cases
    for name, rows in groups.items():
        cases.risk_logit[rows] = logit(0.8 if name == "high" else 0.2)
    cases.day_oldest_unrecorded[groups["stale"]] = 90  # 10 days > threshold of 2
    log_hazard = {"low": 0.0, "high": 4.0 * 0.6, "overdue": 0.7 * 2.0, "stale": 0.3}
    repeats = 4
    total = 0
    for _ in range(repeats):
        total += risk.evolve(model)
    assert total == int(cases.n_incidents[: cases.n].sum())
    rates = {}
    for name, rows in groups.items():
        p = -math.expm1(-0.1 * math.exp(log_hazard[name]))
        hits = int(cases.n_incidents[rows].sum())
        rates[name] = hits / (size * repeats)
        assert binomial_ok(hits, size * repeats, p), f"{name}: {hits} incidents, p = {p:.3f}"
    assert rates["high"] > rates["overdue"] > rates["stale"] > rates["low"]
    # An incident reveals the risk and brings the visit forward to today.
    hit = groups["high"][cases.n_incidents[groups["high"]] > 0]
    np.testing.assert_allclose(cases.observed_risk[hit], 0.8)
    assert np.all(cases.day_visit_due[hit] <= model.day)
    # The worker holding the stale cases hears of every incident on them.
    assert worker.incidents_today == int(cases.n_incidents[groups["stale"]].sum()) > 0


def test_no_incidents_and_no_risk_change_when_risk_disabled():
    model = quiet_model(
        risk={
            "enabled": False,
            "incident_rate_per_case_year": 260.0,
            "volatility_per_day": 1.0,
            "unmonitored_drift_per_day": 1.0,
        }
    )
    model.day = 100
    rows = add_cases(model, 500, "child_protection", visit_due_day=10)
    model.cases.risk_logit[rows] = logit(0.9)
    before = model.cases.risk_logit[rows].copy()
    for _ in range(20):
        assert risk.evolve(model) == 0
    assert model.cases.n_incidents[rows].sum() == 0
    np.testing.assert_array_equal(model.cases.risk_logit[rows], before)


# --- allocation ---------------------------------------------------------------------------------


def test_allocation_takes_highest_observed_risk_first_then_oldest():
    model = quiet_model(team={"social_worker_posts": 1}, allocation={"max_allocations_per_day": 1})
    model.day = 10
    rows = np.concatenate([add_cases(model, 1, observed_risk=r) for r in (0.1, 0.6, 0.3, 0.3)])
    model.cases.day_arrived[rows] = [9, 9, 8, 5]  # the last 0.3 case has waited longest
    order = []
    for _ in range(4):
        allocation.allocate(model)
        allocated = set(np.flatnonzero(model.cases.status[: model.cases.n] == ALLOCATED))
        order.append(next(iter(allocated - set(order))))
    assert order == [rows[1], rows[3], rows[2], rows[0]]


def test_allocation_goes_to_least_loaded_worker_per_fte():
    model = quiet_model(team={"social_worker_posts": 3})
    w0, w1, w2 = model.workers
    for w, k in ((w0, 5), (w1, 2), (w2, 4)):
        add_cases(model, k, worker=w)
    (row,) = add_cases(model, 1)
    allocation.allocate(model)
    assert model.cases.worker[row] == w1.index
    # Load is per unit of capacity: 2 cases at 0.5 FTE is heavier than 3 at 1 FTE.
    model2 = quiet_model(team={"social_worker_posts": 2})
    a, b = model2.workers
    a.fte = 0.5
    add_cases(model2, 2, worker=a)
    add_cases(model2, 3, worker=b)
    (row,) = add_cases(model2, 1)
    allocation.allocate(model2)
    assert model2.cases.worker[row] == b.index


def test_first_allocation_records_the_wait():
    model = quiet_model(team={"social_worker_posts": 1})
    model.day = 3
    (row,) = add_cases(model, 1)
    model.day = 10
    assert allocation.allocate(model) == 1
    assert model.tally.allocated_today == 1
    assert model.tally.wait_days_today == 7
    assert model.cases.day_first_allocated[row] == 10
    assert model.cases.n_worker_changes[row] == 0


def test_count_cap_with_wait_is_never_exceeded():
    model = quiet_model(
        team={"social_worker_posts": 2},
        allocation={"cap_kind": "count", "cap_per_fte": 3.0, "at_cap": "wait"},
    )
    add_cases(model, 10)
    assert allocation.allocate(model) == 6
    assert allocation.allocate(model) == 0  # nothing more fits on a second pass
    for w in model.workers:
        assert len(open_rows_of(model, w)) == 3
    assert model.cases.count(WAITING) == 4


def test_held_caseload_is_topped_up_whatever_the_cap():
    model = quiet_model(
        team={"social_worker_posts": 2, "workers": [{"name": "Held", "held_caseload": 5}]},
        allocation={"cap_kind": "count", "cap_per_fte": 3.0, "at_cap": "wait"},
    )
    held = next(w for w in model.workers if w.name == "Held")
    other = next(w for w in model.workers if w.name != "Held")
    add_cases(model, 3, worker=held)
    add_cases(model, 3, worker=other)  # both at the cap of 3 before anything waits
    add_cases(model, 4)
    assert allocation.allocate(model) == 2
    assert len(open_rows_of(model, held)) == 5  # past the cap, up to the held caseload
    assert len(open_rows_of(model, other)) == 3  # everyone else stops at the cap
    assert model.cases.count(WAITING) == 2


def test_weighted_cap_lets_a_lighter_case_past_a_heavy_one_that_does_not_fit():
    model = quiet_model(
        team={"social_worker_posts": 1},
        allocation={"cap_kind": "weighted", "cap_per_fte": 3.9, "at_cap": "wait"},
    )
    heavy = np.concatenate(
        [add_cases(model, 1, "child_protection", observed_risk=r) for r in (0.9, 0.8, 0.7)]
    )
    light = add_cases(model, 1, "adult_review", observed_risk=0.1)  # weight 0.8
    allocation.allocate(model)
    status = model.cases.status
    assert list(status[heavy]) == [
        ALLOCATED,
        ALLOCATED,
        WAITING,
    ]  # 1.5 + 1.5, the third would be 4.5
    assert status[light[0]] == ALLOCATED  # 3.0 + 0.8 <= 3.9
    worker = model.workers[0]
    assert model.cases.weight[open_rows_of(model, worker)].sum() <= 3.9


def test_breach_allocates_beyond_the_cap_to_the_least_loaded():
    model = quiet_model(
        team={"social_worker_posts": 2},
        allocation={"cap_kind": "count", "cap_per_fte": 3.0, "at_cap": "breach"},
    )
    a, b = model.workers
    add_cases(model, 3, worker=a)
    add_cases(model, 1, worker=b)
    add_cases(model, 6)
    assert allocation.allocate(model) == 6
    # b fills to the cap first (2 cases), then the rest breach, spread by load: 3+2 and 3+2.
    assert len(open_rows_of(model, a)) == 5
    assert len(open_rows_of(model, b)) == 5
    assert model.cases.count(WAITING) == 0


def test_newly_qualified_get_a_protected_caseload():
    cfg = {"cap_kind": "count", "cap_per_fte": 10.0, "nqsw_caseload_factor": 0.5}
    model = quiet_model(
        team={"social_worker_posts": 2}, allocation={**cfg, "max_allocations_per_day": 100}
    )
    nqsw, experienced = model.workers
    nqsw.experience_days = 100.0
    assert nqsw.is_nqsw and not experienced.is_nqsw
    add_cases(model, 20)
    allocation.allocate(model)
    assert len(open_rows_of(model, nqsw)) == 5
    assert len(open_rows_of(model, experienced)) == 10
    assert model.cases.count(WAITING) == 5
    # Without a cap the factor still balances load per unit of capacity: 1 : 2.
    model = quiet_model(team={"social_worker_posts": 2}, allocation={"nqsw_caseload_factor": 0.5})
    nqsw, experienced = model.workers
    nqsw.experience_days = 100.0
    add_cases(model, 9)
    allocation.allocate(model)
    assert len(open_rows_of(model, nqsw)) == 3
    assert len(open_rows_of(model, experienced)) == 6


def test_newly_qualified_status_ends_after_a_working_year():
    model = quiet_model()
    worker = model.workers[0]
    worker.experience_days = 200.0
    model.day = 59
    assert worker.is_nqsw
    model.day = 60
    assert not worker.is_nqsw


def _sick_worker_model(policy: str, days_sick: int):
    model = quiet_model(
        team={"social_worker_posts": 2},
        allocation={"on_long_term_sickness": policy, "long_term_sick_after_days": 15},
    )
    model.day = 30
    sick, well = model.workers
    rows = add_cases(model, 4, worker=sick)
    sick.day_sick_started = model.day - days_sick
    sick.day_sick_until = model.day + 30
    return model, sick, well, rows


def test_long_term_sick_workers_cases_are_reallocated():
    model, sick, well, rows = _sick_worker_model("reallocate", days_sick=15)
    allocation.allocate(model)
    assert sick.is_reported_long_term_sick
    assert np.all(model.cases.worker[rows] == well.index)
    assert np.all(model.cases.status[rows] == ALLOCATED)
    assert np.all(model.cases.n_worker_changes[rows] == 1)


def test_long_term_sick_workers_cases_stay_uncovered_by_policy():
    model, sick, _, rows = _sick_worker_model("uncovered", days_sick=15)
    allocation.allocate(model)
    assert sick.is_reported_long_term_sick
    assert np.all(model.cases.worker[rows] == sick.index)
    assert np.all(model.cases.status[rows] == ALLOCATED)


def test_short_absence_keeps_cases():
    model, sick, _, rows = _sick_worker_model("reallocate", days_sick=5)
    allocation.allocate(model)
    assert not sick.is_reported_long_term_sick
    assert np.all(model.cases.worker[rows] == sick.index)


def test_max_allocations_per_day_per_manager_within_team():
    model = quiet_model(
        team={"n_teams": 2, "social_worker_posts": 2}, allocation={"max_allocations_per_day": 4}
    )
    team_rows = [add_cases(model, 10, team=t) for t in (0, 1)]
    assert allocation.allocate(model) == 8
    for team, rows in enumerate(team_rows):
        allocated = rows[model.cases.status[rows] == ALLOCATED]
        assert len(allocated) == 4
        assert all(model.workers[w].team == team for w in model.cases.worker[allocated])
    assert allocation.allocate(model) == 8


def test_sick_workers_get_no_new_cases():
    model = quiet_model(team={"social_worker_posts": 2})
    sick, well = model.workers
    sick.day_sick_started, sick.day_sick_until = 0, 5
    rows = add_cases(model, 5)
    allocation.allocate(model)
    assert np.all(model.cases.worker[rows] == well.index)


# --- supervision --------------------------------------------------------------------------------

SUPERVISION = {
    "enabled": True,
    "interval_days": 20,
    "session_hours": 1.5,
    "recording_hours": 0.5,
    "manager_hours_per_week": 37.0,
    "manager_fixed_hours_per_week": 12.0,
    "oversight_hours_per_case_per_week": 0.08,
    "span_optimum_cases": 65,
}


def test_supervision_counts_on_time_late_and_missed():
    model = quiet_model(
        team={"social_worker_posts": 3},
        supervision={**SUPERVISION, "manager_fixed_hours_per_week": 0.0},  # 7.4 h: three sessions
    )
    model.day = 10
    on_time, late, never = model.workers
    on_time.day_supervision_due = 10
    late.day_supervision_due = 5
    never.day_supervision_due = -35  # two whole intervals missed, then late
    supervision.supervise(model)
    manager = model.managers[0]
    assert manager.sessions_held == 3
    assert manager.sessions_on_time == 1
    assert manager.sessions_missed == 2
    assert model.tally.supervision_expected_today == 5
    assert model.tally.supervision_on_time_today == 1
    for w in model.workers:
        assert w.supervised_today
        assert w.supervision_hours_today == 1.5
        assert w.day_supervision_due == 30
    # Not due again tomorrow.
    model.day = 11
    supervision.supervise(model)
    assert manager.sessions_held == 3
    assert not any(w.supervised_today for w in model.workers)


def test_newly_qualified_are_supervised_more_often():
    model = quiet_model(supervision={**SUPERVISION, "nqsw_interval_days": 10})
    nqsw, other = model.workers
    nqsw.experience_days = 0.0
    for w in model.workers:
        w.day_supervision_due = 0
    supervision.supervise(model)
    assert nqsw.day_supervision_due == 10
    assert other.day_supervision_due == 20


@pytest.mark.parametrize(("open_cases", "sessions"), [(0, 2), (100, 1), (200, 0)])
def test_overloaded_manager_holds_fewer_sessions(open_cases, sessions):
    model = quiet_model(team={"social_worker_posts": 6}, supervision=SUPERVISION)
    for w in model.workers:
        w.day_supervision_due = 0
    if open_cases:
        add_cases(model, open_cases)
    supervision.supervise(model)
    manager = model.managers[0]
    ratio = max(1.0, open_cases / 65)
    hours = max(0.0, (37 - 12) / 5 - 0.08 * open_cases / 5 * ratio)
    assert manager.hours_for_supervision == pytest.approx(hours)
    assert manager.sessions_held == sessions == math.floor(hours / 2.0)
    assert sum(w.supervised_today for w in model.workers) == sessions


def test_no_sessions_when_supervision_disabled():
    model = quiet_model(supervision={**SUPERVISION, "enabled": False})
    for w in model.workers:
        w.day_supervision_due = 0
    supervision.supervise(model)
    assert model.managers[0].sessions_held == 0
    assert not any(w.supervised_today for w in model.workers)


# --- work ---------------------------------------------------------------------------------------

#: One full-time worker with exactly 1.75 clock hours a day for cases, and no unpaid overtime.
TIGHT_DAY = {
    "contracted_hours_per_week": 8.75,
    "duty_hours_per_week": 0.0,
    "meetings_hours_per_week": 0.0,
    "training_hours_per_week": 0.0,
    "max_unpaid_overtime_hours_per_week": 0.0,
}


@pytest.mark.parametrize("style", ["contact_first", "recording_first"])
def test_priority_order_contact_first_versus_recording_first(style):
    model = quiet_model(team={"social_worker_posts": 1}, work=TIGHT_DAY)
    worker = model.workers[0]
    worker.priority_style = style
    model.day = 5
    (due,) = add_cases(model, 1, worker=worker, visit_due_day=5, work_days_left=50)
    (backlog,) = add_cases(model, 1, worker=worker, visit_due_day=30, work_days_left=50)
    model.cases.pending_recording_hours[backlog] = 1.75
    model.cases.day_oldest_unrecorded[backlog] = 2
    work.work(model)
    cases = model.cases
    assert worker.hours_worked == pytest.approx(1.75)
    if style == "contact_first":
        assert cases.n_visits[due] == 1 and cases.day_visit_due[due] == 5 + 20
        assert cases.pending_recording_hours[backlog] == pytest.approx(1.75)
        assert cases.pending_recording_hours[due] == pytest.approx(1.5)  # the new write-up
        assert worker.contact_hours == pytest.approx(1.0)
    else:
        assert cases.n_visits[due] == 0 and cases.day_visit_due[due] == 5
        assert cases.pending_recording_hours[backlog] == 0.0
        assert cases.day_oldest_unrecorded[backlog] == NEVER
    assert worker.backlog_hours == pytest.approx(
        cases.pending_recording_hours[[due, backlog]].sum()
    )


def _first_visit_of_the_day(due_and_risk):
    """Which case a worker with time for one visit sees first on day 20."""
    model = quiet_model(team={"social_worker_posts": 1}, work=TIGHT_DAY)
    worker = model.workers[0]
    model.day = 20
    rows = [
        add_cases(model, 1, worker=worker, visit_due_day=due, observed_risk=r)[0]
        for due, r in due_and_risk
    ]
    work.work(model)
    visited = [i for i, row in enumerate(rows) if model.cases.day_last_visit[row] == 20]
    assert len(visited) == 1
    return visited[0]


def test_overdue_visits_go_highest_observed_risk_first():
    # Riskier overdue case before the longer-overdue one, and before a riskier one due today.
    assert _first_visit_of_the_day([(2, 0.1), (18, 0.7), (20, 0.9)]) == 1
    # Any overdue visit before one due today, whatever the risk.
    assert _first_visit_of_the_day([(19, 0.1), (20, 0.9)]) == 0
    # Equal risk: the most overdue first.
    assert _first_visit_of_the_day([(15, 0.4), (5, 0.4), (20, 0.4)]) == 1
    # Among visits due today, highest observed risk first.
    assert _first_visit_of_the_day([(20, 0.2), (20, 0.6)]) == 1


def test_visit_recording_is_reduced_by_admin_share_up_to_admin_hours():
    support = {"admin_staff": 1.0, "admin_hours_per_week": 37.0, "admin_recording_share": 0.3}
    tight = {**TIGHT_DAY, "contracted_hours_per_week": 5 * 2.25, "recording_efficiency": 1.4}
    model = quiet_model(team={"social_worker_posts": 1}, work=tight, support=support)
    worker = model.workers[0]
    (row,) = add_cases(
        model, 1, "child_protection", worker=worker, visit_due_day=0, work_days_left=50
    )
    work.work(model)
    recording = 1.5 * 1.5 * 1.4  # hours per visit x weight x efficiency
    assert model.cases.n_visits[row] == 1
    assert model.admins[0].hours_worked == pytest.approx(0.3 * recording)
    assert model.cases.pending_recording_hours[row] == pytest.approx(0.7 * recording)
    assert model.cases.day_oldest_unrecorded[row] == 0
    # An admin with only half an hour a day absorbs only that.
    support["admin_hours_per_week"] = 2.5
    model = quiet_model(team={"social_worker_posts": 1}, work=tight, support=support)
    (row,) = add_cases(model, 1, "child_protection", worker=model.workers[0], visit_due_day=0)
    work.work(model)
    assert model.admins[0].hours_worked == pytest.approx(0.5)
    assert model.cases.pending_recording_hours[row] == pytest.approx(recording - 0.5)


def test_slow_recording_system_creates_more_recording():
    pending = {}
    for efficiency in (1.0, 1.4):
        model = quiet_model(
            team={"social_worker_posts": 1}, work={**TIGHT_DAY, "recording_efficiency": efficiency}
        )
        (row,) = add_cases(model, 1, worker=model.workers[0], visit_due_day=0)
        work.work(model)
        pending[efficiency] = model.cases.pending_recording_hours[row]
    assert pending[1.4] == pytest.approx(1.4 * pending[1.0])


def test_hours_budget_follows_the_equation():
    model = quiet_model(team={"social_worker_posts": 1}, sickness={"enabled": False})
    worker = model.workers[0]
    # 37 h a week, overheads 3.5 + 2 + 1.5 h a week: 7.4 - 1.4 = 6 h a day.
    assert work.hours_budget(worker, model) == pytest.approx(6.0)
    worker.fte = 0.8
    assert work.hours_budget(worker, model) == pytest.approx(0.8 * 6.0)
    worker.fte = 1.0
    worker.experience_days = 0.0  # newly qualified: 10% of contracted time protected
    assert work.hours_budget(worker, model) == pytest.approx(6.0 - 0.74)
    worker.experience_days = 3000.0
    worker.supervision_hours_today = 1.5
    assert work.hours_budget(worker, model) == pytest.approx(4.5)


def test_hours_worked_never_exceed_budget_plus_overtime():
    model = quiet_model(team={"social_worker_posts": 2})
    busy, light = model.workers
    add_cases(model, 40, "child_protection", worker=busy, visit_due_day=0)
    add_cases(model, 1, "adult_review", worker=light, visit_due_day=100)
    work.work(model)
    assert busy.hours_available == pytest.approx(6.0)
    assert busy.overtime_allowed == pytest.approx(12.0 / 5)  # the weekly cap binds
    assert busy.hours_worked <= busy.hours_available + busy.overtime_allowed + 1e-9
    assert busy.hours_worked > 6.0  # into unpaid overtime (a last visit may not fit the end)
    assert busy.overtime_hours == pytest.approx(busy.hours_worked - 6.0)
    assert busy.demand_hours > 8.4
    # A light load needs no overtime and leaves time unused.
    assert light.overtime_allowed == 0.0 and light.overtime_hours == 0.0
    assert light.hours_worked < light.hours_available


def test_overtime_is_a_share_of_the_shortfall_below_the_cap():
    model = quiet_model(team={"social_worker_posts": 1}, work={"overtime_share_of_shortfall": 0.5})
    worker = model.workers[0]
    rows = add_cases(model, 3, "child_protection", worker=worker, visit_due_day=0)
    model.cases.pending_recording_hours[rows] = 1.0
    model.cases.day_oldest_unrecorded[rows] = 0
    work.work(model)
    assert worker.demand_hours > worker.hours_available
    expected = min(2.4, 0.5 * (worker.demand_hours - worker.hours_available))
    assert worker.overtime_allowed == pytest.approx(expected)


def test_duty_every_day_returners_do_no_casework():
    model = quiet_model(
        team={"social_worker_posts": 1},
        sickness={"enabled": False, "return_policy": "duty_every_day"},
    )
    worker = model.workers[0]
    model.day = 50
    worker.day_sick_started, worker.day_sick_until = 10, 50
    worker.day_return_period_until = 70
    assert worker.is_available(50) and worker.is_returning(50)
    rows = add_cases(model, 10, worker=worker, visit_due_day=40, work_days_left=50)
    model.cases.pending_recording_hours[rows] = 2.0
    model.cases.day_oldest_unrecorded[rows] = 30
    work.work(model)
    assert worker.hours_available == 0.0
    assert worker.overtime_allowed == 0.0
    assert worker.hours_worked == 0.0
    assert worker.contact_hours == 0.0
    assert worker.duty_hours == pytest.approx(7.4)
    assert np.all(model.cases.n_visits[rows] == 0)
    np.testing.assert_allclose(model.cases.pending_recording_hours[rows], 2.0)
    # Plans still move at the minimum pace (reviews happen whatever the worker does).
    minimum = model.config.work.minimum_progress_share
    np.testing.assert_allclose(model.cases.work_days_left[rows], 50 - minimum)


def test_phased_return_halves_contracted_hours():
    model = quiet_model(
        team={"social_worker_posts": 1},
        sickness={"enabled": False, "return_policy": "phased", "phased_return_capacity": 0.5},
    )
    worker = model.workers[0]
    model.day = 50
    worker.day_sick_started, worker.day_sick_until = 10, 50
    worker.day_return_period_until = 70
    assert work.hours_budget(worker, model) == pytest.approx(7.4 * 0.5 - 1.4)


def test_sick_workers_do_nothing():
    model = quiet_model(team={"social_worker_posts": 1})
    worker = model.workers[0]
    worker.day_sick_started, worker.day_sick_until = 0, 3
    (row,) = add_cases(model, 1, worker=worker, visit_due_day=0, work_days_left=10)
    work.work(model)
    assert worker.hours_worked == 0.0
    assert model.cases.n_visits[row] == 0
    assert model.cases.work_days_left[row] == 10  # no worker, no progress
    assert worker.caseload == 1


def test_burnout_lowers_productivity():
    model = quiet_model(team={"social_worker_posts": 2}, work=TIGHT_DAY)
    burnt, well = model.workers
    burnt.is_burnt_out = True
    assert work.productivity(burnt, model) == pytest.approx(0.85)
    assert work.productivity(well, model) == 1.0
    rows = {}
    for w in model.workers:
        (rows[w.index],) = add_cases(model, 1, worker=w, visit_due_day=100, work_days_left=50)
        model.cases.pending_recording_hours[rows[w.index]] = 10.0
        model.cases.day_oldest_unrecorded[rows[w.index]] = 0
    work.work(model)
    pending = model.cases.pending_recording_hours
    assert pending[rows[well.index]] == pytest.approx(10.0 - 1.75)
    assert pending[rows[burnt.index]] == pytest.approx(10.0 - 0.85 * 1.75)
    assert burnt.hours_worked == well.hours_worked == pytest.approx(1.75)


def test_new_starters_ramp_up_productivity():
    model = quiet_model(work={"starter_ramp_days": 60, "starter_initial_productivity": 0.5})
    starter = model.builder.hire(0, is_agency=False)  # hired today: not an initial worker
    assert work.productivity(starter, model) == pytest.approx(0.5)
    model.day = 30
    assert work.productivity(starter, model) == pytest.approx(0.75)
    model.day = 60
    assert work.productivity(starter, model) == 1.0


def test_finished_case_steps_up_to_next_type():
    model = quiet_model(
        team={"social_worker_posts": 1},
        case_types={
            "assessment": {
                "next_type": {"child_in_need": 1.0, "child_protection": 0.0, "looked_after": 0.0}
            }
        },
    )
    model.day = 7
    (row,) = add_cases(
        model, 1, "assessment", worker=model.workers[0], visit_due_day=30, work_days_left=0.3
    )
    work.work(model)
    cases = model.cases
    cin = model.config.case_types["child_in_need"]
    assert CASE_TYPES[cases.type_code[row]] == "child_in_need"
    assert cases.status[row] == ALLOCATED
    assert cases.weight[row] == cin.complexity_weight
    assert cases.visit_interval_days[row] == cin.visit_interval_days
    assert cases.day_visit_due[row] == 7 + cin.first_visit_days
    assert cases.work_days_left[row] >= cin.duration.min_days


def test_ready_case_closes_after_its_paperwork():
    model = quiet_model(
        team={"social_worker_posts": 1},
        work={"closure_paperwork_hours": 2.0},
        case_types={
            "assessment": {
                "next_type": {"child_in_need": 0.0, "child_protection": 0.0, "looked_after": 0.0}
            }
        },
    )
    worker = model.workers[0]
    (row,) = add_cases(model, 1, "assessment", worker=worker, visit_due_day=30, work_days_left=0.3)
    cases = model.cases
    work.work(model)
    assert cases.status[row] == READY
    assert cases.closure_hours_left[row] == pytest.approx(2.0)
    assert cases.day_visit_due[row] == NO_VISIT_DUE
    assert cases.work_days_left[row] == 0.0
    assert worker.caseload == 1
    # Next day a recording backlog on the case must be cleared too before it can close.
    cases.pending_recording_hours[row] = 1.0
    cases.day_oldest_unrecorded[row] = 0
    model.day = 1
    work.work(model)
    assert cases.status[row] == CLOSED
    assert cases.day_closed[row] == 1
    assert cases.closure_hours_left[row] == 0.0 and cases.pending_recording_hours[row] == 0.0
    assert worker.n_cases_closed == 1
    assert model.tally.closed_today == 1
    assert row not in model.referral_agents


def test_ready_case_stays_open_when_nobody_has_time_to_close_it():
    model = quiet_model(
        team={"social_worker_posts": 1},
        work={**TIGHT_DAY, "closure_paperwork_hours": 2.0},
        case_types={"adult_review": {"duration": {"kind": "fixed", "mean_days": 1.0}}},
    )
    worker = model.workers[0]
    (ready,) = add_cases(
        model, 1, "adult_review", worker=worker, visit_due_day=100, work_days_left=0.2
    )
    add_cases(model, 5, worker=worker, visit_due_day=0, work_days_left=50)  # visits take the day
    for day in range(3):
        model.day = day
        work.work(model)
    assert model.cases.status[ready] == READY
    assert model.cases.closure_hours_left[ready] > 0


def test_no_paperwork_closes_the_day_the_work_ends():
    model = quiet_model(
        team={"social_worker_posts": 1},
        work={"closure_paperwork_hours": 0.0},
    )
    (row,) = add_cases(
        model, 1, "adult_review", worker=model.workers[0], visit_due_day=100, work_days_left=0.7
    )
    work.work(model)
    assert model.cases.status[row] == CLOSED


def test_social_work_assistant_visits_low_risk_eligible_cases_only():
    model = quiet_model(
        team={"social_worker_posts": 1},
        support={"swa_staff": 1.0, "swa_max_observed_risk": 0.3},
        work={**TIGHT_DAY, "contracted_hours_per_week": 0.1},  # the worker has no time for visits
    )
    worker = model.workers[0]
    low = add_cases(model, 2, "child_in_need", worker=worker, visit_due_day=0, observed_risk=0.1)
    high = add_cases(model, 1, "child_in_need", worker=worker, visit_due_day=0, observed_risk=0.5)
    ineligible = add_cases(
        model, 1, "child_protection", worker=worker, visit_due_day=0, observed_risk=0.1
    )
    work.work(model)
    cases = model.cases
    assert np.all(cases.n_visits[low] == 1)
    assert cases.n_visits[high[0]] == 0 and cases.n_visits[ineligible[0]] == 0
    assert np.all(cases.pending_recording_hours[low] == 0.0)  # the assistant writes it up
    assert model.swas[0].n_visits == 2
    assert model.swas[0].hours_worked <= model.swas[0].hours_per_day() + 1e-9


# --- wellbeing ----------------------------------------------------------------------------------

WELLBEING = {
    "enabled": True,
    "baseline_gain_per_day": 0.004,
    "overload_gain_per_day": 0.04,
    "backlog_gain_per_day": 0.01,
    "backlog_reference_hours": 20.0,
    "overtime_gain_per_day": 0.02,
    "duty_gain_per_day": 0.01,
    "recovery_per_day": 0.02,
    "burnout_threshold": 0.53,
    "burnout_onset_days": 10,
    "burnout_recovery_threshold": 0.43,
}


def _set_day(worker, *, available=6.0, demand=0.0, backlog=0.0, overtime=0.0, duty=0.0):
    worker.hours_available = available
    worker.demand_hours = demand
    worker.backlog_hours = backlog
    worker.overtime_hours = overtime
    worker.duty_hours = duty
    worker.incidents_today = 0
    worker.supervised_today = False


def stressed(s: float, gain: float, recovery: float = 0.02, relief: float = 0.0) -> float:
    """The wellbeing equation: gain towards 1, then recover."""
    return (s + gain * (1 - s)) * (1 - recovery - relief)


def test_stress_rises_under_overload_by_the_equation():
    model = quiet_model(
        team={"social_worker_posts": 1},
        wellbeing=WELLBEING,
        risk={"enabled": False, "incident_stress": 0.15},
    )
    worker = model.workers[0]
    worker.is_agency = False
    worker.stress = 0.2
    _set_day(worker, demand=12.0, backlog=10.0, overtime=1.48, duty=0.74)
    wellbeing.update_stress(model)
    gain = 0.004 + 0.04 * 1.0 + 0.01 * 10 / 20 + 0.02 * 1.48 / 7.4 + 0.01 * 0.74 / 7.4
    assert worker.stress == pytest.approx(stressed(0.2, gain))
    assert worker.stress > 0.2
    # Overload is capped at 2 (demand three times capacity counts as twice).
    worker.stress = 0.2
    _set_day(worker, demand=60.0)
    wellbeing.update_stress(model)
    assert worker.stress == pytest.approx(stressed(0.2, 0.004 + 0.08))
    # Incidents on the worker's cases add a shock.
    worker.stress = 0.2
    _set_day(worker)
    worker.incidents_today = 1
    wellbeing.update_stress(model)
    assert worker.stress == pytest.approx(stressed(0.2, 0.004 + 0.15))
    assert worker.incidents_today == 0


def test_stress_falls_with_recovery_supervision_and_sickness():
    model = quiet_model(
        team={"social_worker_posts": 1}, wellbeing=WELLBEING, supervision={"stress_relief": 0.05}
    )
    worker = model.workers[0]
    worker.is_agency = False
    worker.stress = 0.6
    _set_day(worker)  # no demand
    wellbeing.update_stress(model)
    assert worker.stress == pytest.approx(stressed(0.6, 0.004))
    assert worker.stress < 0.6
    worker.stress = 0.6
    _set_day(worker)
    worker.supervised_today = True
    wellbeing.update_stress(model)
    assert worker.stress == pytest.approx(stressed(0.6, 0.004, relief=0.05))
    worker.stress = 0.6
    worker.day_sick_started, worker.day_sick_until = 0, 5
    _set_day(worker, demand=100.0)
    wellbeing.update_stress(model)
    assert worker.stress == pytest.approx(0.6 * 0.98)


def test_agency_workers_gain_less_stress():
    model = quiet_model(team={"social_worker_posts": 2}, wellbeing=WELLBEING)
    agency, permanent = model.workers
    agency.is_agency, permanent.is_agency = True, False
    for w in model.workers:
        w.stress = 0.2
        _set_day(w, demand=12.0)
    wellbeing.update_stress(model)
    gain_agency = (agency.stress / 0.98 - 0.2) / 0.8
    gain_permanent = (permanent.stress / 0.98 - 0.2) / 0.8
    assert gain_agency == pytest.approx(0.85 * gain_permanent)


def test_burnout_starts_after_onset_days_and_ends_below_recovery_threshold():
    model = quiet_model(team={"social_worker_posts": 1}, wellbeing=WELLBEING)
    worker = model.workers[0]
    worker.stress = 0.8
    onset_day = None
    for day in range(15):
        model.day = day
        _set_day(worker, demand=18.0)  # overload keeps stress high
        wellbeing.update_stress(model)
        assert worker.stress >= 0.53
        if worker.is_burnt_out and onset_day is None:
            onset_day = day
    assert onset_day == 9  # the tenth consecutive day above the threshold
    assert worker.total_burnout_days == 15 - 9
    # Recovery: stress falls; burnout lasts while stress >= 0.43, ends below it.
    for day in range(15, 200):
        model.day = day
        _set_day(worker)
        wellbeing.update_stress(model)
        assert worker.is_burnt_out == (worker.stress >= 0.43)
        if not worker.is_burnt_out:
            break
    assert not worker.is_burnt_out
    assert worker.days_above_threshold == 0


def test_a_dip_below_threshold_restarts_the_onset_count():
    model = quiet_model(team={"social_worker_posts": 1}, wellbeing=WELLBEING)
    worker = model.workers[0]
    for day in range(30):
        model.day = day
        worker.stress = 0.5 if day % 9 == 8 else 0.9  # a good day every ninth
        _set_day(worker)
        worker.hours_available = 0.0  # keep the stress where it is set, roughly
        wellbeing.update_stress(model)
    assert not worker.is_burnt_out
    assert worker.total_burnout_days == 0


def test_no_burnout_when_wellbeing_disabled():
    model = quiet_model(team={"social_worker_posts": 1}, wellbeing={**WELLBEING, "enabled": False})
    worker = model.workers[0]
    worker.stress = 0.9
    for day in range(30):
        model.day = day
        _set_day(worker, demand=50.0)
        wellbeing.update_stress(model)
    assert worker.stress == 0.9
    assert not worker.is_burnt_out


SICKNESS = {
    "enabled": True,
    "short_spells_per_year": 26.0,  # 0.1 a day: enough spells to count
    "long_spells_per_year": 2.6,
    "frailty_shape": 1000.0,  # frailty off: everyone is (almost exactly) 1
    "stress_log_ratio": 0.0,
}


def test_sickness_spells_start_at_the_configured_rates():
    model = quiet_model(team={"social_worker_posts": 100}, sickness=SICKNESS)
    frailty = np.array([w.frailty for w in model.workers])
    assert np.all(np.abs(frailty - 1.0) < 0.15)
    exposure_short = exposure_long = 0.0
    exposure_days = 0
    lengths_short, lengths_long = [], []
    for day in range(400):
        model.day = day
        eligible = [w for w in model.workers if not w.is_sick(day) and w.day_sick_until <= day]
        exposure_days += len(eligible)
        counts_before = {w.index: (w.n_short_spells, w.n_long_spells) for w in eligible}
        for w in eligible:
            p_long = -math.expm1(-w.frailty * 2.6 / 260)
            exposure_long += p_long
            exposure_short += -math.expm1(-w.frailty * 26.0 / 260)
        wellbeing.start_sickness(model)
        for w in eligible:
            short0, long0 = counts_before[w.index]
            if w.n_short_spells > short0:
                lengths_short.append(w.day_sick_until - w.day_sick_started)
                assert w.day_sick_started == day + 1  # starts tomorrow
            if w.n_long_spells > long0:
                lengths_long.append(w.day_sick_until - w.day_sick_started)
                assert w.day_return_period_until == w.day_sick_until + 15
    n_short, n_long = len(lengths_short), len(lengths_long)
    assert abs(n_short - exposure_short) < 4 * math.sqrt(exposure_short), (n_short, exposure_short)
    assert abs(n_long - exposure_long) < 4 * math.sqrt(exposure_long), (n_long, exposure_long)
    assert max(lengths_short) <= 5 and min(lengths_short) >= 1
    assert min(lengths_long) >= 20 and max(lengths_long) <= 260
    assert exposure_days > 20_000


def test_stress_raises_long_sickness_hazard():
    model = quiet_model(
        team={"social_worker_posts": 200},
        sickness={**SICKNESS, "short_spells_per_year": 0.0, "stress_log_ratio": 1.5},
    )
    for i, w in enumerate(model.workers):
        w.stress = 0.9 if i % 2 else 0.1
    exposure = {0.9: 0.0, 0.1: 0.0}
    spells = {0.9: 0, 0.1: 0}
    for day in range(300):
        model.day = day
        eligible = [w for w in model.workers if not w.is_sick(day) and w.day_sick_until <= day]
        before = {w.index: w.n_long_spells for w in eligible}
        for w in eligible:
            h = w.frailty * 2.6 / 260 * math.exp(1.5 * (w.stress - 0.3))
            exposure[w.stress] += -math.expm1(-h)
        wellbeing.start_sickness(model)
        for w in eligible:
            spells[w.stress] += w.n_long_spells - before[w.index]
    for s in (0.9, 0.1):
        assert abs(spells[s] - exposure[s]) < 4 * math.sqrt(exposure[s]), (s, spells, exposure)
    assert spells[0.9] > 2 * spells[0.1]


# --- staffing -----------------------------------------------------------------------------------

NEUTRAL_LEAVING = {
    "attrition_enabled": True,
    "burnout_leave_ratio": 1.0,
    "stress_leave_log_ratio": 0.0,
    "early_career_leave_ratio": 1.0,
    "retention_pay_leave_ratio": 1.0,
}


@pytest.mark.parametrize("agency", [False, True])
def test_leaving_rate_matches_configured_hazard(agency):
    staffing_cfg = {
        **NEUTRAL_LEAVING,
        "leave_rate_per_year": 2.6,
        "agency_leave_rate_per_year": 2.6,
        "agency_backfill": agency,
        "agency_cover_probability": 1.0,
        "agency_delay": {"kind": "fixed", "mean_days": 1.0},
        # Permanent staff are replaced the next day; agency posts never get their recruit.
        "recruitment": {"kind": "fixed", "mean_days": 1.0 if not agency else 5000.0},
    }
    team = {
        "social_worker_posts": 200,
        "initial_vacancy_share": 1.0 if agency else 0.0,
        "initial_agency_cover_share": 1.0,
    }
    model = quiet_model(team=team, staffing=staffing_cfg)
    assert all(w.is_agency == agency for w in model.workers_in_post())
    exposure = 0.0
    for day in range(300):
        model.day = day
        staff = model.workers_in_post()
        assert all(w.is_agency == agency for w in staff)
        for w in staff:
            exposure += -math.expm1(-staffing.leave_hazard_per_day(w, model))
        staffing.update(model)
    left = sum(1 for entry in model.tally.leaver_log if entry["reason"] == "left")
    assert exposure == pytest.approx(200 * 300 * -math.expm1(-0.01), rel=0.05)
    assert abs(left - exposure) < 4 * math.sqrt(exposure), (left, exposure)


def test_leave_hazard_equation():
    cfg = {
        "attrition_enabled": True,
        "leave_rate_per_year": 0.26,
        "burnout_leave_ratio": 2.0,
        "stress_leave_log_ratio": 0.5,
        "early_career_leave_ratio": 1.5,
        "retention_pay_leave_ratio": 0.8,
    }
    model = quiet_model(staffing=cfg)
    worker = model.workers[0]
    worker.is_agency = False
    worker.is_burnt_out = True
    worker.stress = 0.7
    worker.day_started = model.day - 2 * 260  # two years' service: early career
    expected = 0.001 * 2.0 * math.exp(0.5 * 0.4) * 1.5 * 0.8
    assert staffing.leave_hazard_per_day(worker, model) == pytest.approx(expected)
    worker.never_leaves = True
    assert staffing.leave_hazard_per_day(worker, model) == 0.0


def _one_post_model(**staffing_cfg):
    cfg = {
        **NEUTRAL_LEAVING,
        "leave_rate_per_year": 260.0 * 50,  # the permanent worker leaves on day 0
        "agency_leave_rate_per_year": 0.0,
        "recruitment": {"kind": "fixed", "mean_days": 30.0},
        "agency_delay": {"kind": "fixed", "mean_days": 5.0},
        "agency_cover_probability": 1.0,
        **staffing_cfg,
    }
    return quiet_model(team={"social_worker_posts": 1}, staffing=cfg)


def test_vacancy_gets_agency_cover_then_a_permanent_recruit():
    model = _one_post_model()
    first = model.workers[0]
    (row,) = add_cases(model, 1, worker=first)
    holders = []
    for day in range(31):
        model.day = day
        staffing.update(model)
        holders.append(int(model.posts.holder[0]))
    assert not first.is_in_post and first.day_left == 0
    assert model.cases.status[row] == WAITING and model.cases.worker[row] == NEVER
    assert holders[:5] == [NOBODY] * 5  # vacant until the agency worker arrives on day 5
    agency = model.workers[holders[5]]
    assert agency.is_agency and agency.day_started == 5
    assert all(h == agency.index for h in holders[5:30])
    recruit = model.workers[holders[30]]
    assert not recruit.is_agency and recruit.day_started == 30
    assert not agency.is_in_post and agency.left_reason == "agency cover ended"
    assert recruit.starter_ramp_until == 30 + model.config.work.starter_ramp_days
    reasons = [entry["reason"] for entry in model.tally.leaver_log]
    assert reasons == ["left", "agency cover ended"]


def test_no_agency_cover_without_backfill():
    model = _one_post_model(agency_backfill=False)
    for day in range(30):
        model.day = day
        staffing.update(model)
        assert model.posts.holder[0] == NOBODY
    model.day = 30
    staffing.update(model)
    assert not model.workers[model.posts.holder[0]].is_agency


def test_vacancy_freeze_stops_the_recruitment_clock():
    model = _one_post_model(
        agency_backfill=False, vacancy_freeze_start_day=0, vacancy_freeze_end_day=100
    )
    for day in range(130):
        model.day = day
        staffing.update(model)
        assert model.posts.holder[0] == NOBODY, f"hired on day {day} despite the freeze"
    assert staffing.is_frozen(model, 99) and not staffing.is_frozen(model, 100)
    model.day = 130  # 30 working days of recruitment, all after the freeze
    staffing.update(model)
    assert model.posts.holder[0] != NOBODY


def _cut_category(model, post):
    holder = int(model.posts.holder[post])
    if holder == NOBODY:
        return (0, 0)
    worker = model.workers[holder]
    return (1, 0) if worker.is_agency else (2, -worker.day_started)


def test_cut_by_share_removes_vacant_posts_first_then_agency_then_newest():
    # Find a build with both empty and agency-covered vacancies (the build is random).
    for seed in range(100):
        model = quiet_model(
            seed=seed,
            team={
                "social_worker_posts": 10,
                "initial_vacancy_share": 0.4,
                "initial_agency_cover_share": 0.5,
            },
            staffing={"cuts": [{"day": 0, "share": 0.6}], "attrition_enabled": False},
        )
        categories = [_cut_category(model, p) for p in range(10)]
        kinds = [c[0] for c in categories]
        if kinds.count(0) >= 1 and kinds.count(1) >= 1:
            break
    holders_before = model.posts.holder.copy()
    for w in model.workers_in_post():
        add_cases(model, 2, worker=w)
    staffing.update(model)
    cut = [p for p in range(10) if not model.posts.is_active[p]]
    kept = [p for p in range(10) if model.posts.is_active[p]]
    assert len(cut) == 6
    assert max(categories[p] for p in cut) <= min(categories[p] for p in kept)
    for p in cut:
        assert model.posts.holder[p] == NOBODY
        assert model.posts.day_recruit[p] == NOT_SCHEDULED
        if holders_before[p] != NOBODY:
            leaver = model.workers[holders_before[p]]
            assert leaver.left_reason == "post cut"
            assert len(open_rows_of(model, leaver)) == 0
    assert model.cases.count(WAITING) == 2 * sum(1 for p in cut if holders_before[p] != NOBODY)


def test_small_cut_takes_only_empty_posts():
    model = quiet_model(
        team={
            "social_worker_posts": 10,
            "initial_vacancy_share": 0.3,
            "initial_agency_cover_share": 0.0,
        },
        staffing={"cuts": [{"day": 3, "share": 0.2}]},
    )
    staff_before = {w.index for w in model.workers_in_post()}
    assert len(staff_before) == 7
    model.day = 3
    staffing.update(model)
    assert int(model.posts.is_active.sum()) == 8
    assert {w.index for w in model.workers_in_post()} == staff_before
    assert model.tally.leaver_log == []


def test_leavers_cases_return_to_waiting_and_are_reallocated():
    model = _one_post_model(
        recruitment={"kind": "fixed", "mean_days": 1.0},
        agency_backfill=False,
        leave_rate_per_year=0.0,
    )
    worker = model.workers[0]
    rows = add_cases(model, 4, worker=worker, work_days_left=20)
    model.cases.status[rows[0]] = READY
    model.cases.work_days_left[rows[0]] = 0.0
    staffing.depart(model, worker, "left")
    staffing.open_vacancy(model, worker.post, recruit=True)
    assert np.all(model.cases.status[rows] == WAITING)
    assert np.all(model.cases.worker[rows] == NEVER)
    assert model.tally.leavers_today == 1 and model.tally.permanent_leavers_today == 1
    model.day = 1
    staffing.update(model)
    recruit = model.workers[model.posts.holder[0]]
    allocation.allocate(model)
    assert np.all(model.cases.worker[rows] == recruit.index)
    assert np.all(model.cases.n_worker_changes[rows] == 1)
    assert model.cases.status[rows[0]] == READY  # its work was already done
    assert np.all(model.cases.status[rows[1:]] == ALLOCATED)


# --- build (day-0 state) ------------------------------------------------------------------------


def test_day_zero_cases_never_carry_the_never_sentinel():
    for seed in range(30):
        model = quiet_model(
            seed=seed, team={"social_worker_posts": 6}, simulation={"initial_cases_per_fte": 20.0}
        )
        n = model.cases.n
        assert n >= 100
        for column in ("day_arrived", "day_allocated", "day_first_allocated"):
            assert not np.any(model.cases.view(column) == NEVER), (seed, column)
        assert np.all(model.cases.day_arrived[:n] <= 0)


def test_reallocating_day_zero_cases_is_never_a_first_allocation():
    # Over many builds some day-0 case arrived the day before day 0; none may count as new.
    reallocated = 0
    for seed in range(40):
        model = quiet_model(
            seed=seed,
            team={"social_worker_posts": 3},
            simulation={"initial_cases_per_fte": 20.0},
            allocation={"max_allocations_per_day": 100},
        )
        leavers = model.workers[:2]
        rows = np.concatenate([open_rows_of(model, w) for w in leavers])
        for w in leavers:
            staffing.depart(model, w, "left")
        model.day = 1
        reallocated += allocation.allocate(model)
        assert model.tally.allocated_today == 0, seed  # none of them is a new referral
        assert np.all(model.cases.n_worker_changes[rows] == 1)
    assert reallocated == 40 * 40


def test_day_zero_backlog_is_out_of_date_from_the_start():
    from sim.scenario.loading import load_scenario

    config = load_scenario(
        Path(__file__).resolve().parent.parent / "scenarios/teaching/part_time_worker_20_cases.toml"
    )
    model = CaseloadModel(config, 1)
    (worker,) = [w for w in model.workers if w.name == "Part-time worker"]
    rows = open_rows_of(model, worker)
    pending = model.cases.pending_recording_hours[rows]
    assert pending.sum() == pytest.approx(12.0)
    stale = risk.record_is_stale(model)[rows]
    lag = model.day - model.cases.day_oldest_unrecorded[rows]
    np.testing.assert_array_equal(stale, (pending > 0) & (lag > 2))
    assert stale.sum() > 0
