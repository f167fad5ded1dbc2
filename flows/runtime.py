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
import shutil
import tempfile
import time
from pathlib import Path
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
    # Flow-run heartbeats let a long-lived API mark crashed runs; this server lives and
    # dies with the run, and the heartbeat thread costs every flow up to 1 s when it is
    # joined (it sleeps in 1 s steps).
    overrides: dict = {PREFECT_API_URL: server.api_url, "flows.heartbeat_frequency": None}
    cafile = None
    if server.api_url.startswith("http://") and not os.environ.get("PREFECT_API_SSL_CERT_FILE"):
        cafile = _plain_http_cafile()
        os.environ["PREFECT_API_SSL_CERT_FILE"] = overrides["api.ssl_cert_file"] = cafile
    try:
        with temporary_settings(overrides):
            yield server.api_url
    finally:
        _flush_logs()
        os.environ.pop("PREFECT_API_URL", None)
        if cafile is not None:
            os.environ.pop("PREFECT_API_SSL_CERT_FILE", None)
            shutil.rmtree(os.path.dirname(cafile), ignore_errors=True)
        server.stop()


def _plain_http_cafile() -> str:
    """A CA file of one certificate, for Prefect clients of a plain-HTTP server.

    Prefect builds a TLS context for every API client, loading the whole certifi bundle
    (about 20 ms of CPU), and a task run on a Dask worker builds two clients: 40 ms per
    task, nearly half of what a task costs its worker (bench/bench_task_overhead.py). The server this module starts speaks plain HTTP
    on loopback, where the context is never used; a one-certificate bundle makes it
    cost half a millisecond. (Exported before the cluster starts, so workers inherit it.)"""
    import certifi

    bundle = Path(certifi.where()).read_text("ascii", errors="replace")
    end = "-----END CERTIFICATE-----"
    first = bundle[bundle.index("-----BEGIN CERTIFICATE-----"): bundle.index(end) + len(end)]
    path = Path(tempfile.mkdtemp(prefix="chipwatch-api-")) / "loopback-ca.pem"
    path.write_text(first + "\n", "ascii")
    return str(path)


def _flush_logs(timeout: float = 5.0) -> None:
    """Send buffered run logs while the server still listens.

    The log worker sends in batches every few seconds; whatever it still holds when the
    server stops is sent at interpreter exit to a closed port, with the client's
    retries and backoff: `chipwatch crawl --verbose` then took 85 s to exit after its
    summary, ending on "Error logging to API". Draining here sends them now."""
    try:
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=timeout)
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
