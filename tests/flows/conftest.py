"""End-to-end fixtures: one Prefect API server and one Dask cluster per test session.

The server is started first and ``PREFECT_API_URL`` exported before the cluster starts,
so the worker processes (spawned) report to it instead of starting their own.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.conftest_s3 import moto_endpoint, s3_env, s3_warehouse_url  # noqa: F401

PREFECT_HOME = Path(tempfile.gettempdir()) / "chipwatch-tests-prefect-home"


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cache")
    os.environ["CHIPWATCH_CACHE_DIR"] = str(path)  # read by the driver and the spawned workers
    return path


@pytest.fixture(scope="session")
def prefect_server(cache_dir):
    """One real Prefect API (SQLite under a reused PREFECT_HOME: migrations run once)."""
    PREFECT_HOME.mkdir(exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(PREFECT_HOME))
    os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
    os.environ["DASK_LOGGING__DISTRIBUTED"] = "error"
    os.environ.pop("PREFECT_API_URL", None)
    from flows.runtime import prefect_api

    with prefect_api() as url:
        yield url


@pytest.fixture(scope="session")
def dask_cluster(prefect_server):
    from distributed import Client, LocalCluster

    from flows.runtime import PRELOAD

    # as chipwatch starts its own clusters (flows.runtime.task_runner)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                           preload=[PRELOAD])
    client = Client(cluster)
    try:
        yield cluster
    finally:
        client.close()
        cluster.close()


@pytest.fixture
def env(monkeypatch):
    """Small batches and checkpoints, so a corpus of a few dozen repositories makes
    several of each."""
    monkeypatch.setenv("CHIPWATCH_BATCH_SIZE", "4")
    monkeypatch.setenv("CHIPWATCH_CHECKPOINT_SNAPSHOTS", "8")
    return monkeypatch
