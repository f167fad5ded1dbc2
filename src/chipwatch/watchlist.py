"""The watch list: which sources and organizations to watch, with per-source options.

``load_watchlist(path=None)`` reads a YAML file (default: the bundled
``chipwatch/data/watchlist.yaml``, which points at the sample corpus), checks it against
``watchlist.schema.json`` and returns a :class:`WatchList`. Relative ``mirror:`` and
``sample:`` paths are resolved against the file's folder. Errors are ConfigErrors that
name the file and the entry.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from chipwatch import yamlio
from chipwatch.errors import ConfigError
from chipwatch.sources import parse_spec
from chipwatch.sources.base import Source

MAX_BYTES = 1 << 20
# which options each source accepts; defaults apply only where accepted
ACCEPTS: dict[str, frozenset[str]] = {
    "github": frozenset({"include_forks", "include_archived", "api_url", "per_page", "timeout"}),
    "hf": frozenset({"endpoint", "read_card", "timeout"}),
    "git": frozenset({"timeout"}),
    "mirror": frozenset({"platform"}),
    "sample": frozenset(),
}
_USES_CACHE_DIR = ("github", "hf")
_LOCAL_PATHS = ("mirror", "sample")


@dataclass(frozen=True)
class WatchEntry:
    spec: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return self.spec.partition(":")[0]


@dataclass(frozen=True)
class WatchList:
    path: Path
    entries: tuple[WatchEntry, ...]
    cache: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def sources(self, *, cache_dir: str | os.PathLike[str] | None = None) -> list[Source]:
        """A Source per entry; ``cache_dir`` holds the HTTP state (ETags, memos)."""
        out = []
        for i, entry in enumerate(self.entries):
            options = dict(entry.options)
            if cache_dir is not None and entry.prefix in _USES_CACHE_DIR:
                options["cache_dir"] = Path(cache_dir)
            try:
                out.append(parse_spec(entry.spec, **options))
            except ConfigError as exc:
                raise ConfigError(f"sources[{i}]: {exc}", subject=str(self.path), kind=exc.kind) from None
        return out


def default_path() -> Path:
    return Path(str(resources.files("chipwatch") / "data" / "watchlist.yaml"))


def _schema() -> dict[str, Any]:
    return json.loads((resources.files("chipwatch") / "data" / "watchlist.schema.json").read_text(encoding="utf-8"))


def load_watchlist(path: str | os.PathLike[str] | None = None) -> WatchList:
    """Read and validate a watch list (the bundled one without ``path``)."""
    import jsonschema

    file = Path(path) if path is not None else default_path()
    subject = str(file)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read watch list: {exc.strerror or exc}", subject=subject) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"watch list is {len(raw)} bytes, more than {MAX_BYTES}", subject=subject)
    try:
        data = yamlio.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid YAML: {' '.join(str(exc).split())}", subject=subject) from None
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        raise ConfigError(f"{where}: {err.message}", subject=subject)
    defaults = data.get("defaults") or {}
    entries = []
    for i, item in enumerate(data["sources"]):
        spec, options = (item, {}) if isinstance(item, str) else (item["spec"], {k: v for k, v in item.items() if k != "spec"})
        prefix, _, target = spec.partition(":")
        accepted = ACCEPTS[prefix]
        bad = sorted(set(options) - accepted) if prefix != "sample" else []
        if bad:
            raise ConfigError(f"sources[{i}] ({spec}): option(s) {', '.join(bad)} do not apply to {prefix}: sources", subject=subject)
        merged = {k: v for k, v in defaults.items() if k in accepted}
        merged.update(options)
        path, sep, query = target.partition("?")
        if prefix in _LOCAL_PATHS and path and not Path(path).expanduser().is_absolute():
            spec = f"{prefix}:{(file.parent / path).resolve()}{sep}{query}"
        entries.append(WatchEntry(spec, merged))
    return WatchList(file.resolve(), tuple(entries), dict(data.get("cache") or {}), data.get("description", ""))
