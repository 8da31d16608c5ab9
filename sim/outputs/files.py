"""Writing a run's outputs to a directory, atomically, with a manifest that makes it reproducible.

Results are read by other tools (comparisons, dashboards, reports) long after the run, so a file
must never be half-written and a directory must say how it was made: the seeds, the resolved
scenario, the software versions, the command and a SHA-256 of every file. Everything is written
into a hidden temporary directory inside the output directory and then moved into place with
``os.replace``; the manifest moves last, so a directory whose manifest hashes match is complete.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import platform
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.runs.replications import summarise
from sim.scenario.catalogue import caseload_version
from sim.scenario.loading import scenario_to_toml
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.engine.run import RunResult

#: Tables of a RunResult written to Parquet, stacked over replications.
TABLES: tuple[str, ...] = ("daily", "workers", "worker_days", "cases")

#: Files written for every run, in the order they are moved into place (manifest last).
OUTPUT_FILES: tuple[str, ...] = (
    "summary.json",
    *(f"{table}.parquet" for table in TABLES),
    "scenario.toml",
    "manifest.json",
)

_VERSIONED = ("mesa", "numpy", "scipy", "pandas", "pydantic", "pyarrow", "dask")


#: The file in an output folder whose ``flock`` a command holds for its whole life.
LOCK_FILE = ".caseload.lock"

#: Prefixes of the hidden files and folders a command writes and removes before it ends.
STAGING_PREFIX = ".caseload-partial-"
CHECK_PREFIX = ".caseload-check-"

#: When this process started writing outputs (this module's import): staging left by a command
#: killed before then cannot belong to a command still running in this process.
STARTED = time.time()


class OutputError(Exception):
    """The outputs could not be written (for example, the directory is not writable)."""


class FolderInUse(OutputError):
    """Another command holds the output folder's lock."""


class OutputLock:
    """An exclusive ``flock`` on ``OUT/.caseload.lock``, held while a command uses the folder.

    Two commands writing into one folder would silently lose one's results, so the second
    refuses at once, naming the folder and the holder's pid and command (or, with ``wait``,
    waits for the holder to finish). The lock goes with the process, so a killed command never
    leaves the folder locked. The holder removes the file before it lets go; a newcomer that
    locked a file so removed sees it is no longer the one at the path and tries again.
    """

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        *,
        wait: bool = False,
        on_wait: Callable[[str], None] | None = None,
        command: Sequence[str] | None = None,
    ) -> None:
        self.out = Path(out_dir)
        self.wait, self.on_wait = wait, on_wait
        self.command = shlex.join(list(command) if command is not None else sys.argv)
        self._handle: int | None = None

    def __enter__(self) -> Path:
        path = self.out / LOCK_FILE
        while True:  # until the file we lock is the one at ``path`` (a releaser unlinks it)
            handle = self._open(path)
            try:
                self._acquire(handle)
                if _same_file(handle, path):
                    os.ftruncate(handle, 0)
                    os.pwrite(handle, f"{os.getpid()} {self.command}\n".encode(), 0)
                    self._handle = handle
                    return self.out
            except BaseException:
                os.close(handle)
                raise
            os.close(handle)

    def _open(self, path: Path) -> int:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            return os.open(path, flags, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot lock output directory {self.out}: {_reason(exc)}") from None

    def _acquire(self, handle: int) -> None:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle)
            if not self.wait:
                raise FolderInUse(
                    f"output directory {self.out} is in use by another caseload command "
                    f"({holder}); wait for it to finish, give another --out, or add --wait "
                    "to start when it is done"
                ) from None
            if self.on_wait is not None:
                self.on_wait(f"waiting for the command using {self.out} ({holder})")
            fcntl.flock(handle, fcntl.LOCK_EX)

    def __exit__(self, *exc_info: object) -> None:
        if self._handle is not None:
            try:  # removed while still held, so the folder is left as the command found it
                (self.out / LOCK_FILE).unlink(missing_ok=True)
            finally:
                os.close(self._handle)  # closing releases the lock
                self._handle = None


def _same_file(handle: int, path: Path) -> bool:
    """Whether ``handle`` is still the file at ``path`` (not one a finished command removed)."""
    try:
        here, there = os.fstat(handle), os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _holder(handle: int) -> str:
    """``pid N: COMMAND`` of the lock's holder, from what it wrote into the lock file."""
    try:
        text = os.pread(handle, 4096, 0).decode("utf-8", errors="replace").strip()
    except OSError:
        text = ""
    pid, _, command = text.partition(" ")
    if not pid.isdigit():
        return "pid unknown"
    return f"pid {pid}: {command}" if command else f"pid {pid}"


def remove_stale_staging(out: Path, before: float = STARTED) -> list[Path]:
    """Remove staging folders and check files a killed command left, older than ``before``.

    A command removes its own before it ends, and the folder's lock keeps two commands apart,
    so one older than this process's start was left by a kill -9. Returns what was removed.
    """
    removed = []
    try:
        entries = list(os.scandir(out))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith((STAGING_PREFIX, CHECK_PREFIX)):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime >= before:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            continue  # not ours to remove, or already gone: it does no harm
        removed.append(Path(entry.path))
    return removed


def check_writable(out_dir: str | os.PathLike[str]) -> Path:
    """Create ``out_dir`` if needed and prove a file can be written there, before a long run.

    Raises:
        OutputError: If the directory cannot be created or written to.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=CHECK_PREFIX):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write to output directory {out}: {_reason(exc)}") from None
    return out


def build_summary(
    config: Scenario, results: Sequence[RunResult], master_seed: int, created: str | None = None
) -> dict[str, Any]:
    """The content of ``summary.json``: one entry per metric key, plus ``"run"``.

    Undefined statistics (NaN) become ``null`` so the file is strict JSON.
    """
    summary: dict[str, Any] = summarise(results)
    summary["run"] = {
        "scenario": config.name,
        "replications": len(results),
        "master_seed": master_seed,
        "days": config.simulation.days,
        "warmup_days": config.simulation.warmup_days,
        "created": created or _now(),
    }
    return jsonable(summary)


def write_outputs(
    out_dir: str | os.PathLike[str],
    config: Scenario,
    results: Sequence[RunResult],
    master_seed: int,
    *,
    command: Sequence[str] | None = None,
    extra: dict[str, Writer] | None = None,
    manifest_extra: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Write summary, daily/worker/case tables, resolved scenario and manifest into ``out_dir``.

    Args:
        out_dir: Output directory; created if needed. Existing output files are replaced.
        config: The scenario exactly as run (overrides applied).
        results: One result per replication, ordered by replication.
        master_seed: The master seed the replication seeds were derived from.
        command: The command line to record; defaults to ``sys.argv``.
        extra: More files (the report and the brief), written after these, in order.
        manifest_extra: More entries for the manifest (the replications algorithm's record).

    Returns:
        The path of each written file, keyed by file name.

    Raises:
        OutputError: If the directory cannot be created or written to.
    """
    if not results:
        raise ValueError("no replications to write")
    created = _now()
    writers: dict[str, Writer] = {
        "summary.json": lambda path: write_json(
            path, build_summary(config, results, master_seed, created)
        ),
        **{f"{table}.parquet": _table_writer(results, table) for table in TABLES},
        "scenario.toml": lambda path: path.write_text(scenario_to_toml(config), encoding="utf-8"),
        **(extra or {}),
    }
    manifest = {
        "created": created,
        "scenario": config.name,
        "master_seed": master_seed,
        "replications": len(results),
        "days": config.simulation.days,
        "seeds": [int(r.seed) for r in results],
        **(manifest_extra or {}),
    }
    return write_directory(out_dir, writers, manifest, command=command)


#: Writes one output file at the path it is given.
Writer = Callable[[Path], None]


def write_directory(
    out_dir: str | os.PathLike[str],
    writers: dict[str, Writer],
    manifest: dict[str, Any],
    *,
    command: Sequence[str] | None = None,
) -> dict[str, Path]:
    """Write a set of files into ``out_dir`` all at once, with ``manifest.json`` last.

    Each writer writes its file into a hidden staging directory inside ``out_dir``; then the
    old manifest is removed, the files are moved into place with ``os.replace`` and the new
    manifest (``manifest`` plus versions, platform, command and every file's SHA-256) moves
    last. A reader that finds a manifest whose hashes match has a complete set. Files that the
    previous manifest listed and this set lacks are removed, so a folder never mixes two runs'
    figures. Staging folders older than this process, left by a command killed mid-write, are
    removed first. File names may contain folders (``plots/risk.png``).

    Returns:
        The path of each written file (manifest included), keyed by file name.

    Raises:
        OutputError: If the directory cannot be created or written to.
    """
    out = check_writable(out_dir)
    remove_stale_staging(out)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    try:
        for name, write in writers.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            write(staging / name)
        full = {
            **manifest,
            "versions": package_versions(),
            "platform": platform.platform(),
            "command": shlex.join(list(command) if command is not None else sys.argv),
            "files": {
                name: {
                    "sha256": sha256_of(staging / name),
                    "bytes": (staging / name).stat().st_size,
                }
                for name in writers
            },
        }
        write_json(staging / "manifest.json", full)
        stale = _previous_files(out) - set(writers)
        (out / "manifest.json").unlink(missing_ok=True)  # no manifest while files are mixed
        for name in sorted(stale):  # a figure of an earlier, different run must not linger
            (out / name).unlink(missing_ok=True)
        for name in [*writers, "manifest.json"]:
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, out / name)
    except OSError as exc:
        raise OutputError(f"cannot write outputs to {out}: {_reason(exc)}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {name: out / name for name in [*writers, "manifest.json"]}


def _previous_files(out: Path) -> set[str]:
    """Files the manifest already in ``out`` lists (written by an earlier command), if any."""
    try:
        files = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    inside = out.resolve()
    return {
        name
        for name in files
        if isinstance(name, str) and (out / name).resolve().is_relative_to(inside)
    }


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """One data frame as a Parquet file, without the pandas index."""
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes, as recorded in ``manifest.json``."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of Python, caseload and the libraries that determine a run's numbers."""
    versions = {"python": platform.python_version(), "caseload": caseload_version()}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _table_writer(results: Sequence[RunResult], table: str) -> Writer:
    """Writer stacking one table over replications, with a leading ``replication`` column."""

    def write(path: Path) -> None:
        frames = []
        for result in results:
            frame = getattr(result, table).copy()
            if "replication" in frame.columns:
                frame = frame.drop(columns="replication")
            frame.insert(0, "replication", result.replication)
            frames.append(frame)
        write_parquet(path, pd.concat(frames, ignore_index=True))

    return write


def write_json(path: Path, data: Any) -> None:
    """Strict JSON (no NaN), indented, UTF-8."""
    text = json.dumps(data, indent=2, allow_nan=False, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def jsonable(value: Any) -> Any:
    """Plain JSON types: NaN and infinities become ``None``, numpy scalars become Python ones."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
