"""Rebuild the trends table from what the warehouse has published.

The aggregation itself (month × organization × signal, repositories carried forward
through months without a new snapshot, derived classes from the hardware rows) is
``chipwatch.tables.trends.build_trends``; this module reads its inputs from a warehouse
and publishes the result, replacing the whole trends table.
"""
from __future__ import annotations

from typing import Any

import pyarrow as pa

from chipwatch.tables.trends import build_trends

__all__ = ["build_trends", "read_inputs", "rebuild_trends"]

INPUT_COLUMNS = {
    "snapshots": ["platform", "owner", "name", "as_of", "commit", "status", "run_id", "ruleset_hash", "catalog_hash"],
    "signals": ["platform", "owner", "name", "as_of", "commit", "signal_id", "present", "run_id"],
    "hardware": ["platform", "owner", "name", "as_of", "commit", "run_id", "domestic", "vendors",
                 "candidate_vendors", "export_status"],
}


def read_inputs(warehouse) -> dict[str, pa.Table]:
    return {t: warehouse.read(t, columns=cols) for t, cols in INPUT_COLUMNS.items()}


def rebuild_trends(warehouse, *, run_id: str) -> dict[str, Any]:
    """Recompute trends from every published snapshot and publish them (validated)."""
    from chipwatch.pipeline.publish import publish_tables

    inputs = read_inputs(warehouse)
    table = build_trends(inputs["snapshots"], inputs["signals"], inputs["hardware"], run_id=run_id)
    out = publish_tables(warehouse, {"trends": table}, run_id=run_id, batch="trends")
    out["months"] = len(set(table.column("month").to_pylist())) if table.num_rows else 0
    return out
