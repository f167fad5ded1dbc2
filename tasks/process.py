"""The work of a crawl, on Dask workers: resolve commits, and fetch-scan-infer a batch."""
from __future__ import annotations

import time
from datetime import date

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from chipwatch.model import RepoRef
from chipwatch.pipeline.process import BatchResult, process_batch
from chipwatch.pipeline.resolve import Resolved, resolve_repos
from chipwatch.plan import Batch
from chipwatch.tables import RunContext
from tasks.parcel import Parcel

# A killed worker or a git server hiccup costs a retry, not the run. Repository-level
# faults never reach here: they come back as failure rows.
RETRIES = 3
BACKOFF = [2, 10, 30]


@task(name="resolve", retries=RETRIES, retry_delay_seconds=BACKOFF, cache_policy=NO_CACHE)
def resolve(repos: Parcel[list[RepoRef]], as_ofs: list[date], git_cache: str) -> Resolved:
    t = time.perf_counter()
    out = Resolved(resolve_repos(repos.value, as_ofs, git_cache=git_cache), time.perf_counter() - t)
    get_run_logger().info("resolved %d repositories × %d as_of in %.2f s", len(repos.value), len(as_ofs), out.seconds)
    return out


@task(name="scan-batch", retries=RETRIES, retry_delay_seconds=BACKOFF, cache_policy=NO_CACHE,
      task_run_name="scan-batch-{batch_id}")
def scan_batch(batch_id: str, batch: Parcel[Batch], ctx: RunContext, git_cache: str, scan_cache: str,
               history: bool = True) -> BatchResult:
    batch = batch.value
    result = process_batch(batch, ctx, git_cache=git_cache, scan_cache=scan_cache, history=history)
    get_run_logger().info("batch %s: %d units, %d failures, %.2f s of work %s", batch.id, len(batch.units),
                          len(result.failures), result.work_seconds,
                          {k: round(v, 2) for k, v in result.timings.items()})
    return result
