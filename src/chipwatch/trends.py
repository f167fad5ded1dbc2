"""The trends table: month × organization × signal, from published snapshots.

Pure: takes the published ``snapshots``, ``signals`` and ``hardware`` tables (Arrow) and
returns the ``trends`` table (Arrow, the contract's schema).

A repository counts in a month with its latest ``ok`` snapshot at or before the month's
last day — carried forward through months without a new snapshot, because an unchanged
repository is not rescanned. When one repository has several snapshots at the same
``as_of`` (a rerun with a new rule set), the row of the latest run id wins (run ids sort
by start time). Besides signal ids, ``signal_id`` holds derived classes read from the
hardware rows: ``domestic.any``, ``vendor.<v>``, ``candidate.<v>`` and
``export.<rule>.<status>``. Every (month, organization) row set lists each id the
organization ever had, so a series has explicit zeros.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable

import pyarrow as pa

MIXED = "mixed"


@dataclass(frozen=True)
class _State:
    as_of: date
    commit: str
    ruleset_hash: str
    catalog_hash: str
    ids: frozenset[str]


def _rows(table: pa.Table | None, columns: Iterable[str]) -> list[dict[str, Any]]:
    if table is None or table.num_rows == 0:
        return []
    cols = [c for c in columns if c in table.column_names]
    return table.select(cols).to_pylist()


def _month_start(d: date) -> date:
    return date(d.year, d.month, 1)


def _next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def derived_ids(hw: dict[str, Any]) -> set[str]:
    """The derived trend classes of one hardware row."""
    ids: set[str] = set()
    if hw.get("domestic"):
        ids.add("domestic.any")
    ids.update(f"vendor.{v}" for v in hw.get("vendors") or ())
    ids.update(f"candidate.{v}" for v in hw.get("candidate_vendors") or ())
    status = hw.get("export_status") or {}
    items = status.items() if isinstance(status, dict) else status  # Arrow maps come back as pairs
    ids.update(f"export.{rule}.{value}" for rule, value in items if value)
    return ids


def repo_states(snapshots: pa.Table | None, signals: pa.Table | None, hardware: pa.Table | None) -> dict[tuple, list[_State]]:
    """Per repository (platform, owner, name): its ``ok`` snapshots, oldest first."""
    snap_key = ("platform", "owner", "name", "as_of")
    chosen: dict[tuple, dict[str, Any]] = {}
    for row in _rows(snapshots, (*snap_key, "commit", "status", "run_id", "ruleset_hash", "catalog_hash")):
        if row.get("status") != "ok" or not row.get("commit"):
            continue
        k = tuple(row[c] for c in snap_key)
        prev = chosen.get(k)
        if prev is None or (row.get("run_id") or "") > (prev.get("run_id") or ""):
            chosen[k] = row
    ids: dict[tuple, set[str]] = defaultdict(set)
    for row in _rows(signals, (*snap_key, "commit", "signal_id", "present", "run_id")):
        if row.get("present"):
            ids[(*(row[c] for c in snap_key), row["commit"], row.get("run_id"))].add(row["signal_id"])
    for row in _rows(hardware, (*snap_key, "commit", "run_id", "domestic", "vendors", "candidate_vendors", "export_status")):
        ids[(*(row[c] for c in snap_key), row["commit"], row.get("run_id"))].update(derived_ids(row))
    states: dict[tuple, list[_State]] = defaultdict(list)
    for k, row in chosen.items():
        found = ids.get((*k, row["commit"], row.get("run_id")), set())
        states[k[:3]].append(
            _State(k[3], row["commit"], row.get("ruleset_hash") or "", row.get("catalog_hash") or "", frozenset(found))
        )
    for v in states.values():
        v.sort(key=lambda s: s.as_of)
    return states


def months_between(first: date, last: date) -> list[date]:
    out, m = [], _month_start(first)
    while m <= last:
        out.append(m)
        m = _next_month(m)
    return out


def build_trends(
    snapshots: pa.Table | None,
    signals: pa.Table | None,
    hardware: pa.Table | None,
    *,
    run_id: str,
    until: date | None = None,
) -> pa.Table:
    """The trends table. Months run from the first snapshot's month to ``until``'s month
    (default: the latest snapshot's month)."""
    from chipwatch.tables.contracts import contract

    schema = contract("trends").arrow_schema()
    states = repo_states(snapshots, signals, hardware)
    if not states:
        return schema.empty_table()
    first = min(s[0].as_of for s in states.values())
    last = until or max(s[-1].as_of for s in states.values())
    months = months_between(first, last)
    orgs: dict[tuple, list[list[_State]]] = defaultdict(list)
    for (platform, owner, _name), repo in sorted(states.items()):
        orgs[(platform, owner)].append(repo)
    out: dict[str, list] = {f.name: [] for f in schema}
    for (platform, owner), repos in sorted(orgs.items()):
        ever = sorted(set().union(*(s.ids for repo in repos for s in repo)))
        repo_dates = [[s.as_of for s in repo] for repo in repos]
        for month in months:
            end = _next_month(month)
            current = []
            for repo, dates in zip(repos, repo_dates):
                i = bisect.bisect_left(dates, end) - 1
                if i >= 0:
                    current.append(repo[i])
            if not current:
                continue
            rulesets = {s.ruleset_hash for s in current}
            catalogs = {s.catalog_hash for s in current}
            ruleset = rulesets.pop() if len(rulesets) == 1 else MIXED
            catalog = catalogs.pop() if len(catalogs) == 1 else MIXED
            for sid in ever:
                n = sum(1 for s in current if sid in s.ids)
                out["month"].append(month)
                out["platform"].append(platform)
                out["owner"].append(owner)
                out["signal_id"].append(sid)
                out["repos_with_signal"].append(n)
                out["repos_scanned"].append(len(current))
                out["share"].append(n / len(current))
                out["run_id"].append(run_id)
                out["ruleset_hash"].append(ruleset)
                out["catalog_hash"].append(catalog)
    return pa.table(out, schema=schema)
