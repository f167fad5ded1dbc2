"""A run's rows, collected table by table, ready for validation and publishing."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any, Iterable, Mapping

import pyarrow as pa

from chipwatch.model import RepoRef, ScanResult
from chipwatch.tables import rows as R
from chipwatch.tables.arrow import to_arrow
from chipwatch.tables.context import RunContext
from chipwatch.tables.contracts import TABLES


class TableBatch:
    """Rows of one run for the per-run tables (repos, snapshots, evidence, signals,
    hardware, runs). Trends are an aggregate over the warehouse: see tables.trends.

    >>> batch = TableBatch(ctx)
    >>> batch.add_repo(repo)
    >>> batch.add_snapshot(repo, "2026-11-30", scan=scan, inference=inference)
    >>> batch.set_run(kind="crawl", status="succeeded", parameters={...}, code_version="0.1.0")
    >>> tables = batch.tables()      # {table: pyarrow.Table}
    """

    def __init__(self, ctx: RunContext):
        self.ctx = ctx
        self._rows: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def add_repo(self, repo: RepoRef, *, status: str = "ok", error: R.ErrorLike = None) -> None:
        self._rows["repos"].append(R.repo_row(self.ctx, repo, status=status, error=error))

    def add_snapshot(
        self,
        repo: RepoRef,
        as_of: date | str,
        scan: ScanResult | None = None,
        inference: Any = None,
        *,
        status: str | None = None,
        error: R.ErrorLike = None,
        commit: str | None = None,
    ) -> None:
        """One snapshot: its row, and with a scan its evidence and signals, and with an
        inference its hardware row. A failed snapshot is ``scan=None, error=exc``."""
        self._rows["snapshots"].append(
            R.snapshot_row(self.ctx, repo, as_of, scan, status=status, error=error, commit=commit)
        )
        if scan is not None:
            self._rows["evidence"].extend(R.evidence_rows(self.ctx, repo, as_of, scan))
            self._rows["signals"].extend(R.signal_rows(self.ctx, repo, as_of, scan))
        if inference is not None:
            self._rows["hardware"].append(R.hardware_row(self.ctx, repo, as_of, inference, scan=scan))

    def set_run(
        self,
        *,
        kind: str,
        status: str,
        parameters: Mapping[str, Any],
        code_version: str,
        finished_at: datetime | None = None,
        failures: Iterable[Mapping[str, Any]] = (),
        timings: Mapping[str, float] | None = None,
        counts: Mapping[str, Any] | None = None,
    ) -> None:
        """The run's summary row; counts default to what the batch holds."""
        merged = self.counts()
        merged.update(counts or {})
        self._rows["runs"] = [
            R.run_row(
                self.ctx,
                kind=kind,
                status=status,
                parameters=parameters,
                code_version=code_version,
                finished_at=finished_at,
                counts=merged,
                failures=failures,
                timings=timings,
            )
        ]

    def counts(self) -> dict[str, int]:
        snaps = self._rows.get("snapshots", [])
        out = {t: len(self._rows.get(t, [])) for t in TABLES if t not in ("runs", "trends")}
        out.update(
            repos=len(self._rows.get("repos", [])),
            snapshots=len(snaps),
            snapshots_failed=sum(1 for s in snaps if s["status"] == "failed"),
            findings=len(self._rows.get("evidence", [])),
        )
        return out

    def tables(self) -> dict[str, pa.Table]:
        """Every per-run table (empty ones included, so a rerun also clears them)."""
        names = [t for t in TABLES if t != "trends" and (t != "runs" or self._rows.get("runs"))]
        return {t: to_arrow(t, self._rows.get(t, [])) for t in names}
