"""The shipped synthetic council reads cleanly and is what its README says it is."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sim.healthcheck.data import find_files, read_council
from sim.healthcheck.picture import team_picture

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "councils" / "northmoor"


def example():
    workers, teams = find_files(EXAMPLE)
    return read_council(workers, teams, date(2026, 9, 30))


def test_the_example_is_twelve_teams_of_both_services_with_history_and_leavers():
    data = example()
    known = json.loads((EXAMPLE / "known.json").read_text())
    assert [t.team for t in data.teams] == list(known["teams"])
    assert len(data.teams) == 12
    assert {t.service for t in data.teams} == {"children", "adults"}
    assert data.has_history
    assert any(not w.in_post for w in data.workers)
    assert {w.role for w in data.workers} == {"social_worker", "senior", "manager", "admin", "swa"}


def test_the_team_built_over_the_benchmark_is_over_it_today_and_the_others_are_not_far():
    data = example()
    pictures = {t.team: team_picture(data, t) for t in data.teams}
    west = pictures["Family Support West"]
    assert west.caseload_per_fte > 1.5 * west.benchmark
    assert west.headline == "red"
    others = [p for name, p in pictures.items() if name != "Family Support West"]
    assert all(p.caseload_per_fte < p.benchmark + 1 for p in others)
