"""Small on-disk state the sources keep between runs, so a nightly discovery costs what
changed: ETags and bodies of listing pages (conditional requests), and memos such as
"head commit of repo X when it was last pushed at T".

One JSON file per key, written atomically (temp file + rename), so concurrent runs and a
run killed mid-write never leave a half-written entry: at worst an entry is missing and
the request is made again. Keys are hashed; no token is ever stored — an identity
fingerprint (a truncated salted hash) keeps anonymous and authenticated answers apart.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

ENV_CACHE_DIR = "CHIPWATCH_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$CHIPWATCH_CACHE_DIR`` or the platform's user cache folder for chipwatch."""
    env = os.environ.get(ENV_CACHE_DIR)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("chipwatch"))


def identity(token: str | None) -> str:
    """A short, non-reversible name for the credentials in use ("anon" without)."""
    if not token:
        return "anon"
    return hashlib.sha256(b"chipwatch-identity\0" + token.encode()).hexdigest()[:12]


class JsonStore:
    """Namespaced JSON values on disk: ``get(ns, key)`` / ``put(ns, key, value)``."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def _path(self, ns: str, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        return self.root / ns / digest[:2] / f"{digest}.json"

    def get(self, ns: str, key: str) -> Any | None:
        path = self._path(ns, key)
        try:
            with open(path, encoding="utf-8") as fh:
                record = json.load(fh)
        except (OSError, ValueError):
            return None  # missing or damaged: behave as a cache miss
        if not isinstance(record, dict) or record.get("key") != key:
            return None
        return record.get("value")

    def put(self, ns: str, key: str, value: Any) -> None:
        path = self._path(ns, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"key": key, "value": value}, fh, separators=(",", ":"))
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
