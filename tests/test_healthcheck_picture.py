"""Today's picture: the RAG rules at their boundaries, and the DfE caseload definition."""

from __future__ import annotations

from datetime import date

import pytest

from sim.healthcheck.data import CouncilData, TeamRow, WorkerRow
from sim.healthcheck.forward import forecast_rating
from sim.healthcheck.picture import (
    rate_against,
    rate_caseload,
    rate_overdue,
    rate_share_above,
    rate_supervision,
    team_picture,
    worst,
)
from sim.healthcheck.standards import DEFAULT_BENCHMARK, comparator


@pytest.mark.parametrize(
    ("value", "expected"),
    [(16.2, "green"), (16.2001, "amber"), (18.0, "amber"), (18.0001, "red")],
)
def test_caseload_rating_at_its_boundaries(value, expected):
    assert rate_caseload(value, 18.0) == expected


@pytest.mark.parametrize(
    ("above", "total", "expected"),
    [(0, 9, "green"), (1, 9, "amber"), (2, 9, "amber"), (3, 9, "red")],
)
def test_workers_above_rating_at_a_third(above, total, expected):
    assert rate_share_above(above, total, 1 / 3) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(0.142, "green"), (0.1421, "amber"), (0.1775, "amber"), (0.1776, "red")]
)
def test_workforce_rating_against_the_comparator(value, expected):
    assert rate_against(value, 0.142) == expected


@pytest.mark.parametrize(
    ("share", "expected"), [(0.02, "green"), (0.0201, "amber"), (0.05, "amber"), (0.0501, "red")]
)
def test_overdue_visits_rating(share, expected):
    assert rate_overdue(share) == expected


@pytest.mark.parametrize(
    ("share", "expected"), [(0.9, "green"), (0.8999, "amber"), (0.75, "amber"), (0.7499, "red")]
)
def test_supervision_rating(share, expected):
    assert rate_supervision(share) == expected


@pytest.mark.parametrize(
    ("chance", "expected"), [(0.1999, "green"), (0.2, "amber"), (0.4999, "amber"), (0.5, "red")]
)
def test_forecast_rating(chance, expected):
    assert forecast_rating(chance) == expected


def test_worst_ignores_what_was_not_rated():
    assert worst(["green", "n/a", "amber"]) == "amber"
    assert worst([]) == "green"


def test_regional_figures_fall_back_to_england():
    assert comparator("caseload", "children", "North East").value == 16.5
    assert comparator("vacancy_rate", "children", "North East").area == "England"


def worker(i: int, cases: int | None, fte: float = 1.0, **kw) -> WorkerRow:
    return WorkerRow(
        worker_id=f"W{i}",
        team="T",
        role=kw.pop("role", "social_worker"),
        fte=fte,
        contract=kw.pop("contract", "permanent"),
        start_date=date(2020, 1, 1),
        years_qualified=3,
        cases_held=cases,
        **kw,
    )


def test_caseload_per_fte_is_the_dfe_definition_and_part_timers_count_per_fte():
    team = TeamRow(
        team="T",
        service="children",
        establishment_fte=4,
        vacancies_fte=1,
        referrals_12m=100,
        visits_overdue=1,
    )
    workers = (
        worker(1, 20),
        worker(2, 9, fte=0.5),  # 18 per FTE: at the benchmark, not above
        worker(3, 0),  # holds no case: not in the denominator
        worker(4, None, role="manager"),
        worker(5, None, leave_date=date(2026, 3, 1)),
    )
    data = CouncilData(workers, (team,), date(2026, 9, 30), "w.csv", "t.csv")
    picture = team_picture(data, team)
    assert picture.benchmark == DEFAULT_BENCHMARK
    assert picture.caseload_per_fte == pytest.approx(29 / 1.5)
    assert picture.workers_above == 1
    assert picture.rating("caseload") == "red"
    assert picture.rating("workers_above") == "red"  # 1 of the 3 social workers in post: a third
    assert picture.permanent_leavers == 1
    assert picture.rating("overdue_visits") == "amber"  # 1 visit overdue on 29 cases: 3.4%
    assert picture.headline == "red"
