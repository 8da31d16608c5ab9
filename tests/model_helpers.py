"""Helpers for the model's tests: small configs, hand-built cases, invariant checks.

Configs are built through the schema (``Scenario.model_validate``) so every test situation is a
valid scenario. ``QUIET`` switches off every mechanism that would act on its own (arrivals, risk,
wellbeing, sickness, attrition, supervision, the front door, re-referrals, the exhaustion score,
worker changes and the manager under load, the last five on by default), so a unit test turns on
only the mechanism it tests.
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine.cases import ALLOCATED, CLOSED, NEVER, NO_VISIT_DUE, READY, SCREENED_OUT, WAITING
from sim.engine.model import CaseloadModel
from sim.engine.phases.arrivals import open_cases
from sim.scenario.schema import CASE_TYPES, Scenario, deep_merge

#: A team with nothing going on by itself: full-time, experienced, no vacancies, no cases.
QUIET: dict = {
    "simulation": {"days": 400, "warmup_days": 0, "initial_cases_per_fte": 0.0},
    "team": {
        "social_worker_posts": 2,
        "initial_vacancy_share": 0.0,
        "newly_qualified_share": 0.0,
        "part_time_share": 0.0,
        "recording_first_share": 0.0,
    },
    "demand": {"referrals_per_day": 0.0},
    "risk": {"enabled": False},
    "wellbeing": {"enabled": False},
    "sickness": {"enabled": False},
    "staffing": {"attrition_enabled": False},
    "supervision": {"enabled": False},
    "front_door": {"enabled": False},
    "re_referral": {"enabled": False},
    "exhaustion": {"enabled": False},
    "worker_changes": {"enabled": False},
    "manager": {"mode": "off"},
}


def fresh_referrals(summary: dict) -> float:
    """Referrals of children not referred before: the arrivals every paired scenario shares.

    Re-referrals follow closures, which levers change, so ``referrals_received`` may differ
    between paired runs while the fresh arrivals may not (common random numbers).
    """
    return summary["referrals_received"] - summary["re_referrals_received"]


def scenario(base: dict | None = None, **sections: dict) -> Scenario:
    """A validated scenario: ``base`` (default ``QUIET``) with ``sections`` merged in."""
    data = deep_merge(QUIET if base is None else base, sections)
    return Scenario.model_validate(data)


def quiet_model(seed: int = 1, **sections: dict) -> CaseloadModel:
    """A model built from ``QUIET`` plus ``sections``."""
    return CaseloadModel(scenario(**sections), seed)


def add_cases(
    model: CaseloadModel,
    count: int,
    case_type: str = "child_in_need",
    *,
    worker=None,
    team: int = 0,
    observed_risk: float | None = None,
    visit_due_day: int | None = None,
    work_days_left: float | None = None,
) -> np.ndarray:
    """Create ``count`` referrals of one type: waiting, or allocated to ``worker`` if given."""
    codes = np.full(count, CASE_TYPES.index(case_type), dtype=np.int8)
    teams = np.full(count, worker.team if worker is not None else team)
    rows = open_cases(model, codes, teams, model.streams["case_mix"])
    cases = model.cases
    if worker is None:
        cases.status[rows] = WAITING
    else:
        cases.status[rows] = ALLOCATED
        cases.worker[rows] = worker.index
        cases.day_allocated[rows] = model.day
        cases.day_first_allocated[rows] = model.day
    if observed_risk is not None:
        cases.observed_risk[rows] = observed_risk
    if visit_due_day is not None:
        cases.day_visit_due[rows] = visit_due_day
    if work_days_left is not None:
        cases.work_days_left[rows] = work_days_left
    return rows


def open_rows_of(model: CaseloadModel, worker) -> np.ndarray:
    """Rows allocated or ready to close held by ``worker``."""
    cases = model.cases
    n = cases.n
    status = cases.status[:n]
    return np.flatnonzero(
        ((status == ALLOCATED) | (status == READY)) & (cases.worker[:n] == worker.index)
    )


def same_summary(a: dict[str, float], b: dict[str, float]) -> bool:
    """Equal metric by metric, NaN equal to NaN.

    NaN is a metric undefined in the run, e.g. the manager's when it is not under load.
    """
    return a.keys() == b.keys() and all(
        a[key] == b[key] or (math.isnan(a[key]) and math.isnan(b[key])) for key in a
    )


def same_summaries(a: list[dict[str, float]], b: list[dict[str, float]]) -> bool:
    """:func:`same_summary` run by run."""
    return len(a) == len(b) and all(same_summary(x, y) for x, y in zip(a, b, strict=True))


def binomial_ok(observed: float, trials: float, p: float, sds: float = 4.0) -> bool:
    """Whether ``observed`` successes in ``trials`` is within ``sds`` standard deviations of p."""
    expected = trials * p
    return abs(observed - expected) <= sds * math.sqrt(max(trials * p * (1 - p), 1e-12))


def check_invariants(model: CaseloadModel, *, admin_used: dict | None = None) -> None:
    """Assert every conservation law and bound that must hold at the end of any day.

    ``admin_used`` maps admin agent ids to their ``hours_worked`` at the start of the day, so the
    hours absorbed today can be compared with the day's hours.
    """
    cfg = model.config
    day = model.day - 1  # the day just simulated
    cases = model.cases
    n = cases.n_total
    # The whole book, archived (closed) referrals included, one entry per referral in id order.
    book = cases.columns()
    status = book["status"]
    worker_of = book["worker"]

    # Conservation: every row (referral) screened out, waiting, open or closed, exactly one.
    statuses = (SCREENED_OUT, WAITING, ALLOCATED, READY, CLOSED)
    counts = [int(np.count_nonzero(status == s)) for s in statuses]
    assert sum(counts) == n, f"day {day}: statuses {counts} do not add up to {n} rows"

    # The live-row index is exactly the working rows neither closed nor screened out, ascending;
    # every archived referral is closed or screened out; a case id names one referral, whose row
    # ``row_of`` finds.
    live = cases.live
    working = cases.status[: cases.n]
    final = (working == CLOSED) | (working == SCREENED_OUT)
    np.testing.assert_array_equal(live, np.flatnonzero(~final), f"day {day}: live rows")
    ids = cases.case_id[: cases.n]
    assert len(np.unique(ids)) == cases.n and np.all((ids >= 0) & (ids < n)), f"day {day}: ids"
    assert all(cases.row_of(int(i)) == r for r, i in enumerate(ids.tolist())), f"day {day}"
    archived = np.ones(n, dtype=bool)
    archived[ids] = False
    assert np.all((status[archived] == CLOSED) | (status[archived] == SCREENED_OUT))

    # A screened-out referral took no work: never allocated, no worker, no visit, gone on arrival.
    out = status == SCREENED_OUT
    assert np.all(worker_of[out] == NEVER), f"day {day}: a screened-out referral has a worker"
    assert np.all(book["day_first_allocated"][out] == NEVER), f"day {day}: allocated"
    assert np.all(book["n_visits"][out] == 0), f"day {day}: a screened-out referral was visited"
    assert np.all(book["day_closed"][out] == book["day_arrived"][out])
    # Each child's referrals: ids are set, episodes count up in order of arrival.
    assert np.all(book["child"] >= 0), f"day {day}: a referral without a child"
    by_child = np.lexsort((book["episode"], book["child"]))
    same = book["child"][by_child][1:] == book["child"][by_child][:-1]
    episodes = book["episode"][by_child]
    arrivals = book["day_arrived"][by_child]
    assert np.all(episodes[1:][same] == episodes[:-1][same] + 1), f"day {day}: episode skipped"
    assert np.all(arrivals[1:][same] > arrivals[:-1][same]), f"day {day}: re-referral too early"
    assert np.all(episodes[1:][~same] == 0) and (n == 0 or episodes[0] == 0)

    # Waiting cases have no worker; open and closed cases name a real worker.
    assert np.all(worker_of[status == WAITING] == NEVER), f"day {day}: waiting case has a worker"
    is_open = (status == ALLOCATED) | (status == READY)
    assert np.all(worker_of[status == CLOSED] >= 0), f"day {day}: closed case lost its worker"
    staff = model.workers_in_post()
    in_post = {w.index for w in staff}
    is_in_post = np.zeros(len(model.workers), dtype=bool)
    is_in_post[list(in_post)] = True
    team_of = np.array([w.team for w in model.workers])
    open_workers = worker_of[is_open]
    assert np.all(open_workers >= 0), f"day {day}: an open case has no worker"
    assert np.all(is_in_post[open_workers]), f"day {day}: an open case's worker is not in post"
    assert np.all(team_of[open_workers] == book["team"][is_open]), f"day {day}: wrong team"

    # Long-term sickness: with "reallocate", a reported long-term-sick worker holds nothing.
    if cfg.allocation.on_long_term_sickness == "reallocate":
        for w in model.workers_in_post():
            if w.is_sick(day) and w.is_reported_long_term_sick:
                held = np.count_nonzero(is_open & (worker_of == w.index))
                assert held == 0, f"day {day}: long-term sick worker {w.index} holds {held} cases"

    # Nothing negative.
    for w in staff:
        assert w.contact_hours >= 0.0, f"day {day}: worker {w.index} negative contact hours"
    assert np.all(book["pending_recording_hours"] >= 0), f"day {day}: negative recording"
    assert np.all(book["closure_hours_left"] >= 0), f"day {day}: negative closure hours"
    assert np.all(book["work_days_left"][status == ALLOCATED] > 0), (
        f"day {day}: allocated case with no work left (should have stepped up or be ready)"
    )

    # Ready cases have no work or visit left; visit and risk records are consistent.
    ready = status == READY
    assert np.all(book["work_days_left"][ready] <= 0), f"day {day}: ready case with work left"
    # (docs/model.md: an incident on a ready case sets a visit due that is never made.)
    quiet_ready = ready & (book["n_incidents"] == 0)
    assert np.all(book["day_visit_due"][quiet_ready] == NO_VISIT_DUE), f"day {day}: ready visit"
    assert np.all((book["observed_risk"] >= 0) & (book["observed_risk"] <= 1))
    assert np.all(book["n_visits_on_time"] <= book["n_visits"])
    allocated_once = book["day_first_allocated"] != NEVER
    assert np.all(
        book["day_first_allocated"][allocated_once] >= book["day_arrived"][allocated_once]
    ), f"day {day}: allocated before arrival"
    assert np.all(allocated_once[is_open | (status == CLOSED)]), f"day {day}: never allocated"
    check_worker_histories(model)

    # Workers' time accounts and state.
    ot_cap_per_fte = cfg.work.max_unpaid_overtime_hours_per_week / 5.0
    for w in staff:
        assert w.backlog_hours >= 0, f"day {day}: worker {w.index} negative backlog"
        assert w.hours_worked <= w.hours_available + w.overtime_allowed + 1e-8, (
            f"day {day}: worker {w.index} worked {w.hours_worked} > "
            f"{w.hours_available} + {w.overtime_allowed}"
        )
        assert 0.0 <= w.overtime_hours <= ot_cap_per_fte * w.fte + 1e-9
        assert w.hours_worked >= 0.0
        assert 0.0 <= w.stress <= 1.0, f"day {day}: stress {w.stress}"
        if w.is_sick(day):
            assert w.hours_worked == 0.0, f"day {day}: sick worker {w.index} worked"

    # The manager under load: its time accounts, stress and every allocated case's review date.
    if cfg.manager.mode == "under_load":
        ot_cap = cfg.manager.max_unpaid_overtime_hours_per_week / 5.0 * cfg.team.manager_fte
        for manager in model.managers:
            assert 0.0 <= manager.stress <= 1.0, f"day {day}: manager stress {manager.stress}"
            assert 0.0 <= manager.overtime_allowed <= ot_cap + 1e-9
            assert manager.overtime_hours <= manager.overtime_allowed + 1e-8
            assert manager.hours_worked <= manager.hours_available + manager.overtime_allowed + 1e-8
            assert manager.reviews_overdue >= 0
        allocated = np.flatnonzero(status == ALLOCATED)
        last = model.oversight.day_last_review[allocated]
        assert np.all(last <= day), f"day {day}: a case reviewed in the future"
        assert np.all(last >= -cfg.manager.review_interval_days - 200 - 1), (
            f"day {day}: an allocated case was never reviewed or allocated"
        )

    # Admin absorbs no more than its daily hours.
    daily_admin = cfg.support.admin_hours_per_week / 5.0
    for admin in model.admins:
        assert admin.hours_left_today >= -1e-9
        if admin_used is not None:
            absorbed = admin.hours_worked - admin_used[admin.unique_id]
            assert absorbed <= admin.fte * daily_admin + 1e-9, f"day {day}: admin over its hours"

    # Posts: each in-post worker holds exactly one active post, and no post has two holders.
    posts = model.posts
    holders = posts.holder[posts.is_active]
    holders = holders[holders >= 0]
    assert len(holders) == len(set(holders.tolist())), f"day {day}: a worker holds two posts"
    assert set(holders.tolist()) == in_post, f"day {day}: post holders differ from staff in post"
    for w in model.workers_in_post():
        assert posts.holder[w.post] == w.index and posts.is_active[w.post]
    assert not np.any(posts.holder[~posts.is_active] >= 0), f"day {day}: cut post still held"


def capacity(model: CaseloadModel, worker) -> float:
    """The worker's caseload capacity under the cap policy (FTE, scaled down if newly qualified)."""
    factor = model.config.allocation.nqsw_caseload_factor if worker.is_nqsw else 1.0
    return worker.fte * factor


def check_worker_histories(model: CaseloadModel) -> None:
    """Each case's dated worker history is consistent with the case and the staff.

    One day per entry, in order, none in the future; every entry's worker was in post on its
    day (hired by then, not yet left) and in the case's team; an open case's last entry is its
    worker; the changes counted equal the entries after the first. Checked on the histories
    flattened into arrays, so it is cheap enough to run every day.
    """
    cases, staff, day = model.cases, model.staff, model.day
    history = model.worker_history
    if len(history) == 0:
        return
    book = cases.columns()  # every referral, archived ones included, by case id
    order = np.argsort(history.case, kind="stable")  # by case, each case's entries in order
    case_ids, workers, days = history.case[order], history.worker[order], history.day[order]
    assert np.all((case_ids >= 0) & (case_ids < cases.n_total)), f"day {day}: unknown case"
    same = case_ids[1:] == case_ids[:-1]
    assert np.all(days[1:][same] >= days[:-1][same]), f"day {day}: history out of order"
    assert np.all(days <= day), f"day {day}: a change of worker dated in the future"
    assert np.all(staff.day_hired[workers] <= np.maximum(days, 0)), f"day {day}: before hire"
    left = staff.day_left[workers]
    assert np.all((left < 0) | (days <= left)), f"day {day}: a case given to a leaver"
    assert np.all(staff.team[workers] == book["team"][case_ids]), f"day {day}: left its team"
    lengths = np.bincount(case_ids, minlength=cases.n_total)
    has = lengths > 0
    assert np.array_equal(book["n_worker_changes"][has], lengths[has] - 1), (
        f"day {day}: n_worker_changes disagrees with the histories"
    )
    is_last = np.append(~same, True)
    rows, last = case_ids[is_last], workers[is_last]
    status = book["status"][rows]
    is_open = (status == ALLOCATED) | (status == READY)
    assert np.all(last[is_open] == book["worker"][rows][is_open]), f"day {day}: not current"
