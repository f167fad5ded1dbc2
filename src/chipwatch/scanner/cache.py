"""The scan cache: findings per (blob id, extractor, rule-set hash), on disk.

A blob shared by many commits, snapshots or forks is scanned once. SQLite in WAL mode
makes the cache safe for several processes (Dask workers, parallel CLI runs): readers
never block, writers wait their turn. The cache holds no paths, only what a blob's
bytes produced, so it can be shared by every repository on the machine.
"""
from __future__ import annotations

import sqlite3
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

import orjson

from chipwatch.cachedir import default_cache_dir  # noqa: F401  (re-exported)
from chipwatch.signatures.match import RawFinding, finding_rows, findings_from_rows

# 2: status and size in columns of their own; findings a compact JSON array of rows, NULL
# when there are none.
SCHEMA_VERSION = 2
_CHUNK = 400
_RAW_SNAPSHOT_BYTES = 256 * 1024
# JSON through orjson: the standard library's encoder and decoder were a third of a
# cached scan of a small repository and most of the cache's share of a history scan.


def encode_findings(findings: tuple[RawFinding, ...]) -> str | None:
    return orjson.dumps(finding_rows(findings)).decode("utf-8") if findings else None


def decode_findings(text: str | bytes | None) -> tuple[RawFinding, ...]:
    return findings_from_rows(orjson.loads(text)) if text else ()


@dataclass(frozen=True)
class BlobResult:
    """What scanning one blob gave: ``status`` is ``ok`` or a skip reason
    (``binary``, ``lfs-pointer``, ``too-large``, ``missing``, ``not-extractable``)."""

    status: str
    size_bytes: int | None
    findings: tuple[RawFinding, ...] = ()


class ScanCache:
    """Persistent map (oid, extractor, ruleset) -> BlobResult. ``None`` root = memory only."""

    def __init__(self, root: Path | str | None):
        self._lock = threading.Lock()
        if root is None:
            self.path = None
            self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        else:
            root = Path(root)
            root.mkdir(parents=True, exist_ok=True)
            self.path = root / f"scan-cache-v{SCHEMA_VERSION}.sqlite"
            self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS blobs (ruleset TEXT NOT NULL, oid TEXT NOT NULL, "
            "extractor TEXT NOT NULL, status TEXT NOT NULL, size INTEGER, findings TEXT, "
            "PRIMARY KEY (ruleset, oid, extractor))"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS snapshots (key TEXT PRIMARY KEY, payload BLOB NOT NULL)")

    # -- whole snapshots: a commit's tree scanned under one rule set and options ---------
    def get_snapshot(self, key: str) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT payload FROM snapshots WHERE key=?", [key]).fetchone()
        if not row:
            return None
        payload = bytes(row[0])
        return orjson.loads(payload if payload[:1] == b"{" else zlib.decompress(payload))

    def put_snapshot(self, key: str, doc: dict) -> None:
        # A small document is stored as it is: inflating it was a tenth of a cached scan
        # of a small repository. Large ones (long histories) are compressed; the first
        # byte tells them apart ("{" never starts a zlib stream).
        data = orjson.dumps(doc)
        payload = data if len(data) <= _RAW_SNAPSHOT_BYTES else zlib.compress(data, 6)
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO snapshots VALUES (?, ?)", [key, payload])

    def get_many(self, ruleset: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], BlobResult]:
        found: dict[tuple[str, str], BlobResult] = {}
        by_extractor: dict[str, list[str]] = {}
        for oid, ex in keys:
            by_extractor.setdefault(ex, []).append(oid)
        with self._lock:
            for ex, oids in by_extractor.items():
                for i in range(0, len(oids), _CHUNK):
                    chunk = oids[i : i + _CHUNK]
                    q = f"SELECT oid, status, size, findings FROM blobs WHERE ruleset=? AND extractor=? AND oid IN ({','.join('?' * len(chunk))})"
                    for oid, status, size, findings in self._db.execute(q, [ruleset, ex, *chunk]):
                        found[(oid, ex)] = BlobResult(status, size, decode_findings(findings))
        return found

    def put_many(self, ruleset: str, items: dict[tuple[str, str], BlobResult]) -> None:
        rows = [
            (ruleset, oid, ex, r.status, r.size_bytes, encode_findings(r.findings))
            for (oid, ex), r in items.items()
            if r.status != "missing"  # a missing blob may arrive with the next fetch
        ]
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR REPLACE INTO blobs VALUES (?, ?, ?, ?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def count(self, ruleset: str | None = None) -> int:
        with self._lock:
            if ruleset:
                return self._db.execute("SELECT COUNT(*) FROM blobs WHERE ruleset=?", [ruleset]).fetchone()[0]
            return self._db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
