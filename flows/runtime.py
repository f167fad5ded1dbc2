"""Where a flow runs: one Prefect API per run, and the Dask task runner.

* Prefect: with ``PREFECT_API_URL`` set, that API is used. Otherwise one API server is
  started for the run (a subprocess on 127.0.0.1) and ``PREFECT_API_URL`` exported
  *before* the Dask cluster starts, so worker processes report to it instead of each
  starting its own server on the same SQLite file ("database is locked"). Flow-run
  heartbeats are off with such a server (nothing outlives the run to read them).
* Dask: prefect-dask's ``DaskTaskRunner`` (chipwatch's subclass, ``flows/dask_runner.py``)
  on an existing scheduler when an address is given (``--dask-address`` /
  ``CHIPWATCH_DASK_ADDRESS``), else a ``LocalCluster`` of worker processes sized to the
  machine.
"""
from __future__ import annotations

import contextlib
import http.client
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from chipwatch.errors import ServiceError
from chipwatch.settings import Settings, apply_prefect_defaults

apply_prefect_defaults()  # before Prefect is imported anywhere below

#: Dask preload module of chipwatch's workers (``dask worker --preload tasks.preload``).
PRELOAD = "tasks.preload"


@contextlib.contextmanager
def prefect_api(timeout: float | None = None, while_starting: Callable[[], object] | None = None) -> Iterator[str]:
    """Yield the API URL of this run, starting (and finally stopping) a server if needed.

    ``while_starting`` is called once the server process is spawned and before it
    answers: the imports a run needs (flows, Great Expectations) then overlap the
    server's own start, a few seconds of each, on another core."""
    url = os.environ.get("PREFECT_API_URL")
    if url:
        if while_starting is not None:
            while_starting()
        yield url
        return
    t0 = time.perf_counter()
    server = LoopbackServer()
    cafile = None
    try:
        server.start()
        os.environ["PREFECT_API_URL"] = server.api_url
        if not os.environ.get("PREFECT_API_SSL_CERT_FILE"):
            cafile = os.environ["PREFECT_API_SSL_CERT_FILE"] = _plain_http_cafile()
        if while_starting is not None:
            while_starting()
        server.wait_ready(timeout or float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")))
        os.environ["CHIPWATCH_PREFECT_START_SECONDS"] = f"{time.perf_counter() - t0:.2f}"
        from prefect.settings import PREFECT_API_URL, temporary_settings

        # Flow-run heartbeats let a long-lived API mark crashed runs; this server lives
        # and dies with the run, and the heartbeat thread costs every flow up to 1 s when
        # it is joined (it sleeps in 1 s steps).
        overrides: dict = {PREFECT_API_URL: server.api_url, "flows.heartbeat_frequency": None}
        if cafile is not None:
            overrides["api.ssl_cert_file"] = cafile
        with temporary_settings(overrides):
            yield server.api_url
    finally:
        if server.ready:
            _flush_logs()
        os.environ.pop("PREFECT_API_URL", None)
        if cafile is not None:
            os.environ.pop("PREFECT_API_SSL_CERT_FILE", None)
            shutil.rmtree(os.path.dirname(cafile), ignore_errors=True)
        server.stop()


class LoopbackServer:
    """Prefect's API server in a subprocess on 127.0.0.1, for one run.

    The command is the one ``prefect server start`` and Prefect's own ephemeral
    ``SubprocessASGIServer`` run (uvicorn with the server's app factory, UI and
    telemetry off). Spawned without importing ``prefect.server`` here, which costs the
    calling process about 2 s before the server could even begin its own start."""

    #: uvicorn's exit status when it fails to start: its port was taken since it was
    #: chosen (then it starts again on another), or the app's start-up failed
    ADDRESS_IN_USE = 3

    def __init__(self) -> None:
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.ready = False

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self, port: int | None = None) -> None:
        self.port = port or _free_port()
        spec = importlib.util.find_spec("prefect")
        assert spec is not None and spec.submodule_search_locations, "prefect is not installed"
        app_dir = str(Path(next(iter(spec.submodule_search_locations))).parent)
        env = {k: v for k, v in os.environ.items() if k not in _SOURCE_TOKENS}
        env.update(PREFECT_UI_ENABLED="0", PREFECT__SERVER_EPHEMERAL="1", PREFECT__SERVER_FINAL="1")
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, str(os.getpid()), "--app-dir", app_dir, "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "error", "--lifespan", "on"],
            env=env, stdin=subprocess.DEVNULL)

    def wait_ready(self, timeout: float) -> None:
        """Until ``/health`` answers 200. A port taken in the meantime restarts the
        server on another one (the URL changes: read it after this)."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        restarts = 0
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code == self.ADDRESS_IN_USE and _port_taken(self.port) and restarts < 3:
                restarts += 1
                self.start()
                os.environ["PREFECT_API_URL"] = self.api_url
                continue
            if code is not None:
                raise ServiceError(f"the run's Prefect API server exited with status {code} while starting "
                                   "(its messages are above)", subject="prefect")
            try:
                with _NO_PROXY.open(f"{self.api_url}/health", timeout=2) as response:
                    if response.status == 200:
                        self.ready = True
                        return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        raise ServiceError(f"the run's Prefect API server did not answer within {timeout:g} s "
                           "(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)", subject="prefect")

    def stop(self) -> None:
        process, self.process, self.ready = self.process, None, False
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


#: uvicorn's command line, in a server that ends with the process that started it even
#: when that one is killed outright (SIGKILL runs no clean-up: the server was orphaned).
#: Linux's parent-death signal, set before uvicorn starts; elsewhere, plain uvicorn.
#: The signal follows the *thread* that spawned the server: start it from a thread that
#: lives as long as the run (the main thread, as the command line does).
_LAUNCH = """
import ctypes, os, runpy, signal, sys
parent = int(sys.argv.pop(1))
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass
if os.getppid() != parent:
    sys.exit(0)  # gone before the signal was set
sys.argv[0] = "uvicorn"
runpy.run_module("uvicorn", run_name="__main__", alter_sys=True)
"""

#: The sources' tokens (and their usual aliases): the API server never needs them.
_SOURCE_TOKENS = frozenset({"GITHUB_TOKEN", "GH_TOKEN", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"})

#: loopback requests never go through an HTTP(S)_PROXY of the environment
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _port_taken(port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def _free_port() -> int:
    """A port the kernel just gave out and released (taken again in between: see
    :meth:`LoopbackServer.wait_ready`)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    """The Dask task runner for ``settings``: an existing cluster or a LocalCluster
    (prefect-dask's, with cheaper submits: flows/dask_runner.py)."""
    from flows.dask_runner import ChipwatchDaskTaskRunner

    if settings.dask_address:
        return ChipwatchDaskTaskRunner(address=settings.dask_address)
    return ChipwatchDaskTaskRunner(
        cluster_kwargs={
            "n_workers": settings.workers,
            "threads_per_worker": settings.threads_per_worker,
            "processes": True,
            "dashboard_address": None,
            # No dashboard, yet the scheduler still serves its health and metrics routes,
            # by default on port 8787 of every interface (a warning when it is taken):
            # loopback, on a free port.
            "scheduler_kwargs": {"dashboard_address": "127.0.0.1:0"},
            "preload": [PRELOAD],
        }
    )
