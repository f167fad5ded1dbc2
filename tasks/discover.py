"""Discovery and planning: run in the flow's process (small inputs, no cluster needed)."""
from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from chipwatch import plan as P
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


@task(name="plan", cache_policy=NO_CACHE)
def plan(resolutions: list[P.Resolution], published: PUB.Published, ruleset_hash: str, catalog_hash: str) -> P.Plan:
    todo = PUB.drop_done(resolutions, published.done_by_run)
    result = P.plan(todo, published.settled, ruleset_hash=ruleset_hash, catalog_hash=catalog_hash)
    get_run_logger().info("plan: %s", result.summary())
    return result
