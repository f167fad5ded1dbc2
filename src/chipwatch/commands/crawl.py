"""``chipwatch crawl``: every watched repository at ``as_of`` = today, into the warehouse.

With no arguments it crawls the bundled sample corpus into ``./warehouse`` — offline, no
credentials. Prefect and Dask are imported only when the command runs.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Callable

NAME = "crawl"
HELP = "crawl the watched repositories (default: the bundled sample corpus) into the warehouse"
DESCRIPTION = (
    "Discover → plan → fetch → scan → infer → validate → publish for as_of = today (UTC), "
    "then rebuild the trends table. Snapshots already published for the same commit, rule "
    "set and catalog are not redone. The same command with the same --run-id resumes a "
    "killed run. Work runs on a local Dask cluster sized to the machine, or on --dask-address."
)


def add_common_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--watch", metavar="FILE", default=None,
                   help="watch list (default: the bundled one, which points at the sample corpus)")
    p.add_argument("--source", dest="sources", action="append", metavar="SPEC", default=None,
                   help="github:ORG, hf:AUTHOR, git:URL, mirror:DIR or sample:default[?repos=N]; "
                        "repeatable; replaces the watch list")
    p.add_argument("--warehouse", metavar="URL", default=None,
                   help="folder or s3://bucket/prefix (default: $CHIPWATCH_WAREHOUSE or ./warehouse)")
    p.add_argument("--run-id", default=None, help="resume this run, or name a new one")
    p.add_argument("--dask-address", metavar="ADDR", default=None,
                   help="scheduler of an existing Dask cluster, tcp://host:8786 (default: $CHIPWATCH_DASK_ADDRESS "
                        "or a LocalCluster)")
    p.add_argument("--workers", type=int, default=None, help="LocalCluster worker processes (default: CPUs, at most 8)")
    p.add_argument("--batch-size", type=int, default=None, help="repositories per task (default: 2 tasks per worker, at most 256 each)")
    p.add_argument("--no-history", dest="history", action="store_false",
                   help="scan only each snapshot's tree, not its history (no first/last seen, no removals)")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.add_argument("-v", "--verbose", action="store_true", help="show Prefect's logs")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common_arguments(p)
    p.add_argument("--as-of", default=None, metavar="DATE", help="snapshot date YYYY-MM-DD (default: today, UTC)")


def flow_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "sources": args.sources, "watch": args.watch, "warehouse": args.warehouse, "run_id": args.run_id,
        "dask_address": args.dask_address, "workers": args.workers, "batch_size": args.batch_size,
        "history": args.history,
    }


class _Bar:
    """A rich progress bar fed by chipwatch.pipeline.progress events."""

    LABELS = {"discover": "discovering", "resolve": "resolving commits", "scan": "scanning"}

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.progress = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> "_Bar":
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), TextColumn("{task.fields[note]}"), transient=False,
                                     console=_console(stderr=True))
            self.progress.start()
        return self

    def __call__(self, stage: str, done: int, total: int, message: str = "") -> None:
        if not self.progress:
            return
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(self.LABELS.get(stage, stage), total=max(total, 1), note="")
        self.progress.update(self.tasks[stage], completed=done if total else 1, total=max(total, 1), note=message)

    def __exit__(self, *exc) -> None:
        if self.progress:
            self.progress.stop()


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def check_sources(args: argparse.Namespace) -> None:
    """Parse the sources (or the watch list) now: a typo is one line, before any server."""
    from chipwatch.pipeline.discover import make_sources

    make_sources(args.sources, args.watch)


def preparing(flow_modules: tuple[str, ...], tables: list[str] | None = None) -> Callable[[], None]:
    """What a run pays once per process before its work, as a ``while_starting`` hook of
    ``flows.runtime.prefect_api``: the flows' imports (Prefect's engine, the pipeline)
    and Great Expectations with the suites of ``tables`` (default: every table; even a
    run with nothing new validates its repos and runs rows). Done while the run's own
    Prefect server starts (seconds of each, side by side on two cores); in this thread,
    since concurrent imports of intertwined packages can deadlock. Then what they loaded
    is frozen out of the garbage collector's full passes (``startup.freeze_imports``)."""

    def prepare() -> None:
        import importlib

        from chipwatch.startup import freeze_imports
        from chipwatch.tables import load_contracts
        from chipwatch.validate.runner import build_suites

        for name in flow_modules:
            importlib.import_module(name)
        build_suites(tables if tables is not None else list(load_contracts()))
        freeze_imports()

    return prepare


def run_flow(args: argparse.Namespace, call: Callable[[], dict]) -> int:
    """Run a flow under this run's Prefect API with a progress bar; print the summary."""
    from chipwatch.settings import apply_prefect_defaults

    check_sources(args)
    apply_prefect_defaults()
    if not args.verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    from chipwatch.pipeline import progress
    from flows.runtime import prefect_api

    bar = _Bar(enabled=not args.json and sys.stderr.isatty() or os.environ.get("CHIPWATCH_PROGRESS") == "1")
    with prefect_api(while_starting=preparing(("flows.crawl", "flows.backfill"))), bar:
        unsubscribe = progress.subscribe(bar)
        try:
            summary = call()
        finally:
            unsubscribe()
    print_summary(summary, as_json=args.json)
    return 0


def print_summary(summary: dict, *, as_json: bool = False) -> None:
    import json

    if as_json:
        print(json.dumps(summary, indent=1, default=str))
        return
    from chipwatch.storage.warehouse import Warehouse

    wh = Warehouse(summary["warehouse"])
    rows = wh.published_tables()
    out = _console()
    dates = summary["as_of"]
    when = dates[0] if len(dates) == 1 else f"{dates[0]} … {dates[-1]} ({len(dates)} dates)"
    out.print(f"[bold]{summary['kind']} {summary['run_id']}[/bold]{' (resumed)' if summary['resumed'] else ''}: "
              f"as_of {when}, {summary['seconds']:.1f} s")
    out.print(f"  repositories {summary['repos']}, snapshots {summary['snapshots']} "
              f"({summary['snapshots_failed']} failed), unchanged {summary['reused']}, findings {summary['findings']}")
    for f in summary["failures"][:5]:
        out.print(f"  [yellow]failed[/yellow] {f.get('subject') or f.get('repo') or f.get('source')}: "
                  f"{f.get('kind')}: {f.get('message')}", overflow="fold")
    if len(summary["failures"]) > 5:
        out.print(f"  … {len(summary['failures']) - 5} more failures (see the runs and snapshots tables)")
    known = summary.get("known_failures") or []
    for f in known[:5]:
        out.print(f"  [yellow]still failing[/yellow] {f['subject']}: {f['kind']}: {f['message']} "
                  f"(as in run {f['since_run']}; retried when it changes, or after CHIPWATCH_RETRY_FAILED_DAYS)",
                  overflow="fold")
    if len(known) > 5:
        out.print(f"  … {len(known) - 5} more unchanged failures")
    out.print(f"tables in [bold]{summary['warehouse']}[/bold]: " + ", ".join(f"{t} {n}" for t, n in rows.items()))
    out.print("  read them with `chipwatch query`, DuckDB or pandas (catalog.yaml describes every column)")


def run(args: argparse.Namespace) -> int:
    def call() -> dict:
        from flows.crawl import crawl

        return crawl(as_of=args.as_of, **flow_options(args))

    return run_flow(args, call)
