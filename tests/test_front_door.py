"""The front door, re-referrals and the allocation order: unit and directional tests.

Each mechanism is switched on alone on a quiet team (``tests/model_helpers.py``) so a test sees
its effect and nothing else; the directional tests run a pressured team under two settings with
the same seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.engine import door
from sim.engine.cases import ALLOCATED, CLOSED, NEVER, SCREENED_OUT, WAITING, CaseBook
from sim.engine.model import CaseloadModel
from sim.engine.phases import allocation, arrivals, risk
from sim.engine.run import run
from sim.engine.tally import re_referral_rate
from sim.scenario.schema import CASE_TYPES, Scenario
from tests.model_helpers import add_cases, binomial_ok, check_invariants, quiet_model, scenario

# --- allocation order ---------------------------------------------------------------------------


def allocation_sequence(model: CaseloadModel, n: int) -> list[int]:
    """Rows in the order one-a-day allocation takes them."""
    order: list[int] = []
    for _ in range(n):
        allocation.allocate(model)
        allocated = set(np.flatnonzero(model.cases.status[: model.cases.n] == ALLOCATED).tolist())
        order.append(next(iter(allocated - set(order))))
    return order


def ordered_model(order: str, **allocation_settings) -> tuple[CaseloadModel, np.ndarray]:
    model = quiet_model(
        team={"social_worker_posts": 1},
        allocation={"max_allocations_per_day": 1, "order": order, **allocation_settings},
    )
    model.day = 100
    rows = np.concatenate([add_cases(model, 1, observed_risk=r) for r in (0.1, 0.6, 0.3, 0.3)])
    model.cases.day_arrived[rows] = [0, 99, 98, 95]
    return model, rows


def test_risk_first_takes_highest_observed_risk_then_oldest():
    model, rows = ordered_model("risk_first")
    assert allocation_sequence(model, 4) == [rows[1], rows[3], rows[2], rows[0]]


def test_first_come_takes_the_oldest_whatever_its_risk():
    model, rows = ordered_model("first_come")
    assert allocation_sequence(model, 4) == [rows[0], rows[3], rows[2], rows[1]]


def test_risk_with_ageing_adds_weight_times_days_waiting():
    # The 0.1 case has waited 100 days: 0.1 + 0.006 * 100 = 0.7 beats 0.6 + 0.006 = 0.606.
    model, rows = ordered_model("risk_with_ageing", ageing_weight_per_day=0.006)
    assert allocation_sequence(model, 4) == [rows[0], rows[1], rows[3], rows[2]]
    # With no weight it is risk first.
    model, rows = ordered_model("risk_with_ageing", ageing_weight_per_day=0.0)
    assert allocation_sequence(model, 4) == [rows[1], rows[3], rows[2], rows[0]]


PRESSURED = {
    "simulation": {"days": 260, "warmup_days": 0, "initial_cases_per_fte": 10.0},
    "team": {"social_worker_posts": 4},
    "demand": {"referrals_per_day": 0.9},
    "allocation": {"cap_kind": "count", "cap_per_fte": 14.0, "at_cap": "wait"},
}


def longest_wait(order: str, seed: int = 3) -> float:
    """Longest wait for a first allocation (still-waiting referrals count their wait so far)."""
    model = CaseloadModel(
        scenario(**{**PRESSURED, "allocation": {**PRESSURED["allocation"], "order": order}}), seed
    )
    model.run()
    cases = model.cases
    n = cases.n
    arrived = cases.day_arrived[:n]
    first = cases.day_first_allocated[:n]
    waited = np.where(first == NEVER, model.day - 1, first) - arrived
    fresh = arrived >= 0
    assert np.count_nonzero(cases.status[:n] == WAITING) > 0, "the team must be under pressure"
    return float(waited[fresh].max())


@pytest.mark.parametrize("seed", [3, 4])
def test_first_come_bounds_the_longest_wait(seed):
    assert longest_wait("first_come", seed) < longest_wait("risk_first", seed)


# --- the front door -----------------------------------------------------------------------------


def door_model(**front_door) -> CaseloadModel:
    settings = {
        "enabled": True,
        "base_threshold": 0.1,
        "waiting_slope": 0.02,
        "caseload_slope": 0.01,
        "reference_caseload_per_fte": 5.0,
        "max_threshold": 0.9,
        **front_door,
    }
    return quiet_model(team={"social_worker_posts": 2}, front_door=settings)


def test_threshold_follows_its_equation():
    model = door_model()
    w0, _ = model.workers
    add_cases(model, 4)  # waiting
    add_cases(model, 16, worker=w0)  # open: 8 per FTE, 3 over the reference
    expected = 0.1 + 0.02 * 4 / 2 + 0.01 * (16 / 2 - 5)
    assert door.screening_thresholds(model) == pytest.approx([expected])
    capped = door_model(max_threshold=0.15)
    add_cases(capped, 40)
    assert door.screening_thresholds(capped) == pytest.approx([0.15])


def test_no_pressure_gives_the_base_threshold_and_no_staff_the_maximum():
    assert door.screening_thresholds(door_model()) == pytest.approx([0.1])
    model = door_model()
    for worker in model.workers:
        model.staff.leave(worker.index, 0)
    if len(model.staff.in_post) == 0:
        assert door.screening_thresholds(model) == pytest.approx([0.9])


def test_a_screened_out_referral_keeps_its_row_and_risk_and_takes_no_work():
    model = door_model(base_threshold=0.3, waiting_slope=0.0, caseload_slope=0.0)
    rows = np.concatenate([add_cases(model, 1, observed_risk=r) for r in (0.1, 0.29, 0.31, 0.8)])
    model.cases.risk_logit[rows[0]] = 2.0  # latent risk 0.88 behind a low screening view
    out = door.screen(model, rows, door.screening_thresholds(model))
    np.testing.assert_array_equal(out, rows[:2])
    cases = model.cases
    assert list(cases.status[rows]) == [SCREENED_OUT, SCREENED_OUT, WAITING, WAITING]
    assert not np.isin(rows[:2], cases.live).any()
    assert cases.risk_of(rows[:1])[0] == pytest.approx(1 / (1 + np.exp(-2.0)))
    assert model.tally.screened_out_today == 2 and model.tally.screened_out_high_risk_today == 1
    model.step()  # allocation and work never touch them
    assert list(cases.status[rows[:2]]) == [SCREENED_OUT, SCREENED_OUT]
    assert np.all(cases.worker[rows[:2]] == NEVER) and np.all(cases.n_visits[rows[:2]] == 0)
    check_invariants(model)


def test_switched_off_nobody_is_screened_out():
    assert Scenario().front_door.enabled  # on by default; the quiet team switches it off
    model = quiet_model(demand={"referrals_per_day": 3.0})
    model.run(40)
    assert not np.any(model.cases.status[: model.cases.n] == SCREENED_OUT)
    assert model.tally.screened_out_all_days == 0


PRESSURED_DOOR = {
    **PRESSURED,
    "simulation": {"days": 200, "warmup_days": 50, "initial_cases_per_fte": 10.0},
    "front_door": {"enabled": True},
}


def screened(**front_door) -> dict:
    config = scenario(**{**PRESSURED_DOOR, "front_door": {"enabled": True, **front_door}})
    return run(config, 11).summary


def test_a_tighter_threshold_screens_out_more():
    loose, tight = screened(base_threshold=0.02), screened(base_threshold=0.1)
    assert 0 < loose["referrals_screened_out"] < tight["referrals_screened_out"]
    # ... and a waiting list tightens it: the same base with no pressure term screens out fewer.
    flat = screened(base_threshold=0.02, waiting_slope=0.0, caseload_slope=0.0)
    assert flat["referrals_screened_out"] < loose["referrals_screened_out"]


def test_about_seven_percent_screened_out_without_pressure():
    """T_0 is set on the DfE's 7.1% no-further-action share (docs/model.md)."""
    model = quiet_model(
        demand={"referrals_per_day": 1000.0},
        front_door={"enabled": True, "waiting_slope": 0.0, "caseload_slope": 0.0},
    )
    model.run(3)
    n = model.cases.n
    share = np.count_nonzero(model.cases.status[:n] == SCREENED_OUT) / n
    assert 0.06 < share < 0.08


# --- re-referrals -------------------------------------------------------------------------------


def rereferral_model(demand: dict | None = None, **re_referral) -> CaseloadModel:
    settings = {
        "enabled": True,
        "unresolved_risk": 0.3,
        "pressure_caseload_per_fte": 500.0,
        "probability": 1.0,
        "mean_delay_days": 0.5,
        **re_referral,
    }
    return quiet_model(
        team={"social_worker_posts": 2},
        re_referral=settings,
        demand={"referrals_per_day": 0.0, **(demand or {})},
    )


def arrive_all(model: CaseloadModel) -> int:
    """Run the arrivals phase day after day until every queued child is back."""
    back = 0
    while model.re_referrals_due:
        model.day += 1
        back += arrivals.arrive(model)
    return back


def close_now(model: CaseloadModel, rows: np.ndarray) -> None:
    model.cases.close(rows, model.day)
    door.on_closed(model, rows)


def test_only_unresolved_closures_come_back():
    model = rereferral_model()
    w0, _ = model.workers
    rows = add_cases(model, 4, worker=w0)
    model.cases.risk_logit[rows] = [-3.0, -0.5, 0.0, 2.0]  # risk 0.05, 0.38, 0.5, 0.88
    close_now(model, rows)
    assert arrive_all(model) == 3
    cases = model.cases
    new = np.arange(rows[-1] + 1, cases.n)
    new = new[np.argsort(cases.child[new])]  # children due the same day arrive in child order
    np.testing.assert_array_equal(cases.child[new], cases.child[rows[1:]])
    assert np.all(cases.episode[new] == 1) and np.all(cases.status[new] == WAITING)
    np.testing.assert_allclose(cases.risk_logit[new], [-0.5, 0.0, 2.0])  # carried over
    assert np.all(cases.day_arrived[new] > 0)


def test_a_closure_under_pressure_comes_back_whatever_its_risk():
    model = rereferral_model(pressure_caseload_per_fte=1.0)
    w0, _ = model.workers
    add_cases(model, 10, worker=w0)  # the team holds 5 per FTE, over 1
    (row,) = add_cases(model, 1, worker=w0)
    model.cases.risk_logit[row] = -3.0
    close_now(model, np.array([row]))
    assert sum(len(v) for v in model.re_referrals_due.values()) == 1


def test_re_referrals_happen_only_for_unresolved_closures_in_a_run():
    config = scenario(
        **{
            **PRESSURED,
            "re_referral": {
                "enabled": True,
                "pressure_caseload_per_fte": 500.0,
                "unresolved_risk": 0.3,
                "probability": 1.0,
                "mean_delay_days": 2.0,
            },
        },
        risk={"enabled": True},
    )
    model = CaseloadModel(config, 5)
    model.run()
    book = model.cases.columns()  # every referral, archived ones included, by case id
    child, episode, status = book["child"], book["episode"], book["status"]
    risk = model.cases.risk
    again = np.flatnonzero(episode > 0)
    assert len(again) > 0
    pairs = zip(child.tolist(), episode.tolist(), strict=True)
    before = {pair: case for case, pair in enumerate(pairs)}
    for case in again.tolist():
        previous = before[(int(child[case]), int(episode[case]) - 1)]
        assert status[previous] in (CLOSED, SCREENED_OUT)
        assert risk[previous] > 0.3
        assert book["day_arrived"][case] > book["day_closed"][previous]
    # with probability 1 every unresolved closure early enough is back (delays are short)
    closed = np.flatnonzero((status == CLOSED) & (book["day_closed"] < model.day - 60))
    unresolved = closed[risk[closed] > 0.3]
    successors = {(int(child[c]), int(episode[c])) for c in again.tolist()}
    assert all((int(child[c]), int(episode[c]) + 1) in successors for c in unresolved)


def test_no_re_referrals_when_switched_off():
    assert Scenario().re_referral.enabled  # on by default; the quiet team switches it off
    config = scenario(**PRESSURED, risk={"enabled": True})
    model = CaseloadModel(config, 5)
    model.run(120)
    assert not np.any(model.cases.full("episode") > 0) and not model.re_referrals_due


def test_re_referral_rate_is_the_dfe_share():
    cases = CaseBook()
    rows = cases.add(6)
    cases.child[rows] = [0, 1, 0, 2, 1, 3]
    cases.day_arrived[rows] = [-5, 10, 200, 300, 400, 300]
    # In the window (day >= 100): child 0 at 200 (previous at -5: within 260, a re-referral),
    # child 2 at 300 (first), child 1 at 400 (previous at 10: 390 days, not), child 3 (first).
    assert re_referral_rate(cases, 100) == pytest.approx(1 / 4)
    assert np.isnan(re_referral_rate(cases, 1000))


def test_re_referral_type_comes_from_the_mix():
    model = rereferral_model(demand={"mix": {"child_protection": 1.0}})
    w0, _ = model.workers
    rows = add_cases(model, 3, worker=w0)
    model.cases.risk_logit[rows] = 1.0
    close_now(model, rows)
    arrive_all(model)
    new = np.arange(rows[-1] + 1, model.cases.n)
    assert len(new) == 3
    assert np.all(model.cases.type_code[new] == CASE_TYPES.index("child_protection"))


# --- harm events and notifiable serious incidents ----------------------------------------------


def notified_share(risk_level: float, **risk_settings) -> tuple[int, int]:
    """(harm events, notifications) over a day of many cases at one latent risk."""
    settings = {
        "enabled": True,
        "reversion_per_day": 0.0,
        "volatility_per_day": 0.0,
        "unmonitored_drift_per_day": 0.0,
        "incident_rate_per_case_year": 2600.0,  # every case has an incident today
        **risk_settings,
    }
    model = quiet_model(risk=settings)
    rows = add_cases(model, 4000, visit_due_day=10_000)
    model.cases.risk_logit[rows] = np.log(risk_level / (1 - risk_level))
    notified = []
    model.tally.record_notifications = notified.append
    harm = risk.evolve(model)
    return harm, sum(notified)


def test_a_documented_share_of_harm_events_is_notified():
    harm, notified = notified_share(0.2, notifiable_share=0.13, notifiable_risk_log_ratio=2.0)
    assert harm == 4000
    assert binomial_ok(notified, harm, 0.13)
    assert notified_share(0.2, notifiable_share=0.0)[1] == 0
    assert notified_share(0.2, notifiable_share=1.0)[1] == 4000


def test_notification_is_more_likely_at_high_risk():
    harm, notified = notified_share(0.7, notifiable_share=0.13, notifiable_risk_log_ratio=2.0)
    assert binomial_ok(notified, harm, 0.13 * np.exp(2.0 * 0.5))
    low = notified_share(0.2, notifiable_share=0.13, notifiable_risk_log_ratio=2.0)[1]
    assert notified > 2 * low


def test_notifications_leave_every_other_figure_unchanged():
    base = scenario(**PRESSURED, risk={"enabled": True, "incident_rate_per_case_year": 0.5})
    none = base.model_copy(update={"risk": base.risk.model_copy(update={"notifiable_share": 0.0})})
    with_notices, without = run(base, 8), run(none, 8)
    a, b = with_notices.summary, without.summary
    key = "serious_incident_notifications_per_1000_cases_year"
    assert a[key] > 0 and b[key] == 0
    others = [k for k in a if k != key]
    np.testing.assert_equal([a[k] for k in others], [b[k] for k in others])  # NaN equals NaN
    pd.testing.assert_frame_equal(with_notices.cases, without.cases)
    pd.testing.assert_frame_equal(with_notices.daily, without.daily)
