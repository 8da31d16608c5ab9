"""Checkpoints: each finished replication saved as it completes, so an interrupted run resumes.

A checkpoint belongs to one (resolved scenario, master seed, model source code): its folder name
is a hash of the three, so a changed scenario or code never reuses stale replications. A
replication is saved as data only (Arrow IPC tables and a JSON seal with a SHA-256 keyed to the
run), never as a pickle: the output folder is not trusted, and a file planted there must not
run code. Each replication is written into a staging folder and renamed into place, so a kill
leaves either a whole replication or none. Replication r's seed depends only on the master seed
and r, so a resumed run gives exactly the results of an uninterrupted one.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    import pandas as pd

    from sim.engine.run import RunResult

#: The tables of a RunResult, one Arrow IPC file each in a replication's folder.
TABLES: tuple[str, ...] = ("daily", "workers", "worker_days", "cases")

#: A replication folder's description: run key, identity, summary, table sizes and checksum.
SEAL = "checkpoint.json"

#: Version of the checkpoint layout; a folder of any other version is recomputed.
FORMAT = 2

#: ``checkpoint.json`` holds a summary of some fifty numbers; anything far larger is not one.
MAX_SEAL_BYTES = 1 << 20


#: The folders whose code can change a run's numbers: the engine, and the scenario schema and
#: loading that turn a file into the validated config it reads. Everything else (runs, outputs,
#: experiments, dashboard, command line) only schedules, presents or analyses runs, so editing it
#: keeps saved runs valid. A new module in these folders is covered without anyone listing it.
MODEL_PACKAGES = ("engine", "scenario")

#: Libraries whose versions can change a run's random draws or arithmetic.
NUMERIC_LIBRARIES = ("numpy", "scipy", "mesa", "pandas")


def source_fingerprint() -> str:
    """A hash of the model's source and numeric libraries' versions, so stale runs are not reused.

    Covers every module under :data:`MODEL_PACKAGES` and the versions of
    :data:`NUMERIC_LIBRARIES`.
    """
    from importlib import metadata

    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for folder in MODEL_PACKAGES:
        for path in sorted((package / folder).rglob("*.py")):
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    for library in NUMERIC_LIBRARIES:
        try:
            digest.update(f"{library}=={metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library} missing".encode())
    return digest.hexdigest()


class Checkpoint:
    """The saved replications of one run, one folder each: ``directory/<key>/rep-<r>-<seed>/``.

    A replication's folder holds its four tables as Arrow IPC files (``daily.arrow``,
    ``workers.arrow``, ``worker_days.arrow``, ``cases.arrow``: data only, read back with their
    pandas dtypes) and ``checkpoint.json``: the run key, replication, seed, summary and a SHA-256
    over all of it keyed to the run. Nothing in the folder is ever unpickled or imported. A file
    that is corrupt, cut short, of another run or planted (a pickle of an older version) is
    ignored with a one-line warning through ``warn`` and its replication is run again.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        config: Scenario,
        master_seed: int,
        warn: Callable[[str], None] | None = None,
    ):
        from sim.scenario.loading import scenario_to_toml

        material = f"{scenario_to_toml(config)}\n{master_seed}\n{source_fingerprint()}"
        self.run_key = hashlib.sha256(material.encode()).hexdigest()
        self.root = Path(directory)
        self.folder = self.root / self.run_key[:20]
        for path in (self.root, self.folder):  # refused now, before any replication runs
            if os.path.lexists(path) and not stat.S_ISDIR(os.lstat(path).st_mode):
                raise NotADirectoryError(
                    errno.ENOTDIR,
                    "exists and is not a folder; caseload keeps the replications of an "
                    "interrupted run there, so move it away or give another --out",
                    str(path),
                )
        self.warn = warn if warn is not None else _warn_on_stderr
        self._looked = False
        self._checked: set[tuple[int, int]] = set()  # replications ``restore`` has verified
        self._restored: dict[int, RunResult] = {}  # ...and those it found whole and genuine

    def _path(self, replication: int, seed: int) -> Path:
        return self.folder / f"rep-{replication:06d}-{seed}"

    def restore(self, seeds: Sequence[int]) -> int:
        """Verify the saved replications (``r`` has ``seeds[r]``) now; how many are good.

        A damaged one is warned about here, once; the good ones are kept for :meth:`load`, so
        each table is read once and a count announced before the run is the count reused.
        """
        for replication, seed in enumerate(seeds):
            if (replication, seed) not in self._checked:
                result = self.load(replication, seed)
                self._checked.add((replication, seed))
                if result is not None:
                    self._restored[replication] = result
        return len(self._restored)

    def load(self, replication: int, seed: int) -> RunResult | None:
        """The saved result of ``replication`` if a whole, genuine one is saved, else None."""
        if (replication, seed) in self._checked:  # verified by ``restore``: not read again
            return self._restored.pop(replication, None)
        if not self._looked:
            self._looked = True
            self._warn_strays()
        path = self._path(replication, seed)
        if not os.path.lexists(path):
            return None
        try:
            return self._read(path, replication, seed)
        except CheckpointProblem as problem:
            self.warn(f"warning: {path}: {problem}; ignored, replication {replication} runs again")
        except Exception as exc:  # anything a damaged file raises: recomputed, never fatal
            self.warn(
                f"warning: {path}: unreadable ({type(exc).__name__}); ignored, replication "
                f"{replication} runs again"
            )
        return None

    def _read(self, path: Path, replication: int, seed: int) -> RunResult:
        from sim.engine.run import RunResult

        if not stat.S_ISDIR(os.lstat(path).st_mode):
            raise CheckpointProblem("not a checkpoint folder (a file of another version?)")
        try:
            seal = json.loads(_read_regular(path / SEAL, MAX_SEAL_BYTES))
        except ValueError:
            raise CheckpointProblem(f"{SEAL} is not valid JSON") from None
        if not isinstance(seal, dict) or seal.get("format") != FORMAT:
            raise CheckpointProblem("not a checkpoint of this version")
        if seal.get("run_key") != self.run_key:
            raise CheckpointProblem("saved by another run (scenario, seed or model)")
        if seal.get("replication") != replication or seal.get("seed") != seed:
            raise CheckpointProblem("saved for another replication")
        sizes = seal.get("bytes")
        if not isinstance(sizes, dict) or set(sizes) != set(TABLES):
            raise CheckpointProblem("its list of tables is incomplete")
        blobs = {}
        for table in TABLES:
            size = sizes[table]
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise CheckpointProblem(f"the size of {table} is not a whole number")
            blobs[table] = _read_regular(path / f"{table}.arrow", size, exact=True)
        summary = _summary_from_json(seal.get("summary"))
        if seal.get("sha256") != _checksum(self.run_key, replication, seed, summary, blobs):
            raise CheckpointProblem("checksum does not match (corrupt or changed)")
        tables = {table: _frame_from_arrow(blob) for table, blob in blobs.items()}
        return RunResult(replication=replication, seed=seed, summary=summary, **tables)

    def save(self, result: RunResult) -> None:
        """Save one finished replication atomically: a whole folder appears, or none."""
        self.folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".rep-", dir=self.folder))
        try:
            blobs = {table: _frame_to_arrow(getattr(result, table)) for table in TABLES}
            summary = {key: float(value) for key, value in result.summary.items()}
            for table, blob in blobs.items():
                (staging / f"{table}.arrow").write_bytes(blob)
            seal = {
                "format": FORMAT,
                "run_key": self.run_key,
                "replication": result.replication,
                "seed": result.seed,
                "summary": _summary_to_json(summary),
                "bytes": {table: len(blob) for table, blob in blobs.items()},
                "sha256": _checksum(self.run_key, result.replication, result.seed, summary, blobs),
            }
            (staging / SEAL).write_text(json.dumps(seal, allow_nan=False), encoding="utf-8")
            final = self._path(result.replication, result.seed)
            if os.path.lexists(final):  # a damaged or foreign copy: the new one replaces it
                _remove(final)
            os.rename(staging, final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def count(self) -> int:
        """How many replication folders are saved for this run (whole or not yet checked)."""
        if not self.folder.is_dir():
            return 0
        return sum(1 for path in self.folder.glob("rep-*") if _is_checkpoint_name(path.name))

    def clear(self) -> None:
        """Delete every checkpoint under the root (after the outputs are safely written)."""
        shutil.rmtree(self.root, ignore_errors=True)

    def _warn_strays(self) -> None:
        """Name anything in this run's folder that no version of this class writes now."""
        try:
            names = sorted(os.listdir(self.folder))
        except OSError:
            return
        for name in names:
            if not _is_checkpoint_name(name) and not name.startswith(".rep-"):
                self.warn(
                    f"warning: {self.folder / name}: not a checkpoint of this version "
                    "(checkpoints are never unpickled); ignored"
                )


class CheckpointProblem(Exception):
    """Why a saved replication is not used; the replication is run again."""


def _is_checkpoint_name(name: str) -> bool:
    return re.fullmatch(r"rep-\d{6}-\d+", name) is not None


def _read_regular(path: Path, limit: int, exact: bool = False) -> bytes:
    """A regular file's bytes (no FIFO, device or symlink; at most ``limit`` bytes)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        handle = os.open(path, flags)
    except FileNotFoundError:
        raise CheckpointProblem(f"{path.name} is missing") from None
    except OSError as exc:
        raise CheckpointProblem(f"{path.name} cannot be opened ({exc.strerror})") from None
    with os.fdopen(handle, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise CheckpointProblem(f"{path.name} is not a regular file")
        if info.st_size > limit or (exact and info.st_size != limit):
            raise CheckpointProblem(f"{path.name} has the wrong size (corrupt or changed)")
        return stream.read(limit + 1)


def _frame_to_arrow(frame: pd.DataFrame) -> bytes:
    """A data frame as Arrow IPC bytes, with the pandas metadata that restores its dtypes."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=None)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _frame_from_arrow(blob: bytes) -> pd.DataFrame:
    import pyarrow as pa

    return pa.ipc.open_file(pa.BufferReader(blob)).read_all().to_pandas()


def _summary_to_json(summary: dict[str, float]) -> dict[str, float | None]:
    return {key: (None if math.isnan(value) else value) for key, value in summary.items()}


def _summary_from_json(data: Any) -> dict[str, float]:
    if not isinstance(data, dict):
        raise CheckpointProblem("its summary is not a table")
    summary = {}
    for key, value in data.items():
        if value is None:
            summary[key] = math.nan
        elif isinstance(value, int | float) and not isinstance(value, bool):
            summary[key] = float(value)
        else:
            raise CheckpointProblem(f"summary {key!r} is not a number")
    return summary


def _checksum(
    run_key: str, replication: int, seed: int, summary: dict[str, float], blobs: dict[str, bytes]
) -> str:
    """SHA-256 over the run key, the replication's identity, its summary and its tables."""
    digest = hashlib.sha256(f"{run_key}\n{replication}\n{seed}\n".encode())
    digest.update(json.dumps(_summary_to_json(summary), sort_keys=True).encode())
    for table in TABLES:
        digest.update(f"\n{table}:{len(blobs[table])}\n".encode())
        digest.update(blobs[table])
    return digest.hexdigest()


def _remove(path: Path) -> None:
    if stat.S_ISDIR(os.lstat(path).st_mode):
        shutil.rmtree(path)
    else:
        path.unlink()


def _warn_on_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
