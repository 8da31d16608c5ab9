"""The staff table: SocialWorker handles on its rows, the in-post index, vectorised predicates.

The phases work on the table's columns; dashboards, outputs and tests use the handles. These
tests check that both views are one state, and that each vectorised rule gives, row by row, what
the one-worker rule of the handle gives.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.phases import staffing, supervision, wellbeing, work
from sim.engine.phases.staffing import depart
from sim.engine.staff import COLUMNS, Staff
from tests.model_helpers import quiet_model


def test_handle_reads_and_writes_its_row() -> None:
    model = quiet_model(team={"social_worker_posts": 3})
    first, second, _ = model.workers
    second.stress = 0.7
    second.is_burnt_out = True
    second.caseload = 12
    assert model.staff.stress[second.index] == 0.7
    assert model.staff.is_burnt_out[second.index]
    assert model.staff.caseload[second.index] == 12
    assert model.staff.stress[first.index] != 0.7
    model.staff.backlog_hours[first.index] = 3.5
    assert first.backlog_hours == 3.5
    # Reads give Python scalars, as plain attributes did (JSON, pandas and sum() see no numpy).
    assert type(second.stress) is float
    assert type(second.caseload) is int
    assert type(second.is_burnt_out) is bool
    second.priority_style = "recording_first"
    assert model.staff.is_recording_first[second.index]
    assert not model.staff.is_recording_first[first.index]


def test_every_column_has_a_handle_attribute() -> None:
    model = quiet_model()
    worker = model.workers[0]
    for name in set(COLUMNS) - {"is_recording_first"}:  # the handle's priority_style sets it
        assert getattr(worker, name) == getattr(model.staff, name)[worker.index].item(), name


def test_table_grows_and_keeps_rows() -> None:
    staff = Staff(capacity=16)
    for i in range(40):
        row = staff.add()
        staff.stress[row] = i / 100
        staff.team[row] = i % 3
    assert staff.n == 40
    np.testing.assert_array_equal(staff.view("stress"), np.arange(40) / 100)
    # Team by team, in hiring order within each team.
    expected = [i for team in range(3) for i in range(40) if i % 3 == team]
    assert staff.in_post.tolist() == expected


def test_in_post_follows_departures_and_hires() -> None:
    model = quiet_model(team={"n_teams": 2, "social_worker_posts": 3})
    staff = model.staff
    assert staff.in_post.tolist() == [w.index for w in model.workers]
    leaver = model.workers[1]
    depart(model, leaver, "left")
    assert leaver.index not in staff.in_post.tolist()
    recruit = model.hire(leaver.post, is_agency=False)
    in_post = staff.in_post.tolist()
    # The recruit joins team 0 after its other members, before team 1.
    assert in_post == [0, 2, recruit.index, 3, 4, 5]
    assert [w.index for w in model.workers_in_post()] == in_post
    assert [w.index for w in model.team_workers(0)] == [0, 2, recruit.index]
    with pytest.raises(ValueError):
        staff.in_post[0] = 1  # the cached index is read-only


def test_setting_a_handles_team_or_leaving_day_refreshes_who_is_in_post() -> None:
    model = quiet_model(team={"n_teams": 2, "social_worker_posts": 2})
    staff = model.staff
    assert staff.in_post.tolist() == [0, 1, 2, 3]
    model.workers[0].team = 1  # moves to the other team: listed after its members
    assert staff.in_post.tolist() == [1, 0, 2, 3]
    model.workers[2].day_left = model.day  # leaves
    assert staff.in_post.tolist() == [1, 0, 3]
    assert [w.index for w in model.team_workers(1)] == [0, 3]


def test_status_codes_match_the_handles() -> None:
    model = quiet_model(team={"social_worker_posts": 6})
    day = 10
    model.day = day
    _, sick, returning, burnt, agency, leaver = model.workers
    sick.day_sick_started, sick.day_sick_until = 5, 20
    returning.day_sick_started, returning.day_sick_until = 0, 8
    returning.day_return_period_until = 30
    burnt.is_burnt_out = True
    agency.is_agency = True
    leaver.day_left = 9
    statuses = [w.status(day) for w in model.workers]
    assert statuses == ["working", "sick", "returning", "burnt_out", "agency", "left"]


def test_vectorised_rules_match_each_worker_alone() -> None:
    """Each column rule over all workers equals the same rule applied to one row at a time."""
    model = quiet_model(
        team={"social_worker_posts": 8, "newly_qualified_share": 0.5, "part_time_share": 0.5},
        staffing={"attrition_enabled": True},
        work={"starter_ramp_days": 40},
    )
    rng = np.random.default_rng(3)
    staff = model.staff
    who = staff.in_post
    model.day = 30
    staff.stress[who] = rng.random(len(who))
    staff.is_burnt_out[who] = rng.random(len(who)) < 0.4
    staff.hours_available[who] = rng.random(len(who)) * 6
    staff.demand_hours[who] = rng.random(len(who)) * 9
    staff.backlog_hours[who] = rng.random(len(who)) * 20
    staff.starter_ramp_until[who[:3]] = [35, 50, 10]
    staff.day_started[who] = -rng.integers(0, 2000, len(who))
    one = [np.array([i]) for i in who.tolist()]
    for vector, rule in (
        (work.productivities, work.productivities),
        (wellbeing.stress_gains, wellbeing.stress_gains),
        (staffing.leave_hazards, staffing.leave_hazards),
        (supervision.supervision_intervals, supervision.supervision_intervals),
    ):
        together = vector(model, who)
        alone = np.concatenate([rule(model, row) for row in one])
        np.testing.assert_array_equal(together, alone)
    budgets = work.hours_budgets(model, who)
    for worker, budget in zip(model.workers, budgets.tolist(), strict=True):
        assert work.hours_budget(worker, model) == budget
    # Workers neither ramping up nor burnt out work at full speed; the others do not.
    q = work.productivities(model, who)
    slowed = staff.is_burnt_out[who] | (staff.starter_ramp_until[who] > model.day)
    assert np.all(q[~slowed] == 1.0) and np.all(q[slowed] < 1.0)


def test_end_day_counts_service_and_sickness() -> None:
    model = quiet_model(team={"social_worker_posts": 2})
    well, sick = model.workers
    sick.day_sick_started, sick.day_sick_until = 0, 2
    for day in range(3):
        model.staff.end_day(day)
    assert well.days_in_post == 3 and well.total_sick_days == 0
    assert sick.days_in_post == 3 and sick.total_sick_days == 2
