"""Teaching scenarios show what their notes tell a class to watch."""

from __future__ import annotations

import numpy as np

from sim.engine.run import run
from sim.experiments.validation import social_workers_only
from sim.scenario.catalogue import repo_root
from sim.scenario.loading import load_scenario

TEACHING = repo_root() / "scenarios" / "teaching"
BASELINE = repo_root() / "scenarios" / "baseline.toml"


def _named(result, name: str):
    """The named worker's days, and her social-worker colleagues' (the manager's rows left out)."""
    index = int(result.workers.loc[result.workers.name == name, "worker"].iloc[0])
    days = social_workers_only(result.worker_days)
    return days[days.worker == index].set_index("day"), days[days.worker != index]


def test_part_time_worker_backlog_grows_and_she_burns_out():
    """What the notes describe, with cases staying with their worker (worker changes off).

    With ``worker_changes`` on (the default) a protection plan that ends often moves the child
    to another worker, and the case's unrecorded work goes with it: her backlog grows less and
    her colleagues' more (the test below).
    """
    scenario = TEACHING / "part_time_worker_20_cases.toml"
    config = load_scenario(scenario, ["worker_changes.enabled=false"])
    for seed in (1, 2, 3):
        result = run(config, seed)
        me, others = _named(result, "Part-time worker")
        assert me.loc[90, "backlog_hours"] > 5 * max(me.loc[0, "backlog_hours"], 1.0)
        assert me.loc[90, "backlog_hours"] > 10 * others[others.day == 90].backlog_hours.mean()
        assert me.loc[60:120, "is_burnt_out"].mean() > 0.8
        at_work = me[me.status != "sick"]
        assert (at_work.caseload >= 19).mean() > 0.9, "the manager keeps her at 20 cases"


def test_part_time_worker_burns_out_with_the_defaults_though_transfers_take_some_backlog():
    scenario = TEACHING / "part_time_worker_20_cases.toml"
    config = load_scenario(scenario)
    assert config.worker_changes.enabled
    stays = load_scenario(scenario, ["worker_changes.enabled=false"])
    for seed in (1, 2, 3):
        me, others = _named(run(config, seed), "Part-time worker")
        me_stays, _ = _named(run(stays, seed), "Part-time worker")
        assert me.loc[90, "backlog_hours"] > 2 * max(me.loc[0, "backlog_hours"], 1.0)
        assert me.loc[90, "backlog_hours"] > 2 * others[others.day == 90].backlog_hours.mean()
        assert me.loc[60:120, "is_burnt_out"].mean() > 0.8
        at_work = me[me.status != "sick"]
        assert (at_work.caseload >= 19).mean() > 0.8, "the manager tops her back up to 20"
        # cases that move take their unrecorded work with them
        assert me.loc[90, "backlog_hours"] < me_stays.loc[90, "backlog_hours"]


def test_returning_worker_on_duty_does_no_casework_and_her_cases_go_overdue():
    scenario = TEACHING / "duty_after_sickness.toml"
    duty = run(load_scenario(scenario), 4)
    phased = run(load_scenario(scenario, ["sickness.return_policy=phased"]), 4)
    me, _ = _named(duty, "Returning worker")
    assert me.loc[:59, "hours_available"].max() == 0.0
    assert me.loc[:59, "overtime_hours"].max() == 0.0
    me_phased, _ = _named(phased, "Returning worker")
    at_work = me_phased.loc[:59]
    assert (at_work[at_work.status != "sick"].hours_available > 0.0).all()
    window = slice(0, 60)
    assert duty.daily.overdue_visits[window].sum() > 1.5 * phased.daily.overdue_visits[window].sum()
    assert me.loc[40, "stress"] > me_phased.loc[40, "stress"]


def test_manager_span_of_120_squeezes_supervision_and_reaches_the_children():
    span = load_scenario(TEACHING / "manager_span_120.toml", ["simulation.days=520"])
    base = load_scenario(BASELINE, ["simulation.days=520"])
    assert span.manager.mode == "under_load", "the seed case needs the manager under load"
    summaries = {
        name: [run(config, seed).summary for seed in (1, 2, 3)]
        for name, config in (("span", span), ("base", base))
    }

    def mean(name: str, key: str) -> float:
        return float(np.mean([summary[key] for summary in summaries[name]]))

    assert (
        mean("span", "supervision_on_time_share") < mean("base", "supervision_on_time_share") - 0.25
    )
    # What its notes tell a class: missed reviews leave visits late and high risk unseen.
    assert mean("span", "visit_timeliness") < mean("base", "visit_timeliness") - 0.1
    assert mean("span", "high_risk_unmonitored_case_days") > 5 * max(
        mean("base", "high_risk_unmonitored_case_days"), 1.0
    )
    assert mean("span", "manager_reviews_overdue_share") > 0.2
    ratio = run(span, 1).daily.manager_oversight_ratio[260:].mean()
    assert 1.5 < ratio < 2.2, "about 120 cases against an optimum of 65"
