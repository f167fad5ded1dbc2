"""Discovery and the published index: run in the flow's process (small inputs, no cluster needed)."""
from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from chipwatch.pipeline import discover as D
from chipwatch.pipeline import publish as PUB
from chipwatch.storage.warehouse import Warehouse


@task(name="discover", retries=2, retry_delay_seconds=[5, 30], cache_policy=NO_CACHE)
def discover(specs: list[str]) -> D.Discovered:
    found = D.discover(specs)
    get_run_logger().info("discovered %d repositories (%d discovery failures) from %d source(s)",
                          len(found.repos), len(found.failures), len(specs))
    return found


@task(name="published-index", retries=3, retry_delay_seconds=[2, 10, 30], cache_policy=NO_CACHE)
def published_index(warehouse_url: str, run_id: str, retry_failed_days: int = 7) -> PUB.Published:
    index = PUB.published_index(Warehouse(warehouse_url), run_id, retry_failed_days=retry_failed_days)
    get_run_logger().info("warehouse holds %d published snapshot keys and %d lasting failures; %d done by run %s",
                          len(index.keys), len(index.failed), len(index.done_by_run), run_id)
    return index
