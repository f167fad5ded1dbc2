"""A backfill: the same pipeline for a list of ``as_of`` dates (month ends by default)."""
from __future__ import annotations

from prefect import flow

from chipwatch.errors import ConfigError
from chipwatch.plan import as_of_dates, parse_date
from flows.common import run_snapshots


@flow(name="backfill", log_prints=False)
def backfill(
    start: str | None = None,
    end: str | None = None,
    every: str = "month",
    dates: list[str] | None = None,
    sources: list[str] | None = None,
    watch: str | None = None,
    warehouse: str | None = None,
    run_id: str | None = None,
    dask_address: str | None = None,
    workers: int | None = None,
    batch_size: int | None = None,
    history: bool = True,
) -> dict:
    """Snapshots at the end of every period from ``start`` to ``end`` (``2023-01`` …
    ``2024-12``, ``every`` month/quarter/week/day/year), or at explicit ``dates``.
    Each snapshot is the last commit on the default branch at or before its date."""
    if dates and (start or end):
        raise ConfigError("give either dates or start/end, not both", subject="backfill")
    if dates:
        as_ofs = sorted({parse_date(d) for d in dates})
    elif start:
        as_ofs = as_of_dates(start, end, every)
    else:
        as_ofs = None  # only valid when resuming a run id
        if not run_id:
            raise ConfigError("backfill needs --start (and --end, --every) or explicit dates", subject="backfill")
    params = {"start": start, "end": end, "every": every, "dates": dates, "sources": sources, "watch": watch,
              "history": history}
    return run_snapshots(
        "backfill", as_ofs=as_ofs, default_as_ofs=None, parameters=params, sources=sources, watch=watch,
        warehouse=warehouse, run_id=run_id, dask_address=dask_address, workers=workers,
        batch_size=batch_size, history=history)


if __name__ == "__main__":
    import sys

    from flows.runtime import prefect_api

    with prefect_api():
        print(backfill(start=sys.argv[1], end=sys.argv[2] if len(sys.argv) > 2 else None))
