"""Where a flow runs: one Prefect API per run, and the Dask task runner.

* Prefect: with ``PREFECT_API_URL`` set, that API is used. Otherwise one API server is
  started for the run (a subprocess on 127.0.0.1) and ``PREFECT_API_URL`` exported
  *before* the Dask cluster starts, so worker processes report to it instead of each
  starting its own server on the same SQLite file ("database is locked"). Flow-run
  heartbeats are off with such a server (nothing outlives the run to read them).
* Dask: ``DaskTaskRunner`` on an existing scheduler when an address is given
  (``--dask-address`` / ``CHIPWATCH_DASK_ADDRESS``), else a ``LocalCluster`` of worker
  processes sized to the machine.
"""
from __future__ import annotations

import contextlib
import os
import time
from typing import Iterator

from chipwatch.settings import Settings, apply_prefect_defaults

apply_prefect_defaults()  # before Prefect is imported anywhere below

#: Dask preload module of chipwatch's workers (``dask worker --preload tasks.preload``).
PRELOAD = "tasks.preload"


@contextlib.contextmanager
def prefect_api(timeout: int = 120) -> Iterator[str]:
    """Yield the API URL of this run, starting (and finally stopping) a server if needed."""
    url = os.environ.get("PREFECT_API_URL")
    if url:
        yield url
        return
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    t0 = time.perf_counter()
    server = SubprocessASGIServer()
    server.start(timeout=timeout)
    os.environ["PREFECT_API_URL"] = server.api_url
    os.environ["CHIPWATCH_PREFECT_START_SECONDS"] = f"{time.perf_counter() - t0:.2f}"
    try:
        # Flow-run heartbeats let a long-lived API mark crashed runs; this server lives
        # and dies with the run, and the heartbeat thread costs every flow up to 1 s
        # when it is joined (it sleeps in 1 s steps).
        with temporary_settings({PREFECT_API_URL: server.api_url, "flows.heartbeat_frequency": None}):
            yield server.api_url
    finally:
        _flush_logs()
        os.environ.pop("PREFECT_API_URL", None)
        server.stop()


def _flush_logs() -> None:
    """Send buffered run logs while the server still listens."""
    try:
        from prefect.logging.handlers import APILogHandler

        APILogHandler.flush()
    except Exception:  # logs are best effort; the run's result does not depend on them
        pass


def task_runner(settings: Settings):
    """The Dask task runner for ``settings``: an existing cluster or a LocalCluster."""
    from prefect_dask import DaskTaskRunner

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": settings.workers,
            "threads_per_worker": settings.threads_per_worker,
            "processes": True,
            "dashboard_address": None,
            "preload": [PRELOAD],
        }
    )
