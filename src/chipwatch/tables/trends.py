"""The trends table: month × organization × platform × signal, from published snapshots.

A repository counts in a month with its latest scanned snapshot at or before the month's
end. Planning skips unchanged repositories, so without carrying the last snapshot forward
a quiet month would look like a month where the repository vanished. A repository counts
from the month of its first snapshot to the last month any snapshot covers.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, Iterable

import pyarrow as pa

from chipwatch.tables.arrow import to_arrow

SnapKey = tuple[str, str, str, date, str]  # platform, owner, name, as_of, run_id
RepoKey = tuple[str, str, str]


def _months(first: date, last: date) -> list[date]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _ids_by_snapshot(signals: pa.Table, hardware: pa.Table) -> dict[SnapKey, set[str]]:
    """Present signal ids plus derived classes (domestic, vendor, candidate, export)."""
    ids: dict[SnapKey, set[str]] = defaultdict(set)
    cols = ["platform", "owner", "name", "as_of", "run_id", "signal_id", "present"]
    for r in signals.select(cols).to_pylist():
        if r["present"]:
            ids[(r["platform"], r["owner"], r["name"], r["as_of"], r["run_id"])].add(r["signal_id"])
    cols = ["platform", "owner", "name", "as_of", "run_id", "domestic", "vendors", "candidate_vendors", "export_status"]
    for r in hardware.select(cols).to_pylist():
        bucket = ids[(r["platform"], r["owner"], r["name"], r["as_of"], r["run_id"])]
        if r["domestic"]:
            bucket.add("domestic.any")
        bucket.update(f"vendor.{v}" for v in r["vendors"] or ())
        bucket.update(f"candidate.{v}" for v in r["candidate_vendors"] or ())
        bucket.update(f"export.{rule}.{status}" for rule, status in (r["export_status"] or ()))
    return ids


def _latest_snapshots(snapshots: pa.Table) -> dict[RepoKey, list[dict[str, Any]]]:
    """Scanned snapshots per repository, one per as_of (the latest run wins), by as_of."""
    cols = ["platform", "owner", "name", "as_of", "run_id", "status", "ruleset_hash", "catalog_hash"]
    best: dict[tuple[RepoKey, date], dict[str, Any]] = {}
    for r in snapshots.select(cols).to_pylist():
        if r["status"] != "ok":
            continue
        key = ((r["platform"], r["owner"], r["name"]), r["as_of"])
        if key not in best or r["run_id"] > best[key]["run_id"]:
            best[key] = r
    per_repo: dict[RepoKey, list[dict[str, Any]]] = defaultdict(list)
    for (repo, _), r in best.items():
        per_repo[repo].append(r)
    for snaps in per_repo.values():
        snaps.sort(key=lambda r: r["as_of"])
    return per_repo


def _one_or_mixed(values: Iterable[str]) -> str:
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else "mixed"


def trend_rows(snapshots: pa.Table, signals: pa.Table, hardware: pa.Table, *, run_id: str) -> list[dict[str, Any]]:
    per_repo = _latest_snapshots(snapshots)
    if not per_repo:
        return []
    ids = _ids_by_snapshot(signals, hardware)
    last_month = max(s[-1]["as_of"] for s in per_repo.values())
    # (month, platform, owner) -> list of (snapshot row, ids)
    cells: dict[tuple[date, str, str], list[tuple[dict[str, Any], set[str]]]] = defaultdict(list)
    for (platform, owner, name), snaps in per_repo.items():
        i = -1
        for month in _months(snaps[0]["as_of"], last_month):
            nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
            while i + 1 < len(snaps) and snaps[i + 1]["as_of"] < nxt:
                i += 1
            snap = snaps[i]
            key = (platform, owner, name, snap["as_of"], snap["run_id"])
            cells[(month, platform, owner)].append((snap, ids.get(key, set())))
    seen_by_org: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (_, platform, owner), members in cells.items():
        for _, s in members:
            seen_by_org[(platform, owner)] |= s
    out = []
    for (month, platform, owner), members in sorted(cells.items()):
        scanned = len(members)
        ruleset = _one_or_mixed(m["ruleset_hash"] for m, _ in members)
        catalog = _one_or_mixed(m["catalog_hash"] for m, _ in members)
        for signal_id in sorted(seen_by_org[(platform, owner)]):
            with_signal = sum(1 for _, s in members if signal_id in s)
            out.append(
                {
                    "month": month,
                    "platform": platform,
                    "owner": owner,
                    "signal_id": signal_id,
                    "repos_with_signal": with_signal,
                    "repos_scanned": scanned,
                    "share": with_signal / scanned,
                    "run_id": run_id,
                    "ruleset_hash": ruleset,
                    "catalog_hash": catalog,
                }
            )
    return out


def build_trends(snapshots: pa.Table, signals: pa.Table, hardware: pa.Table, *, run_id: str) -> pa.Table:
    """The whole trends table from the warehouse's snapshots, signals and hardware tables."""
    return to_arrow("trends", trend_rows(snapshots, signals, hardware, run_id=run_id))
