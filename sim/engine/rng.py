"""Named random streams: one independent generator per stochastic process.

Each stream is derived from the replication seed and a stable name (not from the order in which
streams are created), so adding a mechanism or changing a lever never shifts the draws of other
processes. Two scenarios run with the same seed therefore share their arrivals, sickness,
leaving and risk draws wherever the policy does not change them (common random numbers).
"""

from __future__ import annotations

import hashlib

import numpy as np

STREAM_NAMES: tuple[str, ...] = (
    "arrivals",
    "case_mix",
    "case_duration",
    "case_progression",
    "case_step_up",
    "risk",
    "incidents",
    "observation",
    "workforce_build",
    "initial_cases",
    "sickness",
    "sickness_length",
    "leaving",
    "recruitment",
    "agency",
)


def _name_key(name: str) -> int:
    """A stable 64-bit integer for a stream name (same on every machine and Python)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")


class Streams:
    """A registry of named ``numpy.random.Generator`` streams for one replication."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        """The generator for ``name``, created on first use from (seed, name)."""
        stream = self._streams.get(name)
        if stream is None:
            if name not in STREAM_NAMES:
                raise KeyError(f"unknown random stream {name!r}; declare it in STREAM_NAMES")
            sequence = np.random.SeedSequence([self.seed, _name_key(name)])
            stream = np.random.Generator(np.random.PCG64(sequence))
            self._streams[name] = stream
        return stream


#: Seeds stay valid as ``simulation.seed`` and as int64 columns.
_SEED_MASK = 2**63 - 1


def replication_seeds(master_seed: int, n: int) -> list[int]:
    """Seed of each replication: child ``r`` of ``SeedSequence(master_seed)``, 63 bits.

    Child ``r`` is the same whatever ``n`` is, so replication ``r`` always gets the same seed.
    """
    children = np.random.SeedSequence(master_seed).spawn(n)
    return [int(child.generate_state(1, dtype=np.uint64)[0]) & _SEED_MASK for child in children]
