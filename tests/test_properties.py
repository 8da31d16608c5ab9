"""Property tests: conservation laws and bounds that hold every day in any small scenario.

Hypothesis draws small organisations (1-3 teams of 1-8 posts) with any demand, cap policy,
support, mechanism switches and duration distributions, steps the model day by day and checks
the invariants of :func:`tests.model_helpers.check_invariants` after every day, plus the cap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.engine.cases import ALLOCATED, CLOSED, READY, SCREENED_OUT, WAITING
from sim.engine.model import CaseloadModel
from sim.scenario.loading import load_scenario
from sim.scenario.schema import CASE_TYPES, Scenario
from tests.model_helpers import capacity, check_invariants, open_rows_of

DURATION_KINDS = ("exponential", "gamma", "lognormal")


@st.composite
def small_scenarios(draw) -> tuple[Scenario, int]:
    """A small random scenario and a seed."""
    days = draw(st.integers(30, 120))
    kinds = draw(st.lists(st.sampled_from(DURATION_KINDS), min_size=5, max_size=5))
    case_types = {}
    for name, kind in zip(CASE_TYPES, kinds, strict=True):
        case_types[name] = {
            "duration": {
                "kind": kind,
                "mean_days": draw(st.floats(2.0, 200.0)),
                "median_days": draw(st.floats(2.0, 150.0)),
                "shape": draw(st.floats(0.5, 5.0)),
                "sigma": draw(st.floats(0.2, 1.5)),
            }
        }
    cut_day = draw(st.integers(0, days))
    data = {
        "simulation": {
            "days": days,
            "warmup_days": draw(st.integers(0, days - 1)),
            "initial_cases_per_fte": draw(st.floats(0.0, 25.0)),
        },
        "team": {
            "n_teams": draw(st.integers(1, 3)),
            "social_worker_posts": draw(st.integers(1, 8)),
            "part_time_share": draw(st.floats(0.0, 1.0)),
            "newly_qualified_share": draw(st.floats(0.0, 1.0)),
            "initial_vacancy_share": draw(st.floats(0.0, 0.6)),
            "initial_agency_cover_share": draw(st.floats(0.0, 1.0)),
            "recording_first_share": draw(st.floats(0.0, 1.0)),
        },
        "case_types": case_types,
        "demand": {
            "referrals_per_day": draw(st.floats(0.0, 3.0)),
            "seasonality_amplitude": draw(st.floats(0.0, 0.9)),
        },
        "risk": {
            "enabled": draw(st.booleans()),
            "incident_rate_per_case_year": draw(st.sampled_from([0.01, 1.0, 10.0])),
        },
        "allocation": {
            "cap_kind": draw(st.sampled_from(["none", "count", "weighted"])),
            "cap_per_fte": draw(st.floats(2.0, 25.0)),
            "at_cap": draw(st.sampled_from(["wait", "breach"])),
            "nqsw_caseload_factor": draw(st.floats(0.3, 1.0)),
            "max_allocations_per_day": draw(st.integers(0, 12)),
            "order": draw(st.sampled_from(["risk_first", "first_come", "risk_with_ageing"])),
            "long_term_sick_after_days": draw(st.integers(1, 20)),
            "on_long_term_sickness": draw(st.sampled_from(["reallocate", "uncovered"])),
        },
        "front_door": {
            "enabled": draw(st.booleans()),
            "base_threshold": draw(st.floats(0.0, 0.5)),
            "waiting_slope": draw(st.floats(0.0, 0.2)),
            "caseload_slope": draw(st.floats(0.0, 0.05)),
            "max_threshold": draw(st.floats(0.0, 1.0)),
        },
        "re_referral": {
            "enabled": draw(st.booleans()),
            "unresolved_risk": draw(st.floats(0.0, 1.0)),
            "pressure_caseload_per_fte": draw(st.floats(1.0, 40.0)),
            "probability": draw(st.floats(0.0, 1.0)),
            "mean_delay_days": draw(st.floats(0.5, 40.0)),
        },
        "work": {
            "recording_efficiency": draw(st.floats(0.5, 2.0)),
            "closure_paperwork_hours": draw(st.sampled_from([0.0, 2.0, 6.0])),
            "recording_hours_per_visit": draw(st.sampled_from([0.0, 1.5, 4.0])),
            "max_unpaid_overtime_hours_per_week": draw(st.floats(0.0, 20.0)),
            "overtime_share_of_shortfall": draw(st.floats(0.0, 1.0)),
            "minimum_progress_share": draw(st.floats(0.0, 1.0)),
        },
        "supervision": {
            "enabled": draw(st.booleans()),
            "manager_fixed_hours_per_week": draw(st.floats(0.0, 37.0)),
        },
        "manager": {
            "mode": draw(st.sampled_from(["off", "under_load"])),
            "review_interval_days": draw(st.integers(1, 40)),
            "high_risk_review_interval_days": draw(st.integers(1, 20)),
            "review_hours_per_case": draw(st.sampled_from([0.0, 0.25, 2.0])),
            "unset_timescale_slip_days": draw(st.integers(0, 20)),
            "unreviewed_drift_per_day": draw(st.floats(0.0, 0.5)),
            "max_unpaid_overtime_hours_per_week": draw(st.floats(0.0, 20.0)),
        },
        "support": {
            "admin_staff": draw(st.sampled_from([0.0, 0.5, 1.0, 2.0])),
            "admin_hours_per_week": draw(st.floats(0.0, 37.0)),
            "admin_recording_share": draw(st.floats(0.0, 1.0)),
            "admin_closure_share": draw(st.floats(0.0, 1.0)),
            "swa_staff": draw(st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0])),
            "swa_casework_share": draw(st.floats(0.0, 1.0)),
        },
        "wellbeing": {"enabled": draw(st.booleans())},
        "sickness": {
            "enabled": draw(st.booleans()),
            "short_spells_per_year": draw(st.floats(0.0, 20.0)),
            "long_spells_per_year": draw(st.floats(0.0, 5.0)),
            "return_policy": draw(st.sampled_from(["normal", "phased", "duty_every_day"])),
        },
        "staffing": {
            "attrition_enabled": draw(st.booleans()),
            "leave_rate_per_year": draw(st.floats(0.0, 3.0)),
            "agency_leave_rate_per_year": draw(st.floats(0.0, 5.0)),
            "agency_backfill": draw(st.booleans()),
            "recruitment": {"kind": "exponential", "mean_days": draw(st.floats(1.0, 100.0))},
            "cuts": draw(
                st.sampled_from(
                    [[], [{"day": cut_day, "share": 0.3}], [{"day": cut_day, "posts": 2}]]
                )
            ),
        },
    }
    if draw(st.booleans()):
        start = draw(st.integers(0, days))
        data["staffing"]["vacancy_freeze_start_day"] = start
        data["staffing"]["vacancy_freeze_end_day"] = start + draw(st.integers(1, 60))
    return Scenario.model_validate(data), draw(st.integers(0, 2**32 - 1))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios())
def test_invariants_hold_every_day(case):
    config, seed = case
    model = CaseloadModel(config, seed)
    cases = model.cases
    n_initial = cases.n_total
    initial_caseload = {w.index: len(open_rows_of(model, w)) for w in model.workers}
    check_count_cap = config.allocation.cap_kind == "count" and config.allocation.at_cap == "wait"
    referrals = 0
    closed = 0
    for day in range(config.simulation.days):
        admin_used = {a.unique_id: a.hours_worked for a in model.admins}
        model.step()
        check_invariants(model, admin_used=admin_used)

        # The daily series agree with the case book (archived rows included: compaction moves
        # closed rows out of the working columns), and referrals are conserved.
        daily = model.tally.daily
        status = cases.full("status")
        referrals += int(daily["referrals"][day])
        closed += int(daily["closed_today"][day])
        assert cases.n_total == len(status) == n_initial + referrals
        assert int(np.count_nonzero(status == CLOSED)) == closed
        # Every referral is screened out, waiting, open or closed (the rest of the law is
        # in check_invariants); screened-out rows are the ones the front door reported.
        assert int(np.count_nonzero(status == SCREENED_OUT)) == model.tally.screened_out_all_days
        if not config.front_door.enabled:
            assert model.tally.screened_out_all_days == 0
        assert daily["waiting"][day] == np.count_nonzero(status == WAITING)
        assert daily["open"][day] == np.count_nonzero((status == ALLOCATED) | (status == READY))
        assert daily["workers_in_post"][day] == len(model.workers_in_post())

        if check_count_cap:
            cap = config.allocation.cap_per_fte
            for w in model.workers_in_post():
                bound = max(cap * capacity(model, w) + 1e-9, initial_caseload.get(w.index, 0))
                assert w.caseload <= bound, (
                    f"day {day}: worker {w.index} holds {w.caseload} cases, cap {bound:.2f}"
                )
                assert len(open_rows_of(model, w)) <= bound


@settings(max_examples=15, deadline=None)
@given(small_scenarios())
def test_model_is_deterministic_given_seed(case):
    config, seed = case
    a, b = CaseloadModel(config, seed), CaseloadModel(config, seed)
    for _ in range(min(config.simulation.days, 40)):
        a.step()
        b.step()
    book_a, book_b = a.cases.columns(), b.cases.columns()  # every referral, archived included
    assert book_a.keys() == book_b.keys() and len(book_a["status"]) == a.cases.n_total
    for name, column in book_a.items():
        np.testing.assert_array_equal(column, book_b[name], err_msg=name)
    assert [w.stress for w in a.workers] == [w.stress for w in b.workers]


SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SHIPPED = sorted(
    p.relative_to(SCENARIOS).as_posix()
    for p in SCENARIOS.rglob("*.toml")
    if p.parent.name != "scale" or p.stem == "service_area"  # whole authorities are too big here
)


@pytest.mark.parametrize("path", SHIPPED)
def test_invariants_hold_in_every_shipped_scenario(path):
    config = load_scenario(SCENARIOS / path, ["simulation.days=150", "simulation.warmup_days=0"])
    model = CaseloadModel(config, 3)
    for _ in range(config.simulation.days):
        admin_used = {a.unique_id: a.hours_worked for a in model.admins}
        model.step()
        check_invariants(model, admin_used=admin_used)


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (
            lambda w: setattr(w, "hours_worked", w.hours_available + w.overtime_allowed + 0.5),
            "worked",
        ),
        (lambda w: setattr(w, "contact_hours", -0.1), "negative contact"),
    ],
)
def test_the_invariant_checks_catch_an_overspend(tamper, message):
    """The hours checks can fail: an hour worked beyond the budget is caught, not clamped away."""
    config = load_scenario(
        SCENARIOS / "baseline.toml", ["simulation.days=30", "simulation.warmup_days=0"]
    )
    model = CaseloadModel(config, 3)
    model.step()
    check_invariants(model)
    tamper(model.workers_in_post()[0])
    with pytest.raises(AssertionError, match=message):
        check_invariants(model)
