"""Validation and publishing, run in the flow's process one at a time: the warehouse
commits a manifest per publish, and concurrent publishers would race for it."""
from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from chipwatch.errors import ValidationFailed
from chipwatch.pipeline import publish as PUB
from chipwatch.storage.warehouse import Warehouse
from chipwatch.trends import rebuild_trends


def _transient(task, task_run, state) -> bool:
    """Retry storage faults (network, throttling), never a failed validation."""
    try:
        state.result()
    except ValidationFailed:
        return False
    except Exception:
        return True
    return False


@task(name="publish", retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=_transient,
      cache_policy=NO_CACHE)
def publish(warehouse_url: str, batches: dict[str, dict], run_id: str) -> dict:
    """Batches (name → tables) of one run, validated together, published in one commit."""
    out = PUB.publish_batches(Warehouse(warehouse_url), batches, run_id=run_id)
    get_run_logger().info("published %s: %s rows (validation %.2f s, total %.2f s)",
                          out["batch"], out["rows"], out["validate_seconds"], out["seconds"])
    return out


@task(name="trends", retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=_transient,
      cache_policy=NO_CACHE)
def trends(warehouse_url: str, run_id: str) -> dict:
    out = rebuild_trends(Warehouse(warehouse_url), run_id=run_id)
    get_run_logger().info("trends rebuilt: %d rows over %d months", sum(out["rows"].values()), out["months"])
    return out
