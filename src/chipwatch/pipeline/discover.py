"""Discovery: source specs → repositories (deduplicated) and discovery failures."""
from __future__ import annotations

from dataclasses import dataclass, field

from chipwatch.model import RepoRef
from chipwatch.sources.base import DiscoveryFailure


@dataclass
class Discovered:
    repos: list[RepoRef] = field(default_factory=list)
    failures: list[DiscoveryFailure] = field(default_factory=list)


def make_sources(specs: list[str] | None, watch: str | None = None, *, cache_dir=None) -> list:
    """The sources of ``specs``, or else of the watch list (the bundled one by default).
    Every spec is parsed before any work, so a typo is one clear error. ``cache_dir``
    keeps the HTTP state of the GitHub and Hugging Face sources."""
    if specs:
        from chipwatch.sources import parse_spec

        opts = {"cache_dir": cache_dir} if cache_dir is not None else {}
        return [parse_spec(s, **opts) if s.startswith(("github:", "hf:")) else parse_spec(s) for s in specs]
    from chipwatch.watchlist import load_watchlist

    return load_watchlist(watch).sources(cache_dir=cache_dir)


def discover(sources: list) -> Discovered:
    """Every repository of every source, first occurrence wins, sorted by key."""
    out = Discovered()
    seen: dict[str, RepoRef] = {}
    for source in sources:
        for item in source.discover():
            if isinstance(item, DiscoveryFailure):
                out.failures.append(item)
            elif item.key not in seen:
                seen[item.key] = item
    out.repos = [seen[k] for k in sorted(seen)]
    return out
