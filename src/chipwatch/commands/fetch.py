"""``chipwatch fetch [SPEC ...]`` — discover, then bring the local git cache up to date."""
from __future__ import annotations

import argparse
import json
import sys

from chipwatch.commands.discover import add_common, cache_root, discovered, sources

NAME = "fetch"
HELP = "discover repositories and update their bare partial clones in the local cache"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("specs", nargs="*", metavar="SPEC", help="sources to fetch (default: the watch list's)")
    add_common(parser)
    parser.add_argument("--workers", type=int, default=4, help="git fetches at a time (default 4)")
    parser.add_argument("--blob-limit", help="leave out blobs above this size (default: watch list, else 1m)")
    parser.add_argument("--max-bytes", help="disk budget of the git cache, e.g. 50g (LRU eviction)")


def run(args: argparse.Namespace) -> int:
    from chipwatch.gitio.cache import RepoCache
    from chipwatch.model import RepoRef

    srcs, options = sources(args)
    cache = RepoCache(
        cache_root(args) / "git",
        blob_limit=args.blob_limit or options.get("blob_limit", "1m"),
        max_bytes=args.max_bytes or options.get("max_bytes"),
        include_tags=bool(options.get("include_tags", False)),
        timeout=float(options.get("timeout", 600)),
    )
    repos, failed = [], 0
    for item in discovered(srcs):
        if isinstance(item, RepoRef):
            repos.append(item)
        else:
            failed += 1
            print(f"FAILED {item.repo or item.source}\t{item.kind}\t{item.message}", file=sys.stderr)
    total = 0
    for res in cache.fetch_many(repos, workers=max(1, args.workers)):
        total += res.bytes_transferred
        if args.format == "json":
            print(json.dumps(res.to_json(), sort_keys=True))
        elif res.ok:
            print(f"{res.repo}\t{res.action}\t{res.bytes_transferred} B\t{res.seconds:.2f} s\t{res.path}")
        else:
            failed += 1
            print(f"FAILED {res.repo}\t{res.error_kind}\t{res.error_message}")
    print(f"{len(repos)} repositories, {total} bytes transferred, {failed} failures", file=sys.stderr)
    return 0
