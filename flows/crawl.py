"""The nightly crawl: every watched repository at ``as_of`` = today (UTC)."""
from __future__ import annotations

from prefect import flow

from flows.common import run_snapshots
from chipwatch.plan import parse_date, today_utc


@flow(name="crawl", log_prints=False)
def crawl(
    sources: list[str] | None = None,
    watch: str | None = None,
    warehouse: str | None = None,
    as_of: str | None = None,
    run_id: str | None = None,
    dask_address: str | None = None,
    workers: int | None = None,
    batch_size: int | None = None,
    history: bool = True,
) -> dict:
    """Discover → plan → fetch → scan → infer → validate → publish, then trends.

    ``sources`` (specs such as ``github:ORG``) replace the watch list; without either the
    bundled sample corpus is crawled. A ``run_id`` that exists resumes that run."""
    params = {"sources": sources, "watch": watch, "as_of": as_of, "history": history}
    return run_snapshots(
        "crawl", as_ofs=[parse_date(as_of)] if as_of else None, default_as_ofs=[today_utc()], parameters=params,
        sources=sources, watch=watch, warehouse=warehouse, run_id=run_id, dask_address=dask_address,
        workers=workers, batch_size=batch_size, history=history)


if __name__ == "__main__":  # worker processes start by spawn: flows run under this guard
    import sys

    from flows.runtime import prefect_api

    with prefect_api():
        print(crawl(sources=sys.argv[1:] or None))
