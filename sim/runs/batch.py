"""Many simulations at once: every (scenario, replication) of a comparison or a sweep.

A comparison or sweep is a list of :class:`RunSpec` — a validated scenario, a replication index
and its seed. :func:`run_batch` runs them serially or on Dask and returns one
:class:`RunRecord` per spec, in the order given, whatever order they finished in and however
many workers ran them: a run's numbers depend only on its scenario and seed.

Finished runs are appended to a journal (one JSON line each with a checksum, flushed and
synced; data only, so a planted journal can at worst be ignored) as they arrive, so an
interrupted batch loses at most the runs in flight, and the same command run again skips every
run already in the journal: nothing is lost and nothing is run twice. A run's
journal key hashes its resolved scenario, seed and the model's source code, so a changed
scenario or model never reuses stale numbers.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
import sys
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.runs.checkpoint import source_fingerprint
from sim.runs.cluster import dask_client, run_each
from sim.scenario.loading import scenario_to_toml
from sim.scenario.schema import Scenario

#: ``progress(done, total)`` after each run finishes (and once at the start when resuming).
BatchProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class RunSpec:
    """One simulation to run: design point ``point``'s scenario, replication and seed."""

    point: int
    replication: int
    seed: int
    config: Scenario = field(repr=False)

    def key(self, fingerprint: str) -> str:
        """Journal key: the resolved scenario, the run's seed and the model code, hashed.

        The replication count and master seed are left out: a run depends only on its own
        seed, so a sweep rerun with more replications reuses the runs it already has.
        """
        simulation = self.config.simulation.model_copy(update={"replications": 1, "seed": 0})
        config = self.config.model_copy(update={"simulation": simulation})
        material = f"{scenario_to_toml(config)}\n{self.seed}\n{fingerprint}"
        return hashlib.sha256(material.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class RunRecord:
    """What a batch keeps of one run: its metrics and, optionally, weekly series."""

    point: int
    replication: int
    seed: int
    summary: dict[str, float]
    series: dict[str, list[float]] | None = None  # None: not kept


def simulate(spec: RunSpec, keep_series: bool = False) -> RunRecord:
    """Run one spec; a module-level function so Dask workers can import it by name."""
    from sim.engine.run import (  # imported late: workers import it in their own process
        run,
        weekly_series,
    )

    result = run(spec.config, spec.seed, spec.replication)
    series = (
        weekly_series(result.daily, spec.config.simulation.warmup_days) if keep_series else None
    )
    summary = {key: float(value) for key, value in result.summary.items()}
    return RunRecord(spec.point, spec.replication, spec.seed, summary, series)


class Journal:
    """Finished runs of one batch, one JSON line each, in ``path``; read back on resume.

    Each line carries a SHA-256 of its content keyed to its run key, and is read as data only
    (strict JSON of numbers and lists, checked field by field). A line that is corrupt, of
    another format or fails its checksum is ignored with one warning through ``warn`` and its
    run is done again; a line longer than :data:`MAX_LINE_BYTES` is skipped unread.
    """

    def __init__(self, path: str | os.PathLike[str], warn: Callable[[str], None] | None = None):
        self.path = Path(path)
        self.fingerprint = source_fingerprint()
        self.warn = warn if warn is not None else _warn_on_stderr

    def load(self, keys: Collection[str] | None = None) -> dict[str, RunRecord]:
        """Every whole, genuine line's record by key (only those in ``keys``, if given).

        A last line cut short by a kill is removed from the file (so the next append starts a
        line of its own) and its run is done again. Something other than a regular file at
        ``path`` (a FIFO, a symlink) is removed with a warning, so appending cannot block.
        """
        records: dict[str, RunRecord] = {}
        if not self._is_regular():
            return records
        bad = 0
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        with os.fdopen(os.open(self.path, flags), "rb") as handle:
            whole = 0  # bytes up to the end of the last line that has its newline
            while line := handle.readline(MAX_LINE_BYTES + 1):
                if not line.endswith(b"\n"):
                    if len(line) <= MAX_LINE_BYTES:
                        break  # the last line, cut short by a kill
                    bad += 1  # far too long to be a record: skip to the end of the line
                    while (rest := handle.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                        pass
                    if not rest:
                        break
                    whole = handle.tell()
                    continue
                whole = handle.tell()
                entry = _record_of(line)
                if entry is None:
                    bad += 1
                elif keys is None or entry[0] in keys:
                    records[entry[0]] = entry[1]
            size = os.fstat(handle.fileno()).st_size
        if whole != size:
            with self.path.open("r+b") as handle:
                handle.truncate(whole)
        if bad:
            self.warn(
                f"warning: {self.path}: {bad} line(s) are corrupt or not records of this version "
                "(format or checksum); ignored, their runs are done again"
            )
        return records

    def _is_regular(self) -> bool:
        """Whether ``path`` is a regular file; anything else there is removed with a warning."""
        try:
            mode = os.lstat(self.path).st_mode
        except FileNotFoundError:
            return False
        if stat.S_ISREG(mode):
            return True
        if not stat.S_ISDIR(mode):
            self.path.unlink()
            self.warn(f"warning: {self.path}: not a regular file; removed, its runs are done again")
        return False

    def append(self, key: str, record: RunRecord) -> None:
        """Add one finished run, flushed to disk before returning."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        entry = {
            "key": key,
            "point": record.point,
            "replication": record.replication,
            "seed": record.seed,
            "summary": {k: (None if math.isnan(v) else v) for k, v in record.summary.items()},
            "series": record.series,
        }
        entry["sha256"] = _line_checksum(entry)
        line = json.dumps(entry, allow_nan=False, separators=(",", ":")) + "\n"
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        handle = os.open(self.path, flags | getattr(os, "O_NONBLOCK", 0), 0o644)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(line)
            out.flush()
            os.fsync(out.fileno())

    def clear(self) -> None:
        """Forget the journal (once the batch's outputs are safely written)."""
        self.path.unlink(missing_ok=True)


#: A journal line holds one run's metrics and weekly series (a 100-year run's series is about
#: 1 MB); a line longer than this is not a record and is skipped without being read whole.
MAX_LINE_BYTES = 16 << 20


def _line_checksum(entry: dict[str, Any]) -> str:
    """SHA-256 of a journal entry's content (all but its checksum), keyed to its run key."""
    content = {name: value for name, value in entry.items() if name != "sha256"}
    text = json.dumps(content, sort_keys=True, allow_nan=False, separators=(",", ":"))
    return hashlib.sha256(f"{entry.get('key')}\n{text}".encode()).hexdigest()


def _record_of(line: bytes) -> tuple[str, RunRecord] | None:
    """A journal line's key and record, or None if it is not a whole, genuine record."""
    try:
        entry = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(entry, dict) or set(entry) != _ENTRY_FIELDS:
        return None
    try:
        if entry["sha256"] != _line_checksum(entry):
            return None
    except (TypeError, ValueError):  # a value JSON cannot write back the same way
        return None
    key, summary, series = entry["key"], entry["summary"], entry["series"]
    ints = [entry[name] for name in ("point", "replication", "seed")]
    if not isinstance(key, str) or not all(_is_int(value) for value in ints):
        return None
    if not isinstance(summary, dict) or not all(_is_number(v) for v in summary.values()):
        return None
    if series is not None and not (
        isinstance(series, dict)
        and all(
            isinstance(values, list) and all(_is_number(v) for v in values)
            for values in series.values()
        )
    ):
        return None
    record = RunRecord(
        point=ints[0],
        replication=ints[1],
        seed=ints[2],
        summary={name: _float(value) for name, value in summary.items()},
        series=series,
    )
    return key, record


_ENTRY_FIELDS = frozenset({"key", "point", "replication", "seed", "summary", "series", "sha256"})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def _warn_on_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_batch(
    specs: Sequence[RunSpec],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    journal: Journal | None = None,
    progress: BatchProgress | None = None,
    keep_series: bool = False,
    on_resume: Callable[[int], None] | None = None,
) -> list[RunRecord]:
    """Run every spec and return their records in the order of ``specs``.

    Args:
        specs: The runs; each is independent of the others.
        workers: Local worker processes; ``1`` runs in this process, ``None`` one per CPU.
            Ignored when ``scheduler`` is given.
        scheduler: Address of a running Dask scheduler to run on instead.
        client: An open Dask client to run on (a caller making many batches keeps one cluster
            for all of them); takes precedence over ``workers`` and ``scheduler``.
        journal: Where finished runs are recorded and found again after an interruption.
        progress: Called as ``progress(done, total)`` as runs finish.
        keep_series: Keep weekly series (:data:`sim.engine.run.SERIES_COLUMNS`) for plots.
        on_resume: Called once with the number of runs reused from the journal, if any.

    Raises:
        SchedulerError: If ``scheduler`` is given but cannot be reached.
    """
    fingerprint = journal.fingerprint if journal is not None else source_fingerprint()
    keys = [spec.key(fingerprint) for spec in specs]
    saved = journal.load(set(keys)) if journal is not None else {}
    done: dict[str, RunRecord] = {}
    for key, spec in zip(keys, specs, strict=True):
        record = saved.get(key)
        if record is not None and (not keep_series or record.series is not None):
            done[key] = _relabel(record, spec)
    if done and on_resume is not None:
        on_resume(len(done))
    todo = _unique([(key, spec) for key, spec in zip(keys, specs, strict=True) if key not in done])
    total = len(set(keys))
    if progress is not None:
        progress(len(done), total)

    def finished(key: str, record: RunRecord) -> None:
        done[key] = record
        if journal is not None:
            journal.append(key, record)
        if progress is not None:
            progress(len(done), total)

    n_workers = min(len(todo), workers or os.cpu_count() or 1)
    calls = [(key, (spec, keep_series)) for key, spec in todo]
    if todo and client is not None:
        run_each(client, simulate, calls, finished)
    elif todo and (scheduler is not None or n_workers > 1):
        with dask_client(n_workers, scheduler) as opened:
            run_each(opened, simulate, calls, finished)
    else:
        for key, spec in todo:
            finished(key, simulate(spec, keep_series))
    return [_relabel(done[key], spec) for key, spec in zip(keys, specs, strict=True)]


def specs_for(configs: Iterable[Scenario], replications: int, master_seed: int) -> list[RunSpec]:
    """Every (point, replication) of ``configs``, replication r seeded alike at every point.

    Sharing replication seeds across points gives common random numbers: the same referrals,
    sickness draws and leavers wherever a lever does not change them, so differences between
    points come from the points, not from luck.
    """
    from sim.engine.rng import replication_seeds

    seeds = replication_seeds(master_seed, replications)
    return [
        RunSpec(point, replication, seed, config)
        for point, config in enumerate(configs)
        for replication, seed in enumerate(seeds)
    ]


def metric_matrix(records: Sequence[RunRecord], key: str, points: int, reps: int) -> np.ndarray:
    """One metric as a (points, replications) array, from records in spec order."""
    values = np.full((points, reps), np.nan)
    for record in records:
        values[record.point, record.replication] = record.summary.get(key, np.nan)
    return values


def _unique(pairs: list[tuple[str, RunSpec]]) -> list[tuple[str, RunSpec]]:
    """Drop repeated keys: two identical design points are run once."""
    seen: set[str] = set()
    unique = []
    for key, spec in pairs:
        if key not in seen:
            seen.add(key)
            unique.append((key, spec))
    return unique


def _relabel(record: RunRecord, spec: RunSpec) -> RunRecord:
    """``record`` as the result of ``spec`` (a shared run may serve several points)."""
    if (record.point, record.replication) == (spec.point, spec.replication):
        return record
    return RunRecord(spec.point, spec.replication, spec.seed, record.summary, record.series)


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)
