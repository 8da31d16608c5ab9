"""Named random streams: one independent generator per stochastic process.

Each stream is derived from the replication seed and a stable name (not from the order in which
streams are created), so adding a mechanism or changing a lever never shifts the draws of other
processes. Two scenarios run with the same seed therefore share their arrivals, sickness,
leaving and risk draws wherever the policy does not change them (common random numbers).

Draws made for cases every day (risk steps, incident and step-up uniforms) are *keyed*
instead of streamed: the draw of case r (its ``case_id``, never its row, which compaction moves)
on day t of stream s is a counter-based SplitMix64 value u = mix64(b_{s,t} + (r + 1) * phi) with
b_{s,t} = mix64(k_s + (t + 1) * phi), phi the golden-ratio increment and k_s a 64-bit key from
(seed, s). It depends on (seed, s, t, r) alone, so only live cases need drawing and a case gets
the same draws whichever other cases are live: a policy that closes cases sooner leaves the risk
path of every other case as it was.
"""

from __future__ import annotations

import hashlib

import numpy as np
from scipy.special import ndtri

STREAM_NAMES: tuple[str, ...] = (
    "arrivals",
    "case_mix",
    "case_duration",
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
        self._stream_keys: dict[str, int] = {}

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

    def keyed_uniform(self, name: str, counter: int, keys: np.ndarray) -> np.ndarray:
        """One uniform draw in (0, 1) per key on ``counter`` (a day or an episode).

        ``keys`` identify what is drawn for (case ids, children, staff rows), never case-book
        rows, which compaction moves (module docstring).
        """
        if name not in KEYED_STREAMS:
            raise KeyError(f"{name!r} is not a keyed stream; declare it in KEYED_STREAMS")
        key = self._stream_keys.get(name)
        if key is None:
            sequence = np.random.SeedSequence([self.seed, _name_key(name)])
            key = int(sequence.generate_state(1, dtype=np.uint64)[0])
            self._stream_keys[name] = key
        base = _mix64((key + (int(counter) + 1) * _GOLDEN) & _MASK64)
        counters = np.asarray(keys, dtype=np.uint64) + np.uint64(1)
        bits = _mix64_array(np.uint64(base) + counters * np.uint64(_GOLDEN))
        return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53

    def keyed_normal(self, name: str, counter: int, keys: np.ndarray) -> np.ndarray:
        """One standard normal draw per key: the inverse normal CDF of :meth:`keyed_uniform`."""
        return ndtri(self.keyed_uniform(name, counter, keys))

    def keyed_generator(self, name: str, *keys: int) -> np.random.Generator:
        """A generator of its own for (seed, ``name``, ``keys``), e.g. one child's re-referral.

        Its draws depend on those keys alone, never on what else the run has drawn.
        """
        if name not in KEYED_STREAMS:
            raise KeyError(f"{name!r} is not a keyed stream; declare it in KEYED_STREAMS")
        sequence = np.random.SeedSequence([self.seed, _name_key(name), *map(int, keys)])
        return np.random.Generator(np.random.PCG64(sequence))


#: Streams drawn per case and day (:meth:`Streams.keyed_uniform`), not in sequence.
#: The ``re_referral*`` streams are keyed by (episode, child) instead of (day, row), so a child's
#: return depends on that child alone (docs/model.md, re-referrals). ``manager_review`` places
#: day-0 cases' last management review (sim/engine/manager.py). ``exhaustion`` is keyed by
#: staff row (day 0): each worker's susceptibility to stress (docs/model.md, wellbeing).
KEYED_STREAMS: tuple[str, ...] = (
    "risk",
    "incidents",
    "case_step_up",
    "case_step_duration",
    "notification",
    "re_referral",
    "re_referral_delay",
    "re_referral_case",
    "manager_review",
    "exhaustion",
    "worker_transfer",
    "worker_handover",
)

_MASK64 = 2**64 - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1, _MIX2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def _mix64(z: int) -> int:
    """SplitMix64's finaliser on a Python integer (64-bit wrap-around)."""
    z = ((z ^ (z >> 30)) * _MIX1) & _MASK64
    z = ((z ^ (z >> 27)) * _MIX2) & _MASK64
    return z ^ (z >> 31)


def _mix64_array(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on a uint64 array (numpy arrays wrap around silently)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_MIX2)
    return z ^ (z >> np.uint64(31))


#: Seeds stay valid as ``simulation.seed`` and as int64 columns.
_SEED_MASK = 2**63 - 1


def replication_seeds(master_seed: int, n: int) -> list[int]:
    """Seed of each replication: child ``r`` of ``SeedSequence(master_seed)``, 63 bits.

    Child ``r`` is the same whatever ``n`` is, so replication ``r`` always gets the same seed.
    """
    children = np.random.SeedSequence(master_seed).spawn(n)
    return [int(child.generate_state(1, dtype=np.uint64)[0]) & _SEED_MASK for child in children]
