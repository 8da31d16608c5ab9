"""Saved replications of an unfinished ``caseload review``, so Ctrl-C loses no finished work.

One Parquet file per replication (``rep-<r>-<seed>.parquet``: both runs' events, a ``run``
column telling them apart, and both runs' summaries in the file's metadata), in a folder named
by a hash of the scenario, the safe configuration, the master seed and the model's source
(``sim.runs.checkpoint.source_fingerprint``): a change to any of them starts afresh. A file is
written to a temporary name and renamed, so it is whole or absent; a damaged or foreign one is
ignored with a one-line warning and its replication runs again. Nothing is unpickled.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sim.experiments.review import BASE, SAFE, ReplayedReplication
from sim.scenario.schema import Scenario

_META_KEY = b"caseload_review"


class ReviewStore:
    """The replications of one review saved so far, under ``directory``."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        scenario: Scenario,
        safe: Scenario,
        master_seed: int,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        from sim.runs.checkpoint import source_fingerprint
        from sim.scenario.loading import scenario_to_toml

        parts = [scenario_to_toml(scenario), scenario_to_toml(safe), str(master_seed)]
        material = "\n".join([*parts, source_fingerprint()])
        self.key = hashlib.sha256(material.encode()).hexdigest()
        self.root = Path(directory)
        self.folder = self.root / self.key[:20]
        self.warn = warn or (lambda message: print(message, file=sys.stderr))

    def _path(self, replication: int, seed: int) -> Path:
        return self.folder / f"rep-{replication:06d}-{seed}.parquet"

    def save(self, replay: ReplayedReplication) -> None:
        """Save one replayed replication atomically."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.folder.mkdir(parents=True, exist_ok=True)
        frame = pd.concat(
            [replay.base.assign(run=BASE), replay.safe.assign(run=SAFE)], ignore_index=True
        )
        table = pa.Table.from_pandas(frame, preserve_index=False)
        meta = {
            "key": self.key,
            "replication": replay.replication,
            "seed": replay.seed,
            "base_summary": _jsonable(replay.base_summary),
            "safe_summary": _jsonable(replay.safe_summary),
        }
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), _META_KEY: json.dumps(meta).encode()}
        )
        handle, staging = tempfile.mkstemp(prefix=".rep-", suffix=".parquet", dir=self.folder)
        os.close(handle)
        try:
            pq.write_table(table, staging)
            os.replace(staging, self._path(replay.replication, replay.seed))
        finally:
            Path(staging).unlink(missing_ok=True)

    def load(self, replication: int, seed: int) -> ReplayedReplication | None:
        """The saved replication, or None (absent, damaged or of another review)."""
        import pyarrow.parquet as pq

        path = self._path(replication, seed)
        if not path.is_file():
            return None
        try:
            table = pq.read_table(path)
            meta = json.loads(table.schema.metadata[_META_KEY])
            if meta["key"] != self.key or (meta["replication"], meta["seed"]) != (
                replication,
                seed,
            ):
                raise ValueError("saved by another review")
            frame = table.to_pandas()
            runs = frame.pop("run")
            base = frame[runs == BASE].reset_index(drop=True)
            safe = frame[runs == SAFE].reset_index(drop=True)
            return ReplayedReplication(
                replication,
                seed,
                base,
                safe,
                _floats(meta["base_summary"]),
                _floats(meta["safe_summary"]),
            )
        except Exception as exc:  # anything a damaged file raises: run again, never fatal
            self.warn(
                f"warning: {path}: unreadable ({type(exc).__name__}); ignored, replication "
                f"{replication} runs again"
            )
            return None

    def clear(self) -> None:
        """Delete every saved replication (after the outputs are written)."""
        shutil.rmtree(self.root, ignore_errors=True)


def _jsonable(summary: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if math.isnan(float(v)) else float(v)) for k, v in summary.items()}


def _floats(summary: dict[str, float | None]) -> dict[str, float]:
    return {k: (math.nan if v is None else float(v)) for k, v in summary.items()}
