"""The composition shared by ``crawl`` and ``backfill``: a run is a set of snapshots.

discover → resolve → plan (minus what is published) → [Dask: scan batches] →
validated checkpoints → the run's repos and runs rows → trends.

The Dask cluster is started only when there is work (the task runner is entered inside
the flow, not declared on it; a handful of units runs in the flow's process), so a run
whose inputs did not change costs discovery and planning only.
"""
from __future__ import annotations

import queue
import time
from datetime import date
from typing import Any, Iterator

from prefect import get_run_logger
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from chipwatch import plan as P
from chipwatch.errors import ValidationFailed
from chipwatch.pipeline import progress
from chipwatch.pipeline import publish as PUB
from chipwatch.pipeline.discover import make_sources
from chipwatch.pipeline.process import BatchResult, failure_tables
from chipwatch.pipeline.runrecord import start_or_resume
from chipwatch.settings import Settings, load_settings
from chipwatch.storage.warehouse import Warehouse
from chipwatch.tables import RunContext
from flows.runtime import task_runner
from tasks import discover as TD
from tasks import process as TP
from tasks import publish as TPUB
from tasks.parcel import Parcel


SMALL_RESOLVE = 64  # repositories × dates resolved in the flow's process, without a cluster
SMALL_UNITS = 4  # snapshots scanned in the flow's process, without a cluster


def settings_for(**options: Any) -> Settings:
    return load_settings().with_overrides(**options)


class _Checkpoints:
    """Batch results buffered in the flow's process and published together. What is
    left at the end goes out with the run's own rows (:meth:`take`): one validation and
    one commit fewer per run."""

    def __init__(self, settings: Settings, ctx: RunContext, totals: PUB.RunTotals):
        self.settings, self.ctx, self.totals = settings, ctx, totals
        self.buffer: list[BatchResult] = []
        self.snapshots = 0  # in the buffer
        self.last = time.monotonic()

    def add(self, result: BatchResult) -> None:
        self.buffer.append(result)
        self.snapshots += result.counts.get("snapshots", 0)
        self.totals.add_batch(result)
        if (self.snapshots >= self.settings.checkpoint_snapshots
                or time.monotonic() - self.last >= self.settings.checkpoint_seconds):
            self.flush()

    def take(self) -> dict[str, dict]:
        """The buffered results as one checkpoint batch (empty when none), for the caller
        to publish."""
        if not self.buffer:
            return {}
        batch = {PUB.checkpoint_id(self.buffer): PUB.concat_results(self.buffer)}
        self.drop()
        return batch

    def drop(self) -> None:
        """Empty the buffer (taken, or its publication failed validation and was quarantined)."""
        self.buffer, self.snapshots, self.last = [], 0, time.monotonic()

    def flush(self) -> None:
        batch = self.take()
        if batch:
            out = TPUB.publish(self.settings.warehouse, quote(batch), self.ctx.run_id)
            self.totals.checkpoints += 1
            self.totals.time({"publish": out["seconds"] - out["validate_seconds"], "validate": out["validate_seconds"]})


def _plan(resolutions: list, published: PUB.Published, ctx: RunContext) -> P.Plan:
    """The units of ``resolutions`` not yet published: by this run (a resumed run), or
    by any run for the same commit, rule set and catalog."""
    return P.plan(PUB.drop_done(resolutions, published.done_by_run), published.settled,
                  ruleset_hash=ctx.ruleset_hash, catalog_hash=ctx.catalog_hash)


def _workers(runner, settings: Settings) -> int:
    """Worker threads of the cluster the runner reached: an existing cluster has its own
    size, not this machine's."""
    client = getattr(runner, "client", None)
    try:
        return max(1, sum(client.nthreads().values())) if client is not None else settings.workers
    except Exception:  # a cluster that cannot say: the setting is a fair guess
        return settings.workers


class _Completions:
    """Futures in the order they finish, while more are added: Prefect's
    ``as_completed`` takes a fixed list, and a resolved repository's scans are submitted
    while other scans run."""

    def __init__(self) -> None:
        self._done: queue.SimpleQueue = queue.SimpleQueue()
        self._waiting = 0

    def add(self, future, tag: Any) -> None:
        self._waiting += 1
        future.add_done_callback(lambda f: self._done.put((f, tag)))

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        while self._waiting:
            future, tag = self._done.get()
            self._waiting -= 1
            yield future, tag


def _work(settings: Settings, ctx: RunContext, planned: P.Plan, unresolved: list, as_ofs: list[date],
          published: PUB.Published, history: bool, totals: PUB.RunTotals, checkpoints: _Checkpoints, *,
          local: bool = False) -> tuple[list, list]:
    """The work of a run on the Dask cluster, which is started here (only when there is
    work): the scans of ``planned``, and the repositories without a known head resolved
    on the workers at the same time, their scans queued as their commits are known.
    Returns the resolutions of ``unresolved`` and their plan's failures; the last
    results stay in ``checkpoints``, for the run's own publication."""
    log = get_run_logger()
    git_cache, scan_cache = str(settings.git_cache), str(settings.scan_cache)
    resolutions: list[P.Resolution] = []
    failures: list = []
    # Batches and repository lists travel as Parcels (tasks/parcel.py): Prefect does not
    # walk them, Dask pickles them once. A handful of units (a retried broken repository)
    # does not pay for a cluster.
    with (ThreadPoolTaskRunner(max_workers=1) if local else task_runner(settings)) as runner:
        # Unresolved repositories have at most one unit per date: the batch size counts them.
        expected = len(planned.units) + len(unresolved) * len(as_ofs)
        workers = _workers(runner, settings)
        size = settings.batch_size or P.auto_batch_size(expected, workers)
        jobs = _Completions()
        # Repositories to resolve go first, in chunks spread over the workers (at most a
        # batch each, see plan.py): the scans they lead to queue behind.
        chunks = P.resolve_chunks(unresolved, size, workers)
        for chunk in chunks:
            jobs.add(runner.submit(TP.resolve, {"repos": Parcel(chunk), "as_ofs": as_ofs, "git_cache": git_cache}), None)
        todo, done, resolving = 0, 0, len(chunks)

        def scan(units: list) -> None:
            nonlocal todo
            batches = P.batches(units, size)
            log.info("%d units in %d batches of up to %d", len(units), len(batches), size)
            for b in batches:
                jobs.add(runner.submit(TP.scan_batch, {"batch_id": b.id, "batch": Parcel(b), "ctx": ctx,
                                                       "git_cache": git_cache, "scan_cache": scan_cache,
                                                       "history": history}), len(b.units))
            todo += len(units)

        scan(planned.units)
        waiting: list = []  # planned units of resolved repositories, not yet in a batch
        progress.report("scan", 0, todo)
        for future, units in jobs:
            result = future.result()
            if units is None:  # a chunk of resolutions
                resolving -= 1
                resolutions.extend(result.resolutions)
                totals.time({"resolve": result.seconds})
                plan = _plan(result.resolutions, published, ctx)
                totals.reused += len(plan.reused)
                failures.extend(plan.failures)
                waiting.extend(plan.units)
                progress.report("resolve", len(chunks) - resolving, len(chunks))
                if waiting and (len(waiting) >= size or not resolving):
                    scan(waiting)
                    waiting = []
            else:
                checkpoints.add(result)
                done += units
            progress.report("scan", done, todo)
    return resolutions, failures


def run_snapshots(
    kind: str,
    *,
    as_ofs: list[date] | None,
    default_as_ofs: list[date] | None,
    parameters: dict[str, Any],
    sources: list[str] | None = None,
    watch: str | None = None,
    warehouse: str | None = None,
    run_id: str | None = None,
    dask_address: str | None = None,
    workers: int | None = None,
    batch_size: int | None = None,
    history: bool = True,
) -> dict[str, Any]:
    """One crawl or backfill run (called inside the ``crawl`` / ``backfill`` flows)."""
    from chipwatch.catalog import load_catalog
    from chipwatch.signatures import ruleset_hash
    from chipwatch.tables import load_contracts
    from chipwatch.validate.runner import warm_up

    log = get_run_logger()
    t0 = time.perf_counter()
    # Every run validates, an unchanged one its repos and runs rows. Great Expectations'
    # import and the suites cost a new process seconds (3 s here): paid beside discovery
    # (network waits, for GitHub and Hugging Face) and the workers' scans, not before the
    # publish. (`chipwatch crawl` has built them while its server started: then instant.)
    warm_up(list(load_contracts()))
    settings = settings_for(warehouse=warehouse, dask_address=dask_address, workers=workers, batch_size=batch_size)
    wh = Warehouse(settings.warehouse)
    record = start_or_resume(wh, kind=kind, as_ofs=as_ofs, run_id=run_id, default_as_ofs=default_as_ofs)
    catalog = load_catalog()
    ctx = RunContext(record.run_id, ruleset_hash(), catalog.hash, record.started_at)
    log.info("%s run %s%s: as_of %s … %s (%d dates), warehouse %s", kind, ctx.run_id,
             " (resumed)" if record.resumed else "", record.as_ofs[0], record.as_ofs[-1], len(record.as_ofs), wh.url)
    totals = PUB.RunTotals()
    progress.report("discover", 0, 1)
    found = TD.discover(quote(make_sources(sources, watch, cache_dir=settings.cache_dir / "sources")))
    progress.report("discover", 1, 1, f"{len(found.repos)} repositories")
    published = TD.published_index(settings.warehouse, ctx.run_id, settings.retry_failed_days)
    as_of_list = list(record.as_ofs)
    today = P.today_utc()
    quick = [r for r in found.repos if all(P.can_use_head(r, d, today=today) for d in as_of_list)]
    quick_set = set(quick)  # thousands of repositories: no list lookups
    slow = [r for r in found.repos if r not in quick_set]
    # A repository with no usable commit last time, and still none reported, is not
    # resolved again until the retry delay has passed.
    known = {r: f for r in slow if (f := published.known_failure(r, None, ctx.ruleset_hash, ctx.catalog_hash))}
    slow = [r for r in slow if r not in known]
    totals.reused += len(known) * len(as_of_list)
    resolved = [P.Resolution(r, d, r.head_commit) for r in quick for d in as_of_list]
    pre = _plan(resolved, published, ctx)
    if slow and not pre.units and len(slow) * len(as_of_list) <= SMALL_RESOLVE:
        # only a few repositories without a known head (new, broken), and nothing else
        # to do: resolve them here rather than start a cluster for them
        resolved += TP.resolve(Parcel(slow), as_of_list, str(settings.git_cache)).resolutions
        slow = []
        pre = _plan(resolved, published, ctx)
    log.info("plan: %s%s", pre.summary(), f"; {len(slow)} repositories to resolve" if slow else "")
    totals.reused += len(pre.reused)
    totals.time({"discover": time.perf_counter() - t0})
    status, error = "succeeded", None
    resolutions, failures = list(resolved), list(pre.failures)
    checkpoints = _Checkpoints(settings, ctx, totals)
    try:
        if slow or pre.units:
            local = not slow and len(pre.units) <= SMALL_UNITS
            more, more_failures = _work(settings, ctx, pre, slow, as_of_list, published, history, totals, checkpoints,
                                        local=local)
            resolutions += more
            failures += more_failures
        else:
            log.info("nothing changed upstream: %d snapshots already published", len(pre.reused))
    except ValidationFailed as exc:
        status, error = "failed", exc
        checkpoints.drop()
        totals.failures.append({"subject": f"run {ctx.run_id}", "kind": exc.kind, "message": str(exc)})
    unresolved_known = set(known)  # no commit: the repos rows say failed, as when resolved
    known.update({r.repo: f for r in resolutions if r.commit and not r.error_kind
                  and (f := published.known_failure(r.repo, r.commit, ctx.ruleset_hash, ctx.catalog_hash))})
    totals.known_failures = len(known)
    # Snapshots that could not be resolved are published with the run's own rows, and
    # so is the last checkpoint (counted before the runs row is built).
    failed = failure_tables(failures, ctx)
    totals.add_batch(failed)
    last = checkpoints.take()
    totals.checkpoints += len(last)
    tables = PUB.run_tables(
        ctx, kind=kind, status=status, parameters=parameters, repos=found.repos,
        discovery_failures=found.failures, resolution_failures=[r for r in resolutions if r.error_kind],
        totals=totals, known_failures={r: known[r] for r in unresolved_known})
    out = TPUB.publish(settings.warehouse, quote({**last, "run": {**failed.tables, **tables}}), ctx.run_id)
    # After the runs row was built: the summary's timings add its own publication.
    totals.time({"publish": out["seconds"] - out["validate_seconds"], "validate": out["validate_seconds"]})
    if error is not None:
        raise error
    changed = totals.snapshots > totals.snapshots_failed or not wh.manifest().for_table("trends")
    t = time.perf_counter()
    trend = TPUB.trends(settings.warehouse, ctx.run_id) if changed else None
    if trend:
        totals.time({"trends": time.perf_counter() - t})
    return {
        "run_id": ctx.run_id,
        "kind": kind,
        "resumed": record.resumed,
        "warehouse": wh.url,
        "as_of": [d.isoformat() for d in record.as_ofs],
        "repos": len(found.repos),
        "discovery_failures": len(found.failures),
        "snapshots": totals.snapshots,
        "snapshots_failed": totals.snapshots_failed,
        "reused": totals.reused,
        "findings": totals.findings,
        "checkpoints": totals.checkpoints,
        "trends_rows": sum(trend["rows"].values()) if trend else None,
        "failures": totals.failures + [f.to_json() for f in found.failures],
        "known_failures": [{"subject": r.key, "kind": f.kind, "message": f.message, "since_run": f.run_id}
                           for r, f in sorted(known.items(), key=lambda kv: kv[0].key)],
        "timings": {k: round(v, 3) for k, v in totals.timings.items()},
        "seconds": round(time.perf_counter() - t0, 3),
    }
