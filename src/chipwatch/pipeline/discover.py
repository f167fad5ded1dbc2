"""Discovery: source specs → repositories (deduplicated) and discovery failures."""
from __future__ import annotations

from dataclasses import dataclass, field

from chipwatch.model import RepoRef
from chipwatch.sources.base import DiscoveryFailure


@dataclass
class Discovered:
    repos: list[RepoRef] = field(default_factory=list)
    failures: list[DiscoveryFailure] = field(default_factory=list)


def make_sources(specs: list[str]) -> list:
    """Parse every spec first, so that a typo is one clear error before any work."""
    from chipwatch.sources import parse_spec

    return [parse_spec(s) for s in specs]


def discover(specs: list[str]) -> Discovered:
    """Every repository of every source, first occurrence wins, sorted by key."""
    out = Discovered()
    seen: dict[str, RepoRef] = {}
    for source in make_sources(specs):
        for item in source.discover():
            if isinstance(item, DiscoveryFailure):
                out.failures.append(item)
            elif item.key not in seen:
                seen[item.key] = item
    out.repos = [seen[k] for k in sorted(seen)]
    return out
