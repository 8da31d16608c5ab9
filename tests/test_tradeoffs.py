"""Trade-offs of a sweep: the settings not beaten on both cost and harm, and the price of safety."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from sim.experiments.tradeoffs import harm_outcomes, non_dominated, tradeoff_sentence
from sim.scenario.levers import setting_label


def test_non_dominated_points_are_those_no_other_beats_on_both():
    cost = np.array([1.0, 2.0, 3.0, 2.5, 4.0, np.nan, 1.0])
    harm = np.array([9.0, 5.0, 2.0, 6.0, 2.0, 0.0, 9.0])
    # 3 (2.5, 6) is beaten by 1 (2, 5); 4 (4, 2) by 2 (3, 2); 5 is undefined; 0 and 6 tie
    assert non_dominated(cost, harm).tolist() == [True, True, True, False, False, False, True]


def test_a_higher_is_better_harm_is_turned_round():
    points = pd.DataFrame(
        {
            "admin": [0.0, 1.0, 2.0],
            "staff_cost_total_mean": [100.0, 150.0, 160.0],
            "visit_timeliness_mean": [0.80, 0.95, 0.90],  # the third costs more and does worse
        }
    )
    factors = [SimpleNamespace(key="support.admin_staff", label="admin")]
    text = tradeoff_sentence(points, factors, "visit_timeliness", years=1.0)
    assert text.startswith("Cost against statutory visits done on time: 2 of 3 settings")
    admin = setting_label("support.admin_staff")  # the registry's label, not the factor's name
    assert f"Cheapest: {admin} 0 at £100 a year with 80.0%" in text
    assert f"safest: {admin} 1 at £150 a year with 95.0% (+£50 a year)" in text


def test_the_price_of_safety_is_per_unit_of_harm_avoided_a_year():
    points = pd.DataFrame(
        {
            "cap": [12.0, 16.0, 20.0],
            "staff_cost_total_mean": [200_000.0, 260_000.0, 300_000.0],  # two years
            "overdue_visit_case_days_mean": [4_000.0, 3_000.0, 2_000.0],
        }
    )
    factors = [SimpleNamespace(key="allocation.cap_per_fte", label="cap")]
    text = tradeoff_sentence(points, factors, "overdue_visit_case_days", years=2.0)
    assert "3 of 3 settings" in text
    # (300,000 − 200,000) / 2 = £50,000 a year over (4,000 − 2,000) / 2 = 1,000 case-days a year
    assert "(+£50,000 a year; £50 per case-day avoided)" in text


def test_only_risk_outcomes_beside_a_cost_get_a_tradeoff():
    assert harm_outcomes(["overdue_visit_case_days", "burnout_prevalence"]) == []
    assert harm_outcomes(
        ["burnout_prevalence", "overdue_visit_case_days", "staff_cost_total", "serious_incidents"]
    ) == ["overdue_visit_case_days", "serious_incidents"]
