from __future__ import annotations

import pyarrow as pa

from chipwatch.storage.warehouse import Warehouse

DATA_TABLES = ("repos", "snapshots", "evidence", "signals", "hardware", "trends")
# How much work a scan did (cache hits), not what it found: differs between a run and its
# resumption by design.
WORK_COLUMNS = {"blobs_scanned", "blobs_cached"}


def rows(warehouse: str, table: str, *, run_id: str | None = None) -> list[tuple]:
    """Rows of a table, sorted, as comparable tuples."""
    t: pa.Table = Warehouse(warehouse).read(table)
    out = []
    for r in t.to_pylist():
        if run_id and r.get("run_id") != run_id:
            continue
        out.append(tuple(sorted((k, repr(v)) for k, v in r.items() if k not in WORK_COLUMNS)))
    return sorted(out)


def table(warehouse: str, name: str) -> list[dict]:
    return Warehouse(warehouse).read(name).to_pylist()
