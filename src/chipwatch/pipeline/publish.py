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
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable, Mapping, Sequence

import pyarrow as pa

from chipwatch.model import RepoRef
from chipwatch.plan import Resolution, batch_id, published_key
from chipwatch.pipeline.process import BatchResult
from chipwatch.sources.base import DiscoveryFailure
from chipwatch.tables import RunContext, TableBatch


#: Failure kinds that come from a repository's own state (no commit, a missing branch,
#: missing objects, not a repository): the same inputs fail the same way again. Others
#: (network, timeouts, rate limits, a killed worker) are retried by every run.
LASTING_FAILURES = frozenset({"corrupt", "empty", "not-found", "not-a-repository", "unknown-revision", "invalid"})


@dataclass(frozen=True)
class KnownFailure:
    """A lasting failure already published for the same inputs, by ``run_id``."""

    kind: str
    message: str
    run_id: str


@dataclass(frozen=True)
class Published:
    """What the warehouse holds: snapshot keys (for any run); for this run, the
    (platform, owner, name, as_of) already done (a resumed run skips them); and lasting
    failures by snapshot key (commit None when the repository had no usable commit)."""

    keys: frozenset[tuple] = frozenset()
    done_by_run: frozenset[tuple] = frozenset()
    failed: Mapping[tuple, KnownFailure] = field(default_factory=dict)

    @property
    def settled(self) -> frozenset[tuple]:
        """Snapshot keys a run does not redo: published, or failed lastingly."""
        return self.keys | frozenset(self.failed)

    def known_failure(self, repo: RepoRef, commit: str | None, ruleset_hash: str,
                      catalog_hash: str) -> KnownFailure | None:
        key = published_key(repo.platform, repo.owner, repo.name, commit, ruleset_hash, catalog_hash)
        return self.failed.get(key)


def published_index(warehouse, run_id: str | None = None, *, retry_failed_days: int = 7,
                    now: datetime | None = None) -> Published:
    """The index a run plans against. A lasting failure counts as known while its run
    started less than ``retry_failed_days`` ago (0: failures are always redone): a
    repository repaired without a new commit is looked at again within that delay."""
    cols = ["platform", "owner", "name", "as_of", "commit", "status", "error_kind", "error_message",
            "ruleset_hash", "catalog_hash", "run_id"]
    snaps = warehouse.read("snapshots", columns=cols)
    since = (now or datetime.now(timezone.utc)) - timedelta(days=retry_failed_days)
    recent = set()
    if retry_failed_days and snaps.num_rows:
        runs = warehouse.read("runs", columns=["run_id", "started_at"])
        recent = {r["run_id"] for r in runs.to_pylist() if r["started_at"] and r["started_at"] >= since}
    keys, done, failed = set(), set(), {}
    for r in snaps.to_pylist():
        key = published_key(r["platform"], r["owner"], r["name"], r["commit"], r["ruleset_hash"], r["catalog_hash"])
        if r["status"] == "ok" and r["commit"]:
            keys.add(key)
        elif r["status"] == "failed" and r["error_kind"] in LASTING_FAILURES and r["run_id"] in recent:
            failed[key] = KnownFailure(r["error_kind"], r["error_message"] or r["error_kind"], r["run_id"])
        if run_id and r["run_id"] == run_id:
            done.add((r["platform"], r["owner"], r["name"], r["as_of"]))
    # a key that failed once and was published ok later is settled as ok
    return Published(frozenset(keys), frozenset(done), {k: v for k, v in failed.items() if k not in keys})


def drop_done(resolutions: Iterable[Resolution], done_by_run: frozenset[tuple]) -> list[Resolution]:
    """Resolutions this run has not published yet (all of them for a new run).

    Failed resolutions are always kept: their rows go out with the run's own rows, which
    every attempt of the run replaces."""
    return [r for r in resolutions
            if r.error_kind or (r.repo.platform, r.repo.owner, r.repo.name, r.as_of) not in done_by_run]


def concat_results(results: Sequence[BatchResult]) -> dict[str, pa.Table]:
    from chipwatch.tables.arrow import concat_by_name

    return concat_by_name(r.tables for r in results)


def checkpoint_id(results: Sequence[BatchResult]) -> str:
    return "c-" + batch_id(sorted(r.batch_id for r in results))


def publish_tables(warehouse, tables: dict[str, pa.Table], *, run_id: str, batch: str) -> dict[str, Any]:
    """Validate and publish in one commit (or quarantine and raise ValidationFailed).
    Chip names are checked against the packaged catalog."""
    return publish_batches(warehouse, {batch: tables}, run_id=run_id)


def publish_batches(warehouse, batches: Mapping[str, Mapping[str, pa.Table]], *, run_id: str) -> dict[str, Any]:
    """:func:`publish_tables` for several batches of one run, validated together and
    published in one commit."""
    from chipwatch.validate import validate_and_publish_batches

    t0 = time.perf_counter()
    outcome = validate_and_publish_batches(warehouse, batches, run_id=run_id)
    return {
        "batch": outcome.published.batch,
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
    known_failures: int = 0  # snapshots not redone: they failed lastingly for the same inputs
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
    known_failures: Mapping[RepoRef, KnownFailure] | None = None,
) -> dict[str, pa.Table]:
    """The repos rows (one per repository discovered, failed when it could not be
    fetched or listed, now or — ``known_failures`` — by an earlier run for the same
    inputs) and the runs row."""
    from chipwatch import __version__
    from chipwatch.tables.context import utcnow

    failed = {}
    for r in resolution_failures:
        failed.setdefault(r.repo.key, (r.error_kind, r.error_message))
    for repo, known in (known_failures or {}).items():
        failed.setdefault(repo.key, (known.kind, known.message))
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
                "findings": totals.findings, "reused": totals.reused, "checkpoints": totals.checkpoints,
                "known_failures": totals.known_failures},
    )
    tables = rows.tables()
    return {"repos": tables["repos"], "runs": tables["runs"]}


def as_of_strings(as_ofs: Iterable[date]) -> list[str]:
    return [d.isoformat() for d in as_ofs]
