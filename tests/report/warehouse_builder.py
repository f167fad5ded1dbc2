"""A realistic warehouse for the report tests, built with the library's own stages.

The bundled sample corpus (real git repositories built from its templates) is scanned at
a list of ``as_of`` dates with the real scanner (history on), inferred with the real chip
catalog, turned into rows with ``TableBatch``, validated and published with
``validate_and_publish``, and the trends table is rebuilt with ``build_trends`` — the
same library calls the crawl composes, without Prefect or Dask. Extra repositories (for
example a hostile one built with ``GitRepoBuilder``) can be added beside the corpus.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Sequence

from chipwatch.catalog import load_catalog
from chipwatch.errors import ChipwatchError
from chipwatch.infer import infer_hardware
from chipwatch.model import RepoRef
from chipwatch.pipeline.resolve import commits_at
from chipwatch.scanner import scan_repository
from chipwatch.scanner.cache import ScanCache
from chipwatch.signatures import load_ruleset
from chipwatch.sources.sample import build_corpus
from chipwatch.storage import Warehouse
from chipwatch.tables import RunContext, TableBatch, build_trends, new_run_id
from chipwatch.validate import validate_and_publish


def sample_repos(root: Path) -> list[RepoRef]:
    """The bundled sample corpus, built under ``root``."""
    return build_corpus(root).refs()


def publish_snapshots(
    warehouse: Warehouse, repos: Sequence[RepoRef], as_ofs: Sequence[date], *, scan_cache: Path
) -> str:
    """Scan, infer and publish every repository at every ``as_of`` (one run); a repository
    git cannot read gives failed snapshot rows, as in a crawl. Returns the run id."""
    ruleset, catalog = load_ruleset(), load_catalog()
    ctx = RunContext(new_run_id(), ruleset.hash, catalog.hash)
    batch = TableBatch(ctx)
    cache = ScanCache(scan_cache)
    for repo in repos:
        batch.add_repo(repo)
        try:
            found = commits_at(repo.url, repo.default_branch, as_ofs)
        except ChipwatchError as exc:
            for d in as_ofs:
                batch.add_snapshot(repo, d, error=exc)
            continue
        scans: dict[str, object] = {}
        for d in as_ofs:
            hit = found[d]
            if hit is None:
                continue  # the repository did not exist yet
            commit = hit[0]
            try:
                if commit not in scans:
                    scan = scan_repository(repo.url, commit, history=True, cache=cache, ruleset=ruleset,
                                           repository=repo.key)
                    scans[commit] = (scan, infer_hardware(scan, catalog))
            except ChipwatchError as exc:
                batch.add_snapshot(repo, d, error=exc, commit=commit)
                continue
            scan, inference = scans[commit]
            batch.add_snapshot(repo, d, scan, inference)
    batch.set_run(kind="backfill", status="succeeded", parameters={"as_of": [d.isoformat() for d in as_ofs]},
                  code_version="test")
    validate_and_publish(warehouse, batch.tables(), run_id=ctx.run_id, chip_ids=catalog.chip_names())
    return ctx.run_id


def publish_trends(warehouse: Warehouse, run_id: str) -> None:
    """Rebuild and publish the trends table from what the warehouse holds."""
    trends = build_trends(warehouse.read("snapshots"), warehouse.read("signals"), warehouse.read("hardware"),
                          run_id=run_id)
    validate_and_publish(warehouse, {"trends": trends}, run_id=run_id, batch="trends")


def month_ends(first: str, last: str, step: int = 1) -> list[date]:
    """Month ends from ``first`` to ``last`` (YYYY-MM), every ``step`` months."""
    y, m = map(int, first.split("-"))
    ly, lm = map(int, last.split("-"))
    out = []
    while (y, m) <= (ly, lm):
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        out.append(date.fromordinal(date(ny, nm, 1).toordinal() - 1))
        for _ in range(step):
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
