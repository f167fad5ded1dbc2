"""Settings of a crawl: where the warehouse and caches are, which Dask cluster and which
Prefect API to use. Read from the environment, overridden by command-line options.

This module never imports Prefect or Dask: it only prepares environment variables that
those libraries read when the flows (outside the library) import them.

| variable | meaning | default |
|---|---|---|
| ``CHIPWATCH_WAREHOUSE`` | warehouse URL (folder or ``s3://bucket/prefix``) | ``./warehouse`` |
| ``CHIPWATCH_CACHE_DIR`` | git cache, scan cache, sample corpus, staging | ``<user cache dir>`` |
| ``CHIPWATCH_DASK_ADDRESS`` | scheduler of an existing Dask cluster | a new ``LocalCluster`` |
| ``CHIPWATCH_WORKERS`` | worker processes of the ``LocalCluster`` | CPUs, at most 8 |
| ``CHIPWATCH_BATCH_SIZE`` | repositories per task | 16 |
| ``CHIPWATCH_CHECKPOINT_SNAPSHOTS`` | snapshots per validated publish | 2000 |
| ``CHIPWATCH_CHECKPOINT_SECONDS`` | at most this long between publishes | 60 |
| ``CHIPWATCH_RETRY_FAILED_DAYS`` | a lasting failure is redone after this many days even if nothing changed (0: every run) | 7 |
| ``CHIPWATCH_GIT_READER`` | ``git``: read every git object through git, never libgit2 | libgit2 where it reads as git does |
| ``PREFECT_API_URL`` | an existing Prefect API | one server started per run |
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping, MutableMapping

from chipwatch.errors import ConfigError

APP = "chipwatch"

#: Environment every run gets unless the user set the variable: no telemetry, no UI in
#: the per-run API server, a generous server start-up timeout for slow machines.
PREFECT_DEFAULTS: dict[str, str] = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_CLI_COLORS": "false",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}


def _user_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP))


def _int(env: Mapping[str, str], name: str, default: int | None, *, minimum: int = 1) -> int | None:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, not {raw!r}", subject=name) from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}", subject=name)
    return value


def default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


@dataclass(frozen=True)
class Settings:
    warehouse: str
    cache_dir: Path
    dask_address: str | None = None
    workers: int = 1
    threads_per_worker: int = 1
    batch_size: int | None = None  # None: sized to the work (plan.auto_batch_size)
    checkpoint_snapshots: int = 2000
    checkpoint_seconds: int = 60
    retry_failed_days: int = 7
    prefect_api_url: str | None = None

    @property
    def git_cache(self) -> Path:
        return self.cache_dir / "git"

    @property
    def scan_cache(self) -> Path:
        return self.cache_dir / "scan"

    @property
    def sample_corpus(self) -> Path:
        return self.cache_dir / "sample-corpus"

    def with_overrides(self, **values) -> "Settings":
        """A copy with the given options replaced (``None`` means: keep the setting)."""
        given = {k: v for k, v in values.items() if v is not None}
        if "cache_dir" in given:
            given["cache_dir"] = Path(given["cache_dir"]).expanduser()
        if "warehouse" in given:
            given["warehouse"] = normalize_warehouse(given["warehouse"])
        return replace(self, **given)


def normalize_warehouse(url: str | os.PathLike) -> str:
    """A warehouse URL: ``s3://…`` (or another fsspec URL) as given, a folder made absolute."""
    text = os.fspath(url)
    if not text:
        raise ConfigError("the warehouse URL is empty", subject="warehouse")
    if "://" in text:
        return text.rstrip("/")
    return str(Path(text).expanduser().resolve())


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    from chipwatch.storage.location import DEFAULT_WAREHOUSE

    cache = Path(env.get("CHIPWATCH_CACHE_DIR") or _user_cache_dir()).expanduser()
    warehouse = env.get("CHIPWATCH_WAREHOUSE") or DEFAULT_WAREHOUSE
    return Settings(
        warehouse=normalize_warehouse(warehouse),
        cache_dir=cache,
        dask_address=env.get("CHIPWATCH_DASK_ADDRESS") or None,
        workers=_int(env, "CHIPWATCH_WORKERS", default_workers()),
        threads_per_worker=_int(env, "CHIPWATCH_THREADS_PER_WORKER", 1),
        batch_size=_int(env, "CHIPWATCH_BATCH_SIZE", None),
        checkpoint_snapshots=_int(env, "CHIPWATCH_CHECKPOINT_SNAPSHOTS", 2000),
        checkpoint_seconds=_int(env, "CHIPWATCH_CHECKPOINT_SECONDS", 60),
        retry_failed_days=_int(env, "CHIPWATCH_RETRY_FAILED_DAYS", 7, minimum=0),
        prefect_api_url=env.get("PREFECT_API_URL") or None,
    )


def apply_prefect_defaults(environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Set the telemetry-off defaults the user has not set; returns what was set.

    Call before Prefect is imported: some of its settings are read at import time.
    """
    environ = os.environ if environ is None else environ
    applied = {}
    for key, value in PREFECT_DEFAULTS.items():
        if key not in environ:
            environ[key] = value
            applied[key] = value
    return applied
