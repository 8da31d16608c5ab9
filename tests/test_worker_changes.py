"""Worker changes for a child (``worker_changes.*``, off by default) and the stability key."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine import transfers
from sim.engine.case_history import CaseHistory
from sim.engine.cases import ALLOCATED
from sim.engine.metrics import METRICS_BY_KEY
from sim.engine.model import CaseloadModel
from sim.engine.run import run
from sim.engine.tally import looked_after_stability
from sim.scenario.catalogue import repo_root
from sim.scenario.loading import load_scenario
from sim.scenario.schema import CASE_TYPES
from tests.model_helpers import add_cases, check_worker_histories, fresh_referrals, quiet_model

BASELINE = repo_root() / "scenarios/baseline.toml"
SHORT = ["simulation.days=390", "simulation.warmup_days=130"]
ON = "worker_changes.enabled=true"


def test_transfer_probability_by_step():
    model = quiet_model(
        worker_changes={
            "enabled": True,
            "transfer_after_assessment": 0.7,
            "transfer_into_care": 0.9,
            "transfer_other": 0.2,
        }
    )
    old_names = ["assessment", "assessment", "child_protection"] * 2
    new_names = ["child_in_need", "looked_after", "child_in_need"]
    new_names += ["child_protection", "looked_after", "looked_after"]
    old = np.array([CASE_TYPES.index(n) for n in old_names])
    new = np.array([CASE_TYPES.index(n) for n in new_names])
    p = transfers.transfer_probabilities(model, old, new)
    np.testing.assert_allclose(p, [0.7, 0.9, 0.2, 0.7, 0.9, 0.9])


def test_worker_changes_between_counts_only_changes_in_the_window():
    history = CaseHistory(capacity=2)  # grows as entries arrive
    workers, days = [3, 3, 5, 7, 7, 2], [0, 10, 20, 30, 40, 300]
    for worker, day in zip(workers, days, strict=True):
        history.add(1, worker, day)  # case 1; case 0 changes worker in between
        history.add(0, worker % 2, day)  # 1, 1, 1, 1, 1, 0: one change, on day 300
    assert history.of(1) == workers and history.days_of(1) == days
    changes = history.changes_between(np.array([1, 0]), 0, 260)
    assert changes.tolist() == [2, 0]  # case 1: 3->5 on 20, 5->7 on 30
    assert history.changes_between(np.array([1]), 25, 300).tolist() == [2]  # 30 and 300
    assert history.changes_between(np.array([1]), 30, 299).tolist() == [0]


def _step_up_model(p: float) -> tuple[CaseloadModel, object, np.ndarray]:
    """Two workers; ten assessments, all held by the first, due to step up to child in need."""
    model = quiet_model(
        case_types={"assessment": {"next_type": {"child_in_need": 1.0}}},
        worker_changes={"enabled": True, "transfer_after_assessment": p, "handover_share": 0.0},
    )
    first = model.workers_in_post()[0]
    rows = add_cases(model, 10, "assessment", worker=first, work_days_left=0.5)
    for row in rows.tolist():
        model.worker_history.add(int(model.cases.case_id[row]), first.index, 0)
    return model, first, rows


def test_every_stepping_case_transfers_when_p_is_one():
    model, first, rows = _step_up_model(1.0)
    model.step()
    cases = model.cases
    assert np.all(cases.type_code[rows] == CASE_TYPES.index("child_in_need"))
    assert np.all(cases.worker[rows] != first.index)
    assert np.all(cases.n_worker_changes[rows] == 1)
    history = model.worker_history
    assert all(history.days_of(int(cases.case_id[r])) == [0, 0] for r in rows.tolist())
    check_worker_histories(model)


def test_no_case_transfers_when_p_is_zero_or_switched_off():
    model, first, rows = _step_up_model(0.0)
    model.step()
    assert np.all(model.cases.worker[rows] == first.index)
    assert np.all(model.cases.n_worker_changes[rows] == 0)


def test_a_joiner_gets_cases_from_the_most_loaded_colleagues():
    model = quiet_model(
        team={"social_worker_posts": 3},
        worker_changes={"enabled": True, "handover_share": 1.0},
    )
    a, b, c = model.workers_in_post()
    for worker, count in ((a, 12), (b, 6)):
        rows = add_cases(model, count, worker=worker)
        for row in rows.tolist():
            model.worker_history.add(int(model.cases.case_id[row]), worker.index, 0)
    # c joins with none; it may reach the others' mean (9), but takes cases only while the
    # donor keeps more than c would: all six come from a, and the three end level.
    moved = transfers.hand_over_to_joiners(model, [c.index])
    held = np.bincount(model.cases.worker[model.cases.live], minlength=model.staff.n)
    assert moved == 6
    assert (held[a.index], held[b.index], held[c.index]) == (6, 6, 6)
    check_worker_histories(model)


def test_handover_respects_a_count_cap():
    model = quiet_model(
        team={"social_worker_posts": 2},
        allocation={"cap_kind": "count", "cap_per_fte": 3.0},
        worker_changes={"enabled": True, "handover_share": 2.0},
    )
    a, b = model.workers_in_post()
    rows = add_cases(model, 10, worker=a)
    for row in rows.tolist():
        model.worker_history.add(int(model.cases.case_id[row]), a.index, 0)
    transfers.hand_over_to_joiners(model, [b.index])
    live = model.cases.live
    assert np.count_nonzero(model.cases.worker[live] == b.index) == 3


def test_looked_after_census_counts_children_with_two_changes_in_a_year():
    model = quiet_model(team={"social_worker_posts": 3})
    a, b, c = model.workers_in_post()
    rows = add_cases(model, 3, "looked_after", worker=a)
    histories = {
        rows[0]: ([a.index, b.index, a.index], [0, 100, 200]),  # two changes in the year
        rows[1]: ([b.index, c.index, a.index], [-300, -250, 100]),  # one in the window
        rows[2]: ([a.index], [0]),
    }
    for row, (workers, days) in histories.items():
        for worker, day in zip(workers, days, strict=True):
            model.worker_history.add(int(model.cases.case_id[row]), worker, day)
    model.day = 250
    census, changed = looked_after_stability(model, model.cases.live)
    assert (census, changed) == (3, 1)


def test_stability_key_is_declared():
    metric = METRICS_BY_KEY["looked_after_2plus_worker_changes_share"]
    assert metric.unit == "share" and metric.better == "lower" and metric.label


@pytest.fixture(scope="module")
def paired():
    def summaries(*overrides):
        config = load_scenario(BASELINE, [*SHORT, *overrides])
        return [run(config, seed).summary for seed in range(4)]

    return summaries


def test_worker_changes_raise_the_stability_share_and_keep_arrivals(paired):
    off = paired("worker_changes.enabled=false")
    on = paired(ON, "worker_changes.transfer_into_care=1.0")
    # the mechanism draws from streams of its own: arrivals are untouched
    assert [fresh_referrals(s) for s in off] == [fresh_referrals(s) for s in on]
    share = "looked_after_2plus_worker_changes_share"
    assert np.nanmean([s[share] for s in on]) > np.nanmean([s[share] for s in off])


def test_more_leaving_means_more_worker_changes():
    """Directional: a higher leaving rate gives children more changes of worker."""
    base = [*SHORT, ON, "team.n_teams=2"]
    changes = {}
    for rate in (0.05, 0.6):
        config = load_scenario(BASELINE, [*base, f"staffing.leave_rate_per_year={rate}"])
        per_case = []
        for seed in range(3):
            cases = run(config, seed).cases
            allocated = cases[cases["day_first_allocated"] >= 0]
            per_case.append(allocated["n_worker_changes"].mean())
        changes[rate] = np.mean(per_case)
    assert changes[0.6] > 1.2 * changes[0.05]


def test_dated_histories_stay_consistent_over_a_run():
    config = load_scenario(
        BASELINE,
        [*SHORT, ON, "worker_changes.handover_share=1.0", "staffing.leave_rate_per_year=0.5"],
    )
    model = CaseloadModel(config, 7)
    model.run(200)
    check_worker_histories(model)
    entries = np.bincount(model.worker_history.case)
    assert np.count_nonzero(entries > 2) > 5
    cases = model.cases
    live = cases.live
    held = live[cases.status[live] == ALLOCATED]
    assert len(held) > 0


def _add(m, row, worker, day):
    m.worker_history.add(int(m.cases.case_id[row]), worker, day)


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda m, row, w: _add(m, row, w, m.day + 5), "future"),
        (lambda m, row, w: _add(m, row, w, -5), "out of order"),
        (lambda m, row, w: m.cases.n_worker_changes.__setitem__(row, 3), "n_worker_changes"),
        (lambda m, row, w: (_add(m, row, w, 0), _add(m, row, w, 0)), "n_worker_changes"),
        (
            lambda m, row, w: (_add(m, row, w, 0), m.cases.n_worker_changes.__setitem__(row, 1)),
            "not current",
        ),
        (lambda m, row, w: m.worker_history.add(10_000, w, 0), "unknown case"),
    ],
)
def test_the_history_checks_catch_an_inconsistent_history(tamper, message):
    model = quiet_model(team={"social_worker_posts": 2})
    a, b = model.workers_in_post()
    (row,) = add_cases(model, 1, worker=a).tolist()
    model.worker_history.add(int(model.cases.case_id[row]), a.index, 0)
    check_worker_histories(model)
    tamper(model, row, b.index)
    with pytest.raises(AssertionError, match=message):
        check_worker_histories(model)
