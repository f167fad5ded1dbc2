"""Warehouse URLs: a local folder (default ``./warehouse``) or ``s3://bucket/prefix``.

S3 goes through s3fs, which takes credentials, region and profile from the usual AWS
settings (environment, ~/.aws). ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` selects
an S3-compatible endpoint (MinIO, Ceph, a moto server in tests).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec
import pyarrow.fs as pafs
from fsspec.implementations.local import LocalFileSystem

from chipwatch.errors import WarehouseError

DEFAULT_WAREHOUSE = "./warehouse"
ENV_WAREHOUSE = "CHIPWATCH_WAREHOUSE"


def default_url() -> str:
    return os.environ.get(ENV_WAREHOUSE) or DEFAULT_WAREHOUSE


@dataclass(frozen=True)
class Location:
    """A filesystem and the warehouse root on it (no trailing slash, no protocol)."""

    url: str
    fs: fsspec.AbstractFileSystem
    root: str

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    def path(self, *parts: str) -> str:
        return "/".join([self.root, *[p.strip("/") for p in parts if p]])

    def rel(self, path: str) -> str:
        return path[len(self.root) + 1 :] if path.startswith(self.root + "/") else path

    def arrow_fs(self) -> pafs.FileSystem:
        """A pyarrow filesystem over the same storage (native for local folders)."""
        if self.is_local:
            return pafs.LocalFileSystem()
        return pafs.PyFileSystem(pafs.FSSpecHandler(self.fs))


def _s3_options(storage_options: dict[str, Any] | None) -> dict[str, Any]:
    opts = dict(storage_options or {})
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint and "endpoint_url" not in opts and "endpoint_url" not in opts.get("client_kwargs", {}):
        opts["endpoint_url"] = endpoint
    return opts


def open_location(url: str | os.PathLike | None = None, *, storage_options: dict[str, Any] | None = None) -> Location:
    """Resolve a warehouse URL; an unsupported scheme is a WarehouseError naming it."""
    text = os.fspath(url) if url is not None else default_url()
    if not text:
        raise WarehouseError("empty warehouse URL", subject="warehouse")
    scheme, sep, rest = text.partition("://")
    if not sep:
        return Location(text, LocalFileSystem(auto_mkdir=True), str(Path(text).expanduser().resolve()))
    if scheme == "file":
        return Location(text, LocalFileSystem(auto_mkdir=True), str(Path(rest).expanduser().resolve()))
    if scheme in ("s3", "s3a"):
        bucket_prefix = rest.strip("/")
        if not bucket_prefix or len(bucket_prefix.split("/")[0]) < 3:
            raise WarehouseError(f"{text!r} needs a bucket name of at least 3 characters", subject="warehouse")
        try:
            import s3fs
        except ImportError as exc:  # pragma: no cover - s3fs is a dependency
            raise WarehouseError("s3:// warehouses need s3fs installed", subject="warehouse") from exc
        fs = s3fs.S3FileSystem(**_s3_options(storage_options))
        return Location(text, fs, bucket_prefix)
    raise WarehouseError(
        f"unsupported warehouse URL {text!r}: use a folder path, file://… or s3://bucket/prefix", subject="warehouse"
    )
