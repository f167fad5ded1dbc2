"""The warehouse manifest: the one list of committed files, for every table at once.

Commit protocol (works on a local folder and on S3, which has no atomic rename):

1. data files are written under ``_staging/<publish id>/`` and moved to their partition
   folders under unique names (run id, batch, publish id), so nothing is overwritten;
2. a new manifest version ``_manifest/v<N>.json`` is created (exclusively: on a local
   folder a concurrent publisher loses with a clear error);
3. the pointer ``_manifest/CURRENT`` is replaced in one write (``os.replace`` locally,
   one PUT on S3) — this is the commit point;
4. files the new version no longer lists are deleted.

Readers read CURRENT, then the version it names, then only the files listed, so they
see every table as of one commit: never a half-written partition, never a replaced file
next to its replacement.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from chipwatch.errors import WarehouseError
from chipwatch.storage.location import Location

MANIFEST_DIR = "_manifest"
POINTER = "CURRENT"
FORMAT = 1


@dataclass(frozen=True)
class FileEntry:
    """One committed Parquet file. ``path`` is relative to the warehouse root."""

    table: str
    path: str
    partition: dict[str, str]
    run_id: str
    batch: str
    rows: int
    size_bytes: int
    publish_id: str


@dataclass(frozen=True)
class Manifest:
    version: int = 0
    committed_at: str | None = None
    files: tuple[FileEntry, ...] = field(default_factory=tuple)

    def for_table(self, table: str) -> list[FileEntry]:
        return [f for f in self.files if f.table == table]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": self.version,
            "committed_at": self.committed_at,
            "files": [asdict(f) for f in self.files],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any], *, source: str) -> "Manifest":
        try:
            if doc.get("format") != FORMAT:
                raise WarehouseError(f"unsupported manifest format {doc.get('format')!r}", subject=source)
            files = tuple(FileEntry(**f) for f in doc["files"])
            return cls(version=int(doc["version"]), committed_at=doc.get("committed_at"), files=files)
        except (KeyError, TypeError, ValueError) as exc:
            raise WarehouseError(f"corrupt manifest: {exc}", subject=source) from exc


def version_path(loc: Location, version: int) -> str:
    return loc.path(MANIFEST_DIR, f"v{version:010d}.json")


def load_current(loc: Location) -> Manifest:
    """The committed manifest, or an empty one for a new warehouse."""
    pointer = loc.path(MANIFEST_DIR, POINTER)
    try:
        text = loc.fs.cat_file(pointer).decode("utf-8").strip()
    except FileNotFoundError:
        return Manifest()
    try:
        version = int(text)
    except ValueError as exc:
        raise WarehouseError(f"corrupt manifest pointer {text[:40]!r}", subject=pointer) from exc
    path = version_path(loc, version)
    try:
        doc = json.loads(loc.fs.cat_file(path))
    except FileNotFoundError as exc:
        raise WarehouseError(f"pointer names missing manifest version {version}", subject=path) from exc
    return Manifest.from_json(doc, source=path)


def _write_exclusive(loc: Location, path: str, data: bytes) -> None:
    if loc.is_local:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            with open(path, "xb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except FileExistsError as exc:
            raise WarehouseError(
                "another publish committed this manifest version concurrently; rerun the publish", subject=path
            ) from exc
        return
    if loc.fs.exists(path):  # S3: best effort; one writer per warehouse is the rule
        raise WarehouseError("another publish committed this manifest version concurrently", subject=path)
    loc.fs.pipe_file(path, data)


def _replace_pointer(loc: Location, version: int) -> None:
    pointer = loc.path(MANIFEST_DIR, POINTER)
    data = f"{version}\n".encode()
    if loc.is_local:
        tmp = f"{pointer}.tmp-{os.getpid()}"
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, pointer)  # atomic on POSIX and Windows
    else:
        loc.fs.pipe_file(pointer, data)  # one PUT: readers see the old or the new object


def commit(loc: Location, base: Manifest, files: list[FileEntry]) -> Manifest:
    """Write version base.version + 1 listing ``files`` and point CURRENT at it."""
    new = Manifest(
        version=base.version + 1,
        committed_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        files=tuple(files),
    )
    _write_exclusive(loc, version_path(loc, new.version), json.dumps(new.to_json(), indent=1).encode())
    _replace_pointer(loc, new.version)
    return new


def prune_versions(loc: Location, keep: int = 10) -> None:
    """Delete manifest versions older than the last ``keep`` (history for audits)."""
    folder = loc.path(MANIFEST_DIR)
    loc.fs.invalidate_cache(folder)
    try:
        names = sorted(p for p in loc.fs.ls(folder, detail=False) if p.rsplit("/", 1)[-1].startswith("v"))
    except FileNotFoundError:
        return
    for path in names[:-keep] if keep else names:
        loc.fs.rm_file(path)
