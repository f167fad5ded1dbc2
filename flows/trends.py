"""Rebuild the trends table from everything the warehouse has published."""
from __future__ import annotations

from prefect import flow

from chipwatch.settings import load_settings
from chipwatch.tables import new_run_id
from tasks.publish import trends as trends_task


@flow(name="trends", log_prints=False)
def trends(warehouse: str | None = None, run_id: str | None = None) -> dict:
    url = load_settings().with_overrides(warehouse=warehouse).warehouse
    out = trends_task(url, run_id or new_run_id())
    return {"warehouse": url, **out}


if __name__ == "__main__":
    from flows.runtime import prefect_api

    with prefect_api():
        print(trends())
