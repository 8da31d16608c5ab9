"""Keeps an embedded cluster's Dask logging off the user's terminal.

A module of its own so that importing ``sim.runs.cluster`` (which every command does) does not
import ``distributed``; only starting a cluster does.
"""

from __future__ import annotations

import logging
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin


class QuietWorkerLogs(WorkerPlugin):
    """Raise a local worker's Dask log level to CRITICAL, as ``silence_logs`` does for ours.

    A worker whose heartbeat races the scheduler's shutdown logs an ERROR with a traceback,
    and a local worker's stderr is the user's terminal. ``LocalCluster(silence_logs=...)``
    quietens only the worker's nanny logger, so the plugin sets the level in every worker,
    restarted ones included. Failures of the runs themselves are not lost: they come back to
    the client as the task's exception. Not registered on a cluster given by address, whose
    logs belong to whoever runs it.
    """

    name = "caseload-quiet-worker-logs"

    def setup(self, worker: Any) -> None:
        """Runs in the worker process when it joins (or rejoins) the cluster."""
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
