"""The warehouse: hive-partitioned Parquet (zstd) behind one manifest.

``Warehouse.publish`` replaces a run's rows (or a whole derived table) atomically for
every table of the call at once; ``Warehouse.read`` and ``Warehouse.dataset`` see only
committed files. See ``storage.manifest`` for the commit protocol.
"""
from __future__ import annotations

import json
import math
import os
import time
import uuid
from datetime import datetime, timezone
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from chipwatch.errors import WarehouseError
from chipwatch.storage import manifest as M
from chipwatch.storage.location import Location, open_location
from chipwatch.storage.partitions import hive_dir, safe_name, split
from chipwatch.tables.arrow import nullable_schema
from chipwatch.tables.contracts import TABLES, Contract, contract

STAGING = "_staging"
QUARANTINE = "_quarantine"
READ_ATTEMPTS = 3

Filters = ds.Expression | Sequence[Any] | None


@dataclass(frozen=True)
class PublishResult:
    version: int
    run_id: str
    batch: str
    rows: dict[str, int]
    files: list[str]
    replaced_files: int
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def _conform(c: Contract, table: pa.Table) -> pa.Table:
    """The table with the contract's columns, order and types; nulls in non-null columns fail."""
    missing = [n for n in c.names if n not in table.column_names]
    extra = [n for n in table.column_names if n not in c.names]
    if missing or extra:
        raise WarehouseError(f"columns differ from the contract: missing {missing}, unexpected {extra}", subject=c.table)
    try:
        return table.select(c.names).cast(c.arrow_schema())
    except (pa.ArrowException, ValueError) as exc:
        raise WarehouseError(f"does not fit its contract: {exc}", subject=c.table) from exc


def _to_expression(filters: Filters) -> ds.Expression | None:
    if filters is None or isinstance(filters, ds.Expression):
        return filters
    return pq.filters_to_expression(filters)


class Warehouse:
    """A warehouse at a URL: ``./warehouse`` (default), a folder, ``file://…``, ``s3://bucket/prefix``."""

    def __init__(self, url: str | None = None, *, storage_options: dict[str, Any] | None = None):
        self.loc: Location = open_location(url, storage_options=storage_options)
        # Files in table folders that no manifest lists, and staging folders, are
        # deleted once this old: younger ones may belong to a publish in progress.
        self.orphan_age_s: float = 3600.0

    @property
    def url(self) -> str:
        return self.loc.url

    def __repr__(self) -> str:
        return f"Warehouse({self.loc.url!r})"

    # -- reading -------------------------------------------------------------------
    def manifest(self) -> M.Manifest:
        return M.load_current(self.loc)

    def files(self, table: str, manifest: M.Manifest | None = None) -> list[str]:
        """Committed files of ``table`` as full paths on the warehouse filesystem."""
        contract(table)
        m = manifest or self.manifest()
        return [self.loc.path(f.path) for f in m.for_table(table)]

    def dataset(self, table: str, manifest: M.Manifest | None = None) -> ds.Dataset:
        """A lazy pyarrow dataset over the committed files (partition columns included)."""
        c = contract(table)
        paths = self.files(table, manifest)
        schema = c.arrow_schema()
        if not paths:
            return ds.dataset(schema.empty_table())
        partitioning = None
        if c.partitioning:
            part_schema = pa.schema([schema.field(p) for p in c.partitioning])
            partitioning = ds.partitioning(part_schema, flavor="hive")
        return ds.dataset(
            paths,
            schema=schema,
            format="parquet",
            filesystem=self.loc.arrow_fs(),
            partitioning=partitioning,
            partition_base_dir=self.loc.path(table),
        )

    def read(self, table: str, filters: Filters = None, columns: list[str] | None = None) -> pa.Table:
        """Committed rows of ``table`` as one Arrow table with the contract's schema.

        ``filters`` is a pyarrow expression or DNF tuples as in ``pyarrow.parquet``
        (``[("signal_id", "=", "stack.ascend")]``). A publish that deletes replaced files
        while we read makes us re-read the new manifest.
        """
        expr = _to_expression(filters)
        for attempt in range(READ_ATTEMPTS):
            try:
                return self.dataset(table).to_table(filter=expr, columns=columns)
            except FileNotFoundError:
                if attempt == READ_ATTEMPTS - 1:
                    raise
                self.loc.fs.invalidate_cache()
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def published_tables(self) -> dict[str, int]:
        """Rows committed per table (all seven, zero for tables never published)."""
        m = self.manifest()
        rows = {t: 0 for t in TABLES}
        for f in m.files:
            rows[f.table] = rows.get(f.table, 0) + f.rows
        return rows

    # -- publishing ----------------------------------------------------------------
    def publish(self, tables: Mapping[str, pa.Table], *, run_id: str, batch: str = "all") -> PublishResult:
        """Publish several tables in one commit.

        For a table whose contract says ``replace: run``, the files of the same
        (run_id, batch) are replaced by these rows (an empty table clears them); for
        ``replace: table`` (trends) the whole table is replaced. Other runs' files are
        untouched, so a nightly run adds without rewriting history.
        """
        return self.publish_batches({batch: tables}, run_id=run_id)

    def publish_batches(self, batches: Mapping[str, Mapping[str, pa.Table]], *, run_id: str) -> PublishResult:
        """Publish the tables of several batches of one run in one commit, each batch
        replacing its own earlier files as :meth:`publish` does (a run's last checkpoint
        and its own rows go out together: one commit, one validation)."""
        if not run_id:
            raise WarehouseError("publish needs a run id", subject="warehouse")
        if not batches:
            raise WarehouseError("publish needs at least one batch", subject="warehouse")
        t0 = time.perf_counter()
        conformed = {batch: {name: _conform(contract(name), tbl) for name, tbl in tables.items()}
                     for batch, tables in batches.items()}
        base = self.manifest()
        publish_id = uuid.uuid4().hex[:12]
        staging_root = self.loc.path(STAGING, publish_id)
        staged = [entry for batch, tables in conformed.items()
                  for entry in self._stage(tables, run_id=run_id, batch=batch, publish_id=publish_id)]
        t_staged = time.perf_counter()
        for src, entry in staged:
            self.loc.fs.mv(src, self.loc.path(entry.path))
        replaced = [f for f in base.files
                    if any(self._replaces(f, tables, run_id, batch) for batch, tables in conformed.items())]
        replaced_paths = {f.path for f in replaced}
        kept = [f for f in base.files if f.path not in replaced_paths]
        new = M.commit(self.loc, base, kept + [e for _, e in staged])
        t_committed = time.perf_counter()
        names = sorted({name for tables in conformed.values() for name in tables})
        self._cleanup(new, replaced, names, staging_root)
        t_done = time.perf_counter()
        rows: dict[str, int] = {}
        for tables in conformed.values():
            for name, tbl in tables.items():
                rows[name] = rows.get(name, 0) + tbl.num_rows
        return PublishResult(
            version=new.version,
            run_id=run_id,
            batch="+".join(batches),
            rows=rows,
            files=[e.path for _, e in staged],
            replaced_files=len(replaced),
            seconds=t_done - t0,
            timings={"write": t_staged - t0, "commit": t_committed - t_staged, "cleanup": t_done - t_committed},
        )

    @staticmethod
    def _replaces(f: M.FileEntry, tables: Mapping[str, pa.Table], run_id: str, batch: str) -> bool:
        if f.table not in tables:
            return False
        if contract(f.table).replace == "table":
            return True
        return f.run_id == run_id and f.batch == batch

    def _stage(
        self, tables: Mapping[str, pa.Table], *, run_id: str, batch: str, publish_id: str
    ) -> list[tuple[str, M.FileEntry]]:
        staged = []
        fname = f"part-{safe_name(run_id)}-{safe_name(batch)}-{publish_id}.parquet"
        for name, tbl in tables.items():
            c = contract(name)
            for partition, rows in split(tbl, c.partitioning):
                rel = "/".join(p for p in (name, hive_dir(partition), fname) if p)
                src = self.loc.path(STAGING, publish_id, rel)
                self._write_parquet(rows, src)
                size = self.loc.fs.size(src)
                staged.append(
                    (src, M.FileEntry(name, rel, partition, run_id, batch, rows.num_rows, int(size), publish_id))
                )
        return staged

    def _write_parquet(self, table: pa.Table, path: str) -> None:
        self.loc.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        pq.write_table(table, path, filesystem=self.loc.arrow_fs(), compression="zstd")

    def _cleanup(self, new: M.Manifest, replaced: list[M.FileEntry], tables: list[str], staging_root: str) -> None:
        """Delete replaced files, orphans of crashed publishes, and stale staging."""
        fs = self.loc.fs
        for f in replaced:
            try:
                fs.rm_file(self.loc.path(f.path))
            except FileNotFoundError:
                pass
            if self.loc.is_local:  # S3 has no folders to leave behind
                _remove_empty_dirs(self.loc.path(f.path).rsplit("/", 1)[0], stop=self.loc.path(f.table))
        live = {self.loc.path(f.path) for f in new.files}
        fs.invalidate_cache()
        for table in tables:
            root = self.loc.path(table)
            if not fs.exists(root):
                continue
            for path in fs.find(root):
                if path.endswith(".parquet") and path not in live and self._stale(path):
                    fs.rm_file(path)
        if fs.exists(staging_root):
            fs.rm(staging_root, recursive=True)
        staging = self.loc.path(STAGING)
        if fs.exists(staging):
            for path in fs.ls(staging, detail=False):
                if self._stale(path):
                    fs.rm(path, recursive=True)
        M.prune_versions(self.loc)

    def _stale(self, path: str) -> bool:
        """Left by a crashed publish (not one in progress): older than ``orphan_age_s``."""
        if self.orphan_age_s == 0:
            return True
        if self.loc.fs.isdir(path):
            return all(self._stale(p) for p in self.loc.fs.find(path))
        try:
            modified = self.loc.fs.modified(path)
        except (FileNotFoundError, NotImplementedError, IsADirectoryError):
            return False
        if modified.tzinfo is None:
            modified = modified.replace(tzinfo=timezone.utc)
        return (datetime.now(timezone.utc) - modified).total_seconds() >= self.orphan_age_s

    # -- quarantine ----------------------------------------------------------------
    def quarantine(self, run_id: str, tables: Mapping[str, pa.Table], results: Mapping[str, Any]) -> str:
        """Write a batch that failed validation, and its validation results, under
        ``_quarantine/<run_id>/<table>/``; returns that folder relative to the warehouse.
        Nothing here is visible to readers; a rerun of the run overwrites it."""
        rel_root = f"{QUARANTINE}/{safe_name(run_id)}"
        fs = self.loc.fs
        if fs.exists(self.loc.path(rel_root)):
            fs.rm(self.loc.path(rel_root), recursive=True)
        for name, tbl in tables.items():
            folder = self.loc.path(rel_root, name)
            fs.makedirs(folder, exist_ok=True)
            pq.write_table(
                tbl.cast(nullable_schema(tbl.schema)),
                folder + "/data.parquet",
                filesystem=self.loc.arrow_fs(),
                compression="zstd",
            )
            if name in results:
                fs.pipe_file(folder + "/validation.json", _json_bytes(results[name]))
        summary = {
            "run_id": run_id,
            "tables": {
                name: {"rows": tbl.num_rows, "success": bool((results.get(name) or {}).get("success", False))}
                for name, tbl in tables.items()
            },
        }
        fs.pipe_file(self.loc.path(rel_root, "summary.json"), _json_bytes(summary))
        return rel_root


def _remove_empty_dirs(folder: str, *, stop: str) -> None:
    """Remove ``folder`` and its parents up to ``stop`` (exclusive) while they are empty."""
    while folder.startswith(stop + "/"):
        try:
            os.rmdir(folder)
        except OSError:  # not empty (or already gone)
            return
        folder = folder.rsplit("/", 1)[0]


def _sanitize(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null (GX puts NaN in unexpected lists)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _sanitize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_sanitize(v) for v in value]
    return value


def _json_bytes(doc: Any) -> bytes:
    return json.dumps(_sanitize(doc), indent=1, default=str, allow_nan=False).encode("utf-8")
