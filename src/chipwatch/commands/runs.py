"""``chipwatch runs``: recent runs with counts, failures and timings."""
from __future__ import annotations

import argparse
import json
import sys

NAME = "runs"
HELP = "list recent runs with counts, failures and timings"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", help="folder or s3://bucket/prefix (default $CHIPWATCH_WAREHOUSE or ./warehouse)")
    parser.add_argument("--limit", "-n", type=int, default=20, help="how many runs, newest first (default 20)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.add_argument("--failures", action="store_true", help="also print each failure of the listed runs")


def recent_runs(warehouse, limit: int):
    """The newest ``limit`` rows of the runs table, newest first, as an Arrow table."""
    import pyarrow.compute as pc

    runs = warehouse.read("runs")
    if runs.num_rows == 0:
        return runs
    order = pc.sort_indices(runs, sort_keys=[("started_at", "descending"), ("run_id", "descending")])
    return runs.take(order).slice(0, max(limit, 0))


def summary(runs):
    """The columns people read: counts, failures, the slowest stages."""
    import pyarrow as pa

    rows = []
    for r in runs.to_pylist():
        timings = json.loads(r["timings_json"] or "{}")
        slow = sorted(timings.items(), key=lambda kv: -kv[1])[:3]
        rows.append(
            {
                "run_id": r["run_id"],
                "kind": r["kind"],
                "status": r["status"],
                "started_at": r["started_at"].strftime("%Y-%m-%d %H:%M:%SZ"),
                "duration_s": None if r["duration_s"] is None else round(r["duration_s"], 1),
                "repos": r["repos"],
                "snapshots": r["snapshots"],
                "snapshots_failed": r["snapshots_failed"],
                "findings": r["findings"],
                "failures": r["failures"],
                "slowest": ", ".join(f"{k} {v:.1f}s" for k, v in slow),
                "quarantine": r["quarantine"],
            }
        )
    return pa.Table.from_pylist(rows) if rows else pa.table({"run_id": pa.array([], pa.string())})


def run(args: argparse.Namespace) -> int:
    from chipwatch.commands.query import emit
    from chipwatch.storage import Warehouse

    runs = recent_runs(Warehouse(args.warehouse), args.limit)
    emit(runs if args.format == "json" else summary(runs), args.format, None)
    if args.failures and args.format == "table":
        for r in runs.to_pylist():
            for f in json.loads(r["failures_json"] or "[]"):
                print(f"{r['run_id']}  {f.get('kind')}  {f.get('subject')}: {f.get('message')}", file=sys.stdout)
    return 0
