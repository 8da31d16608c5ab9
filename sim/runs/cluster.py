"""Where runs execute: an embedded Dask ``LocalCluster``, or an existing cluster by address.

Every command that runs more than one simulation (``run``, ``compare``, ``sweep``,
``calibrate``) opens its Dask client here, so a scheduler address given on the command line
means the same thing everywhere and a missing scheduler is reported the same way.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distributed import Client


class SchedulerError(RuntimeError):
    """The Dask scheduler given by address could not be reached."""


@contextmanager
def dask_client(n_workers: int = 1, scheduler: str | None = None) -> Iterator[Client]:
    """A Dask client on ``scheduler``, or on a new local cluster of ``n_workers`` processes.

    The local cluster has one thread per worker process (the model is pure Python, so threads
    would only contend for the GIL), no dashboard, and its always-on HTTP endpoint on a free
    port rather than 8787, which another cluster on the machine may hold. Dask's own logging,
    in this process and in the workers, is silenced below CRITICAL (see ``QuietWorkerLogs``).
    Leaving the block closes the client, then the cluster.

    Raises:
        SchedulerError: If ``scheduler`` is given but cannot be reached within 10 seconds.
    """
    from distributed import Client, LocalCluster

    from sim.runs.worker_logs import QuietWorkerLogs

    with ExitStack() as opened:
        if scheduler is not None:
            try:
                client = opened.enter_context(Client(scheduler, timeout="10s"))
            except Exception as exc:  # refused, no port, or not a Dask server (bad frames)
                message = f"cannot reach Dask scheduler at {scheduler}: {exc}"
                raise SchedulerError(message) from exc
        else:
            with _children_ignore_ctrl_c():  # only while the workers start
                cluster = opened.enter_context(
                    LocalCluster(
                        n_workers=n_workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                        silence_logs=logging.CRITICAL,
                    )
                )
            client = opened.enter_context(Client(cluster))
            client.register_plugin(QuietWorkerLogs(), name=QuietWorkerLogs.name)
        yield client


def run_each(
    client: Client,
    function: Callable[..., Any],
    calls: Iterable[tuple[Hashable, tuple[Any, ...]]],
    finished: Callable[[Hashable, Any], None],
) -> None:
    """Run ``function(*args)`` for each ``(label, args)`` on ``client``; hand results over.

    ``finished(label, result)`` is called in completion order. On an interruption the calls not
    yet finished are cancelled, so a shared cluster is not left busy with work nobody collects.
    """
    from distributed import as_completed

    futures = {client.submit(function, *args, pure=False): label for label, args in calls}
    try:
        for future in as_completed(futures):
            finished(futures[future], future.result())
    finally:
        client.cancel([future for future in futures if not future.done()])


@contextmanager
def _children_ignore_ctrl_c() -> Iterator[None]:
    """Start worker processes with Ctrl-C ignored, then restore this process's handler.

    Ctrl-C at a terminal reaches the whole process group: without this every worker would
    print its own KeyboardInterrupt traceback. The command alone handles the interrupt and
    closes the cluster, which stops the workers. (An ignored signal stays ignored in a child,
    and Python then installs no handler of its own.)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
