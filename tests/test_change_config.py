"""A lever changed part-way through a run (``CaseloadModel.change_config``).

The dashboard applies a lever from the next day instead of restarting the run; these check that
the days before the change are the unchanged run's, that the change acts from the next day, and
that what the build reads cannot change mid-run.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.model import CaseloadModel
from sim.scenario.loading import load_scenario, with_overrides
from tests.conftest import REPO_ROOT as ROOT

DAYS = 60
CHANGE_DAY = 30


def _baseline():
    return load_scenario(ROOT / "scenarios" / "baseline.toml")


def _run(config, changes=()):
    model = CaseloadModel(config, config.simulation.seed)
    scheduled = dict(changes)
    for day in range(DAYS):
        if day in scheduled:
            model.change_config(scheduled[day])
        model.step()
    return model


def test_a_lever_changed_mid_run_acts_from_that_day_only() -> None:
    config = _baseline()
    capped = with_overrides(
        config, settings=['allocation.cap_kind="count"', "allocation.cap_per_fte=12"]
    )
    plain, changed = _run(config), _run(config, [(CHANGE_DAY, capped)])
    for column in ("waiting", "overdue_visits", "sick"):
        before_a = plain.tally.daily[column][:CHANGE_DAY]
        before_b = changed.tally.daily[column][:CHANGE_DAY]
        np.testing.assert_array_equal(before_a, before_b)
    waiting_after = changed.tally.daily["waiting"][CHANGE_DAY:DAYS]
    assert waiting_after.sum() > plain.tally.daily["waiting"][CHANGE_DAY:DAYS].sum()
    assert changed.config.allocation.cap_kind == "count"


def test_the_same_config_again_changes_nothing() -> None:
    config = _baseline()
    again = with_overrides(config, settings=["allocation.cap_per_fte=16"])  # a lever not in use
    plain, changed = _run(config), _run(config, [(CHANGE_DAY, again)])
    for column in plain.tally.daily:
        np.testing.assert_array_equal(plain.tally.daily[column], changed.tally.daily[column])


@pytest.mark.parametrize(
    "setting",
    ["team.social_worker_posts=7", "support.admin_staff=2", "simulation.days=800"],
)
def test_what_the_build_reads_cannot_change_mid_run(setting: str) -> None:
    config = _baseline()
    model = CaseloadModel(config, config.simulation.seed)
    model.step()
    with pytest.raises(ValueError, match="cannot change part-way through a run"):
        model.change_config(with_overrides(config, settings=[setting]))
    assert model.config is config


def test_supervision_switched_on_starts_from_today_without_counting_the_days_off() -> None:
    config = with_overrides(_baseline(), settings=["supervision.enabled=false"])
    model = CaseloadModel(config, config.simulation.seed)
    for _ in range(DAYS):
        model.step()
    model.change_config(with_overrides(config, settings=["supervision.enabled=true"]))
    model.step()
    missed = sum(m.sessions_missed for m in model.managers)
    assert missed == 0
    assert sum(m.sessions_held for m in model.managers) > 0
