"""The case book's compaction: rows move between days, referrals (case ids) and numbers do not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine.cases import ARCHIVED, CLOSED, SCREENED_OUT, STATUS_NAMES, WAITING, CaseBook
from sim.engine.model import CaseloadModel
from sim.engine.run import collect
from sim.scenario.loading import load_scenario
from sim.scenario.schema import CASE_TYPES
from tests.conftest import REPO_ROOT
from tests.model_helpers import check_invariants


def _book_with(n: int) -> CaseBook:
    book = CaseBook(capacity=4)
    rows = book.add(n)
    book.risk_logit[rows] = np.linspace(-2.0, 2.0, n)
    book.child[rows] = rows * 10
    book.status[rows] = WAITING
    return book


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.data())
def test_compaction_keeps_every_referral_and_its_values(n: int, data) -> None:
    book = _book_with(n)
    closing = np.array(sorted(data.draw(st.sets(st.integers(0, n - 1)))), dtype=np.int64)
    screened = closing[: len(closing) // 3]
    book.close(screened, day=1, status=SCREENED_OUT)
    book.close(closing[len(closing) // 3 :], day=2)
    before = book.columns()
    live_ids = book.case_id[book.live].tolist()

    book.compact()

    # The working columns hold the live referrals only, at the front, in the same order.
    assert book.n == len(live_ids) and book.n_total == n
    assert book.case_id[book.live].tolist() == live_ids
    np.testing.assert_array_equal(book.live, np.arange(len(live_ids)))
    for row, case_id in enumerate(live_ids):
        assert book.row_of(case_id) == row
    for case_id in closing.tolist():
        assert book.row_of(case_id) == ARCHIVED
    # The whole book, read in case-id order, is exactly what it was.
    after = book.columns()
    for name, column in before.items():
        np.testing.assert_array_equal(after[name], column, err_msg=name)
    assert book.count(CLOSED) + book.count(SCREENED_OUT) == len(closing)
    # New rows after a compaction start from the defaults, with the next case ids.
    rows = book.add(3)
    assert book.case_id[rows].tolist() == [n, n + 1, n + 2]
    assert np.all(book.status[rows] == WAITING) and np.all(book.child[rows] == -1)
    assert book.live[-3:].tolist() == rows.tolist()


def test_compaction_waits_for_enough_closed_rows() -> None:
    book = _book_with(400)
    book.close(np.arange(100), day=1)  # 100 closed among 300 live: not yet half
    assert not book.should_compact()
    book.close(np.arange(100, 150), day=1)  # 150 closed, 250 live
    assert book.should_compact()
    small = _book_with(20)
    small.close(np.arange(19), day=1)  # far more closed than live, but too few to bother
    assert not small.should_compact()


def test_referral_agents_follow_their_case_through_compaction() -> None:
    config = load_scenario(REPO_ROOT / "scenarios/baseline.toml", ["simulation.warmup_days=0"])
    model = CaseloadModel(config, 7)
    kept = dict(list(model.referral_agents.items())[:40])  # handles a user might hold on to
    compactions = 0
    for _ in range(200):
        n_before = model.cases.n
        model.step()
        compactions += model.cases.n < n_before
        check_invariants(model)
    assert compactions >= 1, "the run must compact for this test to mean anything"
    live = model.cases.live
    assert sorted(model.referral_agents) == sorted(model.cases.case_id[live].tolist())
    # Every handle, of a live or an archived case, reads its own referral's values.
    book, risk = model.cases.columns(), model.cases.risk
    handles = {**kept, **model.referral_agents}
    assert any(model.cases.row_of(case_id) == ARCHIVED for case_id in kept), "none archived"
    for case_id, agent in handles.items():
        assert agent.case_id == case_id
        assert agent.status == STATUS_NAMES[book["status"][case_id]]
        assert agent.case_type == CASE_TYPES[book["type_code"][case_id]]
        holder = book["worker"][case_id]
        assert (agent.worker.index if agent.worker else -1) == holder
        assert agent.risk == pytest.approx(risk[case_id], rel=1e-12)


@pytest.mark.parametrize("path", ["scenarios/baseline.toml", "scenarios/levers/caseload_cap.toml"])
def test_compaction_changes_no_number(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same run with the book never compacted gives identical tables and summary."""
    overrides = ["simulation.days=300", "simulation.warmup_days=0"]
    config = load_scenario(REPO_ROOT / path, overrides)
    compacted = CaseloadModel(config, 11)
    compacted.run()
    monkeypatch.setattr(CaseBook, "should_compact", lambda self: False)
    plain = CaseloadModel(config, 11)
    plain.run()
    assert compacted.cases.n < plain.cases.n == plain.cases.n_total == compacted.cases.n_total
    a, b = collect(compacted), collect(plain)
    assert a.summary == b.summary
    for table in ("daily", "workers", "worker_days", "cases"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), obj=table)
