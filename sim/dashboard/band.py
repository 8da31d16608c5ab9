"""The replication band: the same settings run with other seeds, behind the live run.

A single run can be lucky or unlucky. The band is :data:`BAND_RUNS` more runs of the same
scenario and levers, with the seeds ``caseload run`` gives its replications
(:func:`~sim.engine.rng.replication_seeds` of the live seed), stepped in the background up to
the live run's day and taking every lever change on the same day as the live run. The charts
shade, for each day, the lowest to the highest of those runs: where the live line leaves the
band, it is the lever (or an unusual run), not luck.

Nothing here starts a thread or imports Solara: ``dashboards/app.py`` calls :meth:`catch_up`
from a background task of the session, a few days at a time, so Step and Play never wait for
it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from sim.engine.rng import replication_seeds
from sim.scenario.schema import Scenario

#: Runs in the band, besides the live run.
BAND_RUNS = 6


class BandRun:
    """One run of the band: the model and, per day, open cases per FTE of the workers in post.

    Lighter than the live run's ``RunView`` (no cost, stress spread or supervision records):
    the band only draws tally columns and the caseload.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.cases_per_fte: list[float] = []

    def step(self) -> None:
        """Simulate one day and note the caseload per FTE (as ``RunView.step`` computes it)."""
        model = self.model
        model.step()
        staff = model.staff
        rows = staff.in_post
        fte = float(staff.fte[rows].sum())
        self.cases_per_fte.append(float(staff.caseload[rows].sum()) / fte if fte else 0.0)

    def series(self, column: str, cumulative: bool = False) -> np.ndarray:
        """A daily column for the days simulated so far."""
        values = self.model.tally.daily[column][: self.model.day]
        return np.cumsum(values) if cumulative else values


class ReplicationBand:
    """Other seeds' runs of each live run's settings, stepped up to the live day on request.

    Args:
        configs: Each live run's config (one, or two in compare mode).
        seed: The live run's seed; the band's seeds are its replication seeds.
        make_model: Builds one band run's model from (config, seed) (``CaseloadModel``).
        count: Runs in the band for each live run.
    """

    def __init__(
        self,
        configs: list[Scenario],
        seed: int,
        make_model: Callable[[Scenario, int], Any],
        count: int = BAND_RUNS,
    ) -> None:
        self.configs = list(configs)
        self.seeds = replication_seeds(seed, count)
        self.make_model = make_model
        self.runs: list[list[BandRun]] = []  # built on the first catch-up (off the page's path)
        #: (day, configs): lever changes, applied to every band run before it steps that day.
        self.changes: list[tuple[int, list[Scenario]]] = []
        self.target = 0
        self.done = 0  # days every band run has simulated
        self.stopped = False
        self._lock = threading.Lock()

    def follow(self, day: int) -> None:
        """Ask the band to catch up to ``day`` (the live run's day)."""
        self.target = max(self.target, day)

    def change(self, day: int, configs: list[Scenario]) -> None:
        """Levers changed on ``day`` in the live run: the band runs change on the same day."""
        with self._lock:
            self.changes.append((day, list(configs)))

    @property
    def behind(self) -> bool:
        """Whether the band has days still to simulate."""
        return not self.stopped and self.done < self.target

    def catch_up(self, days: int = 5) -> bool:
        """Simulate up to ``days`` more days of every band run towards the target.

        Returns:
            Whether it simulated anything.
        """
        with self._lock:
            if self.stopped or self.done >= self.target:
                return False
            if not self.runs:
                self.runs = [
                    [BandRun(self.make_model(config, seed)) for seed in self.seeds]
                    for config in self.configs
                ]
            end = min(self.target, self.done + days)
            for day in range(self.done, end):
                changes = [configs for when, configs in self.changes if when == day]
                for i, band in enumerate(self.runs):
                    for run in band:
                        for configs in changes:
                            run.model.change_config(configs[i])
                        if self.stopped:
                            return True
                        run.step()
                self.done = day + 1
            return True

    def stop(self) -> None:
        """Stop for good (the live model was replaced or its session closed)."""
        self.stopped = True

    def range_of(self, run: int, column: str, cumulative: bool = False) -> tuple[np.ndarray, ...]:
        """The band for live run ``run``: (lowest, highest) per day of a daily column.

        Up to :attr:`done` (empty before the first catch-up).
        """
        return self._range(run, lambda r: r.series(column, cumulative))

    def range_of_cases_per_fte(self, run: int) -> tuple[np.ndarray, ...]:
        """The band of open cases per FTE for live run ``run``."""
        return self._range(run, lambda r: np.asarray(r.cases_per_fte, dtype=float))

    def _range(self, run: int, values) -> tuple[np.ndarray, ...]:
        done = self.done
        if not self.runs or done == 0 or run >= len(self.runs):
            return np.zeros(0), np.zeros(0)
        stacked = np.array([np.asarray(values(r))[:done] for r in self.runs[run]], dtype=float)
        return stacked.min(axis=0), stacked.max(axis=0)
