"""The batch runner: order, common random numbers, the resume journal, serial = Dask."""

from __future__ import annotations

import json
import math
import os

import pytest

import sim.engine.run
import sim.runs.batch
from sim.engine.rng import replication_seeds
from sim.runs.batch import Journal, RunRecord, run_batch, specs_for
from sim.scenario.loading import load_scenario, with_overrides
from tests.model_helpers import same_summaries, same_summary

SHORT = ["simulation.warmup_days=10"]


@pytest.fixture(scope="module")
def configs():
    base = load_scenario("scenarios/baseline.toml", SHORT, days=40)
    capped = with_overrides(base, settings=['allocation.cap_kind="count"'])
    return [base, capped]


def test_specs_share_replication_seeds_across_points(configs):
    specs = specs_for(configs, 3, 99)
    assert [(s.point, s.replication) for s in specs] == [(p, r) for p in (0, 1) for r in range(3)]
    seeds = replication_seeds(99, 3)
    assert [s.seed for s in specs] == seeds + seeds


def test_journal_skips_a_line_cut_short_and_the_next_append_is_kept(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    record = RunRecord(0, 1, 5, {"a": 1.5, "b": math.nan})
    journal.append("k1", record)
    with journal.path.open("a") as handle:
        handle.write('{"key": "k2", "point": 0, "replic')  # a kill mid-write
    loaded = journal.load()
    assert list(loaded) == ["k1"]
    assert loaded["k1"].summary["a"] == 1.5 and math.isnan(loaded["k1"].summary["b"])
    journal.append("k2", RunRecord(0, 2, 6, {"a": 2.0}))  # the resumed run's first record
    assert list(Journal(journal.path).load()) == ["k1", "k2"]


def test_resume_runs_only_what_the_journal_lacks(configs, tmp_path, monkeypatch):
    specs = specs_for(configs, 2, 7)
    journal = Journal(tmp_path / "j.jsonl")
    first = run_batch(specs[:3], workers=1, journal=journal)
    assert len(journal.path.read_text().splitlines()) == 3

    calls = []
    real = sim.runs.batch.simulate

    def counting(spec, keep_series=False):
        calls.append((spec.point, spec.replication))
        return real(spec, keep_series)

    monkeypatch.setattr(sim.runs.batch, "simulate", counting)
    reused = []
    resumed = run_batch(specs, workers=1, journal=journal, on_resume=reused.append)
    assert reused == [3]
    assert calls == [(1, 1)]  # only the one missing run
    assert same_summaries([r.summary for r in resumed[:3]], [r.summary for r in first])
    assert len(journal.path.read_text().splitlines()) == 4


def test_a_changed_scenario_is_not_taken_from_the_journal(configs, tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    specs = specs_for(configs[:1], 1, 7)
    run_batch(specs, workers=1, journal=journal)
    changed = with_overrides(configs[0], settings=["demand.referrals_per_day=0.9"])
    reused = []
    run_batch(specs_for([changed], 1, 7), workers=1, journal=journal, on_resume=reused.append)
    assert reused == []


def test_results_come_back_in_spec_order_whatever_the_workers(configs):
    specs = specs_for(configs, 2, 3)
    serial = run_batch(specs, workers=1, keep_series=True)
    parallel = run_batch(specs, workers=2, keep_series=True)
    assert [(r.point, r.replication, r.seed) for r in parallel] == [
        (s.point, s.replication, s.seed) for s in specs
    ]
    assert same_summaries([r.summary for r in serial], [r.summary for r in parallel])
    assert [r.series for r in serial] == [r.series for r in parallel]


def test_identical_points_run_once(configs, monkeypatch):
    calls = []
    real = sim.runs.batch.simulate

    def counting(spec, keep_series=False):
        calls.append(spec.point)
        return real(spec, keep_series)

    monkeypatch.setattr(sim.runs.batch, "simulate", counting)
    records = run_batch(specs_for([configs[0], configs[0]], 1, 3), workers=1)
    assert calls == [0]
    assert [r.point for r in records] == [0, 1]
    assert same_summary(records[0].summary, records[1].summary)


def test_journal_lines_are_strict_json(configs, tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    run_batch(specs_for(configs[:1], 1, 3), workers=1, journal=journal, keep_series=True)
    entry = json.loads(journal.path.read_text().splitlines()[0])
    assert set(entry) == {"key", "point", "replication", "seed", "summary", "series", "sha256"}
    assert set(entry["series"]) == set(sim.engine.run.SERIES_COLUMNS)
    assert len(entry["series"]["waiting"]) == 30 // sim.engine.run.WEEK


def test_more_replications_reuse_the_runs_already_journalled(configs, tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    run_batch(specs_for(configs[:1], 2, 7), workers=1, journal=journal)
    more = with_overrides(configs[0], replications=3)
    reused = []
    records = run_batch(
        specs_for([more], 3, 7), workers=1, journal=journal, on_resume=reused.append
    )
    assert reused == [2] and len(records) == 3


def _journal_with_two_runs(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append("k1", RunRecord(0, 0, 5, {"a": 1.5}, {"waiting": [1.0, 2.0]}))
    journal.append("k2", RunRecord(0, 1, 6, {"a": 2.5}))
    return journal


@pytest.mark.parametrize(
    "damage",
    [
        lambda line: line.replace(b'"a":1.5', b'"a":9.5'),  # a changed number: checksum fails
        lambda line: line.replace(b'"point":0', b'"point":true'),
        lambda line: b"[" * 200_000 + b"\n",  # nesting deep enough to overflow a recursive parser
        lambda line: b"\x80\xff garbage \x00\n",
        lambda line: b'{"key": "k1"}\n',
        lambda line: b"NaN\n",
    ],
)
def test_a_corrupt_or_forged_journal_line_is_ignored_with_a_warning(tmp_path, damage):
    journal = _journal_with_two_runs(tmp_path)
    first, second = journal.path.read_bytes().splitlines(keepends=True)
    journal.path.write_bytes(damage(first) + second)
    warnings: list[str] = []
    loaded = Journal(journal.path, warn=warnings.append).load()
    assert list(loaded) == ["k2"]
    assert warnings == [
        f"warning: {journal.path}: 1 line(s) are corrupt or not records of this version "
        "(format or checksum); ignored, their runs are done again"
    ]


def test_a_line_too_long_to_be_a_record_is_skipped_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(sim.runs.batch, "MAX_LINE_BYTES", 1000)
    journal = _journal_with_two_runs(tmp_path)
    with journal.path.open("ab") as handle:
        handle.write(b"x" * 5000 + b"\n")
    journal.append("k3", RunRecord(0, 2, 7, {"a": 3.5}))
    warnings: list[str] = []
    assert list(Journal(journal.path, warn=warnings.append).load()) == ["k1", "k2", "k3"]
    assert len(warnings) == 1


def test_only_the_batchs_own_runs_are_kept_from_a_journal(tmp_path):
    journal = _journal_with_two_runs(tmp_path)
    assert list(journal.load({"k2", "k9"})) == ["k2"]


def test_a_fifo_in_place_of_the_journal_is_removed_not_read(tmp_path):
    path = tmp_path / "j.jsonl"
    os.mkfifo(path)  # reading or appending to it would block the command for ever
    warnings: list[str] = []
    journal = Journal(path, warn=warnings.append)
    assert journal.load() == {}
    assert warnings == [f"warning: {path}: not a regular file; removed, its runs are done again"]
    journal.append("k1", RunRecord(0, 0, 5, {"a": 1.0}))
    assert list(Journal(path).load()) == ["k1"]


def _worker_log_level() -> tuple[int, int]:
    import logging

    return (
        logging.getLogger("distributed.worker").getEffectiveLevel(),
        logging.getLogger("distributed.core").getEffectiveLevel(),
    )


def test_local_workers_keep_dask_errors_off_the_terminal():
    """A heartbeat racing shutdown logs an ERROR traceback; local workers log only CRITICAL."""
    import logging

    from sim.runs.cluster import dask_client

    with dask_client(n_workers=2) as client:
        levels = client.run(_worker_log_level)
    assert len(levels) == 2
    assert all(level == (logging.CRITICAL, logging.CRITICAL) for level in levels.values())
