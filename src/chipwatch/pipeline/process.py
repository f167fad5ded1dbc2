"""One batch of units → the rows of every per-run table, as Arrow tables.

fetch (git cache) → scan (rule engine, blob-level cache) → infer (chip catalog) → rows.
A unit that fails anywhere becomes a ``failed`` snapshot row with the error; the batch
goes on. Stage times are measured here so a run can report its orchestration overhead.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from chipwatch.errors import ChipwatchError
from chipwatch.model import RepoRef
from chipwatch.plan import Batch, Failure
from chipwatch.tables import RunContext, TableBatch


@dataclass
class BatchResult:
    """What a batch hands back: its tables (small, Arrow) and its accounting."""

    batch_id: str
    tables: dict[str, pa.Table]
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def work_seconds(self) -> float:
        return sum(self.timings.values())


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def add(self, stage: str, start: float) -> None:
        self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


def _documents(repo: RepoRef) -> list[tuple[str, bytes]]:
    """Virtual documents of a Hugging Face repository's metadata (card, config)."""
    try:
        from chipwatch.extractors import hf_metadata
    except ImportError:  # the extractor is optional for non-HF sources
        return []
    return list(hf_metadata.documents(repo))


def _failure(repo: RepoRef, as_of: date, commit: str | None, exc: BaseException | tuple[str, str]) -> dict[str, Any]:
    kind, message = exc if isinstance(exc, tuple) else (getattr(exc, "kind", None) or type(exc).__name__, str(exc))
    return {"subject": repo.key, "as_of": as_of.isoformat(), "commit": commit, "kind": kind, "message": message}


def process_batch(
    batch: Batch,
    ctx: RunContext,
    *,
    git_cache: Path | str,
    scan_cache: Path | str,
    history: bool = True,
) -> BatchResult:
    from chipwatch.catalog import load_catalog
    from chipwatch.gitio.cache import RepoCache
    from chipwatch.infer import infer_hardware
    from chipwatch.scanner import scan_repository
    from chipwatch.scanner.cache import ScanCache
    from chipwatch.signatures import load_ruleset

    clock = _Clock()
    t0 = time.perf_counter()
    ruleset, catalog = load_ruleset(), load_catalog()
    cache, scans = RepoCache(git_cache), ScanCache(Path(scan_cache))
    clock.add("load", t0)
    rows = TableBatch(ctx)
    failures: list[dict[str, Any]] = []
    fetched: dict[str, Any] = {}
    for unit in batch.units:
        repo = unit.repo
        try:
            t = time.perf_counter()
            if repo.key not in fetched:
                fetched[repo.key] = cache.fetch(repo)
            got = fetched[repo.key]
            clock.add("fetch", t)
            if not got.ok or got.path is None:
                raise ChipwatchError(got.error_message or "fetch failed", subject=repo.key, kind=got.error_kind or "fetch")
            t = time.perf_counter()
            scan = scan_repository(got.path, unit.commit, history=history, cache=scans, ruleset=ruleset,
                                   repository=repo.key, extra_documents=_documents(repo))
            clock.add("scan", t)
            t = time.perf_counter()
            inference = infer_hardware(scan, catalog)
            clock.add("infer", t)
        except Exception as exc:  # one bad repository is a failure row, the batch goes on
            t = time.perf_counter()
            for as_of in unit.as_ofs:
                rows.add_snapshot(repo, as_of, status="failed", error=exc, commit=unit.commit)
                failures.append(_failure(repo, as_of, unit.commit, exc))
            clock.add("rows", t)
            continue
        t = time.perf_counter()
        for as_of in unit.as_ofs:
            rows.add_snapshot(repo, as_of, scan, inference)
        clock.add("rows", t)
    t = time.perf_counter()
    tables = {name: tbl for name, tbl in rows.tables().items() if name not in ("repos", "runs")}
    clock.add("rows", t)
    counts = rows.counts()
    return BatchResult(batch.id, tables, clock.timings, counts, failures)


def failure_tables(failures: list[Failure], ctx: RunContext) -> BatchResult:
    """The rows of snapshots that could not even be resolved (fetch or git failed)."""
    rows = TableBatch(ctx)
    out = []
    for f in failures:
        rows.add_snapshot(f.repo, f.as_of, status="failed", error=(f.error_kind, f.error_message))
        out.append(_failure(f.repo, f.as_of, None, (f.error_kind, f.error_message)))
    from chipwatch.plan import batch_id

    tables = {name: tbl for name, tbl in rows.tables().items() if name not in ("repos", "runs")}
    return BatchResult("f-" + batch_id([f"{x['subject']}@{x['as_of']}" for x in out]), tables, {}, rows.counts(), out)
