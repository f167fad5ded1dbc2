"""Validate a run's tables, then publish them all in one commit, or quarantine them all.

A batch where any table fails goes whole to ``<warehouse>/_quarantine/<run_id>/`` with
each table's validation result; nothing of it is published (so no table is half
updated), the runs table records the failure, and ``ValidationFailed`` is raised.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Collection, Mapping

import pyarrow as pa

from chipwatch.errors import ValidationFailed
from chipwatch.storage.warehouse import PublishResult, Warehouse
from chipwatch.tables.arrow import concat_by_name, to_arrow
from chipwatch.validate.runner import TableValidation, validate_tables


@dataclass(frozen=True)
class PublishOutcome:
    published: PublishResult
    validations: dict[str, TableValidation]
    validate_seconds: float


def _failed_runs_table(runs: pa.Table, failures: list[str], quarantine: str) -> pa.Table:
    rows = runs.to_pylist()
    for row in rows:
        recorded = json.loads(row.get("failures_json") or "[]")
        recorded.extend({"subject": row["run_id"], "kind": "validation-failed", "message": f} for f in failures)
        row.update(
            status="failed",
            quarantine=quarantine,
            failures=len(recorded),
            failures_json=json.dumps(recorded, sort_keys=True),
        )
    return to_arrow("runs", rows)


def validate_and_publish(
    warehouse: Warehouse,
    tables: Mapping[str, pa.Table],
    *,
    run_id: str,
    batch: str = "all",
    chip_ids: Collection[str] | None = None,
    now: datetime | None = None,
    record_failed_run: bool = True,
) -> PublishOutcome:
    """Validate every table of the batch; publish them together if all pass.

    ``chip_ids`` are the chip catalog's ids (candidate and explicit chips must be among
    them); without it, the vocabulary's chip.* ids are used. On failure: quarantine,
    publish only the runs row marked failed (when ``record_failed_run`` and the batch has
    a valid runs row), and raise ``ValidationFailed`` naming the tables and quarantine.
    """
    return validate_and_publish_batches(warehouse, {batch: tables}, run_id=run_id, chip_ids=chip_ids, now=now,
                                        record_failed_run=record_failed_run)


def validate_and_publish_batches(
    warehouse: Warehouse,
    batches: Mapping[str, Mapping[str, pa.Table]],
    *,
    run_id: str,
    chip_ids: Collection[str] | None = None,
    now: datetime | None = None,
    record_failed_run: bool = True,
) -> PublishOutcome:
    """:func:`validate_and_publish` for several batches of one run in one commit: each
    table is validated once, over the rows of every batch (a suite's cost is mostly
    fixed, and keys must be unique across the run's batches anyway); all are published,
    or all quarantined."""
    t0 = time.perf_counter()
    tables = concat_by_name(batches.values())
    validations = validate_tables(tables, chip_ids=chip_ids, now=now)
    seconds = time.perf_counter() - t0
    failed = {name: v for name, v in validations.items() if not v.success}
    if not failed:
        return PublishOutcome(warehouse.publish_batches(batches, run_id=run_id), validations, seconds)
    where = warehouse.quarantine(run_id, tables, {name: v.to_json() for name, v in validations.items()})
    messages = [f for v in failed.values() for f in v.failures]
    if record_failed_run and "runs" in tables and "runs" not in failed and tables["runs"].num_rows:
        batch = next(b for b, t in batches.items() if "runs" in t)
        warehouse.publish({"runs": _failed_runs_table(tables["runs"], messages, where)}, run_id=run_id, batch=batch)
    shown = "; ".join(messages[:5]) + (f"; … {len(messages) - 5} more" if len(messages) > 5 else "")
    raise ValidationFailed(
        f"{len(failed)} table(s) failed validation ({', '.join(sorted(failed))}): {shown}. "
        f"Batch quarantined at {warehouse.url.rstrip('/')}/{where}; nothing was published.",
        subject=f"run {run_id}",
    )

