"""``chipwatch discover [SPEC ...]`` — list the repositories of sources (or the watch list)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Iterator

NAME = "discover"
HELP = "list the repositories of sources (github:ORG, hf:AUTHOR, git:URL, mirror:DIR, sample:DIR)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("specs", nargs="*", metavar="SPEC", help="sources to list (default: the watch list's)")
    add_common(parser)


def add_common(parser: argparse.ArgumentParser) -> None:
    """Options shared with ``chipwatch fetch``."""
    parser.add_argument("--watchlist", type=Path, help="watch list YAML (default: the bundled one)")
    parser.add_argument("--cache-dir", type=Path, help="chipwatch cache folder (default: $CHIPWATCH_CACHE_DIR or the user cache)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (json: one object per line)")


def cache_root(args: argparse.Namespace) -> Path:
    from chipwatch.sources.state import default_cache_dir

    return args.cache_dir or default_cache_dir()


def sources(args: argparse.Namespace) -> tuple[list[Any], dict[str, Any]]:
    """The sources named on the command line, or the watch list's, and its cache options."""
    from chipwatch.sources import parse_spec
    from chipwatch.watchlist import load_watchlist

    http_dir = cache_root(args) / "http"
    if args.specs:
        out = []
        for spec in args.specs:
            options = {"cache_dir": http_dir} if spec.split(":", 1)[0] in ("github", "hf") else {}
            out.append(parse_spec(spec, **options))
        return out, {}
    wl = load_watchlist(args.watchlist)
    return wl.sources(cache_dir=http_dir), wl.cache


def discovered(srcs: list[Any]) -> Iterator[Any]:
    for src in srcs:
        yield from src.discover()


def describe(item: Any) -> dict[str, Any]:
    from chipwatch.sources.base import DiscoveryFailure

    if isinstance(item, DiscoveryFailure):
        return {"type": "failure", **item.to_json()}
    return {"type": "repo", "key": item.key, "platform": item.platform, "owner": item.owner, "name": item.name,
            "url": item.url, "default_branch": item.default_branch, "head_commit": item.head_commit,
            "metadata": item.metadata}


def run(args: argparse.Namespace) -> int:
    srcs, _ = sources(args)
    repos = failures = 0
    for item in discovered(srcs):
        d = describe(item)
        if d["type"] == "repo":
            repos += 1
            line = json.dumps(d, sort_keys=True, default=str) if args.format == "json" else f"{d['key']}\t{d['default_branch'] or '-'}\t{d['head_commit'] or '-'}"
        else:
            failures += 1
            line = json.dumps(d, sort_keys=True) if args.format == "json" else f"FAILED {d['repo'] or d['source']}\t{d['kind']}\t{d['message']}"
        print(line)
    print(f"{repos} repositories, {failures} failures", file=sys.stderr)
    return 0
