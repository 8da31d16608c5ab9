"""Checkpoints: each finished replication saved as it completes, so an interrupted run resumes.

A checkpoint belongs to one (resolved scenario, master seed, model source code): its folder name
is a hash of the three, so a changed scenario or code never reuses stale replications. Files are
written to a temporary name and moved into place, so a kill leaves either a whole replication or
none. Replication r's seed depends only on the master seed and r, so a resumed run gives exactly
the results of an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.engine.run import RunResult


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
    """The saved replications of one run, in ``directory/<key>/rep-<r>-<seed>.pickle``."""

    def __init__(self, directory: str | os.PathLike[str], config: Scenario, master_seed: int):
        from sim.scenario.loading import scenario_to_toml

        material = f"{scenario_to_toml(config)}\n{master_seed}\n{source_fingerprint()}"
        key = hashlib.sha256(material.encode()).hexdigest()[:20]
        self.root = Path(directory)
        self.folder = self.root / key

    def _path(self, replication: int, seed: int) -> Path:
        return self.folder / f"rep-{replication:06d}-{seed}.pickle"

    def load(self, replication: int, seed: int) -> RunResult | None:
        """The saved result of ``replication`` if there is a whole one, else None."""
        path = self._path(replication, seed)
        try:
            with path.open("rb") as handle:
                result = pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            return None
        return result if result.replication == replication and result.seed == seed else None

    def save(self, result: RunResult) -> None:
        """Save one finished replication atomically."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".rep-", dir=self.folder)
        try:
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(result, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self._path(result.replication, result.seed))
        finally:
            Path(temporary).unlink(missing_ok=True)

    def count(self) -> int:
        """How many replications are saved for this run."""
        return len(list(self.folder.glob("rep-*.pickle"))) if self.folder.is_dir() else 0

    def clear(self) -> None:
        """Delete every checkpoint under the root (after the outputs are safely written)."""
        shutil.rmtree(self.root, ignore_errors=True)
