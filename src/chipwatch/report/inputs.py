"""What a report reads from the warehouse: committed rows only, through ``Warehouse.read``.

The tables come back as pandas frames, narrowed to the organizations asked for. ``since``
narrows the time axis (trend months, removals) but not the latest snapshot of each
repository, which is what the per-organization pages describe.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import pyarrow.compute as pc

from chipwatch.errors import ConfigError, WarehouseError
from chipwatch.storage import Warehouse

READ_ATTEMPTS = 3
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")

# Only the columns the report uses: evidence and signals are the large tables.
COLUMNS: dict[str, list[str] | None] = {
    "trends": ["month", "platform", "owner", "signal_id", "repos_with_signal", "repos_scanned", "share"],
    "snapshots": ["platform", "owner", "name", "as_of", "commit", "committed_at", "status", "error_kind",
                  "error_message", "run_id", "ruleset_hash", "catalog_hash"],
    "hardware": None,
    "signals": ["platform", "owner", "name", "as_of", "run_id", "signal_id", "present", "last_seen_commit",
                "last_seen_at", "removed", "removed_by_commit", "removed_at"],
    "evidence": ["platform", "owner", "name", "as_of", "run_id", "found_in_commit", "signal_id", "path", "line",
                 "file_kind", "text", "negated", "context", "permalink"],
    "repos": ["platform", "owner", "name", "url"],
}


def parse_month(text: str | None) -> date | None:
    """``YYYY-MM`` → the first day of that month (None stays None)."""
    if text is None:
        return None
    m = _MONTH.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ConfigError(f"--since must be a month like 2024-01, got {text!r}", subject="report")
    return date(int(m.group(1)), int(m.group(2)), 1)


@dataclass(frozen=True)
class ReportInputs:
    """The warehouse tables a report is built from (pandas, possibly empty)."""

    trends: pd.DataFrame
    snapshots: pd.DataFrame
    hardware: pd.DataFrame
    signals: pd.DataFrame
    evidence: pd.DataFrame
    repos: pd.DataFrame
    warehouse_url: str = ""
    manifest_version: int = 0
    orgs: tuple[str, ...] = ()
    since: date | None = None
    unknown_orgs: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return self.snapshots.empty and self.trends.empty


def _frame(wh: Warehouse, table: str, orgs: tuple[str, ...], manifest) -> pd.DataFrame:
    expr = pc.field("owner").isin(list(orgs)) if orgs else None
    return wh.dataset(table, manifest).to_table(filter=expr, columns=COLUMNS[table]).to_pandas()


def load_inputs(wh: Warehouse, *, orgs: tuple[str, ...] = (), since: date | None = None) -> ReportInputs:
    """Read every table the report needs from one committed manifest version, so all
    sections describe the same commit of the warehouse. A publish that deletes the files
    of that version while we read makes us start over from the new version."""
    for attempt in range(READ_ATTEMPTS):
        manifest = wh.manifest()
        try:
            frames = {t: _frame(wh, t, orgs, manifest) for t in COLUMNS}
            break
        except FileNotFoundError:
            if attempt == READ_ATTEMPTS - 1:
                raise WarehouseError("tables kept changing while the report read them; try again",
                                     subject=wh.url) from None
    known = set(frames["snapshots"]["owner"]) | set(frames["trends"]["owner"]) if orgs else set()
    return ReportInputs(
        **frames,
        warehouse_url=wh.url,
        manifest_version=manifest.version,
        orgs=orgs,
        since=since,
        unknown_orgs=tuple(o for o in orgs if o not in known),
    )
