"""Publishing a run: what is already published, checkpoints of batch results, the run's
own rows (repos, runs), and the trends rebuild.

A checkpoint is several batch results concatenated and published in one validated
commit. Validation has a large fixed cost per call, so a run publishes every few dozen
repositories rather than after every batch; a run killed between checkpoints redoes at
most one checkpoint's units.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Sequence

import pyarrow as pa

from chipwatch.model import RepoRef
from chipwatch.plan import Resolution, batch_id, published_key
from chipwatch.pipeline.process import BatchResult
from chipwatch.sources.base import DiscoveryFailure
from chipwatch.tables import RunContext, TableBatch


@dataclass(frozen=True)
class Published:
    """What the warehouse holds: snapshot keys (for any run) and, for this run, the
    (platform, owner, name, as_of) already done (a resumed run skips them)."""

    keys: frozenset[tuple] = frozenset()
    done_by_run: frozenset[tuple] = frozenset()


def published_index(warehouse, run_id: str | None = None) -> Published:
    cols = ["platform", "owner", "name", "as_of", "commit", "status", "ruleset_hash", "catalog_hash", "run_id"]
    snaps = warehouse.read("snapshots", columns=cols)
    keys, done = set(), set()
    for r in snaps.to_pylist():
        if r["status"] == "ok" and r["commit"]:
            keys.add(published_key(r["platform"], r["owner"], r["name"], r["commit"], r["ruleset_hash"], r["catalog_hash"]))
        if run_id and r["run_id"] == run_id:
            done.add((r["platform"], r["owner"], r["name"], r["as_of"]))
    return Published(frozenset(keys), frozenset(done))


def drop_done(resolutions: Iterable[Resolution], done_by_run: frozenset[tuple]) -> list[Resolution]:
    """Resolutions this run has not published yet (all of them for a new run).

    Failed resolutions are always kept: their rows go out with the run's own rows, which
    every attempt of the run replaces."""
    return [r for r in resolutions
            if r.error_kind or (r.repo.platform, r.repo.owner, r.repo.name, r.as_of) not in done_by_run]


def concat_results(results: Sequence[BatchResult]) -> dict[str, pa.Table]:
    names = sorted({n for r in results for n in r.tables})
    out = {}
    for n in names:
        parts = [r.tables[n] for r in results if n in r.tables]
        out[n] = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
    return out


def checkpoint_id(results: Sequence[BatchResult]) -> str:
    return "c-" + batch_id(sorted(r.batch_id for r in results))


def publish_tables(warehouse, tables: dict[str, pa.Table], *, run_id: str, batch: str) -> dict[str, Any]:
    """Validate and publish in one commit (or quarantine and raise ValidationFailed).
    Chip names are checked against the packaged catalog."""
    from chipwatch.validate import validate_and_publish

    t0 = time.perf_counter()
    outcome = validate_and_publish(warehouse, tables, run_id=run_id, batch=batch)
    return {
        "batch": batch,
        "rows": dict(outcome.published.rows),
        "version": outcome.published.version,
        "validate_seconds": outcome.validate_seconds,
        "seconds": time.perf_counter() - t0,
    }


@dataclass
class RunTotals:
    """A run's accounting, for its runs row and the command line's summary."""

    repos: int = 0
    snapshots: int = 0
    snapshots_failed: int = 0
    findings: int = 0
    reused: int = 0
    checkpoints: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def add_batch(self, r: BatchResult) -> None:
        self.snapshots += r.counts.get("snapshots", 0)
        self.snapshots_failed += r.counts.get("snapshots_failed", 0)
        self.findings += r.counts.get("findings", 0)
        self.failures.extend(r.failures)
        self.time(r.timings)

    def time(self, timings: dict[str, float]) -> None:
        for k, v in timings.items():
            self.timings[k] = self.timings.get(k, 0.0) + float(v)


def run_tables(
    ctx: RunContext,
    *,
    kind: str,
    status: str,
    parameters: dict[str, Any],
    repos: Sequence[RepoRef],
    discovery_failures: Sequence[DiscoveryFailure],
    resolution_failures: Iterable[Resolution],
    totals: RunTotals,
) -> dict[str, pa.Table]:
    """The repos rows (one per repository discovered, failed when it could not be
    fetched or listed) and the runs row."""
    from chipwatch import __version__
    from chipwatch.tables.context import utcnow

    failed = {}
    for r in resolution_failures:
        failed.setdefault(r.repo.key, (r.error_kind, r.error_message))
    rows = TableBatch(ctx)
    for repo in repos:
        err = failed.get(repo.key)
        rows.add_repo(repo, status="failed" if err else "ok", error=err)
    for f in discovery_failures:
        if f.ref is not None:
            rows.add_repo(f.ref, status="failed", error=(f.kind, f.message))
    failures = [*totals.failures, *({"subject": f.repo or f.source, "kind": f.kind, "message": f.message} for f in discovery_failures)]
    rows.set_run(
        kind=kind, status=status, parameters=parameters, code_version=__version__, finished_at=utcnow(),
        failures=failures, timings=totals.timings,
        counts={"repos": len(repos), "snapshots": totals.snapshots, "snapshots_failed": totals.snapshots_failed,
                "findings": totals.findings, "reused": totals.reused, "checkpoints": totals.checkpoints},
    )
    tables = rows.tables()
    return {"repos": tables["repos"], "runs": tables["runs"]}


def as_of_strings(as_ofs: Iterable[date]) -> list[str]:
    return [d.isoformat() for d in as_ofs]
